"""Direction of a moving light learned by the Neural Bucket Brigade (Schmidhuber 1989).

Schmidhuber, "A local learning algorithm for dynamic feedforward and recurrent networks",
Connection Science 1(4):403-412 (1989); also TR FKI-124-90, TU Munich.

Claim: a 5-cell "retina" plus an always-on unit, fully connected to one competitive subset of two
output units that is also fully connected to itself, learns with the local bucket-brigade rule alone
(no gradient) to switch on output A after a light has swept left to right across the retina in 5
ticks and output B after a right-to-left sweep. The paper reports a mean of 223 cycles per sequence
in 9 of 10 runs.

All --nets networks of one run learn in lock-step in one process (numpy over a leading nets axis);
net 0 of `--seed s` is the same network whatever --nets is.

Run:  python3 nbb_moving_light.py --seed 0                 (one net)
      python3 nbb_moving_light.py --seed 0 --nets 100      (100 nets in lock-step)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "nbb-moving-light"
META = dict(
    title="direction of a moving light by the neural bucket brigade in a recurrent winner-take-all net",
    paper="Schmidhuber 1989, A local learning algorithm for dynamic feedforward and recurrent networks "
          "(Connection Science 1(4))",
    year=1989,
    claim=("With the payoff after the sweep, 100/100 nets learn the direction of the moving light with the "
           "local bucket-brigade rule alone, solved (5 right tests in a row) after a mean of 71 cycles per "
           "sequence (paper: 9/10 runs, mean 223); paying at every tick instead, as the published catalog "
           "did, leaves 64/100 solved after a median of 2,167"),
    figure=dict(args="--seeds 0-9", metric="stable_per_sequence"),
    gradcheck=False,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="stable_cycles", claim="== 111", paper="—", published="92"),
    dict(tier="headline", args="--seeds 0-9", metric="solved_seeds", claim=">= 9/10", paper="9/10 runs",
         published="9/30"),
    dict(tier="headline", args="--seeds 0-9", metric="median_stable_per_sequence", claim="<= 80", paper="223 (mean)",
         published="223 (mean)"),
    dict(tier="headline", args="--seeds 0-9", metric="q1_stable_per_sequence", claim="<= 50", paper="—",
         published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q3_stable_per_sequence", claim="<= 150", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="stable_frac", claim=">= 0.9", kind="paper",
         paper="9/10 runs solve", published="9/30 seeds"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="mean_stable_per_sequence_reached", claim="<= 245", kind="paper",
         paper="mean 223 cycles per sequence (claim: at most 10 % above)",
         published="223 (mean of the 9/30 solvers)"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="mean_stable_per_sequence", claim=">= 201", kind="paper",
         paper="mean 223 cycles per sequence (claim: at most 10 % below; all 100 nets count)",
         published="223 (mean of the 9/30 solvers)"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="median_stable_per_sequence", claim="<= 70", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="q1_stable_per_sequence", claim="<= 50", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="q3_stable_per_sequence", claim="<= 110", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="median_find_per_sequence", claim="<= 5", paper="—", published="—"),
    # the published catalog's suspects and the open readings, one at a time
    dict(tier="seeds", args="--seed 0 --nets 100 --reward tick", metric="stable_frac", claim="<= 0.8", paper="—",
         published="9/30 (per-tick payoff)"),
    dict(tier="seeds", args="--seed 0 --nets 100 --reward tick", metric="median_stable_per_sequence", claim=">= 1500",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --tie-break random", metric="median_stable_per_sequence", claim="== 60",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --order alternate", metric="stable_frac", claim=">= 0.95", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --order alternate", metric="median_stable_per_sequence", claim="<= 90",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hold 100", metric="stable_frac", claim="<= 0.05", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --judge after", metric="stable_frac", claim=">= 0.95", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --denom successor", metric="stable_frac", claim=">= 0.95", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --denom successor", metric="median_stable_per_sequence", claim="<= 120",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --init-lo 0.5 --init-hi 1.5", metric="stable_frac", claim=">= 0.95",
         paper="—", published="11/30 with U(0.99, 1.01)"),
    dict(tier="seeds", args="--seed 0 --nets 100 --init-lo 0.5 --init-hi 1.5", metric="median_stable_per_sequence",
         claim="<= 55", paper="—", published="—"),
    # beyond the paper: longer retinas
    dict(tier="seeds", args="--seed 0 --nets 100 --cells 8", metric="stable_frac", claim=">= 0.95", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --cells 8", metric="median_stable_per_sequence", claim="<= 95", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --cells 16", metric="stable_frac", claim=">= 0.65", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --cells 16", metric="stable_nets", claim="<= 90", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --cells 16", metric="median_stable_per_sequence", claim="<= 80", paper="—",
         published="—"),
]


@dataclass(frozen=True)
class Config:
    cells: int = 5  # retina cells; the light crosses them in this many ticks (paper: 5)
    after: int = 1  # dark ticks after the sweep; the output is judged on the last one
    lam: float = 0.005  # lambda: fraction of its contribution a firing connection pays to its source's incoming connections
    eta: float = 0.005  # eta: external payoff per tick as a fraction of the contribution into the correct, firing output
    denom: str = field(default="source", metadata={"choices": ("source", "successor")})  # payment shared over the source unit's incoming contributions at t-1 (source) or normalised by each paying successor's net input (successor)
    reward: str = field(default="last", metadata={"choices": ("tick", "last")})  # payoff only on the cycle's last tick, after the sweep (last), or at every tick the correct output fires (tick)
    tie_break: str = field(default="first", metadata={"choices": ("first", "random")})  # training winner among exactly tied net inputs: lowest index, or drawn from the 'tie' stream
    order: str = field(default="random", metadata={"choices": ("random", "alternate")})  # direction of each cycle: drawn at random, or left-right and right-left alternately
    judge: str = field(default="last", metadata={"choices": ("last", "after")})  # frozen test: right output on the last tick (last), or on every tick from the sweep's end on (after)
    init_lo: float = 0.999  # initial weights uniform in [init_lo, init_hi] (positive, as the paper requires)
    init_hi: float = 1.001  # upper end of the initial weight range
    hold: int = 5  # solved: the frozen test stays right for this many consecutive cycles while learning goes on
    max_cycles: int = 5000  # give up after this many cycles (sequence presentations)
    nets: int = 1  # independent networks learning in lock-step in this process (net 0 is the seed's own net)
    log_every: int = 0  # record the history every this-many cycles for the pictures (0: off)

    def __post_init__(self):
        if self.cells < 2 or self.after < 0:
            raise ValueError("need cells >= 2 and after >= 0")
        if self.lam <= 0 or self.eta < 0 or not 0 < self.init_lo <= self.init_hi:
            raise ValueError("need lam > 0, eta >= 0 and 0 < init_lo <= init_hi")
        if self.hold < 1 or self.max_cycles < 1 or self.nets < 1 or self.log_every < 0:
            raise ValueError("hold, max_cycles and nets must be positive, log_every >= 0")


SMOKE = dict(max_cycles=300, nets=4, log_every=10)
STREAMS = ("init", "data", "tie")  # initial weights, the direction of each cycle, random tie-breaks

# ----------------------------------------------------------------------------- the paper's algorithm


def build_net(cfg):
    """Units: the always-on unit, the retina cells, 2 outputs (one competitive subset).

    Every input feeds both outputs; the outputs feed each other and themselves (recurrence).
    Returns dict(n, n_in, subsets, outputs, mask (n, n): mask[i, j] = 1 for a connection i -> j)."""
    n_in = 1 + cfg.cells
    out = np.arange(n_in, n_in + 2)
    n = n_in + 2
    mask = np.zeros((n, n))
    mask[:n_in, n_in:] = 1.0
    mask[np.ix_(out, out)] = 1.0
    return dict(n=n, n_in=n_in, subsets=[out], outputs=out, mask=mask)


def sequences(cfg):
    """The two input sequences: X (2, ticks, n_in) with the always-on unit, targets (2,).

    Sequence 0: the light at cell t on tick t (left to right), output A must win; sequence 1: right
    to left, output B. The sweep takes `cells` ticks, then `after` dark ticks."""
    T = cfg.cells + cfg.after
    X = np.zeros((2, T, 1 + cfg.cells))
    X[:, :, 0] = 1.0
    for t in range(cfg.cells):
        X[0, t, 1 + t] = 1.0
        X[1, t, cfg.cells - t] = 1.0
    return X, np.array([0, 1])


def winners(net, subsets, rng=None):
    """Winner-take-all per competitive subset: the unit with the largest positive net input fires.

    net: (..., n). Exact ties go to the lowest index, or, with `rng`, to a random tied unit.
    Returns x: (..., n) in {0, 1} (non-input units only; inputs are set by the caller)."""
    x = np.zeros_like(net)
    for idx in subsets:
        sub = net[..., idx]
        top = sub.max(-1, keepdims=True)
        if rng is None:
            w = sub.argmax(-1)
        else:
            w = ((sub == top) * (1.0 + rng.random(sub.shape))).argmax(-1)
        fire = top[..., 0] > 0
        onehot = np.zeros_like(sub)
        np.put_along_axis(onehot, w[..., None], 1.0, axis=-1)
        x[..., idx] = onehot * fire[..., None]
    return x


def nbb_cycle(W, xin, target, lay, cfg, rng_tie=None):
    """One cycle (one sequence presentation) with the bucket-brigade rule, in place.

    W: (B, n, n) weights (zero where no connection); xin: (B, T, n_in) the clamped inputs per tick;
    target: (B,) index of the correct output. Activations are reset to 0 at the start of the cycle.
    At tick t every connection i -> j contributes c_ij(t) = x_i(t-1) w_ij(t-1) to net_j(t), the subset
    picks its winner x(t), then
        dw_ij = - lam c_ij(t) x_j(t)                                  (j fires: its incoming pay)
                + c_ij(t-1) / sum_h c_hj(t-1) * sum_k lam c_jk(t) x_k(t)  (j's outgoing paid: j's incoming receive)
                + Ext_ij(t),  Ext_ij(t) = eta c_ij(t) when j is the correct output and fires.
    The recurrent connections between the outputs pay and receive like any other.
    Returns the output winners per tick: (T, B) in {-1 (none), 0, 1}."""
    B, n, _ = W.shape
    T = xin.shape[1]
    n_in, out = lay["n_in"], lay["outputs"]
    x_prev = np.zeros((B, n))
    c_prev = np.zeros((B, n, n))
    correct = np.zeros((B, n))
    correct[np.arange(B), out[target]] = 1.0
    fired = np.full((T, B), -1)
    for t in range(T):
        c = x_prev[:, :, None] * W                      # (B, n, n) contributions c_ij(t)
        net = c.sum(1)                                  # (B, n) net inputs
        x = winners(net, lay["subsets"], rng_tie)
        x[:, :n_in] = xin[:, t]                         # the retina and the always-on unit are clamped
        pay = cfg.lam * c * x[:, None, :]               # lam c_ij(t) x_j(t)
        paid_out = pay.sum(2)                           # (B, n): sum_k lam c_jk(t) x_k(t), per source j
        if cfg.denom == "source":
            d = c_prev.sum(1)                           # sum_h c_hj(t-1): what j received when it fired
            share = np.divide(c_prev, d[:, None, :], out=np.zeros_like(c_prev), where=d[:, None, :] > 0)
            receive = share * paid_out[:, None, :]
        else:                                           # normalise each payment by its successor's net input
            per = np.divide(pay, net[:, None, :], out=np.zeros_like(pay), where=net[:, None, :] > 0)
            receive = c_prev * per.sum(2)[:, None, :]
        dW = receive - pay
        if cfg.reward == "tick" or t == T - 1:
            dW += cfg.eta * c * (x * correct)[:, None, :]
        W += dW
        o = x[:, out]
        fired[t] = np.where(o.max(1) > 0, o.argmax(1), -1)
        x_prev, c_prev = x, c
    return fired


def frozen_trace(W, lay, X):
    """Activations of nets W (B, n, n) on every sequence X (S, T, n_in), frozen: (T, B, S, n)."""
    B, S = W.shape[0], X.shape[0]
    x = np.zeros((B, S, lay["n"]))
    xs = []
    for t in range(X.shape[1]):
        x = winners(x @ W, lay["subsets"])
        x[:, :, :lay["n_in"]] = X[None, :, t]
        xs.append(x)
    return np.stack(xs)


def frozen_test(W, lay, cfg, X, target):
    """Both sequences once with frozen weights (lowest-index tie-break): (B,) all right, (B, S) per sequence.

    judge 'last': the right output wins on the last tick; 'after': on every tick from the sweep's end on."""
    xs = frozen_trace(W, lay, X)                        # (T, B, S, n)
    right = xs[:, :, np.arange(len(X)), lay["outputs"][target]] > 0   # (T, B, S)
    judged = right[-1:] if cfg.judge == "last" else right[cfg.cells:]
    ok = judged.all(0)
    return ok.all(1), ok


def per_net(rng, nets):
    """One child generator per net, spawned from a named stream: net k's draws do not depend on --nets."""
    return [np.random.default_rng(s) for s in rng.bit_generator.seed_seq.spawn(nets)]


def init_weights(cfg, lay, rng):
    n = lay["n"]
    return np.stack([g.uniform(cfg.init_lo, cfg.init_hi, size=(n, n)) for g in per_net(rng, cfg.nets)]) * lay["mask"]


def direction_order(cfg, rng, nets):
    """(nets, cycles) sequence index of every cycle."""
    if cfg.order == "alternate":
        return np.tile(np.arange(cfg.max_cycles) % 2, (nets, 1))
    return np.stack([g.integers(0, 2, size=cfg.max_cycles) for g in per_net(rng, nets)])


def train(cfg, seed, callback=None):
    """Train cfg.nets nets in lock-step until every net holds a stable solution or the cap.

    For each net: find = the first cycle after which the frozen test gets both sequences right;
    stable = the first cycle that starts `hold` consecutive right frozen tests. callback(step, state)."""
    rngs = rng_streams(seed, STREAMS)
    lay = build_net(cfg)
    X, target = sequences(cfg)
    B = cfg.nets
    W = init_weights(cfg, lay, rngs["init"])
    rng_tie = rngs["tie"] if cfg.tie_break == "random" else None
    order = direction_order(cfg, rngs["data"], B)
    find = np.full(B, np.nan)
    stable = np.full(B, np.nan)
    streak_start = np.full(B, -1)
    hist = dict(step=[], n_correct=[], substance=[], found=[])
    for step in range(1, cfg.max_cycles + 1):
        s = order[:, step - 1]
        nbb_cycle(W, X[s], target[s], lay, cfg, rng_tie)
        allok, per = frozen_test(W, lay, cfg, X, target)
        find[np.isnan(find) & allok] = step
        streak_start = np.where(allok, np.where(streak_start < 0, step, streak_start), -1)
        newly = np.isnan(stable) & allok & (step - streak_start + 1 >= cfg.hold)
        stable[newly] = streak_start[newly]
        if cfg.log_every and (step % cfg.log_every == 0 or step == 1):
            hist["step"].append(step)
            hist["n_correct"].append(per.sum(1).copy())
            hist["substance"].append(W.sum((1, 2)).copy())
            hist["found"].append(int(np.isfinite(find).sum()))
        if callback is not None:
            callback(step, dict(W=W, per=per, lay=lay, X=X, target=target, find=find, stable=stable))
        if np.isfinite(stable).all():
            break
    return dict(W=W, find=find, stable=stable, lay=lay, X=X, target=target, hist=hist, steps=step)


def quantile(v, q):
    """Linear-interpolated quantile with NaN ("never reached") sorting above every number (inf)."""
    s = np.sort(np.where(np.isnan(v), np.inf, v))
    pos = q * (len(s) - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    if pos == lo or s[lo] == s[hi]:
        return s[lo]
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def evaluate(cfg, out) -> dict:
    """Metrics in the paper's units: cycles (sequence presentations) and cycles per sequence (cycles / 2).

    solved: net 0 reached a stable solution. With --nets > 1 the batch statistics over all nets
    (median and quartiles, NaN = never reached, sorting above every number; mean over all nets)."""
    S = len(out["X"])
    find, stable = out["find"], out["stable"]
    m = dict(solved=float(np.isfinite(stable[0])), find_cycles=float(find[0]), stable_cycles=float(stable[0]),
             find_per_sequence=float(find[0] / S), stable_per_sequence=float(stable[0] / S))
    if cfg.nets > 1:
        for name, v in (("find", find), ("stable", stable)):
            q1, med, q3 = (quantile(v / S, q) for q in (0.25, 0.5, 0.75))
            m[f"{name}_nets"] = float(np.isfinite(v).sum())
            m[f"{name}_frac"] = float(np.isfinite(v).mean())
            m[f"median_{name}_per_sequence"] = float(med) if np.isfinite(med) else float("nan")
            m[f"q1_{name}_per_sequence"] = float(q1) if np.isfinite(q1) else float("nan")
            m[f"q3_{name}_per_sequence"] = float(q3) if np.isfinite(q3) else float("nan")
            m[f"mean_{name}_per_sequence"] = float(v.mean() / S)
            m[f"mean_{name}_per_sequence_reached"] = (float(np.nanmean(v) / S) if np.isfinite(v).any()
                                                      else float("nan"))
    return m


def run(cfg, seed) -> dict:
    return evaluate(cfg, train(cfg, seed))


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run)


# ----------------------------------------------------------------------------- pasted snippets
# Shared plumbing, pasted verbatim from snippets/ (python3 -m catalog.snippets); the paper's
# algorithm is everything above.

# >>> snippet: seeds
def rng_streams(seed, names):
    """Independent named generators spawned from one SeedSequence(seed); same seed and names, same streams."""
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}
# <<< snippet: seeds


# >>> snippet: record
def config_fingerprint(cfg):
    """Short hash of every Config value: the ledger stores it to tell when a command's meaning changed."""
    import dataclasses, hashlib, json
    text = json.dumps(dataclasses.asdict(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def write_record(path, slug, seed, smoke, cfg, metrics, wall_s):
    """Write one run record in the catalog's JSON schema (SPEC.md, 'Run records'); NaN metrics allowed."""
    import dataclasses, json, platform
    config = dataclasses.asdict(cfg)
    if callable(globals().get("values_used")):  # a stub whose Config has placeholders ("0 = the paper's
        config = values_used(cfg)               # value") records the values the run actually used
    record = {
        "schema": 2,
        "slug": slug,
        "seed": seed,
        "smoke": bool(smoke),
        "config": config,
        "config_sha": config_fingerprint(cfg),
        "metrics": metrics,
        "wall_s": round(float(wall_s), 3),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
    with open(path, "w") as fh:
        json.dump(record, fh, indent=2, sort_keys=True)
        fh.write("\n")
# <<< snippet: record


# >>> snippet: cli
import argparse, dataclasses, inspect, math, re, sys, time

_T0 = time.perf_counter()


def progress(msg):
    """One progress line on stderr, stamped with seconds since start."""
    print(f"[{time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def _field_help(cls):
    """The trailing comment of each `name: type = default  # comment` line of a Config class."""
    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    return {m[1]: m[2].strip() for m in re.finditer(r"^\s+(\w+)\s*:[^#\n]*#\s*(.+)$", src, re.M)}


class OneLineParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser(cls, doc, smoke):
    """argparse parser: the catalog's fixed flags plus one --flag per Config field."""
    p = OneLineParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="master seed of every random stream (default 0)")
    p.add_argument("--smoke", action="store_true",
                   help="reduced run that exercises every code path in <= 10 s (overrides: %s)"
                   % ", ".join(f"{k}={v}" for k, v in smoke.items()).replace("%", "%%"))
    p.add_argument("--gradcheck", action="store_true",
                   help="compare every hand-written backward pass with central differences; exit 1 above tolerance")
    p.add_argument("--json", metavar="PATH", help="write the run record (config, metrics, wall-clock) to PATH")
    helps = _field_help(cls)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        text = ("%s (default %s)" % (helps.get(f.name, ""), f.default)).replace("%", "%%")
        if isinstance(f.default, bool):
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            p.add_argument(flag, dest=f.name, type=type(f.default), default=None, help=text,
                           choices=f.metadata.get("choices"),
                           metavar=None if f.metadata.get("choices") else type(f.default).__name__.upper())
    return p


def parse_config(argv, config_cls, doc="", smoke=None):
    """(Config, parsed flags, parser) for a command line; a bad value exits 2 with one line."""
    smoke = smoke or {}
    parser = build_parser(config_cls, doc, smoke)
    args = parser.parse_args(argv)
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)
             if getattr(args, f.name) is not None}
    try:
        cfg = config_cls(**{**(smoke if args.smoke else {}), **given})
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    if args.seed < 0:
        parser.error("--seed must be >= 0")
    return cfg, args, parser


def cli_main(argv, *, slug, doc, config_cls, smoke, run, gradcheck=None, tol=1e-5):
    """Parse flags, build the Config, then run the headline (or smoke / gradcheck) and report.

    A metric may be NaN ("never reached": a claim on it then fails); the run still exits 0."""
    cfg, args, parser = parse_config(argv, config_cls, doc, smoke)
    if args.gradcheck:
        if gradcheck is None:
            parser.error("this experiment has no hand-written backward pass to check")
        errors = gradcheck(cfg, args.seed)
        for name, err in errors.items():
            print(f"gradcheck {name:<28s} max rel err {err:.2e}  {'ok' if err <= tol else 'FAIL'}")
        bad = [k for k, e in errors.items() if not e <= tol]
        print(f"gradcheck: {len(errors) - len(bad)}/{len(errors)} within {tol:g}")
        return 1 if bad else 0
    t0 = time.perf_counter()
    metrics = run(cfg, args.seed)
    wall = time.perf_counter() - t0
    metrics = {k: (int(v) if isinstance(v, (bool, int, np.integer, np.bool_)) else float(v)) for k, v in metrics.items()}
    for k, v in metrics.items():
        print(f"{k:<28s} {v}")
    print(f"{'wall_s':<28s} {wall:.2f}")
    if args.smoke:
        print("(smoke run: a reduced config that checks the code path end to end; it is not expected to solve)")
    if args.json:
        write_record(args.json, slug, args.seed, args.smoke, cfg, metrics, wall)
    return 0
# <<< snippet: cli


if __name__ == "__main__":
    sys.exit(main())
