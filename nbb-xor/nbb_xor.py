"""XOR learned by the Neural Bucket Brigade (Schmidhuber 1989).

Schmidhuber, "A local learning algorithm for dynamic feedforward and recurrent networks",
Connection Science 1(4):403-412 (1989); also TR FKI-124-90, TU Munich.

Claim: a net of winner-take-all subsets whose only learning rule is local in space and time
(a connection that carries activation pays a fraction of its weight "substance" to the incoming
connections of its source unit; the environment pays substance only into connections that drive
the correct output) solves XOR without any gradient. The paper reports about 619 pattern
presentations to a solution and about 674 to a stable one with one 3-unit hidden subset (20 runs),
about 263 presentations per pattern with two 2-unit subsets (8/10 runs), and about 160 per pattern
with one 2-unit subset, which never stays stable.

All --nets networks of one run learn in lock-step in one process (numpy over a leading nets axis);
net 0 of `--seed s` is the same network whatever --nets is.

Run:  python3 nbb_xor.py --seed 0                    (one net, one 3-unit hidden subset)
      python3 nbb_xor.py --seed 0 --nets 100         (100 nets in lock-step: find / stable counts)
      python3 nbb_xor.py --seed 0 --nets 100 --hidden 2+2
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "nbb-xor"
META = dict(
    title="XOR by the neural bucket brigade, a local winner-take-all rule without gradients",
    paper="Schmidhuber 1989, A local learning algorithm for dynamic feedforward and recurrent networks "
          "(Connection Science 1(4))",
    year=1989,
    claim=("With the local bucket-brigade rule alone, 100/100 nets with one 3-unit hidden subset find XOR after "
           "a mean of 584 presentations (paper: 619), but hold it 100 presentations in a row only after a "
           "median of 2,523 (97/100; paper: 674 to a stable solution); one 2-unit subset finds it after 152 "
           "presentations per pattern (paper 160) and never keeps it, as in the paper"),
    figure=dict(args="--seeds 0-9", metric="find_presentations"),
    gradcheck=False,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="find_presentations", claim="== 319", paper="—", published="3,164"),
    dict(tier="headline", args="--seeds 0-9", metric="solved_seeds", claim=">= 9/10", paper="—", published="19/20"),
    dict(tier="headline", args="--seeds 0-9", metric="median_find_presentations", claim="<= 700", paper="≈ 619 (mean)",
         published="mean 3,012"),
    dict(tier="headline", args="--seeds 0-9", metric="q1_find_presentations", claim="<= 550", paper="—",
         published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q3_find_presentations", claim="<= 850", paper="—",
         published="—"),
    # the paper's three architectures, 100 nets each
    dict(tier="seeds", args="--seed 0 --nets 100", metric="mean_find", claim="<= 681", kind="paper",
         paper="≈ 619 presentations to a solution (mean, 20 runs; claim: at most 10 % above)", published="3,012 (19/20)"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="median_stable", claim="<= 741", kind="paper",
         paper="≈ 674 presentations to a stable solution (claim: at most 10 % above)", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="find_frac", claim=">= 0.97", paper="20/20 runs", published="19/20"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="stable_frac", claim=">= 0.9", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="median_find", claim="<= 650", paper="≈ 619 (mean)", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="q1_find", claim="<= 480", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100", metric="q3_find", claim="<= 820", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hidden 2+2", metric="find_frac", claim=">= 0.8", kind="paper",
         paper="8/10 runs find a solution (two 2-unit subsets)", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hidden 2+2", metric="median_find_per_pattern", claim="<= 289", kind="paper",
         paper="≈ 263 presentations per pattern (claim: at most 10 % above)", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hidden 2+2", metric="median_find", claim="<= 300", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hidden 2+2", metric="stable_frac", claim="<= 0.5", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hidden 2", metric="median_find_per_pattern", claim="<= 176", kind="paper",
         paper="≈ 160 presentations per pattern (one 2-unit subset; claim: at most 10 % above)", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hidden 2", metric="stable_frac", claim="<= 0.1", kind="paper",
         paper="never stable (one 2-unit subset)", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hidden 2", metric="find_frac", claim=">= 0.95", paper="—", published="—"),
    # the open readings, one Config field each (the headline defaults are read from the text)
    dict(tier="seeds", args="--seed 0 --nets 100 --denom successor", metric="median_find", claim=">= 850", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --denom successor", metric="stable_frac", claim="<= 0.05", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --reward last", metric="median_find", claim="<= 450", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --reward last", metric="stable_frac", claim="<= 0.05", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --tie-break random", metric="median_find", claim="== 579", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --eta 0.01", metric="find_frac", claim="<= 0.4", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --eta 0.01", metric="stable_frac", claim="<= 0.05", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --lam 0.01 --eta 0.01", metric="median_find", claim="<= 420", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --lam 0.01 --eta 0.01", metric="stable_frac", claim="<= 0.85", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hold 5", metric="median_stable", claim="<= 900", paper="≈ 674",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hold 1000", metric="stable_frac", claim=">= 0.9", paper="—", published="—"),
    # beyond the paper: subset size, 3-bit parity
    dict(tier="seeds", args="--seed 0 --nets 100 --hidden 4", metric="median_find", claim="<= 720", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --hidden 4", metric="stable_frac", claim=">= 0.95", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --nets 100 --bits 3 --hidden 4", metric="find_frac", claim=">= 0.6", paper="—",
         published="—"),
    dict(tier="long", args="--seed 0 --nets 100 --bits 3 --hidden 4", metric="stable_frac", claim="<= 0.05", paper="—",
         published="—"),
]


@dataclass(frozen=True)
class Config:
    hidden: str = "3"  # hidden competitive subsets, sizes joined by '+': 3 (paper run 1), 2+2 (run 2), 2 (run 3)
    bits: int = 2  # input bits; the target is their parity (2 = XOR, the paper; 3 = beyond the paper)
    ticks: int = 6  # time ticks per cycle (one pattern presentation), paper: 6
    judge_ticks: int = 3  # a pattern is classified correctly when its output wins on each of the last this-many ticks (paper: 3)
    lam: float = 0.005  # lambda: fraction of its contribution a firing connection pays to its source's incoming connections
    eta: float = 0.005  # eta: external payoff per tick as a fraction of the contribution into the correct, firing output
    denom: str = field(default="source", metadata={"choices": ("source", "successor")})  # payment shared over the source unit's incoming contributions at t-1 (source) or normalised by each paying successor's net input (successor: the printed index k)
    reward: str = field(default="tick", metadata={"choices": ("tick", "last")})  # payoff at every tick the correct output fires (tick), or only on the cycle's last tick (last)
    tie_break: str = field(default="first", metadata={"choices": ("first", "random")})  # training winner among exactly tied net inputs: lowest index, or drawn from the 'tie' stream
    init_lo: float = 0.999  # initial weights uniform in [init_lo, init_hi] (positive, as the paper requires)
    init_hi: float = 1.001  # upper end of the initial weight range
    hold: int = 100  # a solution is stable when the frozen test stays correct for this many further presentations while learning goes on
    max_presentations: int = 10000  # give up after this many presentations (cycles)
    nets: int = 1  # independent networks learning in lock-step in this process (net 0 is the seed's own net)
    log_every: int = 0  # record the history every this-many presentations for the pictures (0: off)

    def __post_init__(self):
        try:
            sizes = [int(s) for s in self.hidden.split("+")]
        except ValueError:
            raise ValueError("hidden must be subset sizes joined by '+', e.g. 3 or 2+2") from None
        if not sizes or min(sizes) < 1:
            raise ValueError("every hidden subset needs at least one unit")
        if self.bits < 1 or self.ticks < 2 or not 1 <= self.judge_ticks <= self.ticks - 1:
            raise ValueError("need bits >= 1, ticks >= 2 and 1 <= judge_ticks < ticks")
        if self.lam <= 0 or self.eta < 0 or not 0 < self.init_lo <= self.init_hi:
            raise ValueError("need lam > 0, eta >= 0 and 0 < init_lo <= init_hi")
        if self.hold < 1 or self.max_presentations < 1 or self.nets < 1 or self.log_every < 0:
            raise ValueError("hold, max_presentations and nets must be positive, log_every >= 0")


SMOKE = dict(max_presentations=400, hold=50, nets=4, log_every=20)
STREAMS = ("init", "data", "tie")  # initial weights, the pattern drawn for each cycle, random tie-breaks

# ----------------------------------------------------------------------------- the paper's algorithm


def build_net(cfg):
    """Unit layout and connection mask. Units: bias, the input bits, hidden subsets, 2 outputs.

    Inputs feed every hidden and every output unit; hidden units feed the outputs (the paper's
    feed-forward net). Returns dict(n, inputs, subsets, outputs, mask (n, n): mask[i, j] = 1 for i -> j)."""
    sizes = [int(s) for s in cfg.hidden.split("+")]
    n_in = 1 + cfg.bits
    subsets, at = [], n_in
    for s in sizes:
        subsets.append(np.arange(at, at + s))
        at += s
    hid = np.arange(n_in, at)
    out = np.arange(at, at + 2)
    n = at + 2
    mask = np.zeros((n, n))
    mask[:n_in, n_in:] = 1.0          # inputs -> hidden and outputs
    mask[np.ix_(hid, out)] = 1.0      # hidden -> outputs
    return dict(n=n, n_in=n_in, subsets=subsets + [out], outputs=out, hidden=hid, mask=mask)


def patterns(cfg):
    """All 2^bits input patterns with the bias: X (P, 1 + bits), target output index (P,).

    Output unit 0 must win for odd parity (XOR = 1), output unit 1 otherwise."""
    bits = ((np.arange(2 ** cfg.bits)[:, None] >> np.arange(cfg.bits)[::-1]) & 1).astype(float)
    X = np.concatenate([np.ones((len(bits), 1)), bits], axis=1)
    target = 1 - (bits.sum(1).astype(int) % 2)
    return X, target


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
    """One cycle (one pattern presentation) of `ticks` ticks with the bucket-brigade rule, in place.

    W: (B, n, n) weights (zero where no connection); xin: (B, n_in) the clamped pattern with bias;
    target: (B,) index of the correct output. Activations are reset to 0 at the start of the cycle.
    At tick t every connection i -> j contributes c_ij(t) = x_i(t-1) w_ij(t-1) to net_j(t), the subsets
    pick their winners x(t), then
        dw_ij = - lam c_ij(t) x_j(t)                                  (j fires: its incoming pay)
                + c_ij(t-1) / sum_h c_hj(t-1) * sum_k lam c_jk(t) x_k(t)  (j's outgoing paid: j's incoming receive)
                + Ext_ij(t),  Ext_ij(t) = eta c_ij(t) when j is the correct output and fires.
    Returns the output winners per tick: (ticks, B) in {-1 (none), 0, 1}."""
    B, n, _ = W.shape
    n_in, out = lay["n_in"], lay["outputs"]
    x_prev = np.zeros((B, n))
    c_prev = np.zeros((B, n, n))
    rows = np.arange(B)
    correct = np.zeros((B, n))
    correct[rows, out[target]] = 1.0
    fired = np.full((cfg.ticks, B), -1)
    for t in range(cfg.ticks):
        c = x_prev[:, :, None] * W                      # (B, n, n) contributions c_ij(t)
        net = c.sum(1)                                  # (B, n) net inputs
        x = winners(net, lay["subsets"], rng_tie)
        x[:, :n_in] = xin                               # the pattern is clamped on every tick
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
        if cfg.reward == "tick" or t == cfg.ticks - 1:
            dW += cfg.eta * c * (x * correct)[:, None, :]
        W += dW
        o = x[:, out]
        fired[t] = np.where(o.max(1) > 0, o.argmax(1), -1)
        x_prev, c_prev = x, c
    return fired


def frozen_test(W, lay, cfg, X, target):
    """Every pattern once with frozen weights (lowest-index tie-break): (B,) all classified correctly.

    A pattern counts as correct when its output unit wins on each of the last `judge_ticks` ticks."""
    B, n, _ = W.shape
    P = len(X)
    x = np.zeros((B, P, n))
    ok = np.ones((B, P), dtype=bool)
    for t in range(cfg.ticks):
        net = x @ W                                     # (B, P, n)
        x = winners(net, lay["subsets"])
        x[:, :, :lay["n_in"]] = X
        if t >= cfg.ticks - cfg.judge_ticks:
            ok &= x[:, np.arange(P), lay["outputs"][target]] > 0
    return ok.all(1), ok


def per_net(rng, nets):
    """One child generator per net, spawned from a named stream: net k's draws do not depend on --nets."""
    return [np.random.default_rng(s) for s in rng.bit_generator.seed_seq.spawn(nets)]


def frozen_trace(W, lay, cfg, X):
    """Activations of one net (W: (n, n)) on every pattern, tick by tick, frozen: (ticks, P, n)."""
    x = np.zeros((len(X), lay["n"]))
    xs = []
    for _ in range(cfg.ticks):
        x = winners(x @ W, lay["subsets"])
        x[:, :lay["n_in"]] = X
        xs.append(x)
    return np.stack(xs)


def init_weights(cfg, lay, rng):
    n = lay["n"]
    return np.stack([g.uniform(cfg.init_lo, cfg.init_hi, size=(n, n)) for g in per_net(rng, cfg.nets)]) * lay["mask"]


def train(cfg, seed, callback=None):
    """Train cfg.nets nets in lock-step until every net holds a stable solution or the cap.

    Presentation counts are cycles (one pattern for `ticks` ticks). For each net: find = the first
    presentation after which the frozen test classifies all patterns; stable = the first presentation
    that starts `hold` consecutive correct frozen tests. callback(step, state) after every cycle."""
    rngs = rng_streams(seed, STREAMS)
    lay = build_net(cfg)
    X, target = patterns(cfg)
    B = cfg.nets
    W = init_weights(cfg, lay, rngs["init"])
    rng_tie = rngs["tie"] if cfg.tie_break == "random" else None
    find = np.full(B, np.nan)
    stable = np.full(B, np.nan)
    streak_start = np.full(B, -1)
    hist = dict(step=[], n_correct=[], substance=[], found=[])
    order = np.stack([g.integers(0, len(X), size=cfg.max_presentations)   # (B, cycles): the random pattern
                      for g in per_net(rngs["data"], B)])                   # of every cycle, per net
    for step in range(1, cfg.max_presentations + 1):
        p = order[:, step - 1]
        nbb_cycle(W, X[p], target[p], lay, cfg, rng_tie)
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


def evaluate(cfg, out) -> dict:
    """Metrics in the paper's units (presentations = cycles; per pattern = presentations / patterns).

    solved: net 0 reached a stable solution. With --nets > 1 the batch statistics over all nets
    (median and quartiles of the presentations, NaN = never reached, sorting above every number)."""
    P = len(out["X"])
    find, stable = out["find"], out["stable"]
    m = dict(solved=float(np.isfinite(stable[0])), find_presentations=float(find[0]),
             stable_presentations=float(stable[0]), find_per_pattern=float(find[0] / P),
             stable_per_pattern=float(stable[0] / P))
    if cfg.nets > 1:
        for name, v in (("find", find), ("stable", stable)):
            q1, med, q3 = (quantile(v, q) for q in (0.25, 0.5, 0.75))
            m[f"{name}_nets"] = float(np.isfinite(v).sum())
            m[f"{name}_frac"] = float(np.isfinite(v).mean())
            m[f"median_{name}"] = float(med) if np.isfinite(med) else float("nan")
            m[f"q1_{name}"] = float(q1) if np.isfinite(q1) else float("nan")
            m[f"q3_{name}"] = float(q3) if np.isfinite(q3) else float("nan")
            m[f"mean_{name}"] = float(v.mean())          # NaN when any net never got there
            m[f"mean_{name}_reached"] = float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
            m[f"median_{name}_per_pattern"] = m[f"median_{name}"] / P
    return m


def quantile(v, q):
    """Linear-interpolated quantile with NaN ("never reached") sorting above every number (inf)."""
    s = np.sort(np.where(np.isnan(v), np.inf, v))
    pos = q * (len(s) - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    if pos == lo or s[lo] == s[hi]:
        return s[lo]
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


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
