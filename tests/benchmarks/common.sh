# Sourced by the cluster benchmarks (overhead.sh, scale.sh): publishes the CLI and the sleeping TEST engine into
# $work, starts a throw-away PostgreSQL server on loopback (scripts/pg-test-server.sh) and stops it on exit.
# Sets: work, cli, server (postgres://postgres@127.0.0.1:PORT), ORCHESTRATOR_ENGINE_PLUGIN, ORCHESTRATOR_AKKA_CONFIG;
# defines psql_db DB SQL, now, free_port, wait_for_line FILE REGEX SECONDS, spec NAME TRIALS EPOCHS.
# KEEP=1 leaves the logs and the database server for a look afterwards. PUBLISHED=DIR copies the CLI and the engine
# from DIR/cli and DIR/engine (a kept run's folder) instead of publishing them again.
# R2R=on publishes ReadyToRun, as the worker image does (framework-dependent): less of the trial path is compiled
# when the first trial comes (measured: it started 0.37 s after the launch instead of 0.75 s).
work=$(mktemp -d /tmp/orchestrator-bench.XXXXXX)
echo "publishing the CLI and the test engine into $work ..." >&2
r2r=(); [ "${R2R:-off}" = "on" ] && r2r=(-r linux-x64 --self-contained false -p:PublishReadyToRun=true)
if [ -n "${PUBLISHED:-}" ]; then
  cp -r "$PUBLISHED/cli" "$PUBLISHED/engine" "$work/"
else
  dotnet publish src/Orchestrator.Cli -c Release "${r2r[@]}" -o "$work/cli" >"$work/publish.log" 2>&1 \
    || { tail -n 20 "$work/publish.log" >&2; exit 1; }
  dotnet build tests/Orchestrator.TestEngine -c Release -o "$work/engine" >"$work/engine.log" 2>&1 \
    || { tail -n 20 "$work/engine.log" >&2; exit 1; }
fi
cli="$work/cli/orchestrator"
export ORCHESTRATOR_ENGINE_PLUGIN="$work/engine/Orchestrator.TestEngine.dll"
# Failure detection sized like the tests' (seconds, not the production 10 s pause and 20 s stable-after), so that
# a benchmark that kills a node measures the orchestrator, not the waiting.
cat >"$work/akka.conf" <<'CONF'
akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
akka.cluster.split-brain-resolver.stable-after = 3s
akka.cluster.singleton.hand-over-retry-interval = 500ms
CONF
export ORCHESTRATOR_AKKA_CONFIG="$work/akka.conf"
pg=$(mktemp -d /tmp/orchestrator-bench-pg.XXXXXX)
url=$(scripts/pg-test-server.sh start "$pg")
bench_pids=()
cleanup() {
  for p in "${bench_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${KEEP:-}" = 1 ]; then echo "KEEP=1: logs in $work, PostgreSQL at $server (stop: scripts/pg-test-server.sh stop $pg)" >&2; return; fi
  scripts/pg-test-server.sh stop "$pg" >/dev/null 2>&1; rm -rf "$work" "$pg"
}
trap cleanup EXIT
server=${url%/*}
psql_db() { "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql" -qtA -h 127.0.0.1 -p "${server##*:}" -U postgres -d "$1" -c "$2"; }
now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for_line() { # FILE REGEX SECONDS
  local deadline=$(( $(date +%s) + $3 ))
  until grep -Eq "$2" "$1" 2>/dev/null; do
    if [ "$(date +%s)" -gt "$deadline" ]; then echo "no line matching '$2' in $1 within $3 s:" >&2; tail -n 20 "$1" >&2; exit 1; fi
    sleep 0.1
  done
}
# Journal times are UTC ticks (100 ns since 0001-01-01); this is them in Unix seconds.
ticks_to_unix="(created - 621355968000000000) / 1e7"
# A sweep spec $work/NAME.yaml of TRIALS trials (one per seed) of EPOCHS epochs at most, fixed-top-n.
spec() {
  cat >"$work/$1.yaml" <<SPEC
name: $1
data: { path: $work/data, synthesize: { images: 140, size: 16, seed: 1 } }
backbones: [lightweight-cnn]
strategies: [fixed-top-n]
seeds: [$(seq -s, 1 "$2")]
inputSize: 16
batchSize: 16
hyperparameters: { patience: [2], epochs: [$3], fixedTopN: [1] }
SPEC
}
