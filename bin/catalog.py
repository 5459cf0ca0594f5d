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

@dataclass(frozen=True)
class Claim:
    slug: str
    tier: str
    args: str
    metric: str
    claim: str
    paper: str
    published: str

    @property
    def key(self):
        return (self.slug, self.args, self.metric)


def claims_of(slug: str) -> list[Claim]:
    """The CLAIMS a stub declares, validated."""
    mod = load_stub(slug)
    out = []
    for c in getattr(mod, "CLAIMS", []):
        claim = Claim(slug, c["tier"], c["args"], c["metric"], c["claim"], c.get("paper", "—"),
                      c.get("published", "—"))
        if claim.tier not in TIERS:
            raise ValueError(f"{slug}: tier {claim.tier!r} not in {TIERS}")
        parse_claim(claim.claim)
        out.append(claim)
    return out


def meta_of(slug: str) -> dict:
    return dict(load_stub(slug).META)


# ----------------------------------------------------------------------------- ledger

LEDGER_COLUMNS = ("experiment", "tier", "command", "metric", "claim", "measured", "verdict",
                  "paper", "published catalog", "wall_s", "recorded", "env")
LEDGER_BEGIN, LEDGER_END = "<!-- BEGIN LEDGER -->", "<!-- END LEDGER -->"


@dataclass
class Row:
    slug: str
    tier: str
    args: str
    metric: str
    claim: str
    measured: str
    paper: str
    published: str
    wall_s: float
    recorded: str
    env: str

    @property
    def key(self):
        return (self.slug, self.args, self.metric)

    @property
    def verdict(self) -> str:
        return "PASS" if claim_holds(self.claim, self.measured) else "FALLS SHORT"


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
    rows = []
    for line in block.strip().splitlines()[2:]:
        cells = _split_row(line)
        if len(cells) != len(LEDGER_COLUMNS):
            raise ValueError(f"{path.name}: ledger row has {len(cells)} cells, expected "
                             f"{len(LEDGER_COLUMNS)}: {line}")
        c = dict(zip(LEDGER_COLUMNS, cells))
        rows.append(Row(c["experiment"], c["tier"], c["command"], c["metric"], c["claim"], c["measured"],
                        c["paper"], c["published catalog"], float(c["wall_s"]), c["recorded"], c["env"]))
    return rows


def _table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def _ledger_cells(r: Row) -> list[str]:
    return [r.slug, r.tier, f"`{r.args}`", r.metric, f"`{r.claim}`", r.measured, r.verdict, r.paper,
            r.published, f"{r.wall_s:.2f}", r.recorded, r.env]


def sort_rows(rows: list[Row]) -> list[Row]:
    order = {slug: i for i, slug in enumerate(discover())}
    rank = {}
    for slug in order:
        for i, c in enumerate(claims_of(slug)):
            rank[c.key] = i
    return sorted(rows, key=lambda r: (order.get(r.slug, 1e9), rank.get(r.key, 1e9)))


def headline_row(slug: str, rows: list[Row]) -> Row | None:
    mine = [r for r in rows if r.slug == slug]
    return mine[0] if mine else None


def summary_table(rows: list[Row], link_prefix: str = "") -> str:
    """One line per experiment: paper, year, status, headline, wall-clock."""
    out = []
    for slug in discover():
        meta, head = meta_of(slug), headline_row(slug, rows)
        mine = [r for r in rows if r.slug == slug]
        checks = f"{sum(r.verdict == 'PASS' for r in mine)}/{len(mine)}" if mine else "not run"
        headline = f"{head.metric} = {head.measured} (claim `{head.claim}`)" if head else "not run yet"
        wall = f"{head.wall_s:.1f} s" if head else "—"
        out.append([f"[{slug}]({link_prefix}{slug}/README.md)", meta["paper"], str(meta["year"]),
                    meta["status"], headline, checks, wall])
    return _table(["experiment", "paper", "year", "status", "headline (seed 0)", "claims holding",
                   "headline wall-clock"], out)


def results_table(slug: str, rows: list[Row]) -> str:
    mine = [r for r in rows if r.slug == slug]
    return _table(["tier", "command", "metric", "claim", "measured", "verdict", "paper",
                   "published catalog", "wall-clock"],
                  [[r.tier, f"`{r.args}`", r.metric, f"`{r.claim}`", r.measured, r.verdict, r.paper,
                    r.published, f"{r.wall_s:.1f} s"] for r in mine])


def render_results(rows: list[Row]) -> str:
    rows = sort_rows(rows)
    return f"""# Results

The catalog's ledger. Every row below was written by `python3 reproduce.py <slug> --update` from a
fresh run on the machine named in its `env` column; nothing here is typed by hand. The harness
re-derives each row: `python3 -m pytest --tier headline` (or `--tier seeds`, `--tier long`) reruns
the command and fails when the fresh value misses the claim.

How to read a row: `command` is what follows `python3 <slug>/<module>.py`; a command with
`--seeds A-B` is run once per seed by `reproduce.py` (each as `--seed s` plus the rest), and its
metrics are aggregated over seeds (`solved_seeds` = runs whose `solved` metric is 1, `mean_<m>`,
`median_<m>`, `min_<m>`, `max_<m>`). `claim` is what the catalog asserts and the test checks;
`paper` is the original paper's number and `published catalog` the earlier numpy catalog's, both
for comparison only. `wall_s` is the command's wall-clock in seconds (for seed sweeps, the sum over
seeds). Tiers: `headline` runs in CI, `seeds` is an opt-in multi-seed tier, `long` documents
runs beyond the CI budget.

## Catalog

<!-- BEGIN GENERATED: summary -->
{summary_table(rows)}
<!-- END GENERATED: summary -->

## Ledger

{LEDGER_BEGIN}
{_table(LEDGER_COLUMNS, [_ledger_cells(r) for r in rows])}
{LEDGER_END}
"""


def render_tour() -> str:
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
                      f"*{meta['paper']}.* {meta['claim']}", ""]
    return "\n".join(parts).rstrip() + "\n"


def replace_block(text: str, name: str, body: str) -> str:
    begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
    if begin not in text or end not in text:
        raise ValueError(f"generated block {name!r} missing (markers {begin} ... {end})")
    head, rest = text.split(begin, 1)
    return head + begin + "\n" + body + "\n" + end + rest.split(end, 1)[1]


def rendered_files(rows: list[Row]) -> dict[Path, str]:
    """Every generated file (or file with a generated block) as it should read for `rows`."""
    out = {RESULTS: render_results(rows), ROOT / "VISUAL_TOUR.md": render_tour()}
    readme = ROOT / "README.md"
    out[readme] = replace_block(readme.read_text(), "catalog", summary_table(rows))
    for slug in discover():
        path = ROOT / slug / "README.md"
        if "<!-- BEGIN GENERATED: results -->" not in path.read_text():
            continue  # a README still being written: the contract test names the missing block
        out[path] = replace_block(path.read_text(), "results", results_table(slug, rows))
    return out


def write_rendered(rows: list[Row]) -> None:
    for path, text in rendered_files(rows).items():
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)


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


def run_stub(slug: str, argv: list[str], timeout: float | None = None) -> dict:
    """Run `<slug>.py argv --json tmp` in a scratch directory; return its record (with host wall)."""
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
    return record


def run_command(slug: str, args: str, jobs: int = 1, timeout: float | None = None) -> dict:
    """Aggregated metrics of one ledger command, its seeds run `jobs` at a time."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return aggregate(list(pool.map(lambda argv: run_stub(slug, argv, timeout), expand(args))))


def aggregate(records: list[dict]) -> dict:
    """Metrics of one command: the record's own for one run; seed-sweep statistics for several."""
    if len(records) == 1:
        return dict(records[0]["metrics"])
    metrics = [r["metrics"] for r in records]
    out = {}
    if all("solved" in m for m in metrics):
        out["solved_seeds"] = f"{sum(int(m['solved']) for m in metrics)}/{len(metrics)}"
    for name in metrics[0]:
        vals = [float(m[name]) for m in metrics if name in m]
        out[f"mean_{name}"] = statistics.fmean(vals)
        out[f"median_{name}"] = statistics.median(vals)
        out[f"min_{name}"] = min(vals)
        out[f"max_{name}"] = max(vals)
    return out


def env_string() -> str:
    import numpy
    return f"py{platform.python_version()} np{numpy.__version__} {platform.machine()}"


def rows_from_run(claims: list[Claim], metrics: dict, wall_s: float) -> list[Row]:
    """Ledger rows for the claims of one command, from its (aggregated) metrics."""
    today, env = datetime.date.today().isoformat(), env_string()
    rows = []
    for c in claims:
        if c.metric not in metrics:
            raise RunError(f"{c.slug} `{c.args}`: no metric {c.metric!r} (has: {', '.join(sorted(metrics))})")
        rows.append(Row(c.slug, c.tier, c.args, c.metric, c.claim, fmt(metrics[c.metric]), c.paper,
                        c.published, wall_s, today, env))
    return rows


def merge_rows(old: list[Row], new: list[Row]) -> list[Row]:
    """Ledger after a run: fresh rows replace theirs; rows whose claim a stub no longer declares go.

    The comparison text (`paper`, `published`) is copied from the stubs' CLAIMS, so correcting a
    citation needs no rerun; the measured value, the claim and the tier only change by a fresh run."""
    fresh = {r.key: r for r in new}
    declared = {c.key: c for slug in discover() for c in claims_of(slug)}
    kept = [fresh.pop(r.key, r) for r in old if r.key in declared]
    rows = kept + list(fresh.values())
    return [dataclasses.replace(r, paper=declared[r.key].paper, published=declared[r.key].published)
            if r.key in declared else r for r in rows]
