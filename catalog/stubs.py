"""The catalog's folders: discovery, reading a stub's declarations, code hashes, snippets, environment.

Experiment folders never import this package (they are self-contained); the package imports a stub
only to read its SLUG / META / CLAIMS / Config declarations, which cost nothing at import time.
"""
from __future__ import annotations

import argparse
import functools
import importlib.util
import platform
import re
import sys
import threading
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]  # the repository: catalog/ sits at its top

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


_PARSE_LOCK = threading.Lock()


@functools.lru_cache(maxsize=256)
def source_hash(text: str) -> str:
    """code_hash of a stub's source text. Parsed under a lock: CPython 3.11's parser is not safe to
    enter from two threads at once (a Dask done-callback keeps a record while the main thread
    submits; that raised "AST constructor recursion depth mismatch"), and cached by text."""
    import ast
    import hashlib
    with _PARSE_LOCK:
        tree = ast.parse(text)
    body = tree.body[1:] if tree.body and isinstance(tree.body[0], ast.Expr) else tree.body
    parts = sorted(ast.dump(node) for node in body
                   if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                           and getattr(node.targets[0], "id", None) in DECLARATIONS))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def era_of(year: int) -> str:
    return next(title for lo, hi, title in ERAS if lo <= year <= hi)


def env_string() -> str:
    import numpy
    return f"py{platform.python_version()} np{numpy.__version__} {platform.machine()}"

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
