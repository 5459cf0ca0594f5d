"""Running stubs: one process per seed in a scratch directory, run records, aggregation over seeds."""
from __future__ import annotations

import datetime
import json
import math
import re
import shlex
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .stubs import ROOT, code_hash, env_string, stub_path


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


def cache_path(slug: str, argv: list[str], env: str | None = None) -> Path:
    """Where the record of this exact run is kept: same code (code_hash), flags and environment."""
    import hashlib
    key = json.dumps([code_hash(slug), argv, env or env_string()])
    return CACHE / slug / (hashlib.sha256(key.encode()).hexdigest()[:20] + ".json")


_LIVE: set = set()  # experiment processes running now (stop_all kills them)
_LIVE_LOCK = threading.Lock()


def stop_all() -> int:
    """Kill every experiment process this interpreter started and has not reaped (Ctrl-C)."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the stub and anything it started
        except (ProcessLookupError, PermissionError):
            pass
    return len(procs)


def _wait(proc, timeout: float | None):
    """Reap `proc` with its resource usage (CPU seconds), killing it after `timeout` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.002
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        if deadline is not None and time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
            raise subprocess.TimeoutExpired(proc.args, timeout)
        time.sleep(delay)
        delay = min(0.05, delay * 2)


def run_stub(slug: str, argv: list[str], timeout: float | None = None, reuse: bool = False) -> dict:
    """Run `<slug>.py argv --json tmp` in a scratch directory; return its record, with the host's
    wall-clock and CPU seconds, start and end times, and the host and environment it ran on.

    The process runs in a session of its own, so stop_all() (Ctrl-C) can kill it with its children.
    Every record is kept under .cache/runs/ (git-ignored); with `reuse`, a record of the same code,
    flags and environment is returned instead of running again (reproduce.py --reuse)."""
    cached = cache_path(slug, argv)
    if reuse and cached.is_file():
        record = json.loads(cached.read_text())
        record["reused"] = True
        return record
    record = execute_stub(slug, argv, timeout)
    keep_record(slug, argv, record)
    return record


def keep_record(slug: str, argv: list[str], record: dict) -> None:
    cached = cache_path(slug, argv, record.get("env"))
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(record, indent=1, sort_keys=True))


def execute_stub(slug: str, argv: list[str], timeout: float | None = None) -> dict:
    """One run of a stub, no cache: what a local thread or a Dask worker executes."""
    with tempfile.TemporaryDirectory(prefix=f"catalog-{slug}-") as tmp:
        out = Path(tmp) / "record.json"
        t0, started = time.perf_counter(), time.time()
        with open(Path(tmp) / "stdout", "w+") as so, open(Path(tmp) / "stderr", "w+") as se:
            proc = subprocess.Popen([sys.executable, str(stub_path(slug)), *argv, "--json", str(out)],
                                    cwd=tmp, env=child_env(), stdout=so, stderr=se, start_new_session=True)
            with _LIVE_LOCK:
                _LIVE.add(proc)
            try:
                cpu = _wait(proc, timeout)
            except subprocess.TimeoutExpired:
                raise RunError(f"{slug} {' '.join(argv)}: no result within {timeout:.0f} s") from None
            finally:
                with _LIVE_LOCK:
                    _LIVE.discard(proc)
            wall = time.perf_counter() - t0
            if proc.returncode != 0 or not out.is_file():
                se.seek(0)
                so.seek(0)
                tail = (se.read() or so.read()).strip().splitlines()[-5:]
                raise RunError(f"{slug} {' '.join(argv)}: exit {proc.returncode}: " + " / ".join(tail))
        record = json.loads(out.read_text())
    record.update(host_wall_s=wall, cpu_s=cpu, t_start=started, t_end=started + wall,
                  recorded=datetime.date.today().isoformat(), host=platform.node(), env=env_string())
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


# ----------------------------------------------------------------------------- where runs execute

def git_commit() -> str:
    """The checkout's commit, '+dirty' when tracked files differ from it ('unknown' outside git)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def checkout_info() -> dict:
    """What a machine would run: its commit, a digest of every stub's code, its environment."""
    import hashlib
    from .stubs import discover
    digest = hashlib.sha256(" ".join(code_hash(s) for s in discover()).encode()).hexdigest()[:16]
    return dict(commit=git_commit(), code=digest, env=env_string(), host=platform.node(), root=str(ROOT))


def checkout_mismatch(here: dict, workers: dict) -> str | None:
    """Why these workers may not run this sweep (None when all run this checkout in one environment)."""
    mixed = {(i["commit"], i["code"]) for i in workers.values()} | {(here["commit"], here["code"])}
    envs = {i["env"] for i in workers.values()}
    if len(mixed) == 1 and len(envs) == 1:
        return None
    lines = [f"  {addr}: commit {i['commit']} code {i['code']} ({i['env']})" for addr, i in workers.items()]
    return ("workers do not all run this checkout in one environment (refusing to mix):\n  here: commit "
            f"{here['commit']} code {here['code']} ({here['env']})\n" + "\n".join(lines))


class LocalPool:
    """The default: a thread per concurrent run, each waiting on one experiment process."""

    def __init__(self, jobs: int):
        from concurrent.futures import ThreadPoolExecutor
        self.workers = jobs
        self.pool = ThreadPoolExecutor(max_workers=jobs)
        self.description = f"{jobs} local process(es) at a time"

    def submit(self, slug, argv, timeout, reuse):
        return self.pool.submit(run_stub, slug, argv, timeout, reuse)

    def close(self, cancel: bool = False):
        if cancel:
            stop_all()
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class DaskPool:
    """Runs on a Dask distributed cluster: `tcp://HOST:PORT` (an existing scheduler) or `local:N`
    (a LocalCluster of N single-threaded worker processes). Every worker must run the same checkout
    (commit and stub code) in the same environment; a task whose worker dies is retried by the
    scheduler on another worker; a stub that exits non-zero is an error, reported once."""

    def __init__(self, address: str, timeout: float = 10):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise RunError("--scheduler needs Dask: python3 -m pip install -r requirements-cluster.txt") from None
        self.cluster = None
        if address.startswith("local:"):
            n = int(address.split(":", 1)[1])
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout=timeout)
                self.client.wait_for_workers(1, timeout=timeout)
            except (OSError, TimeoutError) as exc:
                raise RunError(f"no Dask scheduler with workers at {address} within {timeout:.0f} s "
                               f"({type(exc).__name__}); start one with `dask scheduler` and `dask worker`") from None
        self.info = self.client.run(checkout_info)
        problem = checkout_mismatch(checkout_info(), self.info)
        if problem:
            self.close()
            raise RunError(problem)
        envs = {i["env"] for i in self.info.values()}
        here = checkout_info()
        self.workers = sum(self.client.nthreads().values())
        self.description = (f"Dask cluster {address}: {len(self.info)} worker(s), {self.workers} thread(s), "
                            f"commit {here['commit'][:12]}, {next(iter(envs))}")

    def submit(self, slug, argv, timeout, reuse):
        from concurrent.futures import Future
        out: Future = Future()
        cached = cache_path(slug, argv, next(iter(self.info.values()))["env"])
        if reuse and cached.is_file():
            out.set_result(dict(json.loads(cached.read_text()), reused=True))
            return out
        fut = self.client.submit(execute_stub, slug, argv, timeout, pure=False)

        def done(f):
            try:
                record = f.result()
            except RunError as exc:
                out.set_exception(exc)
            except BaseException as exc:  # KilledWorker after repeated worker deaths, a cancelled task
                out.set_exception(RunError(f"{slug} {' '.join(argv)}: {type(exc).__name__}: {exc}"))
            else:
                keep_record(slug, argv, record)  # the run record lands here, as for a local run
                out.set_result(record)

        fut.add_done_callback(done)
        out.dask_future = fut
        return out

    def close(self, cancel: bool = False):
        if cancel:
            try:
                self.client.run(stop_all)  # the stubs running on every worker, with their children
            except Exception:
                pass
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_pool(jobs: int, scheduler: str | None = None):
    return LocalPool(jobs) if scheduler is None else DaskPool(scheduler)


def execute(jobs: list, pool, timeout: float | None = None, reuse: bool = False, on_seed=None):
    """Run every seed of every job [(slug, args, claims)] on `pool`; yield, as each job finishes,
    (index, job, aggregated metrics or RunError, records). `on_seed(index, record_or_error, done, n)`
    is called as each seed of a multi-seed job finishes."""
    from concurrent.futures import as_completed
    seeds = {i: expand(job[1]) for i, job in enumerate(jobs)}
    records: dict[int, list] = {i: [] for i in seeds}
    futures = {pool.submit(job[0], argv, timeout, reuse): i for i, job in enumerate(jobs) for argv in seeds[i]}
    for fut in as_completed(futures):
        i = futures[fut]
        try:
            records[i].append(fut.result())
        except RunError as exc:
            records[i].append(exc)
        if on_seed is not None and len(seeds[i]) > 1:
            on_seed(i, records[i][-1], len(records[i]), len(seeds[i]))
        if len(records[i]) == len(seeds[i]):
            errs = [r for r in records[i] if isinstance(r, Exception)]
            ok = sorted((r for r in records[i] if not isinstance(r, Exception)), key=lambda r: r.get("seed", 0))
            yield i, jobs[i], (errs[0] if errs else aggregate(ok)), ok
