"""The Optuna side of the search benchmark (run.sh). For each (backbone, strategy) cell of PLAN_JSON (written by the
SearchBench helper), one study on RDB storage (SQLite) tries the cell's configurations in the same order as the
orchestrator (each enqueued), with SuccessiveHalvingPruner; an epoch sleeps SECONDS and reports the loss the test
engine's curve script gives that configuration at that epoch (the plan lists them). Prints one JSON object: per cell
the epochs spent, the best learning rate found and its loss; the totals; the wall time of the searches in seconds;
Optuna's version.
Usage: optuna_peer.py PLAN_JSON EPOCHS REDUCTION MIN_EPOCHS SECONDS_PER_EPOCH SQLITE_PATH"""
import json
import sys
import time

import optuna

if len(sys.argv) != 7:
    sys.exit(__doc__)
plan_path, sqlite_path = sys.argv[1], sys.argv[6]
epochs, reduction, min_epochs, seconds = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
optuna.logging.set_verbosity(optuna.logging.WARNING)


def search(cell):
    configurations = cell["configurations"]
    rates = [c["learningRate"] for c in configurations]
    pruner = optuna.pruners.SuccessiveHalvingPruner(
        min_resource=min_epochs, reduction_factor=reduction, min_early_stopping_rate=0)
    study = optuna.create_study(study_name=cell["name"], storage=f"sqlite:///{sqlite_path}", direction="minimize",
                                pruner=pruner)
    for rate in rates:
        study.enqueue_trial({"learning_rate": rate})
    spent = 0

    def objective(trial):
        nonlocal spent
        # The enqueued trials run in order, one study per cell: trial k is configuration k.
        rate = trial.suggest_float("learning_rate", min(rates), max(rates), log=True)
        if rate != rates[trial.number]:
            raise RuntimeError(f"trial {trial.number} got learning rate {rate}, not the enqueued {rates[trial.number]}")
        losses = configurations[trial.number]["losses"]
        for epoch in range(1, epochs + 1):
            time.sleep(seconds)
            spent += 1
            trial.report(losses[epoch - 1], epoch)
            # As in the orchestrator, the budget is no rung: a trial that has trained it completes.
            if epoch < epochs and trial.should_prune():
                raise optuna.TrialPruned()
        return losses[epochs - 1]

    study.optimize(objective, n_trials=len(configurations))
    best = study.best_trial
    return {"epochs": spent, "trials": len(configurations), "bestLearningRate": best.params["learning_rate"],
            "bestLoss": best.value}


with open(plan_path) as f:
    plan = json.load(f)
started = time.monotonic()
cells = {cell["name"]: search(cell) for cell in plan["cells"]}
print(json.dumps({
    "optuna": optuna.__version__,
    "cells": cells,
    "epochs": sum(c["epochs"] for c in cells.values()),
    "trials": sum(c["trials"] for c in cells.values()),
    "wallSeconds": time.monotonic() - started,
}, indent=2))
