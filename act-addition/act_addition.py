"""Decimal addition with Adaptive Computation Time (Graves 2016, section 3.3).

Graves, "Adaptive Computation Time for Recurrent Neural Networks", arXiv:1603.08983 (2016).

Claim: an LSTM reads 1..S numbers, one per step, each D digits long (D uniform in 1..D_max) as D_max
concatenated one-hot digit codes (least significant first, unused slots all zero); from the second step
on it outputs the running sum as 6 digits, each an 11-way softmax (10 digits and a "number ended"
class).  With ACT every step ponders a learned number of inner steps (a sigmoidal halting unit per
inner step, halting when the summed halting probabilities reach 1 - eps, the remainder R, the cell and
hidden state the halting-weighted mean of the inner states, a ponder cost tau * (N + R) on the loss
with its exact gradient through R, a first-step flag, the limit M).  The paper's 512-cell LSTM
solves 1-5 numbers of 1-5 digits for every tau, its ponder growing with the digits.  Here, at 1-3
numbers of 1-2 digits (64 cells, 6000 updates, tau 1e-2, the paper's M = 20), ACT gets a median 95.9%
of the test sequences fully right over seeds 0-4 (88.3-96.7%; 96.65% at seed 0) at 2.5-3.2 inner
steps per step; no seed reaches 99%, and the ponder does not grow with the digits at this size.  At
the paper's task with 128 cells (long tier: halting bias 3, M 100, 24,000 updates) one seed gets 94.1%.
Everything (the LSTM, the halting, the backward pass) is hand-written numpy, trained by Adam.

Run:  python3 act_addition.py --seed 0                (worked example: 1-2 digits, 1-3 numbers, 64 cells, ACT, M 20)
      python3 act_addition.py --seed 0 --no-act       (the same LSTM, one step per input, same updates)
      python3 act_addition.py --gradcheck
"""
import dataclasses
import sys
from dataclasses import dataclass

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "act-addition"
META = dict(
    title="decimal addition with Adaptive Computation Time: an LSTM that ponders longer for longer numbers",
    paper="Graves 2016, Adaptive Computation Time for Recurrent Neural Networks (arXiv:1603.08983)",
    year=2016,
    claim=("at 1-3 numbers of 1-2 digits (64 cells, tau 1e-2, the paper's M = 20, 6000 updates) ACT solves the task "
           "(>= 99% of test sequences fully right) on 0/5 seeds: median 95.9% of sequences, range 88.3-96.7% (the same "
           "LSTM without ACT 94.2%, 90.5-95.0%); the paper "
           "reports perfect addition (512 cells, 1-5 numbers of 1-5 digits); at that task with 128 cells and 24,000 "
           "updates one seed reaches 94.1% (halting bias 3; the same with M = 20 or 100)"),
    figure=dict(args="--seeds 0-4", metric="seq_acc"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="seq_acc", claim=">= 0.96", paper="—", published="—"),
    dict(tier="headline", args="--seed 0", metric="digit_acc", claim=">= 0.995", paper="—", published="—"),
    dict(tier="headline", args="--seed 0", metric="inner_steps", claim=">= 3.0", paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --no-act", metric="seq_acc", claim=">= 0.94",
         paper="a no-ACT LSTM baseline is in the paper's figure (value not quoted here)", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="solved_seeds", claim="<= 2/5",
         paper="solved perfectly with ACT for every tau", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_seq_acc", claim=">= 0.99", kind="paper", reduced=True,
         paper="solved perfectly with ACT for every tau (1-5 numbers of 1-5 digits, 512 cells); here 1-3 numbers "
               "of 1-2 digits, 64 cells, tau 1e-2, M 20, 6000 updates, 5 seeds", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="min_seq_acc", claim=">= 0.8", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="max_seq_acc", claim="<= 0.99", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --no-act", metric="median_seq_acc", claim=">= 0.9",
         paper="a no-ACT LSTM baseline is in the paper's figure (value not quoted here)", published="—"),
    dict(tier="seeds", args="--seed 0 --tau 0.1", metric="ponder", claim="<= 2.5",
         paper="high tau: ponder falls towards one inner step", published="—"),
    dict(tier="seeds", args="--seed 0 --tau 0.1", metric="digit_acc", claim=">= 0.95",
         paper="solved perfectly for every tau", published="—"),
    # three long rows keep the limit M = 100 of their first runs (explicit flag); the paper row runs M = 20
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 12000 --halt-bias 3 --max-ponder 100",
         metric="seq_acc", claim=">= 0.5", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 12000 --halt-bias 3 --max-ponder 100",
         metric="digit_acc", claim=">= 0.93", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 24000 --halt-bias 3 --max-ponder 100",
         metric="seq_acc", claim=">= 0.9", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 24000 --halt-bias 3",
         metric="seq_acc", claim=">= 0.9", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 48000 --halt-bias 3",
         metric="seq_acc", claim=">= 0.99", kind="paper", reduced=True,
         paper="solved perfectly with ACT for every tau (1-5 numbers of 1-5 digits, 512 cells); here the paper's task "
               "and M = 20 with 128 cells, halting bias 3, 48,000 updates, one seed; GPU log: 94.4% (1024 cells, M 20)",
         published="—"),
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 48000 --halt-bias 3",
         metric="digit_acc", claim=">= 0.995", paper="—", published="—"),
    # the paper's halting bias 1 at a 10x lower rate (1e-3 decaying to 1e-4): does the ponder still run away?
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 24000 --halt-bias 1 --lr 1e-3 "
         "--lr-final 1e-4", metric="seq_acc", claim="<= 0.1", paper="solved perfectly (halting bias 1 as we read the paper)",
         published="—"),
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 24000 --halt-bias 1 --lr 1e-3 "
         "--lr-final 1e-4", metric="ponder", claim=">= 10", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 48000 --halt-bias 3",
         metric="ponder_slope", claim="<= 0.3", paper="ponder grows roughly linearly with the number of digits",
         published="—"),
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 24000 --halt-bias 3 --max-ponder 100",
         metric="digit_acc", claim=">= 0.99", paper="—", published="—"),
    # issue 17 item 1: one more doubling, 96,000 updates
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 96000 --halt-bias 3", metric="seq_acc", claim=">= 0.99", kind="paper", reduced=True,
         paper="solved perfectly with ACT for every tau (1-5 numbers of 1-5 digits, 512 cells); here the paper's task "
               "and M = 20 with 128 cells, halting bias 3, 96,000 updates, one seed", published="—"),
    dict(tier="long", args="--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 96000 --halt-bias 3", metric="ponder_slope", claim="<= 0.3",
         paper="ponder grows roughly linearly with the number of digits", published="—"),
]


@dataclass(frozen=True)
class Config:
    max_digits: int = 2  # D_max: every number has 1..D_max digits, uniform (the paper: 5)
    max_vectors: int = 3  # S: every sequence has 1..S numbers, uniform (the paper: 5)
    hidden: int = 64  # LSTM cells (the paper: 512)
    act: bool = True  # ACT pondering; --no-act: exactly one inner step per input step, no ponder cost
    tau: float = 1e-2  # time penalty: weight of the ponder cost N + R (summed over the sequence) in the loss
    eps: float = 0.01  # halt at the first inner step where the summed halting probabilities reach 1 - eps
    max_ponder: int = 20  # M: the most inner steps per input step (the paper's limit for addition: 20)
    halt_bias: float = 1.0  # initial bias of the halting unit (1, as we read the paper)
    batch: int = 64  # sequences per Adam update
    lr: float = 1e-2  # Adam learning rate
    lr_final: float = 1e-3  # learning rate at the last update (geometric decay from lr; = lr: constant)
    steps: int = 6000  # Adam updates
    clip: float = 10.0  # global gradient-norm clip per update (0 = off)
    n_test: int = 2000  # fresh test sequences
    eval_every: int = 100  # sequence accuracy on a 500-sequence slice every this many updates (learning curve)
    log_every: int = 500  # progress line every this many updates

    def __post_init__(self):
        for name in ("max_digits", "max_vectors", "hidden", "max_ponder", "batch", "steps", "n_test",
                     "eval_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_digits > 5:
            raise ValueError("max_digits must be <= 5 (the 6-digit target holds sums of up to five 5-digit numbers)")
        if self.max_vectors * (10 ** self.max_digits - 1) >= 10 ** OUT_DIGITS:
            raise ValueError("the sum must fit in 6 digits: max_vectors * (10^max_digits - 1) < 10^6")
        if not 0.0 < self.eps < 1.0:
            raise ValueError("eps must be in (0, 1)")
        if self.tau < 0 or self.lr <= 0 or self.lr_final <= 0 or self.clip < 0:
            raise ValueError("tau and clip must be >= 0, lr and lr_final > 0")


SMOKE = dict(max_digits=5, hidden=16, steps=40, batch=16, n_test=100, eval_every=20, log_every=20, max_ponder=5)
STREAMS = ("init", "data", "eval", "probe")  # every random stream of a seed, named once (probe: gradcheck only)
TAU_SWEEP = (1e-3, 1e-2, 1e-1)  # the time penalties of visualize_act_addition's sweep
OUT_DIGITS, CLASSES = 6, 11     # the target: 6 digits of the running sum, 10 digit classes + "number ended"
LONG24 = "--seed 0 --max-digits 5 --max-vectors 5 --hidden 128 --steps 24000"  # the flags the longest long-tier runs share


# ----------------------------------------------------------------------------- task

def sample_addition(rng, n, max_digits, max_vectors):
    """n sequences of S ~ U{1..max_vectors} numbers, each of D ~ U{1..max_digits} digits (leading digit
    non-zero when D > 1), sorted longest first.  X (S_max, n, 10 max_digits): one-hot digits, least
    significant first; Y (S_max, n, 6) int: the running sum's digits, least significant first, class 10
    after its last digit, -1 where there is no target (step 1 and after the sequence); S (n,)."""
    S = np.sort(rng.integers(1, max_vectors + 1, size=n))[::-1]
    D = rng.integers(1, max_digits + 1, size=(max_vectors, n))
    lo = np.where(D > 1, 10 ** (D - 1), 0)
    val = lo + np.floor(rng.random((max_vectors, n)) * (10 ** D - lo)).astype(np.int64)
    X = np.zeros((max_vectors, n, 10 * max_digits))
    Y = np.full((max_vectors, n, OUT_DIGITS), -1, dtype=int)
    total = np.zeros(n, dtype=np.int64)
    cols = np.arange(n)
    for t in range(max_vectors):
        live = S > t
        v = np.where(live, val[t], 0)
        for k in range(max_digits):
            on = live & (k < D[t])
            X[t, cols[on], 10 * k + (v[on] // 10 ** k) % 10] = 1.0
        total = total + v
        if t >= 1:
            ndig = np.maximum(1, np.floor(np.log10(np.maximum(total, 1))).astype(int) + 1)
            for k in range(OUT_DIGITS):
                digit = np.where(k < ndig, (total // 10 ** k) % 10, 10)
                Y[t, live, k] = digit[live]
    return X, Y, S


# ----------------------------------------------------------------------------- the ACT-LSTM

def init_params(rng, cfg, dtype=np.float64):
    """Wx (n_in + 1, 4H) (last row: first-step flag), Wh (H, 4H), b (4H,) with forget bias 1; halting wh, bh;
    output Wy (H, 6 * 11), by."""
    H, n_in = cfg.hidden, 10 * cfg.max_digits
    fan = n_in + 1 + H
    b = np.zeros(4 * H)
    b[H:2 * H] = 1.0
    P = dict(Wx=rng.normal(0.0, 1.0 / np.sqrt(fan), (n_in + 1, 4 * H)),
             Wh=rng.normal(0.0, 1.0 / np.sqrt(fan), (H, 4 * H)), b=b,
             wh=rng.normal(0.0, 1.0 / np.sqrt(H), H), bh=np.full(1, cfg.halt_bias),
             Wy=rng.normal(0.0, 1.0 / np.sqrt(H), (H, OUT_DIGITS * CLASSES)), by=np.zeros(OUT_DIGITS * CLASSES))
    return {k: v.astype(dtype) for k, v in P.items()}


def _sig(z):
    return 0.5 + 0.5 * np.tanh(0.5 * z)                 # logistic sigmoid without overflow


def act_step(P, x, h0, c0, act, eps, max_ponder):
    """Ponder one input step.  x (B, N_IN), h0, c0 (B, H) the LSTM state before it.

    Inner step n = 1, 2, ...: the LSTM step on [x, flag_n] (flag_1 = 1, else 0) from (h^{n-1}, c^{n-1})
    gives (h^n, c^n); halting probability q^n = sigmoid(h^n . wh + bh).  N = the first n with
    q^1 + ... + q^n >= 1 - eps, or M = max_ponder; R = 1 - (q^1 + ... + q^{N-1}); weights p^n = q^n
    (n < N), p^N = R.  The state passed on is (sum_n p^n h^n, sum_n p^n c^n); rho = N + R.
    Without ACT: one inner step, p^1 = 1, rho = 1.  Inner step n runs only on the rows still pondering.
    """
    B, H = h0.shape
    base = x @ P["Wx"][:-1] + P["b"]                    # (B, 4H): the input's drive, the same every inner step
    steps = max_ponder if act else 1
    curh, curc = h0.copy(), c0.copy()                   # latest inner state of every row (h^N, c^N once halted)
    hm, cm = np.zeros_like(h0), np.zeros_like(c0)
    cum = np.zeros(B, dtype=x.dtype)
    N = np.ones(B, dtype=int)
    R = np.ones(B, dtype=x.dtype)
    idx = np.arange(B)
    inner = []
    for n in range(1, steps + 1):
        hp, cp = curh[idx], curc[idx]
        z = base[idx] + hp @ P["Wh"]
        if n == 1:
            z += P["Wx"][-1]
        i, f, o = _sig(z[:, :H]), _sig(z[:, H:2 * H]), _sig(z[:, 2 * H:3 * H])
        g = np.tanh(z[:, 3 * H:])
        c = f * cp + i * g
        tc = np.tanh(c)
        h = o * tc
        curh[idx], curc[idx] = h, c
        if act:
            q = _sig(h @ P["wh"] + P["bh"][0])
            s = cum[idx]
            halt = (s + q >= 1.0 - eps) | (n == steps)
            w = np.where(halt, 1.0 - s, q)
        else:
            q = np.zeros(len(idx), dtype=x.dtype)
            halt = np.ones(len(idx), dtype=bool)
            w = np.ones(len(idx), dtype=x.dtype)
        hm[idx] += w[:, None] * h
        cm[idx] += w[:, None] * c
        inner.append((idx, hp, cp, i, f, o, g, tc, h, c, q, w))
        done = idx[halt]
        N[done] = n
        if act:
            R[done] = 1.0 - s[halt]
            cum[idx] = s + q
        idx = idx[~halt]
        if idx.size == 0:
            break
    rho = N + R if act else np.ones(B, dtype=x.dtype)
    return dict(x=x, inner=inner, N=N, R=R, lasth=curh, lastc=curc, hm=hm, cm=cm, rho=rho, act=act)


def act_step_back(P, a, dhm, dcm, drho, g, acc=None):
    """Back through act_step.  dhm, dcm (B, H) = dL/d(mean h, mean c); drho (B,) = dL/drho.

    The paper's exact gradient, N held fixed: p^n = q^n for n < N and p^N = R = 1 - sum_{n<N} q^n, so
    dL/dq^n = dL/dp^n - dL/dp^N - dL/drho for n < N, and q^N gets none.  Accumulates into g; returns dh0, dc0.
    """
    N = a["N"]
    H = dhm.shape[1]
    dp_last = np.einsum("bh,bh->b", dhm, a["lasth"]) + np.einsum("bh,bh->b", dcm, a["lastc"])
    carry_h, carry_c = np.zeros_like(dhm), np.zeros_like(dcm)
    dz_sum = np.zeros((dhm.shape[0], 4 * H), dtype=dhm.dtype)
    WhT = P["Wh"].T
    hps, dzs = [], []                                   # (h^{n-1}, dz^n) pairs: dL/dWh = sum_n h^{n-1}.T dz^n
    for n in range(len(a["inner"]), 0, -1):
        idx, hp, cp, i, f, o, gg, tc, h, c, q, w = a["inner"][n - 1]
        dhr, dcr = dhm[idx], dcm[idx]
        dh = carry_h[idx] + w[:, None] * dhr
        dce = carry_c[idx] + w[:, None] * dcr
        if a["act"]:
            dp = np.einsum("bh,bh->b", dhr, h) + np.einsum("bh,bh->b", dcr, c)
            dq = np.where(N[idx] > n, dp - dp_last[idx] - drho[idx], 0.0)
            dqpre = dq * q * (1.0 - q)
            dh += dqpre[:, None] * P["wh"]
            g["wh"] += h.T @ dqpre
            g["bh"][0] += dqpre.sum()
        dc = dce + dh * o * (1.0 - tc * tc)
        dz = np.concatenate([dc * gg * i * (1.0 - i), dc * cp * f * (1.0 - f), dh * tc * o * (1.0 - o),
                             dc * i * (1.0 - gg * gg)], axis=1)
        hps.append(hp)
        dzs.append(dz)
        dz_sum[idx] += dz
        if n == 1:
            g["Wx"][-1] += dz.sum(0)
        carry_h[idx] = dz @ WhT
        carry_c[idx] = dc * f
    g["b"] += dz_sum.sum(0)
    if acc is None:                                     # accumulate now, or let the caller do one product later
        g["Wx"][:-1] += a["x"].T @ dz_sum
        g["Wh"] += np.concatenate(hps).T @ np.concatenate(dzs)
    else:
        acc["x"].append(a["x"])
        acc["dz_x"].append(dz_sum)
        acc["h"].extend(hps)
        acc["dz_h"].extend(dzs)
    return carry_h, carry_c


def forward(P, X, S, cfg):
    """Step t runs on the first k_t rows (S > t).  Returns ACT caches and logits (k_t, 6, 11)."""
    steps, B, _ = X.shape
    H = P["Wh"].shape[0]
    h = np.zeros((B, H), dtype=X.dtype)
    c = np.zeros((B, H), dtype=X.dtype)
    acts, logits = [], []
    for t in range(steps):
        k = int(np.sum(S > t))
        if k == 0:
            break
        a = act_step(P, X[t, :k], h[:k], c[:k], cfg.act, cfg.eps, cfg.max_ponder)
        h, c = a["hm"], a["cm"]
        acts.append(a)
        logits.append((h @ P["Wy"] + P["by"]).reshape(k, OUT_DIGITS, CLASSES))
    return acts, logits


def loss_and_grads(P, X, Y, S, cfg):
    """Cross-entropy of the 6 digit softmaxes over the steps with a target, summed over the sequence,
    plus tau * the summed ponder cost, both averaged over the batch."""
    B = X.shape[1]
    H = P["Wh"].shape[0]
    acts, logits = forward(P, X, S, cfg)
    tau = cfg.tau if cfg.act else 0.0
    g = {k: np.zeros_like(v) for k, v in P.items()}
    loss, dlogits = 0.0, []
    for t, z in enumerate(logits):
        k = z.shape[0]
        y = Y[t, :k]                                    # (k, 6)
        m = y >= 0
        zs = z - z.max(2, keepdims=True)
        lp = zs - np.log(np.exp(zs).sum(2, keepdims=True))
        yt = np.where(m, y, 0)
        pick = np.take_along_axis(lp, yt[:, :, None], axis=2)[:, :, 0]
        loss -= float(np.sum(pick * m)) / B
        d = np.exp(lp)
        np.put_along_axis(d, yt[:, :, None], np.take_along_axis(d, yt[:, :, None], axis=2) - 1.0, axis=2)
        dlogits.append((d * (m[:, :, None] / B)).reshape(k, -1))
        loss += tau * float(acts[t]["rho"].sum()) / B
    dh = np.zeros((0, H), dtype=X.dtype)
    dc = np.zeros((0, H), dtype=X.dtype)
    acc = dict(x=[], dz_x=[], h=[], dz_h=[])
    for t in range(len(acts) - 1, -1, -1):
        a = acts[t]
        k = a["hm"].shape[0]
        g["Wy"] += a["hm"].T @ dlogits[t]
        g["by"] += dlogits[t].sum(0)
        dhm = dlogits[t] @ P["Wy"].T
        dhm[:dh.shape[0]] += dh
        dcm = np.zeros_like(dhm)
        dcm[:dc.shape[0]] += dc
        dh, dc = act_step_back(P, a, dhm, dcm, np.full(k, tau / B, dtype=X.dtype), g, acc)
    g["Wx"][:-1] += np.concatenate(acc["x"]).T @ np.concatenate(acc["dz_x"])
    g["Wh"] += np.concatenate(acc["h"]).T @ np.concatenate(acc["dz_h"])
    return loss, g, (acts, logits)


# ----------------------------------------------------------------------------- evaluation and training

def test_set(cfg, seed, n=None):
    """The fixed test sequences of `evaluate`: X, Y, S (from the seed's `eval` stream)."""
    rng = rng_streams(seed, STREAMS)["eval"]
    return sample_addition(rng, n or cfg.n_test, cfg.max_digits, cfg.max_vectors)


def digits_of(X, max_digits):
    """(S_max, n) the number of digits of each input number (0 after the sequence)."""
    return X.reshape(X.shape[0], X.shape[1], max_digits, 10).sum(axis=(2, 3)).astype(int)


def predict(P, X, Y, S, cfg, chunk=1000):
    """Per test sequence: every target digit right (bool), target digits right, target digits; per step
    (S_max, n): ponder N + R and inner steps N (NaN after the sequence)."""
    n = X.shape[1]
    ok = np.ones(n, dtype=bool)
    right = np.zeros(n)
    total = np.zeros(n)
    rho_t = np.full((X.shape[0], n), np.nan)
    N_t = np.full((X.shape[0], n), np.nan)
    dt = P["Wh"].dtype
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        acts, logits = forward(P, X[:, s:e].astype(dt), S[s:e], cfg)
        for t, (a, z) in enumerate(zip(acts, logits)):
            k = z.shape[0]
            y = Y[t, s:s + k]
            m = y >= 0
            hit = np.argmax(z, axis=2) == y
            ok[s:s + k] &= np.all(hit | ~m, axis=1)
            right[s:s + k] += np.sum(hit & m, axis=1)
            total[s:s + k] += m.sum(1)
            rho_t[t, s:s + k] = a["rho"]
            N_t[t, s:s + k] = a["N"] if cfg.act else 1
    return ok, right, total, rho_t, N_t


def evaluate(cfg, P, test):
    """Metrics on the test set: sequence accuracy over the sequences with a target (2 or more numbers),
    digit accuracy, ponder and inner steps per step, ponder per step by the digits of the step's number."""
    X, Y, S = test
    ok, right, total, rho_t, N_t = predict(P, X, Y, S, cfg)
    scored = S >= 2
    D = digits_of(X, cfg.max_digits)
    live = ~np.isnan(rho_t)
    out = dict(
        seq_acc=float(ok[scored].mean()),
        seq_err=float(1.0 - ok[scored].mean()),
        digit_acc=float(right.sum() / total.sum()),
        ponder=float(np.nanmean(rho_t)),          # mean N + R per input step
        inner_steps=float(np.nanmean(N_t)),       # mean inner steps per step (= computation relative to no ACT)
    )
    pd = [float(rho_t[live & (D == d)].mean()) for d in range(1, cfg.max_digits + 1)]
    for d, v in enumerate(pd, 1):
        out[f"ponder_d{d}"] = v
    if cfg.max_digits > 1:
        out["ponder_slope"] = float(np.polyfit(np.arange(1, cfg.max_digits + 1), pd, 1)[0])  # per extra digit
    return out


def train(cfg, seed, callback=None):
    """Adam on fresh minibatches; returns dict(P, history).  callback(step, state) after every update."""
    rngs = rng_streams(seed, STREAMS)
    P = init_params(rngs["init"], cfg, dtype=np.float32)   # float32 for speed; the gradient check uses float64
    opt = Adam(P, lr=cfg.lr)
    test = test_set(cfg, seed, n=min(500, cfg.n_test))
    hist = dict(step=[], loss=[], ponder=[], test_seq_acc=[], test_digit_acc=[], test_ponder=[])
    decay = (cfg.lr_final / cfg.lr) ** (1.0 / max(cfg.steps - 1, 1))
    for step in range(cfg.steps):
        opt.lr = cfg.lr * decay ** step
        X, Y, S = sample_addition(rngs["data"], cfg.batch, cfg.max_digits, cfg.max_vectors)
        loss, g, (acts, _) = loss_and_grads(P, X.astype(np.float32), Y, S, cfg)
        if cfg.clip > 0:
            clip_global_norm(g, cfg.clip)
        opt.step(P, g)
        pond = float(sum(a["rho"].sum() for a in acts) / S.sum())
        last = step == cfg.steps - 1
        if step % cfg.eval_every == 0 or last:
            m = evaluate(cfg, P, test)
            hist["step"].append(step + 1)
            hist["loss"].append(loss)
            hist["ponder"].append(pond)
            hist["test_seq_acc"].append(m["seq_acc"])
            hist["test_digit_acc"].append(m["digit_acc"])
            hist["test_ponder"].append(m["ponder"])
        if step % cfg.log_every == 0 or last:
            progress(f"step {step:6d}  loss {loss:.4f}  ponder {pond:.2f}  "
                     f"test seq acc (500) {hist['test_seq_acc'][-1]:.3f}  digit acc {hist['test_digit_acc'][-1]:.3f}")
        if callback is not None:
            callback(step, dict(P=P, hist=hist))
    return dict(P=P, history=hist)


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    metrics = evaluate(cfg, out["P"], test_set(cfg, seed))
    metrics["solved"] = int(metrics["seq_acc"] >= 0.99)
    return metrics


def gradcheck(cfg, seed) -> dict:
    """Central differences vs the hand-written backward pass, float64, on a small net where some steps
    halt by threshold after several inner steps and others hit the max-ponder limit M.  Step 1e-5: with
    1e-6 the tiny gradients of the 6 x 11 softmax weights sit in rounding noise (relative error ~2.5e-5)."""
    small = Config(max_digits=2, max_vectors=3, hidden=5, batch=7, tau=0.05, max_ponder=5, halt_bias=-0.5,
                   eps=cfg.eps)
    rngs = rng_streams(seed, STREAMS)
    P = init_params(rngs["init"], small)
    P["wh"] *= 3.0
    X, Y, S = sample_addition(rngs["data"], small.batch, small.max_digits, small.max_vectors)
    _, g, (acts, _) = loss_and_grads(P, X, Y, S, small)
    Ns = np.concatenate([a["N"] for a in acts])
    assert (Ns == small.max_ponder).any() and ((Ns > 1) & (Ns < small.max_ponder)).any(), np.bincount(Ns)
    errors = {}
    for k, e in numeric_gradcheck(lambda: loss_and_grads(P, X, Y, S, small)[0], P, g, rngs["probe"],
                                  eps=1e-5).items():
        errors[f"act_loss.{k}"] = e
    # the ponder cost alone (no task loss): its gradient reaches the weights only through the remainders R
    pond = dataclasses.replace(small, tau=1.0)
    Ynone = np.full_like(Y, -1)
    _, gp, _ = loss_and_grads(P, X, Ynone, S, pond)
    for k, e in numeric_gradcheck(lambda: loss_and_grads(P, X, Ynone, S, pond)[0], P, gp, rngs["probe"],
                                  eps=1e-5).items():
        if k not in ("Wy", "by"):
            errors[f"ponder_cost.{k}"] = e
    nog = dataclasses.replace(small, act=False)
    _, g3, _ = loss_and_grads(P, X, Y, S, nog)
    for k, e in numeric_gradcheck(lambda: loss_and_grads(P, X, Y, S, nog)[0], P, g3, rngs["probe"],
                                  eps=1e-5).items():
        if k not in ("wh", "bh"):                       # no halting unit without ACT
            errors[f"no_act_loss.{k}"] = e
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
