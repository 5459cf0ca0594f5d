"""The shared tooling itself: claims, ledger round trip, runner CLI, book sources."""
import dataclasses
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SLUGS, catalog, run


@pytest.mark.parametrize("claim,measured,ok", [
    (">= 0.95", 0.97, True), (">= 0.95", "0.9", False), ("<= 0.04", 0.04, True), ("< 0.04", 0.04, False),
    (">= 9/10", "10/10", True), (">= 9/10", "8/10", False), (">= 9/10", "9/12", False),
    ("== 30", 30, True), (">= 1", float("nan"), False), ("<= 1", "nan", False), ("<= 1e9", "inf", False)])
def test_claim_grammar(claim, measured, ok):
    assert catalog.claim_holds(claim, measured) is ok


def test_nan_means_never_reached():
    """NaN fails every claim; in a sweep it sorts above every number and makes the mean NaN."""
    assert not catalog.claim_holds("<= 5000", float("nan")) and not catalog.claim_holds("<= 5000", "inf")
    recs = [{"metrics": {"solved": s, "seqs": q}} for s, q in ((1, 100.0), (0, float("nan")), (1, 300.0))]
    agg = catalog.aggregate(recs)
    assert agg["solved_seeds"] == "2/3" and agg["median_seqs"] == 300.0 and agg["max_seqs"] == float("inf")
    assert agg["mean_seqs"] != agg["mean_seqs"]  # NaN: failed runs are never left out of a mean
    assert not catalog.claim_holds("<= 1000", catalog.fmt(agg["mean_seqs"]))


def ledger_copy():
    return [dataclasses.replace(r) for r in catalog.read_ledger()]


def test_ledger_problems_catch_a_hand_edited_verdict():
    rows = ledger_copy()
    assert not catalog.ledger_problems(rows, SLUGS)
    paper = next(r for r in rows if r.kind == "paper")
    paper.verdict = "NOT MET" if paper.verdict == "MET" else "MET"
    assert any("recorded verdict" in p for p in catalog.ledger_problems(rows, SLUGS))


def test_ledger_problems_catch_a_sentinel():
    rows = ledger_copy()
    r = next(r for r in rows if r.claim.startswith("<="))
    r.measured = "-1"
    r.verdict = r.judged
    assert any("sentinel" in p for p in catalog.ledger_problems(rows, SLUGS))


def test_ledger_problems_catch_a_changed_config_default(monkeypatch):
    """Changing a Config default without rerunning the rows that used it fails the contract."""
    rows = ledger_copy()
    slug = "flip-flop"
    mod = catalog.load_stub(slug)
    fields = []
    for f in dataclasses.fields(mod.Config):
        default = f.default + 1 if f.name == "c_steps" else f.default
        fields.append((f.name, f.type, dataclasses.field(default=default, metadata=f.metadata)))
    changed = dataclasses.make_dataclass("Config", fields, frozen=True)
    monkeypatch.setattr(mod, "Config", changed)
    problems = catalog.ledger_problems(rows, SLUGS)
    assert any(slug in p and "Config" in p for p in problems)


def test_status_is_derived_from_paper_rows():
    rows = ledger_copy()
    slug = next(r.slug for r in rows if r.kind == "paper")
    mine = catalog.paper_rows(slug, rows)
    for r in mine:
        r.verdict = "MET"
    reduced = any(c.reduced for c in catalog.claims_of(slug) if c.kind == "paper")
    assert catalog.status_of(slug, rows) == ("partial" if reduced else "reproduced")
    for r in mine:
        r.verdict = "NOT MET"
    assert catalog.status_of(slug, rows) == "not reproduced"


def test_code_hash_ignores_order_and_declarations_not_code():
    text = catalog.stub_path("flip-flop").read_text()
    base = catalog.source_hash(text)
    assert catalog.source_hash(text.replace('claim=">= 6/10"', 'claim=">= 5/10"')) == base
    defs = text.split("\n\n\ndef ")
    swapped = "\n\n\ndef ".join([defs[0], defs[2], defs[1]] + defs[3:])
    assert catalog.source_hash(swapped) == base
    assert catalog.source_hash(text.replace("batch: int = 64", "batch: int = 65")) != base


def test_bad_claim_is_rejected():
    with pytest.raises(ValueError):
        catalog.parse_claim("about 0.9")


def test_claim_declared_twice_is_rejected(monkeypatch):
    mod = catalog.load_stub("flip-flop")
    monkeypatch.setattr(mod, "CLAIMS", mod.CLAIMS + [dict(mod.CLAIMS[0], claim=">= 0")])
    with pytest.raises(ValueError, match="declared twice"):
        catalog.claims_of("flip-flop")


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
    res = run(["-m", "catalog.book", "--out", out], catalog.ROOT)
    assert res.returncode == 0, res.stderr
    summary = (out / "SUMMARY.md").read_text()
    for slug in SLUGS:
        assert f"]({slug}/index.md)" in summary, f"SUMMARY.md does not list {slug}"
    assert not list(out.rglob("*.py")), "the book links the code; it does not copy it"
    broken = []
    for page in out.rglob("*.md"):
        text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
        text = re.sub(r"`[^`\n]*`", "", text)
        for target in MD_LINK.findall(text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if target.split("#")[0].endswith("README.md"):
                broken.append(f"{page.relative_to(out)} -> {target} (mdBook writes README pages as index.html)")
            elif not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(out)} -> {target}")
        for target in re.findall(r"<img[^>]+src=\"([^\"]+)\"", text):
            if not re.match(r"[a-z]+:", target) and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(out)} -> {target}")
    assert not broken, "broken links in the book:\n  " + "\n  ".join(broken)


def _processes_running(fragment, ppid=None):
    """The pids of processes whose command line contains `fragment` (only `ppid`'s children, if given)."""
    out = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if fragment in (proc / "cmdline").read_bytes().decode(errors="replace"):
                if ppid is None or int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == ppid:
                    out.append(proc.name)
        except (OSError, ValueError, IndexError):
            pass
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to look for orphan processes")
def test_runner_ctrl_c_stops_every_run(tmp_path):
    """Ctrl-C: every experiment process is killed (none left behind) and the runner says what finished.
    Only the runner's own children count: another rs_tomita.py on the machine (the benchmark test on
    a parallel pytest worker, a user's run) must not make the test signal before its runs started."""
    # A process started with SIGINT ignored (a test run launched in the background by a non-interactive
    # shell, `cmd &`) hands that on, and Python then installs no KeyboardInterrupt handler: the runner
    # must start with the default disposition, as it has under a user's terminal.
    proc = subprocess.Popen([sys.executable, str(catalog.ROOT / "reproduce.py"), "rs-tomita", "--seeds", "0-3",
                             "--jobs", "2"], cwd=tmp_path, env=catalog.child_env(), stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    line = proc.stderr.readline()
    assert line.startswith("running"), line
    deadline = time.time() + 20
    while not _processes_running("rs_tomita.py", proc.pid) and time.time() < deadline:
        time.sleep(0.05)
    kids = set(_processes_running("rs_tomita.py", proc.pid))
    assert kids, "no experiment process started"
    time.sleep(0.3)
    kids |= set(_processes_running("rs_tomita.py", proc.pid))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "0 of 1 command(s) had finished" in err, err
    time.sleep(0.2)
    assert not kids & set(_processes_running("rs_tomita.py")), "experiment processes outlived the runner"


def test_benchmark_runs_at_tiny_size():
    """The speed benchmark (python3 -m catalog.bench) keeps working: every entry once, tiny."""
    res = run(["-m", "catalog.bench", "--tiny"], catalog.ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    import catalog.bench as bench
    assert len(res.stdout.strip().splitlines()) == len(bench.ENTRIES), res.stdout
