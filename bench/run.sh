#!/usr/bin/env bash
# Build release, generate the trees, run every measurement, print one table.
# Usage: bench/run.sh [--files N] [--runs N] [--skip-ruamel] [--big-mb N] [--flow-mb N]
#   (defaults: 2000 files, about 8 MB; 3 interleaved runs; a 50 MB file; 23 MB of flow-style pods,
#   as documents and as one List)
# Needs ../shared (gen_corpus.py, ruamel_fix.py, peers/node_yaml_fix.mjs with its package.json
# and package-lock.json); installs ruamel.yaml into bench/.work/venv and the npm fixer with
# `npm ci` into bench/.work/npm (Node and npm; without them, or offline, the table says so).
# Peak RSS is measured with GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
cargo bench --locked --no-run --quiet --bench parse_floor 2>/dev/null
exec python3 bench/bench.py "$@"
