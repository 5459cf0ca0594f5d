"""A 'self-referential' weight matrix (Schmidhuber 1993, ICANN 93), trained on Boolean meta-learning.

Schmidhuber, "A 'self-referential' weight matrix", Proc. ICANN '93, Amsterdam, 446-451 (1993).

Claim (the paper's construction; it reports no experiment): one fully recurrent net whose every
connection has a binary address can read any of its own weights by address (analysing units ->
the special `val` input) and change any of them (modifying units and a Delta output), while eval
inputs carry its own errors; the gradient of the summed error with respect to the initial weights
can be computed exactly, so gradient descent can shape the net's own weight-change algorithm.
Here that single matrix, trained by plain gradient descent (BPTT over an episode, which is the
paper's exact off-line gradient), meta-learns a Boolean function it is not told: each episode
picks one of AND, OR, XOR, NAND; the net sees its own errors on the 4 support patterns and must
answer later queries.

Run:  python3 self_referential_weight_matrix.py --seed 0                 (the headline)
      python3 self_referential_weight_matrix.py --seed 0 --no-writes     (writes disabled)
      python3 self_referential_weight_matrix.py --seed 0 --functions 16  (all 16 two-input functions)
"""
import functools
import sys
import time
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "self-referential-weight-matrix"
META = dict(
    title="a single weight matrix that reads and rewrites its own weights by address, meta-learning Boolean functions",
    paper="Schmidhuber 1993, A 'self-referential' weight matrix (ICANN 93)",
    year=1993,
    claim=("One self-referential matrix (924 addressed connections), trained by plain gradient descent on its "
           "initial weights, meta-learns AND/OR/XOR/NAND from its own errors: 14/20 seeds reach 95% query accuracy, "
           "median 0.978; switching its writes off at test drops it to 0.80, but a net trained without writes "
           "does as well (4/5)"),
    figure=dict(args="--seeds 0-19", metric="query_acc"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="query_acc", claim=">= 0.95", paper="—", published="99.6%"),
    dict(tier="headline", args="--seed 0", metric="query_acc_writes_off", claim="<= 0.9", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-19", metric="solved_seeds", claim=">= 10/20", kind="paper", reduced=True,
         paper="no experiment; its claim that the single matrix can learn to change itself, read as: most runs "
               "(>= 10/20) meet our criterion", published="8/8 seeds > 0.95"),
    dict(tier="seeds", args="--seeds 0-19", metric="median_query_acc", claim=">= 0.95", paper="—", published="99.6%"),
    dict(tier="seeds", args="--seeds 0-19", metric="q1_query_acc", claim=">= 0.9", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-19", metric="q3_query_acc", claim=">= 0.95", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-19", metric="min_query_acc", claim=">= 0.85", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-19", metric="median_query_acc_writes_off", claim="<= 0.9", paper="—",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4 --no-writes", metric="solved_seeds", claim=">= 2/5", paper="—",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4 --no-writes", metric="median_query_acc", claim=">= 0.9", paper="—",
         published="—"),
    dict(tier="seeds", args="--seeds 0-2 --addressing softmax --optimizer adam --lr 0.01", metric="solved_seeds", claim=">= 2/3", paper="—",
         published="8/8 seeds > 0.95"),
    dict(tier="seeds", args="--seeds 0-2 --addressing softmax --optimizer adam --lr 0.01", metric="median_query_acc", claim=">= 0.95", paper="—",
         published="99.6%"),
    dict(tier="seeds", args="--seeds 0-2 --addressing softmax --optimizer adam --lr 0.01", metric="median_query_acc_writes_off", claim=">= 0.95",
         paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-1 --functions 16", metric="median_query_acc", claim=">= 0.6", paper="—",
         published="not run"),
    dict(tier="seeds", args="--seeds 0-1 --functions 16", metric="solved_seeds", claim="<= 1/2", paper="—",
         published="not run"),
    # the writes-disabled contrast at the 20 seeds
    dict(tier="long", args="--seeds 0-19 --no-writes", metric="solved_seeds", claim=">= 11/20", paper="—",
         published="—"),
    dict(tier="long", args="--seeds 0-19 --no-writes", metric="median_query_acc", claim=">= 0.95", paper="—",
         published="—"),
]


@dataclass(frozen=True)
class Config:
    functions: int = field(default=4, metadata={"choices": (4, 16)})  # 4: AND, OR, XOR, NAND; 16: every two-input Boolean function
    hidden: int = 6  # 'normal' hidden units (non-input units besides output, analysing, modifying and Delta units)
    n_r: int = 2  # steps each input pattern is held (the paper's n_r)
    n_query: int = 4  # query presentations after the 4 support patterns (each pattern once, random order)
    addressing: str = field(default="paper", metadata={"choices": ("paper", "softmax")})  # paper: g = exp(-|a - adr|^2 / tau), unnormalised; softmax: normalised over all addresses (the published catalog's pointers)
    tau: float = 1.0  # width of the address-similarity function g
    writes: bool = True  # the net may change its own weights (False: Delta ignored, the matrix stays at its initial value)
    optimizer: str = field(default="sgd", metadata={"choices": ("sgd", "adam")})  # plain gradient descent (paper) or Adam
    lr: float = 1.0  # learning rate
    clip: float = 1.0  # global gradient-norm clip per update (0 = off)
    init_scale: float = 1.0  # std of initial weights times sqrt(number of source units)
    batch: int = 32  # episodes per gradient update
    steps: int = 1000  # gradient updates
    n_test: int = 1000  # fresh test episodes
    solve_acc: float = 0.95  # a run is solved when its query accuracy on the test episodes reaches this (our criterion)
    check_every: int = 100  # probe query accuracy on 256 fresh episodes every this many updates
    log_every: int = 250  # progress line every this many updates

    def __post_init__(self):
        for name in ("hidden", "n_r", "n_query", "batch", "steps", "n_test", "check_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.tau <= 0 or self.lr <= 0 or self.init_scale <= 0 or self.clip < 0:
            raise ValueError("tau, lr and init_scale must be positive, clip >= 0")
        if not 0.0 < self.solve_acc <= 1.0:
            raise ValueError("solve_acc must be in (0, 1]")


SMOKE = dict(steps=60, batch=8, n_test=64, check_every=30, log_every=30)
STREAMS = ("init", "data", "eval", "probe")  # every random stream, by name (probe: gradcheck and learning-curve probes)


# ----------------------------------------------------------------------------- the task
# Patterns p = 2 x1 + x2; a two-input Boolean function is its truth table, bit p of a 4-bit id.
FOUR = (8, 14, 6, 7)  # AND, OR, XOR, NAND
NAMES = {0: "FALSE", 1: "NOR", 2: "x1<x2", 3: "NOT x1", 4: "x1>x2", 5: "NOT x2", 6: "XOR", 7: "NAND",
         8: "AND", 9: "XNOR", 10: "x2", 11: "x1->x2", 12: "x1", 13: "x2->x1", 14: "OR", 15: "TRUE"}
PATTERNS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])  # p -> (x1, x2) as +-1 inputs


def function_ids(cfg):
    return np.array(FOUR if cfg.functions == 4 else range(16))


def sample_episodes(rng, n, cfg):
    """n episodes: fid (n,) truth-table ids, pat (n, P) pattern indices, d (n, P) targets in {0, 1}.

    The first 4 presentations show each pattern once in random order (support), the last n_query
    are uniform random patterns (queries); P = 4 + n_query.
    """
    fid = rng.choice(function_ids(cfg), size=n)
    support = np.argsort(rng.random((n, 4)), axis=1)
    query = rng.integers(0, 4, size=(n, cfg.n_query))
    pat = np.concatenate([support, query], axis=1)
    d = ((fid[:, None] >> pat) & 1).astype(float)
    return fid, pat, d


# ----------------------------------------------------------------------------- the net's units and addresses
# Input units (sources only): x1, x2, bias, eval, val.  Non-input units: output o (sigmoid), the
# 'normal' hidden units (tanh), A analysing units (sigmoid), A modifying units (sigmoid), Delta (tanh).
# Every input unit connects to every non-input unit, every non-input unit to every non-input unit:
# W has shape (n_src, N) with n_src = 5 + N; connection (i, j) has address c = i N + j, written in
# A = ceil(log2 n_conn) bits.
N_IN = 5
X1, X2, BIAS, EVAL, VAL = range(N_IN)


@functools.lru_cache(maxsize=8)
def layout(hidden):
    """Unit layout for `hidden` normal hidden units: dict of sizes, slices and the (n_conn, A) address bits."""
    a = 1
    while True:                              # smallest A with 2^A >= n_conn(A): the ana/mod units are counted too
        n = 1 + hidden + 2 * a + 1
        n_conn = (N_IN + n) * n
        if 2 ** a >= n_conn:
            break
        a += 1
    o, h0 = 0, 1
    ana = slice(1 + hidden, 1 + hidden + a)
    mod = slice(1 + hidden + a, 1 + hidden + 2 * a)
    delta = 1 + hidden + 2 * a
    bits = ((np.arange(n_conn)[:, None] >> np.arange(a - 1, -1, -1)) & 1).astype(float)   # (n_conn, A), MSB first
    sig = np.zeros(n, bool)
    sig[o] = True
    sig[ana] = True
    sig[mod] = True
    return dict(N=n, n_src=N_IN + n, n_conn=n_conn, A=a, o=o, hid=slice(h0, h0 + hidden), ana=ana, mod=mod,
                delta=delta, sig=sig, bits=bits, bits_T=np.ascontiguousarray(bits.T),
                bits_sq=bits.sum(1))


def init_weights(rng, cfg):
    """The initial weight matrix W(1), (n_src, N): the only parameters the learner changes."""
    L = layout(cfg.hidden)
    return rng.normal(0.0, cfg.init_scale / np.sqrt(L["n_src"]), size=(L["n_src"], L["N"]))


def activation(s, sig):
    """Unit activations from net inputs s (..., N): sigmoid on output / analysing / modifying units, tanh else."""
    y = np.tanh(s)
    y[..., sig] = 0.5 + 0.5 * np.tanh(0.5 * s[..., sig])
    return y


def address_weights(a, L, cfg):
    """g[|a - adr(w_c)|^2] for every connection c: a (B, A) unit activations -> G (B, n_conn).

    paper: g(x) = exp(-x / tau), a narrow peak of height 1 at distance 0; softmax: the same numbers
    normalised to sum 1 over all connections.
    """
    dist = (a * a).sum(1)[:, None] - 2.0 * (a @ L["bits_T"]) + L["bits_sq"]   # (B, n_conn) squared distances
    G = np.exp(dist * (-1.0 / cfg.tau))
    if cfg.addressing == "softmax":
        G = G / G.sum(1, keepdims=True)
    return G


def address_backward(a, G, dG, L, cfg):
    """dL/da (B, A) from dL/dG (B, n_conn) through address_weights."""
    dlogit = dG * G
    if cfg.addressing == "softmax":
        dlogit -= G * dlogit.sum(1, keepdims=True)
    # logit_c = -(|a|^2 - 2 a.b_c + |b_c|^2) / tau  ->  d logit_c / d a = -2 (a - b_c) / tau
    return (-2.0 / cfg.tau) * (a * dlogit.sum(1, keepdims=True) - dlogit @ L["bits"])


def forward(W0, pat, d, cfg):
    """Run the self-referential net over a batch of episodes, every episode from the same W(1).

    W0 (n_src, N); pat, d (B, P).  Time steps t = 0..T-1, T = P n_r; z_t = [inputs_t, y_t] (B, n_src):
        y_{t+1}   = f(z_t W_t)                              (every unit, through the CURRENT matrix)
        val_{t+1} = sum_c g[|ana_t - adr_c|^2] W_t[c]         (read a weight by address)
        W_{t+1}   = W_t + Delta_t g[|mod_t - adr_c|^2]        (write one by address)
    Pattern k is held in x for steps k n_r .. (k+1) n_r - 1; the answer to it is o at time (k+1) n_r,
    and eval at that same time carries the net's own error d_k - o (0 at every other step).
    Returns cache with Z (T+1, B, n_src), Y (T+1, B, N), W (T+1, B, n_conn), Ga, Gm (T, B, n_conn), o (B, P).
    """
    L = layout(cfg.hidden)
    B, P = pat.shape
    T = P * cfg.n_r
    n_src, N = L["n_src"], L["N"]
    Z = np.zeros((T + 1, B, n_src))
    Y = np.zeros((T + 1, B, N))
    Wt = np.empty((T + 1, B, L["n_conn"]))
    Wt[0] = W0.reshape(-1)
    Ga = np.empty((T, B, L["n_conn"]))
    Gm = np.empty((T, B, L["n_conn"])) if cfg.writes else None
    X = PATTERNS[pat]                                  # (B, P, 2)
    Y[0] = activation(np.zeros((B, N)), L["sig"])      # net(1) = 0
    o = np.empty((B, P))
    for t in range(T + 1):
        k = t // cfg.n_r                               # the pattern shown at step t
        z = Z[t]
        if k < P:
            z[:, :2] = X[:, k]
        z[:, BIAS] = 1.0
        if t > 0 and t % cfg.n_r == 0:                 # the answer to pattern k-1 is read now; eval = its error
            o[:, k - 1] = Y[t, :, L["o"]]
            z[:, EVAL] = d[:, k - 1] - o[:, k - 1]
        z[:, N_IN:] = Y[t]
        if t == T:
            break
        W = Wt[t].reshape(B, n_src, N)
        Y[t + 1] = activation(np.matmul(z[:, None, :], W)[:, 0], L["sig"])
        Ga[t] = address_weights(Y[t][:, L["ana"]], L, cfg)
        Z[t + 1, :, VAL] = (Ga[t] * Wt[t]).sum(1)
        if cfg.writes:
            Gm[t] = address_weights(Y[t][:, L["mod"]], L, cfg)
            np.multiply(Gm[t], Y[t][:, L["delta"], None], out=Wt[t + 1])
            Wt[t + 1] += Wt[t]
        else:
            Wt[t + 1] = Wt[t]
    return dict(Z=Z, Y=Y, W=Wt, Ga=Ga, Gm=Gm, o=o, T=T)


def loss_and_grad(W0, pat, d, cfg, cache=None):
    """E = sum over presentations of (d - o)^2 / 2, averaged over the batch, and dE/dW(1) (n_src, N) by BPTT.

    BPTT through the whole episode, including every self-modification and the eval inputs (eval = d - o
    is a function of the output, so its path is differentiated too): the exact gradient of the
    episode's error with respect to the initial weights, the quantity the paper's algorithm computes.
    """
    L = layout(cfg.hidden)
    c = forward(W0, pat, d, cfg) if cache is None else cache
    B, P = pat.shape
    T, n_src, N = c["T"], L["n_src"], L["N"]
    Z, Y, Wt, Ga, Gm = c["Z"], c["Y"], c["W"], c["Ga"], c["Gm"]
    err = c["o"] - d                                   # (B, P)
    loss = 0.5 * float((err ** 2).sum()) / B
    slope = np.where(L["sig"], Y * (1.0 - Y), 1.0 - Y * Y)   # (T+1, B, N) f'(net)
    dW = np.zeros((B, L["n_conn"]))                    # dE/dW_{t+1}, carried backwards
    dy = np.zeros((B, N))                              # dE/dy_{t+1} from later steps
    dval = np.zeros(B)                                 # dE/dval_{t+1}
    for t in range(T, -1, -1):
        # dE/dz_t is assembled at step t; first the parts of y_t that feed W_t's products (t < T)
        dy_t = np.zeros((B, N))
        dz = np.zeros((B, n_src))
        if t < T:
            ds = dy * slope[t + 1]                     # (B, N)
            W = Wt[t].reshape(B, n_src, N)
            dz = np.matmul(W, ds[:, :, None])[:, :, 0]
            if cfg.writes:
                dy_t[:, L["delta"]] = (dW * Gm[t]).sum(1)
                dGm = dW * Y[t][:, L["delta"], None]
                dy_t[:, L["mod"]] = address_backward(Y[t][:, L["mod"]], Gm[t], dGm, L, cfg)
            dy_t[:, L["ana"]] = address_backward(Y[t][:, L["ana"]], Ga[t], dval[:, None] * Wt[t], L, cfg)
            dW = dW + (Z[t][:, :, None] * ds[:, None, :]).reshape(B, -1) + dval[:, None] * Ga[t]
        dy_t += dz[:, N_IN:]
        if t > 0 and t % cfg.n_r == 0:                 # output read at t: its own error and its eval input
            k = t // cfg.n_r - 1
            dy_t[:, L["o"]] += err[:, k] / B - dz[:, EVAL]
        dy = dy_t
        dval = dz[:, VAL]
    return loss, dW.sum(0).reshape(n_src, N)


# ----------------------------------------------------------------------------- training and evaluation

def evaluate(W0, cfg, episodes):
    """Accuracies (output > 0.5 against the 0/1 target) on episodes (fid, pat, d), 256 at a time."""
    fid, pat, d = episodes
    o = np.concatenate([forward(W0, pat[i:i + 256], d[i:i + 256], cfg)["o"] for i in range(0, len(fid), 256)])
    right = (o > 0.5) == (d > 0.5)
    out = dict(query_acc=float(right[:, 4:].mean()), support_acc=float(right[:, :4].mean()),
               test_loss=float(0.5 * ((o - d) ** 2).sum(1).mean()))
    per_fn = {int(f): float(right[fid == f, 4:].mean()) for f in function_ids(cfg) if np.any(fid == f)}
    out["min_fn_query_acc"] = min(per_fn.values())
    return out, per_fn, o


def train(cfg, seed, callback=None):
    """Train W(1) by gradient descent on the episode error; returns dict(W0, history, layout sizes).

    callback(step, state) after every update; state holds W0 (the current initial matrix) and history.
    """
    rngs = rng_streams(seed, STREAMS)
    W0 = init_weights(rngs["init"], cfg)
    probe = sample_episodes(rngs["probe"], 256, cfg)
    opt = Adam(dict(W=W0), lr=cfg.lr) if cfg.optimizer == "adam" else None
    hist = dict(step=[], loss=[], check_step=[], query_acc=[], support_acc=[])
    first_solved = np.nan
    t0 = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        _, pat, d = sample_episodes(rngs["data"], cfg.batch, cfg)
        loss, g = loss_and_grad(W0, pat, d, cfg)
        if cfg.clip > 0:
            norm = float(np.sqrt((g * g).sum()))
            if norm > cfg.clip:
                g *= cfg.clip / norm
        if opt is not None:
            opt.step(dict(W=W0), dict(W=g))
        else:
            W0 -= cfg.lr * g
        hist["step"].append(step)
        hist["loss"].append(loss)
        if step % cfg.check_every == 0 or step == cfg.steps:
            m, _, _ = evaluate(W0, cfg, probe)
            hist["check_step"].append(step)
            hist["query_acc"].append(m["query_acc"])
            hist["support_acc"].append(m["support_acc"])
            if np.isnan(first_solved) and m["query_acc"] >= cfg.solve_acc:
                first_solved = step
        if step % cfg.log_every == 0:
            progress(f"step {step}/{cfg.steps}  loss {np.mean(hist['loss'][-cfg.log_every:]):.4f}  "
                     f"probe query acc {hist['query_acc'][-1] if hist['query_acc'] else float('nan'):.3f}  "
                     f"{time.perf_counter() - t0:.1f}s")
        if callback is not None:
            callback(step, dict(W0=W0, hist=hist))
    return dict(W0=W0, history=hist, first_solved=first_solved)


def test_set(cfg, seed):
    """The test episodes of `run` (eval stream of `seed`), never trained on."""
    return sample_episodes(rng_streams(seed, STREAMS)["eval"], cfg.n_test, cfg)


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    m, per_fn, _ = evaluate(out["W0"], cfg, test_set(cfg, seed))
    L = layout(cfg.hidden)
    m["solved"] = int(m["query_acc"] >= cfg.solve_acc)
    m["updates_to_probe_criterion"] = out["first_solved"]
    m["episodes_to_probe_criterion"] = out["first_solved"] * cfg.batch
    if cfg.writes:   # the trained net re-tested with its writes switched off: does its solution use them?
        off, _, _ = evaluate(out["W0"], Config(**{**vars(cfg), "writes": False}), test_set(cfg, seed))
        m["query_acc_writes_off"] = off["query_acc"]
    m["n_conn"] = L["n_conn"]
    m["address_bits"] = L["A"]
    if cfg.functions == 4:
        for f in FOUR:
            m[f"query_acc_{NAMES[f]}"] = per_fn[f]
    return m


def gradcheck(cfg, seed) -> dict:
    """Central differences against the hand-written BPTT, float64, on short episodes and a small net."""
    errors = {}
    for variant in (dict(), dict(addressing="softmax"), dict(writes=False)):
        small = Config(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__},
                          "hidden": 2, "n_query": 2, "batch": 3, "tau": 2.0, **variant})
        rngs = rng_streams(seed, STREAMS)
        W0 = init_weights(rngs["init"], small) * 2.0     # strong weights so every path carries signal
        _, pat, d = sample_episodes(rngs["data"], small.batch, small)
        _, g = loss_and_grad(W0, pat, d, small)
        params = dict(W=W0)
        name = variant and "_".join(f"{k}={v}" for k, v in variant.items()) or "addressing=paper"
        chk = rng_streams(seed, STREAMS)["probe"]
        err = numeric_gradcheck(lambda: loss_and_grad(params["W"], pat, d, small)[0], params, dict(W=g), chk,
                                probes=40)
        errors[f"dE/dW(1)_{name}"] = err["W"]
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run, gradcheck=gradcheck)


# >>> snippet: adam
class Adam:
    """Adam (Kingma & Ba 2014) over a dict of float arrays, updated in place."""

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params, grads):
        self.t += 1
        c1, c2 = 1.0 - self.b1 ** self.t, 1.0 - self.b2 ** self.t
        for k, g in grads.items():
            self.m[k] = self.b1 * self.m[k] + (1.0 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1.0 - self.b2) * g * g
            params[k] -= self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)


def clip_global_norm(grads, max_norm):
    """Scale a dict of gradients so their joint L2 norm is at most max_norm; returns the norm before clipping."""
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    if norm > max_norm > 0:
        for g in grads.values():
            g *= max_norm / norm
    return norm
# <<< snippet: adam


# >>> snippet: seeds
def rng_streams(seed, names):
    """Independent named generators spawned from one SeedSequence(seed); same seed and names, same streams."""
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}
# <<< snippet: seeds


# >>> snippet: gradcheck
def numeric_gradcheck(loss_fn, params, grads, rng, eps=1e-6, probes=12):
    """Central-difference check of analytic `grads` against `loss_fn()` (which reads `params`).

    Perturbs `probes` random entries of every array in `params` (in place, then restores them).
    Returns {name: max relative error}, relative error = |a - n| / max(|a| + |n|, 1e-8).
    """
    errors = {}
    for name, p in params.items():
        flat, g = p.reshape(-1), grads[name].reshape(-1)
        idx = rng.choice(flat.size, size=min(probes, flat.size), replace=False)
        worst = 0.0
        for i in idx:
            old = flat[i]
            flat[i] = old + eps
            up = loss_fn()
            flat[i] = old - eps
            down = loss_fn()
            flat[i] = old
            num = (up - down) / (2.0 * eps)
            worst = max(worst, abs(g[i] - num) / max(abs(g[i]) + abs(num), 1e-8))
        errors[name] = worst
    return errors
# <<< snippet: gradcheck


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
