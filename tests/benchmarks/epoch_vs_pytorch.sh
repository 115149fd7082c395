#!/usr/bin/env bash
# Seconds per epoch of the engine with the frozen-prefix feature cache on and off, against PyTorch's idiomatic
# fine-tuning loop (Debian's /usr/bin/python3 with torch 1.13 + torchvision 0.14), at m = 0, L/2 and L, for the
# lightweight CNN and the paper's seven backbones at the demo's input sizes; prints ours/PyTorch ratios.
# Run by hand, not in CI (minutes):
#   tests/benchmarks/epoch_vs_pytorch.sh [--batch 32] [--threads 2] [--train 560] [--val 70] [--epochs 3] [--archs a,b]
PEER_SCRIPT=epoch_vs_pytorch.py exec "$(dirname "$0")/engine_vs_pytorch.sh" "$@"
