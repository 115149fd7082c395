#!/bin/sh
# `npm ci` of the dashboard's pinned packages (SRC/package.json and package-lock.json) into DIR, once per lock: the
# lock it installed is kept as DIR/node_modules/.orchestrator-installed. build/dashboard-assets.targets runs it under
# flock, so that two builds of the project at once do not install over each other.
# Usage: dashboard-npm.sh SRC DIR
set -eu
src=$1
dir=$2
stamp="$dir/node_modules/.orchestrator-installed"
if cmp -s "$src/package-lock.json" "$stamp"; then
  touch "$stamp"
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dir/"
cd "$dir"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
