"""Shared tooling of the catalog: discovery, snippets, claims, the ledger, rendering, running.

Used by reproduce.py, bin/build_book.py, bin/sync_snippets.py and tests/. Experiment folders
never import this module (they are self-contained); this module imports them only to read
their SLUG / META / CLAIMS declarations, which cost nothing at import time.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.util
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "RESULTS.md"
SNIPPETS = ROOT / "snippets"
TIERS = ("headline", "seeds", "long")
STATUSES = ("reproduced", "partial", "not reproduced")
README_SECTIONS = ("Header", "Problem", "Files", "Running", "Results", "Visualizations",
                   "Deviations", "Open questions")
ERAS = [  # (first year, last year, title) for the book's and the visual tour's grouping
    (1989, 1991, "1989–1991 · local rules, world models, curiosity, chunkers"),
    (1992, 1994, "1992–1994 · fast weights, factorial codes, self-reference"),
    (1995, 1999, "1995–1999 · Levin search, random search and the LSTM battery"),
    (2000, 2013, "2000–2013 · OOPS, evolution and LSTM descendants"),
    (2014, 2019, "2014–2019 · Graves' machines and world models"),
    (2020, 2100, "2020– · linear transformers and after"),
]


class OneLineParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2 (the tooling's CLIs)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# ----------------------------------------------------------------------------- discovery

def module_name(slug: str) -> str:
    return slug.replace("-", "_")


def stub_path(slug: str) -> Path:
    return ROOT / slug / f"{module_name(slug)}.py"


def discover() -> list[str]:
    """Every experiment folder: a top-level folder holding <slug>.py and README.md."""
    return sorted(d.name for d in ROOT.iterdir()
                  if d.is_dir() and not d.name.startswith(".")
                  and (d / f"{module_name(d.name)}.py").is_file() and (d / "README.md").is_file())


_STUBS: dict[str, object] = {}


def load_stub(slug: str):
    """Import <slug>/<module>.py by path (cached) to read its declarations."""
    if slug not in _STUBS:
        spec = importlib.util.spec_from_file_location(f"catalog_stub_{module_name(slug)}", stub_path(slug))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod  # inspect.getsource (Config's field comments) looks it up here
        spec.loader.exec_module(mod)
        _STUBS[slug] = mod
    return _STUBS[slug]


DECLARATIONS = ("SLUG", "META", "CLAIMS")


def code_hash(slug: str) -> str:
    """Hash of what a stub computes: its top-level statements as syntax trees, in any order, without
    the docstring, comments or the SLUG / META / CLAIMS declarations. Moving a definition, editing a
    claim or a comment keeps it; changing any code, Config default included, changes it."""
    return source_hash(stub_path(slug).read_text())


def source_hash(text: str) -> str:
    """code_hash of a stub's source text."""
    import ast
    import hashlib
    tree = ast.parse(text)
    body = tree.body[1:] if tree.body and isinstance(tree.body[0], ast.Expr) else tree.body
    parts = sorted(ast.dump(node) for node in body
                   if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                           and getattr(node.targets[0], "id", None) in DECLARATIONS))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def config_of(slug: str, args: str):
    """The Config a ledger command runs with (a --seeds command: the Config of each of its seeds)."""
    mod = load_stub(slug)
    argv = expand(args)[0]
    return mod.parse_config(argv, mod.Config, mod.__doc__ or "", mod.SMOKE)[0]


def fingerprint(slug: str, args: str) -> str:
    return load_stub(slug).config_fingerprint(config_of(slug, args))


def era_of(year: int) -> str:
    return next(title for lo, hi, title in ERAS if lo <= year <= hi)


# ----------------------------------------------------------------------------- snippets

SNIPPET_BLOCK = re.compile(r"^# >>> snippet: (\w+)[^\n]*\n(.*?)^# <<< snippet: \1\n", re.S | re.M)


def snippet_names() -> list[str]:
    return sorted(p.stem for p in SNIPPETS.glob("*.py"))


def sync_snippets(path: Path, write: bool) -> list[str]:
    """Names of the snippet blocks in `path` that differ from snippets/<name>.py; rewrites them if `write`."""
    text = path.read_text()
    drift = []

    def repl(m):
        canonical = SNIPPETS / f"{m[1]}.py"
        body = canonical.read_text() if canonical.is_file() else None
        if body != m[2]:
            drift.append(m[1])
        if body is None:
            return m[0]
        return m[0].replace(m[2], body, 1) if m[2] else m[0].replace("\n", "\n" + body, 1)

    new = SNIPPET_BLOCK.sub(repl, text)
    if write and new != text:
        path.write_text(new)
    return drift


# ----------------------------------------------------------------------------- claims

CLAIM_RE = re.compile(r"^\s*(>=|<=|==|>|<)\s*([-+0-9.eE]+)(?:\s*/\s*(\d+))?\s*$")
_OPS = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
        "<": lambda a, b: a < b, "==": lambda a, b: a == b}


def parse_claim(text: str):
    """'>= 0.95' -> ('>=', 0.95, None); '>= 9/10' -> ('>=', 9.0, 10)."""
    m = CLAIM_RE.match(text)
    if not m:
        raise ValueError(f"claim {text!r} is not '<op> <number>' or '<op> <k>/<n>' (op: >= <= > < ==)")
    return m[1], float(m[2]), (int(m[3]) if m[3] else None)


def parse_measured(value):
    """A measured value as (number, denominator or None); accepts 0.97, '0.97', '9/10'."""
    if isinstance(value, str) and "/" in value:
        k, n = value.split("/")
        return float(k), int(n)
    return float(value), None


def claim_holds(claim: str, measured) -> bool:
    op, target, denom = parse_claim(claim)
    value, mdenom = parse_measured(measured)
    if denom is not None and mdenom != denom:
        return False
    return math.isfinite(value) and _OPS[op](value, target)


def fmt(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or (isinstance(value, (int, float)) and float(value).is_integer()
                                   and abs(value) < 1e12):
        return str(int(value))
    return f"{value:.4g}"


# ----------------------------------------------------------------------------- declarations

KINDS = ("paper", "seeds", "pin")
KIND_TEXT = {"paper": "the paper's own criterion, in its units: MET or NOT MET",
             "seeds": "a claim over seeds (or trials) about the method: must hold",
             "pin": "a single-seed regression pin: must hold, and on the ledger's machine give the same value"}


def default_kind(args: str) -> str:
    return "seeds" if "--seeds" in shlex.split(args) else "pin"


@dataclass(frozen=True)
class Claim:
    slug: str
    tier: str
    args: str
    metric: str
    claim: str
    paper: str
    published: str
    kind: str = "pin"
    reduced: bool = False  # a paper criterion checked at a reduced set-up (the claim's text names it)

    @property
    def key(self):
        return (self.slug, self.args, self.metric)


def claims_of(slug: str) -> list[Claim]:
    """The CLAIMS a stub declares, validated."""
    mod = load_stub(slug)
    out = []
    for c in getattr(mod, "CLAIMS", []):
        kind = c.get("kind", default_kind(c["args"]))
        claim = Claim(slug, c["tier"], c["args"], c["metric"], c["claim"], c.get("paper", "—"),
                      c.get("published", "—"), kind, bool(c.get("reduced", False)))
        if claim.tier not in TIERS:
            raise ValueError(f"{slug}: tier {claim.tier!r} not in {TIERS}")
        if kind not in KINDS:
            raise ValueError(f"{slug}: kind {kind!r} not in {KINDS}")
        if kind != "paper" and kind != default_kind(c["args"]):
            raise ValueError(f"{slug} `{c['args']}`: kind {kind!r}: a --seeds command is kind 'seeds', "
                             f"a single run kind 'pin' (or either kind 'paper')")
        if claim.reduced and kind != "paper":
            raise ValueError(f"{slug}: only a kind='paper' claim can be reduced")
        parse_claim(claim.claim)
        out.append(claim)
    return out


def meta_of(slug: str) -> dict:
    return dict(load_stub(slug).META)


# ----------------------------------------------------------------------------- ledger

LEDGER_COLUMNS = ("experiment", "tier", "kind", "command", "metric", "claim", "measured", "verdict",
                  "paper", "published catalog", "config", "wall_s", "recorded", "env")
LEDGER_BEGIN, LEDGER_END = "<!-- BEGIN LEDGER -->", "<!-- END LEDGER -->"
VERDICTS = {"paper": ("MET", "NOT MET"), "seeds": ("PASS", "FALLS SHORT"), "pin": ("PASS", "FALLS SHORT")}


def judge(kind: str, claim: str, measured) -> str:
    """The verdict a row must carry: MET / NOT MET for the paper's criterion, else PASS / FALLS SHORT."""
    good, bad = VERDICTS[kind]
    return good if claim_holds(claim, measured) else bad


@dataclass
class Row:
    slug: str
    tier: str
    kind: str
    args: str
    metric: str
    claim: str
    measured: str
    verdict: str      # as recorded; the contract re-judges it (a hand edit fails)
    paper: str
    published: str
    config: str       # fingerprint of the Config the command ran with
    wall_s: float
    recorded: str
    env: str

    @property
    def key(self):
        return (self.slug, self.args, self.metric)

    @property
    def judged(self) -> str:
        return judge(self.kind, self.claim, self.measured)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def _uncell(text: str) -> str:
    text = text.strip().replace("\\|", "|")
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "`" else text


def _split_row(line: str) -> list[str]:
    return [_uncell(c) for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def read_ledger(path: Path = RESULTS) -> list[Row]:
    if not path.is_file():
        return []
    text = path.read_text()
    if LEDGER_BEGIN not in text or LEDGER_END not in text:
        raise ValueError(f"{path.name}: ledger markers missing")
    block = text.split(LEDGER_BEGIN, 1)[1].split(LEDGER_END, 1)[0]
    lines = block.strip().splitlines()
    header = _split_row(lines[0])
    if list(header) != list(LEDGER_COLUMNS):
        raise ValueError(f"{path.name}: ledger columns are {header}, expected {list(LEDGER_COLUMNS)}")
    rows = []
    for line in lines[2:]:
        cells = _split_row(line)
        if len(cells) != len(LEDGER_COLUMNS):
            raise ValueError(f"{path.name}: ledger row has {len(cells)} cells, expected "
                             f"{len(LEDGER_COLUMNS)}: {line}")
        c = dict(zip(LEDGER_COLUMNS, cells))
        rows.append(Row(c["experiment"], c["tier"], c["kind"], c["command"], c["metric"], c["claim"],
                        c["measured"], c["verdict"], c["paper"], c["published catalog"], c["config"],
                        float(c["wall_s"]), c["recorded"], c["env"]))
    return rows


def _table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def _ledger_cells(r: Row) -> list[str]:
    return [r.slug, r.tier, r.kind, f"`{r.args}`", r.metric, f"`{r.claim}`", r.measured, r.verdict, r.paper,
            r.published, f"`{r.config}`", f"{r.wall_s:.2f}", r.recorded, r.env]


def sort_rows(rows: list[Row]) -> list[Row]:
    order = {slug: i for i, slug in enumerate(discover())}
    rank = {}
    for slug in order:
        for i, c in enumerate(claims_of(slug)):
            rank[c.key] = i
    return sorted(rows, key=lambda r: (order.get(r.slug, 1e9), rank.get(r.key, 1e9)))


def headline_row(slug: str, rows: list[Row]) -> Row | None:
    """The seed-0 worked example: the first row of the folder's first claim."""
    mine = [r for r in rows if r.slug == slug]
    return mine[0] if mine else None


def paper_rows(slug: str, rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.slug == slug and r.kind == "paper"]


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


def figure_of(slug: str) -> dict:
    """META['figure']: the multi-seed command and main metric behind the folder's headline figure."""
    fig = dict(meta_of(slug).get("figure") or {})
    return {"args": fig.get("args", ""), "metric": fig.get("metric", "")}


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
    out[readme] = replace_block(text, "count", count_text(rows))
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
        _STUBS.clear()
        write_rendered(merge_rows(read_ledger(), fresh))


def write_rendered(rows: list[Row]) -> None:
    for path, text in rendered_files(rows).items():
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)


# ----------------------------------------------------------------------------- the ledger's own checks

def ledger_problems(rows: list[Row], slugs: list[str] | None = None) -> list[str]:
    """What is wrong with a ledger against the stubs, one sentence each (the contract test asserts none).

    Catches: a hand-edited verdict; a pin or seeds row that misses its claim; a row whose claim, tier
    or kind no longer matches CLAIMS; a row whose Config fingerprint no longer matches the stub's
    Config for that command (a default changed without --update); the -1 "never reached" sentinel
    under a <= or < claim; duplicate, undeclared and missing rows."""
    slugs = discover() if slugs is None else slugs
    declared = {c.key: c for slug in slugs for c in claims_of(slug)}
    problems, seen = [], set()
    prints: dict[tuple, str] = {}
    for r in rows:
        where = f"RESULTS.md {r.slug} `{r.args}` {r.metric}"
        if r.key in seen:
            problems.append(f"{where}: duplicate row")
        seen.add(r.key)
        c = declared.get(r.key)
        if c is None:
            problems.append(f"{where}: no experiment declares this claim")
            continue
        if (r.tier, r.claim, r.kind) != (c.tier, c.claim, c.kind):
            problems.append(f"{where}: tier/claim/kind {(r.tier, r.claim, r.kind)} differ from CLAIMS "
                            f"{(c.tier, c.claim, c.kind)}; rerun reproduce.py {r.slug} --update")
        if r.verdict != r.judged:
            problems.append(f"{where}: recorded verdict {r.verdict!r} but {r.measured} against `{r.claim}` "
                            f"is {r.judged!r} (verdicts are derived, never typed)")
        if r.kind != "paper" and r.judged != "PASS":
            problems.append(f"{where}: measured {r.measured} misses its claim `{r.claim}`: "
                            f"fix the claim or the experiment")
        op = parse_claim(r.claim)[0]
        if op in ("<=", "<") and parse_measured(r.measured)[0] == -1:
            problems.append(f"{where}: -1 under a `{op}` claim is a 'never reached' sentinel that passes "
                            f"on failure; report NaN instead")
        if (r.slug, r.args) not in prints:
            prints[(r.slug, r.args)] = fingerprint(r.slug, r.args)
        if r.config != prints[(r.slug, r.args)]:
            problems.append(f"{where}: ran with Config {r.config}, but the stub's Config for this command "
                            f"is now {prints[(r.slug, r.args)]}; rerun reproduce.py {r.slug} --update")
        if not (r.wall_s >= 0 and re.fullmatch(r"\d{4}-\d\d-\d\d", r.recorded) and r.env):
            problems.append(f"{where}: incomplete row")
    missing = [k for k in declared if k not in seen]
    if missing:
        problems.append(f"claims never run into RESULTS.md: {missing}; run python3 reproduce.py <slug> --update")
    return problems


def figure_problems(slug: str, rows: list[Row]) -> list[str]:
    """The headline figure must be a statement over >= 5 seeds (>= 10 when a run takes under 10 s)."""
    fig = figure_of(slug)
    if "--seeds" not in shlex.split(fig["args"]) or not fig["metric"]:
        return [f"{slug}: META['figure'] must name a --seeds command and its main metric"]
    got = {r.metric: r for r in rows if r.slug == slug and r.args == fig["args"]}
    out = [f"{slug}: no ledger row for {m} of the figure command `{fig['args']}`"
           for m in ("solved_seeds", f"median_{fig['metric']}") if m not in got]
    n = len(expand(fig["args"]))
    head = headline_row(slug, rows)
    need = 10 if head is not None and head.wall_s < 10 else 5
    if n < need:
        out.append(f"{slug}: the figure runs {n} seeds; a run of {head.wall_s if head else '?'} s needs >= {need}")
    if not any(c.kind == "paper" for c in claims_of(slug)):
        out.append(f"{slug}: no claim of kind 'paper' (the paper's own criterion)")
    return out


# ----------------------------------------------------------------------------- running

class RunError(RuntimeError):
    pass


def parse_seeds(text: str) -> list[int]:
    """'0-9' -> 0..9, '1,4,7' -> [1, 4, 7]."""
    try:
        if re.fullmatch(r"\d+-\d+", text):
            lo, hi = map(int, text.split("-"))
            if hi < lo:
                raise ValueError
            return list(range(lo, hi + 1))
        seeds = [int(s) for s in text.split(",")]
        if any(s < 0 for s in seeds):
            raise ValueError
        return seeds
    except ValueError:
        raise ValueError(f"bad seed range {text!r}: use A-B or a,b,c") from None


def expand(args: str) -> list[list[str]]:
    """Stub argument lists for one ledger command (one per seed for a --seeds command)."""
    argv = shlex.split(args)
    if "--seeds" not in argv:
        return [argv]
    i = argv.index("--seeds")
    rest = argv[:i] + argv[i + 2:]
    return [rest + ["--seed", str(s)] for s in parse_seeds(argv[i + 1])]


def child_env() -> dict:
    """Environment for experiment processes: Agg backend, no bytecode in the repo, one BLAS thread
    per process (parallelism comes from running processes side by side)."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


CACHE = ROOT / ".cache" / "runs"


def cache_path(slug: str, argv: list[str]) -> Path:
    """Where the record of this exact run is kept: same code (code_hash), flags and environment."""
    import hashlib
    key = json.dumps([code_hash(slug), argv, env_string()])
    return CACHE / slug / (hashlib.sha256(key.encode()).hexdigest()[:20] + ".json")


def run_stub(slug: str, argv: list[str], timeout: float | None = None, reuse: bool = False) -> dict:
    """Run `<slug>.py argv --json tmp` in a scratch directory; return its record (with host wall).

    Every record is also kept under .cache/runs/ (git-ignored); with `reuse`, a record of the same
    code, flags and environment is returned instead of running again (reproduce.py --reuse)."""
    cached = cache_path(slug, argv)
    if reuse and cached.is_file():
        record = json.loads(cached.read_text())
        record["reused"] = True
        return record
    with tempfile.TemporaryDirectory(prefix=f"catalog-{slug}-") as tmp:
        out = Path(tmp) / "record.json"
        env = child_env()
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, str(stub_path(slug)), *argv, "--json", str(out)],
                                  cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RunError(f"{slug} {' '.join(argv)}: no result within {timeout:.0f} s") from None
        wall = time.perf_counter() - t0
        if proc.returncode != 0 or not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise RunError(f"{slug} {' '.join(argv)}: exit {proc.returncode}: " + " / ".join(tail))
        record = json.loads(out.read_text())
    record["host_wall_s"] = wall
    record["recorded"] = datetime.date.today().isoformat()
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(record, indent=1, sort_keys=True))
    return record


def run_command(slug: str, args: str, jobs: int = 1, timeout: float | None = None) -> dict:
    """Aggregated metrics of one ledger command, its seeds run `jobs` at a time."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return aggregate(list(pool.map(lambda argv: run_stub(slug, argv, timeout), expand(args))))


def _quantile(sorted_vals: list[float], q: float) -> float:
    """Linear-interpolated quantile of an ascending list (the numpy default)."""
    pos = q * (len(sorted_vals) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    if pos == lo or sorted_vals[lo] == sorted_vals[hi]:
        return sorted_vals[lo]
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def aggregate(records: list[dict]) -> dict:
    """Metrics of one command: the record's own for one run; seed-sweep statistics for several.

    A NaN metric means "never reached" (a run that hit its cap): it sorts above every number in
    the order statistics (median, quartiles, max become inf when enough runs fail) and makes the
    mean NaN, so a claim over failed runs can never pass by leaving them out."""
    if len(records) == 1:
        return dict(records[0]["metrics"])
    metrics = [r["metrics"] for r in records]
    out = {}
    if all("solved" in m for m in metrics):
        out["solved_seeds"] = f"{sum(int(m['solved']) for m in metrics)}/{len(metrics)}"
    for name in metrics[0]:
        vals = [float(m[name]) for m in metrics if name in m]
        ordered = sorted(math.inf if math.isnan(v) else v for v in vals)
        out[f"mean_{name}"] = math.nan if any(math.isnan(v) for v in vals) else statistics.fmean(vals)
        out[f"median_{name}"] = _quantile(ordered, 0.5)
        out[f"q1_{name}"] = _quantile(ordered, 0.25)
        out[f"q3_{name}"] = _quantile(ordered, 0.75)
        out[f"min_{name}"] = ordered[0]
        out[f"max_{name}"] = ordered[-1]
    return out


def env_string() -> str:
    import numpy
    return f"py{platform.python_version()} np{numpy.__version__} {platform.machine()}"


def rows_from_run(claims: list[Claim], metrics: dict, wall_s: float, recorded: str | None = None) -> list[Row]:
    """Ledger rows for the claims of one command, from its (aggregated) metrics."""
    today, env = recorded or datetime.date.today().isoformat(), env_string()
    rows = []
    for c in claims:
        if c.metric not in metrics:
            raise RunError(f"{c.slug} `{c.args}`: no metric {c.metric!r} (has: {', '.join(sorted(metrics))})")
        measured = fmt(metrics[c.metric])
        rows.append(Row(c.slug, c.tier, c.kind, c.args, c.metric, c.claim, measured,
                        judge(c.kind, c.claim, measured), c.paper, c.published, fingerprint(c.slug, c.args),
                        round(wall_s, 2), today, env))  # as the ledger stores it, so renders agree
    return rows


def merge_rows(old: list[Row], new: list[Row]) -> list[Row]:
    """Ledger after a run: fresh rows replace theirs; rows whose claim a stub no longer declares go.

    The claim text, its kind and tier and the comparison text (`paper`, `published`) are copied from
    the stubs' CLAIMS, and the verdict is re-judged from the recorded value: a claim is a comparison
    with a measured number, so restating it needs no rerun. The measured value, the Config
    fingerprint, the wall-clock and the environment only change by a run."""
    fresh = {r.key: r for r in new}
    declared = {c.key: c for slug in discover() for c in claims_of(slug)}
    kept = [fresh.pop(r.key, r) for r in old if r.key in declared]
    rows = kept + list(fresh.values())
    out = []
    for r in rows:
        c = declared.get(r.key)
        if c is not None:
            r = dataclasses.replace(r, paper=c.paper, published=c.published, kind=c.kind, claim=c.claim,
                                    tier=c.tier)
            r = dataclasses.replace(r, verdict=judge(r.kind, r.claim, r.measured))
        out.append(r)
    return out
