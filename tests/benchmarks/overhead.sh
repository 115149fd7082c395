#!/usr/bin/env bash
# Orchestration overhead against Optuna, by hand (not in CI):
#   tests/benchmarks/overhead.sh [TRIALS] [WORKERS] [EPOCHS] [SECONDS_PER_EPOCH]
# Both run TRIALS simulated trials of EPOCHS sleeps of SECONDS on WORKERS worker processes against one
# throw-away PostgreSQL server on loopback (scripts/pg-test-server.sh). The orchestrator runs the sleeping TEST
# engine plugin (tests/Orchestrator.TestEngine: per epoch a journal write through Akka.Persistence.Sql and a
# checkpoint file with SHA-256; leases renewed by the coordinator); Optuna reports one
# intermediate value per epoch. Ideal makespan = TRIALS x EPOCHS x SECONDS / WORKERS.
# The CLI is published self-contained with the framework and the app precompiled into one ReadyToRun image (about
# 1.5 minutes, 120 MB), so a worker starts in about 0.12 s of CPU instead of spending it in the JIT.
# R2R=off publishes a plain framework-dependent build instead (minutes less to wait, slower worker start-up).
# Needs: the .NET SDK, postgresql, python3-optuna, python3-psycopg2 (Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
trials=${1:-200}; workers=${2:-4}; epochs=${3:-5}; seconds=${4:-0.1}
python=${PYTHON:-/usr/bin/python3}

work=$(mktemp -d /tmp/orchestrator-bench.XXXXXX)
if [ "${R2R:-composite}" = "composite" ]; then
  dotnet publish src/Orchestrator.Cli -c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true \
    -o "$work/cli" >"$work/publish.log" 2>&1 \
    || { tail -n 20 "$work/publish.log" >&2; exit 1; }
else
  # R2R=off: the plain Release build (the composite image of the Akka assemblies takes crossgen2 well over 15 minutes here).
  dotnet publish src/Orchestrator.Cli -c Release -o "$work/cli" >"$work/publish.log" 2>&1 \
    || { tail -n 20 "$work/publish.log" >&2; exit 1; }
fi
cli="$work/cli/orchestrator"
dotnet build tests/Orchestrator.TestEngine -c Release -o "$work/engine" >"$work/engine.log" 2>&1 \
  || { tail -n 20 "$work/engine.log" >&2; exit 1; }
export ORCHESTRATOR_ENGINE_PLUGIN="$work/engine/Orchestrator.TestEngine.dll"
pg=$(mktemp -d /tmp/orchestrator-bench-pg.XXXXXX)
url=$(scripts/pg-test-server.sh start "$pg")
trap 'scripts/pg-test-server.sh stop "$pg" >/dev/null 2>&1; rm -rf "$work" "$pg"' EXIT
server=${url%/*}
psql_db() { "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql" -qtA -h 127.0.0.1 -p "${server##*:}" -U postgres -d "$1" -c "$2"; }
psql_cmd() { psql_db postgres "$1" >/dev/null; }
psql_cmd "CREATE DATABASE ours;"
psql_cmd "CREATE DATABASE optuna;"
now() { date +%s.%N; }

# ---- ours ----
seeds=$(seq -s, 1 "$trials")
cat >"$work/spec.yaml" <<SPEC
name: overhead
data: { path: $work/data, synthesize: { images: 140, size: 16, seed: 1 } }
backbones: [lightweight-cnn]
strategies: [fixed-top-n]
seeds: [$seeds]
inputSize: 16
batchSize: 16
hyperparameters: { patience: [2], epochs: [$epochs], fixedTopN: [1] }
SPEC
losses=$(seq -s, 1 "$epochs" | awk -F, '{ for (i = 1; i <= NF; i++) printf "%s%.2f", (i > 1 ? "," : ""), 1 - 0.1 * i }')
export ORCHESTRATOR_STORE="$server/ours" ORCHESTRATOR_ARTIFACTS="$work/artifacts"
(cd "$work" && $cli sweep launch spec.yaml >/dev/null)
start=$(now)
pids=()
for i in $(seq 1 "$workers"); do
  (cd "$work" && ORCHESTRATOR_TEST_ENGINE="sleep:$seconds:$losses" $cli worker --slots 1 --exit-when-idle --poll 0.2 >"$work/ours-$i.log" 2>&1) &
  pids+=($!)
done
wait "${pids[@]}"
ours_exit=$(echo "$(now) - $start" | bc -l)
completed=$(cd "$work" && $cli sweep status overhead --json | grep -c '"status": "completed"' || true)
unset ORCHESTRATOR_STORE
# Journaled times (UTC ticks): the makespan runs from starting the workers to the last trial's end; "trials only"
# from the first trial's start, so process start-up is excluded.
ours_end=$(psql_db ours "SELECT (MAX(created) - 621355968000000000) / 1e7 FROM journal WHERE manifest LIKE 'TrialCompleted%';")
ours=$(echo "$ours_end - $start" | bc -l)
ours_trials=$(psql_db ours "SELECT (MAX(created) FILTER (WHERE manifest LIKE 'TrialCompleted%') - MIN(created) FILTER (WHERE manifest LIKE 'TrialStarted%')) / 1e7 FROM journal;")

# ---- Optuna ----
optuna_url="postgresql+psycopg2://postgres@${server#postgres://postgres@}/optuna"
$python -c "import optuna; optuna.create_study(study_name='overhead', storage='$optuna_url', direction='minimize')" 2>/dev/null
per_worker=$(( trials / workers ))
start=$(now)
pids=()
for i in $(seq 1 "$workers"); do
  TZ=UTC $python tests/benchmarks/optuna_worker.py "$optuna_url" overhead "$per_worker" "$epochs" "$seconds" >"$work/optuna-$i.log" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
theirs_exit=$(echo "$(now) - $start" | bc -l)
# Optuna stores naive local times; its workers ran with TZ=UTC.
theirs_end=$(psql_db optuna "SELECT EXTRACT(EPOCH FROM MAX(datetime_complete)) FROM trials;")
theirs=$(echo "$theirs_end - $start" | bc -l)
theirs_trials=$(psql_db optuna "SELECT EXTRACT(EPOCH FROM MAX(datetime_complete) - MIN(datetime_start)) FROM trials;")
optuna_done=$($python -c "import optuna; s = optuna.load_study(study_name='overhead', storage='$optuna_url'); print(sum(t.state.name == 'COMPLETE' for t in s.trials))")

ideal=$(echo "$trials * $epochs * $seconds / $workers" | bc -l)
printf '\n%d trials x %d epochs x %ss on %d workers; ideal makespan %.2fs\n' "$trials" "$epochs" "$seconds" "$workers" "$ideal"
pct() { echo "($1 / $ideal - 1) * 100" | bc -l; }
printf '| runner | trials completed | makespan: workers started to last trial end (s) | overhead | first trial start to last trial end (s) | overhead | every worker exited (s) |\n|---|---|---|---|---|---|---|\n'
printf '| orchestrator | %d | %.2f | %.1f%% | %.2f | %.1f%% | %.2f |\n' "$completed" "$ours" "$(pct "$ours")" "$ours_trials" "$(pct "$ours_trials")" "$ours_exit"
printf '| Optuna %s (RDB storage) | %d | %.2f | %.1f%% | %.2f | %.1f%% | %.2f |\n' "$($python -c 'import optuna; print(optuna.__version__)')" \
  "$optuna_done" "$theirs" "$(pct "$theirs")" "$theirs_trials" "$(pct "$theirs_trials")" "$theirs_exit"
printf 'ours / Optuna: makespan %.3f, trials only %.3f, every worker exited %.3f\n' "$(echo "$ours / $theirs" | bc -l)" \
  "$(echo "$ours_trials / $theirs_trials" | bc -l)" "$(echo "$ours_exit / $theirs_exit" | bc -l)"
