#!/usr/bin/env python3
"""Reproduce the catalog's claims: run experiments' ledger commands and compare with their claims.

Examples:
  python3 reproduce.py flip-flop             # the headline tier of one experiment
  python3 reproduce.py                       # the headline tier of every experiment
  python3 reproduce.py --tier seeds --jobs 2 # the opt-in multi-seed tier
  python3 reproduce.py flip-flop --seeds 0-9 # the headline config over seeds 0..9, success rate
  python3 reproduce.py flip-flop --update    # rewrite flip-flop's rows in RESULTS.md (and READMEs)
  python3 reproduce.py --render              # re-render generated text from the ledger, no runs

Every command runs `python3 <slug>/<module>.py ARGS --json TMP` in a scratch directory, one
process per seed, --jobs at a time. Exit status: 0 when every claim holds, 1 when any falls
short or a run fails, 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "bin"))
import catalog  # noqa: E402


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


def execute(jobs, n_workers, timeout, reuse=False):
    """Run every seed of every job in parallel; yield (job, metrics or RunError, wall) as jobs finish."""
    t_start = time.perf_counter()
    pending = {i: len(catalog.expand(job[1])) for i, job in enumerate(jobs)}
    records: dict[int, list] = {i: [] for i in pending}
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        futures = {pool.submit(catalog.run_stub, job[0], argv, timeout, reuse): i
                   for i, job in enumerate(jobs) for argv in catalog.expand(job[1])}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                records[i].append(fut.result())
            except catalog.RunError as exc:
                records[i].append(exc)
            pending[i] -= 1
            n = len(records[i]) + pending[i]
            if pending[i] and n > 1:  # a seed sweep: one line per seed, so long sweeps show progress
                rec = records[i][-1]
                what = f"seed {rec['seed']} done" if isinstance(rec, dict) else "a seed failed"
                print(f"[{time.perf_counter() - t_start:7.1f}s] {jobs[i][0]} {jobs[i][1]}: {what} "
                      f"({len(records[i])}/{n})", file=sys.stderr)
            if pending[i] == 0:
                errs = [r for r in records[i] if isinstance(r, Exception)]
                ok = [r for r in records[i] if not isinstance(r, Exception)]
                wall = sum(r["wall_s"] for r in ok)
                result = errs[0] if errs else catalog.aggregate(sorted(records[i], key=lambda r: r["seed"]))
                recorded = max((r.get("recorded", "") for r in ok), default="") or None
                yield jobs[i], result, wall, recorded, time.perf_counter() - t_start


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
    print(f"running {len(jobs)} command(s), {n_runs} process(es), {min(args.jobs, n_runs)} at a time",
          file=sys.stderr)
    table, fresh, failed = [], [], False
    for (slug, cmd, claims), result, wall, recorded, elapsed in execute(jobs, args.jobs, args.timeout, args.reuse):
        if isinstance(result, Exception):
            failed = True
            print(f"[{elapsed:7.1f}s] {slug} {cmd}: ERROR {result}", file=sys.stderr)
            table.append([slug, cmd, "—", "—", "—", "run failed", "—", "ERROR"])
            continue
        print(f"[{elapsed:7.1f}s] {slug} {cmd}: done in {wall:.1f} s", file=sys.stderr)
        if args.seeds is not None:
            shown = {k: v for k, v in result.items() if k == "solved_seeds" or k.startswith("median_")}
            for k, v in shown.items():
                table.append([slug, cmd, k, "", "", catalog.fmt(v), f"{wall:.1f} s", ""])
            continue
        try:
            rows = catalog.rows_from_run(claims, result, wall, recorded)
        except catalog.RunError as exc:
            failed = True
            print(f"  {exc}", file=sys.stderr)
            continue
        fresh += rows
        for r in rows:
            failed |= r.kind != "paper" and r.verdict != "PASS"  # NOT MET is a finding, not a failure
            table.append([slug, cmd, r.metric, r.claim, r.paper, r.measured, f"{wall:.1f} s", r.verdict])
    header = ["experiment", "command", "metric", "claim", "paper", "measured", "wall-clock", "verdict"]
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
