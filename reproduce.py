#!/usr/bin/env python3
"""Reproduce the catalog's claims: run experiments' ledger commands and compare with their claims.

Examples:
  python3 reproduce.py flip-flop             # the headline tier of one experiment
  python3 reproduce.py                       # the headline tier of every experiment
  python3 reproduce.py --tier seeds --jobs 2 # the opt-in multi-seed tier
  python3 reproduce.py flip-flop --seeds 0-9 # the headline config over seeds 0..9, success rate
  python3 reproduce.py flip-flop --update    # rewrite flip-flop's rows in RESULTS.md (and READMEs)
  python3 reproduce.py --render              # re-render generated text from the ledger, no runs
  python3 reproduce.py --tier all --scheduler tcp://HOST:8786   # every tier on a Dask cluster
  python3 reproduce.py --tier seeds --scheduler local:16        # a LocalCluster on one big machine

Every command runs `python3 <slug>/<module>.py ARGS --json TMP` in a scratch directory, one
process per seed, --jobs at a time (or on the Dask workers). Progress goes to stderr: one line
per finished command with its wall and CPU time and an ETA from the ledger's recorded times, one
line per finished seed of a sweep. Ctrl-C kills every run and lists what finished. Exit status: 0 when every claim holds, 1 when any falls
short or a run fails, 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time

import catalog
import catalog.runner


def parse_args(argv):
    slugs = catalog.discover()
    p = catalog.OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("slugs", nargs="*", metavar="slug", help="experiments to run (default: all): " + ", ".join(slugs))
    p.add_argument("--tier", action="append", choices=catalog.TIERS + ("all",),
                   help="ledger tier(s) to run (default: headline; repeatable)")
    p.add_argument("--seeds", metavar="A-B",
                   help="instead of the ledger: run each experiment's default config over these seeds")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs (default: CPU count)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds allowed per run (default 1800)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="run on a Dask cluster instead of local processes: tcp://HOST:8786 (a running "
                        "`dask scheduler`) or local:N (a LocalCluster of N worker processes); needs "
                        "requirements-cluster.txt")
    p.add_argument("--kind", action="append", choices=catalog.KINDS,
                   help="only the ledger claims of this kind (repeatable; default: every kind)")
    p.add_argument("--reuse", action="store_true",
                   help="take a run's record from .cache/runs/ when one exists for the same code, flags and "
                        "environment (every run is kept there), instead of running it again")
    p.add_argument("--update", action="store_true",
                   help="write the fresh rows into RESULTS.md and re-render the generated README blocks")
    p.add_argument("--list", action="store_true", help="list experiments and their ledger commands, then exit")
    p.add_argument("--render", action="store_true",
                   help="re-render RESULTS.md, VISUAL_TOUR.md and the README blocks from the ledger as it is "
                        "(no runs; after adding a folder or editing META/CLAIMS text), then exit")
    args = p.parse_args(argv)
    unknown = [s for s in args.slugs if s not in slugs]
    if unknown:
        p.error(f"unknown experiment {unknown[0]!r}; valid: {', '.join(slugs)}")
    if args.jobs < 1:
        p.error("--jobs must be >= 1")
    if args.scheduler is not None and not (args.scheduler.startswith(("tcp://", "tls://"))
                                           or re.fullmatch(r"local:[1-9]\d*", args.scheduler)):
        p.error(f"--scheduler {args.scheduler!r}: use tcp://HOST:PORT or local:N")
    if args.seeds is not None:
        try:
            catalog.parse_seeds(args.seeds)
        except ValueError as exc:
            p.error(str(exc))
        if args.update or args.tier or args.kind:
            p.error("--seeds runs outside the ledger: it combines with none of --update, --tier, --kind")
    args.slugs = args.slugs or slugs
    tiers = args.tier or ["headline"]
    args.tiers = catalog.TIERS if "all" in tiers else tuple(dict.fromkeys(tiers))
    return args


def plan(args):
    """[(slug, command args, [claims])] to run, in catalog order."""
    jobs = []
    for slug in args.slugs:
        if args.seeds is not None:
            jobs.append((slug, f"--seeds {args.seeds}", []))
            continue
        by_args: dict[str, list] = {}
        for c in catalog.claims_of(slug):
            if c.tier in args.tiers and (not args.kind or c.kind in args.kind):
                by_args.setdefault(c.args, []).append(c)
        jobs += [(slug, a, cs) for a, cs in by_args.items()]
    return jobs


def expected_seconds(jobs):
    """Each job's expected process-seconds, from the ledger's recorded wall-clocks (sums over seeds);
    a command the ledger has not seen gets its folder's median (or the catalog's)."""
    import statistics
    rows = catalog.read_ledger()
    known = {(r.slug, r.args): r.wall_s for r in rows}
    per_slug: dict[str, list] = {}
    for (slug, _), w in known.items():
        per_slug.setdefault(slug, []).append(w)
    overall = statistics.median(known.values()) if known else 10.0
    out = []
    for slug, cmd, _ in jobs:
        n = len(catalog.expand(cmd))
        guess = statistics.median(per_slug[slug]) if slug in per_slug else overall
        out.append(known.get((slug, cmd), guess * (n if "--seeds" in cmd else 1)))
    return out


def clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """One line per finished command: [k/n], its wall and CPU time, elapsed and ETA (from the ledger)."""

    def __init__(self, jobs, workers):
        self.jobs, self.workers = jobs, max(1, workers)
        self.expected = expected_seconds(jobs)
        self.left = list(self.expected)
        self.done, self.t0 = 0, time.perf_counter()

    def eta(self) -> str:
        return clock(sum(self.left) / min(self.workers, max(1, sum(x > 0 for x in self.left))))

    def seed(self, i, rec, k, n):
        self.left[i] = self.expected[i] * (1 - k / n)
        slug, cmd, _ = self.jobs[i]
        what = f"seed {rec['seed']} done in {rec.get('host_wall_s', 0):.1f} s" if isinstance(rec, dict) \
            else "a seed FAILED"
        print(f"      {slug} {cmd}: {what} ({k}/{n})", file=sys.stderr, flush=True)

    def command(self, i, text):
        self.done += 1
        self.left[i] = 0
        slug, cmd, _ = self.jobs[i]
        print(f"[{self.done}/{len(self.jobs)}] {slug} {cmd}: {text}  (elapsed "
              f"{clock(time.perf_counter() - self.t0)}, ETA {self.eta()})", file=sys.stderr, flush=True)


def wall_cpu(records):
    """A command's wall-clock (first start to last end) and CPU seconds (summed over its seeds)."""
    if not records:
        return 0.0, 0.0
    if all("t_start" in r for r in records):
        wall = max(r["t_end"] for r in records) - min(r["t_start"] for r in records)
    else:
        wall = max(r.get("host_wall_s", r.get("wall_s", 0.0)) for r in records)
    return wall, sum(r.get("cpu_s", r.get("host_wall_s", 0.0)) for r in records)


def main(argv=None) -> int:
    args = parse_args(argv)
    jobs = plan(args)
    if args.render:
        catalog.update_ledger([])
        print("re-rendered RESULTS.md, VISUAL_TOUR.md and the generated README blocks", file=sys.stderr)
        return 0
    if args.list:
        for slug in args.slugs:
            for c in catalog.claims_of(slug):
                print(f"{slug:<28s} {c.tier:<9s} {c.args:<36s} {c.metric} {c.claim}")
        return 0
    if not jobs:
        print(f"no ledger commands in tier(s) {', '.join(args.tiers)} for: {', '.join(args.slugs)}")
        return 0
    n_runs = sum(len(catalog.expand(a)) for _, a, _ in jobs)
    try:
        pool = catalog.runner.make_pool(args.jobs, args.scheduler)
    except catalog.RunError as exc:
        print(f"reproduce.py: {exc}", file=sys.stderr)
        return 2
    print(f"running {len(jobs)} command(s), {n_runs} process(es) on {pool.description}", file=sys.stderr)
    progress = Progress(jobs, min(pool.workers, n_runs))
    table, fresh, failed, finished = [], [], False, []
    try:
        for i, (slug, cmd, claims), result, records in catalog.runner.execute(
                jobs, pool, args.timeout, args.reuse, on_seed=progress.seed):
            wall, cpu = wall_cpu(records)
            times = f"{wall:.1f} s", f"{cpu:.1f} s"
            finished.append(f"{slug} {cmd}")
            if isinstance(result, Exception):
                failed = True
                progress.command(i, f"ERROR {result}")
                table.append([slug, cmd, "—", "—", "—", "run failed", *times, "ERROR"])
                continue
            progress.command(i, f"done: wall {times[0]}, cpu {times[1]}")
            if args.seeds is not None:
                shown = {k: v for k, v in result.items() if k == "solved_seeds" or k.startswith("median_")}
                for k, v in shown.items():
                    table.append([slug, cmd, k, "", "", catalog.fmt(v), *times, ""])
                continue
            recorded = max((r.get("recorded", "") for r in records), default="") or None
            envs = {r["env"] for r in records if "env" in r}
            try:
                rows = catalog.rows_from_run(claims, result, sum(r["wall_s"] for r in records), recorded,
                                             env=envs.pop() if len(envs) == 1 else None)
            except catalog.RunError as exc:
                failed = True
                print(f"  {exc}", file=sys.stderr)
                continue
            fresh += rows
            for r in rows:
                failed |= r.kind != "paper" and r.verdict != "PASS"  # NOT MET is a finding, not a failure
                table.append([slug, cmd, r.metric, r.claim, r.paper, r.measured, *times, r.verdict])
    except KeyboardInterrupt:
        pool.close(cancel=True)
        print(f"\ninterrupted: stopped every run; {len(finished)} of {len(jobs)} command(s) had finished"
              + "".join(f"\n  {f}" for f in finished) + ("\n(nothing written to RESULTS.md)" if args.update else ""),
              file=sys.stderr)
        return 130
    pool.close()
    header = ["experiment", "command", "metric", "claim", "paper", "measured", "wall", "cpu", "verdict"]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table)]
    for line in [header, ["-" * w for w in widths]] + table:
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip())
    if args.update and fresh:
        catalog.update_ledger(fresh)
        print(f"updated {len(fresh)} ledger row(s) in RESULTS.md and re-rendered the generated blocks",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
