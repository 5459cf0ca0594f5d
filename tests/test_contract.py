"""Contract tests: every experiment folder has the shape SPEC.md prescribes. Fast, no training."""
import ast
import contextlib
import dataclasses
import io
import re
import sys

import pytest
from PIL import Image

from conftest import SLUGS, catalog

ALLOWED_THIRD_PARTY = {"numpy", "matplotlib", "PIL"}
MAX_GIF_BYTES = 2 * 1024 * 1024


def files_of(slug):
    mod = catalog.module_name(slug)
    root = catalog.ROOT / slug
    return {"stub": root / f"{mod}.py", "viz": root / f"visualize_{mod}.py",
            "gif_script": root / f"make_{mod}_gif.py", "readme": root / "README.md", "gif": root / f"{mod}.gif"}


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_files_exist(slug):
    missing = [str(p.relative_to(catalog.ROOT)) for p in files_of(slug).values() if not p.is_file()]
    assert not missing, f"{slug}: missing {', '.join(missing)}"


def readme_sections(text):
    """(H1 line, header block, [H2 titles]) of a README, ignoring fenced code."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    lines = text.splitlines()
    h1 = next((ln for ln in lines if ln.startswith("# ")), "")
    h2 = [ln[3:].strip() for ln in lines if ln.startswith("## ")]
    header = text.split("\n## ", 1)[0]
    return h1, header, h2


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_readme_sections(slug):
    text = files_of(slug)["readme"].read_text()
    h1, header, h2 = readme_sections(text)
    assert h1.startswith(f"# {slug}"), f"{slug}/README.md must open with '# {slug} — <title>', found {h1!r}"
    gif = f"{catalog.module_name(slug)}.gif"
    assert f"]({gif})" in header, f"{slug}/README.md header must show the GIF: ![...]({gif})"
    expected = list(catalog.README_SECTIONS[1:])
    assert h2 == expected, f"{slug}/README.md sections are {h2}, SPEC.md requires {expected}"
    assert "<!-- BEGIN GENERATED: results -->" in text.split("## Results", 1)[1].split("\n## ", 1)[0], \
        f"{slug}/README.md: the generated results block belongs in ## Results"


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_gif_is_animated_and_small(slug):
    path = files_of(slug)["gif"]
    size = path.stat().st_size
    assert size <= MAX_GIF_BYTES, f"{path.name} is {size / 2**20:.2f} MB, the limit is 2 MB"
    with Image.open(path) as im:
        assert im.format == "GIF", f"{path.name} is {im.format}, not GIF"
        assert getattr(im, "n_frames", 1) > 1, f"{path.name} has one frame; it must be animated"


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_viz_pngs_open(slug):
    pngs = sorted((catalog.ROOT / slug / "viz").glob("*.png"))
    assert pngs, f"{slug}/viz/ has no PNG"
    for png in pngs:
        with Image.open(png) as im:
            im.verify()
    readme = files_of(slug)["readme"].read_text()
    unused = [p.name for p in pngs if f"viz/{p.name}" not in readme]
    assert not unused, f"{slug}/README.md does not show {', '.join(unused)}"


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                yield "<relative>"
            else:
                yield node.module.split(".")[0]


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_imports_stay_inside(slug):
    folder = catalog.ROOT / slug
    own = {p.stem for p in folder.glob("*.py")}
    for path in sorted(folder.glob("*.py")):
        bad = sorted({m for m in imported_modules(path)
                      if m not in own and m not in ALLOWED_THIRD_PARTY and m not in sys.stdlib_module_names})
        assert not bad, f"{path.relative_to(catalog.ROOT)} imports {', '.join(bad)}: a folder may import " \
                        f"only itself, the standard library, numpy, matplotlib and PIL"
    stub_imports = set(imported_modules(files_of(slug)["stub"]))
    assert not stub_imports & {"matplotlib", "PIL"}, f"{slug}: the stub must not import plotting libraries"


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_declarations(slug):
    mod = catalog.load_stub(slug)
    assert mod.SLUG == slug
    assert (mod.__doc__ or "").strip(), f"{slug}: the stub needs a docstring (paper, claim, command)"
    meta = mod.META
    missing = {"title", "paper", "year", "claim", "gradcheck", "figure"} - set(meta)
    assert not missing, f"{slug}: META lacks {sorted(missing)}"
    assert "status" not in meta, f"{slug}: META['status'] is derived from the paper rows, never typed; remove it"
    claims = catalog.claims_of(slug)
    assert claims and claims[0].tier == "headline" and claims[0].args.split() == ["--seed", "0"], \
        f"{slug}: the first claim must be the headline, args '--seed 0'"
    cfg = mod.Config
    assert dataclasses.is_dataclass(cfg) and cfg.__dataclass_params__.frozen, f"{slug}: Config must be frozen"
    names = {f.name for f in dataclasses.fields(cfg)}
    assert set(mod.SMOKE) <= names, f"{slug}: SMOKE overrides unknown fields {set(mod.SMOKE) - names}"
    helps = mod._field_help(cfg)
    undocumented = sorted(names - set(helps))
    assert not undocumented, f"{slug}: Config fields without a trailing comment: {undocumented}"
    for fn in ("train", "evaluate", "run", "main"):
        assert callable(getattr(mod, fn, None)), f"{slug}: missing function {fn}()"
    source = files_of(slug)["stub"].read_text()
    if re.search(r"def \w*backward\w*\(", source):
        assert meta["gradcheck"], f"{slug}: has a hand-written backward pass, so META['gradcheck'] must be True"
    if meta["gradcheck"]:
        assert callable(getattr(mod, "gradcheck", None)), f"{slug}: META says gradcheck but no gradcheck()"
    budget = meta.get("budget_s", 60)
    assert isinstance(budget, (int, float)) and 0 < budget <= 180, \
        f"{slug}: META['budget_s'] must be a number of seconds in (0, 180] (SPEC.md section 8)"


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_snippets_match_canonical(slug):
    for path in sorted((catalog.ROOT / slug).glob("*.py")):
        drift = catalog.sync_snippets(path, write=False)
        assert not drift, f"{path.relative_to(catalog.ROOT)}: snippet(s) {drift} differ from snippets/; " \
                          f"run python3 -m catalog.snippets"


def call_main(mod, argv):
    """(exit status, stdout, stderr) of the stub's main(argv), in-process (no start-up cost)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = mod.main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_cli_help_and_bad_flags(slug):
    mod = catalog.load_stub(slug)
    code, out, _ = call_main(mod, ["--help"])
    assert code == 0 and "usage" in out and "--smoke" in out and "--gradcheck" in out, f"{slug} --help failed"
    for bad in (["--no-such-flag"], ["--seed", "minus-one"], ["--seed", "-1"]):
        code, _, err = call_main(mod, bad)
        lines = err.strip().splitlines()
        assert code == 2, f"{slug} {' '.join(bad)}: exit {code}, expected 2"
        assert len(lines) == 1 and "error" in lines[0], f"{slug} {' '.join(bad)}: expected one error line: {err!r}"
    # (the picture scripts' own flags are exercised by tests/test_smoke.py::test_smoke_pictures)


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_streams_declared_once(slug):
    """Every random stream is named once, in the module-level STREAMS, and selected by name."""
    tree = ast.parse(files_of(slug)["stub"].read_text())
    declared = [n for n in tree.body if isinstance(n, ast.Assign) and len(n.targets) == 1
                and getattr(n.targets[0], "id", None) == "STREAMS"]
    assert len(declared) == 1, f"{slug}: declare STREAMS = (...) once, at module level"
    names = catalog.load_stub(slug).STREAMS
    assert isinstance(names, tuple) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names), \
        f"{slug}: STREAMS must be a tuple of distinct names, found {names!r}"
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "rng_streams"]
    bad = [c.lineno for c in calls if len(c.args) < 2 or getattr(c.args[1], "id", None) != "STREAMS"]
    assert calls and not bad, f"{slug}: rng_streams(...) must take STREAMS (lines {bad})"


def test_contract_ledger_parses_and_matches_declared_claims():
    problems = catalog.ledger_problems(catalog.read_ledger(), SLUGS)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_headline_figure_over_seeds(slug):
    problems = catalog.figure_problems(slug, catalog.read_ledger())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_stub_reading_order(slug):
    """A reader meets the declarations, then the paper's algorithm, then main(); pasted snippets last."""
    path = files_of(slug)["stub"]
    text = path.read_text()
    tree = ast.parse(text)
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append((node.lineno, node.name))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            names.append((node.lineno, node.targets[0].id))
    line = {n: ln for ln, n in reversed(names)}
    order = ["SLUG", "META", "CLAIMS", "Config", "SMOKE"]
    missing = [n for n in order + ["main"] if n not in line]
    assert not missing, f"{slug}: the stub lacks {missing}"
    got = [line[n] for n in order]
    assert got == sorted(got), f"{slug}: declare {', '.join(order)} in this order"
    first_code = min(ln for ln, n in names if n not in order)
    assert first_code > line["SMOKE"], f"{slug}: line {first_code}: code before the declarations"
    markers = [i + 1 for i, ln in enumerate(text.splitlines()) if ln.startswith("# >>> snippet:")]
    assert markers and min(markers) > line["main"], \
        f"{slug}: the pasted snippets belong after main(), at the end of the stub (SPEC.md section 3)"
    tail = catalog.SNIPPET_BLOCK.sub("", text[text.index("# >>> snippet:"):])
    code = [ln for ln in tail.splitlines() if ln.strip() and not ln.startswith("#")]
    assert code == ['if __name__ == "__main__":', "    sys.exit(main())"], \
        f"{slug}: after the snippets only the __main__ guard may follow, found {code[:3]}"


def test_contract_generated_blocks_are_fresh():
    rows = catalog.read_ledger()
    stale = [str(p.relative_to(catalog.ROOT)) for p, text in catalog.rendered_files(rows).items()
             if not p.is_file() or p.read_text() != text]
    assert not stale, f"stale generated text in {', '.join(stale)}: run python3 reproduce.py <slug> --update " \
                      f"(or python3 reproduce.py --render to re-render from the ledger)"


def test_contract_headline_budget_recorded():
    """The ledger's seed-0 headline pins record wall-clocks inside SPEC.md's budgets."""
    for r in catalog.read_ledger():
        if r.tier == "headline" and r.kind == "pin" and r.args.split() == ["--seed", "0"]:
            budget = catalog.meta_of(r.slug).get("budget_s", 60)
            assert r.wall_s <= budget, f"{r.slug} `{r.args}` took {r.wall_s:.1f} s; its budget is {budget} s"


BLAS_LINE = 'os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")'


@pytest.mark.parametrize("slug", SLUGS)
def test_contract_one_blas_thread_unless_chosen(slug):
    """Multi-threaded BLAS makes these small nets several times slower; every script a user runs
    directly picks one thread by itself, before numpy is imported, unless the user chose otherwise."""
    for key in ("stub", "viz", "gif_script"):
        path = files_of(slug)[key]
        text = path.read_text()
        first = min(text.find(s) for s in ("\nimport numpy", "\nimport matplotlib", "\nfrom PIL", "\nimport " +
                                          catalog.module_name(slug) + "\n") if s in text)
        at = text.find(BLAS_LINE)
        assert 0 <= at < first, f"{path.relative_to(catalog.ROOT)}: put `{BLAS_LINE}` before numpy is imported"


HEADLINE_BUDGET_PER_FOLDER_S = 60    # SPEC.md section 4: the CI tier's average share per folder
HEADLINE_BUDGET_ONE_FOLDER_S = 180   # and the most any one folder may take


def headline_seconds():
    """Process-seconds of each folder's headline tier, from the ledger (one row per command; a
    sweep's wall_s is the sum over its seeds, so this is what the tier costs in CPU)."""
    per, seen = {}, set()
    for r in catalog.read_ledger():
        if r.tier == "headline" and (r.slug, r.args) not in seen:
            seen.add((r.slug, r.args))
            per[r.slug] = per.get(r.slug, 0.0) + r.wall_s
    return per


def test_contract_ci_headline_tier_fits_its_budget():
    """CI re-derives every headline row within its 90 minutes, with room for the catalog to triple."""
    per = headline_seconds()
    over = [f"{slug} {s:.0f} s" for slug, s in sorted(per.items()) if s > HEADLINE_BUDGET_ONE_FOLDER_S]
    assert not over, (f"headline tier above {HEADLINE_BUDGET_ONE_FOLDER_S} s per folder: {', '.join(over)}; "
                      f"make it faster or move sweeps to the seeds tier")
    total, budget = sum(per.values()), HEADLINE_BUDGET_PER_FOLDER_S * len(SLUGS)
    assert total <= budget, f"headline tier {total:.0f} CPU s for {len(SLUGS)} folders; budget {budget} s"
