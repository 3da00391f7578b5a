#!/usr/bin/env python3
"""kube-rofs benchmark: every figure from one run on this machine, printed as one table.

Ratios compare figures measured in the same run (timings on shared machines are noisy); the
runs of the commands compared are interleaved (kube-rofs, npm, kube-rofs, npm, ...) and each
figure is the median of --runs. Each timed command runs as a whole process with its output
sent to /dev/null; peak RSS comes from wait4(2). The goals (issue 15) are checked in the table
itself: each goal row says met, or not met and by how much.
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
GNU_TIME = Path("/usr/bin/time")

# The goals of issue 15.
GOAL_FIX_VS_NPM = 10.0  # npm fixer time / kube-rofs fix time, at least
GOAL_FLOOR_DIFF = 0.5  # parse floor / kube-rofs diff, at least
GOAL_LATENCY_MS = 5.0  # median one-file fix, below
GOAL_RSS_RATIO = 10.0  # peak RSS / largest input file, at most
LATENCY_RUNS = 30


def timed(cmd, cwd=None, env=None, capture=False, rss=True):
    """Run cmd; return (wall seconds, peak RSS in MiB, exit code, stdout if captured, stderr).

    Output goes to /dev/null unless captured, as hyperfine does: reading 16 MB of diff into
    Python would be timed as kube-rofs'. Standard error (a summary line) goes to a file.
    Peak RSS comes from GNU time's wait4(2) (None when not asked for): Python's own wait4 would report
    at least Python's peak, which the child inherits as it starts from a copy of Python (13-16
    MB here, more than a small kube-rofs run)."""
    full_env = dict(os.environ, **(env or {}))
    err_path, rss_path = WORK / "stderr.txt", WORK / "rss.txt"
    wrap = [str(GNU_TIME), "-f", "%M", "-o", str(rss_path)] if rss else []
    with open(err_path, "wb") as err:
        start = time.perf_counter()
        out_to = subprocess.PIPE if capture else subprocess.DEVNULL
        p = subprocess.Popen([*wrap, *map(str, cmd)], cwd=cwd, env=full_env, stdout=out_to, stderr=err)
        out = p.stdout.read() if capture else b""
        code = p.wait()
        secs = time.perf_counter() - start
    peak = int(rss_path.read_text().split()[-1]) / 1024 if wrap else None
    return secs, peak, code, out.decode(errors="replace"), err_path.read_text(errors="replace")


def tree(files, seed):
    path = WORK / f"tree-{files}-{seed}"
    if not (path / ".done").exists():
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run([sys.executable, SHARED / "tools" / "gen_corpus.py", "--files", str(files), "--seed", str(seed), path],
                       check=True, stdout=subprocess.DEVNULL)
        (path / ".done").write_text("")
    return path


def yaml_files(path):
    return [p for p in Path(path).rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]


def fresh_copy(src, name, under=None):
    """A copy to fix, flushed to disk first: otherwise a run would also pay for writing out the
    copy just made, which a user's checked-out repository does not have pending."""
    dst = (under or WORK) / name
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    os.sync()
    return dst


def tmpfs_dir(megabytes):
    """A scratch directory in memory (/dev/shm) with room for `megabytes`, or None."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shutil.disk_usage(shm).free < megabytes * 4e6:
        return None
    path = shm / f"kube-rofs-bench-{os.getpid()}"
    path.mkdir(exist_ok=True)
    return path


class Series:
    """The runs of one command: wall times and the largest peak RSS."""

    def __init__(self):
        self.secs, self.rss = [], 0.0

    def add(self, secs, rss):
        self.secs.append(secs)
        self.rss = max(self.rss, rss or 0.0)

    @property
    def median(self):
        return statistics.median(self.secs)


def parse_floor(path, threads=None, extra=()):
    env = {"RAYON_NUM_THREADS": str(threads)} if threads else {}
    _, _, code, out, err = timed(["cargo", "bench", "-q", "--locked", "--bench", "parse_floor", "--", path, *extra],
                                 cwd=ROOT, env=env, capture=True, rss=False)
    assert code == 0, out + err
    fields = dict(kv.split("=") for kv in out.split()[1:])
    return float(fields["seconds"])


def kube_rofs(args, threads=None, rss=True):
    env = {"RAYON_NUM_THREADS": str(threads)} if threads else {}
    secs, rss, code, _, err = timed([BIN, *args], env=env, rss=rss)
    assert code in (0, 1), f"kube-rofs {args} exited {code}: {err}"
    return secs, rss


def npm_fixer():
    """The npm `yaml` fixer installed with `npm ci` in a copy of ../shared/peers: (command, None)
    or (None, why it could not be installed)."""
    peers, here = SHARED / "peers", WORK / "npm"
    files = ["node_yaml_fix.mjs", "package.json", "package-lock.json"]
    if not all((peers / f).exists() for f in files):
        return None, f"{peers} lacks one of {', '.join(files)}"
    if not shutil.which("node") or not shutil.which("npm"):
        return None, "node or npm is not installed"
    here.mkdir(parents=True, exist_ok=True)
    stale = any(not (here / f).exists() or (here / f).read_bytes() != (peers / f).read_bytes() for f in files)
    if stale or not (here / "node_modules" / "yaml").exists():
        for f in files:
            shutil.copyfile(peers / f, here / f)
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=here, capture_output=True, text=True)
        if p.returncode != 0:
            last = (p.stderr.strip().splitlines() or ["no message"])[-1]
            return None, f"npm ci failed (offline?): {last}"
    return ["node", str(here / "node_yaml_fix.mjs"), "--keep-false", "--honor-optout"], None


def npm(cmd, args):
    secs, rss, code, _, err = timed([*cmd, *args])
    # 1: some files did not parse, reported and left alone (the generated trees have none).
    assert code in (0, 1), f"npm fixer exited {code}: {err}"
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


def flow_pods(megabytes, single):
    """A file of pods in flow style, one per line (the hardening issue's second large file), each
    with one container to fix: `---`-separated documents, or (`single`) one List document."""
    path = WORK / f"flow-{'list' if single else 'docs'}-{megabytes}mb.yaml"
    if not path.exists():
        pods, size, i = [], 0, 0
        while size < megabytes * 1_000_000:
            pod = (f"{{apiVersion: v1, kind: Pod, metadata: {{name: pod-{i}, labels: {{app: a{i}}}}}, "
                   f"spec: {{containers: [{{name: c{i}, image: 'registry.example.com/team/app:{i}', "
                   "ports: [{containerPort: 8080}], securityContext: {allowPrivilegeEscalation: false}}]}}")
            pods.append(pod)
            size, i = size + len(pod) + 5, i + 1
        text = ("apiVersion: v1\nkind: List\nitems:\n" + "".join(f"  - {p}\n" for p in pods) if single
                else "".join(f"---\n{p}\n" for p in pods))
        path.write_text(text)
    return path


def at_least(value, goal, unit=""):
    """Verdict for a figure that must reach `goal`."""
    if value >= goal:
        return f"met ({value:.2f}{unit} >= {goal:g}{unit})"
    return f"NOT met: {value:.2f}{unit}, {value / goal:.0%} of the goal {goal:g}{unit}"


def at_most(value, goal, unit=""):
    """Verdict for a figure that must stay within `goal`."""
    if value <= goal:
        return f"met ({value:.2f}{unit} <= {goal:g}{unit})"
    return f"NOT met: {value:.2f}{unit}, {value / goal:.2f}x the goal {goal:g}{unit}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000, help="files in the generated tree (default 2000, about 8 MB)")
    ap.add_argument("--runs", type=int, default=3, help="interleaved runs of each command; figures are medians")
    ap.add_argument("--skip-ruamel", action="store_true")
    ap.add_argument("--big-mb", type=int, default=50, help="size of the one large multi-document file")
    ap.add_argument("--flow-mb", type=int, default=23, help="size of the files of flow-style pods")
    a = ap.parse_args()
    if not GNU_TIME.exists():
        sys.exit(f"bench: needs GNU time at {GNU_TIME} for the peak RSS figures (package `time`)")
    WORK.mkdir(parents=True, exist_ok=True)
    rows = []

    def row(name, value, goal="", note=""):
        rows.append((name, value, goal, note))
        print(f"  {name}: {value} | {goal} | {note}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()
    started = time.time()
    big_tree = tree(a.files, 1)
    inputs = yaml_files(big_tree)
    mb = sum(p.stat().st_size for p in inputs) / 1e6
    largest = max(p.stat().st_size for p in inputs)
    print(f"tree: {a.files} files, {mb:.1f} MB; {CPUS} cores; load average {load_before[0]:.2f}", file=sys.stderr)
    npm_cmd, npm_missing = npm_fixer()
    if npm_missing:
        print(f"npm fixer not run: {npm_missing}", file=sys.stderr)

    # Floors: the span parser alone, serde_yaml alone on what verification re-reads.
    floor = statistics.median(parse_floor(big_tree) for _ in range(a.runs))
    floor1 = statistics.median(parse_floor(big_tree, 1) for _ in range(a.runs))
    vfloor = statistics.median(parse_floor(big_tree, extra=["--verifier"]) for _ in range(a.runs))

    # The compared commands, interleaved: one round runs each once.
    shm = tmpfs_dir(mb)
    s = {k: Series() for k in ["fix", "npm_fix", "diff", "npm_diff", "fix_fsync", "check", "diff1", "fix_shm", "npm_shm"]}
    wfloor, wfloor_sync = [], []
    for r in range(a.runs):
        print(f"round {r + 1} of {a.runs}", file=sys.stderr, flush=True)
        s["fix"].add(*kube_rofs(["fix", fresh_copy(big_tree, "fix-copy")]))
        if npm_cmd:
            s["npm_fix"].add(*npm(npm_cmd, [fresh_copy(big_tree, "npm-copy")]))
        s["diff"].add(*kube_rofs(["diff", big_tree]))
        if npm_cmd:
            s["npm_diff"].add(*npm(npm_cmd, ["--diff", big_tree]))
        s["fix_fsync"].add(*kube_rofs(["fix", "--fsync", fresh_copy(big_tree, "fix-copy")]))
        wfloor.append(parse_floor(fresh_copy(big_tree, "fix-copy"), extra=["--writes"]))
        wfloor_sync.append(parse_floor(fresh_copy(big_tree, "fix-copy"), extra=["--writes", "--fsync"]))
        s["check"].add(*kube_rofs(["check", big_tree]))
        s["diff1"].add(*kube_rofs(["diff", big_tree], threads=1))
        if shm:
            s["fix_shm"].add(*kube_rofs(["fix", fresh_copy(big_tree, "fix-copy", shm)]))
            if npm_cmd:
                s["npm_shm"].add(*npm(npm_cmd, [fresh_copy(big_tree, "npm-copy", shm)]))
    if shm:
        shutil.rmtree(shm, ignore_errors=True)
    fix, diff = s["fix"].median, s["diff"].median
    wfloor, wfloor_sync = statistics.median(wfloor), statistics.median(wfloor_sync)

    row(f"parse floor (granit events only), {CPUS} threads", f"{floor:.2f} s", "", f"{mb / floor:.1f} MB/s")
    row("parse floor, 1 thread", f"{floor1:.2f} s", "", f"{mb / floor1:.1f} MB/s")
    row(f"verifier floor (serde_yaml only reads the patched documents), {CPUS} threads", f"{vfloor:.2f} s", "",
        f"the re-read a verified diff cannot skip; so floor/diff <= floor/(floor + this) = {floor / (floor + vfloor):.2f}")
    diff_note = f"{mb / diff:.1f} MB/s"
    if floor / diff < GOAL_FLOOR_DIFF:
        allowed = floor / GOAL_FLOOR_DIFF
        diff_note += (f"; why not: diff = parse floor {floor:.2f} s + verifier floor {vfloor:.2f} s + "
                      f"{diff - floor - vfloor:.2f} s of the rest (planning, the expected meaning and its comparison, "
                      f"the diff text); the goal allows {allowed:.2f} s, so the rest would have to fit in "
                      f"{allowed - floor - vfloor:.2f} s (docs/performance.md, where the goals stand)")
    row(f"kube-rofs diff, {CPUS} threads", f"{diff:.2f} s", f"floor/diff: {at_least(floor / diff, GOAL_FLOOR_DIFF)}",
        diff_note)
    row(f"write floor (the atomic writes of fix alone, no fsync), {CPUS} threads", f"{wfloor:.2f} s", "",
        f"so floor/fix <= floor/(floor + this) = {floor / (floor + wfloor):.2f}")
    row(f"write floor with an fsync per file (as fix --fsync), {CPUS} threads", f"{wfloor_sync:.2f} s", "",
        f"the fsyncs add {wfloor_sync - wfloor:.2f} s, {wfloor_sync / wfloor:.2f}x the write floor")
    row(f"kube-rofs fix, {CPUS} threads", f"{fix:.2f} s", "", f"{mb / fix:.1f} MB/s; floor/fix = {floor / fix:.2f}")
    row(f"kube-rofs fix --fsync, {CPUS} threads", f"{s['fix_fsync'].median:.2f} s", "",
        f"{s['fix_fsync'].median / fix:.2f}x fix")
    if npm_cmd:
        nfix, ndiff = s["npm_fix"].median, s["npm_diff"].median
        need = nfix / GOAL_FIX_VS_NPM
        npm_note = f"npm/(fix --fsync) = {nfix / s['fix_fsync'].median:.1f}x; the goal needs fix <= {need:.2f} s"
        if nfix / fix < GOAL_FIX_VS_NPM:
            if floor + wfloor > need:
                npm_note += (f"; why not: the parse floor and the write floor alone take {floor + wfloor:.2f} s, "
                             "more than that, while each file is written to a temporary file and renamed over the "
                             "original (old or new under a kill, which the goal keeps); see the tmpfs row")
            else:
                npm_note += (f"; why not: the floors take {floor + wfloor:.2f} s, and fix spends "
                             f"{fix - floor - wfloor:.2f} s more (planning, verification)")
        row("npm yaml fixer (Document API), fix", f"{nfix:.2f} s", f"npm/fix: {at_least(nfix / fix, GOAL_FIX_VS_NPM, 'x')}",
            npm_note)
        row("npm yaml fixer, --diff", f"{ndiff:.2f} s", "", f"npm/diff = {ndiff / diff:.1f}x")
        if shm:
            sfix, snpm = s["fix_shm"].median, s["npm_shm"].median
            row("the same two fixes on tmpfs (/dev/shm): kube-rofs fix / npm fixer", f"{sfix:.2f} / {snpm:.2f} s", "",
                f"npm/fix = {snpm / sfix:.1f}x where creating and renaming files costs no disk work")
    else:
        row("npm yaml fixer (Document API), fix", "not run", f"npm/fix: not measured ({npm_missing})", "")
    row(f"kube-rofs check, {CPUS} threads", f"{s['check'].median:.2f} s", "", f"floor/check = {floor / s['check'].median:.2f}")
    diff1 = s["diff1"].median
    row("kube-rofs diff, 1 thread", f"{diff1:.2f} s", "",
        f"speed-up {CPUS} threads vs 1 = {diff1 / diff:.2f}x (floor: {floor1 / floor:.2f}x); floor1/diff1 = {floor1 / diff1:.2f}")

    if not a.skip_ruamel:
        py = ruamel_python()
        copy = fresh_copy(big_tree, "ruamel-copy")
        secs, _, _, _, _ = timed([py, SHARED / "peers" / "ruamel_fix.py", "--keep-false", "--honor-optout", copy], rss=False)
        row("ruamel.yaml round-trip fixer (one run)", f"{secs:.2f} s", "", f"ruamel/fix = {secs / fix:.1f}x")

    # Latency: one ~5 KB file that needs fixing, whole process, a fresh flushed copy each run,
    # interleaved with /bin/true (the cost of starting any process here).
    candidates = sorted(big_tree.glob("*.yaml"), key=lambda p: abs(p.stat().st_size - 5000))
    sample = next(p for p in candidates if timed([BIN, "diff", p], rss=False)[2] == 1)
    times, true_times = [], []
    target = WORK / "latency.yaml"
    for _ in range(LATENCY_RUNS):
        shutil.copyfile(sample, target)
        os.sync()
        times.append(kube_rofs(["fix", target], rss=False)[0])
        true_times.append(timed(["/bin/true"], rss=False)[0])
    lat = statistics.median(times) * 1000
    lat_note = (f"median of {LATENCY_RUNS} (min {min(times) * 1000:.2f} ms); /bin/true: median "
                f"{statistics.median(true_times) * 1000:.2f} ms")
    if lat > GOAL_LATENCY_MS and min(times) * 1000 <= GOAL_LATENCY_MS:
        lat_note += (f"; why not: the fastest run took {min(times) * 1000:.2f} ms, so the median is the machine's "
                     f"load (1-minute load average now {os.getloadavg()[0]:.2f}) more than the work")
    elif lat > GOAL_LATENCY_MS:
        lat_note += f"; why not: even the fastest run took {min(times) * 1000:.2f} ms"
    row(f"latency: fix one {sample.stat().st_size / 1000:.1f} KB file", f"{lat:.2f} ms",
        at_most(lat, GOAL_LATENCY_MS, " ms"), lat_note)

    # Memory: peak RSS per command against the largest input file.
    empty = WORK / "empty.yaml"
    empty.write_text("a: 1\n")
    _, empty_rss = kube_rofs(["check", empty])
    kb = largest / 1000
    for key, name in [("fix", "kube-rofs fix"), ("diff", "kube-rofs diff"), ("check", "kube-rofs check")]:
        rss = s[key].rss
        row(f"peak RSS, {name} ({a.files} files, largest {kb:.0f} KB)", f"{rss:.0f} MiB",
            f"RSS/largest file: {at_most(rss * 2**20 / largest, GOAL_RSS_RATIO, 'x')}",
            f"{empty_rss:.1f} MiB for a 5-byte file (the process alone); files are held 256 at a time")
    if npm_cmd:
        row("peak RSS, npm yaml fixer fix / --diff", f"{s['npm_fix'].rss:.0f} / {s['npm_diff'].rss:.0f} MiB", "", "")

    big = big_file(big_tree, a.big_mb)
    bbytes = big.stat().st_size
    bmb = bbytes / 1e6
    bsecs, brss = kube_rofs(["diff", big])
    row(f"one {bmb:.0f} MB multi-document file: diff", f"{bsecs:.2f} s",
        f"RSS/file: {at_most(brss * 2**20 / bbytes, GOAL_RSS_RATIO, 'x')}", f"peak RSS {brss:.0f} MiB")
    target = WORK / "big-copy.yaml"
    shutil.copyfile(big, target)
    os.sync()
    fsecs, frss = kube_rofs(["fix", target])
    row(f"one {bmb:.0f} MB multi-document file: fix", f"{fsecs:.2f} s",
        f"RSS/file: {at_most(frss * 2**20 / bbytes, GOAL_RSS_RATIO, 'x')}", f"peak RSS {frss:.0f} MiB")

    for single in (False, True):
        flow = flow_pods(a.flow_mb, single)
        fbytes = flow.stat().st_size
        what = "one List document" if single else "multi-document"
        note = "read and verified item by item" if single else ""
        for cmd in ("check", "diff", "fix"):
            target = flow
            if cmd == "fix":
                target = WORK / "flow-copy.yaml"
                shutil.copyfile(flow, target)
                os.sync()
            secs, rss = kube_rofs([cmd, target])
            row(f"{fbytes / 1e6:.0f} MB of flow-style pods, {what}: {cmd}", f"{secs:.2f} s",
                f"RSS/file: {at_most(rss * 2**20 / fbytes, GOAL_RSS_RATIO, 'x')}", f"peak RSS {rss:.0f} MiB" + (f"; {note}" if note else ""))

    load_after = os.getloadavg()
    minutes = (time.time() - started) / 60
    print(f"\n| measure ({a.files} generated files, {mb:.1f} MB, {CPUS} cores; medians of {a.runs} interleaved runs) "
          "| figure | goal | notes |")
    print("| --- | --- | --- | --- |")
    for name, value, goal, note in rows:
        print(f"| {name} | {value} | {goal} | {note} |")
    print(f"\nload average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after; {minutes:.1f} minutes; "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}")


if __name__ == "__main__":
    main()
