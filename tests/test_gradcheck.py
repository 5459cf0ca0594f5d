"""Every hand-written backward pass is checked against central differences through the CLI."""
import re

import numpy as np
import pytest

from conftest import SLUGS, catalog, run

WITH_GRADS = [s for s in SLUGS if catalog.meta_of(s)["gradcheck"]]


@pytest.mark.parametrize("slug", WITH_GRADS)
def test_gradcheck_cli(slug, tmp_path):
    res = run([catalog.stub_path(slug), "--gradcheck"], tmp_path)
    checks = re.findall(r"^gradcheck \S+\s+max rel err (\S+)", res.stdout, re.M)
    assert res.returncode == 0, f"{slug} --gradcheck exited {res.returncode}:\n{res.stdout}\n{res.stderr[-1500:]}"
    assert checks, f"{slug} --gradcheck reported no checks:\n{res.stdout}"
    assert all(float(e) <= 1e-5 for e in checks), res.stdout


def test_canonical_gradcheck_catches_a_wrong_gradient():
    """The snippet every folder pastes must flag a wrong gradient (so a passing check means something)."""
    namespace = {"np": np}
    exec((catalog.SNIPPETS / "gradcheck.py").read_text(), namespace)
    rng = np.random.default_rng(0)
    params = {"w": rng.normal(size=(3, 4))}
    x = rng.normal(size=4)

    def loss():
        return float(np.sum(np.tanh(params["w"] @ x) ** 2))

    h = np.tanh(params["w"] @ x)
    good = {"w": np.outer(2 * h * (1 - h ** 2), x)}
    assert namespace["numeric_gradcheck"](loss, params, good, rng)["w"] < 1e-7
    bad = {"w": good["w"] * 1.01}
    assert namespace["numeric_gradcheck"](loss, params, bad, rng)["w"] > 1e-3
