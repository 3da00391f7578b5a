#!/usr/bin/env python3
"""kube-rofs benchmark: every figure from one run on this machine, printed as one table.

Ratios compare figures measured in the same run (timings on shared machines are noisy).
Each timed command runs as a whole process; peak RSS comes from wait4(2).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
WORK = ROOT / "bench" / ".work"
BIN = ROOT / "target" / "release" / "kube-rofs"
CPUS = os.cpu_count() or 1


def timed(cmd, cwd=None, env=None, capture=False):
    """Run cmd; return (wall seconds, peak RSS in MB, exit code, stdout if captured).

    Output goes to /dev/null unless captured, as hyperfine does: reading 16 MB of diff into
    Python would be timed as kube-rofs'."""
    full_env = dict(os.environ, **(env or {}))
    start = time.perf_counter()
    out_to = subprocess.PIPE if capture else subprocess.DEVNULL
    p = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=out_to, stderr=subprocess.DEVNULL)
    out = p.stdout.read() if capture else b""
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, p.returncode, out.decode(errors="replace")


def median_of(runs, fn):
    results = [fn() for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def tree(files, seed):
    path = WORK / f"tree-{files}-{seed}"
    if not (path / ".done").exists():
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run([sys.executable, SHARED / "tools" / "gen_corpus.py", "--files", str(files), "--seed", str(seed), path],
                       check=True, stdout=subprocess.DEVNULL)
        (path / ".done").write_text("")
    return path


def size_of(path):
    return sum(p.stat().st_size for p in Path(path).rglob("*.y*ml"))


def fresh_copy(src, name):
    """A copy to fix, flushed to disk first: otherwise fix's fsyncs would also pay for writing
    out the copy just made, which a user's checked-out repository does not have pending."""
    dst = WORK / name
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    os.sync()
    return dst


def parse_floor(path, threads=None, extra=()):
    env = {"RAYON_NUM_THREADS": str(threads)} if threads else {}
    _, _, code, out = timed(["cargo", "bench", "-q", "--locked", "--bench", "parse_floor", "--", str(path), *extra],
                            cwd=ROOT, env=env, capture=True)
    assert code == 0, out
    fields = dict(kv.split("=") for kv in out.split()[1:])
    return float(fields["seconds"])


def kube_rofs(mode, path, threads=None):
    env = {"RAYON_NUM_THREADS": str(threads)} if threads else {}
    secs, rss, code, _ = timed([BIN, mode, str(path)], env=env)
    assert code in (0, 1), f"kube-rofs {mode} exited {code}"
    return secs, rss


def ruamel_python():
    venv = WORK / "venv"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "ruamel.yaml"], check=True)
    return py


def big_file(src_tree, megabytes):
    path = WORK / f"big-{megabytes}mb.yaml"
    if not path.exists():
        with open(path, "w") as out:
            written = 0
            while written < megabytes * 1_000_000:
                for f in sorted(Path(src_tree).glob("*.yaml")):
                    text = f.read_text()
                    out.write("---\n" + text if not text.startswith("---") else text)
                    written += len(text) + 4
                    if written >= megabytes * 1_000_000:
                        break
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-ruamel", action="store_true")
    a = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    rows = []

    def row(name, value, note=""):
        rows.append((name, value, note))
        print(f"  {name}: {value} {note}", file=sys.stderr, flush=True)

    big_tree = tree(a.files, 1)
    small_tree = tree(max(a.files // 10, 100), 2)
    mb = size_of(big_tree) / 1e6
    print(f"tree: {a.files} files, {mb:.1f} MB; {CPUS} cores", file=sys.stderr)

    floor = statistics.median(parse_floor(big_tree) for _ in range(a.runs))
    floor1 = statistics.median(parse_floor(big_tree, 1) for _ in range(a.runs))
    row(f"parse floor (granit events only), {CPUS} threads", f"{floor:.2f} s", f"{mb / floor:.1f} MB/s")
    row("parse floor, 1 thread", f"{floor1:.2f} s", f"{mb / floor1:.1f} MB/s")
    vfloor = statistics.median(parse_floor(big_tree, extra=["--verifier"]) for _ in range(a.runs))
    row(f"verifier floor (serde_yaml only reads the patched documents), {CPUS} threads", f"{vfloor:.2f} s",
        f"the re-read a verified diff cannot skip; so floor/diff <= floor/(floor + this) = {floor / (floor + vfloor):.2f}")

    diff, diff_rss = median_of(a.runs, lambda: kube_rofs("diff", big_tree))
    row(f"kube-rofs diff, {CPUS} threads", f"{diff:.2f} s", f"{mb / diff:.1f} MB/s; floor/diff = {floor / diff:.2f} (goal >= 0.50)")
    fix, fix_rss = median_of(a.runs, lambda: kube_rofs("fix", fresh_copy(big_tree, "fix-copy")))
    wfloor = statistics.median(parse_floor(fresh_copy(big_tree, "fix-copy"), extra=["--writes"]) for _ in range(a.runs))
    row(f"write floor (the atomic writes of fix alone, fsync included), {CPUS} threads", f"{wfloor:.2f} s",
        f"so floor/fix <= floor/(floor + this) = {floor / (floor + wfloor):.2f}")
    row(f"kube-rofs fix, {CPUS} threads", f"{fix:.2f} s",
        f"{mb / fix:.1f} MB/s; floor/fix = {floor / fix:.2f} (goal >= 0.50); includes an fsync per written file")
    check, _ = median_of(a.runs, lambda: kube_rofs("check", big_tree))
    row(f"kube-rofs check, {CPUS} threads", f"{check:.2f} s", f"floor/check = {floor / check:.2f}")

    diff1, _ = median_of(a.runs, lambda: kube_rofs("diff", big_tree, 1))
    row("kube-rofs diff, 1 thread", f"{diff1:.2f} s",
        f"speed-up {CPUS} threads vs 1 = {diff1 / diff:.2f}x (floor: {floor1 / floor:.2f}x); floor1/diff1 = {floor1 / diff1:.2f}")

    if not a.skip_ruamel:
        py = ruamel_python()
        copy = fresh_copy(big_tree, "ruamel-copy")
        secs, _, _, _ = timed([py, SHARED / "peers" / "ruamel_fix.py", "--keep-false", "--honor-optout", str(copy)])
        row("ruamel.yaml round-trip fixer (baseline)", f"{secs:.2f} s", f"ruamel/fix = {secs / fix:.1f}x (goal >= 30x)")

    # Latency: one ~5 KB file that needs fixing, whole process, fresh copy each run.
    candidates = sorted(big_tree.glob("*.yaml"), key=lambda p: abs(p.stat().st_size - 5000))
    sample = next(p for p in candidates if timed([BIN, "diff", str(p)])[2] == 1)
    times = []
    for _ in range(20):
        target = WORK / "latency.yaml"
        shutil.copyfile(sample, target)
        os.sync()
        times.append(timed([BIN, "fix", str(target)])[0])
    row(f"latency: fix one {sample.stat().st_size / 1000:.1f} KB file", f"{statistics.median(times) * 1000:.2f} ms",
        f"median of 20 (min {min(times) * 1000:.2f} ms; goal < 5 ms)")

    _, small_rss = median_of(1, lambda: kube_rofs("diff", small_tree))
    small_files = len(list(small_tree.glob("*.yaml")))
    row("peak RSS, diff", f"{diff_rss:.0f} MB", f"{a.files} files; {small_rss:.0f} MB for {small_files} files; fix: {fix_rss:.0f} MB")

    big = big_file(big_tree, 50)
    bmb = big.stat().st_size / 1e6
    bsecs, brss = kube_rofs("diff", big)
    row(f"one {bmb:.0f} MB multi-document file: diff", f"{bsecs:.2f} s", f"peak RSS {brss:.0f} MB")
    target = WORK / "big-copy.yaml"
    shutil.copyfile(big, target)
    os.sync()
    fsecs, frss = kube_rofs("fix", target)
    row(f"one {bmb:.0f} MB multi-document file: fix", f"{fsecs:.2f} s", f"peak RSS {frss:.0f} MB")

    print(f"\n| measure ({a.files} generated files, {mb:.1f} MB, {CPUS} cores) | figure | notes |")
    print("| --- | --- | --- |")
    for name, value, note in rows:
        print(f"| {name} | {value} | {note} |")


if __name__ == "__main__":
    main()
