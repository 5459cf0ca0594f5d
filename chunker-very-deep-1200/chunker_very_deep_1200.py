"""Schmidhuber 1993, Netzwerkarchitekturen, Zielfunktionen und Kettenregel (Habilitation, TU Munich):
a history compressor assigns credit across more than 1,000 steps. Here the 1992 two-net learner
(automatizer A + chunker C, truncated BPTT) labels a T = 1,200 trigger-recall sequence whose filler
A learns to predict; the same net trained alone with full BPTT stays at chance.

Run: python3 chunker_very_deep_1200.py --seed 0              (2-net chunker, noise-free filler)
     python3 chunker_very_deep_1200.py --seed 0 --noise 0.01 (1% of filler steps jump at random)
     python3 chunker_very_deep_1200.py --seed 0 --learner bptt  (A alone, full BPTT: the contrast)
"""
import os
import sys
from dataclasses import dataclass, field

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "chunker-very-deep-1200"
META = dict(
    title="history compression bridges a 1,199-step lag (the 1992 two-net chunker at T = 1,200)",
    paper="Schmidhuber 1993, Netzwerkarchitekturen, Zielfunktionen und Kettenregel (Habilitation, TU Munich); "
          "learner of Schmidhuber 1992, Neural Computation 4(2)",
    year=1993,
    claim=("The 1992 two-net chunker (A predicts, C sees only A's failures, 3-step truncated BPTT) labels a "
           "T = 1,200 trigger-recall task in 9/10 seeds (all 100 test sequences right), with A's surprises down "
           "from 1,200 to a median 3 per sequence; A alone with full BPTT stays at chance (0/10); with 0.5-2% "
           "random filler jumps the compression is learned but the label stays at chance"),
    figure=dict(args="--seeds 0-9", metric="label_acc"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="label_acc", claim="== 1", paper="solved (depth > 1,000)",
         published="100% (chunker), 0% (single net)"),
    dict(tier="headline", args="--seed 0", metric="surprises", claim="<= 3", paper="—",
         published="2.00 per sequence (threshold set after training A)"),
    dict(tier="seeds", args="--seeds 0-9", metric="solved_seeds", claim=">= 5/10", kind="paper", reduced=True,
         paper="credit assignment across > 1,000 steps solved (no run count given; task not retrieved)",
         published="1/1 seed at T = 1,200"),
    dict(tier="seeds", args="--seeds 0-9", metric="median_label_acc", claim=">= 1", paper="—", published="100%"),
    dict(tier="seeds", args="--seeds 0-9", metric="q1_label_acc", claim=">= 0.5", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="q3_label_acc", claim=">= 1", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="median_surprises", claim="<= 4", paper="—", published="2.00"),
    dict(tier="seeds", args="--seeds 0-9", metric="median_label_acc_a", claim="<= 0.65", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9 --learner bptt", metric="max_label_acc", claim="<= 0.65",
         paper="conventional net fails", published="0% (single net, full BPTT)"),
    dict(tier="seeds", args="--seeds 0-9 --learner bptt", metric="solved_seeds", claim="<= 0/10", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9 --noise 0.01", metric="median_label_acc", claim="<= 0.7", paper="—",
         published="not run"),
    dict(tier="seeds", args="--seeds 0-9 --noise 0.01", metric="median_surprises", claim="<= 30", paper="—",
         published="not run"),
    dict(tier="seeds", args="--seeds 0-9 --noise 0.005", metric="median_label_acc", claim="<= 0.7", paper="—",
         published="not run"),
    dict(tier="seeds", args="--seeds 0-9 --noise 0.005", metric="median_surprises", claim="<= 20", paper="—",
         published="not run"),
    dict(tier="seeds", args="--seeds 0-9 --noise 0.02", metric="median_label_acc", claim="<= 0.7", paper="—",
         published="not run"),
    dict(tier="seeds", args="--seeds 0-9 --noise 0.02", metric="median_surprises", claim="<= 40", paper="—",
         published="not run"),
    dict(tier="long", args="--seeds 0-19", metric="solved_seeds", claim=">= 10/20", kind="paper", reduced=True,
         paper="credit assignment across > 1,000 steps solved (no run count given; task not retrieved)",
         published="1/1 seed at T = 1,200"),
]


@dataclass(frozen=True)
class Config:
    learner: str = field(default="chunker", metadata={"choices": ("chunker", "bptt")})  # chunker: A + C, truncated BPTT (1992); bptt: A alone, full BPTT
    T: int = 1200  # steps per sequence: trigger at t=0, label target at t=T-1
    n_filler: int = 8  # filler symbols b1..bK; the noise-free filler cycles b1 b2 .. bK b1 ..
    noise: float = 0.0  # per-step probability that the filler jumps to a uniformly random filler symbol
    hidden_a: int = 16  # hidden units of the automatizer A
    hidden_c: int = 8  # hidden units of the chunker C
    c_weight: float = 0.1  # weight of A's third error term (predicting C's state)
    trunc: int = 3  # truncated BPTT: an error reaches back at most this many steps (A in real time, C in its own time)
    lr_a: float = 6.0  # A's learning rate (plain gradient descent on the error averaged over steps and sequences)
    lr_c: float = 5.0  # C's learning rate (on-line: one step per C input, error averaged over the batch)
    batch: int = 16  # sequences per weight update (off-line form of the gradient)
    updates: int = 200  # weight updates (training sequences = updates * batch)
    eps: float = 0.3  # A errs (a surprise, fed to C) when some output misses its 0/1 target by more than this
    init_scale: float = 1.0  # std of initial weights times sqrt(fan-in)
    n_test: int = 100  # fresh test sequences (eval stream)
    eval_every: int = 10  # evaluate on the test set every this many updates
    dtype: str = field(default="float32", metadata={"choices": ("float64", "float32")})  # training precision (gradcheck always float64)

    def __post_init__(self):
        for name in ("T", "n_filler", "hidden_a", "hidden_c", "batch", "updates", "n_test", "eval_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.T < 3:
            raise ValueError("T must be >= 3")
        if not 0.0 <= self.noise <= 1.0:
            raise ValueError("noise must be in [0, 1]")
        if self.trunc < 0:
            raise ValueError("trunc must be >= 0")
        if self.c_weight < 0:
            raise ValueError("c_weight must be >= 0")
        if self.lr_a <= 0 or self.lr_c <= 0 or self.init_scale <= 0:
            raise ValueError("learning rates and init_scale must be positive")
        if not 0.0 < self.eps < 1.0:
            raise ValueError("eps must be in (0, 1)")


SMOKE = dict(T=120, updates=12, n_test=20, eval_every=4)
STREAMS = ("init", "data", "eval", "probe")  # every random stream, by name (probe: gradcheck)


# ----------------------------------------------------------------------------- task
# Symbols: 0 = trigger a, 1 = trigger x, 2 .. K+1 = filler b1 .. bK.  Target d (one unit) only at t = T-1:
# 1 if the sequence began with a, 0 if with x.  A's input i(t) = onehot(x(t)) o d(t), d(t) = 0 before T-1.

def sample_sequences(rng, n, cfg):
    """Returns sym (T, n) int symbols and lab (n,) labels in {0, 1}.

    t = 0: a trigger (a or x, uniform); t >= 1: filler starting at b1, each step the successor of the
    previous filler symbol, except that with probability `noise` it is a uniformly random filler symbol.
    """
    T, K = cfg.T, cfg.n_filler
    trig = rng.integers(0, 2, size=n)
    jump = rng.random((T, n)) < cfg.noise
    val = rng.integers(0, K, size=(T, n))
    jump[0] = False
    jump[1] = True                                   # the filler's start: b1 (set below), a fixed point
    val[1] = 0
    t = np.arange(T)[:, None]
    last = np.maximum.accumulate(np.where(jump, t, 0), axis=0)          # latest jump time <= t
    start = np.take_along_axis(val, last, axis=0)                       # the value it jumped to
    filler = (start + (t - last)) % K
    sym = filler + 2
    sym[0] = trig
    return sym, (trig == 0).astype(np.int64)


def one_hot_inputs(sym, lab, cfg, dtype=np.float64):
    """I (T, n, K+3): one-hot symbol, then the target channel d(t) (the label at t = T-1, else 0)."""
    T, n = sym.shape
    nI = cfg.n_filler + 2
    I = np.zeros((T, n, nI + 1), dtype=dtype)
    np.put_along_axis(I, sym[..., None], 1.0, axis=2)
    I[-1, :, nI] = lab
    return I


# ----------------------------------------------------------------------------- one tanh RNN, forward and backward

def sigmoid(z):
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def rnn_forward(W, U, b, I, h0=None):
    """h(t) = tanh(I(t) W + h(t-1) U + b), h(-1) = h0 (zeros).  I (T, n, i) -> H (T, n, h)."""
    T, n = I.shape[:2]
    pre = (I.reshape(T * n, -1) @ W).reshape(T, n, -1)
    pre += b
    H = np.empty_like(pre)
    prev = np.zeros_like(pre[0]) if h0 is None else h0
    r = np.empty_like(prev)
    for t in range(T):
        np.dot(prev, U, r)
        r += pre[t]
        np.tanh(r, H[t])
        prev = H[t]
    return H


def bptt_truncated(U, H, D0, k):
    """Deltas at every step's pre-activation when each step's error reaches back at most k steps.

    D0 (T, n, h): dE_t/dpre(t) through step t's own outputs.  Returns D (T, n, h) with
    D[s] = sum_{j=0..k} (the error of step s+j carried back j recurrent transitions to pre(s)).
    k >= T-1 is full BPTT.  Works on all steps at once: k matmuls of shape (T n, h) x (h, h).
    """
    slope = 1.0 - H * H
    D = D0.copy()
    cur = D0
    T = H.shape[0]
    for _ in range(min(k, T - 1)):
        nxt = np.zeros_like(cur)
        np.matmul(cur[1:], U.T, out=nxt[:-1])
        nxt[:-1] *= slope[:-1]
        D += nxt
        cur = nxt
    return D


def bptt_full(U, H, D0):
    """Full BPTT: D[s] = D0[s] + (D[s+1] U^T) * (1 - H[s]^2), backwards over all steps."""
    slope = 1.0 - H * H
    D = D0.copy()
    carry = np.empty_like(D[0])
    for s in range(H.shape[0] - 2, -1, -1):
        np.dot(D[s + 1], U.T, carry)
        carry *= slope[s]
        D[s] += carry
    return D


def rnn_weight_grads(I, H, D, h0=None):
    """dW (i, h), dU (h, h), db (h,) from the deltas D (T, n, h)."""
    T, n, h = H.shape
    Hprev = np.concatenate([np.zeros_like(H[:1]) if h0 is None else h0[None], H[:-1]], axis=0)
    Df = D.reshape(T * n, h)
    return I.reshape(T * n, -1).T @ Df, Hprev.reshape(T * n, h).T @ Df, Df.sum(axis=0)


# ----------------------------------------------------------------------------- the automatizer A

def init_params(rng, cfg):
    """A: W (K+3, Ha), U (Ha, Ha), b, heads Vp (Ha, K+2) next symbol, vd (Ha, 1) target, Vc (Ha, Hc) C's state.
    C: W (K+3, Hc), U (Hc, Hc), b, head Vo (Hc, K+3) C's next input (symbol and target)."""
    nI, Ha, Hc = cfg.n_filler + 2, cfg.hidden_a, cfg.hidden_c

    def w(*shape):
        return rng.normal(0.0, cfg.init_scale / np.sqrt(shape[0]), size=shape)
    A = dict(W=w(nI + 1, Ha), U=w(Ha, Ha), b=np.zeros(Ha), Vp=w(Ha, nI), bp=np.zeros(nI),
             Vd=w(Ha, 1), bd=np.zeros(1), Vc=w(Ha, Hc), bc=np.zeros(Hc))
    C = dict(W=w(nI + 1, Hc), U=w(Hc, Hc), b=np.zeros(Hc), Vo=w(Hc, nI + 1), bo=np.zeros(nI + 1))
    return A, C


def a_forward(A, I):
    """A over whole sequences.  I (T, n, K+3) -> dict(H (T, n, Ha), yp (T, n, K+2) prediction of x(t+1),
    yd (T, n, 1) prediction of d(t+1), yc (T, n, Hc) prediction of C's state at t)."""
    H = rnn_forward(A["W"], A["U"], A["b"], I)
    return dict(H=H, yp=sigmoid(H @ A["Vp"] + A["bp"]), yd=sigmoid(H @ A["Vd"] + A["bd"]),
                yc=np.tanh(H @ A["Vc"] + A["bc"]))


def surprises(out, I, eps):
    """S (T, n) bool: A failed to predict step t's input (some symbol unit or the target unit off by
    more than eps).  t = 0 counts as a surprise: the start of a sequence cannot be predicted."""
    nI = out["yp"].shape[2]
    miss = np.abs(out["yp"][:-1] - I[1:, :, :nI]).max(axis=2) > eps
    has_d = np.zeros(I.shape[:2], dtype=bool)
    has_d[-1] = True
    miss_d = has_d[1:] & (np.abs(out["yd"][:-1, :, 0] - I[1:, :, nI]) > eps)
    S = np.ones(I.shape[:2], dtype=bool)
    S[1:] = miss | miss_d
    return S


def a_loss_and_grads(A, I, out, target_c, k, full=False, c_weight=1.0):
    """A's error: 0.5 * (next-symbol error + target error at T-1 + c_weight * error in predicting C's
    state), averaged over steps and sequences (so the learning rate does not scale with T).  target_c (T, n, Hc) or None (A alone: two terms).
    Gradient: truncated BPTT (each step's error reaches k steps back) or full BPTT."""
    T, n = I.shape[:2]
    nI = out["yp"].shape[2]
    H, yp, yd = out["H"], out["yp"], out["yd"]
    N = float(T * n)
    ep = np.zeros_like(yp)
    ep[:-1] = yp[:-1] - I[1:, :, :nI]                # predict the next symbol
    ed = np.zeros_like(yd)
    ed[-2] = yd[-2] - I[-1, :, nI:]                  # emit the target (given at t = T-1)
    loss = 0.5 * (np.sum(ep * ep) + np.sum(ed * ed))
    dzp = ep * yp * (1.0 - yp) / N
    dzd = ed * yd * (1.0 - yd) / N
    dH = dzp @ A["Vp"].T + dzd @ A["Vd"].T
    g = dict(Vp=H.reshape(T * n, -1).T @ dzp.reshape(T * n, -1), bp=dzp.sum(axis=(0, 1)),
             Vd=H.reshape(T * n, -1).T @ dzd.reshape(T * n, -1), bd=dzd.sum(axis=(0, 1)))
    if target_c is not None:                         # predict C's current state
        yc = out["yc"]
        ec = yc - target_c
        loss += 0.5 * c_weight * np.sum(ec * ec)
        dzc = c_weight * ec * (1.0 - yc * yc) / N
        dH += dzc @ A["Vc"].T
        g["Vc"] = H.reshape(T * n, -1).T @ dzc.reshape(T * n, -1)
        g["bc"] = dzc.sum(axis=(0, 1))
    else:
        g["Vc"], g["bc"] = np.zeros_like(A["Vc"]), np.zeros_like(A["bc"])
    D0 = dH * (1.0 - H * H)
    D = bptt_full(A["U"], H, D0) if full else bptt_truncated(A["U"], H, D0, k)
    g["W"], g["U"], g["b"] = rnn_weight_grads(I, H, D)
    return loss / N, g


# ----------------------------------------------------------------------------- the chunker C

def compress(I, S):
    """C's input stream: the surprising inputs only, in order, padded.

    Returns J (L, n, K+3) C's inputs (zero past a sequence's end), M (L, n) mask, Dm (L, n) where the
    input carries the target (the label step, when A failed on it), idx (T, n) the
    index j of C's most recent input at each real step t (t = 0 is always a surprise, so idx >= 0).
    """
    T, n = S.shape
    idx = np.cumsum(S, axis=0) - 1
    L = int(idx[-1].max()) + 1
    J = np.zeros((L, n, I.shape[2]), dtype=I.dtype)
    tt, bb = np.nonzero(S)
    J[idx[tt, bb], bb] = I[tt, bb]
    M = np.arange(L)[:, None] < (idx[-1] + 1)[None, :]
    Dm = np.zeros_like(M)                            # the target unit is given: the input came from t = T-1
    Dm[idx[-1, S[-1]], np.nonzero(S[-1])[0]] = True
    return J, M, Dm, idx


def c_forward(C, J):
    """C over its compressed stream.  G (L, n, Hc); z (L, n, K+3): z[j] predicts J[j] from C's state
    after J[j-1] (z[0] from the zero start state)."""
    G = rnn_forward(C["W"], C["U"], C["b"], J)
    Gprev = np.concatenate([np.zeros_like(G[:1]), G[:-1]], axis=0)
    return dict(G=G, Gprev=Gprev)


def c_errors(C, J, M, Dm, Gprev):
    """C's prediction z (.., n, K+3) of its next input from the state before it, and the masked error
    z - J (symbol units wherever C has an input, the target unit where a target is given)."""
    z = sigmoid(Gprev @ C["Vo"] + C["bo"])
    w = np.concatenate([np.broadcast_to(M[..., None], M.shape + (J.shape[-1] - 1,)), Dm[..., None]], axis=-1)
    return z, (z - J) * w


def c_step_grads(C, J, G, j, dz, k, g):
    """Add to g the gradient of C's error at step j (dz (n, K+3) = dE_j/d(output pre-activation)),
    carried back through the states of steps j-1, .., j-1-k (truncated BPTT in C's time; G (L, n, Hc) the
    states as computed).  The error at step j is predicted from the state after step j-1."""
    if j == 0:                                       # predicted from the zero start state: only the bias learns
        g["bo"] += dz.sum(axis=0)
        return g
    g["Vo"] += G[j - 1].T @ dz
    g["bo"] += dz.sum(axis=0)
    d = (dz @ C["Vo"].T) * (1.0 - G[j - 1] ** 2)     # delta at pre(j-1)
    for s in range(j - 1, max(j - 2 - k, -1), -1):
        hprev = G[s - 1] if s > 0 else np.zeros_like(G[0])
        g["W"] += J[s].T @ d
        g["U"] += hprev.T @ d
        g["b"] += d.sum(axis=0)
        if s > 0:
            d = (d @ C["U"].T) * (1.0 - G[s - 1] ** 2)
    return g


def c_loss_and_grads(C, J, M, Dm, cc, k):
    """C's error, 0.5 * squared error of its prediction of each next input, averaged over the batch's C steps,
    and its truncated-BPTT gradient with the weights held fixed over the whole stream (the off-line form;
    training uses the on-line form, `c_learn_online`, whose step gradients sum to this one at fixed weights)."""
    L, n, nIn = J.shape
    z, e = c_errors(C, J, M, Dm, cc["Gprev"])
    steps = float(M.sum())
    dz = e * z * (1.0 - z) / steps
    g = {key: np.zeros_like(v) for key, v in C.items()}
    for j in range(L):
        c_step_grads(C, J, cc["G"], j, dz[j], k, g)
    return 0.5 * float(np.sum(e * e)) / steps, g


def c_learn_online(C, J, M, Dm, k, lr):
    """The paper's on-line form for C: walk C's stream (all sequences of the batch in lock-step); at
    each step j predict the next input, take one gradient step on that step's error (averaged over the
    sequences that have a step j, and divided by the batch's mean stream length, so one sequence moves C
    by at most about lr however many surprises it holds: early on, when A still fails everywhere, a
    1,200-step stream at a full rate per step drives C's units into saturation), then update C's state.
    Returns G (L, n, Hc) the states as computed along the way and the mean error per step."""
    L, n, nIn = J.shape
    G = np.zeros((L, n, C["U"].shape[0]), dtype=J.dtype)
    g = {key: np.zeros_like(v) for key, v in C.items()}
    prev = np.zeros_like(G[0])
    total = 0.0
    per_seq = float(M.sum()) / n                     # C steps per sequence: each step's rate is lr / per_seq
    for j in range(L):
        z, e = c_errors(C, J[j], M[j], Dm[j], prev)
        active = float(M[j].sum()) * per_seq
        total += 0.5 * float(np.sum(e * e))
        for v in g.values():
            v[...] = 0.0
        c_step_grads(C, J, G, j, e * z * (1.0 - z) / active, k, g)
        for key in C:
            C[key] -= lr * g[key]
        G[j] = np.tanh(J[j] @ C["W"] + prev @ C["U"] + C["b"])
        prev = G[j]
    return G, total / float(M.sum())


# ----------------------------------------------------------------------------- training and evaluation

def label_predictions(cfg, A, C, I):
    """Run the trained system on sequences I: (C's label, A's label, surprises per sequence (n,))."""
    out = a_forward(A, I)
    nI = cfg.n_filler + 2
    lab_a = out["yd"][-2, :, 0]
    S = surprises(out, I, cfg.eps)
    if C is None:
        return lab_a, lab_a, S.sum(axis=0)
    J, M, Dm, idx = compress(I, S)
    cc = c_forward(C, J)
    n = I.shape[1]
    j_before = idx[-2]                               # C's latest input before the label step
    lab_c = sigmoid(cc["G"][j_before, np.arange(n)] @ C["Vo"][:, nI] + C["bo"][nI])
    return lab_c, lab_a, S.sum(axis=0)


def evaluate(cfg, A, C, test):
    """Label accuracy on the fixed test set: the system's answer (C's prediction of the target; A's own
    with learner=bptt), A's own answer, and A's surprises per sequence."""
    sym, lab, I = test
    lab_c, lab_a, ns = label_predictions(cfg, A, C, I)
    return dict(label_acc=float(np.mean(np.abs(lab_c - lab) < 0.5)),
                label_acc_a=float(np.mean(np.abs(lab_a - lab) < 0.5)),
                surprises=float(np.mean(ns)))


def fixed_test_set(cfg, seed):
    dt = np.dtype(cfg.dtype)
    sym, lab = sample_sequences(rng_streams(seed, STREAMS)["eval"], cfg.n_test, cfg)
    return sym, lab, one_hot_inputs(sym, lab, cfg, dt)


def train(cfg, seed, callback=None):
    """Train A and C together (learner=chunker) or A alone with full BPTT (learner=bptt).

    Every update: a batch of fresh sequences; A runs over them; its surprises form C's stream; C
    learns to predict its next input; A learns its three error terms (C's states as the third target).
    Returns dict(A, C, hist, seqs_to_solve, test); seqs_to_solve: training sequences from which every
    later evaluation labels all test sequences right (NaN if the last one does not).
    callback(update, state) after every update.
    """
    rngs = rng_streams(seed, STREAMS)
    dt = np.dtype(cfg.dtype)
    A, C = init_params(rngs["init"], cfg)
    A = {k: v.astype(dt) for k, v in A.items()}
    C = {k: v.astype(dt) for k, v in C.items()} if cfg.learner == "chunker" else None
    test = fixed_test_set(cfg, seed)
    hist = dict(update=[], seqs=[], a_loss=[], c_loss=[], train_surprises=[], label_acc=[], label_acc_a=[],
                surprises=[])
    stable_since = None
    for u in range(cfg.updates + 1):
        if u % cfg.eval_every == 0 or u == cfg.updates:
            ev = evaluate(cfg, A, C, test)
            for key in ("label_acc", "label_acc_a", "surprises"):
                hist[key].append(ev[key])
            hist["update"].append(u)
            hist["seqs"].append(u * cfg.batch)
            if ev["label_acc"] < 1.0:                    # solved from here on, through the end of training
                stable_since = None
            elif stable_since is None:
                stable_since = u
            if u % (10 * cfg.eval_every) == 0 or u == cfg.updates:
                progress(f"update {u:4d}  label acc {ev['label_acc']:.2f} (A alone {ev['label_acc_a']:.2f})"
                         f"  surprises/seq {ev['surprises']:.1f}")
        if u == cfg.updates:
            break
        sym, lab = sample_sequences(rngs["data"], cfg.batch, cfg)
        I = one_hot_inputs(sym, lab, cfg, dt)
        out = a_forward(A, I)
        if C is not None:
            S = surprises(out, I, cfg.eps)
            J, M, Dm, idx = compress(I, S)
            G, c_loss = c_learn_online(C, J, M, Dm, cfg.trunc, cfg.lr_c)
            target_c = G[idx, np.arange(cfg.batch)[None, :]]            # C's state at every real step
            a_loss, gA = a_loss_and_grads(A, I, out, target_c, cfg.trunc, c_weight=cfg.c_weight)
            hist["c_loss"].append(float(c_loss))
            hist["train_surprises"].append(float(S.sum(axis=0).mean()))
        else:
            a_loss, gA = a_loss_and_grads(A, I, out, None, cfg.trunc, full=True)
            hist["c_loss"].append(float("nan"))
            hist["train_surprises"].append(float(surprises(out, I, cfg.eps).sum(axis=0).mean()))
        for key in A:
            A[key] -= cfg.lr_a * gA[key]
        hist["a_loss"].append(float(a_loss))
        if callback is not None:
            callback(u, dict(A=A, C=C, hist=hist, test=test))
    seqs_to_solve = float("nan") if stable_since is None else float(stable_since * cfg.batch)
    return dict(A=A, C=C, hist=hist, seqs_to_solve=seqs_to_solve, test=test)


def run(cfg, seed):
    """Train, then evaluate on the fixed test set: the metrics of the ledger."""
    res = train(cfg, seed)
    ev = evaluate(cfg, res["A"], res["C"], res["test"])
    return dict(solved=int(ev["label_acc"] == 1.0), label_acc=ev["label_acc"], label_acc_a=ev["label_acc_a"],
                surprises=ev["surprises"], c_lag=ev["surprises"] - 1.0,
                seqs=res["seqs_to_solve"])


def gradcheck(cfg, seed):
    """Central differences, float64, on short sequences, for A's truncated and full BPTT and C's truncated
    BPTT.  A truncated gradient is the exact gradient of a surrogate loss in which each step's error sees
    the state from k+1 steps earlier as a constant: that surrogate is what the differences measure."""
    small = Config(**{**cfg.__dict__, "T": 12, "n_filler": 3, "hidden_a": 5, "hidden_c": 4, "noise": 0.3,
                      "batch": 3, "dtype": "float64"})
    rngs = rng_streams(seed, STREAMS)
    A, C = init_params(rngs["probe"], small)
    for P in (A, C):
        for key in P:
            P[key] += 0.1 * rngs["probe"].standard_normal(P[key].shape)
    sym, lab = sample_sequences(rngs["probe"], small.batch, small)
    I = one_hot_inputs(sym, lab, small)
    tc = np.tanh(rngs["probe"].standard_normal((small.T, small.batch, small.hidden_c)))
    k = 2
    errors = {}

    def a_full_loss():
        return a_loss_and_grads(A, I, a_forward(A, I), tc, k, full=True)[0]
    _, g = a_loss_and_grads(A, I, a_forward(A, I), tc, k, full=True)
    errors.update({f"A_full_bptt.{n}": e for n, e in numeric_gradcheck(a_full_loss, A, g, rngs["probe"]).items()})

    H_frozen = a_forward(A, I)["H"].copy()

    def a_trunc_loss():                              # each step t rolls k+1 steps from the frozen h(t-k-1)
        T = small.T
        H = np.empty_like(H_frozen)
        for t in range(T):
            h = np.zeros(H_frozen.shape[1:]) if t - k - 1 < 0 else H_frozen[t - k - 1]
            for s in range(max(t - k, 0), t + 1):
                h = np.tanh(I[s] @ A["W"] + h @ A["U"] + A["b"])
            H[t] = h
        out = dict(H=H, yp=sigmoid(H @ A["Vp"] + A["bp"]), yd=sigmoid(H @ A["Vd"] + A["bd"]),
                   yc=np.tanh(H @ A["Vc"] + A["bc"]))
        return a_loss_and_grads(A, I, out, tc, k)[0]
    _, g = a_loss_and_grads(A, I, a_forward(A, I), tc, k)
    errors.update({f"A_trunc{k}.{n}": e for n, e in numeric_gradcheck(a_trunc_loss, A, g, rngs["probe"]).items()})

    S = rngs["probe"].random(I.shape[:2]) < 0.6
    S[0] = True
    J, M, Dm, _ = compress(I, S)
    G_frozen = c_forward(C, J)["G"].copy()

    def c_trunc_loss():
        L = J.shape[0]
        G = np.empty_like(G_frozen)
        for j in range(L):
            h = np.zeros(G_frozen.shape[1:]) if j - k - 1 < 0 else G_frozen[j - k - 1]
            for s in range(max(j - k, 0), j + 1):
                h = np.tanh(J[s] @ C["W"] + h @ C["U"] + C["b"])
            G[j] = h
        Gprev = np.concatenate([np.zeros_like(G[:1]), G[:-1]], axis=0)
        return c_loss_and_grads(C, J, M, Dm, dict(G=G, Gprev=Gprev), k)[0]
    _, g = c_loss_and_grads(C, J, M, Dm, c_forward(C, J), k)
    errors.update({f"C_trunc{k}_online_steps.{n}": e for n, e in numeric_gradcheck(c_trunc_loss, C, g, rngs["probe"]).items()})
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run, gradcheck=gradcheck)


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
