#!/usr/bin/env bash
# Seed the fuzz corpus with every golden input: fuzz/corpus/pipeline/<case>.yaml
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/pipeline
for f in ../golden/*/input.yaml; do
  case_name=$(basename "$(dirname "$f")")
  cp "$f" "corpus/pipeline/golden-$case_name.yaml"
done
echo "seeded $(ls corpus/pipeline | wc -l) files into fuzz/corpus/pipeline"
