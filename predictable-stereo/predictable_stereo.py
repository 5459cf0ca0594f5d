"""Discovering predictable classifications (Schmidhuber & Prelinger 1993) on Becker & Hinton's binary stereo task.

Schmidhuber, J. & Prelinger, D., "Discovering predictable classifications", Neural Computation 5(4):625-635
(1993); TR CU-CS-626-92, University of Colorado at Boulder. The stereo experiment's sizes and rates are from
Schmidhuber's Habilitationsschrift (TU Munich 1993), section "Stereo-Experiment".

The paper's claim: two classifier nets T1 and T2, each seeing one strip pair of a binary random-dot stereo
pair whose only shared property is the global shift, learn to emit the shift when each minimises the
distance between the two classifications (mutual predictability) while predictability minimisation keeps
its output informative: 10/10 runs within 100,000 training patterns with separate weights, 10/10 within
20,000-50,000 with one weight set for both; no layer-by-layer bootstrapping, no learning-rate tuning. A second
task (two features of a binary vector, shared weights, two output units): 10/10 runs within 10,000 patterns.

Each run holds `--trials` independent trials (own initial weights, own pattern stream) computed in lock-step
as one batched NumPy computation; every trial still sees one pattern pair at a time and changes its weights
after every pattern (the paper's on-line form).

Run:  python3 predictable_stereo.py --seed 0                        (shared weights, 20 trials)
      python3 predictable_stereo.py --seed 0 --weights separate
      python3 predictable_stereo.py --seed 0 --task features
      python3 predictable_stereo.py --seed 0 --objective imax       (Becker & Hinton's IMAX, the contrast)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "predictable-stereo"
META = dict(
    title="two classifiers made mutually predictable, kept informative by predictability minimisation, on binary stereo",
    paper="Schmidhuber & Prelinger 1993, Discovering predictable classifications (Neural Computation 5(4))",
    year=1993,
    claim=("The paper's learner as we read it (on-line gradient descent at the paper's rates) meets the paper's "
           "criterion in 6 of 100 trials within 50,000 patterns with shared weights (paper: 10/10 within 20,000-50,000), "
           "0/20 within 100,000 with separate weights (paper: 10/10) and 0/20 on the features task within 10,000 "
           "(paper: 10/10); Becker & Hinton's continuous IMAX on the same nets: 14/20 shared (median 40,500 patterns)"),
    figure=dict(args="--seeds 0-9", metric="trials_solved"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="mean_acc", claim=">= 0.74", paper="—", published="—"),
    dict(tier="headline", args="--seed 0", metric="trials_solved", claim=">= 20", kind="paper",
         paper="10/10 runs learn the shift within 20,000-50,000 training patterns (one weight set)", published="0.997 depth recovery, 8/8 seeds (IMAX on a synthetic depth bit, Adam)"),
    dict(tier="seeds", args="--seeds 0-9", metric="solved_seeds", claim="<= 2/10", paper="10/10 runs", published="8/8"),
    dict(tier="seeds", args="--seeds 0-9", metric="median_trials_solved", claim="<= 4", paper="10 of 10",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="q1_trials_solved", claim="<= 3", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="q3_trials_solved", claim=">= 1", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 100", metric="trials_solved", claim=">= 100", kind="paper",
         paper="10/10 runs learn the shift within 20,000-50,000 training patterns (one weight set)", published="—"),
    dict(tier="long", args="--seed 0 --max-patterns 1000000", metric="trials_solved", claim=">= 2", paper="—",
         published="—"),
    dict(tier="long", args="--seed 0 --max-patterns 1000000", metric="mean_acc", claim=">= 0.75", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --weights separate --max-patterns 100000", metric="trials_solved",
         claim=">= 20", kind="paper", paper="10/10 runs learn the shift within 100,000 training patterns (separate weights)", published="0.997 depth recovery, 8/8 seeds (IMAX on a synthetic depth bit, Adam)"),
    dict(tier="seeds", args="--seed 0 --weights separate --max-patterns 100000", metric="mean_acc", claim=">= 0.70",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --task features --max-patterns 10000", metric="trials_solved", claim=">= 20",
         kind="paper", paper="10/10 runs extract both features within 10,000 pattern presentations", published="—"),
    dict(tier="seeds", args="--seed 0 --task features --max-patterns 10000", metric="mean_acc", claim="<= 0.40",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --pred-unit logistic --eps 0.5 --coding 01", metric="trials_solved",
         claim="<= 2", paper="10/10 runs learn the shift within 20,000-50,000 training patterns (one weight set)", published="—"),
    dict(tier="seeds", args="--seed 0 --pred-unit logistic --eps 0.5 --coding 01", metric="mean_acc",
         claim="<= 0.55", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --objective imax --max-patterns 100000", metric="trials_solved",
         claim=">= 10", paper="IMAX needed layer-by-layer bootstrapping (Becker & Hinton 1989)", published="0.997 depth recovery, 8/8 seeds (IMAX on a synthetic depth bit, Adam)"),
    dict(tier="seeds", args="--seed 0 --objective imax --max-patterns 100000", metric="pat_median",
         claim="<= 60000", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --objective imax --weights separate --max-patterns 100000",
         metric="trials_solved", claim=">= 3", paper="IMAX needed layer-by-layer bootstrapping (Becker & Hinton 1989)", published="0.997 depth recovery, 8/8 seeds (IMAX on a synthetic depth bit, Adam)"),
    dict(tier="seeds", args="--seed 0 --shuffled", metric="mean_acc", claim="<= 0.55", paper="—",
         published="0.513 recovery (IMAX, shuffled)"),
    dict(tier="seeds", args="--seed 0 --shuffled", metric="mean_agree", claim=">= 0.90", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --shuffled", metric="mean_spread", claim="<= 0.10", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --objective imax --shuffled --max-patterns 100000", metric="mean_acc",
         claim="<= 0.60", paper="—", published="0.513 recovery (IMAX, shuffled)"),
    dict(tier="seeds", args="--seed 0 --objective imax --shuffled --max-patterns 100000", metric="mean_agree",
         claim=">= 0.60", paper="—", published="0.99-1.00 L/R agreement (IMAX, shuffled)"),
    dict(tier="seeds", args="--seed 0 --objective imax --shuffled --max-patterns 100000", metric="mean_spread",
         claim=">= 0.15", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0", metric="mean_agree", claim=">= 0.70", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --objective imax --max-patterns 100000", metric="mean_agree", claim=">= 0.80",
         paper="—", published="—"),
]


@dataclass(frozen=True)
class Config:
    task: str = field(default="stereo", metadata={"choices": ("stereo", "features")})  # stereo: Becker & Hinton's binary shift; features: the paper's 'more ones on the right? more ones than zeros?'
    objective: str = field(default="pm", metadata={"choices": ("pm", "imax")})  # pm: mutual predictability + predictability minimisation (the paper); imax: Becker & Hinton's continuous IMAX (contrast)
    weights: str = field(default="shared", metadata={"choices": ("shared", "separate")})  # one weight set for T1 and T2, or one each
    shuffled: bool = False  # control: T2's pattern gets its own shift (feature combination), so nothing is shared
    strip: int = 4  # stereo: pixels per strip; each net sees a right and a left strip (paper: 8 inputs)
    n_bits: int = 8  # features: length of the binary input vector (left half, right half)
    hidden: int = 12  # logistic hidden units per net (paper, stereo: 12)
    coding: str = field(default="pm1", metadata={"choices": ("pm1", "01")})  # input pixel values: -1/+1 or 0/1
    init: float = 2.0  # initial weights uniform in [-init, init] (not stated in the paper)
    lr: float = 0.5  # learning rate of the classifiers T1, T2 (paper: 0.5)
    lr_pred: float = 1.0  # learning rate of the predictors (paper: 1.0)
    pred_unit: str = field(default="linear", metadata={"choices": ("linear", "logistic")})  # output unit of each predictor
    eps: float = 1.0  # weight of the mutual-predictability term M = 1/2 |y1 - y2|^2 (see README: the paper's 0.5 with an exact mean predictor)
    lam: float = 1.0  # weight of predictability minimisation D_l = -1/2 sum_i (P_i - y_i)^2 (paper: 1.0)
    imax_batch: int = 100  # imax: patterns per (off-line) gradient step
    imax_lr: float = 0.5  # imax: learning rate of gradient ascent on I
    trials: int = 20  # independent trials run in lock-step (the paper: 10 test runs)
    max_patterns: int = 50000  # training pattern pairs per trial before it counts as failed (paper: shared 50,000, separate 100,000, features 10,000)
    eval_every: int = 500  # test the criterion after every this many patterns
    log_every: int = 10000  # progress line every this many patterns

    def __post_init__(self):
        for name in ("strip", "n_bits", "hidden", "imax_batch", "trials", "max_patterns", "eval_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.strip < 2:
            raise ValueError("strip must be >= 2")
        if self.n_bits < 4 or self.n_bits % 2:
            raise ValueError("n_bits must be even and >= 4")
        if self.init <= 0 or self.lr <= 0 or self.lr_pred <= 0 or self.imax_lr <= 0:
            raise ValueError("init and learning rates must be positive")
        if self.eps < 0 or self.lam < 0:
            raise ValueError("eps and lam must be >= 0")
        if self.objective == "imax" and self.task != "stereo":
            raise ValueError("imax is implemented for the one-output stereo task only")
        if self.eval_every % (self.imax_batch if self.objective == "imax" else 1):
            raise ValueError("eval_every must be a multiple of imax_batch")


SMOKE = dict(trials=3, max_patterns=2000, eval_every=500, log_every=1000)
STREAMS = ("init", "data", "probe")  # every random stream, by name (probe: gradcheck)


# ----------------------------------------------------------------------------- the two tasks

def stereo_table(strip):
    """Every (row, shift) of one strip pair, for exact evaluation.

    A strip pair comes from a random binary row b of strip + 2 pixels: the right strip is b[1:strip+1],
    the left strip the same window shifted one pixel, b[0:strip] (shift 0) or b[2:strip+2] (shift 1).
    Returns X (N, 2 strip) 0/1 inputs [right, left], shift (N,) in {0, 1}, amb (N,) True where the input
    is consistent with both shifts (a period-2 strip), row (N,) the index of b.
    """
    n = strip + 2
    rows = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1          # (2^n, n)
    X = np.concatenate([np.concatenate([rows[:, 1:n - 1], rows[:, 2 * s:2 * s + strip]], 1) for s in (0, 1)])
    shift = np.repeat([0, 1], 2 ** n)
    code = X @ (1 << np.arange(2 * strip))
    both = np.intersect1d(code[shift == 0], code[shift == 1])
    return X.astype(float), shift, np.isin(code, both), np.tile(np.arange(2 ** n), 2)


def sample_stereo(rng, R, strip, shuffled):
    """R pattern pairs: x (R, 2, 2 strip) 0/1 for T1 (strip 1) and T2 (strip 2), shift (R, 2) in {0, 1}.

    Both strips carry the same global shift; with `shuffled` the second strip draws its own."""
    n = strip + 2
    rows = rng.integers(0, 2, (R, 2, n))
    shift = rng.integers(0, 2, (R, 1))
    shift = np.concatenate([shift, rng.integers(0, 2, (R, 1)) if shuffled else shift], 1)
    left = np.take_along_axis(rows, 2 * shift[..., None] + np.arange(strip), axis=2)
    return np.concatenate([rows[:, :, 1:n - 1], left], 2).astype(float), shift


def feature_table(n_bits):
    """The features task's legal inputs: X (N, n_bits) 0/1, combo (N,) = 2 f1 + f2 with f1 = more ones in the
    right half than in the left, f2 = more ones than zeros; inputs with a tie in either are excluded."""
    X = ((np.arange(2 ** n_bits)[:, None] >> np.arange(n_bits)) & 1)
    left, right = X[:, :n_bits // 2].sum(1), X[:, n_bits // 2:].sum(1)
    legal = (left != right) & (2 * X.sum(1) != n_bits)
    X = X[legal]
    combo = 2 * (right[legal] > left[legal]) + (2 * X.sum(1) > n_bits)
    return X.astype(float), combo


def sample_features(rng, R, table, shuffled):
    """R pattern pairs: x (R, 2, n_bits); T2's input is drawn among those with T1's feature combination."""
    X, combo = table
    i1 = rng.integers(0, len(X), R)
    if shuffled:
        i2 = rng.integers(0, len(X), R)
    else:
        order = np.argsort(combo, kind="stable")
        start = np.searchsorted(combo[order], np.arange(4))
        size = np.bincount(combo, minlength=4)
        c = combo[i1]
        i2 = order[start[c] + (rng.random(R) * size[c]).astype(int)]
    return np.stack([X[i1], X[i2]], 1), np.stack([combo[i1], combo[i2]], 1)


def encode(x, cfg):
    return 2.0 * x - 1.0 if cfg.coding == "pm1" else x


# ----------------------------------------------------------------------------- the nets
# T_l: inputs (+ bias) -> `hidden` logistic units (+ bias) -> Q logistic outputs y_l in [0, 1]^Q.
# Arrays carry a leading trials axis R and a module axis of length 2 (separate) or 1 (shared, broadcast).

def sigmoid(z):
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def n_outputs(cfg):
    return 1 if cfg.task == "stereo" else 2


def n_inputs(cfg):
    return 2 * cfg.strip if cfg.task == "stereo" else cfg.n_bits


def init_params(rng, cfg, R):
    """T: W1 (R, L, I+1, H), W2 (R, L, H+1, Q); predictors: V (R, 2, Q, Q) weights from the other outputs
    (diagonal unused), b (R, 2, Q) weights from the constant unit."""
    L = 1 if cfg.weights == "shared" else 2
    I, H, Q = n_inputs(cfg), cfg.hidden, n_outputs(cfg)
    T = dict(W1=rng.uniform(-cfg.init, cfg.init, (R, L, I + 1, H)),
             W2=rng.uniform(-cfg.init, cfg.init, (R, L, H + 1, Q)))
    Pr = dict(V=np.zeros((R, 2, Q, Q)), b=np.full((R, 2, Q), 0.5 if cfg.pred_unit == "linear" else 0.0))
    return T, Pr


def with_bias(a):
    return np.concatenate([a, np.ones(a.shape[:-1] + (1,))], -1)


def _w(A, x):
    """A parameter array (R, L, a, b) reshaped to broadcast against x (R, ..., 2, .)."""
    return A.reshape(A.shape[:1] + (1,) * (x.ndim - 3) + A.shape[1:])


def forward(T, x):
    """x (R, ..., 2, I) (module axis second to last) -> cache: xb, h (R, ..., 2, H), hb, y (R, ..., 2, Q)."""
    xb = with_bias(x)
    h = sigmoid((xb[..., None, :] @ _w(T["W1"], x))[..., 0, :])
    hb = with_bias(h)
    y = sigmoid((hb[..., None, :] @ _w(T["W2"], x))[..., 0, :])
    return dict(xb=xb, h=h, hb=hb, y=y)


def backward(T, c, dy):
    """dE/dy (R, ..., 2, Q) -> gradients with T's shapes: summed over any batch axes, and over the two
    modules when the weights are shared."""
    dz = dy * c["y"] * (1.0 - c["y"])                                    # (R, ..., 2, Q)
    W2 = _w(T["W2"], dz)[..., :-1, :]
    dh = (dz[..., None, :] * W2).sum(-1) * c["h"] * (1.0 - c["h"])       # (R, ..., 2, H)
    R, L = T["W1"].shape[:2]
    hb, xb = c["hb"].reshape(R, -1, 2, c["hb"].shape[-1]), c["xb"].reshape(R, -1, 2, c["xb"].shape[-1])
    dz, dh = dz.reshape(R, -1, 2, dz.shape[-1]), dh.reshape(R, -1, 2, dh.shape[-1])
    if L == 1:       # (R, I+1, H) = sum over batch and both modules
        xb, dh = xb.reshape(R, -1, xb.shape[-1]), dh.reshape(R, -1, dh.shape[-1])
        hb, dz = hb.reshape(R, -1, hb.shape[-1]), dz.reshape(R, -1, dz.shape[-1])
        gW1 = (xb.transpose(0, 2, 1) @ dh)[:, None]
        gW2 = (hb.transpose(0, 2, 1) @ dz)[:, None]
    else:            # (R, 2, I+1, H) per module, summed over batch
        gW1 = xb.transpose(0, 2, 3, 1) @ dh.transpose(0, 2, 1, 3)
        gW2 = hb.transpose(0, 2, 3, 1) @ dz.transpose(0, 2, 1, 3)
    return dict(W1=gW1, W2=gW2)


def predict(Pr, y, unit):
    """Predictor i of module l sees the module's other outputs (and a constant): P (R, 2, Q), its net input."""
    Q = y.shape[-1]
    off = 1.0 - np.eye(Q)
    z = (y[..., None, :] @ (Pr["V"] * off))[..., 0, :] + Pr["b"]
    return (z if unit == "linear" else sigmoid(z)), z


def pm_grads(cfg, Pr, y):
    """The paper's objective for the classifiers and the predictors' own error, on one pattern pair per trial.

    Classifier loss E = eps/2 |y1 - y2|^2 - lam/2 sum_l sum_i (P_li - y_li)^2 (predictors held fixed);
    predictor loss E_P = 1/2 sum_l sum_i (P_li - y_li)^2 (y held fixed).
    Returns E (R,), dE/dy (R, 2, Q), E_P (R,), predictor grads {V, b}."""
    P, _ = predict(Pr, y, cfg.pred_unit)
    slope = np.ones_like(P) if cfg.pred_unit == "linear" else P * (1.0 - P)
    e = P - y                                                              # (R, 2, Q)
    diff = y[:, 0] - y[:, 1]                                               # (R, Q)
    E = 0.5 * cfg.eps * (diff ** 2).sum(-1) - 0.5 * cfg.lam * (e ** 2).sum((1, 2))
    dy = np.stack([cfg.eps * diff, -cfg.eps * diff], 1) + cfg.lam * e      # direct terms
    off = 1.0 - np.eye(y.shape[-1])
    dz = e * slope
    if y.shape[-1] > 1:                                                    # through the predictors' inputs
        dy -= cfg.lam * (dz[..., None, :] * (Pr["V"] * off)).sum(-1)
    gP = dict(V=(y[..., :, None] * dz[..., None, :]) * off, b=dz)
    return E, dy, 0.5 * (e ** 2).sum((1, 2)), gP


def imax_grads(y):
    """Becker & Hinton's continuous IMAX over a batch: y (R, B, 2, 1) -> (-I (R,), d(-I)/dy (R, B, 2, 1)).

    I = 1/2 log(V(y1 + y2) / V(y1 - y2)), V the batch variance; gradient ascent on I = descent on -I."""
    a, d = y[..., 0, 0] + y[..., 1, 0], y[..., 0, 0] - y[..., 1, 0]       # (R, B)
    B = a.shape[1]
    ac, dc = a - a.mean(1, keepdims=True), d - d.mean(1, keepdims=True)
    Va, Vd = (ac ** 2).mean(1, keepdims=True), (dc ** 2).mean(1, keepdims=True)
    I = 0.5 * np.log(Va[:, 0] / Vd[:, 0])
    ga, gd = ac / (B * Va), -dc / (B * Vd)                                 # dI/da_n, dI/dd_n
    return -I, -np.stack([ga + gd, ga - gd], -1)[..., None]


# ----------------------------------------------------------------------------- training and evaluation

def exact_tables(cfg):
    """The evaluation set: every input of one module, with its label and weight under the data distribution."""
    if cfg.task == "stereo":
        X, lab, amb, _ = stereo_table(cfg.strip)
        return dict(X=X, lab=lab, amb=amb)
    X, combo = feature_table(cfg.n_bits)
    return dict(X=X, lab=combo, amb=np.zeros(len(X), bool))


def evaluate(cfg, T, tab):
    """Exact metrics per trial from every possible input of a module.

    stereo: solved iff both nets' thresholded outputs (y > 0.5) equal the shift, with one polarity shared by
    both nets, on every input that is not consistent with both shifts; acc = that fraction (best polarity).
    features: solved iff in both nets the 2-bit thresholded code is one code per feature combination, four
    different codes, the same in both nets; acc = fraction of inputs whose code is their combination's
    majority code. mi_bits: mutual information between the two nets' thresholded outputs under the training
    distribution (stereo: 1 bit minus the ambiguity; shuffled: 0 for every learner); agree: probability that the
    two thresholded outputs agree under it; spread: standard deviation of the outputs over all inputs."""
    X = encode(tab["X"], cfg)
    R = T["W1"].shape[0]
    y = forward(T, np.broadcast_to(X[:, None, :], (R, X.shape[0], 2, X.shape[1])))["y"].transpose(0, 2, 1, 3)
    bits = y > 0.5
    lab, amb = tab["lab"], tab["amb"]
    if cfg.task == "stereo":
        b = bits[..., 0]                                                   # (R, 2, N)
        good = ~amb
        hit = (b[..., good] == lab[good].astype(bool))
        acc_pol = np.stack([hit.mean((1, 2)), (~hit).mean((1, 2))], 1)    # (R, 2) per polarity
        solved = np.any(np.stack([hit.all((1, 2)), (~hit).all((1, 2))], 1), 1)
        acc = acc_pol.max(1)
        # P(bit = 1 | shift) per net, each row equally likely
        p1 = np.stack([b[..., lab == s].mean(-1) for s in (0, 1)], -1)    # (R, 2 nets, 2 shifts)
        mi, agree = _mi_bits(p1, cfg.shuffled)
        return dict(solved=solved, acc=acc, mi=mi, agree=agree, spread=y[..., 0].std((1, 2)), y=y)
    code = bits[..., 0] * 2 + bits[..., 1]                                 # (R, 2, N)
    onehot = code[..., None] == np.arange(4)                               # (R, 2, N, 4 codes)
    per_combo = np.stack([onehot[:, :, lab == c].mean(2) for c in range(4)], 2)   # (R, 2, 4 combos, 4 codes)
    major = per_combo.argmax(-1)                                           # (R, 2, 4)
    pure = (per_combo.max(-1) == 1.0).all((1, 2))
    distinct = np.array([[len(set(m)) == 4 for m in mm] for mm in major]).all(1)
    same = (major[:, 0] == major[:, 1]).all(1)
    # acc: fraction of inputs whose feature combination is read correctly from their code, decoding each
    # code as the combination it most often stands for (a constant code: 1/4)
    hits = np.zeros(code.shape[:2])
    for k in range(4):
        m = code == k                                                      # (R, 2, N)
        counts = np.stack([(m & (lab == c)).sum(-1) for c in range(4)], -1)   # (R, 2, 4 combos)
        hits += counts.max(-1)
    acc = (hits / len(lab)).mean(1)
    return dict(solved=pure & distinct & same, acc=acc, mi=np.full(R, np.nan), agree=np.full(R, np.nan),
                spread=y.std(2).mean((1, 2)), y=y)


def _mi_bits(p1, shuffled):
    """MI (bits) between the two nets' thresholded stereo outputs, and the probability that they agree, under
    the training distribution; p1 (R, 2, 2) = P(bit 1 | net, shift)."""
    pairs = [(s1, s2, 0.25) for s1 in (0, 1) for s2 in (0, 1)] if shuffled else [(0, 0, 0.5), (1, 1, 0.5)]
    joint = np.zeros(p1.shape[:1] + (2, 2))
    for s1, s2, w in pairs:
        a, b = p1[:, 0, s1], p1[:, 1, s2]
        for i, pa in ((0, 1 - a), (1, a)):
            for j, pb in ((0, 1 - b), (1, b)):
                joint[:, i, j] += w * pa * pb
    pa, pb = joint.sum(2, keepdims=True), joint.sum(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(joint > 0, joint * np.log2(joint / (pa * pb)), 0.0)
    return terms.sum((1, 2)), joint[:, 0, 0] + joint[:, 1, 1]


def train(cfg, seed, callback=None):
    """Train `cfg.trials` independent trials in lock-step; returns params, first-success pattern counts, history."""
    rngs = rng_streams(seed, STREAMS)
    R = cfg.trials
    T, Pr = init_params(rngs["init"], cfg, R)
    tab = exact_tables(cfg)
    ftab = feature_table(cfg.n_bits) if cfg.task == "features" else None
    batch = cfg.imax_batch if cfg.objective == "imax" else 1
    first = np.full(R, np.nan)
    hist = dict(patterns=[], acc=[], mi=[], solved=[], loss=[])
    loss_acc, loss_n = np.zeros(R), 0
    patterns = 0
    block = []
    while patterns < cfg.max_patterns:
        if not block:            # draw the next 1000 updates' pattern pairs at once (same stream, fewer calls)
            n = R * batch * 1000
            if cfg.task == "stereo":
                xs, _ = sample_stereo(rngs["data"], n, cfg.strip, cfg.shuffled)
            else:
                xs, _ = sample_features(rngs["data"], n, ftab, cfg.shuffled)
            block = list(encode(xs, cfg).reshape(1000, R * batch, 2, -1)[::-1])
        x = block.pop()
        if cfg.objective == "pm":
            c = forward(T, x)
            E, dy, _, gP = pm_grads(cfg, Pr, c["y"])
            g = backward(T, c, dy)
            for k in T:
                T[k] -= cfg.lr * g[k]
            for k in Pr:
                Pr[k] -= cfg.lr_pred * gP[k]
        else:                                    # off-line IMAX: one gradient step per `batch` patterns
            c = forward(T, x.reshape(R, batch, 2, -1))
            E, dy = imax_grads(c["y"])
            g = backward(T, c, dy)
            for k in T:
                T[k] -= cfg.imax_lr * g[k]
        loss_acc += E
        loss_n += 1
        patterns += batch
        if patterns % cfg.eval_every == 0 or patterns >= cfg.max_patterns:
            ev = evaluate(cfg, T, tab)
            first[ev["solved"] & np.isnan(first)] = patterns
            hist["patterns"].append(patterns)
            hist["acc"].append(ev["acc"])
            hist["mi"].append(ev["mi"])
            hist["solved"].append(ev["solved"])
            hist["loss"].append(loss_acc / loss_n)
            loss_acc, loss_n = np.zeros(R), 0
            if patterns % cfg.log_every == 0:
                progress(f"patterns {patterns:7d}  solved {int(np.sum(~np.isnan(first)))}/{R}  "
                         f"mean acc {ev['acc'].mean():.3f}")
            if callback is not None:
                callback(patterns, dict(T=T, Pr=Pr, ev=ev, hist=hist))
            if callback is None and not np.isnan(first).any():
                break
    return dict(T=T, Pr=Pr, first=first, history=hist, final=evaluate(cfg, T, tab))


def order_stat(v, q):
    """The q-quantile of per-trial pattern counts, failed trials (NaN) counted as larger than any count:
    NaN when the quantile falls among them."""
    v = np.sort(np.where(np.isnan(v), np.inf, v))
    x = float(np.quantile(v, q, method="lower")) if np.isfinite(v).any() else np.inf
    return x if np.isfinite(x) else float("nan")


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    first, fin = out["first"], out["final"]
    k = int(np.sum(~np.isnan(first)))
    return dict(solved=int(k == cfg.trials), trials_solved=k,
                pat_q1=order_stat(first, 0.25), pat_median=order_stat(first, 0.5), pat_q3=order_stat(first, 0.75),
                pat_max=order_stat(first, 1.0),
                final_solved=int(np.sum(fin["solved"])), mean_acc=float(fin["acc"].mean()),
                min_acc=float(fin["acc"].min()), mean_mi_bits=float(np.mean(fin["mi"])),
                mean_agree=float(np.mean(fin["agree"])), mean_spread=float(np.mean(fin["spread"])))


def gradcheck(cfg, seed) -> dict:
    """Central differences against the hand-written gradients, float64, on small nets:
    the paper's classifier loss (stereo separate, features shared: through the predictors' inputs too),
    the predictors' loss, and IMAX."""
    errors = {}
    chk = rng_streams(seed, STREAMS)["probe"]
    for name, over in (("pm_stereo_separate", dict(task="stereo", weights="separate")),
                       ("pm_features_shared", dict(task="features", weights="shared", n_bits=6)),
                       ("imax_stereo_separate", dict(task="stereo", weights="separate", objective="imax"))):
        c = Config(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__}, **over, "hidden": 5, "trials": 3,
                      "eval_every": 100, "imax_batch": 20})
        rngs = rng_streams(seed, STREAMS)
        T, Pr = init_params(rngs["init"], c, c.trials)
        Pr["V"] = rngs["init"].normal(0, 0.7, Pr["V"].shape)
        Pr["b"] = rngs["init"].normal(0.3, 0.3, Pr["b"].shape)
        if c.objective == "imax":
            x, _ = sample_stereo(rngs["data"], c.trials * 20, c.strip, False)
            x = encode(x, c).reshape(c.trials, 20, 2, -1)

            def loss():
                return float(imax_grads(forward(T, x)["y"])[0].sum())
            cc = forward(T, x)
            g = backward(T, cc, imax_grads(cc["y"])[1])
        else:
            if c.task == "stereo":
                x, _ = sample_stereo(rngs["data"], c.trials, c.strip, False)
            else:
                x, _ = sample_features(rngs["data"], c.trials, feature_table(c.n_bits), False)
            x = encode(x, c)

            def loss():
                return float(pm_grads(c, Pr, forward(T, x)["y"])[0].sum())
            cc = forward(T, x)
            g = backward(T, cc, pm_grads(c, Pr, cc["y"])[1])
            y = cc["y"]
            gP = pm_grads(c, Pr, y)[3]
            for k, e in numeric_gradcheck(lambda: float(pm_grads(c, Pr, y)[2].sum()), Pr, gP, chk).items():
                errors[f"{name}.predictor.{k}"] = e
            dy = pm_grads(c, Pr, y)[1]
            ys = {"y": y.copy()}
            errors[f"{name}.dE_dy"] = numeric_gradcheck(lambda: float(pm_grads(c, Pr, ys["y"])[0].sum()),
                                                        ys, {"y": dy}, chk)["y"]
        for k, e in numeric_gradcheck(loss, T, g, chk).items():
            errors[f"{name}.{k}"] = e
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run, gradcheck=gradcheck)


# ----------------------------------------------------------------------------- pasted snippets
# Shared plumbing, pasted verbatim from snippets/ (python3 -m catalog.snippets); the paper's
# algorithm is everything above.

# >>> snippet: seeds (canonical: snippets/seeds.py; edit there, then run python3 -m catalog.snippets)
def rng_streams(seed, names):
    """Independent named generators spawned from one SeedSequence(seed); same seed and names, same streams."""
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}
# <<< snippet: seeds


# >>> snippet: gradcheck (canonical: snippets/gradcheck.py; edit there, then run python3 -m catalog.snippets)
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


# >>> snippet: record (canonical: snippets/record.py; edit there, then run python3 -m catalog.snippets)
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


# >>> snippet: cli (canonical: snippets/cli.py; edit there, then run python3 -m catalog.snippets)
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
