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

# One line per test assembly looks like: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
awk -F'[:,]' '/(Passed|Failed)! +- Failed:/ {
    for (i = 1; i <= NF; i++) {
      gsub(/ /, "", $i)
      if ($i ~ /Failed$/) f += $(i+1); else if ($i == "Passed") p += $(i+1); else if ($i == "Skipped") s += $(i+1); else if ($i == "Total") t += $(i+1)
    }
  }
  END { printf "TEST SUMMARY: %d passed, %d failed, %d skipped, %d total\n", p, f, s, t }' "$log"
rm -f "$log"
exit "$status"
