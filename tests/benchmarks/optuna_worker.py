"""One Optuna worker process for the overhead benchmark: the same simulated trials as the orchestrator's
sleeping test engine (EPOCHS epochs of SECONDS each, one intermediate value reported per epoch), on Optuna's
RDB storage in the same PostgreSQL server. Usage: optuna_worker.py URL STUDY TRIALS EPOCHS SECONDS GATE_FILE (optimizes once GATE_FILE exists)"""
import os
import sys
import time

import optuna

url, study_name, trials, epochs, seconds, gate = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
optuna.logging.set_verbosity(optuna.logging.WARNING)
# A random sampler: the orchestrator runs a fixed grid, so no model-based sampling cost is compared.
study = optuna.load_study(study_name=study_name, storage=url, sampler=optuna.samplers.RandomSampler(seed=1))


def objective(trial):
    trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
    loss = 1.0
    for epoch in range(epochs):
        time.sleep(seconds)
        loss = 1.0 - 0.1 * (epoch + 1)
        trial.report(loss, epoch)
    return loss


print(f"waiting for {gate}", flush=True)
while not os.path.exists(gate):
    time.sleep(0.005)
study.optimize(objective, n_trials=trials)
