"""Random weight guessing on the parity problem over 500-600 steps (Hochreiter & Schmidhuber 1996).

Hochreiter & Schmidhuber, "LSTM can solve hard long time lag problems", NIPS 9 (1996/1997);
Hochreiter & Schmidhuber, "Bridging long time lags by weight guessing and Long Short-Term Memory"
(1996); the set-up as in Schmidhuber, Hochreiter & Bengio, "Evaluating benchmark problems by
random guessing" (2001).

Claim: Bengio et al.'s parity problem (is the number of +1s in a sequence of +1s and -1s odd?)
is solved by guessing all weights of a small recurrent net i.i.d. from [-100, 100] until one guess
classifies all 100 training sequences of 500-600 steps (|error| < 0.1 at the end): a few hundred
guesses with the sparsely connected architecture A2 without hidden self-connections, a few
thousand with the fully connected A1, and the found nets generalise to fresh sequences. Gradient
descent (BPTT) on the same net, from small random weights, does not learn it at these lengths.

Run:  python3 rs_parity.py --seed 0                        (30 searches, A2 without self-connections)
      python3 rs_parity.py --seed 0 --method bptt --len-min 50 --len-max 50   (the gradient contrast)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "rs-parity"
META = dict(
    title="random weight guessing solves 500-600-step parity; BPTT on the same net does not",
    paper="Hochreiter & Schmidhuber 1996, LSTM can solve hard long time lag problems (NIPS 9)",
    year=1996,
    claim=("Guessing the 42 weights of A2 without hidden self-connections i.i.d. from [-100, 100] classifies "
           "all 100 training sequences of 500-600 bits by parity in every one of 300 searches (seeds 0-9, 30 "
           "searches each); the mean number of guesses over a seed's 30 searches has median 97 over seeds "
           "(IQR 75-106) and over all 300 searches is 96 against the paper's mean of 250; every winner is "
           "perfect on held-out sequences; A1 needs a mean 2751 (paper 2906); BPTT on the same net fails at 50 "
           "steps"),
    figure=dict(args="--seeds 0-9", metric="trials_mean"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="searches_solved", claim=">= 30", paper="—",
         published="5/5 seeds (N=50)"),
    dict(tier="headline", args="--seed 0", metric="trials_median", claim="<= 110",
         paper="250 (mean, A2 without self-connections)", published="12.8k (median, 10 seeds, N=500)"),
    dict(tier="headline", args="--seed 0", metric="trials_mean", claim="<= 130", paper="250", published="—"),
    dict(tier="headline", args="--seed 0", metric="test_acc_mean", claim=">= 0.999", paper="—", published="100%"),
    dict(tier="headline", args="--seed 0 --method bptt --len-min 50 --len-max 50 --searches 10",
         metric="searches_solved", claim="== 0", paper="gradient methods fail", published="not run"),
    dict(tier="headline", args="--seed 0 --method bptt --len-min 50 --len-max 50 --searches 10",
         metric="best_sign_acc_max", claim="<= 0.8", paper="—", published="not run"),
    dict(tier="headline", args="--seeds 0-9", metric="solved_seeds", claim=">= 9/10", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="median_trials_mean", claim="<= 130", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q1_trials_mean", claim="<= 100", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q3_trials_mean", claim="<= 150", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="mean_trials_mean", claim="<= 250", kind="paper",
         paper="mean 250 trials (A2 without hidden self-connections, 500-600 steps)", published="—"),
    dict(tier="seeds", args="--seed 0 --arch A1", metric="trials_mean", claim="<= 2906", kind="paper",
         paper="mean 2906 trials (A1, n = 1)", published="—"),
    dict(tier="seeds", args="--seed 0 --arch A1", metric="searches_solved", claim=">= 30", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --len-min 50 --len-max 50", metric="trials_median", claim="<= 60",
         paper="—", published="10,253 (seed 0, N=50)"),
    dict(tier="seeds", args="--seed 0 --order sync --max-trials 2000", metric="searches_solved", claim="== 0",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --method bptt --len-min 10 --len-max 10", metric="searches_solved",
         claim=">= 5", paper="—", published="not run"),
    dict(tier="long", args="--seed 0 --arch A2 --searches 10", metric="trials_mean", claim="<= 20000",
         paper="mean 2797 trials (A2): not met (see README)", published="—"),
    dict(tier="long", args="--seed 0 --arch A2 --searches 10", metric="searches_solved", claim=">= 10", paper="—",
         published="—"),
    dict(tier="long", args="--seed 0 --method bptt --searches 10 --bptt-epochs 200", metric="searches_solved",
         claim="== 0", paper="gradient methods fail", published="not run"),
]


@dataclass(frozen=True)
class Config:
    method: str = field(default="rg", metadata={"choices": ("rg", "bptt")})  # rg: random weight guessing; bptt: gradient descent on the same net (the contrast)
    arch: str = field(default="A2-noself", metadata={"choices": ("A1", "A2", "A2-noself")})  # A1: fully recurrent, `hidden` units; A2: 10 hidden units that see input, output and themselves; A2-noself: A2 without the hidden self-connections
    hidden: int = 1  # hidden units of A1 (A2 always has 10)
    hidden_act: str = field(default="tanh", metadata={"choices": ("logistic", "tanh")})  # squashing function of the hidden units (the output unit is always logistic)
    order: str = field(default="layered", metadata={"choices": ("sync", "layered")})  # layered: the output reads this step's hidden units; sync: every unit reads last step's activations
    w_range: float = 100.0  # rg: every weight is drawn i.i.d. uniform in [-w_range, w_range]
    len_min: int = 500  # shortest sequence (the paper: 500)
    len_max: int = 600  # longest sequence (the paper: 600)
    n_train: int = 100  # training sequences, half per class
    n_test: int = 100  # held-out test sequences, half per class
    tol: float = 0.1  # a sequence is classified correctly iff |output - target| < tol at its end
    searches: int = 30  # independent searches (rg) or training runs (bptt) per run, each with its own data
    max_trials: int = 100000  # rg: give up a search after this many guesses
    batch: int = 1024  # rg: guesses evaluated together in one numpy computation
    screen: int = 8  # rg early exit: guesses are first run on this many training sequences, survivors on the rest
    bptt_init: float = 1.0  # bptt: initial weights i.i.d. uniform in [-bptt_init, bptt_init]
    bptt_lr: float = 0.05  # bptt: Adam step size (full-batch gradient of the mean squared end-of-sequence error)
    bptt_epochs: int = 1000  # bptt: full-batch updates per run
    bptt_chunk: int = 10  # bptt: training runs computed together (memory grows with chunk * n_train * len_max)

    def __post_init__(self):
        for name in ("hidden", "len_min", "n_train", "n_test", "searches", "max_trials", "batch", "screen",
                     "bptt_epochs", "bptt_chunk"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.len_max < self.len_min:
            raise ValueError("len_max must be >= len_min")
        if self.searches > MAX_SEARCHES:
            raise ValueError(f"searches must be <= {MAX_SEARCHES} (run more seeds instead)")
        if self.n_train % 2 or self.n_test % 2:
            raise ValueError("n_train and n_test must be even (half per class)")
        if self.w_range <= 0 or self.bptt_init <= 0 or self.bptt_lr <= 0 or not 0 < self.tol <= 1:
            raise ValueError("w_range, bptt_init and bptt_lr must be > 0, tol in (0, 1]")


SMOKE = dict(searches=3, len_min=40, len_max=50, max_trials=20000, bptt_epochs=20)
# every random stream, named once: search j (j < MAX_SEARCHES) draws its training set, its guesses
# and its test set from its own three streams (index 3j, 3j + 1, 3j + 2); the gradient check uses the last
# three.  MAX_SEARCHES = 30 streams per kind: more searches are more seeds.
MAX_SEARCHES = 30
STREAMS = ("train0", "guess0", "test0", "train1", "guess1", "test1", "train2", "guess2", "test2", "train3",
           "guess3", "test3", "train4", "guess4", "test4", "train5", "guess5", "test5", "train6", "guess6",
           "test6", "train7", "guess7", "test7", "train8", "guess8", "test8", "train9", "guess9", "test9",
           "train10", "guess10", "test10", "train11", "guess11", "test11", "train12", "guess12", "test12",
           "train13", "guess13", "test13", "train14", "guess14", "test14", "train15", "guess15", "test15",
           "train16", "guess16", "test16", "train17", "guess17", "test17", "train18", "guess18", "test18",
           "train19", "guess19", "test19", "train20", "guess20", "test20", "train21", "guess21", "test21",
           "train22", "guess22", "test22", "train23", "guess23", "test23", "train24", "guess24", "test24",
           "train25", "guess25", "test25", "train26", "guess26", "test26", "train27", "guess27", "test27",
           "train28", "guess28", "test28", "train29", "guess29", "test29", "probe", "data", "init")


# ----------------------------------------------------------------------------- task

def make_sequences(rng, n, cfg):
    """n random +1/-1 sequences, classes alternating (even first).

    Returns X (n, T_max) inputs, zero-padded after each sequence's end; lengths (n,) int;
    y (n,) targets: 1.0 when the number of +1s is odd, 0.0 when even.  Each sequence is uniform
    over the strings of its length and class (a uniform string whose parity is wrong gets one
    uniformly chosen position flipped).
    """
    lengths = rng.integers(cfg.len_min, cfg.len_max + 1, size=n)
    T = int(lengths.max())
    X = rng.choice(np.array([-1.0, 1.0]), size=(n, T))
    inside = np.arange(T)[None, :] < lengths[:, None]
    X[~inside] = 0.0
    y = (np.arange(n) % 2).astype(float)
    flip = ((X == 1.0).sum(axis=1) % 2) != y
    pos = (rng.random(n) * lengths).astype(int)
    X[np.flatnonzero(flip), pos[flip]] *= -1.0
    return X, lengths, y


# ----------------------------------------------------------------------------- the net

def n_hidden(cfg):
    return cfg.hidden if cfg.arch == "A1" else 10


def connection_mask(cfg):
    """(U, 2 + U) bool: which weights exist.  Units 0..H-1 are hidden, unit H is the output.

    Column 0: the input line; column 1: the bias ("true" unit, constant 1.0); columns 2..: the
    units' activations.  A1 is fully connected (every unit sees every unit, itself included);
    in A2 each hidden unit sees the input, the output unit and itself, and the output unit sees
    every hidden unit and the input; A2-noself drops the hidden self-connections; every unit has
    a bias.
    """
    H = n_hidden(cfg)
    U = H + 1
    m = np.ones((U, 2 + U), dtype=bool)
    if cfg.arch != "A1":
        m[:, 2:] = False
        for i in range(H):
            m[i, 2 + i] = cfg.arch == "A2"     # itself
            m[i, 2 + H] = True                 # the output unit
        m[H, 2:2 + H] = True                   # the output unit sees every hidden unit
    return m


def sample_guesses(rng, k, cfg, mask, scale=None):
    """k weight guesses (k, U, 2 + U): every existing weight i.i.d. uniform in [-scale, scale]."""
    scale = cfg.w_range if scale is None else scale
    W = np.zeros((k,) + mask.shape)
    W[:, mask] = rng.uniform(-scale, scale, size=(k, int(mask.sum())))
    return W


def _logistic(x):
    return 0.5 + 0.5 * np.tanh(0.5 * x)          # overflow-free 1 / (1 + exp(-x))


def forward(W, X, lengths, cfg, record=False):
    """Run k nets on n sequences at once.

    W (k, U, 2 + U) weights; X (n, T) inputs shared by all nets, or (k, n, T) one set per net;
    lengths (n,) or (k, n).  All activations start at 0.
    layered: h(t) = f(W_h [x_t, 1, a(t-1)]), then o(t) = logistic(W_o [x_t, 1, h(t), o(t-1)]).
    sync:    every unit a(t) = f(W [x_t, 1, a(t-1)]).
    Returns out (k, n): the output unit after each sequence's last element, and with
    record=True also A (T, k, n, U), every activation (for BPTT and pictures).
    """
    k, U, _ = W.shape
    X3 = X if X.ndim == 3 else X[None]
    ends = (lengths if lengths.ndim == 2 else lengths[None]) - 1
    T = int(ends.max()) + 1
    n = X3.shape[1]
    H = U - 1
    w_in, bias = W[:, None, :, 0], W[:, None, :, 1]              # (k, 1, U)
    WrT = np.ascontiguousarray(W[:, :, 2:].transpose(0, 2, 1))   # (k, U_from, U_to)
    a = np.zeros((k, n, U))
    out = np.zeros((k, n))
    A = np.zeros((T, k, n, U)) if record else None
    hid = np.tanh if cfg.hidden_act == "tanh" else _logistic
    for t in range(T):
        net = X3[:, :, t, None] * w_in + bias
        new = np.empty_like(a)
        if cfg.order == "sync":
            net += a @ WrT
            new[..., :H] = hid(net[..., :H])
            new[..., H] = _logistic(net[..., H])
        else:
            new[..., :H] = hid(net[..., :H] + a @ WrT[:, :, :H])
            new[..., H] = _logistic(net[..., H] + np.einsum("knu,ku->kn", new[..., :H], WrT[:, :H, H])
                                    + a[..., H] * WrT[:, None, H, H])
        a = new
        out = np.where(ends == t, a[..., H], out)
        if record:
            A[t] = a
    return (out, A) if record else out


def backward(W, X, lengths, y, A, cfg):
    """BPTT for the loss L = sum over nets of mean over sequences of 0.5 (o_end - y)^2.

    W (k, U, 2 + U), X (k, n, T), lengths (k, n), y (k, n), A (T, k, n, U) from forward(record=True).
    Returns dL/dW (k, U, 2 + U) (the caller masks it).
    """
    k, U, _ = W.shape
    n = X.shape[1]
    H = U - 1
    T = A.shape[0]
    ends = lengths - 1
    Wr = W[:, :, 2:]                                           # (k, U_to, U_from)
    g = np.zeros_like(W)
    o_end = np.take_along_axis(A[..., H].transpose(1, 2, 0), ends[..., None], axis=2)[..., 0]   # (k, n)
    err = (o_end - y) / n
    dA = np.zeros((k, n, U))                                   # dL/da(t) arriving from later steps
    zero = np.zeros((k, n, U))
    for t in range(T - 1, -1, -1):
        dA[..., H] += np.where(ends == t, err, 0.0)
        a, prev, x = A[t], (A[t - 1] if t > 0 else zero), X[:, :, t]
        h, o = a[..., :H], a[..., H]
        dh_fn = (1.0 - h * h) if cfg.hidden_act == "tanh" else h * (1.0 - h)
        if cfg.order == "sync":
            dnet = np.empty_like(a)
            dnet[..., :H] = dA[..., :H] * dh_fn
            dnet[..., H] = dA[..., H] * o * (1.0 - o)
            g[:, :, 0] += np.einsum("knu,kn->ku", dnet, x)
            g[:, :, 1] += dnet.sum(axis=1)
            g[:, :, 2:] += np.einsum("knu,knv->kuv", dnet, prev)
            dA = dnet @ Wr                                     # (k, n, U_from)
        else:
            dno = dA[..., H] * o * (1.0 - o)                   # (k, n)
            g[:, H, 0] += np.einsum("kn,kn->k", dno, x)
            g[:, H, 1] += dno.sum(axis=1)
            g[:, H, 2:2 + H] += np.einsum("kn,knu->ku", dno, h)
            g[:, H, 2 + H] += np.einsum("kn,kn->k", dno, prev[..., H])
            dnh = (dA[..., :H] + dno[..., None] * Wr[:, None, H, :H]) * dh_fn   # (k, n, H)
            g[:, :H, 0] += np.einsum("knu,kn->ku", dnh, x)
            g[:, :H, 1] += dnh.sum(axis=1)
            g[:, :H, 2:] += np.einsum("knu,knv->kuv", dnh, prev)
            dA = dnh @ Wr[:, :H, :]
            dA[..., H] += dno * Wr[:, None, H, H]
    return g


def loss_and_grads(W, X, lengths, y, cfg, mask):
    """The gradient-check hook: (L, dL/dW) for masked weights W (k, U, 2 + U), per-net data (k, n, T)."""
    Wm = W * mask
    out, A = forward(Wm, X, lengths, cfg, record=True)
    loss = float(0.5 * np.sum(np.mean((out - y) ** 2, axis=1)))
    return loss, backward(Wm, X, lengths, y, A, cfg) * mask


def n_correct(W, data, cfg):
    """(k,) how many of the data's sequences each net classifies correctly (full evaluation)."""
    X, lengths, y = data
    return (np.abs(forward(W, X, lengths, cfg) - y) < cfg.tol).sum(axis=-1)


def passes(W, data, cfg):
    """(k,) bool: the guess classifies every sequence correctly (|output - target| < tol at every
    sequence's end), decided in float64 by forward().

    Fast path: every guess is first screened in float32 (screen_outputs) with a looser tolerance,
    tol + SCREEN_MARGIN; only the guesses that pass the screen on every sequence are run by
    forward() in float64 on all sequences, whose verdict is the answer.  A float64 pass is missed
    only if its float32 run strays by more than the margin (none did in the README's checks against
    passes_float64, the float64-only reference).  Early exit in the screen: guesses run on the first
    cfg.screen sequences; only those without an error there run on the rest."""
    X, lengths, y = data
    ok = np.ones(W.shape[0], dtype=bool)
    loose = cfg.tol + SCREEN_MARGIN
    for sl in (slice(0, cfg.screen), slice(cfg.screen, None)):
        idx = np.flatnonzero(ok)
        if idx.size == 0 or X[sl].shape[0] == 0:
            continue
        err = screen_outputs(W[idx], X[sl], lengths[sl], cfg)
        err -= y[sl].astype(np.float32)
        ok[idx] = np.all(np.abs(err, out=err) < loose, axis=1)
    idx = np.flatnonzero(ok)
    if idx.size:                                         # the verdict: float64, every sequence at once
        out = forward(W[idx], X, lengths, cfg)           # (the same numbers as per slice)
        ok[idx] = np.all(np.abs(out - y[None, :]) < cfg.tol, axis=1)
    return ok


def passes_float64(W, data, cfg):
    """(k,) bool: passes() computed by forward() in float64 alone (the reference; slow)."""
    X, lengths, y = data
    ok = np.ones(W.shape[0], dtype=bool)
    for sl in (slice(0, cfg.screen), slice(cfg.screen, None)):
        idx = np.flatnonzero(ok)
        if idx.size == 0 or X[sl].shape[0] == 0:
            continue
        out = forward(W[idx], X[sl], lengths[sl], cfg)
        ok[idx] = np.all(np.abs(out - y[None, sl]) < cfg.tol, axis=1)
    return ok


# The float32 screen.  forward() keeps the few units on the innermost axis of (guesses, sequences,
# units); here the long axis is innermost: the state of a chunk of guesses (sized to stay in cache)
# is Z (2 + U, guesses, sequences), rows [x_t, 1, s_0 .. s_{U-1}], one plane per unit.  A step
# computes each block of units (layered: the hidden units, then the output unit; sync: all at once)
# as one per-guess matrix product W' Z, or for sparse nets (A2) as a short sum of scalar-broadcast
# multiply-adds over whole planes, then one tanh written into Z: preallocated buffers, no
# temporaries.  Sequences that share a prefix share its activations, so early steps run once per
# distinct prefix (exact: same inputs, same arithmetic).
SCREEN_MARGIN = 0.01  # the float32 screen keeps a guess while every |output - target| < tol + this
CHUNK_FLOATS = 1 << 17  # a chunk of guesses holds about this many float32 state values (fits in L2)


def tanh_form(W, cfg):
    """The nets rewritten with tanh units only: every unit's activation is a = alpha + beta s with
    s(t) = tanh(W' [x_t, 1, s(t-1)]) (tanh units: a = s; logistic ones: a = (1 + s) / 2, since
    logistic(z) = (1 + tanh(z / 2)) / 2).  Returns W' (k, U, 2 + U) float32 and s0 (U,), the s of a = 0."""
    U = W.shape[1]
    logi = np.zeros(U, dtype=bool)
    logi[:U - 1] = cfg.hidden_act == "logistic"
    logi[U - 1] = True                                   # the output unit is always logistic
    alpha, beta = np.where(logi, 0.5, 0.0), np.where(logi, 0.5, 1.0)
    Wt = np.empty(W.shape)
    Wt[:, :, 0] = W[:, :, 0]
    Wt[:, :, 1] = W[:, :, 1] + W[:, :, 2:] @ alpha
    Wt[:, :, 2:] = W[:, :, 2:] * beta
    Wt *= beta[:, None]                                  # gamma = beta: the 1/2 inside logistic's tanh
    return Wt.astype(np.float32), -alpha / beta


def prefix_plan(X, lengths):
    """Per step t, the distinct prefixes X[:, :t + 1] of the sequences (sorted), as a list of
    (m, parent, x, done, g): m prefixes; parent (m,) each one's prefix at t - 1 (None when every
    prefix has one child, nothing to gather); x (m,) float32 their input at t; done the sorted
    sequences that end at t and g (len(done),) their prefixes.  Also returns order (n,), the sort."""
    n, T = X.shape
    Xc = np.ascontiguousarray(X, dtype=np.float64)
    order = np.argsort(Xc.view(f"V{8 * T}").ravel(), kind="stable")   # rows as byte strings: equal
    Xs = Xc[order]                                                     # prefixes end up adjacent
    new = np.zeros((T, n), dtype=bool)                   # sorted sequence i starts a new prefix at t
    new[:, 0] = True
    new[:, 1:] = np.logical_or.accumulate((Xs[1:] != Xs[:-1]).T, axis=0)
    gid = (np.cumsum(new, axis=1) - 1).T                 # (n, T) the prefix of each sorted sequence
    # sharing pays while under half the sequences are distinct (a step's gather costs about what a
    # step costs); from the first step past that on (tw), every sequence runs on its own
    wide = np.flatnonzero(2 * gid[-1] + 2 > n)
    tw = int(wide[0]) if wide.size else T
    ends = lengths[order] - 1
    done_at = {int(t): np.flatnonzero(ends == t) for t in np.unique(ends)}
    none = np.zeros(0, dtype=np.intp)
    XsT = np.ascontiguousarray(Xs.T, dtype=np.float32)
    plan, m = [], 1
    for t in range(T):
        done = done_at.get(t, none)
        if t >= tw:
            parent = None if t > tw else np.zeros(n, dtype=np.intp) if t == 0 else gid[:, t - 1]
            plan.append((n, parent, XsT[t], done, done))
            continue
        mt = int(gid[-1, t]) + 1
        rep = np.flatnonzero(new[t])
        parent = None if mt == m else np.zeros(mt, dtype=np.intp) if t == 0 else gid[rep, t - 1]
        plan.append((mt, parent, XsT[t, rep], done, gid[done, t]))
        m = mt
    return plan, order


def screen_outputs(W, X, lengths, cfg):
    """(k, n) float32: forward()'s outputs (the output unit after each sequence's last element),
    computed in float32 on the long-axis layout, in chunks of guesses, over distinct prefixes."""
    k, U, R = W.shape
    H = U - 1
    n = X.shape[0]
    plan, order = prefix_plan(X[:, :int(lengths.max())], lengths)
    Wt, s0 = tanh_form(W, cfg)
    kc = max(1, min(k, CHUNK_FLOATS // (R * n)))
    bufs = [np.empty(R * kc * n, np.float32) for _ in range(2)]
    pbuf, tbuf = np.empty(U * kc * n, np.float32), np.empty(U * kc * n, np.float32)
    out = np.empty((k, n), np.float32)                   # in sorted order
    layered = cfg.order == "layered"
    blocks = [slice(0, H), slice(H, U)] if layered else [slice(0, U)]   # units computed together, in order
    for c0 in range(0, k, kc):
        Wc = Wt[c0:c0 + kc]
        kk = Wc.shape[0]
        Wcols = np.ascontiguousarray(Wc.transpose(2, 1, 0))[..., None]    # (R, U, kk, 1)
        # per block: its weight product (matmul form), and its sum of scalar-broadcast multiply-adds
        # (the input columns with a weight; column 1 multiplies the constant 1: the starting value)
        # (sparse blocks, as A2's hidden units: the multiply-adds of the weights that exist beat the
        # dense per-guess product: no product for them)
        terms = []
        for b in blocks:
            cols = [r for r in [0] + list(range(2, R)) if Wcols[r, b].any()]
            terms.append((Wc[:, b] if 3 * len(cols) >= R else None, cols))
        cur, Z = 0, None
        for mt, parent, x, done, g in plan:
            if Z is None or parent is not None:          # prefixes split: gather each one's parent state
                Zn = bufs[1 - cur][:R * kk * mt].reshape(R, kk, mt)
                if Z is None:
                    Zn[2:] = s0[:, None, None]
                else:
                    np.take(Z[2:], parent, axis=2, out=Zn[2:], mode="clip")
                Zn[1] = 1.0
                Z, cur = Zn, 1 - cur
                # views for the steps until the next split: the products read (kk, R, mt) and write (kk, rows, mt)
                Zv = Z.transpose(1, 0, 2)
                steps = []
                for b, (Wb, cols) in zip(blocks, terms):
                    rows = Z[2:][b]                      # (rows, kk, mt): the block's activations
                    P = pbuf[:rows.size].reshape(rows.shape)
                    Tm = tbuf[:rows.size].reshape(rows.shape)
                    steps.append((Wb, P.transpose(1, 0, 2), P, Tm, cols, Wcols[:, b], rows))
            np.copyto(Z[0], x)
            for Wb, Pv, P, Tm, cols, Wk, rows in steps:
                if Wb is not None:
                    np.matmul(Wb, Zv, out=Pv)
                else:
                    np.copyto(P, Wk[1])
                    for r in cols:
                        np.multiply(Wk[r], Z[r], out=Tm)
                        P += Tm
                np.tanh(P, out=rows)
            if done.size:
                out[c0:c0 + kk, done] = Z[2 + H][:, g]
    out *= 0.5
    out += 0.5                                           # the output unit: a = (1 + s) / 2
    res = np.empty_like(out)
    res[:, order] = out
    return res


# ----------------------------------------------------------------------------- random search

def search(cfg, rng_guess, train_data, mask, callback=None):
    """Guess weights until one classifies every training sequence; guesses are drawn in batches
    from one stream, so the trial count does not depend on the batch size.

    Batches start at 64 guesses and double up to cfg.batch, so a lucky early hit wastes little.
    Returns (trials, W or None): trials is the 1-based index of the first guess that meets the
    criterion (cfg.max_trials and None when none did).  callback(trials_so_far, W_batch, ok).
    """
    done = 0
    while done < cfg.max_trials:
        k = min(cfg.batch, max(64, done), cfg.max_trials - done)   # 64, 64, 128, 256, ... up to batch
        W = sample_guesses(rng_guess, k, cfg, mask)
        ok = passes(W, train_data, cfg)
        if callback is not None:
            callback(done, W, ok)
        if ok.any():
            i = int(np.argmax(ok))
            return done + i + 1, W[i]
        done += k
    return cfg.max_trials, None


def stream_names(j):
    return (f"train{j}", f"guess{j}", f"test{j}")


def _streams(cfg, seed):
    rngs = rng_streams(seed, STREAMS)
    return [tuple(rngs[s] for s in stream_names(j)) for j in range(cfg.searches)]


def train_bptt(cfg, seed, callback=None):
    """cfg.searches gradient-descent runs on the same net and data as the searches, computed
    cfg.bptt_chunk at a time.  Each run: its own training / test set (the searches' streams) and
    initial weights from its guess stream, uniform in [-bptt_init, bptt_init]; full-batch Adam on
    the mean squared end-of-sequence error.  callback(epoch, dict) after every update of a chunk."""
    mask = connection_mask(cfg)
    results = []
    streams = _streams(cfg, seed)
    for c0 in range(0, cfg.searches, cfg.bptt_chunk):
        chunk = streams[c0:c0 + cfg.bptt_chunk]
        tr = [make_sequences(s[0], cfg.n_train, cfg) for s in chunk]
        te = [make_sequences(s[2], cfg.n_test, cfg) for s in chunk]
        W = np.concatenate([sample_guesses(s[1], 1, cfg, mask, scale=cfg.bptt_init) for s in chunk])
        T = max(d[0].shape[1] for d in tr)
        X = np.stack([np.pad(d[0], ((0, 0), (0, T - d[0].shape[1]))) for d in tr])
        L = np.stack([d[1] for d in tr])
        Y = np.stack([d[2] for d in tr])
        opt = Adam({"W": W}, lr=cfg.bptt_lr)
        k = W.shape[0]
        solved_at = np.full(k, -1)
        hist = dict(loss=[], acc=[], solved=[])
        for epoch in range(cfg.bptt_epochs):
            loss, g = loss_and_grads(W, X, L, Y, cfg, mask)
            out = forward(W, X, L, cfg)
            err = np.abs(out - Y)
            good = np.all(err < cfg.tol, axis=1)
            solved_at[(solved_at < 0) & good] = epoch
            hist["loss"].append(np.mean((out - Y) ** 2, axis=1) * 0.5)
            hist["acc"].append(np.mean(err < 0.5, axis=1))
            hist["solved"].append(good)
            opt.step({"W": W}, {"W": g})
            if callback is not None:
                callback(epoch, dict(W=W, hist=hist, chunk=c0))
            if epoch % 200 == 0 or epoch == cfg.bptt_epochs - 1:
                progress(f"bptt runs {c0 + 1}-{c0 + k}: epoch {epoch:5d}  mean loss {loss / k:.4f}  "
                         f"sign accuracy {np.mean(err < 0.5):.3f}  runs solved {int(good.sum())}/{k}")
        for i in range(k):
            results.append(dict(W=W[i], train=tr[i], test=te[i], solved_at=int(solved_at[i]),
                                hist={key: np.array([h[i] for h in v]) for key, v in hist.items()}))
    return dict(results=results, mask=mask)


def train(cfg, seed, callback=None):
    """cfg.searches independent searches (or BPTT runs, method bptt).

    rg returns dict(results=[dict(trials, W or None, train, test)], wall, cpu, guesses, mask)."""
    if cfg.method == "bptt":
        return train_bptt(cfg, seed, callback)
    import time as _time
    mask = connection_mask(cfg)
    results, total, t0, c0 = [], 0, _time.perf_counter(), _time.process_time()
    for j, (tr, gu, te) in enumerate(_streams(cfg, seed)):
        train_data = make_sequences(tr, cfg.n_train, cfg)
        test_data = make_sequences(te, cfg.n_test, cfg)
        trials, W = search(cfg, gu, train_data, mask,
                           None if callback is None else (lambda d, Wb, ok, j=j: callback(j, d, Wb, ok)))
        total += trials
        results.append(dict(trials=trials, W=W, train=train_data, test=test_data))
        progress(f"search {j + 1:3d}/{cfg.searches}: {'solved' if W is not None else 'gave up'} after "
                 f"{trials} trials")
    wall, cpu = _time.perf_counter() - t0, _time.process_time() - c0
    progress(f"throughput: {total} guesses in {wall:.2f} s wall ({total / max(wall, 1e-9):.0f} guesses/s), "
             f"{cpu:.2f} s CPU ({total / max(cpu, 1e-9):.0f} guesses per CPU-second)")
    return dict(results=results, wall=wall, cpu=cpu, guesses=total, mask=mask)


def evaluate(cfg, out) -> dict:
    """rg: trial statistics over the searches and the found nets on held-out sequences.
    bptt: how many runs met the training criterion, their accuracies, and the test accuracy."""
    res = out["results"]
    if cfg.method == "bptt":
        W = np.stack([r["W"] for r in res])
        tr_ok = np.array([n_correct(r["W"][None], r["train"], cfg)[0] for r in res]) / cfg.n_train
        te_ok = np.array([n_correct(r["W"][None], r["test"], cfg)[0] for r in res]) / cfg.n_test
        sign = np.array([r["hist"]["acc"].max() for r in res])
        solved_at = np.array([r["solved_at"] for r in res])
        return dict(
            searches_solved=int(np.sum(solved_at >= 0)),
            train_acc_mean=float(tr_ok.mean()), test_acc_mean=float(te_ok.mean()),
            best_sign_acc_max=float(sign.max()), best_sign_acc_median=float(np.median(sign)),
            final_loss_mean=float(np.mean([r["hist"]["loss"][-1] for r in res])),
            free_params=int(out["mask"].sum()), weight_abs_mean=float(np.abs(W[:, out["mask"]]).mean()),
        )
    # a search that gave up never reached the criterion: its count is unknown (NaN, sorted above every
    # number), so the mean and the max are NaN and a quantile that touches it is NaN
    trials = np.array([r["trials"] if r["W"] is not None else np.nan for r in res], dtype=float)
    found = [r for r in res if r["W"] is not None]
    test_acc = np.array([n_correct(r["W"][None], r["test"], cfg)[0] / cfg.n_test for r in found])
    q1, med, q3 = (quantile_never(trials, q) for q in (0.25, 0.5, 0.75))
    sign = [np.mean((forward(r["W"][None], *r["train"][:2], cfg)[0] > 0.5) == (r["train"][2] > 0.5)) for r in found]
    return dict(
        searches_solved=len(found),
        best_sign_acc_max=float(max(sign)) if found else 0.0,   # the winners' training sequences on the right side of 0.5
        trials_median=float(med), trials_q1=float(q1), trials_q3=float(q3),
        trials_mean=float(trials.mean()), trials_min=float(np.sort(trials)[0]), trials_max=float(trials.max()),
        test_acc_mean=float(test_acc.mean()) if found else 0.0,
        test_acc_min=float(test_acc.min()) if found else 0.0,
        test_perfect=int(np.sum(test_acc == 1.0)),
        free_params=int(out["mask"].sum()),
        guesses_total=int(out["guesses"]),
    )


def quantile_never(x, q):
    """np.percentile's linear interpolation, with NaN ("never") sorted above every number: NaN when
    the interpolation touches a NaN."""
    x = np.sort(x)                      # NaNs last
    pos = q * (len(x) - 1)
    lo, hi = int(np.floor(pos)), int(np.ceil(pos))
    if np.isnan(x[hi]):
        return float("nan")
    return float(x[lo] + (x[hi] - x[lo]) * (pos - lo))


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    metrics = evaluate(cfg, out)
    metrics["solved"] = int(metrics["searches_solved"] == cfg.searches)
    return metrics


def gradcheck(cfg, seed) -> dict:
    """Central differences against the hand-written BPTT, float64, short sequences, both update
    orders, both hidden squashing functions, the fully connected and the sparse architecture."""
    errors = {}
    chk = rng_streams(seed, STREAMS)["probe"]
    for arch in ("A1", "A2"):
        for order in ("layered", "sync"):
            for act in ("tanh", "logistic"):
                small = Config(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__},
                                  "arch": arch, "hidden": 2, "order": order, "hidden_act": act,
                                  "len_min": 5, "len_max": 9, "n_train": 4})
                rng = rng_streams(seed, STREAMS)
                mask = connection_mask(small)
                data = [make_sequences(rng["data"], small.n_train, small) for _ in range(2)]
                T = max(d[0].shape[1] for d in data)
                X = np.stack([np.pad(d[0], ((0, 0), (0, T - d[0].shape[1]))) for d in data])
                L, Y = np.stack([d[1] for d in data]), np.stack([d[2] for d in data])
                W = sample_guesses(rng["init"], 2, small, mask, scale=1.5)
                _, g = loss_and_grads(W, X, L, Y, small, mask)
                err = numeric_gradcheck(lambda: loss_and_grads(W, X, L, Y, small, mask)[0], {"W": W}, {"W": g},
                                        chk, probes=40)
                errors[f"bptt.{arch}.{order}.{act}"] = err["W"]
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run, gradcheck=gradcheck)


# ----------------------------------------------------------------------------- pasted snippets
# Shared plumbing, pasted verbatim from snippets/ (python3 -m catalog.snippets); the paper's
# algorithm is everything above.

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
