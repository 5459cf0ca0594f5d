"""History compression on the 20-step-lag 22-symbol task (Schmidhuber 1991/1992).

Schmidhuber, "Neural sequence chunkers", TR FKI-148-91 (1991); "Learning complex, extended
sequences using the principle of history compression", Neural Computation 4(2):234-242 (1992).

Task: a training sequence is a or x, then b1 ... b20 (22 input symbols in all, one-hot); at its
last step a target unit must say 1 if the sequence began with a, 0 if with x: the target depends
on an input 20 steps back, everything in between is predictable.
Learner (the paper's two-net chunking system): an automatizer A (a recurrent net of logistic units)
sees every input and has three error terms: predict its next input, emit the target, and predict
the chunker's current state; a chunker C (a second recurrent net) is fed only the inputs (and the
target) that A failed to predict, after first being trained to predict them.  Both learn on-line by
plain gradient descent with truncated BPTT: errors flow at most 3 steps back.  The contrast is a
conventional recurrent net (A alone, no third term) trained by full BPTT through every sequence.
Paper: the conventional net made no progress in > 1,000,000 sequences; the chunking system solved
13 of 17 runs in < 5,000 sequences and all 17 in < 35,000; afterwards A often solved it alone.

Each run holds --trials independent trials (own initial weights, own a/x draws) stepped in
lock-step as one batched NumPy computation: every trial still sees one sequence at a time and
changes its weights after every step.

Run:  python3 chunker_22_symbol.py --seed 0                          (34 trials, chunker)
      python3 chunker_22_symbol.py --seed 0 --model conventional     (the conventional net)
"""
import os
import sys
from dataclasses import dataclass, field

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "chunker-22-symbol"
META = dict(
    title="a chunker fed only the automatizer's surprises bridges a 20-step lag with 3-step truncated BPTT",
    paper="Schmidhuber 1992, Learning complex, extended sequences using the principle of history compression "
          "(Neural Computation 4(2); TR FKI-148-91)",
    year=1992,
    claim=("The paper's two-net chunking system (plain on-line gradient descent, errors at most 3 steps back) solves "
           "the 20-step-lag task in all 170 lock-step trials of seeds 0-4 within 900 sequences (per-seed median "
           "625-650), and afterwards A alone solves it in 169/170; a conventional net with full BPTT solves 0/34 in "
           "1,000,000 sequences (paper: 13/17 runs < 5,000, 17/17 < 35,000; conventional: no progress in > 1,000,000)"),
    figure=dict(args="--seeds 0-4", metric="median_seqs"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="trials_solved", claim=">= 32", paper="13/17 (< 5,000 sequences)",
         published="10/10 seeds"),
    dict(tier="headline", args="--seed 0", metric="frac_lt5000", claim=">= 0.765", kind="paper", paper="13/17 runs solved in < 5,000 training sequences",
         published="99.5% label accuracy, 10/10 seeds (Adam, A's loss muted at block ends, C reset every step, no q-term)"),
    dict(tier="headline", args="--seed 0", metric="frac_lt35000", claim=">= 1", kind="paper",
         paper="17/17 runs solved in < 35,000 training sequences", published="—"),
    dict(tier="headline", args="--seed 0", metric="median_seqs", claim="<= 1000", paper="< 5,000 in 13/17 runs",
         published="1,500 blocks (fixed budget)"),
    dict(tier="headline", args="--seed 0", metric="a_alone_trials", claim=">= 30",
         paper="afterwards A often solved the task by itself", published="A-alone baseline at chance"),
    dict(tier="headline", args="--seed 0", metric="final_a_solved", claim=">= 0.75",
         paper="afterwards A often solved the task by itself", published="—"),
    dict(tier="headline", args="--seed 0 --model conventional", metric="trials_solved", claim="<= 0",
         paper="no progress in > 1,000,000 sequences", published="43-57% (chance)"),
    dict(tier="seeds", args="--seeds 0-4", metric="solved_seeds", claim=">= 5/5", paper="13/17 runs solved in < 5,000 training sequences", published="99.5% label accuracy, 10/10 seeds (Adam, A's loss muted at block ends, C reset every step, no q-term)"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_median_seqs", claim="<= 800", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="q1_median_seqs", claim="<= 800", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="q3_median_seqs", claim="<= 800", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="max_max_seqs_to_solve", claim="<= 1500", paper="< 35,000 in 17/17",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="min_frac_lt5000", claim=">= 0.765", kind="paper", paper="13/17 runs solved in < 5,000 training sequences",
         published="99.5% label accuracy, 10/10 seeds (Adam, A's loss muted at block ends, C reset every step, no q-term)"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_a_alone_trials", claim=">= 30",
         paper="afterwards A often solved the task by itself", published="—"),
    dict(tier="seeds", args="--seed 0 --no-q-term", metric="a_alone_trials", claim="<= 2",
         paper="— (the third term is what lets A take over)", published="—"),
    dict(tier="seeds", args="--seed 0 --no-q-term", metric="trials_solved", claim=">= 32", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --model conventional --max-seqs 100000", metric="trials_solved",
         claim="<= 0", paper="no progress in > 1,000,000 sequences", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 5", metric="trials_solved", claim=">= 32", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 5", metric="median_seqs", claim="<= 500", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 5", metric="a_alone_trials", claim=">= 30", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 10", metric="trials_solved", claim=">= 32", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 10", metric="median_seqs", claim="<= 600", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 10", metric="a_alone_trials", claim=">= 30", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 40", metric="trials_solved", claim=">= 32", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 40", metric="median_seqs", claim="<= 1500", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 40", metric="a_alone_trials", claim="<= 8", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 80", metric="trials_solved", claim=">= 32", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 80", metric="median_seqs", claim="<= 2500", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 80", metric="a_alone_trials", claim="<= 3", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 5 --model conventional --max-seqs 20000", metric="trials_solved",
         claim="<= 3", paper="lag 5: many hundreds of thousands of sequences", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 10 --model conventional --max-seqs 20000", metric="trials_solved",
         claim="<= 3", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 20 --model conventional --max-seqs 20000", metric="trials_solved",
         claim="<= 3", paper="no progress in > 1,000,000 sequences", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 40 --model conventional --max-seqs 20000", metric="trials_solved",
         claim="<= 3", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --lag 80 --model conventional --max-seqs 20000", metric="trials_solved",
         claim="<= 3", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --model conventional --max-seqs 1000000", metric="trials_solved", claim="<= 0",
         kind="paper", paper="no significant progress on the target unit in > 1,000,000 sequences", published="—"),
]


@dataclass(frozen=True)
class Config:
    model: str = field(default="chunker", metadata={"choices": ("chunker", "conventional")})  # chunker: A + C, on-line, truncated BPTT; conventional: one recurrent net, full BPTT per sequence
    lag: int = 20  # steps from the first symbol (a or x) to the target: the sequence is a|x b1 .. b_lag (paper: 20)
    trials: int = 34  # independent trials stepped in lock-step (the paper: 17 test runs)
    hidden_a: int = 8  # logistic hidden units of A (and of the conventional net)
    hidden_c: int = 4  # logistic hidden units of the chunker C
    lr_a: float = 1.0  # learning rate of A (plain gradient descent)
    lr_c: float = 1.0  # learning rate of C (plain gradient descent)
    init_range: float = 0.2  # initial weights uniform in [-init_range, init_range]
    depth: int = 3  # truncated BPTT: errors flow at most this many steps back (paper: 3)
    theta: float = 0.3  # A fails (C gets the input) when an output unit misses its target by more than this
    q_term: bool = True  # A's third error term: predict C's current state
    tol: float = 0.3  # solved: the target prediction within tol of the target on both sequences
    max_seqs: int = 5000  # training sequences per trial
    eval_every: int = 50  # test the criterion after every this many training sequences
    log_every: int = 1000  # progress line every this many sequences

    def __post_init__(self):
        for name in ("lag", "trials", "hidden_a", "hidden_c", "depth", "max_seqs", "eval_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.lr_a <= 0 or self.lr_c <= 0 or self.init_range <= 0:
            raise ValueError("learning rates and init_range must be positive")
        if not 0.0 < self.theta < 1.0 or not 0.0 < self.tol <= 0.5:
            raise ValueError("theta must be in (0, 1) and tol in (0, 0.5]")


SMOKE = dict(trials=3, max_seqs=150, eval_every=50, log_every=50)
STREAMS = ("init", "data", "probe")  # every random stream, by name; trial r uses child r of init and data


# ----------------------------------------------------------------------------- task
# Symbols: 0 = a, 1 = x, 2 .. lag+1 = b1 .. b_lag (local code, lag + 2 input units).  Every sequence
# is first, b1, ..., b_lag; the target (1 after a, 0 after x) is due at the last step, t = lag.

def n_symbols(cfg):
    return cfg.lag + 2


def sequence_inputs(cfg, first):
    """One-hot inputs of a batch of sequences: first (R,) in {0, 1} -> X (lag+1, R, lag+2), d (R,)."""
    R, L = len(first), cfg.lag
    X = np.zeros((L + 1, R, n_symbols(cfg)))
    X[0, np.arange(R), first] = 1.0
    X[np.arange(1, L + 1), :, np.arange(2, L + 2)] = 1.0
    return X, (first == 0).astype(float)


# ----------------------------------------------------------------------------- recurrent nets
# A net holds R trials' weights: Win (R, I+1, H) from the inputs and a bias, Whh (R, H, H) among the
# hidden units, Wo (R, H+1, O) from the hidden units and a bias to the outputs.  Every unit is
# logistic; activations start at 0 at each sequence's start.  h(t+1) = f([in(t), 1] Win + h(t) Whh),
# outputs y(t) = f([h(t), 1] Wo) are read from h(t), i.e. before in(t) is seen.

def logistic(z):
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def init_net(gens, n_in, n_hid, n_out, r):
    """One weight set per trial, trial k's drawn from gens[k]."""
    def draw(*shape):
        return np.stack([g.uniform(-r, r, size=shape) for g in gens])
    return dict(Win=draw(n_in + 1, n_hid), Whh=draw(n_hid, n_hid), Wo=draw(n_hid + 1, n_out))


def _mv(v, M):
    """Per-trial vector-matrix product: v (R, i), M (R, i, j) -> (R, j)."""
    return np.matmul(v[:, None, :], M)[:, 0, :]


def with_bias(v):
    return np.concatenate([v, np.ones((v.shape[0], 1))], axis=1)


def net_step(W, h, inp):
    """h (R, H), inp (R, I+1) (bias included) -> next hidden state (R, H)."""
    return logistic(_mv(inp, W["Win"]) + _mv(h, W["Whh"]))


def readout(W, h):
    """Outputs (R, O) read from hidden state h (R, H)."""
    return logistic(_mv(h, W["Wo"][:, :-1]) + W["Wo"][:, -1])


def truncated_grads(W, ins, hs, h_out, dy, valid=None):
    """Gradient of an error at one step, back through at most len(ins) transitions.

    h_out (R, H): the state the outputs were read from; dy (R, O): d error / d output pre-activation.
    ins[k] (R, I+1), hs[k] (R, H): input and previous state of the k-th transition back from h_out
    (k = 0 produced h_out from hs[0]; k = 1 produced hs[0] from hs[1]; ...).  The state before the
    oldest transition is held fixed.  valid[k] (R,): 0 stops trial r's chain before transition k.
    Returns grads with W's shapes.
    """
    R, H = h_out.shape
    K = len(ins)
    g = dict(Wo=np.empty_like(W["Wo"]))
    np.multiply(h_out[:, :, None], dy[:, None, :], out=g["Wo"][:, :-1])
    g["Wo"][:, -1] = dy
    if K == 0:
        g["Win"], g["Whh"] = np.zeros_like(W["Win"]), np.zeros_like(W["Whh"])
        return g
    dh = np.matmul(W["Wo"][:, :-1], dy[:, :, None])[:, :, 0]        # (R, H)
    DZ = np.empty((R, K, H))                                          # d error / d pre-activation, per transition
    h = h_out
    for k in range(K):
        dz = dh * h * (1.0 - h)
        if valid is not None:
            dz *= valid[k][:, None]
        DZ[:, k] = dz
        if k + 1 < K:
            dh = np.matmul(W["Whh"], dz[:, :, None])[:, :, 0]
            h = hs[k]
    g["Win"] = np.matmul(np.stack(ins, axis=2), DZ)                   # (R, I+1, K) @ (R, K, H)
    g["Whh"] = np.matmul(np.stack(hs, axis=2), DZ)
    return g


def sgd(W, g, lr):
    for k in W:
        W[k] -= lr * g[k]


def output_delta(y, target, mask):
    """d(1/2 sum mask (y - target)^2) / d(pre-activation) for logistic outputs."""
    return (y - target) * mask * y * (1.0 - y)


# ----------------------------------------------------------------------------- the chunking system

def chunker_sizes(cfg):
    """(A's inputs, A's outputs, C's inputs, C's outputs): A predicts input, target and C's state; C
    gets input, target and a target flag and predicts its next input and target."""
    NI = n_symbols(cfg)
    return NI, NI + 1 + cfg.hidden_c, NI + 2, NI + 1


def init_chunker(cfg, gens):
    NI, NOA, NIC, NOC = chunker_sizes(cfg)
    A = init_net(gens, NI, cfg.hidden_a, NOA, cfg.init_range)
    C = init_net(gens, NIC, cfg.hidden_c, NOC, cfg.init_range)
    return A, C


def run_chunker_sequence(cfg, A, C, X, d, learn=True, record=None):
    """One sequence for every trial (lock-step): A and C step through it, learning on-line if `learn`.

    X (lag+1, R, NI) inputs, d (R,) targets.  Returns dict: surprises (R,) inputs fed to C,
    dA (R,) A's target prediction and dC (R,) C's at the last step (before either learns from it).
    record: a dict of lists that receive, per step t, A's probability for the actual input x(t) ("pA"),
    A's target unit ("dA"), whether C was fed ("surprised"), and the states hA(t), hC(t) ("hA", "hC").
    """
    L, R, NI = X.shape[0] - 1, X.shape[1], X.shape[2]
    K, HC = cfg.depth, cfg.hidden_c
    NOA = A["Wo"].shape[2]
    hA, hC = np.zeros((R, cfg.hidden_a)), np.zeros((R, HC))
    a_ins, a_hs = [], []                                   # A's last K transitions, newest first
    c_ins = np.zeros((K, R, NI + 3))                       # C's last K transitions, newest first
    c_hs = np.zeros((K, R, HC))
    c_valid = np.zeros((K, R))
    mA = np.ones(NOA)
    mA[NI] = 0.0                                           # the target term counts only at the last step
    if not cfg.q_term:
        mA[NI + 1:] = 0.0
    mC = np.ones(NI + 1)
    mC[NI] = 0.0
    surprises = np.zeros(R)
    out = {}
    for t in range(L + 1):
        x = X[t]
        last = t == L
        dt = d if last else np.zeros(R)
        yA = readout(A, hA)                                # A's predictions, made before x(t) is seen
        surprised = np.abs(yA[:, :NI] - x).max(1) > cfg.theta
        if last:
            yC = readout(C, hC)
            surprised |= np.abs(yA[:, NI] - d) > cfg.theta
            mA[NI] = mC[NI] = 1.0
            out.update(dA=yA[:, NI].copy(), dC=yC[:, NI].copy())
        surprises += surprised
        if record is not None:
            record["pA"].append(yA[:, :NI][x > 0].copy())
            record["dA"].append(yA[:, NI].copy())
            record["surprised"].append(surprised.copy())
            record["hA"].append(hA.copy())
            record["hC"].append(hC.copy())
        if learn:                                          # A: input, target and C's state, 3 steps back
            tgt = np.concatenate([x, dt[:, None], hC], axis=1)
            dy = output_delta(yA, tgt, mA)
            sgd(A, truncated_grads(A, a_ins, a_hs, hA, dy), cfg.lr_a)
        if surprised.any():
            if not last:
                yC = readout(C, hC)
            if learn:                                      # C first learns to predict its new input
                dy = output_delta(yC, np.concatenate([x, dt[:, None]], axis=1), mC) * surprised[:, None]
                sgd(C, truncated_grads(C, list(c_ins), list(c_hs), hC, dy, c_valid), cfg.lr_c)
            inC = np.concatenate([x, dt[:, None], np.full((R, 1), float(last)), np.ones((R, 1))], axis=1)
            hC_new = net_step(C, hC, inC)                  # then C processes it
            s = surprised[:, None]
            c_ins = np.where(s[None], np.concatenate([inC[None], c_ins[:-1]]), c_ins)
            c_hs = np.where(s[None], np.concatenate([hC[None], c_hs[:-1]]), c_hs)
            c_valid = np.where(surprised[None], np.concatenate([np.ones((1, R)), c_valid[:-1]]), c_valid)
            hC = np.where(s, hC_new, hC)
        if last:
            break
        inA = with_bias(x)
        a_ins, a_hs = [inA] + a_ins[:K - 1], [hA] + a_hs[:K - 1]
        hA = net_step(A, hA, inA)
    out["surprises"] = surprises
    return out


# ----------------------------------------------------------------------------- the conventional net

def conventional_sizes(cfg):
    NI = n_symbols(cfg)
    return NI, NI + 1


def conventional_loss_and_grads(cfg, W, X, d):
    """Full BPTT through one sequence per trial: error 1/2 sum_t |p(t) - x(t)|^2 + 1/2 (y_d(L) - d)^2.

    X (L+1, R, NI), d (R,).  Returns (loss (R,), grads, y_d (R,) the target prediction at the last step)."""
    L1, R, NI = X.shape
    H = W["Whh"].shape[1]
    ins = np.concatenate([X, np.ones((L1, R, 1))], axis=2).transpose(1, 0, 2)   # (R, L+1, I+1)
    pre = np.matmul(ins[:, :-1], W["Win"])                 # (R, L, H) input drive of every transition
    hs = np.zeros((R, L1, H))                              # hs[:, t] = h(t), h(0) = 0
    Whh = W["Whh"]
    for t in range(L1 - 1):
        hs[:, t + 1] = logistic(pre[:, t] + np.matmul(hs[:, t:t + 1], Whh)[:, 0])
    Y = logistic(np.matmul(hs, W["Wo"][:, :-1]) + W["Wo"][:, -1:])   # (R, L+1, O)
    T = np.concatenate([ins[:, :, :-1], np.zeros((R, L1, 1))], axis=2)
    T[:, -1, NI] = d
    M = np.ones((1, L1, NI + 1))
    M[:, :-1, NI] = 0.0                                    # the target counts only at the last step
    err = Y - T
    loss = 0.5 * np.sum(M * err ** 2, axis=(1, 2))
    DY = err * M * Y * (1.0 - Y)                           # (R, L+1, O)
    g = dict(Wo=np.empty_like(W["Wo"]))
    g["Wo"][:, :-1] = np.matmul(hs.transpose(0, 2, 1), DY)
    g["Wo"][:, -1] = DY.sum(1)
    DH = np.matmul(DY, W["Wo"][:, :-1].transpose(0, 2, 1))   # (R, L+1, H) each step's own readout term
    DZ = np.zeros((R, L1, H))                              # DZ[:, t] = dE/d pre-activation of h(t)
    slope = hs * (1.0 - hs)
    WhhT = Whh.transpose(0, 2, 1)
    carry = np.zeros((R, 1, H))
    for t in range(L1 - 1, 0, -1):
        dz = (DH[:, t:t + 1] + carry) * slope[:, t:t + 1]
        DZ[:, t:t + 1] = dz
        carry = np.matmul(dz, WhhT)
    g["Win"] = np.matmul(ins[:, :-1].transpose(0, 2, 1), DZ[:, 1:])
    g["Whh"] = np.matmul(hs[:, :-1].transpose(0, 2, 1), DZ[:, 1:])
    return loss, g, Y[:, -1, NI]


def conventional_predict(cfg, W, X):
    """The conventional net's target prediction at the last step (R,)."""
    L1, R, _ = X.shape
    h = np.zeros((R, W["Whh"].shape[1]))
    for t in range(L1 - 1):
        h = net_step(W, h, with_bias(X[t]))
    return readout(W, h)[:, -1]


# ----------------------------------------------------------------------------- training and evaluation

def trial_generators(seed, R):
    """Trial r's generators: child r of the init stream and child r of the data stream (independent of R)."""
    rngs = rng_streams(seed, STREAMS)
    return rngs["init"].spawn(R), rngs["data"].spawn(R)


def test_predictions(cfg, nets):
    """Target predictions on the two sequences (a..., x...) with learning off: dict of (2, R) arrays."""
    R = nets["A"]["Win"].shape[0]
    res = dict(dA=np.zeros((2, R)), dC=np.full((2, R), np.nan), surprises=np.zeros((2, R)))
    for i in (0, 1):
        X, _ = sequence_inputs(cfg, np.full(R, i))
        if cfg.model == "chunker":
            o = run_chunker_sequence(cfg, nets["A"], nets["C"], X, np.full(R, 1.0 - i), learn=False)
            res["dA"][i], res["dC"][i], res["surprises"][i] = o["dA"], o["dC"], o["surprises"]
        else:
            res["dA"][i] = conventional_predict(cfg, nets["A"], X)
    return res


def judge(cfg, pred):
    """Per trial: the system (C's prediction for the chunker) and A alone meet the criterion."""
    d = np.array([[1.0], [0.0]])
    ok_a = np.all(np.abs(pred["dA"] - d) < cfg.tol, axis=0)
    ok_sys = np.all(np.abs(pred["dC"] - d) < cfg.tol, axis=0) if cfg.model == "chunker" else ok_a
    return ok_sys, ok_a


def train(cfg, seed, callback=None):
    """Train cfg.trials trials for cfg.max_seqs sequences each (lock-step).

    Returns dict(nets, seqs_sys (R,), seqs_a (R,): training sequences after which the system / A alone
    first met the criterion (NaN: never), history).  callback(n, state) after every test."""
    R = cfg.trials
    inits, datas = trial_generators(seed, R)
    firsts = np.stack([g.integers(0, 2, size=cfg.max_seqs) for g in datas], axis=1)   # (max_seqs, R)
    if cfg.model == "chunker":
        A, C = init_chunker(cfg, inits)
        nets = dict(A=A, C=C)
    else:
        NI, NO = conventional_sizes(cfg)
        nets = dict(A=init_net(inits, NI, cfg.hidden_a, NO, cfg.init_range))
    seqs_sys, seqs_a = np.full(R, np.nan), np.full(R, np.nan)
    hist = dict(seqs=[], sys_ok=[], a_ok=[], surprises=[], loss=[])
    window = []
    for n in range(1, cfg.max_seqs + 1):
        X, d = sequence_inputs(cfg, firsts[n - 1])
        if cfg.model == "chunker":
            window.append(run_chunker_sequence(cfg, nets["A"], nets["C"], X, d)["surprises"])
        else:
            loss, g, _ = conventional_loss_and_grads(cfg, nets["A"], X, d)
            sgd(nets["A"], g, cfg.lr_a)
            window.append(loss)
        if n % cfg.eval_every == 0 or n == cfg.max_seqs:
            pred = test_predictions(cfg, nets)
            ok_sys, ok_a = judge(cfg, pred)
            seqs_sys[np.isnan(seqs_sys) & ok_sys] = n
            seqs_a[np.isnan(seqs_a) & ok_a] = n
            w = np.mean(window, axis=0)
            window = []
            hist["seqs"].append(n)
            hist["sys_ok"].append(ok_sys.copy())
            hist["a_ok"].append(ok_a.copy())
            hist["surprises" if cfg.model == "chunker" else "loss"].append(w)
            if callback is not None:
                callback(n, dict(nets=nets, pred=pred, hist=hist))
        if n % cfg.log_every == 0:
            progress(f"{cfg.model}: {n} sequences; system solved {int(np.sum(~np.isnan(seqs_sys)))}/{R}, "
                     f"A alone {int(np.sum(~np.isnan(seqs_a)))}/{R}")
    return dict(nets=nets, seqs_sys=seqs_sys, seqs_a=seqs_a, history=hist)


def _quantile(v, q):
    """Quantile over trials with NaN (never solved) sorted above every number; NaN if it lands there."""
    s = np.sort(np.where(np.isnan(v), np.inf, v))
    x = float(np.quantile(s, q)) if np.all(np.isfinite(s)) else float(np.quantile(s, q, method="inverted_cdf"))
    return x if np.isfinite(x) else float("nan")


def evaluate(cfg, out):
    """Ledger metrics from a train() result."""
    s, a = out["seqs_sys"], out["seqs_a"]
    R = len(s)
    pred = test_predictions(cfg, out["nets"])
    ok_sys, ok_a = judge(cfg, pred)
    d = np.array([[1.0], [0.0]])
    m = dict(trials=R, trials_solved=int(np.sum(~np.isnan(s))),
             median_seqs=_quantile(s, 0.5), q1_seqs=_quantile(s, 0.25), q3_seqs=_quantile(s, 0.75),
             max_seqs_to_solve=float(np.max(s)), min_seqs_to_solve=float(np.nanmin(s)) if np.any(~np.isnan(s))
             else float("nan"),
             frac_lt5000=float(np.mean(s < 5000)), frac_lt35000=float(np.mean(s < 35000)),
             final_sys_solved=float(np.mean(ok_sys)),
             a_alone_trials=int(np.sum(~np.isnan(a))), median_seqs_a=_quantile(a, 0.5),
             final_a_solved=float(np.mean(ok_a)),
             final_a_acc=float(np.mean(np.abs(pred["dA"] - d) < 0.5)))
    if cfg.model == "chunker":
        m["final_surprises"] = float(np.mean(pred["surprises"]))
    m["solved"] = int(m["trials_solved"] == R)
    return m


def run(cfg, seed) -> dict:
    return evaluate(cfg, train(cfg, seed))


# ----------------------------------------------------------------------------- gradient check

def gradcheck(cfg, seed) -> dict:
    """Float64 central differences against the three hand-written backward passes.

    A's and C's on-line gradients are exact gradients of one step's error as a function of the
    weights, with the state `depth` transitions back held fixed (C: a chain stopped early for one
    trial by its valid mask); the conventional net's is full BPTT through one sequence."""
    small = Config(lag=5, trials=2, hidden_a=4, hidden_c=3, init_range=1.0)
    inits, datas = trial_generators(seed, 2)
    chk = rng_streams(seed, STREAMS)["probe"]
    A, C = init_chunker(small, inits)
    NI, NOA, NIC, NOC = chunker_sizes(small)
    errors = {}
    for name, W, n_in, n_out, valid in (("A_truncated", A, NI + 1, NOA, None),
                                        ("C_truncated", C, NIC + 1, NOC, np.array([[1, 1], [1, 1], [1, 0]]))):
        K = small.depth
        H = W["Whh"].shape[1]
        ins = [datas[0].uniform(0, 1, size=(2, n_in)) for _ in range(K)]
        h0 = datas[0].uniform(0, 1, size=(2, H))
        tgt = datas[0].uniform(0, 1, size=(2, n_out))
        mask = (datas[0].uniform(size=n_out) > 0.2).astype(float)

        def forward(W=W, ins=ins, h0=h0, valid=valid):
            hs = [h0]
            for k in range(K - 1, -1, -1):                 # oldest transition first
                h = net_step(W, hs[-1], ins[k])
                if valid is not None:                      # a stopped chain: that trial's state is fixed there
                    h = np.where(valid[k][:, None] > 0, h, hs[-1])
                hs.append(h)
            return hs

        def loss_fn(W=W, forward=forward, tgt=tgt, mask=mask):
            hs = forward()
            return float(0.5 * np.sum(mask * (readout(W, hs[-1]) - tgt) ** 2))

        hs = forward()
        y = readout(W, hs[-1])
        g = truncated_grads(W, ins, hs[-2::-1], hs[-1], output_delta(y, tgt, mask), valid)
        for k, e in numeric_gradcheck(loss_fn, W, g, chk).items():
            errors[f"{name}.{k}"] = e
    NI, NO = conventional_sizes(small)
    W = init_net(inits, NI, small.hidden_a, NO, small.init_range)
    X, d = sequence_inputs(small, np.array([0, 1]))
    _, g, _ = conventional_loss_and_grads(small, W, X, d)
    for k, e in numeric_gradcheck(lambda: float(np.sum(conventional_loss_and_grads(small, W, X, d)[0])),
                                  W, g, chk).items():
        errors[f"conventional_bptt.{k}"] = e
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
