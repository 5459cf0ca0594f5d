"""Parity with PonderNet's halting, side by side with ACT's (Banino, Balaguer & Blundell 2021).

Banino, Balaguer, Blundell, "PonderNet: Learning to Ponder", ICML 2021 workshop on automated
machine learning (arXiv:2107.05407); the ACT it is compared with is Graves 2016 (arXiv:1603.08983).

Claim: the same tanh RNN, pondering one parity vector for a variable number of inner steps, is
trained with two halting rules.  PonderNet: a halting probability lambda_n per inner step, the
probability of halting exactly at step n is p_n = lambda_n * prod_{j<n} (1 - lambda_j), the loss is
the p-weighted mean of the per-step losses plus beta * KL(p || geometric(lambda_p)), and at test time
the step is sampled.  ACT: the halting-weighted mean state, a ponder cost tau * (N + R).  On the
extrapolation split (trained on vectors with at most half their entries non-zero, tested on vectors
with more), PonderNet carries over to the unseen difficulties while ACT stays near chance.
Forward, backward and gradient check are hand-written numpy.

Run:  python3 pondernet_parity.py --seed 0                 (headline: PonderNet on the split)
      python3 pondernet_parity.py --seed 0 --halting act   (ACT, same net, data and updates)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "pondernet-parity"
META = dict(
    title="PonderNet against ACT: halting as a probability distribution, and extrapolation on parity",
    paper="Banino, Balaguer & Blundell 2021, PonderNet: Learning to Ponder (arXiv:2107.05407)",
    year=2021,
    claim=("PonderNet's extrapolation on parity is not reproduced: trained on 1-5 non-zero entries of 10, "
           "PonderNet extrapolates on 0/5 seeds (6-10 non-zero: median 48.1%, range 43-52%) while learning the "
           "training range on all 5 (99.5-99.8%); ACT, same net, reaches 40-76% there; PonderNet ponders less, "
           "not more, on the unseen vectors on every seed"),
    figure=dict(args="--seeds 0-4", metric="ext_acc"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="in_acc", claim=">= 0.95",
         paper="PonderNet learns the training range (96-wide, 1-48 non-zero)", published="—"),
    dict(tier="headline", args="--seed 0", metric="ext_acc", claim="<= 0.6",
         paper="PonderNet near-perfect on 49-96 non-zero (extrapolation)", published="—"),
    dict(tier="headline", args="--seed 0", metric="ext_over_in_steps", claim="< 1",
         paper="PonderNet ponders longer on the harder, unseen vectors", published="—"),
    dict(tier="headline", args="--seed 0 --halting act", metric="in_acc", claim=">= 0.95",
         paper="ACT learns the training range", published="—"),
    dict(tier="headline", args="--seed 0 --halting act", metric="ext_acc", claim="<= 0.6",
         paper="ACT at chance on 49-96 non-zero (extrapolation)", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="solved_seeds", claim="<= 2/5",
         paper="near-perfect extrapolation on every one of 10 seeds (96-wide, trained on 1-48 non-zero)", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_ext_acc", claim=">= 0.95", kind="paper", reduced=True,
         paper="near-perfect extrapolation: trained on 1-48 non-zero entries of 96, tested on 49-96 (10 seeds); "
               "here 10-wide, trained on 1-5, tested on 6-10, 5 seeds", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="q1_ext_acc", claim=">= 0.4", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="q3_ext_acc", claim="<= 0.6", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="mean_in_acc", claim=">= 0.95", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="max_ext_acc", claim="<= 0.6",
         paper="PonderNet near-perfect on 49-96 non-zero (extrapolation)", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --halting act", metric="mean_in_acc", claim=">= 0.95", paper="—",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="max_ext_over_in_steps", claim="< 1",
         paper="PonderNet ponders longer on the harder, unseen vectors", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --halting act", metric="mean_ext_acc", claim="<= 0.6",
         paper="ACT at chance on 49-96 non-zero (extrapolation)", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --halting act", metric="max_ext_acc", claim=">= 0.7",
         paper="ACT at chance on 49-96 non-zero (extrapolation)", published="—"),
    dict(tier="seeds", args="--seed 0 --lam-p 0.1 --max-steps 30", metric="ext_acc", claim="<= 0.6",
         paper="PonderNet near-perfect on 49-96 non-zero (extrapolation)", published="—"),
    dict(tier="long", args="--seed 0 --width 16 --train-max-nonzero 8 --test-min-nonzero 9 --steps 6000", metric="in_acc", claim=">= 0.9", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --width 16 --train-max-nonzero 8 --test-min-nonzero 9 --steps 6000", metric="ext_acc", claim=">= 0.95", kind="paper", reduced=True,
         paper="near-perfect extrapolation: trained on 1-48 non-zero entries of 96, tested on 49-96 (10 seeds); "
               "here 16-wide, trained on 1-8, tested on 9-16, one seed", published="—"),
    dict(tier="long", args="--seed 0 --width 16 --train-max-nonzero 8 --test-min-nonzero 9 --steps 6000 --halting act", metric="ext_acc", claim="<= 0.6",
         paper="ACT at chance on 49-96 non-zero (extrapolation)", published="—"),
    # probe: the input divided by sqrt(k), so its drive no longer grows with the number of non-zero entries
    dict(tier="seeds", args="--seeds 0-4 --input-norm sqrtk", metric="max_ext_over_in_steps", claim="< 1",
         paper="PonderNet ponders longer on the harder, unseen vectors", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --input-norm sqrtk", metric="median_ext_over_in_steps", claim=">= 0.8",
         paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --input-norm sqrtk", metric="max_ext_acc", claim="<= 0.6",
         paper="PonderNet near-perfect on 49-96 non-zero (extrapolation)", published="—"),
    dict(tier="seeds", args="--seed 0 --input-norm sqrtk --halting act", metric="ext_acc", claim="<= 0.6",
         paper="ACT at chance on 49-96 non-zero (extrapolation)", published="—"),
    # the paper's learning rate (Adam 3e-4) with gradient clipping, ten times our updates
    dict(tier="long", args="--seed 0 --lr 3e-4 --clip 1 --steps 30000", metric="ext_acc", claim=">= 0.95",
         kind="paper", reduced=True,
         paper="near-perfect extrapolation (Adam, lr 3e-4): trained on 1-48 non-zero entries of 96, tested on "
               "49-96; here 10-wide, trained on 1-5, tested on 6-10, 30,000 updates, one seed", published="—"),
    dict(tier="long", args="--seed 0 --lr 3e-4 --clip 1 --steps 30000", metric="in_acc", claim=">= 0.95",
         paper="—", published="—"),
    dict(tier="long", args="--seed 0 --lr 3e-4 --clip 1 --steps 30000", metric="ext_over_in_steps", claim=">= 0.9",
         paper="PonderNet ponders longer on the harder, unseen vectors", published="—"),
    # issue 17: a GRU step function (what public PonderNet code uses) in place of the tanh RNN
    dict(tier="seeds", args="--seeds 0-4 --cell gru", metric="median_ext_acc", claim=">= 0.95", kind="paper",
         reduced=True, paper="near-perfect extrapolation (10 seeds, 96-wide, trained on 1-48 non-zero); here a GRU "
         "step, 10-wide, trained on 1-5, tested on 6-10, 3000 updates, 5 seeds", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --cell gru", metric="mean_in_acc", claim=">= 0.99", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --cell gru", metric="max_ext_acc", claim="<= 0.6",
         paper="PonderNet near-perfect on 49-96 non-zero (extrapolation)", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --cell gru", metric="max_ext_over_in_steps", claim="< 1",
         paper="PonderNet ponders longer on the harder, unseen vectors", published="—"),
    dict(tier="long", args="--seed 0 --cell gru --width 16 --train-max-nonzero 8 --test-min-nonzero 9 --steps 6000",
         metric="ext_acc", claim=">= 0.95", kind="paper", reduced=True,
         paper="near-perfect extrapolation (96-wide, trained on 1-48 non-zero); here a GRU step, 16-wide, trained "
         "on 1-8, tested on 9-16, 6000 updates, one seed", published="—"),
    dict(tier="long", args="--seed 0 --cell gru --width 16 --train-max-nonzero 8 --test-min-nonzero 9 --steps 6000",
         metric="in_acc", claim=">= 0.99", paper="—", published="—"),
]


@dataclass(frozen=True)
class Config:
    width: int = 10  # input vector size (the paper's extrapolation split: 96)
    train_max_nonzero: int = 5  # training vectors have 1..this many non-zero entries (the paper: 48 of 96)
    test_min_nonzero: int = 6  # test vectors have this many..width non-zero entries (the paper: 49..96)
    halting: str = field(default="pondernet", metadata={"choices": ("pondernet", "act")})  # halting rule
    hidden: int = 128  # units of the RNN state
    cell: str = field(default="tanh", metadata={"choices": ("tanh", "gru")})  # step function: tanh RNN, or a GRU (Cho et al. 2014; what public PonderNet code uses)
    max_steps: int = 20  # the most inner steps per vector (PonderNet's unroll limit N, ACT's M)
    lam_p: float = 0.2  # PonderNet: parameter of the geometric prior on the halting step (mean 1 / lam_p steps)
    beta: float = 0.01  # PonderNet: weight of KL(p || geometric prior) in the loss
    tail: float = 0.01  # PonderNet: stop unrolling a vector once its not-yet-halted probability falls below this
    tau: float = 1e-3  # ACT: time penalty on the ponder cost N + R
    eps: float = 0.01  # ACT: halt once the summed halting probabilities reach 1 - eps
    halt_bias: float = 1.0  # initial bias of the halting unit
    batch: int = 128  # vectors per Adam update
    lr: float = 3e-3  # Adam learning rate
    clip: float = 0.0  # clip the gradients' joint L2 norm to this before each Adam update (0: no clipping)
    input_norm: str = field(default="none", metadata={"choices": ("none", "sqrtk")})  # none: the raw vector; sqrtk: x / sqrt(k), k its non-zero entries (a probe, not the paper's)
    steps: int = 3000  # Adam updates
    n_test: int = 4000  # fresh vectors in each evaluation set
    eval_every: int = 100  # accuracy on 1000 in-range and 1000 extrapolation vectors every this many updates
    log_every: int = 500  # progress line every this many updates

    def __post_init__(self):
        for name in ("width", "hidden", "max_steps", "batch", "steps", "n_test", "eval_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if not 1 <= self.train_max_nonzero <= self.width:
            raise ValueError("train_max_nonzero must be in [1, width]")
        if not 1 <= self.test_min_nonzero <= self.width:
            raise ValueError("test_min_nonzero must be in [1, width]")
        if not 0.0 < self.lam_p < 1.0:
            raise ValueError("lam_p must be in (0, 1)")
        if not (0.0 < self.tail < 1.0 and 0.0 < self.eps < 1.0):
            raise ValueError("tail and eps must be in (0, 1)")
        if self.clip < 0:
            raise ValueError("clip must be >= 0")
        if self.beta < 0 or self.tau < 0 or self.lr <= 0:
            raise ValueError("beta and tau must be >= 0, lr > 0")


SMOKE = dict(width=6, train_max_nonzero=3, test_min_nonzero=4, hidden=24, steps=60, batch=32, n_test=200,
             eval_every=20, log_every=20, max_steps=8)
STREAMS = ("init", "data", "eval", "sample", "curve", "probe")  # every random stream of a seed, named once (probe: gradcheck only)


# ----------------------------------------------------------------------------- task

def sample_parity(rng, n, width, lo, hi):
    """n vectors of `width` entries: k ~ U{lo..hi} random positions set to +1 or -1, the rest 0.

    Returns x (n, width) float, y (n,) float (1 if the number of +1 entries is odd), k (n,) int.
    """
    k = rng.integers(lo, hi + 1, size=n)
    rank = np.argsort(np.argsort(rng.random((n, width)), axis=1), axis=1)   # a random permutation per row
    sign = np.where(rng.random((n, width)) < 0.5, 1.0, -1.0)
    x = np.where(rank < k[:, None], sign, 0.0)
    y = (np.sum(x > 0, axis=1) % 2).astype(float)
    return x, y, k


def net_input(x, cfg):
    """What the RNN reads: the vector itself, or (--input-norm sqrtk) divided by the square root of its
    number of non-zero entries, so that the input drive no longer grows with k."""
    if cfg.input_norm == "none":
        return x
    k = np.maximum(np.count_nonzero(x, axis=1), 1)
    return x / np.sqrt(k)[:, None].astype(x.dtype)


# ----------------------------------------------------------------------------- the pondering RNN

def init_params(rng, cfg, dtype=np.float64):
    """Wx (D+1, H): input and first-step flag (last row); Ws (H, H); b (H,); wh (H,), bh (1,): halting
    unit; wy (H,), by (1,): the output logit.  GRU: Wx (D+1, 3H) and b (3H,) for the reset, update and
    candidate blocks, Ws (H, 2H) the recurrent weights of reset and update, Uc (H, H) the candidate's."""
    D, H = cfg.width, cfg.hidden
    if cfg.cell == "gru":
        P = dict(Wx=rng.normal(0.0, 1.0 / np.sqrt(D + 1), (D + 1, 3 * H)),
                 Ws=rng.normal(0.0, 1.0 / np.sqrt(H), (H, 2 * H)),
                 Uc=rng.normal(0.0, 1.0 / np.sqrt(H), (H, H)),
                 b=np.zeros(3 * H),
                 wh=rng.normal(0.0, 1.0 / np.sqrt(H), H),
                 bh=np.full(1, cfg.halt_bias),
                 wy=rng.normal(0.0, 1.0 / np.sqrt(H), H),
                 by=np.zeros(1))
        return {k: v.astype(dtype) for k, v in P.items()}
    P = dict(Wx=rng.normal(0.0, 1.0 / np.sqrt(D + 1), (D + 1, H)),
             Ws=rng.normal(0.0, 1.0 / np.sqrt(H), (H, H)),
             b=np.zeros(H),
             wh=rng.normal(0.0, 1.0 / np.sqrt(H), H),
             bh=np.full(1, cfg.halt_bias),
             wy=rng.normal(0.0, 1.0 / np.sqrt(H), H),
             by=np.zeros(1))
    return {k: v.astype(dtype) for k, v in P.items()}


def softplus(a):
    """log(1 + e^a) without overflow."""
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))


def bce(z, y):
    """Binary cross-entropy of logit z against target y in {0, 1}."""
    return softplus(z) - z * y


def inner_step(P, x_drive, sp, first):
    """s^n = tanh([x, flag] Wx + s^{n-1} Ws + b); x_drive = x Wx[:-1] + b is the same at every step.
    Returns (s^n, gates): gates is None for the tanh RNN, (r, u, c) for the GRU:
    r, u = sigmoid(drive_{r,u} + s^{n-1} Ws), c = tanh(drive_c + (r * s^{n-1}) Uc), s^n = (1 - u) s^{n-1} + u c."""
    a = x_drive + P["Wx"][-1] if first else x_drive
    if "Uc" not in P:
        return np.tanh(a + sp @ P["Ws"]), None
    H = sp.shape[1]
    ru = 0.5 + 0.5 * np.tanh(0.5 * (a[:, :2 * H] + sp @ P["Ws"]))
    r, u = ru[:, :H], ru[:, H:]
    c = np.tanh(a[:, 2 * H:] + (r * sp) @ P["Uc"])
    return sp + u * (c - sp), (r, u, c)


def inner_step_backward(P, g, ds, s, sp, first, idx, carry, dpre_sum, gates):
    """Back through one inner step of the rows idx, given ds = dL/ds: accumulates the recurrent and
    flag gradients, the drive's gradient into dpre_sum[idx] (the input weights get it once, at the
    end), and dL/dsp into carry[idx] for the step before."""
    if gates is None:
        dpre = ds * (1.0 - s * s)
        g["Ws"] += sp.T @ dpre
        dsp = dpre @ P["Ws"].T
    else:
        r, u, c = gates
        dpc = ds * u * (1.0 - c * c)                  # candidate pre-activation
        drs = dpc @ P["Uc"].T                        # d(r * sp)
        g["Uc"] += (r * sp).T @ dpc
        dru = np.concatenate([drs * sp * r * (1.0 - r), ds * (c - sp) * u * (1.0 - u)], axis=1)
        g["Ws"] += sp.T @ dru
        dsp = ds * (1.0 - u) + drs * r + dru @ P["Ws"].T
        dpre = np.concatenate([dru, dpc], axis=1)
    dpre_sum[idx] += dpre
    if first:
        g["Wx"][-1] += dpre.sum(0)
    carry[idx] = dsp


def ponder_forward(P, x, cfg):
    """PonderNet forward pass over a batch x (B, D).

    Inner step n = 1, 2, ...: state s^n, output logit z^n = s^n . wy + by, halting probability
    lambda^n = sigmoid(s^n . wh + bh).  The probability of halting exactly at n is
    p^n = lambda^n prod_{j<n} (1 - lambda^j).  A vector is unrolled until its probability of still
    running, prod_{j<=n} (1 - lambda^j), falls below `tail`, or to max_steps; at that last step N it
    halts for sure (lambda^N := 1, so p^N is the whole remaining mass and sum_n p^n = 1).
    Only the rows still running are computed.  Returns a cache with, per step n: rows (indices),
    prev/S (states before/after), z, lam, logp, last (bool: this is the row's step N); N (B,).
    """
    B = x.shape[0]
    drive = x @ P["Wx"][:-1] + P["b"]
    cur = np.zeros((B, P["Ws"].shape[0]), dtype=x.dtype)
    log_run = np.zeros(B, dtype=x.dtype)             # log prod_{j<n} (1 - lambda^j): log P(still running)
    N = np.zeros(B, dtype=int)
    idx = np.arange(B)
    c = dict(x=x, rows=[], prev=[], S=[], gates=[], z=[], lam=[], logp=[], last=[])
    for n in range(1, cfg.max_steps + 1):
        sp = cur[idx]
        s, gates = inner_step(P, drive[idx], sp, n == 1)
        cur[idx] = s
        a = s @ P["wh"] + P["bh"][0]
        lam = 0.5 + 0.5 * np.tanh(0.5 * a)
        lr_before = log_run[idx]
        lr_after = lr_before - softplus(a)           # + log(1 - lambda^n)
        last = (lr_after < np.log(cfg.tail)) | (n == cfg.max_steps)
        logp = np.where(last, lr_before, lr_before - softplus(-a))   # + log(lambda^n) unless it is step N
        for key, val in (("rows", idx), ("prev", sp), ("S", s), ("gates", gates), ("z", s @ P["wy"] + P["by"][0]),
                         ("lam", lam), ("logp", logp), ("last", last)):
            c[key].append(val)
        log_run[idx] = lr_after
        N[idx[last]] = n
        idx = idx[~last]
        if idx.size == 0:
            break
    c["N"] = N
    return c


def log_prior(n, last, lam_p):
    """log q^n of the geometric prior q^n = lam_p (1 - lam_p)^(n-1), its tail merged into the last step."""
    return np.where(last, 0.0, np.log(lam_p)) + (n - 1) * np.log1p(-lam_p)


def ponder_loss_and_grads(P, x, y, cfg):
    """Mean over the batch of sum_n p^n BCE(z^n, y) + beta * KL(p || prior), and its exact gradients."""
    B = x.shape[0]
    c = ponder_forward(P, x, cfg)
    steps = len(c["S"])
    rec = np.zeros(B, dtype=x.dtype)
    kl = np.zeros(B, dtype=x.dtype)
    G, p_list = [], []
    for n in range(1, steps + 1):
        idx, z, logp, last = c["rows"][n - 1], c["z"][n - 1], c["logp"][n - 1], c["last"][n - 1]
        p = np.exp(logp)
        l = bce(z, y[idx])
        lq = log_prior(n, last, cfg.lam_p)
        rec[idx] += p * l
        kl[idx] += p * (logp - lq)
        G.append((l + cfg.beta * (logp + 1.0 - lq)) / B)   # dL/dp^n
        p_list.append(p)
    loss = float(np.mean(rec + cfg.beta * kl))
    g = {k: np.zeros_like(v) for k, v in P.items()}
    later = np.zeros(B, dtype=x.dtype)               # sum_{m>n} G^m p^m of each row
    carry = np.zeros((B, P["Ws"].shape[0]), dtype=x.dtype)
    dpre_sum = np.zeros((B, P["b"].shape[0]), dtype=x.dtype)
    for n in range(steps, 0, -1):
        idx, s, sp = c["rows"][n - 1], c["S"][n - 1], c["prev"][n - 1]
        lam, last, z, p, Gn = c["lam"][n - 1], c["last"][n - 1], c["z"][n - 1], p_list[n - 1], G[n - 1]
        dz = p * (0.5 + 0.5 * np.tanh(0.5 * z) - y[idx]) / B
        # p^n = lambda^n prod_{j<n}(1 - lambda^j): d p^n / d a^n = p^n (1 - lambda^n); d p^m / d a^n = -lambda^n p^m (m > n)
        da = np.where(last, 0.0, Gn * p * (1.0 - lam) - lam * later[idx])
        later[idx] += Gn * p
        g["wy"] += s.T @ dz
        g["by"][0] += dz.sum()
        g["wh"] += s.T @ da
        g["bh"][0] += da.sum()
        ds = carry[idx] + dz[:, None] * P["wy"] + da[:, None] * P["wh"]
        inner_step_backward(P, g, ds, s, sp, n == 1, idx, carry, dpre_sum, c["gates"][n - 1])
    g["Wx"][:-1] += x.T @ dpre_sum
    g["b"] += dpre_sum.sum(0)
    return loss, g, c


def act_forward(P, x, cfg):
    """ACT forward pass (Graves 2016) over x (B, D): halting probability h^n = sigmoid(s^n . wh + bh),
    halt at the first N with h^1 + ... + h^N >= 1 - eps (or max_steps), remainder R = 1 - sum_{n<N} h^n,
    weights p^n = h^n (n < N), p^N = R; the output logit reads the weighted mean state; ponder N + R."""
    B = x.shape[0]
    drive = x @ P["Wx"][:-1] + P["b"]
    cur = np.zeros((B, P["Ws"].shape[0]), dtype=x.dtype)
    s_mean = np.zeros_like(cur)
    cum = np.zeros(B, dtype=x.dtype)
    N = np.ones(B, dtype=int)
    R = np.ones(B, dtype=x.dtype)
    idx = np.arange(B)
    c = dict(x=x, rows=[], prev=[], S=[], gates=[], h=[], p=[])
    for n in range(1, cfg.max_steps + 1):
        sp = cur[idx]
        s, gates = inner_step(P, drive[idx], sp, n == 1)
        cur[idx] = s
        h = 0.5 + 0.5 * np.tanh(0.5 * (s @ P["wh"] + P["bh"][0]))
        cs = cum[idx]
        halt = (cs + h >= 1.0 - cfg.eps) | (n == cfg.max_steps)
        w = np.where(halt, 1.0 - cs, h)
        for key, val in (("rows", idx), ("prev", sp), ("S", s), ("gates", gates), ("h", h), ("p", w)):
            c[key].append(val)
        s_mean[idx] += w[:, None] * s
        N[idx[halt]] = n
        R[idx[halt]] = 1.0 - cs[halt]
        cum[idx] = cs + h
        idx = idx[~halt]
        if idx.size == 0:
            break
    c.update(N=N, R=R, last_state=cur, s=s_mean, rho=N + R, z=s_mean @ P["wy"] + P["by"][0])
    return c


def act_loss_and_grads(P, x, y, cfg):
    """Mean BCE of the mean-state logit plus tau * mean(N + R), and the paper's exact gradient
    (N held fixed: dL/dh^n = dL/dp^n - dL/dp^N - tau/B for n < N; h^N gets none)."""
    B = x.shape[0]
    c = act_forward(P, x, cfg)
    z = c["z"]
    loss = float(np.mean(bce(z, y)) + cfg.tau * np.mean(c["rho"]))
    g = {k: np.zeros_like(v) for k, v in P.items()}
    dz = (0.5 + 0.5 * np.tanh(0.5 * z) - y) / B
    g["wy"] = c["s"].T @ dz
    g["by"][0] = dz.sum()
    dmean = dz[:, None] * P["wy"]                     # dL/ds for the mean state
    N = c["N"]
    dp_last = np.einsum("bh,bh->b", dmean, c["last_state"])
    carry = np.zeros_like(dmean)
    dpre_sum = np.zeros((B, P["b"].shape[0]), dtype=x.dtype)
    for n in range(len(c["S"]), 0, -1):
        idx, s, sp, w, h = c["rows"][n - 1], c["S"][n - 1], c["prev"][n - 1], c["p"][n - 1], c["h"][n - 1]
        dsr = dmean[idx]
        ds = carry[idx] + w[:, None] * dsr
        dh = np.where(N[idx] > n, np.einsum("bh,bh->b", dsr, s) - dp_last[idx] - cfg.tau / B, 0.0)
        dha = dh * h * (1.0 - h)
        ds += dha[:, None] * P["wh"]
        g["wh"] += s.T @ dha
        g["bh"][0] += dha.sum()
        inner_step_backward(P, g, ds, s, sp, n == 1, idx, carry, dpre_sum, c["gates"][n - 1])
    g["Wx"][:-1] += x.T @ dpre_sum
    g["b"] += dpre_sum.sum(0)
    return loss, g, c


def loss_and_grads(P, x, y, cfg):
    """The gradient-check hook: the loss of cfg.halting and its gradients."""
    fn = ponder_loss_and_grads if cfg.halting == "pondernet" else act_loss_and_grads
    return fn(P, x, y, cfg)


# ----------------------------------------------------------------------------- prediction

def predict(P, x, cfg, rng, chunk=1000):
    """Logits used for the answer (n,), inner steps taken (n,), expected steps (n,).

    PonderNet: the halting step is sampled from lambda^1, lambda^2, ... (rng), the answer is that
    step's output; the expected number of steps is sum_n n p^n.  ACT: deterministic; N and N + R.
    """
    out_z, out_n, out_e = [], [], []
    for i in range(0, x.shape[0], chunk):
        xb = x[i:i + chunk].astype(P["Ws"].dtype)
        B = xb.shape[0]
        if cfg.halting == "act":
            c = act_forward(P, xb, cfg)
            out_z.append(c["z"]), out_n.append(c["N"].astype(float)), out_e.append(c["rho"])
            continue
        c = ponder_forward(P, xb, cfg)
        z = np.zeros(B)
        taken = np.zeros(B)
        expect = np.zeros(B)
        running = np.ones(B, dtype=bool)
        u = rng.random((len(c["S"]), B))
        for n in range(1, len(c["S"]) + 1):
            idx, lam, last = c["rows"][n - 1], c["lam"][n - 1], c["last"][n - 1]
            expect[idx] += n * np.exp(c["logp"][n - 1])
            stop = running[idx] & ((u[n - 1, idx] < lam) | last)
            z[idx[stop]] = c["z"][n - 1][stop]
            taken[idx[stop]] = n
            running[idx[stop]] = False
        out_z.append(z), out_n.append(taken), out_e.append(expect)
    return np.concatenate(out_z), np.concatenate(out_n), np.concatenate(out_e)


# ----------------------------------------------------------------------------- training

def eval_sets(cfg, seed):
    """(in-range set: 1..train_max_nonzero non-zero entries, extrapolation set: test_min_nonzero..width)."""
    rng = rng_streams(seed, STREAMS)["eval"]
    inr = sample_parity(rng, cfg.n_test, cfg.width, 1, cfg.train_max_nonzero)
    ext = sample_parity(rng, cfg.n_test, cfg.width, cfg.test_min_nonzero, cfg.width)
    return inr, ext


def accuracy(P, data, cfg, rng, n=None):
    x, y, _ = data
    z, _, expect = predict(P, net_input(x[:n], cfg), cfg, rng)
    return float(np.mean((z > 0) == (y[:n] > 0.5))), float(expect.mean())


def train(cfg, seed, callback=None):
    """Adam on fresh minibatches from the training range; returns dict(P, history)."""
    rngs = rng_streams(seed, STREAMS)
    P = init_params(rngs["init"], cfg, dtype=np.float32)      # float32 for speed; the gradient check uses float64
    opt = Adam(P, lr=cfg.lr)
    inr, ext = eval_sets(cfg, seed)
    curve_rng = rngs["curve"]                                  # PonderNet samples its halting step on the curve
    hist = dict(step=[], loss=[], in_acc=[], ext_acc=[], in_steps=[], ext_steps=[])
    for step in range(cfg.steps):
        x, y, _ = sample_parity(rngs["data"], cfg.batch, cfg.width, 1, cfg.train_max_nonzero)
        loss, g, _ = loss_and_grads(P, net_input(x.astype(np.float32), cfg), y.astype(np.float32), cfg)
        if cfg.clip > 0:
            clip_global_norm(g, cfg.clip)
        opt.step(P, g)
        last = step == cfg.steps - 1
        if step % cfg.eval_every == 0 or last:
            a_in, e_in = accuracy(P, inr, cfg, curve_rng, 1000)
            a_ex, e_ex = accuracy(P, ext, cfg, curve_rng, 1000)
            for key, val in (("step", step + 1), ("loss", loss), ("in_acc", a_in), ("ext_acc", a_ex),
                             ("in_steps", e_in), ("ext_steps", e_ex)):
                hist[key].append(val)
        if step % cfg.log_every == 0 or last:
            progress(f"{cfg.halting} step {step:5d}  loss {loss:.4f}  in-range acc {hist['in_acc'][-1]:.3f}  "
                     f"extrapolation acc {hist['ext_acc'][-1]:.3f}  steps {hist['in_steps'][-1]:.2f} / "
                     f"{hist['ext_steps'][-1]:.2f}")
        if callback is not None:
            callback(step, dict(P=P, hist=hist))
    return dict(P=P, history=hist)


def evaluate(cfg, P, seed):
    """Accuracies and ponder on the seed's fixed in-range and extrapolation sets -> metrics."""
    inr, ext = eval_sets(cfg, seed)
    rng = rng_streams(seed, STREAMS)["sample"]
    m = {}
    for name, data in (("in", inr), ("ext", ext)):
        x, y, k = data
        z, taken, expect = predict(P, net_input(x, cfg), cfg, rng)
        m[f"{name}_acc"] = float(np.mean((z > 0) == (y > 0.5)))
        m[f"{name}_steps"] = float(taken.mean())
        m[f"{name}_expected_steps"] = float(expect.mean())
    m["ext_err"] = 1.0 - m["ext_acc"]
    m["ext_over_in_steps"] = m["ext_steps"] / m["in_steps"]      # > 1: more computation on the unseen, harder vectors
    return m


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    metrics = evaluate(cfg, out["P"], seed)
    metrics["solved"] = int(metrics["in_acc"] >= 0.95 and metrics["ext_acc"] >= 0.95)
    return metrics


def gradcheck(cfg, seed) -> dict:
    """Central differences vs the hand-written backward passes (float64) of both halting rules, on a
    small net where some vectors stop by their halting probabilities and others at max_steps."""
    rngs = rng_streams(seed, STREAMS)
    errors = {}
    for rule, cell, extra in (("pondernet", "tanh", dict(tail=0.1, beta=0.3, halt_bias=-0.5)),
                              ("act", "tanh", dict(tau=0.05, halt_bias=-1.0)),
                              ("pondernet", "gru", dict(tail=0.1, beta=0.3, halt_bias=-0.5)),
                              ("act", "gru", dict(tau=0.05, halt_bias=-1.0))):
        small = Config(width=6, train_max_nonzero=6, test_min_nonzero=1, hidden=5, batch=9, max_steps=6,
                       halting=rule, cell=cell, **extra)
        P = init_params(rngs["init"], small)
        P["wh"] *= 3.0
        x, y, _ = sample_parity(rngs["data"], small.batch, small.width, 1, small.width)
        _, g, c = loss_and_grads(P, x, y, small)
        N = c["N"]
        assert (N == small.max_steps).any() and (N < small.max_steps).any() and (N > 1).all(), (rule, N)
        for k, e in numeric_gradcheck(lambda: loss_and_grads(P, x, y, small)[0], P, g, rngs["probe"]).items():
            errors[f"{rule}.{k}" if cell == "tanh" else f"{cell}.{rule}.{k}"] = e
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
