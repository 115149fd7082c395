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
dotnet test Orchestrator.sln -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Each test assembly ends with "Total tests: N", "Passed: N", "Failed: N", "Skipped: N" lines.
awk '/^Total tests:/ { t += $3 } /^ +Passed:/ { p += $2 } /^ +Failed:/ { f += $2 } /^ +Skipped:/ { s += $2 }
  END { printf "TEST SUMMARY: %d passed, %d failed, %d skipped, %d total\n", p, f, s, t }' "$log"
rm -f "$log"
exit "$status"
