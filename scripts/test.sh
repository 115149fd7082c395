#!/usr/bin/env bash
# Builds the solution and runs every test project; prints one summary line for the whole suite.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
dotnet build Orchestrator.sln -c Release -nologo -v q 2>&1 | tail -n 3
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "build failed"; exit "$status"
fi
# A real PostgreSQL server on loopback for the PostgreSQL store and cluster tests; stopped on exit.
pg_dir=$(mktemp -d /tmp/orchestrator-test-pg.XXXXXX)
if pg_url=$(scripts/pg-test-server.sh start "$pg_dir"); then
  export ORCHESTRATOR_TEST_PG="$pg_url"
  echo "PostgreSQL test server: $pg_url"
else
  echo "WARNING: no PostgreSQL test server could be started; PostgreSQL tests will be SKIPPED" >&2
fi
trap 'scripts/pg-test-server.sh stop "$pg_dir" >/dev/null 2>&1; rm -rf "$pg_dir"' EXIT

# The CLI's tests start clusters of real processes and wait on them: they run after the other assemblies (which run
# side by side), not beside them, so that their timing does not depend on what else loads the two cores.
others=$(mktemp --suffix=.slnf)
projects=$(ls tests/*/*.Tests.csproj | grep -v Orchestrator.Cli.Tests | sed 's/.*/"&"/' | paste -sd,)
echo "{\"solution\": {\"path\": \"$PWD/Orchestrator.sln\", \"projects\": [$projects]}}" > "$others"
dotnet test "$others" -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
rm -f "$others"
dotnet test tests/Orchestrator.Cli.Tests -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee -a "$log"
cli_status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && status=$cli_status
# The nemesis last, alone: a few seeded rounds of faults against a real cluster of processes, then its invariants.
dotnet test tests/nemesis/Orchestrator.Nemesis.Tests -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee -a "$log"
nemesis_status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && status=$nemesis_status

# Each test assembly ends with "Total tests: N", "Passed: N", "Failed: N", "Skipped: N" lines.
awk '/^Total tests:/ { t += $3 } /^ +Passed:/ { p += $2 } /^ +Failed:/ { f += $2 } /^ +Skipped:/ { s += $2 }
  END { printf "TEST SUMMARY: %d passed, %d failed, %d skipped, %d total\n", p, f, s, t }' "$log"
# The failures again, after the summary, so that the tail of a long CI log names them and says why.
if grep -q '^ *Failed ' "$log"; then
  echo "FAILED TESTS:"
  awk '/^ *Failed / { print; n = 8; next } n > 0 && /^ *Passed / { n = 0 } n > 0 { print; n-- }' "$log"
fi
rm -f "$log"
exit "$status"
