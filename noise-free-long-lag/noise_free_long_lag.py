"""Noise-free sequences with long time lags (Hochreiter & Schmidhuber 1997, Experiment 2a/2b/2c).

Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8):1735-1780 (1997),
Section 5.2, Experiment 2 (Tasks 2a, 2b and 2c).

Claim: the 1997 LSTM (input gates, no forget gate; Task 2a/2b: one memory cell and its input gate,
no output gate, 10,504 weights at p = 100; Task 2c: two one-cell blocks with input and output gates,
fully connected hidden layer, no biases, 664 weights at q = p = 100) trained by plain gradient
descent stores the first (2a) or second (2c) symbol of a sequence across 100 steps and predicts
the final symbol: 2a at p = 100 in ~1,200 sequences (10/10 nets; cross-entropy, lr 1.0, online),
2c at q = p = 100 in ~30,000 (5/10 nets; lr 0.1, input-gate bias -2).  Task 2b and 2c at
q = 1000 are not solved in our budgets.  A net with one self-recurrent logistic hidden unit
trained the same way (online RTRL) solves nothing.  Several independent nets (seeds
seed..seed+n_nets-1) are trained side by side.

Run:  python3 noise_free_long_lag.py --seed 0                        (2a, p = 100, 10 nets)
      python3 noise_free_long_lag.py --seed 0 --variant 2b           (2b, p = 100)
      python3 noise_free_long_lag.py --seed 0 --variant 2c           (2c, q = p = 100)
      python3 noise_free_long_lag.py --seed 0 --variant 2c --q 1000 --p 1000   (long)
      python3 noise_free_long_lag.py --seed 0 --model rnn            (BPTT baseline)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "noise-free-long-lag"
META = dict(
    title="noise-free sequences with long time lags (2a local regularity, 2b none, 2c minimal lag q)",
    paper="Hochreiter & Schmidhuber 1997, Long Short-Term Memory (Neural Computation 9(8)), Exp. 2",
    year=1997,
    claim=("1997 LSTM, plain gradient descent: 2a at p = 100 solved by 100/100 nets (10 runs of 10, seeds 0-99), "
           "mean 1,161 sequences (runs' means 1,102-1,242; paper 18/18, mean 5,040; cross-entropy, the paper's "
           "squared error saturates); 2c at q = p = 100 by 5/10 nets within 60,000 (paper: every trial, mean "
           "31,000); 2b and 2c at q = 1000 not solved; the one-unit RTRL net solves nothing"),
    figure=dict(args="--seeds 0,10,20,30,40,50,60,70,80,90", metric="mean_seqs"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="solved", claim="== 1", paper="18/18 trials solved (p = 100)",
         published="6/10 seeds (p = 50)"),
    dict(tier="headline", args="--seed 0", metric="seqs_to_solve", claim="<= 5040", paper="5,040 (mean, p = 100)",
         published="600 (p = 50, Adam, forget gate)"),
    dict(tier="headline", args="--seed 0", metric="nets_solved", claim=">= 10", paper="18/18", published="6/10 (p = 50)"),
    dict(tier="headline", args="--seed 0", metric="mean_seqs", claim="<= 5040", paper="5,040",
         published="median 1,300 (p = 50)"),
    dict(tier="headline", args="--seed 0 --variant 2c", metric="nets_solved", claim=">= 4",
         paper="all trials (q = p = 100)", published="not run"),
    dict(tier="headline", args="--seed 0 --variant 2c", metric="mean_seqs", claim="<= 31000", kind="paper",
         reduced=True, paper="every trial solved, mean 31,000 sequences (q = p = 100; 10 nets here)",
         published="not run"),
    dict(tier="headline", args="--seed 0 --variant 2c", metric="n_weights", claim="== 664", paper="664",
         published="—"),
    dict(tier="long", args="--seed 0 --variant 2c --q 1000 --p 1000 --n-nets 2 --max-seqs 60000 --n-test 2000",
         metric="nets_solved", claim="== 0", paper="49,000 sequences (q = p = 1000)", published="not run"),
    dict(tier="long", args="--seed 0 --variant 2c --q 1000 --p 1000 --n-nets 2 --max-seqs 60000 --n-test 2000",
         metric="mean_test_end_acc", claim="<= 0.6", paper="49,000 sequences (q = p = 1000)", published="not run"),
    dict(tier="long", args="--seed 0 --variant 2c --q 1000 --p 1000 --n-nets 2 --max-seqs 60000 --n-test 2000",
         metric="n_weights", claim="== 6064", paper="6,064", published="—"),
    # 2c at the paper's learning rate 0.01 with its schedule, one weight change per sequence
    dict(tier="long", args="--seed 0 --variant 2c --lr 0.01 --batch 1 --max-seqs 200000", metric="mean_seqs",
         claim="<= 31000", kind="paper",
         paper="every trial solved, mean 31,000 sequences (q = p = 100, lr 0.01, a change per sequence; 10 nets here)",
         published="not run"),
    dict(tier="long", args="--seed 0 --variant 2c --lr 0.01 --batch 1 --max-seqs 200000", metric="nets_solved",
         claim="== 0", paper="all trials (q = p = 100)", published="not run"),
    dict(tier="long", args="--seed 0 --variant 2c --lr 0.01 --batch 1 --max-seqs 200000",
         metric="mean_test_frac_ok", claim=">= 0.99", paper="every one of 10,000 test sequences within 0.2",
         published="not run"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40,50,60,70,80,90", metric="solved_seeds", claim=">= 8/10", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40,50,60,70,80,90", metric="median_nets_solved", claim=">= 10", paper="18/18", published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40,50,60,70,80,90", metric="min_nets_solved", claim=">= 9", paper="18/18", published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40,50,60,70,80,90", metric="median_mean_seqs", claim="<= 1500",
         paper="5,040 (mean)", published="median 1,300 (p = 50)"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40,50,60,70,80,90", metric="q1_mean_seqs", claim="<= 1400",
         paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40,50,60,70,80,90", metric="q3_mean_seqs", claim="<= 1600",
         paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40,50,60,70,80,90", metric="mean_mean_seqs", claim="<= 5040", kind="paper",
         paper="18/18 trials solved, mean 5,040 sequences (p = 100; 100 nets here)", published="6/10 seeds (p = 50)"),
    dict(tier="seeds", args="--seed 10", metric="nets_solved", claim=">= 9", paper="18/18", published="6/10 (p = 50)"),
    dict(tier="seeds", args="--seed 10", metric="mean_seqs", claim="<= 5040", paper="5,040", published="—"),
    dict(tier="seeds", args="--seed 0 --model rnn", metric="nets_solved", claim="== 0",
         paper="RTRL 0%, BPTT 0% (p = 100)", published="not run"),
    dict(tier="seeds", args="--seed 0 --loss mse --n-nets 4", metric="nets_solved", claim="== 0",
         paper="18/18 (squared error)", published="—"),
    dict(tier="seeds", args="--seed 0 --variant 2b", metric="nets_solved", claim="== 0",
         paper="18/18, 5,680 sequences (mean)", published="not run"),
    # 2c at the paper's rate 0.01, one change per sequence, within the usual 60,000 sequences, with and without the gate bias
    dict(tier="seeds", args="--seed 0 --variant 2c --lr 0.01 --batch 1", metric="mean_seqs", claim="<= 31000",
         kind="paper",
         paper="every trial solved, mean 31,000 sequences (q = p = 100, lr 0.01, a change per sequence; 10 nets here)",
         published="not run"),
    dict(tier="seeds", args="--seed 0 --variant 2c --lr 0.01 --batch 1", metric="nets_solved", claim="== 0",
         paper="all trials (q = p = 100)", published="not run"),
    dict(tier="seeds", args="--seed 0 --variant 2c --lr 0.01 --batch 1", metric="mean_test_end_acc", claim=">= 0.8",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --variant 2c --lr 0.01 --batch 1 --gate-bias 0", metric="nets_solved",
         claim="== 0", paper="all trials (q = p = 100, no bias)", published="not run"),
    dict(tier="seeds", args="--seed 0 --variant 2c --lr 0.01 --batch 1 --gate-bias 0", metric="mean_test_end_acc",
         claim="<= 0.75", paper="—", published="—"),
    # the looser reading of 2b's success: the right output unit the most active one at the sequence end
    dict(tier="seeds", args="--seed 0 --variant 2b", metric="test_end_acc", claim="<= 0.5",
         paper="18/18, 5,680 sequences (mean)", published="not run"),
    dict(tier="seeds", args="--seed 0 --variant 2b", metric="mean_test_end_acc", claim="<= 0.5",
         paper="18/18, 5,680 sequences (mean)", published="not run"),
]



@dataclass(frozen=True)
class Config:
    variant: str = field(default="2a", metadata={"choices": ("2a", "2b", "2c")})  # 2a: fixed middle (local regularity); 2b: random middle; 2c: minimal lag q, trigger e
    model: str = field(default="lstm", metadata={"choices": ("lstm", "rnn")})  # the 1997 LSTM or the paper's RTRL/BPTT net (one self-recurrent unit; 2a/2b only)
    n_nets: int = 10  # independent nets trained side by side (seeds seed..seed+n_nets-1); metrics without prefix are net 0's
    p: int = 100  # 2a/2b: sequence length p+1, alphabet a_1..a_{p-1},x,y; 2c: number of distractor symbols
    q: int = 100  # 2c only: minimal number of distractors after the key (minimal lag q+1)
    lr: float = 0.0  # gradient-descent step size (0 = default: the paper's 1.0 for 2a/2b; 0.1 for 2c, paper 0.01)
    batch: int = 16  # 2c: sequences whose summed gradients form one update (2a/2b learn online: a change after every step)
    loss: str = field(default="auto", metadata={"choices": ("auto", "mse", "ce")})  # mse: the paper's squared error; ce: cross-entropy of the logistic outputs; auto: ce for 2a/2b, mse for 2c
    grow: bool = False  # 2a/2b LSTM: add the memory cell and its gate only once the error has stopped decreasing (paper)
    grow_tol: float = 0.01  # ... i.e. once a check window's mean error is not this fraction below the previous one
    gate_bias: float = -2.0  # 2c: initial input-gate bias (the paper's drift remedy), applied as a shift of the gates' input weights (one input is on per step)
    init_range: float = 0.2  # weights drawn uniformly from [-init_range, init_range] (paper 0.2)
    tol: float = 0.0  # success: every output within tol of its target (0 = the paper's: 0.25 for 2a/2b, 0.2 for 2c)
    max_seqs: int = 0  # training budget per net, in sequences (0 = 10,000 for 2a/2b, 60,000 for 2c)
    check_every: int = 0  # test the frozen net every this many sequences (0 = 10 for 2a, 100 for 2b, 1000 for 2c)
    n_check: int = 256  # 2b/2c: fresh sequences in each periodic check (2a checks its two sequences)
    n_test: int = 10000  # final test: fresh sequences, all must meet the tolerance (paper 10,000)
    log_every: int = 5000  # progress line every this many training sequences

    def __post_init__(self):
        for name in ("n_nets", "p", "q", "batch", "n_check", "n_test", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("lr", "tol", "check_every", "max_seqs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (0 = the paper's value)")
        if self.p < 3:
            raise ValueError("p must be >= 3")
        if self.init_range <= 0:
            raise ValueError("init_range must be positive")
        if self.tol >= 1.0:
            raise ValueError("tol must be < 1")
        if self.model == "rnn" and self.variant == "2c":
            raise ValueError("the paper has no RTRL/BPTT baseline for 2c; use --model lstm")


SMOKE = dict(n_nets=2, p=12, q=12, max_seqs=300, n_check=32, n_test=64, check_every=50, log_every=100)
STREAMS = ("init", "data", "eval", "big", "probe")   # every random stream; "big" and "probe": the gradient check only

VARIANTS = ("2a", "2b", "2c")
DEFAULT_LR = {"2a": 1.0, "2b": 1.0, "2c": 0.1}     # paper: lr 1.0 for LSTM in 2a/2b, 0.01 in 2c
PAPER_TOL = {"2a": 0.25, "2b": 0.25, "2c": 0.2}    # paper: max abs output error for success


# ----------------------------------------------------------------------------- settings

def lr_of(cfg):
    return cfg.lr or DEFAULT_LR[cfg.variant]


def loss_of(cfg):
    return cfg.loss if cfg.loss != "auto" else ("mse" if cfg.variant == "2c" else "ce")


def max_seqs_of(cfg):
    return cfg.max_seqs or (60000 if cfg.variant == "2c" else 10000)


def tol_of(cfg):
    return cfg.tol or PAPER_TOL[cfg.variant]


def values_used(cfg):
    """The Config as a run uses it: each placeholder (0 or "auto" = the paper's value for the variant) resolved.
    The run record shows these values (record snippet)."""
    used = {name: getattr(cfg, name) for name in cfg.__dataclass_fields__}
    used.update(lr=lr_of(cfg), loss=loss_of(cfg), max_seqs=max_seqs_of(cfg), tol=tol_of(cfg),
                check_every=check_every_of(cfg))
    return used


def batch_of(cfg):
    return cfg.batch if cfg.variant == "2c" else 1


def check_every_of(cfg):
    return cfg.check_every or {"2a": 10, "2b": 100, "2c": 1000}[cfg.variant]


def n_symbols(cfg):
    """Input units: p+1 (a_1..a_{p-1}, x, y) for 2a/2b; p+4 (a_1..a_p, e, b, x, y) for 2c."""
    return cfg.p + 1 if cfg.variant in ("2a", "2b") else cfg.p + 4


# ----------------------------------------------------------------------------- tasks

def sample_ab(rng, n, cfg):
    """Task 2a/2b: n sequences of p+1 symbols; returns inputs (n, p) and next-symbol targets (n, p).

    Symbols 0..p-2 are a_1..a_{p-1}, p-1 is x, p is y.  A sequence is (k, m_1, ..., m_{p-1}, k) with the
    key k in {x, y} (probability 1/2 each); 2a: m = a_1..a_{p-1} (the same in every sequence);
    2b: every m_i drawn uniformly from a_1..a_{p-1}.  The net sees element t and predicts element t+1.
    """
    p = cfg.p
    key = p - 1 + rng.integers(0, 2, size=n)
    if cfg.variant == "2a":
        mid = np.broadcast_to(np.arange(p - 1), (n, p - 1))
    else:
        mid = rng.integers(0, p - 1, size=(n, p - 1))
    seq = np.concatenate([key[:, None], mid, key[:, None]], axis=1)
    return seq[:, :-1], seq[:, 1:]


def both_ab(cfg):
    """The two sequences of Task 2a (keys x and y): inputs (2, p), targets (2, p)."""
    p = cfg.p
    seq = np.array([[k] + list(range(p - 1)) + [k] for k in (p - 1, p)])
    return seq[:, :-1], seq[:, 1:]


def sample_c(rng, n, cfg):
    """Task 2c: n sequences (b, k, a_i1, ..., a_i(q+j), e) right-aligned in one window; target k.

    Symbols 0..p-1 are the distractors a_1..a_p, p is e, p+1 is b, p+2 is x, p+3 is y.  After the prefix
    (b, k, q distractors) every further element is a distractor with probability 9/10 or the trigger
    e with probability 1/10; after e the final element is the key k again, which the net must predict
    (the only error signal).  Returns sym (n, L) inputs (0 before a sequence starts), mask (n, L) 1 where
    a sequence runs, cls (n,) 0 for x, 1 for y.  L = q + 3 + the longest extra stretch in the batch.
    """
    p, q = cfg.p, cfg.q
    extra = rng.geometric(0.1, size=n) - 1                  # distractors beyond q: P(j) = 0.1 * 0.9^j
    length = q + 3 + extra                                  # b, k, q + j distractors, e
    L = int(length.max())
    cls = rng.integers(0, 2, size=n)
    sym = rng.integers(0, p, size=(n, L))
    start = L - length
    rows = np.arange(n)
    sym[rows, start] = p + 1
    sym[rows, start + 1] = p + 2 + cls
    sym[:, L - 1] = p
    mask = (np.arange(L)[None, :] >= start[:, None]).astype(float)
    sym = np.where(mask > 0, sym, 0)
    return sym, mask, cls


# ----------------------------------------------------------------------------- models

def sig(x):
    return 0.5 + 0.5 * np.tanh(0.5 * x)   # logistic sigmoid without overflow


def init_params(rngs, cfg):
    """Per-net weights stacked over nets (first axis S), uniform in [-init_range, init_range], no biases.

    2a/2b LSTM (paper: 10,504 weights at p = 100): Wo (V, V) input -> output, wc (V,) cell -> output,
      uc (V,) input -> cell input, ui (V,) input -> input gate.
    2a/2b RNN (paper's RTRL/BPTT net, 10,404 weights): Wo (V, V), wh (V,) hidden -> output,
      uh (V,) input -> hidden, r (1,) the hidden unit's self-connection.
    2c LSTM (paper: 664 weights at p = 100): Win (V, 6) input -> [cell 1, cell 2, in 1, in 2, out 1, out 2],
      Wr (6, 6) from [cell outputs y^c (2), input gates (2), output gates (2)] of the previous step,
      Wout (2, 2) cell outputs -> the two output units (x, y).
    """
    V = n_symbols(cfg)
    r = cfg.init_range
    if cfg.variant == "2c":
        shapes = dict(Win=(V, 6), Wr=(6, 6), Wout=(2, 2))
    elif cfg.model == "lstm":
        shapes = dict(Wo=(V, V), wc=(V,), uc=(V,), ui=(V,))
    else:
        shapes = dict(Wo=(V, V), wh=(V,), uh=(V,), r=(1,))
    P = {k: [] for k in shapes}
    for g in rngs:
        for k, shp in shapes.items():
            P[k].append(g.uniform(-r, r, size=shp))
    P = {k: np.array(v) for k, v in P.items()}
    if "Win" in P:                       # exactly one input unit is on at each step, so a shift of the
        P["Win"][:, :, 2:4] += cfg.gate_bias   # input gates' input weights acts as an input-gate bias
    return P


def n_weights(P):
    return int(sum(v[0].size for v in P.values()))


def _gather(M, X):
    """M (S, V, ...) indexed per net by symbols X (S, ...) -> (S, ..., ...)."""
    S = M.shape[0]
    return M[np.arange(S).reshape((S,) + (1,) * (X.ndim - 1)), X]


def _scatter(X, D, V):
    """Sum of D (S, ..., K) into rows X (S, ...) of an (S, V, K) array (the gradient of _gather)."""
    S = X.shape[0]
    K = D.shape[-1]
    flat = (X.reshape(S, -1) + V * np.arange(S)[:, None]).ravel()
    if K == 1:
        return np.bincount(flat, weights=D.ravel(), minlength=S * V).reshape(S, V, 1)
    oh = np.zeros((S * V, flat.size // S))                      # one-hot of the symbols, per net
    oh[flat, np.tile(np.arange(flat.size // S), S)] = 1.0
    return np.matmul(oh.reshape(S, V, -1), D.reshape(S, -1, K))


def lstm_ab_forward(P, X, last_only=False):
    """Task 2a/2b LSTM.  X (S, n, T) input symbols -> outputs y (S, n, T, V) and the cache.

    One memory cell with an input gate and no output gate (paper: "no output gate required"):
      y^in_t = f(ui . x_t),  g_t = f(uc . x_t)   (f logistic, g in [0, 1]),
      s_t = s_{t-1} + y^in_t g_t   (constant error carousel, s_{-1} = 0, no forget gate),
      y^c_t = h(s_t) = s_t   (h the identity),   y_t = f(Wo^T x_t + wc y^c_t).
    Neither the cell nor the gate sees the previous step, so the whole sequence is computed at once.
    """
    yi = sig(_gather(P["ui"], X))
    g = sig(_gather(P["uc"], X))
    s = np.cumsum(yi * g, axis=-1)
    if last_only:                # only the prediction of the final element (the 2b test)
        return sig(_gather(P["Wo"], X[..., -1]) + s[..., -1, None] * P["wc"][:, None, :])[..., None, :], None
    y = sig(_gather(P["Wo"], X) + s[..., None] * P["wc"][:, None, None, :])
    return y, dict(X=X, yi=yi, g=g, s=s, y=y)


def rnn_ab_forward(P, X, last_only=False):
    """The paper's RTRL/BPTT net: one self-recurrent logistic hidden unit, p+1 output units.

    h_t = f(uh . x_t + r h_{t-1}) (h_{-1} = 0),  y_t = f(Wo^T x_t + wh h_t).
    """
    S, n, T = X.shape
    a = _gather(P["uh"], X)
    r = P["r"][:, :1]                                   # (S, 1)
    H = np.zeros((S, n, T + 1))
    for t in range(T):
        H[..., t + 1] = sig(a[..., t] + r * H[..., t])
    if last_only:
        return sig(_gather(P["Wo"], X[..., -1]) + H[..., -1, None] * P["wh"][:, None, :])[..., None, :], None
    y = sig(_gather(P["Wo"], X) + H[..., 1:, None] * P["wh"][:, None, None, :])
    return y, dict(X=X, H=H, y=y)


def online_ab(cfg, P, X, D, lr, on=None):
    """Task 2a/2b, the paper's online learning: the nets run through one sequence each, step by step.

    X, D (S, T): input symbols and next-symbol targets of one sequence per net.  At every step the error
    0.5 * sum_k (y_k - d_k)^2 is formed and (lr > 0) the weights change at once by -lr times its
    gradient, computed forward in time (RTRL-style), so no backward pass through the sequence exists:
      LSTM: ds_t/dui = ds_{t-1}/dui + g f'(ui . x_t) x_t,  ds_t/duc = ds_{t-1}/duc + y^in f'(uc . x_t) x_t
            (exact here: the cell and its gate see only the current input, the CEC is the only recurrence);
      RNN:  dh_t/dw = f'(net_t) (r dh_{t-1}/dw + d net_t/dw)  (RTRL for the self-recurrent unit).
    on (S,) 0/1 (LSTM): 0 while a net has no memory cell yet (its wc is 0 and ui, uc, wc do not learn).
    With lr = 0 the weights stay fixed and the summed per-step gradients are returned: the exact gradient
    of the sequence's summed error (what the gradient check compares).  Returns (grads or None, sq (S, T)).
    """
    if cfg.model == "lstm":
        return _online_ab_lstm(cfg, P, X, D, lr, on)
    S, T = X.shape
    V = P["Wo"].shape[1]
    si = np.arange(S)
    G = {k: np.zeros_like(v) for k, v in P.items()} if lr == 0 else None
    sq = np.empty((S, T))
    h = np.zeros(S)                           # the hidden unit
    dA, dB = np.zeros((S, V)), np.zeros((S, V))   # dh/duh, (dB[:, 0]) dh/dr
    ce = np.empty((S, T)) if loss_of(cfg) == "ce" else False
    for t in range(T):
        x = X[:, t]
        hn = sig(P["uh"][si, x] + P["r"][:, 0] * h)
        fp = hn * (1.0 - hn)
        dA *= (P["r"][:, 0] * fp)[:, None]
        dA[si, x] += fp
        dB[:, 0] = fp * (h + P["r"][:, 0] * dB[:, 0])
        h = hn
        y = sig(P["Wo"][si, x] + h[:, None] * P["wh"])
        e = y.copy()
        e[si, D[:, t]] -= 1.0
        sq[:, t] = 0.5 * np.sum(e * e, axis=1)
        if ce is not False:      # cross-entropy sum_k -d log y - (1 - d) log(1 - y), for the gradient check
            ce[:, t] = -np.sum(np.log(np.where(e < 0, y, 1.0 - y) + 1e-300), axis=1)
        dn = e * y * (1.0 - y) if ce is False else e            # (S, V) error at the output nets
        dstate = np.sum(dn * P["wh"], axis=1)                   # dE_t / dh_t
        grads = {"Wo": dn, "wh": dn * h[:, None], "uh": dstate[:, None] * dA, "r": (dstate * dB[:, 0])[:, None]}
        for k, gk in grads.items():
            if k == "Wo":
                if G is None:
                    P["Wo"][si, x] -= lr * gk
                else:
                    G["Wo"][si, x] += gk
            elif G is None:
                P[k] -= lr * gk
            else:
                G[k] += gk
    return G, (sq if ce is False or lr > 0 else ce)


def _online_ab_lstm(cfg, P, X, D, lr, on=None):
    """online_ab for the LSTM: the same arithmetic, bit for bit, in preallocated buffers.

    The weights live at half scale during the sequence (Woh = Wo/2, wch = wc/2, H = [ui, uc]/2), so
    z/2 feeds tanh directly (f(z) = (1 + tanh(z/2))/2); every rescaling is by a power of two, hence
    exact.  Rows of Wo, ui, uc are gathered and scattered through the flat index net * V + symbol.
    """
    S, T = X.shape
    V = P["Wo"].shape[1]
    mul, add, sub, tanh = np.multiply, np.add, np.subtract, np.tanh
    ce_loss = loss_of(cfg) == "ce"
    Woh = 0.5 * P["Wo"].reshape(S * V, V)
    wch = 0.5 * P["wc"]
    H = 0.5 * np.stack([P["ui"], P["uc"]], axis=-1)                # (S, V, 2)
    Hf = H.reshape(S * V, 2)
    # each step subtracts rate/2 times the step's gradient from the targets tWo, twc, tH
    if lr == 0:                                                    # gradient mode: rate -1 into zeroed sums
        rate, tWo, twc, tH = -1.0, np.zeros_like(Woh), np.zeros_like(wch), np.zeros_like(H)
    else:                                                          # training: rate lr into the weights
        rate, tWo, twc, tH = lr, Woh, wch, H
    lrh = 0.5 * rate
    IX = np.ascontiguousarray((X + V * np.arange(S)[:, None]).T)   # (T, S) flat row of each step's symbol
    OH = (D.T[:, :, None] == np.arange(V)).astype(float)           # (T, S, V) one-hot targets
    E = np.empty((T, S, V))                                        # y - d of every step
    Y = np.empty((T, S, V)) if (ce_loss and lr == 0) else None
    a, f, omf, inc = (np.zeros((S, 2)) for _ in range(4))
    f0, f1 = f[:, :1], f[:, 1:]                                    # y^in, g
    half2, one2 = np.full((S, 2), 0.5), np.ones((S, 2))
    yg, state, dsh = np.zeros((S, 1)), np.zeros((S, 1)), np.zeros((S, 1))
    dAB = np.zeros((S, V, 2))                                      # ds/dui, ds/duc (zero for unseen symbols)
    dABf = dAB.reshape(S * V, 2)
    o, y, tmp, dn, omy = (np.zeros((S, V)) for _ in range(5))
    halfV, oneV, lrhV = np.full((S, V), 0.5), np.ones((S, V)), np.full((S, V), lrh)
    tmp3 = np.zeros((S, V, 2))
    rate3 = np.full((S, V, 2), rate)
    so = np.zeros((S, 1))
    on_col = None if on is None else np.asarray(on, float)[:, None]
    if on_col is not None:
        gate_on = np.broadcast_to(on_col, (S, 1)).copy()
    red = np.add.reduce
    dsh0, dsh3 = dsh[:, 0], dsh[:, :, None]
    one = S == 1                  # one net: its rows are slices (views, updated in place); else index arrays
    rows = [slice(i, i + 1) for i in IX[:, 0].tolist()] if one else list(IX)
    # rate/2 a power of two (training at lr 1, gradient mode): (rate/2 e) s rounds as rate/2 (e s)
    pow2 = np.frexp(lrh)[0] in (0.5, -0.5)
    for t, r, et, oh in zip(range(T), rows, E, OH):
        tanh(Hf[r], a)                                             # [ui, uc] . x_t / 2 -> tanh
        mul(a, half2, f)
        add(f, half2, f)                                           # y^in = f(ui . x), g = f(uc . x)
        mul(f1, f0, yg)                                            # y^in g
        sub(one2, f, omf)
        mul(yg, omf, inc)                                          # g f'(ui . x), y^in f'(uc . x) (f' = f (1 - f))
        if one:
            v = dABf[r]
            add(v, inc, v)
        else:
            dABf[r] += inc                                         # ds/du at the row of x_t
        add(state, yg, state)                                      # CEC: s_t = s_{t-1} + y^in g
        mul(state, wch, tmp)
        add(Woh[r], tmp, o)
        tanh(o, o)
        mul(o, halfV, y)
        add(y, halfV, y)                                           # y_t = f(Wo^T x_t + wc s_t)
        sub(y, oh, et)                                             # y - d
        if Y is not None:
            Y[t] = y
        if ce_loss:
            e_net = et                                             # cross-entropy: the error at the output nets
        else:
            mul(et, y, dn)
            sub(oneV, y, omy)
            mul(dn, omy, dn)
            e_net = dn
        mul(e_net, wch, tmp)
        red(tmp, 1, None, dsh0)                                    # dE_t / ds_t, halved
        if on_col is not None:
            mul(dsh, gate_on, dsh)
            mul(state, gate_on, so)
        else:
            so = state
        mul(e_net, lrhV, tmp)
        if one:
            v = tWo[r]
            sub(v, tmp, v)
        else:
            tWo[r] -= tmp                                          # Wo row of x_t
        if pow2:
            mul(tmp, so, tmp)
        else:
            mul(e_net, so, tmp)
            mul(tmp, lrhV, tmp)
        sub(twc, tmp, twc)                                         # wc
        mul(dsh3, dAB, tmp3)
        if rate != 1.0:
            mul(tmp3, rate3, tmp3)
        sub(tH, tmp3, tH)                                          # ui, uc
    sq = np.ascontiguousarray(0.5 * np.sum(E * E, axis=2).T)       # (S, T)
    if lr == 0:
        G = dict(Wo=2.0 * tWo.reshape(S, V, V), wc=2.0 * twc, ui=2.0 * tH[..., 0], uc=2.0 * tH[..., 1])
        if ce_loss:
            ce = np.ascontiguousarray(-np.sum(np.log(np.where(E < 0, Y, 1.0 - Y) + 1e-300), axis=2).T)
            return G, ce
        return G, sq
    P["Wo"][...] = 2.0 * Woh.reshape(S, V, V)
    P["wc"][...] = 2.0 * wch
    P["ui"][...], P["uc"][...] = 2.0 * H[..., 0], 2.0 * H[..., 1]
    return None, sq


def lstm_c_forward(P, sym, mask, grad=False, fixed_h=None):
    """Task 2c LSTM over right-aligned sequences; sym, mask (S, n, L).  Returns y (S, n, 2) and a cache.

    Two memory blocks of one cell each, input gate y^in and output gate y^out per block, no biases:
      net_t = Win[x_t] + z_{t-1} Wr,  z = [y^c_1, y^c_2, y^in_1, y^in_2, y^out_1, y^out_2] (z_{-1} = 0)
      g = 4 f(net_c) - 2 in [-2, 2];  s_t = s_{t-1} + y^in g (CEC, no forget gate);
      y^c = y^out h(s_t),  h(s) = 2 f(s) - 1 in [-1, 1];  after the trigger e: y = f(y^c Wout).
    grad=True keeps what the paper's truncated gradient needs (lstm_c_backward).
    fixed_h (L, S, n, 6): use these z_{t-1} instead of the net's own (the gradient check's detached loss).
    """
    Win, Wr = P["Win"], P["Wr"]
    S, n, L = sym.shape
    Wx = np.moveaxis(Win[np.arange(S)[:, None, None], sym], 2, 0)     # (L, S, n, 6) input drive
    M = np.moveaxis(mask, 2, 0)[..., None]                             # (L, S, n, 1)
    z = np.zeros((S, n, 6))
    s = np.zeros((S, n, 2))
    Z = np.empty((L, S, n, 6)) if fixed_h is None else fixed_h
    A = np.empty((L, S, n, 6)) if grad else None
    Ss = np.empty((L, S, n, 2)) if grad else None
    for t in range(L):
        if fixed_h is None:
            Z[t] = z
        a = np.tanh(0.5 * (Wx[t] + np.matmul(Z[t], Wr)))               # 2 f(net) - 1
        a += 1.0
        a *= 0.5                                                         # f(net) of all six units
        if grad:
            A[t] = a
        s += M[t] * (a[..., 2:4] * (4.0 * a[..., :2] - 2.0))
        if grad:
            Ss[t] = s
        z = np.concatenate([a[..., 4:] * np.tanh(0.5 * s), a[..., 2:]], axis=-1)
        z *= M[t]
    hs = np.tanh(0.5 * s)
    yc = z[..., :2]
    y = sig(np.matmul(yc, P["Wout"]))
    cache = dict(y=y, yc=yc, hs=hs, yout=z[..., 4:], Z=Z, sym=sym, M=M, A=A, s=Ss)
    return y, cache


def lstm_c_backward(P, cache, dy, ce=False):
    """The paper's truncated gradient of the end-of-sequence error.

    Errors reaching the net inputs of cells and gates are not sent back in time; only the cell states
    carry error back (through the CEC, undamped).  So with the inputs z_m of a unit (one-hot x_t and z_{t-1}):
      dE/dw(cell input j, m) = dE/ds_j(T) sum_t y^in_j g'(net_cj) z_m(t),
      dE/dw(input gate j, m) = dE/ds_j(T) sum_t g_j f'(net_inj) z_m(t),
      dE/dw(output gate j, m) = dE/dnet_outj(T) z_m(T),  the output gate only at the last step.
    The sums are what the paper accumulates forward in time; here they are formed after the pass.
    """
    y, yc, hs, yout, A, Z, M, sym = (cache[k] for k in ("y", "yc", "hs", "yout", "A", "Z", "M", "sym"))
    S, n, L = sym.shape
    V = P["Win"].shape[1]
    dnet = dy if ce else dy * y * (1.0 - y)                           # (S, n, 2); ce: dy = y - d
    gWout = np.einsum("snj,snk->sjk", yc, dnet)
    dyc = np.einsum("snk,sjk->snj", dnet, P["Wout"])
    ds = dyc * yout * 0.5 * (1.0 - hs ** 2)                           # h'(s) = (1 - h^2) / 2
    dno = dyc * hs * yout * (1.0 - yout)                              # output gates, last step only
    ac, yin = A[..., :2], A[..., 2:4]
    C = np.concatenate([yin * 4.0 * ac * (1.0 - ac), (4.0 * ac - 2.0) * yin * (1.0 - yin)], axis=-1)
    C *= M * np.concatenate([ds, ds], axis=-1)                        # (L, S, n, 4): units c1, c2, in1, in2
    gWin = np.zeros_like(P["Win"])
    flat = (np.moveaxis(sym, 2, 0) + V * np.arange(S)[None, :, None]).ravel()
    for k in range(4):
        gWin[..., k] = np.bincount(flat, weights=C[..., k].ravel(), minlength=S * V).reshape(S, V)
    gWin[..., 4:] = _scatter(sym[..., -1:], dno[:, :, None, :], V)
    gWr = np.zeros_like(P["Wr"])
    gWr[..., :4] = np.einsum("tsnk,tsnm->smk", C, Z)
    gWr[..., 4:] = np.einsum("snm,snk->smk", Z[-1], dno)
    return dict(Win=gWin, Wr=gWr, Wout=gWout)


# ----------------------------------------------------------------------------- losses

def onehot(idx, K):
    return (idx[..., None] == np.arange(K)).astype(float)


def loss_and_grads(cfg, P, data):
    """Summed error 0.5 * sum (y - d)^2 and its gradient per net.

    2a/2b: data = (X, D) inputs and next-symbol targets (S, n, T), error at every step (the paper's
    continual prediction).  2c: data = (sym, mask, cls), error at the sequence end only.
    Returns (loss, grads, y).
    """
    if cfg.variant == "2c":
        sym, mask, cls = data
        y, cache = lstm_c_forward(P, sym, mask, grad=True)
        err = y - onehot(cls, 2)
        if loss_of(cfg) == "ce":
            loss = -np.sum(np.log(np.where(err < 0, y, 1.0 - y) + 1e-300))
            return float(loss), lstm_c_backward(P, cache, err, ce=True), y
        return float(0.5 * np.sum(err ** 2)), lstm_c_backward(P, cache, err), y
    X, D = data
    fwd = lstm_ab_forward if cfg.model == "lstm" else rnn_ab_forward
    y, _ = fwd(P, X)
    G, sq = online_ab(cfg, P, X[:, 0], D[:, 0], 0.0)
    return float(np.sum(sq)), G, y


def predict(cfg, P, data, last_only=False):
    if cfg.variant == "2c":
        return lstm_c_forward(P, data[0], data[1])[0]
    return (lstm_ab_forward if cfg.model == "lstm" else rnn_ab_forward)(P, data[0], last_only)[0]


def max_errors(cfg, P, data, hits=False):
    """Per net and sequence: the largest |y - d| over the outputs that the success criterion looks at.

    2a: every output unit at every step; 2b: every output unit at the final step (x/y, the only
    predictable targets); 2c: both output units at the sequence end.  Returns (S, n); with hits=True
    also (S, n) bool: the most active output at the final step is the right one (a looser measure).
    """
    y = predict(cfg, P, data, last_only=cfg.variant == "2b")
    if cfg.variant == "2c":
        d = onehot(data[2], 2)
        e = np.abs(y - d).max(-1)
        h = np.argmax(y, -1) == data[2]
    else:
        d = onehot(data[1], y.shape[-1])
        e = np.abs(y[:, :, -1] - d[:, :, -1]).max(-1) if cfg.variant == "2b" else np.abs(y - d).max(axis=(-1, -2))
        h = np.argmax(y[:, :, -1], -1) == data[1][:, :, -1]
    return (e, h) if hits else e


# ----------------------------------------------------------------------------- training

def net_streams(seed, cfg):
    """Net i draws everything from rng_streams(seed + i): a net's run does not depend on n_nets."""
    return [rng_streams(seed + i, STREAMS) for i in range(cfg.n_nets)]


def sample(streams, key, n, cfg):
    """n sequences per net, stacked over nets."""
    if cfg.variant == "2c":
        parts = [sample_c(st[key], n, cfg) for st in streams]
        L = max(pt[0].shape[1] for pt in parts)
        pad = lambda a: np.pad(a, ((0, 0), (L - a.shape[1], 0)))   # noqa: E731  left-pad to a common window
        return (np.stack([pad(pt[0]) for pt in parts]), np.stack([pad(pt[1]) for pt in parts]),
                np.stack([pt[2] for pt in parts]))
    parts = [sample_ab(st[key], n, cfg) for st in streams]
    return np.stack([pt[0] for pt in parts]), np.stack([pt[1] for pt in parts])


def check_set(cfg, streams, n):
    """The sequences of a success test: 2a its two sequences, otherwise n fresh ones per net."""
    if cfg.variant == "2a":
        X, D = both_ab(cfg)
        S = len(streams)
        return np.broadcast_to(X, (S,) + X.shape), np.broadcast_to(D, (S,) + D.shape)
    return sample(streams, "eval", n, cfg)


def passes(cfg, P, streams, n, chunk=1000):
    """(S,) bool: every test sequence within the tolerance."""
    ok = np.ones(len(streams), dtype=bool)
    if cfg.variant == "2a":
        return np.all(max_errors(cfg, P, check_set(cfg, streams, n)) < tol_of(cfg), axis=1)
    for a in range(0, n, chunk):
        ok &= np.all(max_errors(cfg, P, sample(streams, "eval", min(chunk, n - a), cfg)) < tol_of(cfg), axis=1)
    return ok


def train(cfg, seed, callback=None):
    """Train n_nets nets side by side by plain gradient descent until each passes a periodic check.

    Every check_every sequences each still-learning net is tested with frozen weights (2a: both
    sequences, which is the same as any number of presentations; 2b/2c: n_check fresh sequences and,
    if those pass, the paper's n_test = 10,000 fresh ones); a net that passes is frozen and its
    sequence count recorded.  Returns dict(P, stop (S,) sequences until the check was passed or -1, history).
    """
    streams = net_streams(seed, cfg)
    P = init_params([st["init"] for st in streams], cfg)
    S, lr, nb, every = cfg.n_nets, lr_of(cfg), batch_of(cfg), check_every_of(cfg)
    stop = np.full(S, -1)
    seen = 0
    hist = dict(seqs=[], train_err=[], end_err=[])
    growing = cfg.grow and cfg.model == "lstm" and cfg.variant != "2c"
    on = np.zeros(S) if growing else np.ones(S)        # 1 once a net has its memory cell
    grown_at = np.where(on > 0, 0, -1)
    wc_new = P["wc"].copy() if growing else None       # the cell's read weights, drawn at init, used when added
    if growing:
        P["wc"][:] = 0.0
    prev_err = np.full(S, np.inf)
    acc, acc_end, acc_n = np.zeros(S), np.zeros(S), np.zeros(S)
    while seen < max_seqs_of(cfg) and np.any(stop < 0):
        n = min(nb, max_seqs_of(cfg) - seen)
        act = np.flatnonzero(stop < 0)              # nets still learning; passed nets are frozen and skipped
        sub = [streams[i] for i in act]
        data = sample(sub, "data", n, cfg)
        full = act.size == S
        Pa = P if full else {k: v[act] for k, v in P.items()}
        if cfg.variant == "2c":                      # one update per batch of sequences (error at the end only)
            _, grads, y = loss_and_grads(cfg, Pa, data)
            for k in Pa:
                Pa[k] -= lr * grads[k]
            e_all = e_end = 0.5 * np.sum((y - onehot(data[2], 2)) ** 2, axis=-1).sum(-1)
        else:                                        # online: a weight change after every step (batch 1)
            _, sq = online_ab(cfg, Pa, data[0][:, 0], data[1][:, 0], lr, on[act] if growing else None)
            e_all, e_end = sq.mean(-1), sq[:, -1]
        if not full:
            for k in P:
                P[k][act] = Pa[k]
        acc[act] += e_all
        acc_end[act] += e_end
        acc_n[act] += n
        seen += n
        if seen % every < n or seen >= max_seqs_of(cfg):
            ok = passes(cfg, {k: v[act] for k, v in P.items()}, sub, cfg.n_check)
            if cfg.variant != "2a" and ok.any():         # the paper's test: n_test fresh sequences, all within tol
                cand = act[ok]
                ok[ok] = passes(cfg, {k: v[cand] for k, v in P.items()}, [streams[i] for i in cand], cfg.n_test)
            stop[act[ok]] = seen
            if growing:                                  # the paper's construction: add the cell on a plateau
                err = acc / np.maximum(acc_n, 1)
                add = (on == 0) & (acc_n > 0) & (err > (1.0 - cfg.grow_tol) * prev_err)
                on[add] = 1.0
                grown_at[add] = seen
                P["wc"][add] = wc_new[add]
                prev_err = err
            hist["seqs"].append(seen)
            with np.errstate(invalid="ignore", divide="ignore"):   # nan for nets frozen all window long
                hist["train_err"].append(np.where(acc_n > 0, acc / acc_n, np.nan))
                hist["end_err"].append(np.where(acc_n > 0, acc_end / acc_n, np.nan))
            acc, acc_end, acc_n = np.zeros(S), np.zeros(S), np.zeros(S)
        if seen % cfg.log_every < n:
            progress(f"{cfg.variant} {cfg.model} {seen:7d} seqs  end-of-sequence error (net 0) "
                     f"{hist['end_err'][-1][0] if hist['end_err'] else float('nan'):.4f}  "
                     f"passed {int(np.sum(stop >= 0))}/{S}")
        if callback is not None:
            callback(seen, dict(P=P, stop=stop, hist=hist))
    hist = {k: np.array(v) for k, v in hist.items()}
    return dict(P=P, stop=stop, history=hist, grown_at=grown_at)


def evaluate(cfg, P, seed):
    """Final test with frozen weights: n_test fresh sequences per net (2a: its two sequences).

    Returns per-net arrays: passed (all within tol), worst (largest error), frac_ok (fraction within tol).
    """
    streams = net_streams(seed, cfg)
    n = 2 if cfg.variant == "2a" else cfg.n_test
    worst, n_ok, n_hit = np.zeros(cfg.n_nets), np.zeros(cfg.n_nets), np.zeros(cfg.n_nets)
    for a in range(0, n, 1000):
        data = check_set(cfg, streams, n) if cfg.variant == "2a" else sample(streams, "eval", min(1000, n - a), cfg)
        e, h = max_errors(cfg, P, data, hits=True)
        worst = np.maximum(worst, e.max(1))
        n_ok = n_ok + (e < tol_of(cfg)).sum(1)
        n_hit = n_hit + h.sum(1)
    return dict(passed=n_ok == n, worst=worst, frac_ok=n_ok / n, end_acc=n_hit / n)


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    ev = evaluate(cfg, out["P"], seed)
    stop = out["stop"]
    ok = (stop > 0) & ev["passed"]
    # Sequences to success per net, NaN for a net that never succeeded: a mean or maximum over the
    # nets is then NaN unless every net succeeded (the paper's means are over all its trials), and a
    # median is NaN once half of the nets failed.
    seqs = np.where(ok, stop, np.nan).astype(float)
    return dict(
        solved=int(ok[0]),
        seqs_to_solve=float(seqs[0]),
        test_worst_err=float(ev["worst"][0]),
        test_frac_ok=float(ev["frac_ok"][0]),
        nets_solved=int(ok.sum()),
        n_nets=cfg.n_nets,
        mean_seqs=float(np.mean(seqs)),
        median_seqs=_median_failed_last(seqs),
        max_seqs=float(np.max(seqs)),
        mean_test_frac_ok=float(ev["frac_ok"].mean()),
        test_end_acc=float(ev["end_acc"][0]),
        mean_test_end_acc=float(ev["end_acc"].mean()),
        n_weights=n_weights(out["P"]),
    )


def _median_failed_last(x):
    """Median of x with NaN (never reached) ranked above every number: NaN when half or more are NaN."""
    v = np.sort(np.where(np.isnan(x), np.inf, x))
    n = v.size
    m = v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])
    return float(m) if np.isfinite(m) else float("nan")


def gradcheck(cfg, seed) -> dict:
    """Central differences vs the hand-written gradients (float64, small p).

    2a/2b LSTM and RNN: the exact gradient.  2c LSTM: the paper's truncated gradient equals the exact
    gradient of the loss in which the fed-back activations z_{t-1} seen by the cells' and gates' net
    inputs are held at their recorded values; that detached loss is what is differentiated numerically.
    """
    errors = {}
    r = rng_streams(seed, STREAMS)
    base = {f: getattr(cfg, f) for f in cfg.__dataclass_fields__}
    for variant, model, lossname in (("2a", "lstm", "mse"), ("2b", "lstm", "mse"), ("2b", "lstm", "ce"),
                                     ("2b", "rnn", "mse"), ("2b", "rnn", "ce"), ("2c", "lstm", "mse"),
                                     ("2c", "lstm", "ce")):
        small = Config(**{**base, "variant": variant, "model": model, "loss": lossname, "n_nets": 2, "p": 7, "q": 6})
        streams = net_streams(seed, small)
        P = init_params([st["init"] for st in streams], small)
        for k in P:                  # larger weights than the init, so every path carries a sizeable gradient
            P[k] += r["big"].normal(0.0, 0.7, size=P[k].shape)
        data = sample(streams, "data", 3 if variant == "2c" else 1, small)
        if variant == "2c":
            _, cache = lstm_c_forward(P, data[0], data[1])
            Z = cache["Z"].copy()
            def loss():
                y = lstm_c_forward(P, data[0], data[1], fixed_h=Z)[0]
                if lossname == "ce":
                    return -np.sum(np.log(np.where(onehot(data[2], 2) > 0, y, 1.0 - y)))
                return 0.5 * np.sum((y - onehot(data[2], 2)) ** 2)
        else:
            loss = lambda: loss_and_grads(small, P, data)[0]  # noqa: E731
        _, grads, _ = loss_and_grads(small, P, data)
        for k, e in numeric_gradcheck(loss, P, grads, r["probe"], eps=1e-5, probes=25).items():
            errors[f"{variant}.{model}.{lossname}.{k}"] = e
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
