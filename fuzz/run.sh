#!/usr/bin/env bash
# Fuzz the pipeline for SECONDS of wall time (default 1800), restarting libFuzzer after each
# crash so one bug does not end the run. Crashes land in fuzz/artifacts/pipeline/.
# Usage: fuzz/run.sh [SECONDS] [extra libFuzzer flags, e.g. -fork=1 -ignore_crashes=1]
# KUBE_ROFS_FUZZ_STRICT=1 also counts verification failures as crashes (see the target).
# Needs `cargo install cargo-fuzz`; RUSTC_BOOTSTRAP=1 lets the stable toolchain build it.
set -euo pipefail
cd "$(dirname "$0")"
total=${1:-1800}
shift || true
./seed.sh
export RUSTC_BOOTSTRAP=1
cargo fuzz build pipeline
end=$((SECONDS + total))
while (( SECONDS < end )); do
  left=$((end - SECONDS))
  cargo fuzz run pipeline -- -max_total_time="$left" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
    -dict=pipeline.dict -print_final_stats=1 "$@" || echo "=== libFuzzer exited with $?, restarting"
done
