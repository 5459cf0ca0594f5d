"""The shared tooling itself: claims, ledger round trip, runner CLI, book sources."""
import re

import pytest

from conftest import SLUGS, catalog, run


@pytest.mark.parametrize("claim,measured,ok", [
    (">= 0.95", 0.97, True), (">= 0.95", "0.9", False), ("<= 0.04", 0.04, True), ("< 0.04", 0.04, False),
    (">= 9/10", "10/10", True), (">= 9/10", "8/10", False), (">= 9/10", "9/12", False),
    ("== 30", 30, True), (">= 1", float("nan"), False)])
def test_claim_grammar(claim, measured, ok):
    assert catalog.claim_holds(claim, measured) is ok


def test_bad_claim_is_rejected():
    with pytest.raises(ValueError):
        catalog.parse_claim("about 0.9")


def test_seed_ranges_expand():
    assert catalog.expand("--seed 0") == [["--seed", "0"]]
    assert catalog.expand("--seeds 2-4 --regime parallel") == [
        ["--regime", "parallel", "--seed", str(s)] for s in (2, 3, 4)]
    with pytest.raises(ValueError):
        catalog.parse_seeds("4-2")


def test_aggregate_counts_solved_runs():
    recs = [{"metrics": {"solved": s, "acc": a}} for s, a in ((1, 1.0), (0, 0.5), (1, 0.9))]
    agg = catalog.aggregate(recs)
    assert agg["solved_seeds"] == "2/3" and agg["min_acc"] == 0.5 and abs(agg["mean_acc"] - 0.8) < 1e-12


def test_ledger_round_trips(tmp_path):
    rows = catalog.read_ledger()
    path = tmp_path / "RESULTS.md"
    path.write_text(catalog.render_results(rows))
    assert [r.__dict__ for r in catalog.read_ledger(path)] == [r.__dict__ for r in catalog.sort_rows(rows)]


def test_runner_rejects_unknown_experiment(tmp_path):
    res = run([catalog.ROOT / "reproduce.py", "no-such-experiment"], tmp_path)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2 and len(lines) == 1 and "unknown experiment" in lines[0], res.stderr
    assert all(s in lines[0] for s in SLUGS), "the error should list the valid experiments"
    assert "Traceback" not in res.stderr


def test_runner_help_and_list(tmp_path):
    assert run([catalog.ROOT / "reproduce.py", "--help"], tmp_path).returncode == 0
    res = run([catalog.ROOT / "reproduce.py", "--list"], tmp_path)
    assert res.returncode == 0 and all(s in res.stdout for s in SLUGS)


MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def test_book_sources_are_complete(tmp_path):
    out = tmp_path / "src"
    res = run([catalog.ROOT / "bin" / "build_book.py", "--out", out], tmp_path)
    assert res.returncode == 0, res.stderr
    summary = (out / "SUMMARY.md").read_text()
    for slug in SLUGS:
        assert f"]({slug}/README.md)" in summary, f"SUMMARY.md does not list {slug}"
    broken = []
    for page in out.rglob("*.md"):
        text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
        text = re.sub(r"`[^`\n]*`", "", text)
        for target in MD_LINK.findall(text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(out)} -> {target}")
        for target in re.findall(r"<img[^>]+src=\"([^\"]+)\"", text):
            if not re.match(r"[a-z]+:", target) and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(out)} -> {target}")
    assert not broken, "broken links in the book:\n  " + "\n  ".join(broken)
