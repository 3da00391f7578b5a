#!/usr/bin/env bash
# Validate `kube-rofs diff --format rdjsonl` output with an independent implementation of
# reviewdog's Diagnostic format: the npm package @umbrelladocs/rdformat-validator (JSON schema of
# reviewdog.proto, strict mode, no extra fields). Every line must be one Diagnostic object that
# the validator accepts without errors or warnings.
#
# Usage: .ci/validate-rdjsonl.sh [PATH...]   (default: golden)
# Needs cargo, node >= 18 and npm (registry access on the first run). The validator is installed
# once into target/ci/ (or $RDFORMAT_VALIDATOR_DIR) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.0.1
dir="${RDFORMAT_VALIDATOR_DIR:-target/ci/rdformat-validator-$version}"
if [ ! -f "$dir/node_modules/@umbrelladocs/rdformat-validator/package.json" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
    "@umbrelladocs/rdformat-validator@$version" >&2
fi

[ "$#" -gt 0 ] || set -- golden
cargo build --quiet --locked
out="$(mktemp)"
err="$(mktemp)"
trap 'rm -f "$out" "$err"' EXIT
# diff exits 1 when there are changes and 2 when an input cannot be read (golden has invalid YAML
# on purpose); the diagnostics of the other files are printed either way. A crash is a failure.
status=0
"${CARGO_TARGET_DIR:-target}/debug/kube-rofs" diff --format rdjsonl -- "$@" > "$out" 2> "$err" || status=$?
if [ "$status" -gt 2 ]; then
  cat "$err" >&2
  echo "validate-rdjsonl: kube-rofs diff exited $status" >&2
  exit 1
fi

node - "$dir/node_modules/@umbrelladocs/rdformat-validator" "$out" <<'JS'
const fs = require('fs');
const { validate } = require(require('path').resolve(process.argv[2]));
const options = { strictMode: true, allowExtraFields: false };

async function problems(line) {
  let value;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return [`not JSON: ${e.message}`];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || 'diagnostics' in value) {
    return ['not a single Diagnostic object'];
  }
  const r = await validate(line, options);
  return [...r.errors, ...r.warnings].map((e) => `${e.path || '(root)'}: ${e.message}`);
}

(async () => {
  // The validator must reject what reviewdog would: a validator that accepts anything proves nothing.
  const bad = '{"message":"m","location":{"path":"a.yaml"},"severity":"WARN"}';
  if ((await problems(bad)).length === 0) {
    console.error('validate-rdjsonl: the validator accepted an invalid severity; it is not validating');
    process.exit(1);
  }
  const lines = fs.readFileSync(process.argv[3], 'utf8').split('\n');
  if (lines.pop() !== '') {
    console.error('validate-rdjsonl: the output does not end with a newline');
    process.exit(1);
  }
  let invalid = 0;
  for (const [i, line] of lines.entries()) {
    for (const p of await problems(line)) {
      invalid += 1;
      console.error(`line ${i + 1}: ${p}`);
    }
  }
  if (lines.length === 0) {
    console.error('validate-rdjsonl: no diagnostics to validate');
    process.exit(1);
  }
  if (invalid > 0) {
    console.error(`validate-rdjsonl: ${invalid} problems in ${lines.length} diagnostics`);
    process.exit(1);
  }
  console.log(`validate-rdjsonl: ${lines.length} diagnostics valid (@umbrelladocs/rdformat-validator, strict)`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
JS
