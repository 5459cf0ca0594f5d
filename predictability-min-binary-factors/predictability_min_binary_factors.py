"""Predictability minimization finds binary factorial codes (Schmidhuber 1992).

Schmidhuber, "Learning factorial codes by predictability minimization", Neural Computation 4(6):
863-879 (1992), section 7 (experiments with uniformly and non-uniformly distributed inputs).

Claim: sigmoid code units that each try to escape an adaptive predictor (which sees all the other
code units and learns the conditional expectation of its own unit) end up, by plain gradient
ascent on the predictors' squared error V_C (predictors descending it 10 times faster), in a
binary factorial code of a binary input ensemble: on-line, 2 code units on the four 2-bit
patterns within 3,000 presentations in 10/10 test runs; on-line, 4 units on the sixteen 4-bit
patterns within 4,000 presentations in 9/10; off-line, 4 units on 16 local patterns after 20,000
epochs in 1/10; off-line, 2 units on four patterns with probabilities 1/9, 2/9, 2/9, 4/9 after
2,000 epochs in 7/10.  No decoder: V_C's own variance part keeps the code informative.

One run holds `--trials` test runs in lock-step (one NumPy computation with a leading trials
axis); trial j of a run with master seed s draws every random number from seed s + j, so
`--seed 0 --trials 100` is seeds 0-99, computed together.

Run:  python3 predictability_min_binary_factors.py --seed 0                      (on-line, 2 units)
      python3 predictability_min_binary_factors.py --seed 0 --trials 100 --experiment online4
"""
import os
import sys
from dataclasses import dataclass, field

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "predictability-min-binary-factors"
META = dict(
    title="predictability minimization: code units escape their predictors and form binary factorial codes",
    paper="Schmidhuber 1992, Learning factorial codes by predictability minimization (Neural Computation 4(6))",
    year=1992,
    claim=("Code units escaping their predictors by plain gradient ascent (predictors 10x faster, no decoder) "
           "reach a binary factorial code on the four 2-bit patterns within 3,000 presentations in 13 of seeds "
           "0-19 and 64 of seeds 0-99 (paper 10/10); 47/100 with 4 units on 16 four-bit patterns (paper 9/10), "
           "37/100 on the non-uniform ensemble (paper 7/10), 0/10 off-line on 16 local patterns (paper 1/10)"),
    figure=dict(args="--seeds 0-19", metric="final_distinct"),
    gradcheck=True,
)
CLAIMS = [
    # the headline: on-line, 2 code units, the four 2-bit patterns (the paper's first on-line experiment)
    dict(tier="headline", args="--seed 0", metric="presentations", claim="<= 3000",
         paper="< 3,000 presentations", published="8/8 seeds (its own task: 4 factors linearly mixed into 8 dims, a decoder, Adam)"),
    dict(tier="headline", args="--seeds 0-19", metric="solved_seeds", claim=">= 8/20",
         paper="10/10 test runs", published="8/8 seeds (its own task: 4 factors linearly mixed into 8 dims, a decoder, Adam)"),
    dict(tier="headline", args="--seeds 0-19", metric="median_final_distinct", claim=">= 3", paper="4 (every run)",
         published="—"),
    dict(tier="headline", args="--seeds 0-19", metric="q1_final_distinct", claim=">= 2", paper="4", published="—"),
    dict(tier="headline", args="--seeds 0-19", metric="q3_final_distinct", claim=">= 4", paper="4", published="—"),
    # the paper's four experiments, each over 100 (off-line 16 local patterns: 10) test runs in lock-step
    dict(tier="headline", args="--seed 0 --trials 100", metric="success_pct", claim=">= 100", kind="paper",
         paper="10/10 runs: binary factorial code in < 3,000 presentations (on-line, 2 units, 2-bit inputs)",
         published="8/8 seeds (its own task: 4 factors linearly mixed into 8 dims, a decoder, Adam)"),
    dict(tier="headline", args="--seed 0 --trials 100", metric="trials_solved", claim=">= 50", paper="—",
         published="—"),
    dict(tier="headline", args="--seed 0 --trials 100", metric="q1_presentations", claim="<= 1500", paper="—",
         published="—"),
    dict(tier="headline", args="--seed 0 --trials 100 --experiment online4", metric="success_pct", claim=">= 90",
         kind="paper", paper="9/10 runs: factorial code in < 4,000 presentations (on-line, 4 units, 16 four-bit inputs)",
         published="—"),
    dict(tier="headline", args="--seed 0 --trials 100 --experiment online4", metric="trials_solved", claim=">= 35",
         paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --trials 100 --experiment nonuniform", metric="success_pct",
         claim=">= 70", kind="paper",
         paper="7/10 runs: factorial code in 2,000 epochs (off-line, inputs with probabilities 1/9, 2/9, 2/9, 4/9)",
         published="—"),
    dict(tier="headline", args="--seed 0 --trials 100 --experiment nonuniform", metric="trials_solved",
         claim=">= 25", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --trials 10 --experiment offline16", metric="success_pct", claim=">= 10",
         kind="paper", paper="1/10 runs: invertible factorial code after 20,000 epochs (off-line, 16 local inputs)",
         published="—"),
    dict(tier="long", args="--seed 0 --trials 10 --experiment offline16", metric="final_distinct", claim=">= 13",
         paper="15, 15, 15, 15, 13, 13, 13, 12, 12 and 16 distinct codes (mean 13.9)", published="—"),
    # beyond the paper: more code units than needed (on-line, 16 four-bit inputs); a quasi-binary
    # factorial code (surplus units constant) counts.  Escaping only its own predictor, a surplus unit
    # never settles (no trial binary); with the full gradient through the predictors many do.
    dict(tier="seeds", args="--seed 0 --trials 100 --experiment online4 --code-units 6", metric="trials_solved",
         claim="<= 5", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 100 --experiment online4 --code-units 8", metric="trials_solved",
         claim="<= 5", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 100 --experiment online4 --code-units 8", metric="final_invertible",
         claim=">= 40", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 100 --experiment online4 --code-units 6 --through-predictors",
         metric="trials_solved", claim=">= 30", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 100 --experiment online4 --code-units 8 --through-predictors",
         metric="trials_solved", claim=">= 35", paper="—", published="—"),
    # contrasts: an extra explicit variance term on top of V_C drives the code units into copies; so
    # does the full gradient of V_C through the other predictors' inputs
    dict(tier="seeds", args="--seed 0 --trials 100 --w-var 1", metric="trials_solved", claim="<= 5", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --trials 100 --through-predictors", metric="trials_solved", claim="<= 40",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 100 --experiment online4 --through-predictors", metric="trials_solved",
         claim="<= 30", paper="—", published="—"),
]


@dataclass(frozen=True)
class Config:
    experiment: str = field(default="online2", metadata={"choices": ("online2", "online4", "offline16", "nonuniform")})  # the paper's experiment: online2 (2 units, 4 two-bit patterns, on-line), online4 (4 units, 16 four-bit patterns, on-line), offline16 (4 units, 16 local patterns, off-line), nonuniform (2 units, patterns with probabilities 1/9, 2/9, 2/9, 4/9, off-line)
    code_units: int = 0  # code units (0 = the experiment's: 2 or 4); more than needed gives the paper's Occam's-razor setting
    hidden_code: int = 0  # sigmoid hidden units shared by the code units (0 = the experiment's)
    hidden_pred: int = 0  # sigmoid hidden units per predictor (0 = the experiment's)
    lr_code: float = 0.0  # learning rate of the code net, gradient ascent (0 = the experiment's: 1.0, 1.0, 0.1, 0.3)
    lr_ratio: float = 10.0  # predictors' learning rate / code net's (paper: 10)
    through_predictors: bool = False  # code units also ascend V_C through the other predictors' inputs (full gradient) instead of each unit escaping only its own predictor
    w_var: float = 0.0  # weight of an extra explicit variance term in the code units' objective (0 = V_C alone, whose variance part is already the information-preserving term)
    mean_rate: float = 0.05  # on-line: rate of the running mean of each code unit used by the variance term (0 = the exact mean over the ensemble)
    init: float = 2.0  # initial weights and biases uniform in [-init, init]
    pred_epochs: int = 5  # off-line: predictor epochs (PASS 1) before each code epoch (PASS 2) (paper: 5)
    budget: int = 0  # presentations (on-line) or code epochs (off-line) per trial (0 = the paper's)
    trials: int = 1  # test runs in lock-step; trial j of master seed s uses seed s + j
    tol: float = 0.05  # a unit is binary when every activation lies within tol of 0 or 1 (paper: 0.05)
    eval_every: int = 10  # test the criterion every this many presentations (on-line) or epochs (off-line)
    log_every: int = 0  # progress line every this many presentations / epochs (0 = none)

    def __post_init__(self):
        for name in ("lr_ratio", "init"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.lr_code < 0:
            raise ValueError("lr_code must be >= 0")
        for name in ("code_units", "hidden_code", "hidden_pred", "budget", "log_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("pred_epochs", "trials", "eval_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.code_units == 1:
            raise ValueError("code_units must be 0 or >= 2")
        if self.w_var < 0:
            raise ValueError("w_var must be >= 0")
        if not 0.0 <= self.mean_rate <= 1.0:
            raise ValueError("mean_rate must be in [0, 1]")
        if not 0.0 < self.tol < 0.5:
            raise ValueError("tol must be in (0, 0.5)")


SMOKE = dict(experiment="online4", budget=400, trials=3, eval_every=20)
STREAMS = ("init", "data", "probe")   # every random stream, by name (probe: the gradient check)

# experiment -> (mode, input patterns, code units, hidden units shared by the code units,
#                hidden units per predictor, budget in the paper's unit, code-net learning rate)
# -- everything but the learning rate (which the paper does not give; ours, see README) from the
# paper's section 7
PAPER_SETUP = {
    "online2": ("online", "bits2", 2, 4, 2, 3000, 1.0),          # < 3,000 presentations, 10/10
    "online4": ("online", "bits4", 4, 8, 6, 4000, 1.0),          # < 4,000 presentations, 9/10
    "offline16": ("offline", "local16", 4, 16, 3, 20000, 0.1),   # 20,000 epochs, 1/10
    "nonuniform": ("offline", "skewed4", 2, 2, 1, 2000, 0.3),    # 2,000 epochs, 7/10
}


# ----------------------------------------------------------------------------- the input ensembles

def ensemble(kind):
    """Input patterns X (m, d) and their probabilities (m,)."""
    if kind == "bits2":        # distributed: 00, 01, 10, 11, uniform
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
        return X, np.full(4, 0.25)
    if kind == "bits4":        # distributed: all sixteen 4-bit patterns, uniform
        X = ((np.arange(16)[:, None] >> np.arange(3, -1, -1)) & 1).astype(float)
        return X, np.full(16, 1.0 / 16)
    if kind == "local16":      # local: sixteen one-hot patterns, uniform
        return np.eye(16), np.full(16, 1.0 / 16)
    if kind == "skewed4":      # x^a..x^d = 00, 01, 10, 11 with probabilities 1/9, 2/9, 2/9, 4/9
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
        return X, np.array([1.0, 2.0, 2.0, 4.0]) / 9.0
    raise ValueError(kind)


def setup(cfg):
    """The experiment's sizes with the Config's overrides applied."""
    mode, data, n, hc, hp, budget, lr = PAPER_SETUP[cfg.experiment]
    return dict(mode=mode, data=data, n=cfg.code_units or n, hc=cfg.hidden_code or hc,
                hp=cfg.hidden_pred or hp, budget=cfg.budget or budget, lr=cfg.lr_code or lr)


# ----------------------------------------------------------------------------- the networks
# Every array carries a leading trials axis R.  The code net: x (d) -> hidden (hc, sigmoid, shared
# by all code units) -> y (n, sigmoid).  Predictor i: y with unit i left out -> hidden (hp, sigmoid)
# -> P_i (sigmoid).  The n predictors are stored as one tensor whose self-connections are masked.

def sigmoid(z):
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def init_params(rngs, d, n, hc, hp, scale):
    """One trial per generator in rngs: code net C and predictors Q, each a dict of (R, ...) arrays."""
    def u(rng, *shape):
        return rng.uniform(-scale, scale, size=shape)
    Cs, Qs = [], []
    for rng in rngs:
        Cs.append(dict(W1=u(rng, d, hc), b1=u(rng, hc), W2=u(rng, hc, n), b2=u(rng, n)))
        Q = dict(W1=u(rng, n, n, hp), b1=u(rng, n, hp), W2=u(rng, n, hp), b2=u(rng, n))
        Q["W1"] *= self_mask(n)
        Qs.append(Q)
    stack = lambda ds: {k: np.stack([p[k] for p in ds]) for k in ds[0]}  # noqa: E731
    return stack(Cs), stack(Qs)


def self_mask(n):
    """(n, n, 1): entry [i, k] is 0 where predictor i would see its own unit k = i."""
    return (1.0 - np.eye(n))[:, :, None]


def forward(C, Q, X):
    """X (R, B, d) -> cache with Hc (R, B, hc), Y (R, B, n), Hp (R, B, n, hp), P (R, B, n)."""
    n = C["b2"].shape[1]
    Hc = sigmoid(np.einsum("rbd,rdh->rbh", X, C["W1"]) + C["b1"][:, None])
    Y = sigmoid(np.einsum("rbh,rhn->rbn", Hc, C["W2"]) + C["b2"][:, None])
    Hp = sigmoid(np.einsum("rbk,rikh->rbih", Y, Q["W1"] * self_mask(n)) + Q["b1"][:, None])
    P = sigmoid(np.einsum("rbih,rih->rbi", Hp, Q["W2"]) + Q["b2"][:, None])
    return dict(X=X, Hc=Hc, Y=Y, Hp=Hp, P=P)


def objectives(c, w, ybar, w_var):
    """Predictors' error E_P = 1/2 sum_b w_b sum_i (P_i - y_i)^2 and the code units' objective
    T = E_P + w_var * 1/2 sum_b w_b sum_i (y_i - ybar_i)^2 (the variance term), both (R,).
    w (R, B) weights each pattern (1 on-line; its count per epoch off-line); ybar (R, n)."""
    ep = 0.5 * np.einsum("rb,rbi->r", w, (c["P"] - c["Y"]) ** 2)
    var = 0.5 * np.einsum("rb,rbi->r", w, (c["Y"] - ybar[:, None]) ** 2)
    return ep, ep + w_var * var


def backward(C, Q, c, w, ybar, w_var, mask, through=False):
    """Gradients of E_P w.r.t. the predictors (the code units held as targets) and of T w.r.t. the
    code net: each y_i pushed away from its own predictor's output P_i (held fixed: unit i escapes
    its predictor), plus, with `through`, the path through every other predictor that sees y_i
    (then the full gradient of T).

    With ybar the weighted mean of Y over the batch (off-line), the mean's own dependence on Y adds
    nothing (the deviations sum to zero); on-line ybar is a running mean, held fixed."""
    X, Hc, Y, Hp, P = c["X"], c["Hc"], c["Y"], c["Hp"], c["P"]
    wb = w[..., None]
    dP = wb * (P - Y)                                   # (R, B, n) dE_P/dP
    dz2 = dP * P * (1.0 - P)
    dHp = dz2[..., None] * Q["W2"][:, None]             # (R, B, n, hp)
    dz1 = dHp * Hp * (1.0 - Hp)
    gQ = dict(W1=np.einsum("rbk,rbih->rikh", Y, dz1) * mask, b1=dz1.sum(1),
              W2=np.einsum("rbi,rbih->rih", dz2, Hp), b2=dz2.sum(1))
    # dT/dY: -(P - Y) directly, the variance term and (through) the predictors' input path
    dY = -dP + w_var * wb * (Y - ybar[:, None])
    if through:
        dY += np.einsum("rbih,rikh->rbk", dz1, Q["W1"] * mask)
    dzc2 = dY * Y * (1.0 - Y)
    dHc = np.einsum("rbn,rhn->rbh", dzc2, C["W2"])
    dzc1 = dHc * Hc * (1.0 - Hc)
    gC = dict(W1=np.einsum("rbd,rbh->rdh", X, dzc1), b1=dzc1.sum(1),
              W2=np.einsum("rbh,rbn->rhn", Hc, dzc2), b2=dzc2.sum(1))
    return gQ, gC


# ----------------------------------------------------------------------------- the criterion

def code_report(Y, probs, tol):
    """Y (R, m, n) the code of every input pattern.  Per trial: binary (every unit within tol of 0
    or 1 on every pattern, or constant to within 2 tol: quasi-binary), number of distinct code words,
    invertible (one per pattern) and factorial (the binarized code's joint distribution under the
    pattern probabilities is the product of its units' marginals)."""
    R, m, n = Y.shape
    near = np.minimum(Y, 1.0 - Y) <= tol                             # (R, m, n)
    const = (Y.max(1) - Y.min(1)) <= 2 * tol                          # (R, n)
    binary = np.all(near.all(1) | const, axis=1)                      # (R,)
    B = (Y > 0.5).astype(np.int64)
    B = np.where(const[:, None, :], 0, B)                             # a constant unit carries no bit
    words = B @ (1 << np.arange(n))                                   # (R, m)
    distinct = np.array([len(np.unique(wr)) for wr in words])
    factorial = np.ones(R, bool)
    marg = np.einsum("m,rmn->rn", probs, B.astype(float))             # P(unit i = 1)
    for r in range(R):
        joint = {}
        for word, p in zip(words[r], probs):
            joint[word] = joint.get(word, 0.0) + p
        for word, p in joint.items():
            bits = (word >> np.arange(n)) & 1
            prod = np.prod(np.where(bits == 1, marg[r], 1.0 - marg[r]))
            factorial[r] &= abs(prod - p) < 1e-9
        # every code word with positive product probability must occur: sum of the joint = 1 covers it
        factorial[r] &= abs(sum(np.prod(np.where(((w >> np.arange(n)) & 1) == 1, marg[r], 1 - marg[r]))
                                for w in joint) - 1.0) < 1e-9
    invertible = distinct == m
    return dict(binary=binary, distinct=distinct, invertible=invertible,
                solved=binary & invertible & factorial)


# ----------------------------------------------------------------------------- training

def train(cfg, seed, callback=None):
    """Train cfg.trials test runs in lock-step.  Returns the final nets, the presentations (on-line)
    or epochs (off-line) at which each trial first showed a binary factorial code (NaN: never within
    the budget) and a coarse history for the pictures.  callback(step, state) after every check."""
    s = setup(cfg)
    Xp, probs = ensemble(s["data"])
    m, d = Xp.shape
    n, R, budget = s["n"], cfg.trials, s["budget"]
    rngs = [rng_streams(seed + j, STREAMS) for j in range(R)]
    C, Q = init_params([r["init"] for r in rngs], d, n, s["hc"], s["hp"], cfg.init)
    mask = self_mask(n)
    lr_c, lr_q = s["lr"], s["lr"] * cfg.lr_ratio
    first = np.full(R, np.nan)
    hist = dict(step=[], ep=[], var=[], binary=[], distinct=[], solved=[])
    Xall = np.broadcast_to(Xp, (R, m, d))
    online = s["mode"] == "online"
    if online:
        cdf = np.cumsum(probs)
        ybar = forward(C, Q, Xall)["Y"].mean(1)                         # running mean starts at the true mean
        w1 = np.ones((R, 1))
    else:
        counts = probs / probs.min()                                    # one epoch: each pattern its count
        wts = np.broadcast_to(counts, (R, m))                         # (R, m) pattern counts per epoch

    def check(step):
        c = forward(C, Q, Xall)
        rep = code_report(c["Y"], probs, cfg.tol)
        newly = np.isnan(first) & rep["solved"]
        first[newly] = step
        wq = np.broadcast_to(probs, (R, m))
        ybar_true = np.einsum("rm,rmn->rn", wq, c["Y"])
        ep, T = objectives(c, wq, ybar_true, 1.0)
        hist["step"].append(step)
        hist["ep"].append(ep.copy())
        hist["var"].append((T - ep).copy())
        hist["binary"].append(rep["binary"].copy())
        hist["distinct"].append(rep["distinct"].copy())
        hist["solved"].append(rep["solved"].copy())
        if callback is not None:
            callback(step, dict(C=C, Q=Q, cache=c, report=rep, hist=hist, first=first))
        if cfg.log_every and step % cfg.log_every == 0:
            progress(f"{s['mode']} step {step:6d}: E_P {ep.mean():.4f}  binary {rep['binary'].sum()}/{R}  "
                     f"factorial {int(np.isfinite(first).sum())}/{R}")

    check(0)
    for step in range(1, budget + 1):
        if online:   # PASS 1 and PASS 2 on the same single pattern, weights changed at once
            idx = np.array([cdf.searchsorted(r["data"].random(), side="right") for r in rngs])
            c = forward(C, Q, Xp[idx][:, None, :])
            if cfg.mean_rate == 0:
                ybar = np.einsum("m,rmn->rn", probs, forward(C, Q, Xall)["Y"])
            gQ, gC = backward(C, Q, c, w1, ybar, cfg.w_var, mask, cfg.through_predictors)
            ybar += cfg.mean_rate * (c["Y"][:, 0] - ybar)
            for k in Q:
                Q[k] -= lr_q * gQ[k]
            for k in C:
                C[k] += lr_c * gC[k]
        else:        # PASS 1: pred_epochs off-line predictor epochs; PASS 2: one code epoch
            for _ in range(cfg.pred_epochs):
                c = forward(C, Q, Xall)
                ybar = np.einsum("rm,rmn->rn", wts, c["Y"]) / wts.sum(1, keepdims=True)
                gQ, _ = backward(C, Q, c, wts, ybar, cfg.w_var, mask)
                for k in Q:
                    Q[k] -= lr_q * gQ[k]
            c = forward(C, Q, Xall)
            ybar = np.einsum("rm,rmn->rn", wts, c["Y"]) / wts.sum(1, keepdims=True)
            _, gC = backward(C, Q, c, wts, ybar, cfg.w_var, mask, cfg.through_predictors)
            for k in C:
                C[k] += lr_c * gC[k]
        if step % cfg.eval_every == 0 or step == budget:
            check(step)
            if np.isfinite(first).all():
                break
    return dict(C=C, Q=Q, first=first, history=hist, setup=s, X=Xp, probs=probs)


def evaluate(cfg, out):
    """Metrics over the trials of one run, in the paper's unit (presentations on-line, epochs off-line).

    `<unit>` is the median over trials of the count at which a trial first showed a binary factorial
    code, q1_/q3_/max_ its quartiles and maximum; a trial that never did counts as infinitely slow, so
    these are NaN once too many trials fail (for one trial: NaN when it failed)."""
    first = out["first"]
    ok = np.isfinite(first)
    R = len(first)
    c = forward(out["C"], out["Q"], np.broadcast_to(out["X"], (R,) + out["X"].shape))
    rep = code_report(c["Y"], out["probs"], cfg.tol)
    ordered = np.sort(np.where(ok, first, np.inf))

    def quantile(f):
        v = float(np.quantile(ordered, f)) if np.isfinite(ordered[int(np.ceil(f * (R - 1)))]) else np.inf
        return v if np.isfinite(v) else float("nan")
    unit = "presentations" if out["setup"]["mode"] == "online" else "epochs"
    return {
        "trials": R,
        "trials_solved": int(ok.sum()),
        "success_pct": 100.0 * ok.mean(),
        unit: quantile(0.5),
        f"q1_{unit}": quantile(0.25),
        f"q3_{unit}": quantile(0.75),
        f"max_{unit}": quantile(1.0),
        "final_binary": int(rep["binary"].sum()),
        "final_invertible": int(rep["invertible"].sum()),
        "final_solved": int(rep["solved"].sum()),
        "final_distinct": float(rep["distinct"].mean()),
    }


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    metrics = evaluate(cfg, out)
    metrics["solved"] = int(metrics["trials_solved"] == metrics["trials"])
    return metrics


def gradcheck(cfg, seed) -> dict:
    """Central differences vs the hand-written gradients, float64, on two trials of the experiment's
    net: E_P w.r.t. every predictor array; the code net's gradient (i) with every predictor output
    held fixed (each unit escaping its own predictor: the default), (ii) the full gradient of T
    through the predictors' inputs; each with ybar the batch mean (off-line form) and a fixed ybar
    (on-line form), and the variance term on."""
    s = setup(cfg)
    Xp, probs = ensemble(s["data"])
    rngs = [rng_streams(seed + j, STREAMS) for j in range(2)]
    C, Q = init_params([r["init"] for r in rngs], Xp.shape[1], s["n"], s["hc"], s["hp"], 2.0)
    mask = self_mask(s["n"])
    X = np.broadcast_to(Xp, (2,) + Xp.shape)
    w = np.broadcast_to(probs / probs.min(), (2, len(probs)))
    probe = rng_streams(seed, STREAMS)["probe"]
    fixed = probe.uniform(0.2, 0.8, size=(2, s["n"]))
    wv = 0.7
    errors = {}
    c0 = forward(C, Q, X)

    def loss_q():
        return float(objectives(forward(C, Q, X), w, fixed, wv)[0].sum())   # the code: targets held
    gQ, _ = backward(C, Q, c0, w, fixed, wv, mask)
    for k, e in numeric_gradcheck(loss_q, Q, gQ, probe).items():
        errors[f"predictors.{k}"] = e
    for form in ("offline", "online"):
        def ybar_of(c):
            return np.einsum("rm,rmn->rn", w, c["Y"]) / w.sum(1, keepdims=True) if form == "offline" else fixed
        for through in (False, True):
            c = forward(C, Q, X)
            _, gC = backward(C, Q, c, w, ybar_of(c), wv, mask, through)

            def loss_c():
                cc = forward(C, Q, X)
                if not through:
                    cc = dict(cc, P=c["P"])                                       # own predictor held fixed
                return float(objectives(cc, w, ybar_of(cc), wv)[1].sum())
            for k, e in numeric_gradcheck(loss_c, C, gC, probe).items():
                errors[f"code_{form}_{'full' if through else 'own'}.{k}"] = e
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run, gradcheck=gradcheck)


# ----------------------------------------------------------------------------- pasted snippets
# Shared plumbing, pasted verbatim from snippets/ (python3 -m catalog.snippets); the paper's
# algorithm is everything above.

# >>> snippet: seeds (canonical: snippets/seeds.py)
def rng_streams(seed, names):
    """Independent named generators spawned from one SeedSequence(seed); same seed and names, same streams."""
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}
# <<< snippet: seeds


# >>> snippet: gradcheck (canonical: snippets/gradcheck.py)
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


# >>> snippet: record (canonical: snippets/record.py)
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


# >>> snippet: cli (canonical: snippets/cli.py)
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
