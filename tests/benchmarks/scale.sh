#!/usr/bin/env bash
# The coordinator at scale, simulated, by hand (not in CI):
#   tests/benchmarks/scale.sh [TRIALS] [WORKERS] [SLOTS] [SECONDS_PER_EPOCH]
# TRIALS one-epoch trials of the sleeping TEST engine on WORKERS worker processes of SLOTS slots each, two
# coordinator nodes, one throw-away PostgreSQL on loopback. When half of the trials have completed, the node of the
# coordinator singleton is killed with SIGKILL; the singleton moves to the second coordinator node, which recovers
# from its latest snapshot and the events after it. Prints the recovery time, the dispatch gap, the trials/s
# dispatched, and checks that every trial was started once and completed once.
set -euo pipefail
cd "$(dirname "$0")/../.."
trials=${1:-10000}; workers=${2:-8}; slots=${3:-4}; seconds=${4:-0.1}
source tests/benchmarks/common.sh

export ORCHESTRATOR_TEST_ENGINE="sleep:$seconds:0.5" ORCHESTRATOR_ARTIFACTS="$work/artifacts"
psql_db postgres "CREATE DATABASE scale;" >/dev/null
port1=$(free_port); port2=$(free_port)
export ORCHESTRATOR_STORE="$server/scale" ORCHESTRATOR_SEEDS="127.0.0.1:$port1,127.0.0.1:$port2"
(cd "$work" && exec $cli coordinator --port "$port1" >"$work/coordinator-1.log" 2>&1) & bench_pids+=($!); first=$!
wait_for_line "$work/coordinator-1.log" "coordinator on .*: recovered" 120
(cd "$work" && exec $cli coordinator --port "$port2" >"$work/coordinator-2.log" 2>&1) & bench_pids+=($!)
wait_for_line "$work/coordinator-2.log" " is up" 120
pids=()
for i in $(seq 1 "$workers"); do
  (cd "$work" && exec $cli worker --slots "$slots" --exit-when-idle >"$work/worker-$i.log" 2>&1) & pids+=($!); bench_pids+=($!)
done
for i in $(seq 1 "$workers"); do wait_for_line "$work/worker-$i.log" "worker: $slots slot" 180; done
sleep 3 # every slot has registered and asked for work

spec scale "$trials" 1
echo "launching $trials trials on $workers workers x $slots slots ..." >&2
(cd "$work" && $cli sweep launch scale.yaml)
completed() { psql_db scale "SELECT count(*) FROM journal WHERE manifest LIKE 'TrialCompleted%';"; }
until [ "$(completed)" -ge $(( trials / 2 )) ]; do sleep 0.2; done
kill -9 "$first"; killed=$(now)
echo "coordinator 1 killed with $(completed) of $trials trials completed" >&2
wait_for_line "$work/coordinator-2.log" "coordinator on .*: recovered" 120
deadline=$(( $(date +%s) + 1800 ))
until [ "$(completed)" -ge "$trials" ]; do
  if [ "$(date +%s)" -gt "$deadline" ]; then echo "the sweep did not complete within 30 minutes" >&2; exit 1; fi
  sleep 1
done
wait "${pids[@]}"

q() { psql_db scale "$1"; }
launched=$(q "SELECT $ticks_to_unix FROM journal WHERE manifest LIKE 'SweepLaunched%' ORDER BY ordering LIMIT 1;")
last=$(q "SELECT MAX($ticks_to_unix) FROM journal WHERE manifest LIKE 'TrialCompleted%';")
assigned=$(q "SELECT count(*) FROM journal WHERE manifest LIKE 'TrialAssigned%';")
first_after=$(q "SELECT MIN($ticks_to_unix) FROM journal WHERE manifest LIKE 'TrialAssigned%' AND $ticks_to_unix > $killed;")
started_twice=$(q "SELECT count(*) FROM (SELECT persistence_id FROM journal WHERE manifest LIKE 'AttemptStarted%' GROUP BY persistence_id HAVING count(*) > 1) t;")
completed_trials=$(q "SELECT count(DISTINCT persistence_id) FROM journal WHERE manifest LIKE 'TrialCompleted%';")
completions=$(completed)
recovery=$(grep -Eo "recovered in [0-9]+ ms \(snapshot at event [0-9]+, then [0-9]+ event\(s\)\)" "$work/coordinator-2.log" | head -n 1)
gap=$(echo "$first_after - $killed" | bc -l)
makespan=$(echo "$last - $launched" | bc -l)
ideal=$(echo "$trials * $seconds / ($workers * $slots)" | bc -l)
printf '\n%d one-epoch trials of %ss on %d workers x %d slots (ideal %.1f s)\n' "$trials" "$seconds" "$workers" "$slots" "$ideal"
printf 'coordinator 2 %s\n' "$recovery"
printf 'kill -9 of coordinator 1 to its successor'"'"'s first assignment: %.1f s (failure detection and the split-brain resolver'"'"'s stable-after included)\n' "$gap"
printf 'launch to last completion: %.1f s; %.1f trials/s dispatched overall (%d assignments), %.1f trials/s outside the failover gap\n' \
  "$makespan" "$(echo "$trials / $makespan" | bc -l)" "$assigned" "$(echo "$trials / ($makespan - $gap)" | bc -l)"
printf 'trials completed: %d (completion events %d); trials started more than once: %d\n' "$completed_trials" "$completions" "$started_twice"
[ "$completed_trials" -eq "$trials" ] && [ "$completions" -eq "$trials" ] && [ "$started_twice" -eq 0 ] \
  || { echo "FAILED: not every trial was run exactly once to completion" >&2; exit 1; }
