"""RESULTS.md's ledger: reading and writing rows, merging fresh runs, and the ledger's own checks."""
from __future__ import annotations

import dataclasses
import datetime
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from .claims import Claim, claims_of, fingerprint, fmt, judge, meta_of, parse_claim, parse_measured
from .runner import RunError, expand
from .stubs import RESULTS, discover, env_string


LEDGER_COLUMNS = ("experiment", "tier", "kind", "command", "metric", "claim", "measured", "verdict",
                  "paper", "published catalog", "config", "wall_s", "recorded", "env")

LEDGER_BEGIN, LEDGER_END = "<!-- BEGIN LEDGER -->", "<!-- END LEDGER -->"


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


def rows_from_run(claims: list[Claim], metrics: dict, wall_s: float, recorded: str | None = None,
                  env: str | None = None) -> list[Row]:
    """Ledger rows for the claims of one command, from its (aggregated) metrics."""
    today, env = recorded or datetime.date.today().isoformat(), env or env_string()
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


def headline_row(slug: str, rows: list[Row]) -> Row | None:
    """The seed-0 worked example: the first row of the folder's first claim."""
    mine = [r for r in rows if r.slug == slug]
    return mine[0] if mine else None


def paper_rows(slug: str, rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.slug == slug and r.kind == "paper"]


def figure_of(slug: str) -> dict:
    """META['figure']: the multi-seed command and main metric behind the folder's headline figure."""
    fig = dict(meta_of(slug).get("figure") or {})
    return {"args": fig.get("args", ""), "metric": fig.get("metric", "")}
