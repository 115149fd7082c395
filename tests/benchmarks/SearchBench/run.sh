#!/usr/bin/env bash
# The same search, pruned, through the orchestrator and through Optuna (issue 28), by hand (not in CI):
#   tests/benchmarks/SearchBench/run.sh [--no-pruning] [SECONDS_PER_EPOCH=0.05]
# The problem: the TEST engine's curve script (ORCHESTRATOR_TEST_ENGINE=curve:SECONDS, tests/Orchestrator.TestEngine
# ScriptedCurve), whose validation loss depends on the strategy and learning rate and ranks configurations the same
# at every epoch, so each cell's answer is known: the rate closest to the strategy's best in log scale.
# Ours: `orchestrator sweep run` (--workers 2) of one spec: lightweight-cnn x {dynamic, fixed-top-n}, a Sobol search
# of 27 learning rates (log-uniform over [1e-5, 1e-2]), 9 epochs, patience 3, and successive halving inside each
# cell (pruning: asha, reduction 3, minEpochs 1). --no-pruning leaves that block out of the spec and changes nothing
# else: our full grid against Optuna's pruning (the default needs a CLI whose spec parser knows `pruning:`).
# Optuna's (optuna_peer.py, one process): per cell one study on SQLite RDB storage with SuccessiveHalvingPruner
# (min_resource 1, reduction_factor 3), trying the same 27 configurations in the same order (enqueued) on the same
# curves; the plan (configurations in plan order and their curves) comes from the SearchBench helper here.
# Prints a markdown table, one row per tool: epochs spent (EpochCompleted events of the sweep's trials; Optuna: the
# epochs its objective ran), the full grid's epochs (configurations x budget), the saving, the best learning rate each
# cell found (with its final validation loss, and whether it is the known best of the 27), and the wall time of the
# process (`sweep run` from start to exit; the Python process, import of Optuna included).
# Builds the CLI, the test engine and the helper (Release) first; NO_BUILD=1 uses those already built. KEEP=1 keeps
# the work folder (spec, store, logs, JSON). Needs: the .NET SDK, jq, python3-optuna (Debian; PYTHON=/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../../.."
budget=9 reduction=3 min_epochs=1 name=search-bench
pruning="pruning: { kind: asha, reduction: $reduction, minEpochs: $min_epochs }"
ours_tool="orchestrator (asha, 2 workers)"
if [ "${1:-}" = --no-pruning ]; then pruning="" ours_tool="orchestrator (full grid, 2 workers)"; shift; fi
seconds=${1:-0.05}
python=${PYTHON:-/usr/bin/python3}

if [ "${NO_BUILD:-}" != 1 ]; then
  for project in src/Orchestrator.Cli tests/Orchestrator.TestEngine tests/benchmarks/SearchBench; do
    echo "building $project ..." >&2
    dotnet build "$project" -c Release >/tmp/searchbench-build.log 2>&1 || { tail -n 20 /tmp/searchbench-build.log >&2; exit 1; }
  done
fi
cli=$PWD/src/Orchestrator.Cli/bin/Release/net10.0/orchestrator.dll
helper=$PWD/tests/benchmarks/SearchBench/bin/Release/net10.0/SearchBench.dll
export ORCHESTRATOR_ENGINE_PLUGIN=$PWD/tests/Orchestrator.TestEngine/bin/Release/net10.0/Orchestrator.TestEngine.dll
export ORCHESTRATOR_TEST_ENGINE=curve:$seconds
unset ORCHESTRATOR_STORE # the store is the work folder's own

work=$(mktemp -d /tmp/orchestrator-searchbench.XXXXXX)
cleanup() { if [ "${KEEP:-}" = 1 ]; then echo "KEEP=1: everything is in $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT
orchestrator() { (cd "$work" && dotnet "$cli" "$@"); }
now() { date +%s.%N; }

cat >"$work/spec.yaml" <<SPEC
name: $name
data: { path: data, synthesize: { images: 84, size: 16, seed: 1 } }
backbones: [lightweight-cnn]
strategies: [dynamic, fixed-top-n]
inputSize: 16
batchSize: 16
search: { kind: sobol, trials: 27, seed: 7 }
hyperparameters:
  learningRate: { logUniform: [1e-5, 1e-2] }
  patience: [3]
  epochs: [$budget]
$pruning
SPEC

echo "$ours_tool: sweep run (curve:$seconds) ..." >&2
start=$(now)
orchestrator sweep run spec.yaml --workers 2 >"$work/run.log" 2>&1 || { tail -n 20 "$work/run.log" >&2; exit 1; }
ours_wall=$(echo "$(now) - $start" | bc -l)
orchestrator sweep status "$name" --json >"$work/status.json" 2>/dev/null

echo "orchestrator: counting the epochs of $(jq '.trials | length' "$work/status.json") trials ..." >&2
jq -r '.trials[].id' "$work/status.json" | xargs -P 2 -I{} bash -c \
  'cd "$0" && dotnet "$1" trial events "$2" --json | jq -c --arg id "$2" "{id: \$id, epochs: map(select(.type == \"EpochCompleted\")) | length}"' \
  "$work" "$cli" {} >"$work/epochs.jsonl"
jq -n --slurpfile status "$work/status.json" --slurpfile epochs "$work/epochs.jsonl" --argjson wall "$ours_wall" '
  ($epochs | map({(.id): .epochs}) | add) as $spent
  | ($status[0].trials | group_by(.backbone + "/" + .strategy) | map({
      key: (.[0].backbone + "/" + .[0].strategy),
      value: (min_by(.bestValLoss) as $best
        | {epochs: (map($spent[.id]) | add), trials: length, bestLearningRate: $best.spec.learningRate, bestLoss: $best.bestValLoss}),
    }) | from_entries) as $cells
  | {cells: $cells, epochs: ($cells | map(.epochs) | add), trials: ($cells | map(.trials) | add), wallSeconds: $wall}' \
  >"$work/ours.json"

dotnet "$helper" "$work/spec.yaml" >"$work/plan.json"
# Both tools must have tried the same configurations: the planned rates are the rates of the sweep's trials.
planned=$(jq -c '[.cells[] | .name as $n | .configurations[] | "\($n) \(.learningRate)"] | sort' "$work/plan.json")
ran=$(jq -c '[.trials[] | "\(.backbone)/\(.strategy) \(.spec.learningRate)"] | sort' "$work/status.json")
[ "$planned" = "$ran" ] || { echo "the plan's configurations are not the sweep's trials: $planned vs $ran" >&2; exit 1; }

echo "optuna: $(jq '[.cells[].configurations[]] | length' "$work/plan.json") trials ..." >&2
start=$(now)
"$python" tests/benchmarks/SearchBench/optuna_peer.py "$work/plan.json" "$budget" "$reduction" "$min_epochs" "$seconds" \
  "$work/optuna.db" >"$work/optuna.json"
optuna_wall=$(echo "$(now) - $start" | bc -l)
jq --argjson wall "$optuna_wall" '.wallSeconds = $wall' "$work/optuna.json" >"$work/optuna-timed.json"

echo "curve:$seconds s per epoch, budget $budget epochs, successive halving: reduction $reduction, minEpochs $min_epochs"
echo
jq -rn --slurpfile plan "$work/plan.json" --slurpfile ours "$work/ours.json" --slurpfile optuna "$work/optuna-timed.json" \
  --arg ours_tool "$ours_tool" --argjson budget "$budget" '
  def r(n): . * pow(10; n) | round / pow(10; n);
  def tenths: r(1) | tostring | if test("[.e]") then . else . + ".0" end;
  ($plan[0].cells | map({(.name): .knownBestLearningRate}) | add) as $known
  | ($plan[0].cells | map(.name)) as $names
  | def row(tool): "| \(tool) | \(.epochs) | \(.trials * $budget) | \((1 - .epochs / (.trials * $budget)) * 100 | tenths) % | "
      + ([$names[] as $n | .cells[$n] | "\(.bestLearningRate) (loss \(.bestLoss | r(4)); known best: \(if .bestLearningRate == $known[$n] then "yes" else "no" end))"] | join(" | "))
      + " | \(.wallSeconds | tenths) s |";
  "| tool | epochs spent | full grid epochs | saving | " + ($names | map("best lr, \(.)") | join(" | ")) + " | wall time |",
  "|" + ([range(5 + ($names | length))] | map("---") | join("|")) + "|",
  ($ours[0] | row($ours_tool)),
  ($optuna[0] | row("Optuna \(.optuna) (SuccessiveHalvingPruner, 1 process)"))'
