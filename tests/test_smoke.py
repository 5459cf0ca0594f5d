"""Smoke tests: each experiment's reduced run, twice (determinism), and its picture scripts."""
import json
import math

import pytest
from PIL import Image

from conftest import SLUGS, catalog, run

SMOKE_BUDGET_S = 10.0


def smoke_record(slug, tmp_path, tag):
    out = tmp_path / f"{tag}.json"
    res = run([catalog.stub_path(slug), "--seed", "0", "--smoke", "--json", out], tmp_path)
    assert res.returncode == 0, f"{slug} --smoke exited {res.returncode}:\n{res.stderr[-2000:]}"
    return json.loads(out.read_text())


@pytest.mark.parametrize("slug", SLUGS)
def test_smoke_runs_and_is_deterministic(slug, tmp_path):
    first = smoke_record(slug, tmp_path, "first")
    keys = {"schema", "slug", "seed", "smoke", "config", "metrics", "wall_s", "python", "numpy", "platform"}
    assert keys <= set(first), f"{slug}: run record lacks {keys - set(first)}"
    assert first["slug"] == slug and first["smoke"] is True and first["seed"] == 0
    metrics = first["metrics"]
    bad = {k: v for k, v in metrics.items() if not isinstance(v, (int, float)) or math.isinf(v)}
    assert not bad, f"{slug}: infinite or non-numeric metrics {bad} (NaN means 'never reached'; inf is not used)"
    needed = {"solved"} | {c.metric for c in catalog.claims_of(slug) if "--seeds" not in c.args}
    assert needed <= set(metrics), f"{slug}: smoke metrics lack {needed - set(metrics)}"
    assert first["wall_s"] <= SMOKE_BUDGET_S, f"{slug}: smoke took {first['wall_s']:.1f} s (budget 10 s)"
    second = smoke_record(slug, tmp_path, "second")
    same = json.dumps(second["metrics"], sort_keys=True) == json.dumps(metrics, sort_keys=True)  # NaN == NaN here
    assert same, f"{slug}: same seed, different metrics:\n{metrics}\n{second['metrics']}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.json", "second.json"], \
        f"{slug}: the smoke run wrote files besides its --json record"


@pytest.mark.parametrize("slug", SLUGS)
def test_smoke_pictures(slug, tmp_path):
    mod = catalog.module_name(slug)
    folder = catalog.ROOT / slug
    viz_dir = tmp_path / "viz"
    res = run([folder / f"visualize_{mod}.py", "--smoke", "--outdir", viz_dir], tmp_path)
    assert res.returncode == 0, f"visualize_{mod}.py --smoke failed:\n{res.stderr[-2000:]}"
    pngs = sorted(viz_dir.glob("*.png"))
    assert pngs, f"visualize_{mod}.py --smoke wrote no PNG"
    for png in pngs:
        with Image.open(png) as im:
            im.verify()
    gif = tmp_path / "anim.gif"
    res = run([folder / f"make_{mod}_gif.py", "--smoke", "--out", gif], tmp_path)
    assert res.returncode == 0, f"make_{mod}_gif.py --smoke failed:\n{res.stderr[-2000:]}"
    with Image.open(gif) as im:
        assert im.n_frames > 1, "smoke GIF is not animated"
    assert {p.name for p in tmp_path.iterdir()} == {"viz", "anim.gif"}, "picture scripts wrote stray files"
