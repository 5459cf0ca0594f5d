"""Temporal order, 2 relevant symbols / 4 classes (Hochreiter & Schmidhuber 1997, Experiment 6a).

Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8):1735-1780 (1997),
Section 5.6, Experiment 6a ("two relevant, widely separated symbols").

Claim: the 1997 LSTM (input and output gates, no forget gate, 2 memory blocks of 2 cells, 156
weights) trained by plain gradient descent with the paper's learning rate 0.5 classifies sequences
of length 100-110 by the temporal order of two symbols X/Y placed at t1 in 10..20 and t2 in 50..60,
reaching the paper's stopping criterion (last 2000 training sequences all classified correctly,
mean error < 0.1); a fully recurrent net trained the same way stays at chance.  Ten independent
nets (seeds seed..seed+9) are trained side by side in one vectorised run.

Run:  python3 temporal_order_3bit.py --seed 0                  (headline: 10 nets, minibatch 8)
      python3 temporal_order_3bit.py --seed 0 --batch 1        (online, as in the paper; long)
      python3 temporal_order_3bit.py --seed 0 --model rnn      (vanilla RNN baseline)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "temporal-order-3bit"
META = dict(
    title="temporal order of two widely separated symbols (4 classes, length 100-110)",
    paper="Hochreiter & Schmidhuber 1997, Long Short-Term Memory (Neural Computation 9(8)), Exp. 6a",
    year=1997,
    claim=("1997 LSTM, plain gradient descent at the paper's lr 0.5, length 100-110: 4/5 seeds (0-4) meet the paper's "
           "stopping criterion, after 26,624-38,016 sequences (paper mean 31,390), then 0/2560 test errors; seed 2 "
           "never stops within 60,000, so the paper's every-trial criterion is not met; a fully recurrent net stays "
           "at chance"),
    figure=dict(args="--seeds 0-4", metric="test_wrong"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="solved", claim="== 1", paper="criterion met",
         published="5/5 seeds (T=50, Adam)"),
    dict(tier="headline", args="--seed 0", metric="seqs_to_criterion", claim="<= 31390",
         paper="31,390 (mean)", published="~6.4k to 95% (T=50, Adam)"),
    dict(tier="headline", args="--seed 0", metric="test_wrong", claim="<= 3", paper="<= 3 of 2560",
         published="0 of 512"),
    dict(tier="headline", args="--seed 0", metric="nets_solved", claim=">= 4", paper="—", published="5/5"),
    dict(tier="seeds", args="--seeds 0-4", metric="solved_seeds", claim=">= 3/5", paper="criterion met",
         published="5/5 seeds (T=50, Adam)"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_test_wrong", claim="<= 3", paper="<= 3 of 2560",
         published="0 of 512"),
    dict(tier="seeds", args="--seeds 0-4", metric="q3_test_wrong", claim="<= 3", paper="<= 3 of 2560",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="max_test_wrong", claim="<= 3", kind="paper",
         paper="every trial stops (mean 31,390 sequences), then never more than 3 of 2560 test sequences wrong",
         published="0 of 512"),
    dict(tier="seeds", args="--seed 5", metric="nets_solved", claim=">= 5", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --model rnn", metric="nets_solved", claim="== 0", paper="(RTRL/BPTT fail)",
         published="RNN at chance 0.25"),
    dict(tier="seeds", args="--seed 0 --model rnn", metric="mean_test_acc", claim="<= 0.3", paper="—",
         published="0.250"),
    dict(tier="long", args="--seed 0 --batch 1 --n-nets 2 --max-seqs 40000", metric="seqs_to_criterion",
         claim="<= 31390", paper="31,390 (mean, online)", published="—"),
    dict(tier="long", args="--seed 0 --batch 1 --n-nets 2 --max-seqs 40000", metric="nets_solved",
         claim=">= 2", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --batch 1 --n-nets 2 --max-seqs 40000", metric="test_wrong",
         claim="<= 3", paper="<= 3 of 2560", published="—"),
]


@dataclass(frozen=True)
class Config:
    model: str = field(default="lstm", metadata={"choices": ("lstm", "rnn")})  # the 1997 LSTM or the fully recurrent baseline
    n_nets: int = 5  # independent nets trained side by side (seeds seed..seed+n_nets-1); metrics without prefix are net 0's
    len_min: int = 100  # shortest sequence (paper 100)
    len_max: int = 110  # longest sequence (paper 110)
    lr: float = 0.5  # gradient-descent step per sequence (paper 0.5 for 6a)
    batch: int = 16  # sequences whose summed gradients form one update (1 = online, the paper)
    init_range: float = 0.1  # weights drawn uniformly from [-init_range, init_range] (paper 0.1)
    rnn_hidden: int = 8  # rnn baseline: logistic hidden units (8 gives 172 weights; the LSTM has 156)
    max_seqs: int = 60000  # training budget per net, in sequences
    stop_window: int = 2000  # stopping criterion: this many most recent training sequences all correct ...
    stop_err: float = 0.1  # ... and their mean error 0.5*sum_k (y_k - d_k)^2 below this
    tol: float = 0.3  # a sequence is classified correctly iff every output is within tol of its target
    n_test: int = 2560  # fresh test sequences (paper 2560)
    hist_every: int = 2000  # record learning curves every this many training sequences
    log_every: int = 10000  # progress line every this many training sequences

    def __post_init__(self):
        for name in ("n_nets", "batch", "rnn_hidden", "max_seqs", "stop_window", "n_test", "hist_every",
                     "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if not SLOTS[-1][1] + 2 <= self.len_min <= self.len_max:
            raise ValueError(f"need {SLOTS[-1][1] + 2} <= len_min <= len_max")
        if self.lr <= 0 or self.init_range <= 0 or self.stop_err <= 0:
            raise ValueError("lr, init_range and stop_err must be positive")
        if not 0.0 < self.tol < 1.0:
            raise ValueError("tol must be in (0, 1)")


SMOKE = dict(n_nets=2, max_seqs=400, n_test=64, stop_window=100, hist_every=200, log_every=200)
STREAMS = ("init", "data", "eval", "big", "probe")   # every random stream; "big" and "probe": the gradient check only

N_SYM = 8            # input symbols: a b c d X Y E(start) B(end trigger), one-hot
SYMBOLS = "abcdXYEB"
X_SYM, Y_SYM, START, END = 4, 5, 6, 7
SLOTS = ((10, 20), (50, 60))   # paper: t1 in 10..20, t2 in 50..60 (1-based positions in the sequence)
N_CLASSES = 4        # Q=XX, R=XY, S=YX, U=YY
CLASS_NAMES = ("XX", "XY", "YX", "YY")
BLOCKS, BLOCK_SIZE = 2, 2
IN_GATE_BIAS = (-2.0, -4.0)    # paper: first / second input gate bias


# ----------------------------------------------------------------------------- task

def sample_sequences(rng, n, cfg):
    """n random sequences, right-aligned in a window of len_max steps.

    Returns sym (n, len_max) int symbols (-1 before a sequence starts), mask (len_max, n) 1 where a
    sequence is running, cls (n,) class index, pos (n, 2) 0-based window positions of the X/Y symbols.
    Paper: sequence starts with E, ends with the trigger B, length uniform in 100..110, the two
    relevant symbols (X or Y) sit at positions t1 in 10..20 and t2 in 50..60, the rest is a..d.
    """
    L = cfg.len_max
    length = rng.integers(cfg.len_min, cfg.len_max + 1, size=n)
    sym = rng.integers(0, 4, size=(n, L))
    start = L - length
    rows = np.arange(n)
    sym[rows, start] = START
    sym[:, L - 1] = END
    bits = rng.integers(0, 2, size=(n, len(SLOTS)))
    pos = np.empty((n, len(SLOTS)), dtype=int)
    for j, (lo, hi) in enumerate(SLOTS):
        p = start + rng.integers(lo, hi + 1, size=n) - 1     # 1-based position p -> index start + p - 1
        sym[rows, p] = X_SYM + bits[:, j]
        pos[:, j] = p
    mask = (np.arange(L)[:, None] >= start[None, :]).astype(float)
    sym[mask.T == 0] = -1
    cls = bits @ (2 ** np.arange(len(SLOTS))[::-1])
    return sym, mask, cls, pos


def encode(sym):
    """sym (..., n, L) -> one-hot X (L, ..., n, 8) (all zero where sym == -1)."""
    X = (sym[..., None] == np.arange(N_SYM)).astype(float)
    return np.moveaxis(X, -2, 0)


def targets(cls):
    """cls (...) -> local targets (..., N_CLASSES): 1 for the class unit, 0 elsewhere."""
    return (cls[..., None] == np.arange(N_CLASSES)).astype(float)


# ----------------------------------------------------------------------------- the 1997 LSTM

def sig(x):
    return 0.5 + 0.5 * np.tanh(0.5 * x)   # logistic sigmoid without overflow


def n_hidden(cfg):
    """Units of the recurrent hidden layer whose previous activations feed back."""
    return BLOCKS * BLOCK_SIZE + 2 * BLOCKS if cfg.model == "lstm" else cfg.rnn_hidden


def init_params(rngs, cfg):
    """Per-net weights, stacked over nets: W (S, 8+H+1, H) hidden layer, Wo (S, C+1, K) output layer.

    LSTM hidden columns: [cell inputs (BLOCKS*BLOCK_SIZE) | input gates (BLOCKS) | output gates (BLOCKS)];
    the hidden layer sees input units, all memory cells and all gates (fully connected) plus a bias;
    the output layer sees the memory cells only (plus a bias).  RNN: H logistic units, fully recurrent,
    output layer sees the H units.
    """
    H = n_hidden(cfg)
    C = BLOCKS * BLOCK_SIZE if cfg.model == "lstm" else H
    W, Wo = [], []
    for r in rngs:
        w = r.uniform(-cfg.init_range, cfg.init_range, size=(N_SYM + H + 1, H))
        wo = r.uniform(-cfg.init_range, cfg.init_range, size=(C + 1, N_CLASSES))
        if cfg.model == "lstm":
            w[-1, BLOCKS * BLOCK_SIZE:BLOCKS * BLOCK_SIZE + BLOCKS] = IN_GATE_BIAS
        W.append(w)
        Wo.append(wo)
    return dict(W=np.array(W), Wo=np.array(Wo))


def lstm_forward(P, X, mask):
    """X (T, S, n, 8) inputs, mask (T, S, n) or (T, 1, n).  Returns y (S, n, K) and the cache.

    Per step t, with h = [cell outputs y^c, input gates y^in, output gates y^out] of step t-1:
      net = [x_t, h, 1] W;  y^in = f(net_in), y^out = f(net_out)  (f logistic, range [0, 1])
      g = 4 f(net_c) - 2  (range [-2, 2]);  s_t = s_{t-1} + y^in_block * g   (CEC, no forget gate)
      y^c = y^out_block * h(s_t),  h(s) = 2 f(s) - 1 = tanh(s/2)  (range [-1, 1])
    Output after the last step: y = f([y^c, 1] Wo)  (logistic output units).
    Steps before a sequence starts (mask 0) keep every activation and state at 0.
    The step loop writes into preallocated buffers; at steps where every sequence runs the mask
    factors are 1 and are skipped (x * 1 = x exactly).
    """
    W = P["W"]
    T, S, n, _ = X.shape
    nc, B = BLOCKS * BLOCK_SIZE, BLOCKS
    H = W.shape[2]
    pre = np.matmul(X, W[:, :N_SYM]) + W[:, None, -1]         # (T, S, n, H) input and bias drive
    Wr = W[:, N_SYM:N_SYM + H]                                 # (S, H, H) recurrent weights
    A = np.empty((T, S, n, H))                                 # f(net) of every hidden unit
    Hs = np.zeros((T + 1, S, n, H))                            # fed-back activations; Hs[t] feeds step t
    hs = np.empty((T, S, n, nc))                               # h(s_t)
    st = np.empty((T, S, n, nc))                               # cell states s_t
    G = np.empty((T, S, n, nc))                                # cell inputs g_t
    full = _full_steps(mask)
    sp = np.zeros((S, n, nc))
    blk = np.empty((S, n, B, BLOCK_SIZE))
    for t in range(T):
        a = A[t]
        np.matmul(Hs[t], Wr, out=a)
        a += pre[t]
        _sig_(a)
        g = G[t]
        np.multiply(a[..., :nc], 4.0, out=g)
        g -= 2.0
        np.multiply(g.reshape(S, n, B, BLOCK_SIZE), a[..., nc:nc + B, None], out=blk)   # y^in_block * g
        s = st[t]
        np.add(sp, blk.reshape(S, n, nc), out=s)
        if not full[t]:
            s *= mask[t][..., None]
        sp = s
        h = hs[t]
        np.multiply(s, 0.5, out=h)
        np.tanh(h, out=h)
        hn = Hs[t + 1]
        np.multiply(h.reshape(S, n, B, BLOCK_SIZE), a[..., nc + B:, None], out=blk)     # y^out_block * h(s)
        hn[..., :nc] = blk.reshape(S, n, nc)
        hn[..., nc:] = a[..., nc:]
        if not full[t]:
            hn *= mask[t][..., None]
    Zo = np.concatenate([Hs[T, ..., :nc], np.ones((S, n, 1))], axis=-1)
    y = sig(np.matmul(Zo, P["Wo"]))
    return y, dict(X=X, A=A, Hs=Hs, hs=hs, s=st, G=G, Zo=Zo, y=y, mask=mask)


def _sig_(x):
    """In place: x <- sig(x), the same roundings as sig."""
    x *= 0.5
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def _full_steps(mask):
    """(T,) bool: steps at which every sequence of every net is running (mask all 1)."""
    return mask.reshape(mask.shape[0], -1).all(axis=1)


def _weight_grads(X, Hprev, dnet):
    """dL/dW (S, 8+H+1, H) from the per-step net-input errors dnet (T, S, n, H)."""
    T, S, n, H = dnet.shape
    dn = dnet.transpose(1, 0, 2, 3).reshape(S, T * n, H)
    Zin = np.concatenate([X, Hprev], axis=-1).transpose(1, 0, 2, 3).reshape(S, T * n, -1)
    return np.concatenate([np.matmul(Zin.transpose(0, 2, 1), dn), dn.sum(1)[:, None]], axis=1)


def lstm_backward(P, cache, dy):
    """Full BPTT.  dy (S, n, K) = dL/dy  ->  grads {W (S, 8+H+1, H), Wo (S, C+1, K)}."""
    W, Wo = P["W"], P["Wo"]
    X, A, Hs, hs, G, Zo, y, mask = (cache[k] for k in ("X", "A", "Hs", "hs", "G", "Zo", "y", "mask"))
    T, S, n, H = A.shape
    nc, B, BS = BLOCKS * BLOCK_SIZE, BLOCKS, BLOCK_SIZE
    dneto = dy * y * (1.0 - y)                                 # (S, n, K)
    gWo = np.matmul(Zo.transpose(0, 2, 1), dneto)
    dh = np.zeros((S, n, H))
    dh[..., :nc] = np.matmul(dneto, Wo[:, :nc].transpose(0, 2, 1))
    ds = np.zeros((S, n, nc))
    dnet = np.empty((T, S, n, H))
    WrT = W[:, N_SYM:N_SYM + H].transpose(0, 2, 1)            # (S, H, H)
    full = _full_steps(mask)
    # Derivative factors of every step at once (elementwise: the same roundings as step by step;
    # the factors 0.5 and 4 are powers of two and move between factors exactly).
    one_a = 1.0 - A                                            # 1 - f, for f' = f (1 - f)
    a4 = 4.0 * A[..., :nc]                                     # g' = 4 f'
    hp = np.square(hs)
    np.subtract(1.0, hp, out=hp)
    hp *= 0.5                                                  # h'(s) = (1 - h^2) / 2
    blk = np.empty((S, n, B, BS))
    v = np.empty((S, n, B, BS))
    for t in range(T - 1, -1, -1):
        m = mask[t][..., None]
        a = A[t]
        yin, yout = a[..., nc:nc + B], a[..., nc + B:]
        dyc = dh[..., :nc] if full[t] else m * dh[..., :nc]
        np.multiply(dyc.reshape(S, n, B, BS), yout[..., None], out=blk)    # y^out_block * dy^c
        blk *= hp[t].reshape(S, n, B, BS)
        ds += blk.reshape(S, n, nc)
        if not full[t]:
            ds *= m
        d = dnet[t]
        dc = d[..., :nc]
        np.multiply(ds.reshape(S, n, B, BS), yin[..., None], out=blk)      # y^in_block * ds
        np.multiply(blk.reshape(S, n, nc), a4[t], out=dc)
        dc *= one_a[t, ..., :nc]
        din = d[..., nc:nc + B]                                # input gates
        np.multiply(ds.reshape(S, n, B, BS), G[t].reshape(S, n, B, BS), out=v)
        np.add(v[..., 0], v[..., 1], out=din) if BS == 2 else np.sum(v, axis=-1, out=din)
        din += dh[..., nc:nc + B] if full[t] else m * dh[..., nc:nc + B]
        din *= yin
        din *= one_a[t, ..., nc:nc + B]
        dout = d[..., nc + B:]                                 # output gates
        np.multiply(dyc.reshape(S, n, B, BS), hs[t].reshape(S, n, B, BS), out=v)
        np.add(v[..., 0], v[..., 1], out=dout) if BS == 2 else np.sum(v, axis=-1, out=dout)
        dout += dh[..., nc + B:]
        if not full[t]:
            dout *= m
        dout *= yout
        dout *= one_a[t, ..., nc + B:]
        np.matmul(d, WrT, out=dh)
    return dict(W=_weight_grads(X, Hs[:-1], dnet), Wo=gWo)


def rnn_forward(P, X, mask):
    """Fully recurrent logistic net: h_t = f([x_t, h_{t-1}, 1] W); y = f([h_T, 1] Wo)."""
    W = P["W"]
    T, S, n, _ = X.shape
    H = W.shape[2]
    pre = np.matmul(X, W[:, :N_SYM]) + W[:, None, -1]
    Wr = W[:, N_SYM:N_SYM + H]
    Hs = np.zeros((T + 1, S, n, H))
    full = _full_steps(mask)
    for t in range(T):
        h = Hs[t + 1]
        np.matmul(Hs[t], Wr, out=h)
        h += pre[t]
        _sig_(h)
        if not full[t]:
            h *= mask[t][..., None]
    Zo = np.concatenate([Hs[T], np.ones((S, n, 1))], axis=-1)
    y = sig(np.matmul(Zo, P["Wo"]))
    return y, dict(X=X, Hs=Hs, Zo=Zo, y=y, mask=mask)


def rnn_backward(P, cache, dy):
    """Full BPTT through the fully recurrent net."""
    W, Wo = P["W"], P["Wo"]
    X, Hs, Zo, y, mask = (cache[k] for k in ("X", "Hs", "Zo", "y", "mask"))
    T = X.shape[0]
    H = W.shape[2]
    dneto = dy * y * (1.0 - y)
    gWo = np.matmul(Zo.transpose(0, 2, 1), dneto)
    dh = np.matmul(dneto, Wo[:, :H].transpose(0, 2, 1))
    dnet = np.empty_like(Hs[1:])
    one_a = 1.0 - Hs[1:]
    WrT = W[:, N_SYM:N_SYM + H].transpose(0, 2, 1)
    for t in range(T - 1, -1, -1):
        d = dnet[t]
        np.multiply(dh, Hs[t + 1], out=d)     # f' = f (1 - f); f is already 0 where the mask is 0
        d *= one_a[t]
        np.matmul(d, WrT, out=dh)
    return dict(W=_weight_grads(X, Hs[:-1], dnet), Wo=gWo)


def forward(cfg, P, X, mask):
    return (lstm_forward if cfg.model == "lstm" else rnn_forward)(P, X, mask)


def backward(cfg, P, cache, dy):
    return (lstm_backward if cfg.model == "lstm" else rnn_backward)(P, cache, dy)


def loss_and_grads(cfg, P, X, mask, D):
    """Summed error sum_seq 0.5 * sum_k (y_k - d_k)^2 at each sequence's last step, and its gradient.

    X (T, S, n, 8), mask (T, S, n), D (S, n, K).  Returns (loss, grads, y (S, n, K)).
    """
    y, cache = forward(cfg, P, X, mask)
    err = y - D
    return float(0.5 * np.sum(err ** 2)), backward(cfg, P, cache, err), y


# ----------------------------------------------------------------------------- training



def net_streams(seed, cfg):
    """Net i draws everything from rng_streams(seed + i): a net's run does not depend on n_nets."""
    return [rng_streams(seed + i, STREAMS) for i in range(cfg.n_nets)]


def batch_of(streams, key, n, cfg):
    """One batch per net, stacked: X (T, S, n, 8), mask (T, S, n), cls (S, n), pos (S, n, 2)."""
    parts = [sample_sequences(st[key], n, cfg) for st in streams]
    sym = np.stack([p[0] for p in parts])
    mask = np.stack([p[1] for p in parts], axis=1)
    return encode(sym), mask, np.stack([p[2] for p in parts]), np.stack([p[3] for p in parts])


def classify(y, D, tol):
    """Correct iff every output is within tol of its target (paper's rule)."""
    return np.all(np.abs(y - D) < tol, axis=-1)


def test_set(cfg, seed):
    """n_test fresh sequences per net from each net's eval stream."""
    return batch_of(net_streams(seed, cfg), "eval", cfg.n_test, cfg)


def evaluate(cfg, P, test, chunk=512):
    """Per-net test metrics (arrays over nets): wrong (count), err (mean error), acc_argmax."""
    X, mask, cls, _ = test
    wrong, err, hit = 0, 0.0, 0
    for a in range(0, cls.shape[1], chunk):
        sl = slice(a, a + chunk)
        y, _ = forward(cfg, P, X[:, :, sl], mask[:, :, sl])
        D = targets(cls[:, sl])
        wrong = wrong + np.sum(~classify(y, D, cfg.tol), axis=1)
        err = err + np.sum(0.5 * np.sum((y - D) ** 2, axis=-1), axis=1)
        hit = hit + np.sum(np.argmax(y, -1) == cls[:, sl], axis=1)
    n = cls.shape[1]
    return dict(wrong=wrong, err=err / n, acc=hit / n)


def train(cfg, seed, callback=None):
    """Train n_nets nets side by side by plain gradient descent until each meets the stopping criterion.

    A net that has met the criterion is frozen (no longer computed) while the others go on.
    Returns dict(P, stop (S,) sequences to criterion or -1, history).
    """
    streams = net_streams(seed, cfg)
    P = init_params([st["init"] for st in streams], cfg)
    S = cfg.n_nets
    win_err = np.zeros((S, cfg.stop_window))        # ring buffer of recent per-sequence errors
    streak = np.zeros(S, dtype=int)                  # consecutive correctly classified training sequences
    stop = np.full(S, -1)
    seen = 0
    hist = dict(seqs=[], train_err=[], train_wrong=[], active=[])
    acc_err, acc_wrong, acc_n = np.zeros(S), np.zeros(S), 0
    while seen < cfg.max_seqs and np.any(stop < 0):
        n = min(cfg.batch, cfg.max_seqs - seen)
        act = np.flatnonzero(stop < 0)               # nets still learning; finished nets are frozen and skipped
        X, mask, cls, _ = batch_of([streams[i] for i in act], "data", n, cfg)
        D = targets(cls)
        Pa = {k: v[act] for k, v in P.items()}
        _, grads, y = loss_and_grads(cfg, Pa, X, mask, D)
        for k in P:
            P[k][act] = Pa[k] - cfg.lr * grads[k]
        e = np.zeros((S, n))
        ok = np.ones((S, n), dtype=bool)
        e[act] = 0.5 * np.sum((y - D) ** 2, axis=-1)   # (S, n), measured before this update
        ok[act] = classify(y, D, cfg.tol)
        for j in range(n):
            streak = np.where(ok[:, j], streak + 1, 0)
            win_err[act, (seen + j) % cfg.stop_window] = e[act, j]
        seen += n
        acc_err += e.sum(1)
        acc_wrong += (~ok).sum(1)
        acc_n += n
        met = (stop < 0) & (streak >= cfg.stop_window) & (win_err.mean(1) < cfg.stop_err)
        stop[met] = seen
        if seen % cfg.hist_every < n or seen >= cfg.max_seqs or np.all(stop >= 0):
            hist["seqs"].append(seen)
            hist["train_err"].append(acc_err / acc_n)
            hist["train_wrong"].append(acc_wrong / acc_n)
            hist["active"].append(int(np.sum(stop < 0)))
            acc_err, acc_wrong, acc_n = np.zeros(S), np.zeros(S), 0
        if seen % cfg.log_every < n:
            progress(f"{cfg.model} {seen:7d} seqs  train err (net 0) {e[0].mean():.3f}  "
                     f"criterion met {int(np.sum(stop >= 0))}/{S}")
        if callback is not None:
            callback(seen, dict(P=P, stop=stop, hist=hist))
    hist = {k: np.array(v) for k, v in hist.items()}
    return dict(P=P, stop=stop, history=hist)


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    ev = evaluate(cfg, out["P"], test_set(cfg, seed))
    stop = out["stop"]
    ok = (stop > 0) & (ev["err"] < 0.1)
    # Sequences to the stopping criterion per net, NaN for a net that never met it: the mean over the
    # nets is NaN unless every net met it (the paper's mean is over all its trials); the median is NaN
    # once half of the nets failed.
    seqs = np.where(stop > 0, stop, np.nan).astype(float)
    return dict(
        solved=int(ok[0]),
        seqs_to_criterion=float(seqs[0]),
        test_wrong=int(ev["wrong"][0]),
        test_err=float(ev["err"][0]),
        test_acc=float(ev["acc"][0]),
        nets_solved=int(ok.sum()),
        nets_criterion=int(np.sum(stop > 0)),
        median_seqs=_median_failed_last(seqs),
        mean_seqs=float(np.mean(seqs)),
        max_test_wrong=int(ev["wrong"].max()),
        mean_test_acc=float(ev["acc"].mean()),
    )


def _median_failed_last(x):
    """Median of x with NaN (never reached) ranked above every number: NaN when half or more are NaN."""
    v = np.sort(np.where(np.isnan(x), np.inf, x))
    n = v.size
    m = v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])
    return float(m) if np.isfinite(m) else float("nan")


def gradcheck(cfg, seed) -> dict:
    """Central differences vs the hand-written BPTT of both models (float64, short sequences)."""
    errors = {}
    for model in ("lstm", "rnn"):
        small = Config(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__}, "model": model, "n_nets": 2,
                          "rnn_hidden": 5})
        streams = net_streams(seed, small)
        P = init_params([st["init"] for st in streams], small)
        r = rng_streams(seed, STREAMS)
        P["W"][:, -1, :] = 0.0   # biases 0 and weights ~N(0, 0.5^2): every path (both blocks, recurrence)
        for k in P:              # carries a gradient well above float64 round-off (all entries pass at 1e-5)
            P[k] += r["big"].normal(0.0, 0.5, size=P[k].shape)
        X, mask, cls, _ = batch_of(streams, "data", 3, small)
        X, mask = X[-5:], mask[-5:].copy()   # the last 5 steps: short enough that no gradient vanishes below precision
        mask[:1, :, 0] = 0.0                       # one sequence starts late: the masked path is checked too
        X[:1, :, 0] = 0.0
        D = targets(cls)
        _, grads, _ = loss_and_grads(small, P, X, mask, D)
        fn = lambda: loss_and_grads(small, P, X, mask, D)[0]  # noqa: E731
        for k, e in numeric_gradcheck(fn, P, grads, r["probe"], probes=30).items():
            errors[f"{model}.{k}"] = e
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run, gradcheck=gradcheck)


# ----------------------------------------------------------------------------- pasted snippets
# Shared plumbing, pasted verbatim from snippets/ (python3 -m catalog.snippets); the paper's
# algorithm is everything above.

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
