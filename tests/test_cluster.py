"""reproduce.py on a Dask cluster: same results as the local pool, survives a worker's death, reports a
failing stub once. Needs requirements-cluster.txt; without Dask these tests skip (one line each)."""
import os
import signal
import time

import pytest

from conftest import catalog

pytest.importorskip("distributed", reason="Dask not installed (pip install -r requirements-cluster.txt)")
import catalog.runner as runner  # noqa: E402

# a fast folder's sweep; the gradient-descent contrast is lengthened so each seed takes about a
# second, long enough for a worker to die in the middle of one
SWEEP = ("levin-count-inputs", "--seeds 0-3 --gd-steps 80000", [])


def metrics_of(pool, job=SWEEP):
    out = {}
    try:
        for _, _, result, records in runner.execute([job], pool, timeout=300):
            out = result
    finally:
        pool.close()
    return out


@pytest.fixture(scope="module")
def local_metrics():
    return metrics_of(runner.LocalPool(2))


def test_local_cluster_gives_the_local_pool_results(local_metrics):
    pool = runner.DaskPool("local:2")
    assert pool.workers == 2 and len(pool.info) == 2
    assert all(i["commit"] == runner.git_commit() for i in pool.info.values()), pool.info
    assert metrics_of(pool) == local_metrics
    assert local_metrics["solved_seeds"] == "4/4"


def test_sweep_survives_a_worker_killed_mid_run(local_metrics):
    pool = runner.DaskPool("local:2")
    pids = pool.client.run(os.getpid)
    seen = []

    def kill_one(i, record, k, n):
        if k == 1:  # the first seed is back: the other worker is in the middle of a run
            victim = next(pid for addr, pid in pids.items())
            os.kill(victim, signal.SIGKILL)
            seen.append(victim)

    out = {}
    t0 = time.perf_counter()
    try:
        for _, _, result, _ in runner.execute([SWEEP], pool, timeout=300, on_seed=kill_one):
            out = result
        alive = pool.client.run(os.getpid)
    finally:
        pool.close()
    assert seen, "no worker was killed"
    assert seen[0] not in alive.values(), "the killed worker is still listed"
    assert out == local_metrics, "the sweep's results changed after a worker died"
    assert time.perf_counter() - t0 < 120


def test_failing_stub_is_reported_once_not_retried():
    pool = runner.DaskPool("local:1")
    try:
        t0 = time.perf_counter()
        results = list(runner.execute([("levin-count-inputs", "--seed 0 --n-inputs -5", [])], pool, timeout=60))
        elapsed = time.perf_counter() - t0
        erred = pool.client.run_on_scheduler(
            lambda dask_scheduler: sorted(ts.state for ts in dask_scheduler.tasks.values()))
    finally:
        pool.close()
    (_, _, result, records), = results
    assert isinstance(result, catalog.RunError) and not records
    assert "exit 2" in str(result) and "n-inputs" in str(result), str(result)  # the stub's stderr tail
    assert erred in ([], ["erred"]) and elapsed < 30


def test_scheduler_refuses_mixed_checkouts():
    here = runner.checkout_info()
    same = {"tcp://a:1": dict(here), "tcp://b:2": dict(here)}
    assert runner.checkout_mismatch(here, same) is None
    for key, value in (("commit", "0" * 40), ("code", "f" * 16), ("env", "py3.12.0 np1.26.4 aarch64")):
        workers = dict(same, **{"tcp://c:3": dict(here, **{key: value})})
        problem = runner.checkout_mismatch(here, workers)
        assert problem and "tcp://c:3" in problem and value in problem, (key, problem)
