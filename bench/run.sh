#!/usr/bin/env bash
# Build release, generate the trees, run every measurement, print one table.
# Usage: bench/run.sh [--files N] [--runs N] [--skip-ruamel]   (defaults: 10000 files, 3 runs)
# Needs ../shared (gen_corpus.py, ruamel_fix.py); installs ruamel.yaml into bench/.work/venv.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
cargo bench --locked --no-run --quiet --bench parse_floor 2>/dev/null
exec python3 bench/bench.py "$@"
