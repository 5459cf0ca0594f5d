"""The speed benchmark: fixed amounts of work per model family, timed as whole processes.

    python3 -m catalog.bench                       # every entry, 5 runs each: median wall, CPU, throughput
    python3 -m catalog.bench --only adding,ntm-copy --runs 3
    python3 -m catalog.bench --before ../old --save --write   # paired against another checkout; README table
    python3 -m catalog.bench --tiny                # each entry once at a tiny size (CI keeps it working)

Each entry runs `python3 <slug>/<module>.py ARGS` in a scratch directory with one BLAS thread, the
same work on every side (the same flags, the same number of updates, sequences or guesses), and
reports the median whole-process wall-clock and CPU time (interpreter start-up included, as the
published catalog's figures were taken) and the throughput in the experiment's own unit. The
published catalog's figures are the medians of paired runs of its own code on the same work on our
2-core machine (one BLAS thread), taken beside ours as they were then (`ours_then_s`): the ratio
now-vs-published is given directly (published seconds over ours now) and chained (published over
ours-then, times ours-then over ours-now, both measured in pairs), which holds when the machine's
speed has drifted between the two measurements. A benchmark, not a test: nothing here judges a number.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import catalog
from catalog.render import replace_block

BIG = "1000000000"
RESULTS_FILE = catalog.ROOT / "catalog" / "bench_results.json"


@dataclass(frozen=True)
class Entry:
    name: str
    slug: str
    args: tuple[str, ...]       # the fixed work
    units: float                # how much of it, in `unit`
    unit: str
    published_s: float | None   # the published catalog on the same work (whole process, median)
    ours_then_s: float | None   # ours, measured paired with it at the time (the chained ratio's link)
    tiny: tuple[str, ...]       # a few seconds' worth, for CI
    work: str                   # the work in words
    then: tuple[str, ...] = ()  # a second command counted with the first (temporal order: LSTM then RNN)


ENTRIES = (
    Entry("flip-flop", "flip-flop",
          ("--seed", "0", "--regime", "parallel", "--m-steps", "0", "--c-steps", "2000", "--batch", "1",
           "--hidden-c", "16", "--hidden-m", "16", "--train-len", "20", "--optimizer", "adam", "--lr-m", "0.01",
           "--lr-c", "0.005", "--test-len", "60", "--hist-every", BIG, "--log-every", BIG),
          2000, "updates", 2.94, 1.75, ("--smoke",),
          "2,000 updates, batch 1, T = 20, C and M 16 tanh units, Adam, full test"),
    Entry("adding", "adding-problem",
          ("--seed", "0", "--T", "100", "--batch", "32", "--max-seqs", "32000", "--window", "32001", "--n-test",
           "1024", "--blocks", "4", "--cells", "2", "--gradient", "full", "--optimizer", "adam", "--lr", "0.005",
           "--hist-every", BIG, "--log-every", BIG),
          32000, "sequences", 6.55, 5.71, ("--smoke",),
          "32,000 sequences of 110 steps, batch 32, 8 cells, full BPTT, Adam 5e-3"),
    Entry("multiplication", "multiplication-problem",
          ("--seed", "0", "--T", "100", "--batch", "32", "--max-seqs", "32000", "--window", "32001", "--n-test",
           "512", "--blocks", "4", "--cells", "2", "--gradient", "full", "--optimizer", "adam", "--lr", "0.005",
           "--hist-every", BIG, "--log-every", BIG),
          32000, "sequences", 7.10, 5.60, ("--smoke",),
          "as adding, with the multiplication problem's data"),
    Entry("temporal-order", "temporal-order-3bit",
          ("--seed", "0", "--n-nets", "1", "--len-min", "110", "--len-max", "110", "--batch", "32", "--max-seqs",
           "3200", "--stop-window", "3201", "--n-test", "1024", "--hist-every", BIG, "--log-every", BIG),
          6400, "sequences", 5.74, 1.42, ("--smoke",),
          "3,200 sequences of 110 steps, a 4-cell LSTM, then a 4-unit RNN, full BPTT",
          then=("--model", "rnn", "--rnn-hidden", "4")),
    Entry("embedded-reber", "embedded-reber",
          ("--seed", "0", "--trials", "1", "--n-pairs", "1", "--blocks", "8", "--block-size", "1", "--max-seqs",
           "8000", "--eval-every", "8000", "--log-every", BIG),
          8000, "strings", 5.69, 4.74, ("--smoke",),
          "8,000 strings, one net of 8 single-cell blocks"),
    Entry("two-sequence search", "rs-two-sequence",
          ("--seed", "0", "--searches", "1", "--hidden", "5", "--len-min", "100", "--len-max", "100", "--w-range",
           "1.0", "--noise-var", "0.04", "--n-train", "200", "--n-test", "300", "--tol", "1e-9", "--screen", "200",
           "--max-trials", "2000"),
          2000, "guesses", 1.79, 2.94, ("--smoke",),
          "2,000 guesses × 200 sequences × 100 steps, 5 tanh units, every guess on every sequence"),
    Entry("parity search", "rs-parity",
          ("--seed", "0", "--searches", "1", "--arch", "A1", "--hidden", "2", "--w-range", "30", "--len-min", "50",
           "--len-max", "50", "--n-train", "2048", "--n-test", "100", "--tol", "1e-9", "--screen", "2048",
           "--max-trials", "1000"),
          1000, "guesses", 1.57, 5.54, ("--smoke",),
          "1,000 guesses × 2,048 sequences × 50 bits, 2 hidden units, every guess on every sequence"),
    Entry("noise-free 2a", "noise-free-long-lag",
          ("--seed", "0", "--variant", "2a", "--p", "50", "--n-nets", "1", "--max-seqs", "2000", "--check-every",
           "2000", "--log-every", BIG),
          2000, "sequences", 6.30, 5.12, ("--smoke",),
          "2,000 sequences, p = 50, one sequence per update"),
    Entry("ntm-copy", "ntm-copy",
          ("--seed", "0", "--updates", "300", "--stop-bits", "0", "--hist-every", BIG, "--log-every", BIG,
           "--n-test", "16"),
          300, "updates", None, None, ("--smoke",),
          "300 updates of the paper's NTM (LSTM controller 100, memory 128 × 20, batch 32, lengths 1–20)"),
    Entry("act-parity", "act-parity",
          ("--seed", "0", "--width", "64", "--steps", "300", "--eval-every", BIG, "--log-every", BIG,
           "--n-test", "1000"),
          300, "updates", None, None, ("--smoke",),
          "300 updates at the paper's size (width 64, 128 tanh units, batch 128, M = 100)"),
    Entry("act-addition", "act-addition",
          ("--seed", "0", "--max-digits", "5", "--max-vectors", "5", "--hidden", "512", "--steps", "60",
           "--eval-every", BIG, "--log-every", BIG, "--n-test", "200"),
          60, "updates", None, None, ("--smoke",),
          "60 updates at the paper's size (5 numbers of up to 5 digits, 512 LSTM cells, batch 64, M = 20)"),
    Entry("levin search", "levin-count-inputs",
          ("--seed", "0", "--gd-steps", "0"),
          7218, "programs", None, None, ("--smoke",),
          "the seed-0 Levin search to the first fit: 7,218 programs"),
)


def run_once(root: Path, entry: Entry, args: tuple[str, ...]) -> tuple[float, float]:
    """Whole-process wall and CPU seconds of one run (both commands of a two-part entry)."""
    module = root / entry.slug / f"{catalog.module_name(entry.slug)}.py"
    wall = cpu = 0.0
    for extra in ((), entry.then) if entry.then else ((),):
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, str(module), *args, *extra], cwd=tmp,
                                    env=catalog.child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
            wall += time.perf_counter() - t0
            cpu += usage.ru_utime + usage.ru_stime
            if os.waitstatus_to_exitcode(status) != 0:
                raise RuntimeError(f"{entry.name}: exit {os.waitstatus_to_exitcode(status)}: "
                                   + proc.stderr.read().decode(errors="replace")[-400:])
            proc.stderr.close()
    return wall, cpu


def summary(entry: Entry, runs: list[tuple[float, float]]) -> dict:
    """Median wall and CPU of (wall, cpu) runs, the wall's range, and the throughput at the median."""
    walls = [w for w, _ in runs]
    wall = statistics.median(walls)
    return dict(wall_s=wall, cpu_s=statistics.median(c for _, c in runs), min_wall_s=min(walls),
                max_wall_s=max(walls), runs=len(runs), throughput=entry.units / wall)


def measure(root: Path, entry: Entry, runs: int, tiny: bool = False) -> dict:
    args = entry.tiny if tiny else entry.args
    if not tiny:
        run_once(root, entry, args)  # warm-up: file cache, imports
    return summary(entry, [run_once(root, entry, args) for _ in range(runs)])


def measure_pair(before: Path, after: Path, entry: Entry, runs: int) -> tuple[dict, dict, float]:
    """Both checkouts on the same work in turn (B A B A ...), after a warm-up of each: their medians
    and the median of the per-pair ratios before/after, which holds when the machine's speed drifts."""
    run_once(before, entry, entry.args)
    run_once(after, entry, entry.args)
    pairs = [(run_once(before, entry, entry.args), run_once(after, entry, entry.args)) for _ in range(runs)]
    return (summary(entry, [b for b, _ in pairs]), summary(entry, [a for _, a in pairs]),
            statistics.median(b[0] / a[0] for b, a in pairs))


def load() -> dict:
    return json.loads(RESULTS_FILE.read_text()) if RESULTS_FILE.is_file() else {}


def table(results: dict) -> str:
    """The README's Performance table from the kept medians."""
    lines = ["| workload (the same work on every side) | published catalog | ours before | ours now | "
             "now vs before (paired) | now vs published | throughput now |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for e in ENTRIES:
        got = results.get(e.name, {})
        before, after = got.get("before"), got.get("after")
        pub = f"{e.published_s:.2f} s" if e.published_s else "—"
        b = f"{before['wall_s']:.2f} s" if before else "—"
        a = f"{after['wall_s']:.2f} s" if after else "—"
        ratio = got.get("ratio")
        r_old = f"{ratio:.2f}×" if ratio else "—"
        if after and e.published_s:
            direct = e.published_s / after["wall_s"]
            chained = (e.published_s / e.ours_then_s) * ratio if ratio and e.ours_then_s else None
            r_pub = f"**{direct:.1f}×**" + (f" ({chained:.1f}×)" if chained else "")
        else:
            r_pub = "—"
        thr = f"{after['throughput']:,.0f} {e.unit}/s" if after else "—"
        lines.append(f"| **{e.name}**: {e.work} | {pub} | {b} | {a} | {r_old} | {r_pub} | {thr} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    names = [e.name for e in ENTRIES]
    p = catalog.OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", help="comma-separated entries (default: all): " + ", ".join(names))
    p.add_argument("--runs", type=int, default=5, help="counted runs per entry (default 5)")
    p.add_argument("--tiny", action="store_true", help="each entry once at a tiny size (keeps the benchmark working)")
    p.add_argument("--root", type=Path, default=catalog.ROOT, help="checkout whose stubs to time (default: this one)")
    p.add_argument("--label", default="after", choices=("before", "after"), help="which column --save fills")
    p.add_argument("--before", type=Path, metavar="ROOT",
                   help="time another checkout on the same work in turn with --root (B A B A ...); --save fills "
                        "both columns and the paired ratio")
    p.add_argument("--save", action="store_true", help=f"keep the medians in {RESULTS_FILE.relative_to(catalog.ROOT)}")
    p.add_argument("--write", action="store_true", help="render the kept medians into README.md's Performance table")
    args = p.parse_args(argv)
    chosen = names if not args.only else args.only.split(",")
    bad = [n for n in chosen if n not in names]
    if bad:
        p.error(f"unknown entry {bad[0]!r}; valid: {', '.join(names)}")
    if args.runs < 1:
        p.error("--runs must be >= 1")
    results = load()
    for e in ENTRIES:
        if e.name not in chosen:
            continue
        if args.before is not None and not args.tiny:
            old, got, ratio = measure_pair(args.before, args.root, e, args.runs)
            print(f"{e.name:<22s} before {old['wall_s']:7.2f} s, now {got['wall_s']:7.2f} s: paired ratio "
                  f"{ratio:.2f}x", flush=True)
            if args.save:
                for label, rec in (("before", old), ("after", got)):
                    results.setdefault(e.name, {})[label] = dict(rec, env=catalog.env_string(),
                                                                 recorded=time.strftime("%Y-%m-%d"))
                results[e.name]["ratio"] = ratio
            continue
        got = measure(args.root, e, 1 if args.tiny else args.runs, args.tiny)
        pub = f", published {e.published_s:.2f} s = {e.published_s / got['wall_s']:.2f}×" if e.published_s else ""
        print(f"{e.name:<22s} wall {got['wall_s']:7.2f} s (min {got['min_wall_s']:.2f}, max {got['max_wall_s']:.2f})  "
              f"cpu {got['cpu_s']:7.2f} s  {got['throughput']:>12,.0f} {e.unit}/s{pub}", flush=True)
        if args.save and not args.tiny:
            got["env"] = catalog.env_string()
            got["recorded"] = time.strftime("%Y-%m-%d")
            results.setdefault(e.name, {})[args.label] = got
    if args.save and not args.tiny:
        RESULTS_FILE.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    if args.write:
        readme = catalog.ROOT / "README.md"
        readme.write_text(replace_block(readme.read_text(), "bench", table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
