#!/usr/bin/env bash
# The pre-commit hooks of .pre-commit-hooks.yaml, end to end with the real pre-commit (from PyPI,
# in a venv): `pre-commit try-repo` builds this crate with `cargo install` (language: rust) and
# runs the hooks in a scratch git repository.
#
# try-repo clones a repository at a commit, so this script first commits a snapshot of the
# working tree (tracked and untracked files, .gitignore respected) to target/ci/pre-commit/repo:
# what is tested is what is on disk, committed or not (in CI, a fresh clone, that is HEAD).
# try-repo builds in a throwaway store each time; cargo's target directory under
# target/ci/pre-commit keeps the build between runs: the first one takes a minute or two, later
# ones seconds.
#
# Needs python3 (with venv), git, cargo, PyPI and crates.io. Prints `ok: ...` per check; on a
# failure, what was expected, what happened and pre-commit's output, then exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$root/target/ci/pre-commit
pre_commit_version=4.7.0
mkdir -p "$work"

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$work/last-output" ]; then
        echo "---- pre-commit output:" >&2
        cat "$work/last-output" >&2
        echo "----" >&2
    fi
    exit 1
}
ok() { echo "ok: $*"; }

# ---- pre-commit itself, from PyPI.
command -v python3 >/dev/null || fail "python3 is needed to install pre-commit"
if [ "$("$work/venv/bin/pre-commit" --version 2>/dev/null)" != "pre-commit $pre_commit_version" ]; then
    rm -rf "$work/venv"
    python3 -m venv "$work/venv" || fail "python3 -m venv (is the venv module installed?)"
    "$work/venv/bin/pip" install --quiet --disable-pip-version-check "pre-commit==$pre_commit_version" \
        || fail "pip install pre-commit==$pre_commit_version"
fi
pre_commit=$work/venv/bin/pre-commit
# Nothing in ~/.cache/pre-commit.
export PRE_COMMIT_HOME=$work/home
# For the `cargo install` that pre-commit runs (set on try-repo only): a target directory kept
# between snapshots, and an unoptimised incremental build, since what is tested is the hook
# plumbing and the bytes written, not speed (minutes less on two cores).
hook_build_env=(
    CARGO_TARGET_DIR="$work/cargo-target"
    CARGO_PROFILE_RELEASE_OPT_LEVEL=0
    CARGO_PROFILE_RELEASE_DEBUG=false
    CARGO_PROFILE_RELEASE_INCREMENTAL=true
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
)
ok "$("$pre_commit" --version)"

"$pre_commit" validate-manifest .pre-commit-hooks.yaml > "$work/last-output" 2>&1 \
    || fail "pre-commit validate-manifest .pre-commit-hooks.yaml"
ok "validate-manifest .pre-commit-hooks.yaml"

# ---- The reference: this tree's binary, as `fix` would run it.
cargo build --locked --quiet --bin kube-rofs
kube_rofs=$(realpath "${CARGO_TARGET_DIR:-target}/debug/kube-rofs")

# ---- A deterministic commit of the working tree.
snapshot=$work/repo
rm -rf "$snapshot"
mkdir -p "$snapshot"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done \
    | tar --null -T - -cf - | tar -xf - -C "$snapshot"
snapshot_git() {
    GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z \
        git -C "$snapshot" -c user.name=ci -c user.email=ci@localhost -c commit.gpgsign=false "$@"
}
snapshot_git init --quiet --initial-branch=main
snapshot_git add --all
snapshot_git commit --quiet -m snapshot
ok "snapshot of the working tree: $(git -C "$snapshot" rev-parse HEAD)"

# ---- A user's repository.
repo=$work/user-repo
rm -rf "$repo"
mkdir -p "$repo/k8s" "$repo/.hidden"
cd "$repo"
git init --quiet --initial-branch=main
git config user.name ci
git config user.email ci@localhost
git config commit.gpgsign false
writable() {
    printf '%s\n' "apiVersion: apps/v1" "kind: Deployment" "metadata:" "  name: $1" "spec:" "  template:" \
        "    spec:" "      containers:" "      # the app" "      - name: app" "        image: nginx:1.27  # pinned"
}
writable web > k8s/web.yaml
writable batch > k8s/batch.yml
writable hidden > .hidden/deploy.yaml
writable notes > notes.txt
git add --all

# What `kube-rofs fix` makes of each file, on copies.
mkdir -p "$work/expected"
for f in k8s/web.yaml k8s/batch.yml; do
    cp "$f" "$work/expected/$(basename "$f")"
    "$kube_rofs" fix "$work/expected/$(basename "$f")" > /dev/null
done
cp .hidden/deploy.yaml notes.txt "$work/expected/"
cmp -s k8s/web.yaml "$work/expected/web.yaml" && fail "kube-rofs fix did not change the writable Deployment"

# try-repo HOOK: runs pre-commit; sets $status, output in $work/last-output.
try_repo() {
    set +e
    env "${hook_build_env[@]}" "$pre_commit" try-repo "$snapshot" "$1" --all-files --color never \
        > "$work/last-output" 2>&1
    status=$?
    set -e
}
same() { cmp -s "$1" "$2" || fail "$1 is not what \`kube-rofs fix\` writes ($2): $(diff -u "$2" "$1" | head -40)"; }

# ---- kube-rofs-fix: the first run fixes and fails, the second passes.
try_repo kube-rofs-fix
[ "$status" -eq 1 ] || fail "kube-rofs-fix on writable manifests: expected exit 1, got $status"
grep -q "files were modified by this hook" "$work/last-output" || fail "kube-rofs-fix: no 'files were modified'"
same k8s/web.yaml "$work/expected/web.yaml"
same k8s/batch.yml "$work/expected/batch.yml"
same .hidden/deploy.yaml "$work/expected/deploy.yaml"
same notes.txt "$work/expected/notes.txt"
ok "kube-rofs-fix: fails and fixes k8s/web.yaml and k8s/batch.yml exactly as kube-rofs fix; .hidden/ and notes.txt untouched"
git add --all
try_repo kube-rofs-fix
[ "$status" -eq 0 ] || fail "kube-rofs-fix on fixed manifests: expected exit 0, got $status"
same k8s/web.yaml "$work/expected/web.yaml"
ok "kube-rofs-fix: the second run passes and changes nothing"

# ---- kube-rofs-check: passes on compliant manifests, fails on a writable one.
try_repo kube-rofs-check
[ "$status" -eq 0 ] || fail "kube-rofs-check on compliant manifests: expected exit 0, got $status"
ok "kube-rofs-check: passes on compliant manifests"
writable api > k8s/api.yaml
git add --all
try_repo kube-rofs-check
[ "$status" -eq 1 ] || fail "kube-rofs-check with a writable Deployment: expected exit 1, got $status"
grep -q "k8s/api.yaml:.*Deployment 'api' lacks readOnlyRootFilesystem: true" "$work/last-output" \
    || fail "kube-rofs-check: the writable Deployment is not named"
grep -q "FAIL: " "$work/last-output" || fail "kube-rofs-check: no FAIL verdict"
git diff --quiet || fail "kube-rofs-check changed files: $(git diff --stat)"
ok "kube-rofs-check: fails on a writable Deployment and changes nothing"

echo "pre-commit hooks: all checks passed"
