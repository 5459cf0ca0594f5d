"""Neural Turing Machine on the associative recall task (Graves, Wayne & Danihelka 2014).

Graves, Wayne & Danihelka, "Neural Turing Machines", arXiv:1410.5401 (2014), sections 3 and 4.3.

Claim: an NTM (LSTM controller, 128 x 20 memory, one read and one write head with content
addressing, interpolation, circular shift and sharpening, erase and add) trained with the paper's
RMSProp on episodes of 2-6 items (three 6-bit vectors each) and a query learns to answer with the
item that followed the query on every seed tried (5/5, seeds 0-4): a median 0.033 bits per episode
over the training range after a median 62,432 episodes, and a median 0.046 bits per episode with
15-item lists. Seed 0, the worked example: 0.033 bits after 57,632 episodes, no bit error with 12
items, 0.13 bit errors per episode with 15. Training stops at 0.05 bits/episode on a held-out
check set.

Run:  python3 ntm_associative_recall.py --seed 0
      python3 ntm_associative_recall.py --seed 0 --model lstm --stop-bits 0 --updates 1801   (LSTM baseline)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "ntm-associative-recall"
META = dict(
    title="Neural Turing Machine: associative recall",
    paper="Graves, Wayne & Danihelka 2014, Neural Turing Machines (arXiv:1410.5401)",
    year=2014,
    claim=("LSTM-controlled NTM with the paper's full addressing and RMSProp learns associative recall on 5/5 "
           "seeds (0-4): median 0.033 bits per episode over 2-6 items (IQR 0.033-0.038), reached after a median "
           "62,432 episodes (57,632-73,632; paper: near zero within about 30,000), median 0.046 bits at 15 items "
           "(paper: below 1 bit); a one-layer LSTM given 57,632 episodes is not near zero"),
    figure=dict(args="--seeds 0-4", metric="bits_range"),
    gradcheck=True,
    budget_s=90,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="bits_range", claim="< 0.1",
         paper="near 0 bits within ≈30k episodes (Fig. 10)", published="—"),
    dict(tier="headline", args="--seed 0", metric="sequences", claim="<= 60000", paper="≈30k episodes (Fig. 10)",
         published="—"),
    dict(tier="headline", args="--seed 0", metric="errors_12items", claim="<= 0.1",
         paper="near-perfect up to 12 items (Fig. 11)", published="—"),
    dict(tier="headline", args="--seed 0", metric="errors_15items", claim="<= 1",
         paper="FF-NTM below 1 bit/episode at 15 items (Fig. 11)",
         published="—"),
    dict(tier="headline", args="--seed 0", metric="nan", claim="== 0", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="solved_seeds", claim=">= 4/5", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_bits_range", claim="< 0.1",
         paper="near 0 bits (Fig. 10)", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="q1_bits_range", claim="< 0.1", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="q3_bits_range", claim="< 0.1", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="max_nan", claim="== 0", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_sequences", claim="<= 30000", kind="paper",
         paper="near-zero cost within ≈30,000 episodes (§4.3, Fig. 10; the feed-forward controller is the faster)",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_bits_15items", claim="< 1", kind="paper",
         paper="below 1 bit per episode at 15 items, 2.5x the training maximum (§4.3, Fig. 11; said of the "
               "feed-forward controller)", published="—"),
    dict(tier="seeds", args="--seed 0 --model lstm --stop-bits 0 --updates 1801", metric="bits_range", claim="> 1",
         paper="LSTM not near 0 after 1M episodes (Fig. 10)", published="—"),
    dict(tier="long", args="--seed 0 --stop-bits 0 --updates 5000 --test-items 6,12,15,20", metric="bits_range", claim="< 0.01",
         paper="near 0 bits (Fig. 10)", published="—"),
    dict(tier="long", args="--seed 0 --stop-bits 0 --updates 5000 --test-items 6,12,15,20", metric="errors_12items", claim="<= 0.1",
         paper="FF-NTM near-perfect up to 12 items (Fig. 11)", published="—"),
    dict(tier="long", args="--seed 0 --stop-bits 0 --updates 5000 --test-items 6,12,15,20", metric="errors_15items", claim="<= 1",
         paper="FF-NTM below 1 bit/episode at 15 items (Fig. 11)", published="—"),
    dict(tier="long", args="--seed 0 --stop-bits 0 --updates 5000 --test-items 6,12,15,20", metric="errors_20items", claim="<= 2",
         paper="cost rises past 12 items (Fig. 11)", published="—"),
    dict(tier="long", args="--seed 0 --stop-bits 0 --updates 5000 --test-items 6,12,15,20", metric="nan", claim="== 0", paper="—", published="—"),
]


@dataclass(frozen=True)
class Config:
    model: str = field(default="ntm", metadata={"choices": ("ntm", "lstm")})  # ntm: the NTM; lstm: the plain LSTM baseline
    controller: str = field(default="lstm", metadata={"choices": ("ff", "lstm")})  # NTM controller: feed-forward (paper Table 1) or LSTM (Table 2)
    hidden: int = 100  # controller units (paper's Table 2: 100)
    lstm_hidden: int = 256  # units of the LSTM baseline (one layer)
    mem_n: int = 128  # memory locations N
    mem_w: int = 20  # width W of a memory location
    mem_init: float = 1e-6  # constant initial memory value (Collier & Beel 2018)
    dtype: str = field(default="float32", metadata={"choices": ("float32", "float64")})  # training precision (gradcheck: float64)
    bits: int = 6  # bits per vector
    item_len: int = 3  # vectors per item
    min_items: int = 2  # fewest items per training episode
    max_items: int = 6  # most items per training episode
    batch: int = 32  # episodes per update (vectorised)
    updates: int = 3000  # most parameter updates (training stops earlier once the check set is below stop_bits)
    lr: float = 3e-4  # learning rate
    optimizer: str = field(default="rmsprop", metadata={"choices": ("rmsprop", "adam")})  # RMSProp with momentum (the paper's) or Adam
    momentum: float = 0.9  # RMSProp momentum
    clip: float = 10.0  # global gradient-norm clip per update (0 = off)
    out_clip: float = 20.0  # clip of the controller's head-parameter outputs to [-out_clip, out_clip]
    eps_norm: float = 1e-6  # eps inside the norms of the cosine similarity
    test_items: str = "6,12,15,20"  # comma-separated numbers of items per test episode
    n_test: int = 64  # test episodes per test item count (and in the check set)
    n_range: int = 64  # test episodes per number of items of the training range
    solve_bits: float = 0.1  # a run is solved when its mean cost over the training range is below this many bits/episode
    stop_bits: float = 0.05  # stop once the check set's cost falls below this many bits/episode (0 = never)
    hist_every: int = 50  # evaluate the check set (n_test fresh episodes of max_items items) every this many updates
    log_every: int = 100  # progress line every this many updates

    def __post_init__(self):
        for name in ("hidden", "lstm_hidden", "mem_n", "mem_w", "bits", "item_len", "min_items", "max_items",
                     "batch", "updates",
                     "n_test", "n_range", "hist_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.min_items < 2 or self.min_items > self.max_items:
            raise ValueError("need 2 <= min_items <= max_items")
        try:
            items = parse_items(self.test_items)
        except ValueError:
            raise ValueError("test_items must be comma-separated integers") from None
        if not items or min(items) < 2:
            raise ValueError("test item counts must be >= 2")


SMOKE = dict(updates=12, batch=4, hidden=16, lstm_hidden=16, max_items=3, n_test=4, n_range=4,
             hist_every=6, log_every=6)
STREAMS = ("init", "data", "eval", "check", "range", "probe")  # every random stream; gradcheck's probe last


def parse_items(text):
    """'6,12,15' -> [6, 12, 15]."""
    return [int(v) for v in text.split(",")]


# ----------------------------------------------------------------------------- task

def recall_batch(rng, n, items, bits, item_len=3, dtype=np.float64):
    """n associative-recall episodes with `items` items each.

    Input x (T, n, bits+2), T = (item_len+1)*(items+1) + 1 + item_len: each item is one step with the
    item-delimiter flag (channel bits) followed by item_len random bit vectors; then the query: a step
    with the query flag (channel bits+1), a copy of one of the first items-1 items, and the query flag
    again; then item_len blank steps, on which the target y (T, n, bits) is the item that followed the
    query in the list. mask (T,): 1 on those item_len output steps.
    """
    S = item_len + 1
    T = S * (items + 1) + 1 + item_len
    seq = (rng.random((items, item_len, n, bits)) < 0.5).astype(dtype)
    q = rng.integers(0, items - 1, size=n)
    x = np.zeros((T, n, bits + 2), dtype=dtype)
    for i in range(items):
        x[S * i, :, bits] = 1.0
        x[S * i + 1:S * i + S, :, :bits] = seq[i]
    Q = S * items
    x[Q, :, bits + 1] = 1.0
    cols = np.arange(n)
    x[Q + 1:Q + S, :, :bits] = seq[q, :, cols].transpose(1, 0, 2)
    x[Q + S, :, bits + 1] = 1.0
    y = np.zeros((T, n, bits), dtype=dtype)
    y[T - item_len:] = seq[q + 1, :, cols].transpose(1, 0, 2)
    mask = np.zeros(T, dtype=dtype)
    mask[T - item_len:] = 1.0
    return x, y, mask


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


def bce_bits(logits, y, mask):
    """Cross-entropy per sequence in bits, summed over the masked steps and the bits: (B,)."""
    nats = np.maximum(logits, 0.0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
    return np.einsum("tbk,t->b", nats, mask) / np.log(2.0)


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


N_IN_EXTRA = 2  # the item-delimiter and the query-delimiter channels


def test_sets(cfg, seed):
    """Fixed test episodes per number of items, from the seed's eval stream: {items: (x, y, mask)}."""
    rng = rng_streams(seed, STREAMS)["eval"]
    return {k: recall_batch(rng, cfg.n_test, k, cfg.bits, cfg.item_len, np.dtype(cfg.dtype))
            for k in parse_items(cfg.test_items)}


def evaluate_on(p, cfg, data):
    """Per-episode scores on one test batch: dict of (B,) arrays.

    cost: cross-entropy in bits over the item_len x bits recalled bits; errors: bits on the wrong side
    of 1/2; exact: no bit error; finite: every logit finite."""
    x, y, mask = data
    logits, _ = forward(p, cfg, x)
    cost = bce_bits(logits, y, mask)
    wrong = ((logits > 0) != (y > 0.5)).astype(float)
    errs = np.einsum("tbk,t->b", wrong, mask)
    finite = np.all(np.isfinite(logits), axis=(0, 2)).astype(float)
    return dict(cost=cost, errors=errs, exact=(errs == 0).astype(float), finite=finite)


def range_sets(cfg, seed):
    """n_range fresh episodes for every number of items of the training range: [(items, (x, y, mask))]."""
    rng = rng_streams(seed, STREAMS)["range"]
    return [(k, recall_batch(rng, cfg.n_range, k, cfg.bits, cfg.item_len, np.dtype(cfg.dtype)))
            for k in range(cfg.min_items, cfg.max_items + 1)]


def train(cfg, seed, callback=None):
    """Train on episodes of min_items..max_items items; returns dict(params, history, nan, updates)."""
    rngs = rng_streams(seed, STREAMS)
    n_in, n_out = cfg.bits + N_IN_EXTRA, cfg.bits
    dt = np.dtype(cfg.dtype)
    p = {k: v.astype(dt) for k, v in init_params(rngs["init"], cfg, n_in, n_out).items()}
    opt = Adam(p, lr=cfg.lr) if cfg.optimizer == "adam" else RMSPropMomentum(p, cfg.lr, cfg.momentum)
    hist_set = recall_batch(rngs["check"], cfg.n_test, cfg.max_items, cfg.bits, cfg.item_len, dt)
    hist = dict(update=[], sequences=[], train_bits=[], test_bits=[], test_errors=[], grad_norm=[])
    nan_seen, stopped = False, False
    run_bits = []
    for step in range(cfg.updates):
        k = int(rngs["data"].integers(cfg.min_items, cfg.max_items + 1))
        x, y, mask = recall_batch(rngs["data"], cfg.batch, k, cfg.bits, cfg.item_len, dt)
        loss, grads, _ = loss_and_grads(p, cfg, x, y, mask)
        gn = clip_global_norm(grads, cfg.clip) if cfg.clip > 0 else 0.0
        if not (np.isfinite(loss) and np.isfinite(gn)):
            nan_seen = True
            break
        opt.step(p, grads)
        run_bits.append(loss / np.log(2.0))
        last = step == cfg.updates - 1
        if step % cfg.hist_every == 0 or last:
            ev = evaluate_on(p, cfg, hist_set)
            tb, te = float(ev["cost"].mean()), float(ev["errors"].mean())
            for key, v in (("update", step + 1), ("sequences", (step + 1) * cfg.batch),
                           ("train_bits", float(np.mean(run_bits[-cfg.hist_every:]))), ("test_bits", tb),
                           ("test_errors", te), ("grad_norm", gn)):
                hist[key].append(v)
        if step % cfg.log_every == 0 or last:
            progress(f"update {step + 1:5d}  train {np.mean(run_bits[-cfg.log_every:]):7.3f} bits/seq  "
                     f"check ({cfg.max_items} items) {hist['test_bits'][-1]:7.3f} bits/seq, "
                     f"{hist['test_errors'][-1]:6.2f} bit errors/seq  |g| {gn:.2f}")
        if callback is not None:
            callback(step, dict(params=p, hist=hist))
        if (step % cfg.hist_every == 0 or last) and hist["test_bits"][-1] < cfg.stop_bits:
            progress(f"stopping: check-set cost {hist['test_bits'][-1]:.3f} < {cfg.stop_bits:g} bits/sequence")
            stopped = True
            break
    return dict(params=p, history=hist, nan=nan_seen, updates=step + 1, stopped=stopped)


def evaluate(cfg, p, seed):
    """The training range (n_range episodes per number of items) and each test item count K:
    cost (bits/sequence), bit errors per sequence, fraction exact."""
    out = {}
    per = [evaluate_on(p, cfg, data) for _, data in range_sets(cfg, seed)]
    for key in ("cost", "errors", "exact"):
        v = np.concatenate([d[key] for d in per])
        out[f"{'bits' if key == 'cost' else key}_range"] = float(v.mean())
    finite = all(bool(d["finite"].all()) for d in per)
    for k, data in test_sets(cfg, seed).items():
        d = evaluate_on(p, cfg, data)
        out[f"bits_{k}items"], out[f"errors_{k}items"] = float(d["cost"].mean()), float(d["errors"].mean())
        out[f"exact_{k}items"] = float(d["exact"].mean())
        finite &= bool(d["finite"].all())
    out["finite"] = int(finite)
    return out


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    m = evaluate(cfg, out["params"], seed)
    m["nan"] = int(out["nan"])
    m["updates"] = out["updates"]
    # episodes to the stop criterion; NaN when the check set never met it (cap reached, or --stop-bits 0)
    m["sequences"] = out["updates"] * cfg.batch if out["stopped"] else float("nan")
    m["solved"] = int(not out["nan"] and m["finite"] and m["bits_range"] < cfg.solve_bits)
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
                          "test_items": "3"})
        p = init_params(rng["init"], small, small.bits + N_IN_EXTRA, small.bits)
        for k in p:
            p[k] = p[k] + 0.3 * rng["init"].normal(size=p[k].shape)
        x, y, mask = recall_batch(drng, 2, 3, small.bits, 2)
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
