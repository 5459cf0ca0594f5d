"""Neural Turing Machine on the repeat copy task (Graves, Wayne & Danihelka 2014).

Graves, Wayne & Danihelka, "Neural Turing Machines", arXiv:1410.5401 (2014), sections 3 and 4.2.

Claim: an NTM (LSTM controller, 128 x 20 memory, one read and one write head with content
addressing, interpolation, circular shift and sharpening, erase and add) trained with the paper's
RMSProp on sequences of 1-10 random 8-bit vectors, each to be repeated 1-10 times (count on a
normalised input channel) and followed by an end marker, learns the task on 5 of 6 seeds (0-5):
the end marker right on a median 94.9 % of the whole training range (the GPU log's
reimplementation: 81 %), 0.21 data-bit errors per episode; seed 5 stops on a NaN loss at update
643. Seed 0 (the worked example) stops after 56,032 sequences at 94.4 %. Training stops when a check set spanning every (length, repeats) pair meets
the success criterion with a margin; the learning rate drops from 1e-3 to 3.3e-4 once the task is
roughly learned.

Run:  python3 ntm_repeat_copy.py --seed 0
      python3 ntm_repeat_copy.py --seed 0 --model lstm --no-early-stop --updates 2051   (LSTM baseline)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "ntm-repeat-copy"
META = dict(
    title="Neural Turing Machine: repeat copy task",
    paper="Graves, Wayne & Danihelka 2014, Neural Turing Machines (arXiv:1410.5401)",
    year=2014,
    claim=("LSTM-controlled NTM with the paper's full addressing and RMSProp learns repeat copy on 5 of 6 seeds "
           "(0-5) within 115,200 sequences: end marker right on a median 94.9% of the training range (IQR "
           "94.4-96.6%), 0.21 wrong data bits per episode; seed 5 stops on a NaN loss at update 643; trained on "
           "(seed 0, 192,000 sequences) it generalises as the paper's Fig. 8 shows"),
    figure=dict(args="--seeds 0-5", metric="endmark_range"),
    gradcheck=True,
    budget_s=180,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="endmark_range", claim=">= 0.9",
         paper="end marker learned (Fig. 8)", published="end marker 81.25% (GPU log)"),
    dict(tier="headline", args="--seed 0", metric="errors_range", claim="< 0.5", paper="—",
         published="98.36% symbol accuracy (GPU log)"),
    dict(tier="headline", args="--seed 0", metric="bits_range", claim="< 2", paper="near 0 (Fig. 7)",
         published="—"),
    dict(tier="headline", args="--seed 0", metric="solved", claim="== 1", paper="—", published="—"),
    dict(tier="headline", args="--seed 0", metric="sequences", claim="<= 70000", paper="NTM far faster than LSTM (Fig. 7)",
         published="—"),
    dict(tier="headline", args="--seed 0", metric="nan", claim="== 0", paper="—", published="—"),
    dict(tier="headline", args="--seeds 1-3 --updates 300 --no-early-stop", metric="max_nan", claim="== 0",
         paper="—", published="NaN losses common in public NTM code"),
    dict(tier="headline", args="--seeds 1-3 --updates 300 --no-early-stop", metric="min_finite", claim="== 1",
         paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-5", metric="solved_seeds", claim=">= 6/6", kind="paper",
         paper="the NTM solves repeat copy (Fig. 7: 'NTM learns the task much faster than LSTM, but both were able "
               "to solve it perfectly'; one run shown)", published="one run"),
    dict(tier="seeds", args="--seeds 0-5", metric="median_endmark_range", claim=">= 0.9", paper="—",
         published="end marker 81.25% (GPU log)"),
    dict(tier="seeds", args="--seeds 0-5", metric="q1_endmark_range", claim=">= 0.9", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-5", metric="q3_endmark_range", claim=">= 0.9", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-5", metric="median_errors_range", claim="< 0.5", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --model lstm --no-early-stop --updates 2051", metric="bits_range", claim="> 2",
         paper="LSTM far slower than NTM (Fig. 7)", published="—"),
    dict(tier="long", args="--seed 0 --no-early-stop --updates 6000", metric="endmark_range", claim=">= 0.95",
         paper="end marker learned (Fig. 8)", published="end marker 81.25% (GPU log)"),
    dict(tier="long", args="--seed 0 --no-early-stop --updates 6000", metric="errors_range", claim="< 0.25",
         paper="near 0 (Fig. 7)", published="98.36% symbol accuracy (GPU log)"),
    dict(tier="long", args="--seed 0 --no-early-stop --updates 6000", metric="errors_20x10", claim="< 10",
         kind="paper", paper="generalises almost perfectly to longer sequences: length 20 x 10 (Fig. 8)",
         published="—"),
    dict(tier="long", args="--seed 0 --no-early-stop --updates 6000", metric="errors_10x20", claim="< 80",
         paper="length 10 x 20: copies right, end marker wrong (Fig. 8)", published="—"),
    dict(tier="long", args="--seed 0 --no-early-stop --updates 6000", metric="endmark_10x12", claim="<= 0.2",
         kind="paper", paper="cannot keep count beyond the training range: end marker emitted after every "
                             "repetition beyond the eleventh (Fig. 8)", published="—"),
    dict(tier="long", args="--seed 0 --no-early-stop --updates 6000", metric="nan", claim="== 0", paper="—",
         published="—"),
]


@dataclass(frozen=True)
class Config:
    model: str = field(default="ntm", metadata={"choices": ("ntm", "lstm")})  # ntm: the NTM; lstm: the plain LSTM baseline
    controller: str = field(default="lstm", metadata={"choices": ("ff", "lstm")})  # NTM controller: feed-forward (paper Table 1) or LSTM (Table 2)
    hidden: int = 100  # controller units (paper: 100)
    lstm_hidden: int = 256  # units of the LSTM baseline (one layer)
    mem_n: int = 128  # memory locations N
    mem_w: int = 20  # width W of a memory location
    mem_init: float = 1e-6  # constant initial memory value (Collier & Beel 2018)
    dtype: str = field(default="float32", metadata={"choices": ("float32", "float64")})  # training precision (gradcheck: float64)
    bits: int = 8  # bits per input vector
    min_len: int = 1  # shortest training sequence
    max_len: int = 10  # longest training sequence
    min_rep: int = 1  # fewest repeats in training
    max_rep: int = 10  # most repeats in training
    batch: int = 32  # sequences per update (vectorised)
    updates: int = 3600  # most parameter updates (training stops earlier on the check set, see early_stop)
    lr: float = 1e-3  # learning rate
    optimizer: str = field(default="rmsprop", metadata={"choices": ("rmsprop", "adam")})  # RMSProp with momentum (the paper's) or Adam
    momentum: float = 0.9  # RMSProp momentum
    clip: float = 10.0  # global gradient-norm clip per update (0 = off)
    out_clip: float = 20.0  # clip of the controller's head-parameter outputs to [-out_clip, out_clip]
    eps_norm: float = 1e-6  # eps inside the norms of the cosine similarity
    test_lens: str = "10x10,20x10,10x12,10x15,10x20"  # comma-separated test cases LENGTHxREPEATS
    n_test: int = 64  # test sequences per test case
    n_range: int = 8  # test episodes per (length, repeats) pair of the training range
    solve_errors: float = 0.5  # solved: fewer data-bit errors per episode than this over the training range, and
    solve_endmark: float = 0.9  # ... the end marker right on at least this fraction of the training range
    n_check: int = 2  # check-set episodes per (length, repeats) pair of the training range (own stream, 4 padded batches)
    early_stop: bool = True  # stop once the check set has fewer than stop_errors data-bit errors per episode and
    stop_errors: float = 0.25  # ... (this many)
    stop_endmark: float = 0.95  # ... its end marker right on at least this fraction
    lr_drop_at: float = 4.0  # divide the learning rate by lr_drop once the check set's data-bit errors per episode fall below this (0 = never)
    lr_drop: float = 3.0  # factor of that one-time learning-rate drop
    hist_every: int = 50  # evaluate the check set every this many updates
    log_every: int = 100  # progress line every this many updates

    def __post_init__(self):
        for name in ("hidden", "lstm_hidden", "mem_n", "mem_w", "bits", "min_len", "max_len", "min_rep", "max_rep",
                     "batch", "updates",
                     "n_test", "n_range", "hist_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.min_len > self.max_len or self.min_rep > self.max_rep:
            raise ValueError("min_len must be <= max_len and min_rep <= max_rep")
        if not (0 <= self.solve_endmark <= 1 and 0 <= self.stop_endmark <= 1) or self.solve_errors < 0 \
                or self.stop_errors < 0 or self.lr_drop_at < 0 or self.lr_drop < 1 or self.n_check <= 0:
            raise ValueError("solve_endmark, stop_endmark must be in [0, 1]; solve_errors, stop_errors, lr_drop_at >= 0; "
                             "lr_drop >= 1; n_check > 0")
        if self.lr <= 0 or self.clip < 0 or self.out_clip <= 0 or self.eps_norm <= 0 or self.mem_init < 0:
            raise ValueError("lr, out_clip, eps_norm must be > 0; clip, mem_init >= 0")
        try:
            cases = parse_cases(self.test_lens)
        except ValueError:
            raise ValueError("test_lens must be comma-separated LENGTHxREPEATS pairs") from None
        if not cases or min(min(c) for c in cases) <= 0 or max(c[0] for c in cases) > self.mem_n:
            raise ValueError("test lengths must be in 1..mem_n and repeats positive")


SMOKE = dict(updates=12, batch=4, hidden=16, lstm_hidden=16, max_len=4, max_rep=3, n_test=4,
             n_range=2, n_check=1, hist_every=6, log_every=6)
STREAMS = ("init", "data", "eval", "check", "range", "probe")  # every random stream; gradcheck's probe last


def parse_cases(text):
    """'10x10,20x10' -> [(10, 10), (20, 10)]."""
    return [tuple(int(v) for v in part.split("x")) for part in text.split(",")]


# ----------------------------------------------------------------------------- task

REP_MEAN, REP_STD = 5.5, 2.8723  # mean and std of repeats uniform on 1..10: the count channel is normalised


def repeat_batch(rng, n, length, reps, bits, dtype=np.float64):
    """n repeat-copy episodes of one length and repeat count.

    Input x (T, n, bits+2), T = length + 1 + length*reps + 1: `length` random bit vectors, then one
    step with the delimiter flag (channel bits) and the normalised repeat count (channel bits+1),
    then blanks. Target y (T, n, bits+1): the sequence `reps` times, then the end marker (channel
    bits) on the last step. mask (T,): 1 on every output step (the repeats and the end step).
    """
    T = length + 1 + length * reps + 1
    seq = (rng.random((length, n, bits)) < 0.5).astype(dtype)
    x = np.zeros((T, n, bits + 2), dtype=dtype)
    x[:length, :, :bits] = seq
    x[length, :, bits] = 1.0
    x[length, :, bits + 1] = (reps - REP_MEAN) / REP_STD
    y = np.zeros((T, n, bits + 1), dtype=dtype)
    y[length + 1:T - 1, :, :bits] = np.tile(seq, (reps, 1, 1))
    y[T - 1, :, bits] = 1.0
    mask = np.zeros(T, dtype=dtype)
    mask[length + 1:] = 1.0
    return x, y, mask


def range_batches(rng, per_pair, cfg, dtype=np.float64, chunks=4):
    """per_pair episodes of every (length, repeats) pair of the training range, sorted by duration
    and split into `chunks` batches; in each batch the episodes are padded with blank steps to the
    longest: [(x (T, B, bits+2), y (T, B, bits+1), mask (T, B)), ...] with a mask per episode, zero on
    the padding (the machine is causal, so padding changes nothing before it)."""
    pairs = sorted(((L + 2 + L * R, L, R) for L in range(cfg.min_len, cfg.max_len + 1)
                    for R in range(cfg.min_rep, cfg.max_rep + 1)))
    parts = [repeat_batch(rng, per_pair, L, R, cfg.bits, dtype) for _, L, R in pairs]
    out = []
    for idx in np.array_split(np.arange(len(parts)), min(chunks, len(parts))):
        T, B = parts[idx[-1]][0].shape[0], per_pair * len(idx)
        x = np.zeros((T, B, cfg.bits + 2), dtype=dtype)
        y = np.zeros((T, B, cfg.bits + 1), dtype=dtype)
        mask = np.zeros((T, B), dtype=dtype)
        for j, i in enumerate(idx):
            xp, yp, mp = parts[i]
            t, sl = xp.shape[0], slice(j * per_pair, (j + 1) * per_pair)
            x[:t, sl], y[:t, sl], mask[:t, sl] = xp, yp, mp[:, None]
        out.append((x, y, mask))
    return out


# ----------------------------------------------------------------------------- parameters

SHIFTS = (-1, 0, 1)  # allowed shifts of the convolutional shift


def head_sizes(W):
    """Per-head slice sizes of the controller's head output: key, beta, gate, shift, gamma."""
    return dict(k=W, beta=1, g=1, s=len(SHIFTS), gamma=1)


def n_head_params(W):
    return 2 * sum(head_sizes(W).values()) + 2 * W  # read head + write head + erase + add


def init_params(rng, cfg, n_in, n_out):
    """NTM: controller (FF: Wc (n_in+W, H), bc; LSTM: Wc (n_in+W+H, 4H), bc), head layer Wp (H, P), bp,
    output layer Wy (H+W, n_out), by.  LSTM baseline: Wc (n_in+H, 4H), bc, Wy (H, n_out), by."""
    def w(*shape):
        return rng.normal(0.0, 1.0 / np.sqrt(shape[0]), size=shape)
    if cfg.model == "lstm":
        H = cfg.lstm_hidden
        p = dict(Wc=w(n_in + H, 4 * H), bc=np.zeros(4 * H), Wy=w(H, n_out), by=np.zeros(n_out))
        p["bc"][H:2 * H] = 1.0  # forget-gate bias
        return p
    H, W = cfg.hidden, cfg.mem_w
    P = n_head_params(W)
    if cfg.controller == "ff":
        p = dict(Wc=w(n_in + W, H), bc=np.zeros(H))
    else:
        p = dict(Wc=w(n_in + W + H, 4 * H), bc=np.zeros(4 * H))
        p["bc"][H:2 * H] = 1.0
    p.update(Wp=w(H, P) * 0.5, bp=np.zeros(P), Wy=w(H + W, n_out), by=np.zeros(n_out))
    return p


# ----------------------------------------------------------------------------- addressing (paper section 3.3)

def softplus(x):
    """log(1 + e^x) without overflow, in x's precision."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def sigm(x):
    """Logistic function as 0.5 + 0.5 tanh(x/2): no overflow, and it keeps x's precision."""
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def split_heads(P, W):
    """Head layer output P (B, 2*(W+6) + 2W) -> raw head parameters stacked over the two heads
    (head 0 reads, head 1 writes): k (B,2,W), beta, g, gamma (B,2), s (B,2,3); erase, add (B,W)."""
    B = P.shape[0]
    hp = P[:, :2 * (W + 6)].reshape(B, 2, W + 6)
    return dict(k=hp[:, :, :W], beta=hp[:, :, W], g=hp[:, :, W + 1], s=hp[:, :, W + 2:W + 5],
                gamma=hp[:, :, W + 5], e=P[:, 2 * (W + 6):2 * (W + 6) + W], a=P[:, 2 * (W + 6) + W:])


def join_heads(d, W):
    """Inverse of split_heads for gradients."""
    B = d["k"].shape[0]
    hp = np.concatenate([d["k"], d["beta"][..., None], d["g"][..., None], d["s"], d["gamma"][..., None]], axis=2)
    return np.concatenate([hp.reshape(B, -1), d["e"], d["a"]], axis=1)


def roll(a, d):
    """np.roll(a, d, axis=-1) for d in {-1, 0, 1}, without np.roll's overhead: out[..., i] = a[..., i - d]."""
    if d == 0:
        return a
    if d == 1:
        return np.concatenate((a[..., -1:], a[..., :-1]), axis=-1)
    return np.concatenate((a[..., 1:], a[..., :1]), axis=-1)


def address(raw, M, w_prev, eps_norm):
    """The paper's addressing for both heads at once.

    raw: k (B,h,W), beta/g/gamma (B,h), s (B,h,3) unconstrained; M (B,N,W); w_prev (B,h,N).
    beta = softplus, g = sigmoid, s = softmax, gamma = 1 + softplus.
    1. content:  K_i = k.M_i / (|k| |M_i|) with |v| = sqrt(v.v + eps),  w_c = softmax(beta K)
    2. gate:     w_g = g w_c + (1 - g) w_prev
    3. shift:    w_s(i) = sum_d s_d w_g(i - d), d in {-1, 0, 1}, circular
    4. sharpen:  w = w_s^gamma / sum w_s^gamma  (as softmax(gamma log w_s): no overflow, no 0/0)
    Returns (w (B,h,N), cache).
    """
    beta, g = softplus(raw["beta"]), sigm(raw["g"])
    s, gamma = softmax(raw["s"], axis=-1), 1.0 + softplus(raw["gamma"])
    k = raw["k"]
    kn = np.sqrt(np.sum(k * k, axis=-1) + eps_norm)                 # (B,h)
    Mn = np.sqrt(np.einsum("bnw,bnw->bn", M, M) + eps_norm)          # (B,N)
    dot = k @ M.transpose(0, 2, 1)                                   # (B,h,N)
    K = dot / (kn[:, :, None] * Mn[:, None, :])
    wc = softmax(beta[:, :, None] * K, axis=-1)
    wg = g[:, :, None] * wc + (1.0 - g[:, :, None]) * w_prev
    ws = sum(s[:, :, j, None] * roll(wg, d) for j, d in enumerate(SHIFTS))
    L = np.log(np.maximum(ws, np.finfo(ws.dtype).tiny))
    w = softmax(gamma[:, :, None] * L, axis=-1)
    cache = dict(raw=raw, beta=beta, g=g, s=s, gamma=gamma, kn=kn, Mn=Mn, K=K, wc=wc, wg=wg, ws=ws, L=L, w=w,
                 M=M, w_prev=w_prev)
    return w, cache


def address_backward(c, dw, full=True):
    """Backward of `address`: dw (B,h,N) -> (d raw (dict like raw), dM (B,N,W), dw_prev (B,h,N)).

    With full=False the memory gradient is returned in factored form (ddot (B,h,N), dMscale (B,N)),
    dM = ddot^T k + dMscale * M, so the caller can fuse it with its other memory terms."""
    w, raw, M = c["w"], c["raw"], c["M"]
    # 4. sharpening
    dz = w * (dw - np.sum(w * dw, axis=-1, keepdims=True))
    dgamma = np.sum(dz * c["L"], axis=-1)
    dws = c["gamma"][:, :, None] * dz / np.maximum(c["ws"], np.finfo(dz.dtype).tiny)
    # 3. circular shift
    ds = np.stack([np.einsum("bhn,bhn->bh", dws, roll(c["wg"], d)) for d in SHIFTS], axis=-1)
    dwg = sum(c["s"][:, :, j, None] * roll(dws, -d) for j, d in enumerate(SHIFTS))
    # 2. interpolation gate
    g = c["g"][:, :, None]
    dg = np.sum(dwg * (c["wc"] - c["w_prev"]), axis=-1)
    dwc = g * dwg
    dw_prev = (1.0 - g) * dwg
    # 1. content: softmax(beta K), cosine similarity
    wc, K = c["wc"], c["K"]
    dzc = wc * (dwc - np.sum(wc * dwc, axis=-1, keepdims=True))
    dbeta = np.sum(dzc * K, axis=-1)
    dK = c["beta"][:, :, None] * dzc
    kn, Mn = c["kn"], c["Mn"]
    ddot = dK / (kn[:, :, None] * Mn[:, None, :])
    dkn = -np.sum(dK * K, axis=-1) / kn                              # (B,h)
    dMn = -np.sum(dK * K, axis=1) / Mn                               # (B,N)
    k = raw["k"]
    dk = ddot @ M + dkn[:, :, None] * k / kn[:, :, None]
    # squashing functions of the raw parameters
    s = c["s"]
    draw = dict(k=dk, beta=dbeta * sigm(raw["beta"]), g=dg * c["g"] * (1.0 - c["g"]),
                s=s * (ds - np.sum(s * ds, axis=-1, keepdims=True)), gamma=dgamma * sigm(raw["gamma"]))
    if not full:
        return draw, ddot, dMn / Mn, dw_prev
    return draw, ddot.transpose(0, 2, 1) @ k + (dMn / Mn)[:, :, None] * M, dw_prev


# ----------------------------------------------------------------------------- controller

def lstm_cell(p, u, h, c):
    """One LSTM step (input, forget, output gates, tanh cell input).  u (B,i), h, c (B,H)."""
    H = h.shape[1]
    z = np.concatenate([u, h], axis=1) @ p["Wc"] + p["bc"]
    i, f, o = sigm(z[:, :H]), sigm(z[:, H:2 * H]), sigm(z[:, 2 * H:3 * H])
    gg = np.tanh(z[:, 3 * H:])
    c_new = f * c + i * gg
    tc = np.tanh(c_new)
    return o * tc, c_new, (u, h, c, i, f, o, gg, tc)


def lstm_cell_backward(p, cache, dh, dc):
    """Backward of lstm_cell: returns (dz (B,4H) for the weight gradient, du, dh_prev, dc_prev)."""
    u, h, c, i, f, o, gg, tc = cache
    do = dh * tc
    dc = dc + dh * o * (1.0 - tc * tc)
    dz = np.concatenate([dc * gg * i * (1.0 - i), dc * c * f * (1.0 - f), do * o * (1.0 - o),
                         dc * i * (1.0 - gg * gg)], axis=1)
    duh = dz @ p["Wc"].T
    return dz, duh[:, :u.shape[1]], duh[:, u.shape[1]:], dc * f


def weight_grad(g, name_w, name_b, inputs, douts):
    """g[W] = sum_t inputs_t^T douts_t and g[b] = sum_t douts_t as one matmul over all steps."""
    X = np.concatenate(inputs, axis=0)
    D = np.concatenate(douts, axis=0)
    g[name_w] += X.T @ D
    g[name_b] += D.sum(0)


# ----------------------------------------------------------------------------- the machine

def ntm_forward(p, cfg, x):
    """Run the NTM over x (T, B, n_in).

    Each step: the controller sees x_t and the previous read r_{t-1}; it emits the head
    parameters; both heads address the memory M_{t-1}; the read head reads r_t = w_r M_{t-1};
    the write head erases and adds, M_t = M_{t-1} (1 - w_w e^T) + w_w a^T; the output is
    sigm(Wy [h_t, r_t] + by).  Initial memory is the constant mem_init, both heads start
    focused on location 0, r_0 = w_0 M_0.
    Returns (logits (T, B, n_out), cache).
    """
    T, B, _ = x.shape
    N, W, H = cfg.mem_n, cfg.mem_w, cfg.hidden
    M = np.full((B, N, W), cfg.mem_init, dtype=x.dtype)
    w = np.zeros((B, 2, N), dtype=x.dtype)
    w[:, :, 0] = 1.0
    r = (w[:, :1] @ M)[:, 0]
    h, c = np.zeros((B, H), dtype=x.dtype), np.zeros((B, H), dtype=x.dtype)
    logits = np.empty((T, B, p["by"].shape[0]), dtype=x.dtype)
    steps = []
    for t in range(T):
        u = np.concatenate([x[t], r], axis=1)
        if cfg.controller == "ff":
            h = np.tanh(u @ p["Wc"] + p["bc"])
            ccache = None
        else:
            h, c, ccache = lstm_cell(p, u, h, c)
        Pre = h @ p["Wp"] + p["bp"]
        P = np.clip(Pre, -cfg.out_clip, cfg.out_clip)
        raw = split_heads(P, W)
        w, acache = address(raw, M, w, cfg.eps_norm)
        wr, ww = w[:, 0], w[:, 1]
        r = (wr[:, None, :] @ M)[:, 0]                              # (B,W)
        e, a = sigm(raw["e"]), np.tanh(raw["a"])
        M_prev = M
        keep = 1.0 - ww[:, :, None] * e[:, None, :]                 # (B,N,W) erase factor
        M = M_prev * keep + ww[:, :, None] * a[:, None, :]
        hr = np.concatenate([h, r], axis=1)
        logits[t] = hr @ p["Wy"] + p["by"]
        steps.append(dict(u=u, h=h, ccache=ccache, Pre=Pre, acache=acache, e=e, a=a, M_prev=M_prev, keep=keep,
                          hr=hr))
    return logits, dict(steps=steps)


def ntm_backward(p, cfg, cache, dlogits):
    """BPTT through the NTM: dlogits (T, B, n_out) -> grads with p's shapes."""
    g = {k: np.zeros_like(v) for k, v in p.items()}
    steps = cache["steps"]
    B = dlogits.shape[1]
    N, W, H = cfg.mem_n, cfg.mem_w, cfg.hidden
    n_in = steps[0]["u"].shape[1] - W
    dt = dlogits.dtype
    dM = np.zeros((B, N, W), dtype=dt)
    dr_next = np.zeros((B, W), dtype=dt)
    dw_next = np.zeros((B, 2, N), dtype=dt)
    dh_next, dc_next = np.zeros((B, H), dtype=dt), np.zeros((B, H), dtype=dt)
    T = len(steps)
    weight_grad(g, "Wy", "by", [st["hr"] for st in steps], list(dlogits))
    dPs, dzs = [None] * T, [None] * T
    for t in range(T - 1, -1, -1):
        st = steps[t]
        dhr = dlogits[t] @ p["Wy"].T
        dh = dhr[:, :H] + dh_next
        dr = dhr[:, H:] + dr_next
        ac = st["acache"]
        w, M_prev = ac["w"], st["M_prev"]
        wr, ww, e, a = w[:, 0], w[:, 1], st["e"], st["a"]
        # write: M_t = M_prev (1 - ww e^T) + ww a^T
        dMe = dM * M_prev
        dww = (dM @ a[:, :, None] - dMe @ e[:, :, None])[:, :, 0]  # (B,N)
        de = -(ww[:, None, :] @ dMe)[:, 0]                          # (B,W)
        da = (ww[:, None, :] @ dM)[:, 0]
        # read: r = wr M_prev
        dwr = (M_prev @ dr[:, :, None])[:, :, 0]
        dw = dw_next + np.stack([dwr, dww], axis=1)
        draw, ddot, dMscale, dw_next = address_backward(ac, dw, full=False)
        # every path into M_prev: through the erase, the read, the content key and the row norms
        U = np.concatenate([wr[:, :, None], ddot.transpose(0, 2, 1)], axis=2)      # (B,N,3)
        V = np.concatenate([dr[:, None, :], ac["raw"]["k"]], axis=1)               # (B,3,W)
        dM = dM * st["keep"] + dMscale[:, :, None] * M_prev + U @ V
        draw["e"] = de * e * (1.0 - e)
        draw["a"] = da * (1.0 - a * a)
        dP = join_heads(draw, W) * (np.abs(st["Pre"]) < cfg.out_clip)
        dPs[t] = dP
        dh = dh + dP @ p["Wp"].T
        if cfg.controller == "ff":
            dz = dh * (1.0 - st["h"] ** 2)
            du = dz @ p["Wc"].T
        else:
            dz, du, dh_next, dc_next = lstm_cell_backward(p, st["ccache"], dh, dc_next)
        dzs[t] = dz
        dr_next = du[:, n_in:]
    weight_grad(g, "Wp", "bp", [st["h"] for st in steps], dPs)
    if cfg.controller == "ff":
        weight_grad(g, "Wc", "bc", [st["u"] for st in steps], dzs)
    else:
        weight_grad(g, "Wc", "bc", [np.concatenate(st["ccache"][:2], axis=1) for st in steps], dzs)
    return g


def lstm_forward(p, cfg, x):
    """The LSTM baseline: one LSTM layer, sigmoid outputs.  x (T,B,n_in) -> (logits, cache)."""
    T, B, _ = x.shape
    H = cfg.lstm_hidden
    h, c = np.zeros((B, H), dtype=x.dtype), np.zeros((B, H), dtype=x.dtype)
    logits = np.empty((T, B, p["by"].shape[0]), dtype=x.dtype)
    caches, hs = [], []
    for t in range(T):
        h, c, cc = lstm_cell(p, x[t], h, c)
        logits[t] = h @ p["Wy"] + p["by"]
        caches.append(cc)
        hs.append(h)
    return logits, dict(caches=caches, hs=hs)


def lstm_backward(p, cfg, cache, dlogits):
    g = {k: np.zeros_like(v) for k, v in p.items()}
    H = cfg.lstm_hidden
    B = dlogits.shape[1]
    dh_next, dc_next = np.zeros((B, H), dtype=dlogits.dtype), np.zeros((B, H), dtype=dlogits.dtype)
    T = dlogits.shape[0]
    weight_grad(g, "Wy", "by", cache["hs"], list(dlogits))
    dzs = [None] * T
    for t in range(T - 1, -1, -1):
        dzs[t], _, dh_next, dc_next = lstm_cell_backward(p, cache["caches"][t], dlogits[t] @ p["Wy"].T + dh_next,
                                                         dc_next)
    weight_grad(g, "Wc", "bc", [np.concatenate(c[:2], axis=1) for c in cache["caches"]], dzs)
    return g


def forward(p, cfg, x):
    return lstm_forward(p, cfg, x) if cfg.model == "lstm" else ntm_forward(p, cfg, x)


def backward(p, cfg, cache, dlogits):
    return lstm_backward(p, cfg, cache, dlogits) if cfg.model == "lstm" else ntm_backward(p, cfg, cache, dlogits)


def full_mask(mask, B):
    """A mask of shape (T,) (one per batch) or (T, B) (one per episode, for padded batches) as (T, B)."""
    return np.broadcast_to(mask[:, None], (mask.shape[0], B)) if mask.ndim == 1 else mask


def bce_bits(logits, y, mask):
    """Cross-entropy per sequence in bits, summed over the masked steps and the bits: (B,)."""
    nats = np.maximum(logits, 0.0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
    return np.einsum("tbk,tb->b", nats, full_mask(mask, logits.shape[1])) / np.log(2.0)


def loss_and_grads(p, cfg, x, y, mask):
    """Mean cross-entropy per sequence (nats) and its gradient (the gradient-check hook)."""
    logits, cache = forward(p, cfg, x)
    nats = np.maximum(logits, 0.0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
    B = x.shape[1]
    loss = float(np.einsum("tbk,t->", nats, mask)) / B
    dlogits = (sigm(logits) - y) * mask[:, None, None] / B
    return loss, backward(p, cfg, cache, dlogits), logits


# ----------------------------------------------------------------------------- training

class RMSPropMomentum:
    """RMSProp with momentum in the form Graves used (2013): running mean and mean square of g."""

    def __init__(self, params, lr, momentum=0.9, decay=0.95, eps=1e-4):
        self.lr, self.mom, self.decay, self.eps = lr, momentum, decay, eps
        self.n = {k: np.zeros_like(v) for k, v in params.items()}
        self.gm = {k: np.zeros_like(v) for k, v in params.items()}
        self.d = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params, grads):
        for k, gr in grads.items():
            self.n[k] = self.decay * self.n[k] + (1 - self.decay) * gr * gr
            self.gm[k] = self.decay * self.gm[k] + (1 - self.decay) * gr
            self.d[k] = self.mom * self.d[k] - self.lr * gr / np.sqrt(self.n[k] - self.gm[k] ** 2 + self.eps)
            params[k] += self.d[k]


N_IN_EXTRA = 2  # the delimiter and the repeat-count channels


def test_sets(cfg, seed):
    """Fixed test episodes per test length from the seed's eval stream: {length: (x, y, mask)}."""
    rng = rng_streams(seed, STREAMS)["eval"]
    return {c: repeat_batch(rng, cfg.n_test, c[0], c[1], cfg.bits, np.dtype(cfg.dtype)) for c in parse_cases(cfg.test_lens)}


def evaluate_on(p, cfg, data):
    """Per-sequence scores on one test batch of a single length and repeat count: dict of (B,) arrays.

    cost: cross-entropy in bits over every output step and all 9 output channels; errors: bit
    errors on the 8 data channels over the repeats; endmark: 1 when the end-marker channel is on
    the right side of 1/2 at every output step (off during the repeats, on at the last step);
    exact: no data-bit error and the end marker right; finite: every logit finite."""
    x, y, mask = data
    logits, _ = forward(p, cfg, x)
    cost = bce_bits(logits, y, mask)
    wrong = ((logits > 0) != (y > 0.5)).astype(float)
    m = full_mask(mask, x.shape[1])
    errs = np.einsum("tbk,tb->b", wrong[:, :, :-1], m)
    end_ok = (np.einsum("tb,tb->b", wrong[:, :, -1], m) == 0).astype(float)
    finite = np.all(np.isfinite(logits), axis=(0, 2)).astype(float)
    return dict(cost=cost, errors=errs, endmark=end_ok, exact=((errs == 0) & (end_ok == 1)).astype(float),
                finite=finite)


def range_sets(cfg, seed):
    """n_range fresh episodes for every (length, repeats) of the training range, from the seed's
    eval stream: [(L, R, (x, y, mask)), ...]."""
    rng = rng_streams(seed, STREAMS)["range"]
    return [(L, R, repeat_batch(rng, cfg.n_range, L, R, cfg.bits, np.dtype(cfg.dtype)))
            for L in range(cfg.min_len, cfg.max_len + 1) for R in range(cfg.min_rep, cfg.max_rep + 1)]


def train(cfg, seed, callback=None):
    """Train on random lengths min_len..max_len and repeats min_rep..max_rep; returns dict(params, history)."""
    rngs = rng_streams(seed, STREAMS)
    n_in, n_out = cfg.bits + N_IN_EXTRA, cfg.bits + 1
    dt = np.dtype(cfg.dtype)
    p = {k: v.astype(dt) for k, v in init_params(rngs["init"], cfg, n_in, n_out).items()}
    opt = Adam(p, lr=cfg.lr) if cfg.optimizer == "adam" else RMSPropMomentum(p, cfg.lr, cfg.momentum)
    check_set = range_batches(rngs["check"], cfg.n_check, cfg, dt)
    hist = dict(update=[], sequences=[], train_bits=[], test_bits=[], test_errors=[], test_endmark=[], grad_norm=[],
                lr=[])
    nan_seen, dropped, stop = False, False, False
    run_bits = []
    for step in range(cfg.updates):
        L = int(rngs["data"].integers(cfg.min_len, cfg.max_len + 1))
        R = int(rngs["data"].integers(cfg.min_rep, cfg.max_rep + 1))
        x, y, mask = repeat_batch(rngs["data"], cfg.batch, L, R, cfg.bits, dt)
        loss, grads, _ = loss_and_grads(p, cfg, x, y, mask)
        gn = clip_global_norm(grads, cfg.clip) if cfg.clip > 0 else 0.0
        if not (np.isfinite(loss) and np.isfinite(gn)):
            nan_seen = True
            break
        opt.step(p, grads)
        run_bits.append(loss / np.log(2.0))
        last = step == cfg.updates - 1
        checked = step % cfg.hist_every == 0 or last
        if checked:
            evs = [evaluate_on(p, cfg, data) for data in check_set]
            tb, te, tm = (float(np.concatenate([ev[k] for ev in evs]).mean()) for k in ("cost", "errors", "endmark"))
            for k, v in (("update", step + 1), ("sequences", (step + 1) * cfg.batch),
                         ("train_bits", float(np.mean(run_bits[-cfg.hist_every:]))), ("test_bits", tb),
                         ("test_errors", te), ("test_endmark", tm), ("grad_norm", gn), ("lr", opt.lr)):
                hist[k].append(v)
            stop = cfg.early_stop and te < cfg.stop_errors and tm >= cfg.stop_endmark
            if cfg.lr_drop_at > 0 and not dropped and te < cfg.lr_drop_at:
                opt.lr, dropped = opt.lr / cfg.lr_drop, True
                progress(f"update {step + 1}: check-set errors {te:.2f} < {cfg.lr_drop_at:g}, learning rate now {opt.lr:.2e}")
        if step % cfg.log_every == 0 or last:
            progress(f"update {step + 1:5d}  train {np.mean(run_bits[-cfg.log_every:]):7.3f} bits/seq  "
                     f"check (whole range) {hist['test_bits'][-1]:7.3f} bits/seq, {hist['test_errors'][-1]:6.2f} "
                     f"bit errors/seq, end marker {hist['test_endmark'][-1]:.3f}  |g| {gn:.2f}")
        if callback is not None:
            callback(step, dict(params=p, hist=hist, stop=stop))
        if stop:
            progress(f"stopping at update {step + 1}: check set {hist['test_errors'][-1]:.3f} data-bit errors per "
                     f"episode, end marker right on {hist['test_endmark'][-1]:.3f}")
            break
    return dict(params=p, history=hist, nan=nan_seen, updates=step + 1, stopped=stop)


def evaluate(cfg, p, seed):
    """The training range (every length x repeats, n_range episodes each) and each test case LxR:
    cost (bits/sequence), data-bit errors per sequence, fraction exact, end-marker accuracy."""
    out = {}
    finite = True
    per = [evaluate_on(p, cfg, data) for _, _, data in range_sets(cfg, seed)]
    for key in ("cost", "errors", "endmark", "exact"):
        v = np.concatenate([d[key] for d in per])
        out[f"{'bits' if key == 'cost' else key}_range"] = float(v.mean())
    finite &= all(bool(d["finite"].all()) for d in per)
    for (L, R), data in test_sets(cfg, seed).items():
        d = evaluate_on(p, cfg, data)
        tag = f"{L}x{R}"
        out[f"bits_{tag}"], out[f"errors_{tag}"] = float(d["cost"].mean()), float(d["errors"].mean())
        out[f"exact_{tag}"], out[f"endmark_{tag}"] = float(d["exact"].mean()), float(d["endmark"].mean())
        finite &= bool(d["finite"].all())
    out["finite"] = int(finite)
    return out


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    m = evaluate(cfg, out["params"], seed)
    m["nan"] = int(out["nan"])
    m["updates"] = out["updates"]
    # sequences to the stop criterion; NaN when the check set never met it (cap reached, or no early stop)
    m["sequences"] = out["updates"] * cfg.batch if out["stopped"] else float("nan")
    m["solved"] = int(not out["nan"] and m["finite"] and m["errors_range"] < cfg.solve_errors
                      and m["endmark_range"] >= cfg.solve_endmark)
    return m


def gradcheck(cfg, seed) -> dict:
    """Central differences, float64: every addressing stage in isolation, then the whole NTM
    (FF and LSTM controllers) and the LSTM baseline through BPTT."""
    rng = rng_streams(seed, STREAMS)
    chk, drng = rng["probe"], rng["data"]
    errors = {}
    # --- addressing stages on their own: loss = sum(w * R) for a random R
    B, h, N, W = 2, 2, 7, 4
    M = drng.normal(size=(B, N, W))
    wp = softmax(drng.normal(size=(B, h, N)) * 2, axis=-1)
    raw = dict(k=drng.normal(size=(B, h, W)), beta=drng.normal(size=(B, h)) + 1.0, g=drng.normal(size=(B, h)),
               s=drng.normal(size=(B, h, 3)), gamma=drng.normal(size=(B, h)))
    R = drng.normal(size=(B, h, N))
    ins = dict(raw, M=M, w_prev=wp)

    def loss_addr():
        r = {k: ins[k] for k in raw}
        return float(np.sum(address(r, ins["M"], ins["w_prev"], 1e-6)[0] * R))
    _, ac = address({k: ins[k] for k in raw}, M, wp, 1e-6)
    draw, dM, dwp = address_backward(ac, R)
    grads = dict(draw, M=dM, w_prev=dwp)
    names = dict(k="content.key", beta="content.beta", M="content.memory", g="gate.g", w_prev="gate.w_prev",
                 s="shift.s", gamma="sharpen.gamma")
    for k, e in numeric_gradcheck(loss_addr, ins, grads, chk).items():
        errors[f"address.{names[k]}"] = e
    # --- whole models through time
    for label, over in (("ntm_ff", dict(model="ntm", controller="ff")),
                        ("ntm_lstm", dict(model="ntm", controller="lstm")),
                        ("lstm_baseline", dict(model="lstm"))):
        small = Config(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__}, **over,
                          "hidden": 6, "lstm_hidden": 6, "mem_n": 8, "mem_w": 5, "mem_init": 0.1, "bits": 3, "dtype": "float64",
                          "test_lens": "3x2"})
        p = init_params(rng["init"], small, small.bits + N_IN_EXTRA, small.bits + 1)
        for k in p:
            p[k] = p[k] + 0.3 * rng["init"].normal(size=p[k].shape)
        x, y, mask = repeat_batch(drng, 2, 2, 2, small.bits)
        x = x + 0.1 * drng.normal(size=x.shape)
        y = sigm(drng.normal(size=y.shape) * 0.5 + 4.0 * (y - 0.5))   # soft targets: a small, well-conditioned loss
        _, gr, _ = loss_and_grads(p, small, x, y, mask)
        for k, e in numeric_gradcheck(lambda: loss_and_grads(p, small, x, y, mask)[0], p, gr, chk, eps=1e-4).items():
            errors[f"{label}.{k}"] = e
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run, gradcheck=gradcheck)


# ----------------------------------------------------------------------------- pasted snippets
# Shared plumbing, pasted verbatim from snippets/ (python3 -m catalog.snippets); the paper's
# algorithm is everything above.

# >>> snippet: stable
def sigmoid(x):
    """Logistic function without overflow for large |x|."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(x, axis=-1):
    """Softmax along `axis`, shifted by the max so exp never overflows."""
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def logsumexp(x, axis=-1):
    """log(sum(exp(x))) along `axis`, computed stably."""
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))
# <<< snippet: stable


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
