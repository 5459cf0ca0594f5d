"""Generated text: RESULTS.md, VISUAL_TOUR.md and the generated blocks of the READMEs."""
from __future__ import annotations

from pathlib import Path

from . import stubs
from .claims import KIND_TEXT, claims_of, meta_of
from .ledger import (LEDGER_BEGIN, LEDGER_COLUMNS, LEDGER_END, Row, _ledger_cells, _table, figure_of,
                     headline_row, merge_rows, paper_rows, read_ledger, sort_rows)
from .stubs import ERAS, RESULTS, ROOT, discover, era_of, module_name


def status_of(slug: str, rows: list[Row]) -> str:
    """Derived, never typed: reproduced when every paper-criterion row is MET at the paper's set-up;
    partial when some are MET (or all, but some only at a reduced set-up); not reproduced when none."""
    mine = paper_rows(slug, rows)
    if not mine:
        return "no paper criterion yet"
    reduced = {c.key for c in claims_of(slug) if c.reduced}
    met = [r for r in mine if r.verdict == "MET"]
    if len(met) == len(mine) and not any(r.key in reduced for r in mine):
        return "reproduced"
    return "partial" if met else "not reproduced"


def criterion_text(slug: str, rows: list[Row]) -> str:
    mine = paper_rows(slug, rows)
    met = sum(r.verdict == "MET" for r in mine)
    if not mine:
        return "—"
    if met == len(mine):
        return "met" if len(mine) == 1 else f"met ({met} of {len(mine)})"
    return "not met" if met == 0 else f"{met} of {len(mine)}"


def figure_text(slug: str, rows: list[Row]) -> str:
    """'4/5 seeds solve; seq_acc median 0.96 (range 0.78–0.99)', from the ledger rows of META['figure']."""
    fig = figure_of(slug)
    got = {r.metric: r.measured for r in rows if r.slug == slug and r.args == fig["args"]}
    if "solved_seeds" not in got:
        return "not run yet"
    k, n = got["solved_seeds"].split("/")
    unit = "seeds" if int(n) != 1 else "seed"
    text = f"{k}/{n} {unit} solve"
    m = fig["metric"]
    if f"median_{m}" in got:
        text += f"; {m} median {got[f'median_{m}']}"
        if f"q1_{m}" in got and f"q3_{m}" in got:
            text += f" (IQR {got[f'q1_{m}']}–{got[f'q3_{m}']})"
        elif f"min_{m}" in got and f"max_{m}" in got:
            text += f" (range {got[f'min_{m}']}–{got[f'max_{m}']})"
    return text


def summary_table(rows: list[Row], link_prefix: str = "") -> str:
    """One line per experiment: paper, year, derived status, paper criterion, headline over seeds."""
    out = []
    for slug in discover():
        meta, head = meta_of(slug), headline_row(slug, rows)
        mine = [r for r in rows if r.slug == slug and r.kind != "paper"]
        checks = f"{sum(r.verdict == 'PASS' for r in mine)}/{len(mine)}" if mine else "not run"
        wall = f"{head.wall_s:.1f} s" if head else "—"
        out.append([f"[{slug}]({link_prefix}{slug}/README.md)", meta["paper"], str(meta["year"]),
                    status_of(slug, rows), criterion_text(slug, rows), figure_text(slug, rows), checks, wall])
    return _table(["experiment", "paper", "year", "status", "paper criterion", "headline over seeds",
                   "pins and claims holding", "seed-0 wall-clock"], out)


def count_text(rows: list[Row]) -> str:
    """The catalog-wide count for the README's opening."""
    statuses = [status_of(slug, rows) for slug in discover()]
    n = len(statuses)
    full, part = statuses.count("reproduced"), statuses.count("partial")
    none = statuses.count("not reproduced")
    return (f"**{full} of {n} experiments meet their paper's criterion** in full; {part} meet part of it "
            f"(or meet it only at a reduced set-up) and {none} do not. Each verdict is a `paper` row of "
            f"[RESULTS.md](RESULTS.md), re-derived by the harness.")


def folder_headline(slug: str, rows: list[Row]) -> str:
    """The generated lines of a folder README's header: the multi-seed figure and the paper verdict."""
    fig, head = figure_of(slug), headline_row(slug, rows)
    lines = [f"**Over seeds** (`{fig['args']}`): {figure_text(slug, rows)}.  "]
    for r in paper_rows(slug, rows):
        lines.append(f"**Paper's criterion** ({r.paper}): `{r.metric} {r.claim}` at `{r.args}` — "
                     f"measured {r.measured}, **{r.verdict}**.  ")
    lines.append(f"**Status** (derived): {status_of(slug, rows)}.  ")
    if head is not None:
        lines.append(f"**Worked example** (seed-0 regression pin, `{head.args}`): {head.metric} = "
                     f"{head.measured}, {head.wall_s:.1f} s on the 2-core machine.")
    return "\n".join(lines)


def results_table(slug: str, rows: list[Row]) -> str:
    mine = [r for r in rows if r.slug == slug]
    return _table(["tier", "kind", "command", "metric", "claim", "measured", "verdict", "paper",
                   "published catalog", "wall-clock"],
                  [[r.tier, r.kind, f"`{r.args}`", r.metric, f"`{r.claim}`", r.measured, r.verdict, r.paper,
                    r.published, f"{r.wall_s:.1f} s"] for r in mine])


def render_results(rows: list[Row]) -> str:
    rows = sort_rows(rows)
    kinds = "\n".join(f"- `{k}`: {t}." for k, t in KIND_TEXT.items())
    return f"""# Results

The catalog's ledger. Every row below was written by `python3 reproduce.py <slug> --update` from a
run on the machine named in its `env` column; nothing here is typed by hand. The harness re-derives
each row: `python3 -m pytest --tier headline` (or `--tier seeds`, `--tier long`) reruns the command
and fails when a fresh value misses a `pin` or `seeds` claim, when a `paper` row's fresh verdict
differs from the recorded one (either way), or when a pin's value changes on the ledger's machine.

How to read a row: `command` is what follows `python3 <slug>/<module>.py`; a command with
`--seeds A-B` is run once per seed (each as `--seed s` plus the rest), and its metrics are
aggregated over seeds (`solved_seeds` = runs whose `solved` metric is 1, `mean_<m>`, `median_<m>`,
`q1_<m>`, `q3_<m>`, `min_<m>`, `max_<m>`; a run that never reached a mark reports NaN, which
sorts above every number and makes the mean NaN). `kind` says what a row is:

{kinds}

`claim` is what the row asserts and the test checks; `paper` is the original paper's number and
`published catalog` the earlier numpy catalog's. `config` is a fingerprint of every Config value
the command ran with: a contract test fails when the stub's Config for that command no longer
hashes the same, so a row cannot silently change meaning. `wall_s` is the command's wall-clock in
seconds (for seed sweeps, the sum over seeds). Tiers: `headline` runs in CI, `seeds` and `long`
are opt-in.

## Catalog

{count_text(rows)}

<!-- BEGIN GENERATED: summary -->
{summary_table(rows)}
<!-- END GENERATED: summary -->

## Ledger

{LEDGER_BEGIN}
{_table(LEDGER_COLUMNS, [_ledger_cells(r) for r in rows])}
{LEDGER_END}
"""


def render_tour(rows: list[Row]) -> str:
    parts = ["# Visual tour", "",
             "Every experiment's animation, grouped by era. Each GIF is regenerated by "
             "`python3 <slug>/make_<module>_gif.py`; the static figures are in each folder's `viz/`.", ""]
    by_era: dict[str, list[str]] = {}
    for slug in discover():
        by_era.setdefault(era_of(meta_of(slug)["year"]), []).append(slug)
    for _, _, title in ERAS:
        if title not in by_era:
            continue
        parts += [f"## {title}", ""]
        for slug in by_era[title]:
            meta = meta_of(slug)
            parts += [f"### [{slug}]({slug}/README.md)", "",
                      f"![{slug}]({slug}/{module_name(slug)}.gif)", "",
                      f"*{meta['paper']}.* {meta['claim']}", "",
                      f"Over seeds: {figure_text(slug, rows)}. Paper's criterion: {criterion_text(slug, rows)} "
                      f"({status_of(slug, rows)}).", ""]
    return "\n".join(parts).rstrip() + "\n"


def replace_block(text: str, name: str, body: str) -> str:
    begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
    if begin not in text or end not in text:
        raise ValueError(f"generated block {name!r} missing (markers {begin} ... {end})")
    head, rest = text.split(begin, 1)
    return head + begin + "\n" + body + "\n" + end + rest.split(end, 1)[1]


def rendered_files(rows: list[Row]) -> dict[Path, str]:
    """Every generated file (or file with a generated block) as it should read for `rows`."""
    rows = sort_rows(rows)
    out = {RESULTS: render_results(rows), ROOT / "VISUAL_TOUR.md": render_tour(rows)}
    readme = ROOT / "README.md"
    text = replace_block(readme.read_text(), "catalog", summary_table(rows))
    text = replace_block(text, "count", count_text(rows))
    out[readme] = replace_block(text, "timing", timing_text(rows)) if "GENERATED: timing" in text else text
    for slug in discover():
        path = ROOT / slug / "README.md"
        text = path.read_text()
        if "<!-- BEGIN GENERATED: results -->" not in text:
            continue  # a README still being written: the contract test names the missing block
        text = replace_block(text, "results", results_table(slug, rows))
        if "<!-- BEGIN GENERATED: headline -->" in text:
            text = replace_block(text, "headline", folder_headline(slug, rows))
        out[path] = text
    return out


def update_ledger(fresh: list[Row]) -> None:
    """Merge fresh rows into RESULTS.md and re-render, one writer at a time (an exclusive lock on the
    ledger). Stubs are re-read first, so a CLAIMS edit made during a long run is honoured."""
    import fcntl
    with open(RESULTS, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stubs._STUBS.clear()
        write_rendered(merge_rows(read_ledger(), fresh))


def write_rendered(rows: list[Row]) -> None:
    for path, text in rendered_files(rows).items():
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)


def tier_tasks(rows: list[Row], tier: str) -> list[float]:
    """The tier's seed-runs as the ledger recorded them: one duration per process (a sweep's
    recorded time is split evenly over its seeds)."""
    from .runner import expand
    tasks, seen = [], set()
    for r in rows:
        if (tier == "all" or r.tier == tier) and (r.slug, r.args) not in seen:
            seen.add((r.slug, r.args))
            n = len(expand(r.args))
            tasks += [r.wall_s / n] * n
    return tasks


def makespan(tasks: list[float], workers: int) -> float:
    """Wall-clock of running `tasks` on `workers` single-core workers, longest first (LPT)."""
    import heapq
    loads = [0.0] * workers
    for t in sorted(tasks, reverse=True):
        heapq.heapreplace(loads, loads[0] + t)
    return max(loads)


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.0f} min"


def timing_text(rows: list[Row]) -> str:
    """The README's cost of re-deriving the ledger, from the recorded wall-clocks (never typed)."""
    lines = ["| tier | seed-runs | CPU time (sum) | on 2 cores | on a 64-core cluster | longest run |",
             "|---|---:|---:|---:|---:|---:|"]
    for tier in ("headline", "seeds", "long", "all"):
        tasks = tier_tasks(rows, tier)
        if not tasks:
            continue
        lines.append(f"| {tier} | {len(tasks)} | {hours(sum(tasks))} | {hours(makespan(tasks, 2))} | "
                     f"{hours(makespan(tasks, 64))} | {max(tasks):.0f} s |")
    exemplar = sum(tier_tasks([r for r in rows if r.slug == "flip-flop"], "headline"))
    return ("\n".join(lines) + "\n\nFrom the ledger's recorded times (one process per seed, longest first; "
            f"a sweep's time split evenly over its seeds). The exemplar's headline tier (flip-flop) is "
            f"{exemplar:.0f} s of CPU.")
