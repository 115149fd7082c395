#!/usr/bin/env bash
# Training and inference throughput of the engine (`orchestrator bench engine`) against PyTorch (Debian's
# /usr/bin/python3 with torch 1.13 + torchvision 0.14) for the paper's seven backbones; prints ours/PyTorch ratios.
# Run by hand, not in CI (minutes per backbone on a small machine):
#   tests/benchmarks/engine_vs_pytorch.sh [--size 128] [--batch 16] [--threads 2] [--steps 5] [--rounds 2] [--archs a,b]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cli="$root/src/Orchestrator.Cli/bin/Release/net10.0/orchestrator"
if [ ! -x "$cli" ]; then dotnet build "$root/src/Orchestrator.Cli" -c Release >&2; fi
# PEER_SCRIPT: another measurement against the same peer (epoch_vs_pytorch.sh sets it).
exec /usr/bin/python3 "$root/tests/benchmarks/${PEER_SCRIPT:-engine_vs_pytorch.py}" --cli "$cli" \
  --xception-reference "$root/tests/Orchestrator.Engine.Tests/XceptionReference.cs" "$@"
