#!/usr/bin/env bash
# Orchestration overhead against Optuna, by hand (not in CI):
#   tests/benchmarks/overhead.sh [TRIALS] [WORKERS] [EPOCHS] [SECONDS_PER_EPOCH]
# Both run TRIALS simulated trials of EPOCHS sleeps of SECONDS on WORKERS worker processes of one slot against one
# throw-away PostgreSQL server on loopback. The orchestrator is a cluster: a coordinator node and WORKERS worker
# nodes running the sleeping TEST engine plugin (tests/Orchestrator.TestEngine: per epoch a journal write through
# Akka.Persistence.Sql and a checkpoint file with SHA-256); Optuna reports one intermediate value per epoch.
# Ideal makespan = TRIALS x EPOCHS x SECONDS / WORKERS. Two ways of starting, both runners each:
#   standing: the workers are up and idle (Optuna's: imported and the study loaded) when the work appears at t0
#             (ours: the coordinator journals SweepLaunched; Optuna's: a start file appears);
#   cold:     t0 is starting the worker processes, the sweep already launched (Optuna's study already created).
# The makespan runs from t0 to the last trial's end as stored; "trials only" from the first trial's start.
# Needs: the .NET SDK, postgresql, python3-optuna, python3-psycopg2 (Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
trials=${1:-200}; workers=${2:-4}; epochs=${3:-5}; seconds=${4:-0.1}
python=${PYTHON:-/usr/bin/python3}
source tests/benchmarks/common.sh

losses=$(seq -s, 1 "$epochs" | awk -F, '{ for (i = 1; i <= NF; i++) printf "%s%.2f", (i > 1 ? "," : ""), 1 - 0.1 * i }')
export ORCHESTRATOR_TEST_ENGINE="sleep:$seconds:$losses" ORCHESTRATOR_ARTIFACTS="$work/artifacts"
ideal=$(echo "$trials * $epochs * $seconds / $workers" | bc -l)
rows=()

ours() { # MODE
  local mode=$1 db="ours_$1" port; port=$(free_port)
  psql_db postgres "CREATE DATABASE $db;" >/dev/null
  export ORCHESTRATOR_STORE="$server/$db" ORCHESTRATOR_SEEDS="127.0.0.1:$port"
  (cd "$work" && exec $cli coordinator --port "$port" >"$work/$db-coordinator.log" 2>&1) & bench_pids+=($!); local coordinator=$!
  wait_for_line "$work/$db-coordinator.log" "coordinator on .*: recovered" 120
  spec "$db" "$trials" "$epochs"
  local start pids=()
  if [ "$mode" = cold ]; then
    (cd "$work" && $cli sweep launch "$db.yaml" >/dev/null)
    start=$(now)
  fi
  # Cold workers exit once the coordinator holds no work; standing ones (started with nothing to do) are stopped
  # once every trial has completed.
  local idle=(); [ "$mode" = cold ] && idle=(--exit-when-idle)
  for i in $(seq 1 "$workers"); do
    (cd "$work" && exec $cli worker --slots 1 "${idle[@]}" >"$work/$db-worker-$i.log" 2>&1) & pids+=($!); bench_pids+=($!)
  done
  local exited=0
  if [ "$mode" = standing ]; then
    for i in $(seq 1 "$workers"); do wait_for_line "$work/$db-worker-$i.log" "worker: 1 slot" 120; done
    sleep 3 # every slot has registered and asked for work
    (cd "$work" && $cli sweep launch "$db.yaml" >/dev/null)
    start=$(psql_db "$db" "SELECT $ticks_to_unix FROM journal WHERE manifest LIKE 'SweepLaunched%' ORDER BY ordering LIMIT 1;")
    # The coordinator says when the sweep has ended (a look per second: the makespan comes from the journal).
    until grep -q "has ended: $trials completed" "$work/$db-coordinator.log"; do sleep 1; done
    # SIGTERM: background processes of a script ignore SIGINT.
    kill -TERM "${pids[@]}"
    wait "${pids[@]}" || true
  else
    wait "${pids[@]}"
    exited=$(echo "$(now) - $start" | bc -l)
  fi
  kill -TERM "$coordinator"; wait "$coordinator" || true
  local done end first
  done=$(psql_db "$db" "SELECT count(*) FROM journal WHERE manifest LIKE 'TrialCompleted%';")
  end=$(psql_db "$db" "SELECT MAX($ticks_to_unix) FROM journal WHERE manifest LIKE 'TrialCompleted%';")
  first=$(psql_db "$db" "SELECT MIN($ticks_to_unix) FROM journal WHERE manifest LIKE 'AttemptStarted%';")
  rows+=("$(row "orchestrator ($mode)" "$done" "$(echo "$end - $start" | bc -l)" "$(echo "$end - $first" | bc -l)" "$exited")")
  unset ORCHESTRATOR_STORE ORCHESTRATOR_SEEDS
}

optuna() { # MODE
  local mode=$1 db="optuna_$1"
  psql_db postgres "CREATE DATABASE $db;" >/dev/null
  local storage="postgresql+psycopg2://postgres@${server#postgres://postgres@}/$db" gate="$work/$db.go"
  $python -c "import optuna; optuna.create_study(study_name='overhead', storage='$storage', direction='minimize')" 2>/dev/null
  local start pids=() exited=0
  [ "$mode" = cold ] && start=$(now) && touch "$gate"
  for i in $(seq 1 "$workers"); do
    TZ=UTC $python tests/benchmarks/optuna_worker.py "$storage" overhead $(( trials / workers )) "$epochs" "$seconds" "$gate" \
      >"$work/$db-$i.log" 2>&1 & pids+=($!); bench_pids+=($!)
  done
  if [ "$mode" = standing ]; then
    for i in $(seq 1 "$workers"); do wait_for_line "$work/$db-$i.log" "waiting for" 120; done
    start=$(now); touch "$gate"
  fi
  wait "${pids[@]}"
  [ "$mode" = cold ] && exited=$(echo "$(now) - $start" | bc -l)
  # Optuna stores naive local times; its workers ran with TZ=UTC.
  local done end first
  done=$(psql_db "$db" "SELECT count(*) FROM trials WHERE state = 'COMPLETE';")
  end=$(psql_db "$db" "SELECT EXTRACT(EPOCH FROM MAX(datetime_complete)) FROM trials;")
  first=$(psql_db "$db" "SELECT EXTRACT(EPOCH FROM MIN(datetime_start)) FROM trials;")
  rows+=("$(row "Optuna $($python -c 'import optuna; print(optuna.__version__)') ($mode)" "$done" "$(echo "$end - $start" | bc -l)" "$(echo "$end - $first" | bc -l)" "$exited")")
}

pct() { echo "($1 / $ideal - 1) * 100" | bc -l; }
row() { # the last column only for cold starts (standing workers do not exit on their own)
  printf '| %s | %d | %.2f | %.1f%% | %.2f | %.1f%% | %s |' "$1" "$2" "$3" "$(pct "$3")" "$4" "$(pct "$4")" \
    "$([ "$5" = 0 ] && echo - || printf '%.2f' "$5")"
}

# MODES="standing" or RUNNERS="ours" narrow a look (the ratio lines need both runners in both modes).
for mode in ${MODES:-standing cold}; do for runner in ${RUNNERS:-ours optuna}; do "$runner" "$mode"; done; done

printf '\n%d trials x %d epochs x %ss on %d workers; ideal makespan %.2fs\n' "$trials" "$epochs" "$seconds" "$workers" "$ideal"
printf '| runner (start) | trials completed | makespan (s) | overhead | first trial start to last trial end (s) | overhead | every worker exited (s, cold) |\n|---|---|---|---|---|---|---|\n'
printf '%s\n' "${rows[@]}"
if [ "${MODES:-standing cold}/${RUNNERS:-ours optuna}" = "standing cold/ours optuna" ]; then for i in 0 2; do
  ours=$(echo "${rows[$i]}" | awk -F'|' '{ print $4 }'); theirs=$(echo "${rows[$((i + 1))]}" | awk -F'|' '{ print $4 }')
  printf 'ours / Optuna makespan (%s): %.3f; overhead ours / Optuna: %.2f\n' "$([ "$i" = 0 ] && echo standing || echo cold)" \
    "$(echo "$ours / $theirs" | bc -l)" "$(echo "($ours - $ideal) / ($theirs - $ideal)" | bc -l)"
done; fi
