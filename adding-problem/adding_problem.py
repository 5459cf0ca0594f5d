"""The adding problem with the 1997 LSTM (Hochreiter & Schmidhuber 1997, Experiment 4).

Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8):1735-1780 (1997),
Experiment 4 (first posed in "LSTM can solve hard long time lag problems", NIPS 9, 1996).

Claim: the 1997 LSTM cell (input and output gates, no forget gate, a constant error carousel),
two memory blocks of two cells (93 weights), trained by plain gradient descent at the paper's
learning rate 0.5 with the paper's truncated gradient, learns to add two marked real numbers
across a minimal time lag of T/2 = 50 steps: seed 0 meets the paper's stopping criterion (the
2000 most recent training sequences all within 0.04 of their target) after 239,232 sequences
(paper: 74,000 on average) and then errs on 6 of 2560 fresh test sequences (paper: 1). A tanh
RNN of the same size and training budget does not learn the task.

Run:  python3 adding_problem.py --seed 0                  (T = 100, the headline)
      python3 adding_problem.py --seed 0 --model rnn      (the vanilla RNN baseline)
      python3 adding_problem.py --seed 0 --T 500 --batch 1 --in-bias -3 --max-seqs 1000000   (online T = 500, ~20 CPU-min)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "adding-problem"
META = dict(
    title="the adding problem: two marked reals summed across T/2 steps by the 1997 LSTM",
    paper="Hochreiter & Schmidhuber 1997, Long Short-Term Memory (Neural Computation 9(8)), Experiment 4",
    year=1997,
    claim=("The 1997 LSTM (no forget gate, 93 weights), plain gradient descent at the paper's rate 0.5 with its "
           "truncated gradient, T = 100: 3/5 seeds (0-4) meet the paper's stopping criterion within 400,000 "
           "sequences, after 239,232-344,224 (median 344,224; paper mean 74,000), and all five then err on 6-14 "
           "of 2560 test sequences (paper 1): the paper's criterion is not met (its gate biases -3/-6: 0/5 stop); "
           "a tanh RNN never learns the task; "
           "at T = 500 and 1000 nothing is learned within our caps"),
    figure=dict(args="--seeds 0-9", metric="test_wrong"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="solved", claim="== 1", paper="stops (mean 74,000 seqs)",
         published="no stopping criterion"),
    dict(tier="headline", args="--seed 0", metric="seqs", claim="<= 240000", paper="74,000",
         published="256,000 (fixed budget)"),
    dict(tier="headline", args="--seed 0", metric="test_wrong", claim="<= 6", paper="1 of 2560",
         published="45 of 512"),
    dict(tier="headline", args="--seed 0 --model rnn", metric="solved", claim="== 0", paper="—",
         published="RNN MSE 0.0706"),
    dict(tier="headline", args="--seed 0 --model rnn", metric="test_wrong", claim=">= 1280", paper="—",
         published="430 of 512"),
    dict(tier="long", args="--seed 0 --T 500 --max-seqs 1000000", metric="solved", claim="== 0",
         paper="stops (mean 209,000 seqs)", published="not run"),
    dict(tier="long", args="--seed 0 --T 500 --max-seqs 1000000", metric="seqs", claim="== 1000000",
         paper="209,000", published="not run"),
    dict(tier="long", args="--seed 0 --T 500 --max-seqs 1000000", metric="test_wrong", claim=">= 2000",
         paper="0 of 2560", published="not run"),
    dict(tier="long", args="--seed 0 --T 1000 --max-seqs 300000", metric="solved", claim="== 0",
         paper="stops (mean 853,000 seqs)", published="not run"),
    dict(tier="long", args="--seed 0 --T 1000 --max-seqs 300000", metric="seqs", claim="== 300000",
         paper="853,000", published="not run"),
    dict(tier="long", args="--seed 0 --T 1000 --max-seqs 300000", metric="test_wrong", claim=">= 2000",
         paper="1 of 2560", published="not run"),
    dict(tier="long", args="--seed 0 --T 500 --batch 1 --in-bias -3 --max-seqs 1000000", metric="seqs_to_stop",
         claim="<= 209000", kind="paper", paper="stops after 209,000 sequences on average (T = 500; online updates, "
         "biases -3/-6); ours: the same schedule, one trial (seed 0), budget 1,000,000", published="not run"),
    dict(tier="long", args="--seed 0 --T 500 --batch 1 --in-bias -3 --max-seqs 1000000", metric="test_wrong",
         claim="<= 6", paper="0 of 2560", published="not run"),
    dict(tier="long", args="--seed 0 --T 1000 --batch 1 --in-bias -3 --max-seqs 1000000", metric="seqs_to_stop",
         claim="<= 853000", kind="paper", paper="stops after 853,000 sequences on average (T = 1000; online updates, "
         "biases -3/-6); ours: the same schedule, one trial (seed 0), budget 1,000,000 (never stopping gives NaN)",
         published="not run"),
    dict(tier="long", args="--seed 0 --T 1000 --batch 1 --in-bias -3 --max-seqs 1000000", metric="test_wrong",
         claim=">= 2000", paper="1 of 2560", published="not run"),
    dict(tier="seeds", args="--seeds 0-9", metric="solved_seeds", claim=">= 3/10", paper="every trial stops",
         published="5/5 (MSE < 0.04, no stopping criterion)"),
    dict(tier="seeds", args="--seeds 0-9", metric="min_seqs_to_stop", claim="<= 260000", paper="74,000 (mean)",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="median_test_wrong", claim="<= 12", paper="1 of 2560",
         published="45 of 512"),
    dict(tier="seeds", args="--seeds 0-9", metric="q1_test_wrong", claim="<= 8", paper="1 of 2560",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="q3_test_wrong", claim="<= 16", paper="1 of 2560",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="max_test_wrong", claim="<= 20", paper="1 of 2560",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="mean_seqs_to_stop", claim="<= 74000", kind="paper",
         paper="every trial stops, mean 74,000 sequences (T = 100)", published="no stopping criterion"),
    dict(tier="seeds", args="--seeds 0-9", metric="mean_test_wrong", claim="<= 1", kind="paper",
         paper="1 of 2560 test sequences wrong (T = 100)", published="45 of 512"),
    dict(tier="seeds", args="--seeds 0-4 --in-bias -3", metric="solved_seeds", claim="<= 1/5",
         paper="every trial stops (biases -3/-6)", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --in-bias -3", metric="median_test_wrong", claim="<= 20",
         paper="1 of 2560", published="—"),
    # the paper's own schedule: online (one sequence per update) at rate 0.5, input-gate biases -3/-6
    dict(tier="seeds", args="--seeds 0-9 --batch 1 --in-bias -3", metric="mean_seqs_to_stop", claim="<= 74000",
         kind="paper", paper="every trial stops, mean 74,000 sequences (T = 100; online updates, biases -3/-6); "
         "ours: the same schedule, 10 trials (seeds 0-9), budget 400,000 (a run that does not stop makes the mean NaN)",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9 --batch 1 --in-bias -3", metric="mean_test_wrong", claim="<= 1", kind="paper",
         paper="1 of 2560 test sequences wrong (T = 100; online updates); ours: 10 trials", published="—"),
    dict(tier="seeds", args="--seeds 0-9 --batch 1 --in-bias -3", metric="solved_seeds", claim="<= 1/10",
         paper="every trial stops", published="—"),
    dict(tier="seeds", args="--seeds 0-9 --batch 1 --in-bias -3", metric="median_test_wrong", claim="<= 15",
         paper="1 of 2560", published="—"),
    # a linear output unit (the tails of the logistic output are where the remaining errors sit)
    dict(tier="seeds", args="--seeds 0-4 --output linear --lr 0.1", metric="solved_seeds", claim=">= 1/5",
         paper="every trial stops", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --output linear --lr 0.1", metric="median_test_wrong", claim="<= 6",
         paper="1 of 2560", published="—"),
]


@dataclass(frozen=True)
class Config:
    model: str = field(default="lstm", metadata={"choices": ("lstm", "rnn")})  # lstm: the 1997 cell; rnn: vanilla tanh RNN baseline
    T: int = 100  # minimal sequence length; each sequence has T to T + T/10 pairs, minimal lag T/2
    blocks: int = 2  # LSTM memory blocks (each with one input gate and one output gate)
    cells: int = 2  # memory cells per block
    rnn_hidden: int = 8  # hidden units of the RNN baseline (97 weights, against the LSTM's 93)
    init_range: float = 0.1  # every weight and bias starts uniform in [-init_range, init_range] ...
    in_bias: float = -1.5  # ... except the input-gate bias of block b, which starts at in_bias * (b + 1) (paper: -3)
    out_bias: float = 0.0  # output-gate bias of block b starts at out_bias * (b + 1) (0 = random like the rest)
    output: str = field(default="logistic", metadata={"choices": ("logistic", "linear")})  # squashing of the output unit
    gradient: str = field(default="truncated", metadata={"choices": ("truncated", "full")})  # truncated: the paper's (error flows back only inside the cells); full: BPTT
    optimizer: str = field(default="sgd", metadata={"choices": ("sgd", "adam")})  # sgd: the paper's plain gradient descent; adam: Adam on the batch-mean gradient
    lr: float = 0.5  # sgd: learning rate per sequence (the batch gradient is summed); adam: step size
    batch: int = 16  # sequences per weight update, run side by side
    max_seqs: int = 400000  # training budget in sequences; a run that has not met the stopping criterion by then fails
    window: int = 2000  # stopping criterion: the most recent `window` training sequences all processed correctly ...
    stop_mse: float = 0.01  # ... and their average error 0.5 * (y - d)^2 below this
    tol: float = 0.04  # a sequence is processed correctly when |y - d| < tol at its end
    n_test: int = 2560  # fresh test sequences after training
    hist_every: int = 8000  # record the learning curve every this many training sequences
    log_every: int = 40000  # progress line every this many training sequences

    def __post_init__(self):
        for name in ("T", "blocks", "cells", "rnn_hidden", "batch", "max_seqs", "window", "n_test", "hist_every",
                     "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.T < 20:
            raise ValueError("T must be >= 20 (the first marker lies in the first 10 pairs, the second before T/2)")
        if self.init_range < 0 or self.lr <= 0 or self.stop_mse <= 0 or not 0 < self.tol < 1:
            raise ValueError("init_range >= 0, lr > 0, stop_mse > 0 and 0 < tol < 1 required")


SMOKE = dict(T=30, max_seqs=6000, n_test=256, hist_every=2000, log_every=2000, window=500)
STREAMS = ("init", "data", "eval", "probe")   # every random stream; "probe": the gradient check only


# ----------------------------------------------------------------------------- task

def sample_sequences(rng, n, T):
    """n adding-problem sequences of minimal length T, padded to T + T//10 steps.

    Returns X (Lmax, n, 2) = (value, marker) per step (zeros after a sequence's end),
    lengths (n,) in [T, T + T//10], target (n,) = 0.5 + (X1 + X2) / 4, pos (n, 2) the marked steps.
    """
    lmax = T + T // 10
    lengths = rng.integers(T, lmax + 1, size=n)
    val = rng.uniform(-1.0, 1.0, size=(lmax, n))
    cols = np.arange(n)
    p1 = rng.integers(0, 10, size=n)                       # one of the first ten pairs
    r = rng.integers(0, T // 2 - 1, size=n)                # one of the first T/2 - 1 still unmarked pairs
    p2 = np.where(r < p1, r, r + 1)
    mark = np.zeros((lmax, n))
    mark[0] = -1.0                                         # first and last pair carry the marker -1 ...
    mark[lengths - 1, cols] = -1.0
    mark[p1, cols] = 1.0                                   # ... unless marked (only the first can be)
    mark[p2, cols] = 1.0
    val[0, mark[0] == 1.0] = 0.0                           # a marked first pair counts as X = 0
    t_idx = np.arange(lmax)[:, None]
    val = np.where(t_idx < lengths, val, 0.0)
    X = np.stack([val, mark], axis=2)
    target = 0.5 + (val[p1, cols] + val[p2, cols]) / 4.0
    return X, lengths, target, np.stack([p1, p2], axis=1)


# ----------------------------------------------------------------------------- models

def sig(x):
    """Logistic function, overflow-free (0.5 + 0.5 tanh(x/2))."""
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def n_hidden(cfg):
    """Size of the recurrent activation vector: the LSTM's cells, input gates and output gates, or the RNN's units."""
    return cfg.blocks * cfg.cells + 2 * cfg.blocks if cfg.model == "lstm" else cfg.rnn_hidden


def init_params(rng, cfg):
    """LSTM: W (2 + H + 1, H) maps [x_t, y_{t-1}, 1] to the net inputs of the cells (nc columns), input gates
    and output gates (nb each); w (nc + 1,) maps [cell outputs, 1] to the output unit.
    RNN: W (2 + H + 1, H) maps [x_t, h_{t-1}, 1] to the hidden units; w (H + 1,) to the output unit.
    """
    H = n_hidden(cfg)
    r = cfg.init_range
    W = rng.uniform(-r, r, size=(2 + H + 1, H))
    if cfg.model == "lstm":
        nc, nb = cfg.blocks * cfg.cells, cfg.blocks
        w = rng.uniform(-r, r, size=nc + 1)
        for b in range(nb):
            W[-1, nc + b] = cfg.in_bias * (b + 1)
            if cfg.out_bias != 0.0:
                W[-1, nc + nb + b] = cfg.out_bias * (b + 1)
    else:
        w = rng.uniform(-r, r, size=H + 1)
    return dict(W=W, w=w)


# The LSTM's time loop works on preallocated buffers laid out (time, unit, sequence): the batch is the
# innermost axis, so every unit range of one step is one contiguous block and each numpy call of the
# loop is a single pass, written in place (out=).  Every unit is kept in "tanh space", u = tanh(net / 2):
# a gate is (1 + u) / 2 and the cell input g = 4 sig - 2 = 2 u; the affine maps are folded into the
# weights.  Each gate is expanded to one copy per cell of its block (the copies share their weights: the
# matrices below select and scale rows and columns of W), so a cell and its gates line up row by row and
# no per-block sums are needed inside the loop.  One step's block of Y holds, by rows (5 nc + 3):
#     [q = h(s) = tanh(s / 2) | u_c | u_b | u_a | r = 2 y^c = (1 + u_b) q | x_{t+1} | 1]
# and the half net inputs of step t + 1, [cells | output gates | input gates], are one matmul of WfT
# with rows 2 nc: of step t's block, [u_b | u_a | r | x_{t+1} | 1], the inputs of every net input.
# The paper's algorithm is unchanged; only the bookkeeping is.  Training runs in float32 (the gradient
# check passes float64 parameters, and everything then runs in float64).

_LAYOUTS = {}


def _layout(nb, k, dtype):
    """MT (2 + H + 1, 3 nc + 3) and CT (3 nc, H): WfT = CT @ W.T @ MT, and dE/dW = MT @ dE/dWf @ CT; and the
    same maps for the gradient's reduced rows and columns (see lstm_backward)."""
    key = (nb, k, np.dtype(dtype).str)
    if key not in _LAYOUTS:
        nc = nb * k
        H = nc + 2 * nb
        M = np.zeros((3 * nc + 3, 2 + H + 1))              # input row of the loop -> 0.5 x (row of W)
        C = np.zeros((H, 3 * nc))                          # column of W -> expanded column [c | b | a]
        for j in range(nc):
            b = j // k
            if j % k == 0:                                 # a block's gate is read once, from its first copy
                M[j, 2 + nc + nb + b] = 0.25               # u_b: b = (1 + u_b) / 2, and half the net
                M[nc + j, 2 + nc + b] = 0.25               # u_a
            M[2 * nc + j, 2 + j] = 0.25                    # r = 2 y^c
            C[j, j] = 1.0
            C[nc + nb + b, nc + j] = 1.0
            C[nc + b, 2 * nc + j] = 1.0
        M[3 * nc, 0] = M[3 * nc + 1, 1] = 0.5              # x
        M[3 * nc + 2, 2 + H] = 0.5                         # bias
        M[3 * nc + 2, 2 + nc:2 + H] = 0.25                 # the "+1" halves of the gates
        # the gradient reads a gate's first copy only (the other copies' rows of M are zero) and sums its copies'
        # errors (their columns of C are equal); the full-BPTT loop keeps the output gates' errors halved
        rows = np.r_[0:nc:k, nc:2 * nc:k, 2 * nc:3 * nc + 3]
        C2 = np.concatenate([C[:, :nc], C[:, nc:2 * nc:k], C[:, 2 * nc::k]], axis=1)
        C2h = C2.copy()
        C2h[:, nc:nc + nb] *= 2.0
        _LAYOUTS[key] = tuple(np.ascontiguousarray(a, dtype=dtype) for a in (M.T, C.T, M[rows].T, C2.T, C2h.T))
    return _LAYOUTS[key]


class _Work:
    """Buffers of one batch shape (L steps, n sequences, dtype) and the per-step views into them."""

    def __init__(self, L, n, nb, k, dtype):
        nc = nb * k
        self.L, self.n, self.nc, self.nb, self.k = L, n, nc, nb, k
        self.Y = Y = np.zeros((L + 1, 5 * nc + 3, n), dtype)
        Y[0, 2 * nc:4 * nc] = -1.0                         # y_{-1} = 0: closed gates (u = -1) and r = 0
        Y[:, 5 * nc + 2] = 1.0
        self.S = S = np.zeros((L + 1, nc, n), dtype)
        self.P2 = P2 = np.empty((L, 2 * nc, n), dtype)     # [1 + u_b | 1 + u_a] = [2 b | 2 a] of every step
        self.inc = np.empty((nc, n), dtype)
        self.half = np.empty((nc, n), dtype)
        self.ones = np.ones((2 * nc, n), dtype)            # array operands: cheaper per call than Python scalars
        self.halves = np.full((nc, n), 0.5, dtype)
        self.fsteps = [(Y[t, 2 * nc:], Y[t + 1, nc:4 * nc], Y[t + 1, 2 * nc:4 * nc], Y[t + 1, nc:2 * nc], S[t], S[t + 1],
                        Y[t + 1, :nc], Y[t + 1, 4 * nc:5 * nc], P2[t], P2[t, :nc], P2[t, nc:]) for t in range(L)]
        self._back = None

    def back(self):
        if self._back is None:
            L, n, nc, Y = self.L, self.n, self.nc, self.Y
            dtype = Y.dtype
            nb = self.nb
            sq = np.empty((L, 4 * nc, n), dtype)           # [1 - q^2 | 1 - u_c^2 | 1 - u_b^2 | 1 - u_a^2], then scaled
            D = np.zeros((L + 1, 3 * nc + 1, n), dtype)    # dE/d(half net) [c | b | a] of step t, dE/dnet_o of step t-1
            E = np.zeros((6 * nc, n), dtype)               # [e_ub | e_ua | e_r | ds | X_b | X_a] of the current step
            t1, t2 = np.empty((nc, n), dtype), np.empty((2 * nc, n), dtype)
            steps = [(sq[t, :nc], Y[t + 1, :2 * nc], sq[t, nc:], D[t, :3 * nc], D[t]) for t in range(L - 1, -1, -1)]
            Zs = np.empty((2 * nb + nc + 3, L, n), dtype)  # the loop's inputs and errors stacked over time (one
            Ds = np.empty((nc + 2 * nb, L, n), dtype)      # block of a gate's copies read or summed once)
            self._back = (sq, D, E, t1, t2, steps, Zs, Ds)
        return self._back


_WORK = {}


def _work(L, n, nb, k, dtype):
    key = (L, n, nb, k, np.dtype(dtype).str)
    if key not in _WORK:
        if len(_WORK) >= 4:
            _WORK.pop(next(iter(_WORK)))
        _WORK[key] = _Work(L, n, nb, k, dtype)
    return _WORK[key]


def _lstm_run(P, X, cfg, Yrec=None):
    """The 1997 LSTM over a batch X (L, n, 2), in the dtype of P; returns the filled work buffers (reused by the
    next call of the same shape).  Per step: the net inputs see [x_t, y_{t-1}, 1]; the cell input
    g = 4 sig - 2, input gate a = sig, output gate b = sig; s_t = s_{t-1} + a_block g (the constant error
    carousel, no forget gate); y^c = b_block h(s) with h = 2 sig - 1.
    Yrec (L, n, H): if given, the recurrent inputs y_{t-1} = [y^c, a, b] are taken from it instead (the gradient
    check of the truncated gradient holds them fixed)."""
    W = P["W"]
    dtype = W.dtype
    L, n, _ = X.shape
    nb, k = cfg.blocks, cfg.cells
    nc = nb * k
    ws = _work(L, n, nb, k, dtype)
    MT, CT = _layout(nb, k, dtype)[:2]
    ws.WfT = WfT = CT @ (W.T @ MT)
    Y = ws.Y
    Y[:L, 5 * nc:5 * nc + 2] = X.transpose(0, 2, 1)
    inc, half, ones, halves = ws.inc, ws.half, ws.ones, ws.halves
    tanh, mul, add, dot = np.tanh, np.multiply, np.add, np.dot
    if Yrec is None:
        for z, u, uba, uc, s0, s1, q, r, T, Tb, Ta in ws.fsteps:
            dot(WfT, z, u)                                 # half net inputs of cells and gates
            tanh(u, u)
            add(uba, ones, T)                              # 2 b, 2 a
            mul(Ta, uc, inc)                               # a g
            add(s0, inc, s1)                               # s += a g
            mul(s1, halves, half)
            tanh(half, q)                                  # h(s)
            mul(Tb, q, r)                                  # 2 y^c = 2 b h(s)
    else:
        rep = np.arange(nc) // k
        Rin = np.empty((L, 3 * nc + 3, n), dtype)
        Rin[:, :nc] = 2.0 * Yrec[..., nc + nb + rep].transpose(0, 2, 1) - 1.0
        Rin[:, nc:2 * nc] = 2.0 * Yrec[..., nc + rep].transpose(0, 2, 1) - 1.0
        Rin[:, 2 * nc:3 * nc] = 2.0 * Yrec[..., :nc].transpose(0, 2, 1)
        Rin[:, 3 * nc:] = Y[:L, 5 * nc:]
        for t, (z, u, uba, uc, s0, s1, q, r, T, Tb, Ta) in enumerate(ws.fsteps):
            dot(WfT, Rin[t], u)
            tanh(u, u)
            add(uba, ones, T)
            mul(Ta, uc, inc)
            add(s0, inc, s1)
            mul(s1, halves, half)
            tanh(half, q)
            mul(Tb, q, r)
    return ws


def _lstm_out(P, ws, lengths, cfg):
    """Each sequence's output at its own last step (n,), and its cells' r = 2 y^c there (n, nc)."""
    nc, w = ws.nc, P["w"]
    r_end = ws.Y[lengths, 4 * nc:5 * nc, np.arange(ws.n)]
    net = r_end @ (0.5 * w[:nc]) + w[nc]
    return (sig(net) if cfg.output == "logistic" else net), r_end


def lstm_forward(P, X, cfg, Yrec=None):
    """Run the 1997 LSTM over a batch X (L, n, 2) and return its activations (for pictures and the gradient
    check; training reads the work buffers directly): Z (L, n, 2+H+1) the inputs [x_t, y_{t-1}, 1] of every
    net input, G, A, B (gates per block), S, HS, YC (L, n, nc), o (L, n)."""
    ws = _lstm_run(P, X, cfg, Yrec)
    nb, k = cfg.blocks, cfg.cells
    nc, H, L, n = nb * k, nb * (k + 2), X.shape[0], X.shape[1]
    w = P["w"]
    Y = ws.Y[1:].transpose(0, 2, 1)                        # (L, n, 5 nc + 3)
    first = np.arange(0, nc, k)
    S = ws.S[1:].transpose(0, 2, 1).copy()
    HS = Y[..., :nc].copy()
    G = 2.0 * Y[..., nc:2 * nc]
    B = 0.5 + 0.5 * Y[..., 2 * nc + first]
    A = 0.5 + 0.5 * Y[..., 3 * nc + first]
    YC = 0.5 * Y[..., 4 * nc:5 * nc]
    o = YC @ w[:nc] + w[nc]
    o = sig(o) if cfg.output == "logistic" else o
    Z = np.zeros((L, n, 2 + H + 1), YC.dtype)
    Z[..., :2] = X
    Z[..., -1] = 1.0
    Z[1:, :, 2:2 + nc] = YC[:-1]
    Z[1:, :, 2 + nc:2 + nc + nb] = A[:-1]
    Z[1:, :, 2 + nc + nb:2 + H] = B[:-1]
    return dict(Z=Z, G=G, A=A, B=B, S=S, HS=HS, YC=YC, o=o)


def lstm_backward(P, ws, lengths, r_end, dnet_o, cfg, truncated):
    """Gradient after _lstm_run of a loss whose derivative w.r.t. each sequence's net input of the output unit
    at its last step is dnet_o (n,).  truncated=True is the paper's learning rule: an error reaching a net
    input (of a cell or a gate) is not passed back to the units that feed it, so it flows back in time only
    through the constant error carousel of each cell's state.  truncated=False is full BPTT.
    Returns grads with P's shapes.

    In tanh space (u = tanh(half net) per unit, q = h(s), r = (1 + u_b) q) with e_r, e_ub, e_ua the errors
    on a step's r, u_b, u_a and ds the error on its state:  ds_t = ds_{t+1} + e_r (1 + u_b)(1 - q^2) / 2,
    and the errors on the half net inputs are  ds (1 + u_a)(1 - u_c^2)  (cells),
    (e_ub + e_r q)(1 - u_b^2)  (output gates),  (e_ua + ds u_c)(1 - u_a^2)  (input gates)."""
    W, w = P["W"], P["w"]
    dtype = W.dtype
    L, n, nc, nb, k = ws.L, ws.n, ws.nc, ws.nb, ws.k
    Y, P2 = ws.Y, ws.P2
    cols = np.arange(n)
    e = lengths - 1
    dnet_o = dnet_o.astype(dtype)
    gw = np.empty_like(w)
    gw[:nc] = 0.5 * (dnet_o @ r_end)
    gw[nc] = dnet_o.sum()
    sq, D, E, t1, t2, steps, Zs, Ds = ws.back()
    U4 = Y[1:, :4 * nc]
    np.multiply(U4, U4, out=sq)
    np.subtract(1.0, sq, out=sq)
    QQ = sq[:, nc:]                                        # [(1 + u_a)(1 - u_c^2) | 1 - u_b^2 | 1 - u_a^2]
    np.multiply(QQ[:, :nc], P2[:, nc:], out=QQ[:, :nc])
    Dn = D[:L, :3 * nc]
    if truncated:
        # the only error source is the output unit; inside a cell it is carried back unchanged by the CEC, so
        # ds is constant from a sequence's end back to its start
        er = 0.5 * w[:nc, None] * dnet_o                   # (nc, n): e_r at each sequence's end
        ds = er * (0.5 * P2[e, :nc, cols] * sq[e, :nc, cols]).T
        mask = (np.arange(L)[:, None] <= e)[:, None, :]
        np.multiply(mask, ds, out=Dn[:, :nc])
        np.multiply(Dn[:, :nc], Y[1:, nc:2 * nc], out=Dn[:, 2 * nc:])
        np.multiply(Dn[:, 2 * nc:], QQ[:, 2 * nc:], out=Dn[:, 2 * nc:])
        np.multiply(Dn[:, :nc], QQ[:, :nc], out=Dn[:, :nc])
        Dn[:, nc:2 * nc] = 0.0
        Dn[e, nc:2 * nc, cols] = (er * (Y[lengths, :nc, cols] * QQ[e, nc:2 * nc, cols]).T).T
    else:
        # The loop keeps e_r, e_ub and the output gates' half-net errors halved (its matrix is scaled to match),
        # which saves the factor 1/2 of ds_t = ds_{t+1} + e_r (1 + u_b)(1 - q^2) / 2 at every step.
        Q1 = sq[:, :nc]                                    # (1 + u_b)(1 - q^2)
        np.multiply(Q1, P2[:, :nc], out=Q1)
        D[:, 3 * nc] = 0.0
        D[lengths, 3 * nc, cols] = dnet_o                  # enters through the output unit's weights
        WrT = np.zeros((3 * nc, 3 * nc + 1), dtype)        # (halved) errors on [u_b | u_a | r] of step t-1 from D[t]
        WrT[:, :3 * nc] = ws.WfT[:, :3 * nc].T
        WrT[:, nc:2 * nc] *= 2.0
        WrT[:nc] *= 0.5
        WrT[2 * nc:] *= 0.5
        WrT[2 * nc:, 3 * nc] = 0.25 * w[:nc]
        E[3 * nc:4 * nc] = 0.0
        e_r, ds, e_rs, e_ba, Xba, dsX, e_all = (E[2 * nc:3 * nc], E[3 * nc:4 * nc], E[2 * nc:4 * nc], E[:2 * nc],
                                                E[4 * nc:], E[3 * nc:], E[:3 * nc])
        mul, add, dot = np.multiply, np.add, np.dot
        dot(WrT, D[L], e_all)
        for q1, qu, qq, dn, dfull in steps:
            mul(e_r, q1, t1)
            add(ds, t1, ds)                                # ds_t
            mul(e_rs, qu, t2)                              # [e_r q | ds u_c]
            add(t2, e_ba, Xba)                             # errors on [u_b | u_a]
            mul(dsX, qq, dn)                               # errors on the half net inputs [c | b | a]
            dot(WrT, dfull, e_all)                         # errors on step t-1's [u_b | u_a | r]
    # weight gradients: one matmul over all steps and sequences of the loop's inputs and half-net errors
    np.copyto(Zs[:nb], Y[:L, 2 * nc:3 * nc:k].transpose(1, 0, 2))
    np.copyto(Zs[nb:2 * nb], Y[:L, 3 * nc:4 * nc:k].transpose(1, 0, 2))
    np.copyto(Zs[2 * nb:], Y[:L, 4 * nc:].transpose(1, 0, 2))
    np.copyto(Ds[:nc], Dn[:, :nc].transpose(1, 0, 2))
    Dg = Dn[:, nc:].reshape(L, 2 * nb, k, n)               # a gate's copies, summed
    np.copyto(Ds[nc:], Dg[:, :, 0].transpose(1, 0, 2))
    for j in range(1, k):
        np.add(Ds[nc:], Dg[:, :, j].transpose(1, 0, 2), out=Ds[nc:])
    gWf = Zs.reshape(len(Zs), -1) @ Ds.reshape(len(Ds), -1).T
    M2T, C2T, C2hT = _layout(nb, k, dtype)[2:]
    return dict(W=M2T @ gWf @ (C2T if truncated else C2hT), w=gw)


def _dnet_o(y, err, cfg):
    return err * y * (1.0 - y) if cfg.output == "logistic" else err


def rnn_forward(P, X, cfg):
    """Vanilla tanh RNN: h_t = tanh([x_t, h_{t-1}, 1] W), o_t = sig(h_t . w + w0).  Returns cache Z, Hs, o."""
    L, n, _ = X.shape
    H = cfg.rnn_hidden
    W, w = P["W"], P["w"]
    X = X.astype(W.dtype, copy=False)
    Z = np.empty((L, n, 2 + H + 1), W.dtype)
    Z[..., :2] = X
    Z[..., -1] = 1.0
    Z[0, :, 2:2 + H] = 0.0
    Hs = np.empty((L, n, H), W.dtype)
    pre = X @ W[:2] + W[-1]
    Wr = W[2:2 + H]
    h = np.zeros((n, H), W.dtype)
    tmp = np.empty((n, H), W.dtype)
    for t in range(L):
        np.matmul(h, Wr, out=tmp)
        np.add(pre[t], tmp, out=tmp)
        h = np.tanh(tmp, out=Hs[t])
    Z[1:, :, 2:2 + H] = Hs[:-1]
    o = Hs @ w[:H] + w[H]
    o = sig(o) if cfg.output == "logistic" else o
    return dict(Z=Z, Hs=Hs, o=o)


def rnn_backward(P, c, do, cfg):
    """Full BPTT through the tanh RNN; do (L, n) = dL/do_t.  Returns grads with P's shapes."""
    H = cfg.rnn_hidden
    W, w = P["W"], P["w"]
    o, Hs = c["o"], c["Hs"]
    L, n = o.shape
    dnet_o = do * o * (1.0 - o) if cfg.output == "logistic" else do
    gw = np.empty_like(w)
    gw[:H] = np.einsum("ln,lnh->h", dnet_o, Hs)
    gw[H] = dnet_o.sum()
    dh_out = dnet_o[..., None] * w[:H]
    dpre = np.empty((L, n, H), W.dtype)
    carry = np.zeros((n, H), W.dtype)
    Wr_T = W[2:2 + H].T.copy()
    dH = 1.0 - Hs * Hs
    for t in range(L - 1, -1, -1):
        np.add(dh_out[t], carry, out=dpre[t])
        np.multiply(dpre[t], dH[t], out=dpre[t])
        np.matmul(dpre[t], Wr_T, out=carry)
    Z = c["Z"]
    gW = Z.reshape(-1, Z.shape[-1]).T @ dpre.reshape(-1, H)
    return dict(W=gW, w=gw)


def forward(P, X, cfg):
    return lstm_forward(P, X, cfg) if cfg.model == "lstm" else rnn_forward(P, X, cfg)


def end_outputs(cache, lengths):
    """Each sequence's output at its own last step: (n,)."""
    return cache["o"][lengths - 1, np.arange(len(lengths))]


def predict(P, X, lengths, cfg):
    """Each sequence's output at its own last step (n,), without keeping the activations."""
    if cfg.model == "lstm":
        return _lstm_out(P, _lstm_run(P, X, cfg), lengths, cfg)[0]
    return end_outputs(rnn_forward(P, X, cfg), lengths)


def outputs_and_grads(P, X, lengths, target, cfg):
    """Each sequence's output at its end (n,) and the gradient of E = sum_i 0.5 (o_i - d_i)^2 (the model's
    rule: for the LSTM with gradient="truncated" the paper's truncated gradient)."""
    if cfg.model == "lstm":
        ws = _lstm_run(P, X, cfg)
        y, r_end = _lstm_out(P, ws, lengths, cfg)
        g = lstm_backward(P, ws, lengths, r_end, _dnet_o(y, y - target, cfg), cfg,
                          truncated=cfg.gradient == "truncated")
        return y, g
    cache = rnn_forward(P, X, cfg)
    y = end_outputs(cache, lengths)
    do = np.zeros_like(cache["o"])
    do[lengths - 1, np.arange(len(lengths))] = y - target
    return y, rnn_backward(P, cache, do, cfg)


def loss_and_grads(P, X, lengths, target, cfg):
    """Summed error E = sum_i 0.5 (o_i - d_i)^2 at each sequence's end, and its gradient (the model's rule)."""
    y, g = outputs_and_grads(P, X, lengths, target, cfg)
    return float(0.5 * np.sum((y - target) ** 2)), g


# ----------------------------------------------------------------------------- training

def test_set(cfg, seed):
    """The fixed test sequences of `evaluate` (the seed's own eval stream)."""
    return sample_sequences(rng_streams(seed, STREAMS)["eval"], cfg.n_test, cfg.T)


def train(cfg, seed, callback=None):
    """Online-style gradient descent on fresh sequences until the paper's stopping criterion or the budget.

    Every batch is first processed with the current weights (that is what the stopping criterion
    counts, as in online learning), then the summed gradient is applied with the per-sequence rate lr.
    Returns dict(P, history, seqs, stopped).  callback(seqs, state) after every update.
    """
    rngs = rng_streams(seed, STREAMS)
    P = {k: v.astype(np.float32) for k, v in init_params(rngs["init"], cfg).items()}   # float32 training
    opt = Adam(P, lr=cfg.lr) if cfg.optimizer == "adam" else None
    recent_ok = np.zeros(cfg.window, dtype=bool)           # ring buffer over the most recent sequences
    recent_e = np.full(cfg.window, np.inf)
    head, seen = 0, 0
    hist = dict(seqs=[], train_mse=[], train_wrong=[], window_ok=[])
    acc_e, acc_wrong, acc_n = 0.0, 0, 0
    stopped = False
    next_hist, next_log = cfg.hist_every, cfg.log_every
    while seen < cfg.max_seqs:
        n = min(cfg.batch, cfg.max_seqs - seen)
        X, lengths, target, _ = sample_sequences(rngs["data"], n, cfg.T)
        y, g = outputs_and_grads(P, X, lengths, target, cfg)
        if opt is None:
            for k in P:
                P[k] -= cfg.lr * g[k]
        else:
            opt.step(P, {k: v / n for k, v in g.items()})
        err = np.abs(y - target)
        idx = (head + np.arange(n)) % cfg.window
        recent_ok[idx] = err < cfg.tol
        recent_e[idx] = 0.5 * err * err
        head = (head + n) % cfg.window
        seen += n
        acc_e += float(np.sum(err * err))
        acc_wrong += int(np.sum(err >= cfg.tol))
        acc_n += n
        if not np.all(np.isfinite(P["W"])):
            raise FloatingPointError("weights diverged")
        done = seen >= cfg.window and recent_ok.all() and recent_e.mean() < cfg.stop_mse
        if seen >= next_hist or done or seen >= cfg.max_seqs:
            hist["seqs"].append(seen)
            hist["train_mse"].append(acc_e / acc_n)
            hist["train_wrong"].append(acc_wrong / acc_n)
            hist["window_ok"].append(int(recent_ok.sum()) if seen >= cfg.window else int(recent_ok[:seen].sum()))
            acc_e, acc_wrong, acc_n = 0.0, 0, 0
            next_hist += cfg.hist_every
        if seen >= next_log or done:                      # the stopping criterion's window, so any log_every works
            k = min(seen, cfg.window)
            progress(f"{cfg.model} T={cfg.T} seqs {seen:8d}  last {k}: mean error {recent_e[:k].mean():.5f}  "
                     f"correct {int(recent_ok[:k].sum())}")
            while next_log <= seen:
                next_log += cfg.log_every
        if callback is not None:
            callback(seen, dict(P=P, hist=hist))
        if done:
            stopped = True
            break
    return dict(P=P, history=hist, seqs=seen, stopped=stopped)


def evaluate(cfg, P, test):
    """Metrics on the fixed test set: wrong = |o - d| >= tol at the sequence end."""
    X, lengths, target, _ = test
    y = np.empty(len(target))
    for i in range(0, len(target), 512):
        sl = slice(i, i + 512)
        y[sl] = predict(P, X[:, sl], lengths[sl], cfg)
    err = np.abs(y - target)
    return dict(test_wrong=int(np.sum(err >= cfg.tol)), test_mse=float(np.mean(err ** 2)),
                test_max_err=float(err.max()))


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    metrics = evaluate(cfg, out["P"], test_set(cfg, seed))
    metrics["solved"] = int(out["stopped"])
    metrics["seqs"] = out["seqs"]                                   # training sequences used (the budget when not stopped)
    metrics["seqs_to_stop"] = float(out["seqs"]) if out["stopped"] else float("nan")   # NaN: never stopped
    return metrics


def gradcheck(cfg, seed) -> dict:
    """Central differences, float64, short sequences: full BPTT of the LSTM and the RNN, and the paper's
    truncated LSTM gradient, which is exactly the gradient of the forward pass with the recurrent
    inputs y_{t-1} of every net input held fixed at their recorded values."""
    errors = {}
    chk = rng_streams(seed, STREAMS)["probe"]
    base = {f: getattr(cfg, f) for f in cfg.__dataclass_fields__}
    for model, grad in (("lstm", "full"), ("lstm", "truncated"), ("rnn", "full")):
        c = Config(**{**base, "model": model, "gradient": grad, "T": 20, "init_range": 1.0, "in_bias": -1.0,
                      "out_bias": 0.5})
        rngs = rng_streams(seed, STREAMS)
        P = init_params(rngs["init"], c)
        X, lengths, target, _ = sample_sequences(rngs["data"], 4, c.T)
        _, g = loss_and_grads(P, X, lengths, target, c)
        if model == "lstm" and grad == "truncated":
            Yrec = forward(P, X, c)["Z"][..., 2:-1].copy()

            def loss():
                y = end_outputs(lstm_forward(P, X, c, Yrec=Yrec), lengths)
                return float(0.5 * np.sum((y - target) ** 2))
        else:
            def loss():
                return loss_and_grads(P, X, lengths, target, c)[0]
        for k, e in numeric_gradcheck(loss, P, g, chk, probes=20).items():
            errors[f"{model}_{grad}.{k}"] = e
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
