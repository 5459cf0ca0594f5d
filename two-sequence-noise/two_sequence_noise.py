"""Noise and signal on the same channel: the 2-sequence problem (Hochreiter & Schmidhuber 1997, Exp. 3).

Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8):1735-1780 (1997),
Section 5.3, Experiment 3 (Bengio et al. 1994's "2-sequence problem", Tasks 3a, 3b and 3c).

Claim: the 1997 LSTM (input and output gates, no forget gate, 3 memory blocks of 1 cell, 102
weights, the paper's gate-bias initialisation) trained online by plain gradient descent with the
paper's truncated gradient and learning rate classifies sequences of length 100-110 from their
first N = 3 elements, the rest being Gaussian noise on the same input line, and meets the paper's
stopping criteria on all three variants: 3a (noise-free information elements; 10/10 nets, mean
16,930 sequences to ST2, paper 39,850), 3b (noise on them too; 10/10, 12,260, paper 43,250) and 3c
(noisy targets 0.2 / 0.8, the net must learn the conditional expectation; 8/10 within 200,000,
mean 42,410, paper 269,650).  Ten nets (seeds seed..seed+9) are trained side by side in one
vectorised run.

Run:  python3 two_sequence_noise.py --seed 0                     (headline: Task 3a, T = 100, N = 3)
      python3 two_sequence_noise.py --seed 0 --variant 3b        (noisy information elements)
      python3 two_sequence_noise.py --seed 0 --variant 3c --max-seqs 200000   (noisy targets; long)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "two-sequence-noise"
META = dict(
    title="noise and signal on the same channel: the 2-sequence problem, Tasks 3a/3b/3c",
    paper="Hochreiter & Schmidhuber 1997, Long Short-Term Memory (Neural Computation 9(8)), Exp. 3",
    year=1997,
    claim=("The 1997 LSTM (102 weights, no forget gate) trained online with the paper's truncated gradient, rates "
           "and stopping criteria at T = 100, N = 3: with 60,000 sequences 10/10 nets meet ST2 on 3a (mean 16,930; "
           "paper 39,850) and 10/10 on 3b within 100,000 (12,260; paper 43,250); within the headline's 15,000 only "
           "19 of 50 nets (5 runs of 10) do; 3c: 8/10 within 200,000 (paper: every trial, mean 269,650)"),
    figure=dict(args="--seeds 0,10,20,30,40", metric="nets_solved"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="solved", claim="== 1", paper="every trial meets ST2",
         published="3a not run"),
    dict(tier="headline", args="--seed 0", metric="seqs_st2", claim="<= 12000", paper="39,850 (mean of 10)",
         published="—"),
    dict(tier="headline", args="--seed 0", metric="test_frac_wrong", claim="<= 0.002", paper="0.000195",
         published="—"),
    dict(tier="headline", args="--seed 0", metric="nets_st1", claim=">= 8", paper="ST1 after 27,380 seqs (mean)",
         published="—"),
    dict(tier="headline", args="--seed 0", metric="nets_solved", claim=">= 6", paper="ST2 after 39,850 seqs (mean)",
         published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40", metric="solved_seeds", claim=">= 1/5", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40", metric="median_nets_solved", claim=">= 3",
         paper="every trial meets ST2", published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40", metric="q1_nets_solved", claim=">= 2",
         paper="every trial meets ST2", published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40", metric="q3_nets_solved", claim=">= 3",
         paper="every trial meets ST2", published="—"),
    dict(tier="seeds", args="--seeds 0,10,20,30,40", metric="max_nets_solved", claim=">= 5",
         paper="every trial meets ST2", published="—"),
    dict(tier="seeds", args="--seed 0 --max-seqs 60000", metric="nets_solved", claim=">= 9",
         paper="10 trials, all stop", published="3a not run"),
    dict(tier="seeds", args="--seed 0 --max-seqs 60000", metric="mean_seqs_st1", claim="<= 27380",
         paper="27,380", published="—"),
    dict(tier="seeds", args="--seed 0 --max-seqs 60000", metric="mean_seqs_st2", claim="<= 39850", kind="paper",
         paper="all 10 trials meet ST2, mean 39,850 sequences (3a, N = 3)", published="—"),
    dict(tier="seeds", args="--seed 0 --max-seqs 60000", metric="mean_test_frac_wrong", claim="<= 0.005",
         paper="0.000195", published="—"),
    dict(tier="seeds", args="--seed 0 --variant 3b --max-seqs 100000", metric="nets_solved", claim=">= 9",
         paper="10 trials, all stop", published="3b not run"),
    dict(tier="seeds", args="--seed 0 --variant 3b --max-seqs 100000", metric="mean_seqs_st2", claim="<= 43250",
         kind="paper", paper="all 10 trials meet ST2, mean 43,250 sequences (3b, N = 3)", published="—"),
    dict(tier="seeds", args="--seed 0 --variant 3b --max-seqs 100000", metric="mean_test_frac_wrong",
         claim="<= 0.03", paper="0.00828", published="—"),
    dict(tier="seeds", args="--seed 0 --N 1 --max-seqs 100000", metric="nets_solved", claim=">= 9",
         paper="10 trials, all stop", published="—"),
    dict(tier="seeds", args="--seed 0 --N 1 --max-seqs 100000", metric="mean_seqs_st1", claim="<= 58370",
         paper="58,370", published="—"),
    dict(tier="seeds", args="--seed 0 --N 1 --max-seqs 100000", metric="mean_seqs_st2", claim="<= 64330",
         kind="paper", paper="all 10 trials meet ST2, mean 64,330 sequences (3a, N = 1)", published="—"),
    dict(tier="seeds", args="--seed 0 --N 1 --max-seqs 100000", metric="mean_test_frac_wrong", claim="<= 0.01",
         paper="0.000117", published="—"),
    dict(tier="seeds", args="--seed 0 --variant 3b --N 1 --max-seqs 100000", metric="nets_solved", claim=">= 9",
         paper="10 trials, all stop", published="—"),
    dict(tier="seeds", args="--seed 0 --variant 3b --N 1 --max-seqs 100000", metric="mean_seqs_st2",
         claim="<= 78430", kind="paper", paper="all 10 trials meet ST2, mean 78,430 sequences (3b, N = 1)",
         published="—"),
    dict(tier="seeds", args="--seed 0 --variant 3b --N 1 --max-seqs 100000", metric="mean_test_frac_wrong",
         claim="<= 0.04", paper="0.01500", published="—"),
    dict(tier="long", args="--seed 0 --variant 3c --max-seqs 200000", metric="nets_solved", claim=">= 7",
         paper="10/10 stop (mean 269,650 seqs)", published="4/4 (Adam, fixed 8000 seqs)"),
    dict(tier="long", args="--seed 0 --variant 3c --max-seqs 300000", metric="mean_seqs_st2", claim="<= 269650",
         kind="paper", paper="all 10 trials meet ST2, mean 269,650 sequences (3c, N = 3)", published="—"),
]



@dataclass(frozen=True)
class Config:
    variant: str = field(default="3a", metadata={"choices": ("3a", "3b", "3c")})  # 3a: noise after the information; 3b: noise on the information elements too; 3c: noisy targets 0.2/0.8
    T: int = 100  # minimal sequence length; each sequence has T to T + T/10 elements (paper 100 and 1000)
    N: int = 3  # information-carrying elements at the start of a sequence (paper 1 and 3)
    n_nets: int = 10  # independent nets trained side by side (seeds seed..seed+n_nets-1); unprefixed metrics are net 0's
    blocks: int = 3  # memory blocks, each with one input gate and one output gate (paper 3)
    cells: int = 1  # memory cells per block (paper 1)
    lr: float = 0.0  # learning rate per sequence; 0 = the paper's for the variant (1.0 for 3a/3b, 0.1 for 3c)
    batch: int = 1  # sequences whose summed gradients form one update (1 = online, the paper)
    init_range: float = 0.1  # every weight starts uniform in [-init_range, init_range] except the gate biases (paper 0.1)
    gate_bias: bool = True  # paper's gate-bias init: input gates -1, -3, -5, output gates -2, -4, -6 (block 1, 2, 3)
    noise_var: float = 0.2  # variance of the Gaussian noise on the input line (paper 0.2)
    target_noise_var: float = 0.1  # 3c: variance of the Gaussian noise on the training targets (paper 0.1, sd 0.32)
    test_every: int = 100  # check the stopping criteria on fresh test sequences every this many training sequences
    n_stop_test: int = 256  # test sequences of each stopping-criterion check (paper 256)
    n_test: int = 2560  # fresh test sequences after training, for the fraction misclassified (paper 2560)
    max_seqs: int = 15000  # training budget per net, in sequences; a net that misses ST2 by then is unsolved
    log_every: int = 10000  # progress line every this many training sequences

    def __post_init__(self):
        for name in ("T", "N", "n_nets", "blocks", "cells", "batch", "test_every", "n_stop_test", "n_test", "max_seqs",
                     "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.N >= self.T:
            raise ValueError("N must be smaller than T")
        if self.lr < 0 or self.init_range < 0 or self.noise_var < 0 or self.target_noise_var < 0:
            raise ValueError("lr, init_range, noise_var and target_noise_var must be >= 0")
        if self.test_every % self.batch:
            raise ValueError("test_every must be a multiple of batch")


SMOKE = dict(T=20, n_nets=3, max_seqs=600, n_stop_test=64, n_test=256, log_every=200)
STREAMS = ("init", "data", "check", "test", "probe")   # every random stream; "probe": the gradient check only

# The paper's settings per task (Section 5.3): learning rate, the two classes' targets, which noise is
# added, the misclassification threshold and the stopping criteria ST1 / ST2 on 256 test sequences.
VARIANTS = {
    "3a": dict(lr=1.0, targets=(1.0, 0.0), info_noise=False, target_noise=False, tol=0.2,
               st1_max_wrong=0, st2_mae=0.01),
    "3b": dict(lr=1.0, targets=(1.0, 0.0), info_noise=True, target_noise=False, tol=0.2,
               st1_max_wrong=5, st2_mae=0.04),
    "3c": dict(lr=0.1, targets=(0.2, 0.8), info_noise=False, target_noise=True, tol=0.1,
               st1_max_wrong=0, st2_mae=0.015),
}
# The paper's Tables 4-6 (means of 10 trials): (variant, T, N) -> (ST1, ST2, fraction misclassified)
PAPER_TABLE = {
    ("3a", 100, 3): (27380, 39850, 0.000195), ("3a", 100, 1): (58370, 64330, 0.000117),
    ("3a", 1000, 3): (446850, 452460, 0.000078),
    ("3b", 100, 3): (41740, 43250, 0.00828), ("3b", 100, 1): (74950, 78430, 0.01500),
    ("3b", 1000, 1): (481060, 485080, 0.01207),
    ("3c", 100, 3): (None, 269650, 0.00558), ("3c", 100, 1): (None, 565640, 0.00441),
}


# ----------------------------------------------------------------------------- task

def learning_rate(cfg):
    return cfg.lr if cfg.lr > 0 else VARIANTS[cfg.variant]["lr"]


def values_used(cfg):
    """The Config as a run uses it: lr 0 (= the paper's rate for the variant) resolved. The run record shows
    these values (record snippet)."""
    return {**{name: getattr(cfg, name) for name in cfg.__dataclass_fields__}, "lr": learning_rate(cfg)}


def sample_sequences(rng, n, cfg):
    """n sequences of the variant, left-aligned in a window of L = T + T//10 steps.

    Returns x (L, n) the input line (zeros after a sequence's end), length (n,) in [T, T + T//10],
    cls (n,) 0 for class 1 (information elements +1) and 1 for class 2 (elements -1), d (n,) the
    noise-free target, dn (n,) the training target (d plus Gaussian noise in 3c, else d).
    """
    v = VARIANTS[cfg.variant]
    L = cfg.T + cfg.T // 10
    length = rng.integers(cfg.T, L + 1, size=n)
    cls = rng.integers(0, 2, size=n)
    noise = rng.normal(0.0, np.sqrt(cfg.noise_var), size=(L, n))
    tnoise = rng.normal(0.0, np.sqrt(cfg.target_noise_var), size=n)
    x = noise.copy()
    sign = np.where(cls == 0, 1.0, -1.0)
    x[:cfg.N] = sign + (noise[:cfg.N] if v["info_noise"] else 0.0)
    x[np.arange(L)[:, None] >= length] = 0.0
    d = np.where(cls == 0, v["targets"][0], v["targets"][1])
    dn = d + tnoise if v["target_noise"] else d.copy()
    return x, length, cls, d, dn


# ----------------------------------------------------------------------------- the 1997 LSTM

def sig(x):
    return 0.5 + 0.5 * np.tanh(0.5 * x)   # logistic sigmoid without overflow


def sizes(cfg):
    """(cells, blocks, H): H = cells + input gates + output gates, the units whose activations feed back."""
    nc = cfg.blocks * cfg.cells
    return nc, cfg.blocks, nc + 2 * cfg.blocks


def n_weights(cfg):
    nc, _, H = sizes(cfg)
    return (1 + H + 1) * H + nc


def init_params(rngs, cfg):
    """Per-net weights, stacked over nets.

    W (S, 1 + H + 1, H): rows [input x_t | cell outputs y^c | input gates | output gates (all at t-1) | bias],
    columns [cell inputs (nc) | input gates (nb) | output gates (nb)]: cells and gates see the input unit,
    every cell and every gate, and a bias.  w (S, nc): output unit, fed by the memory cells only, no bias.
    With 3 blocks of 1 cell that is 11 x 9 + 3 = 102 weights, the paper's count.
    """
    nc, nb, H = sizes(cfg)
    W, w = [], []
    for r in rngs:
        Wi = r.uniform(-cfg.init_range, cfg.init_range, size=(1 + H + 1, H))
        wi = r.uniform(-cfg.init_range, cfg.init_range, size=nc)
        if cfg.gate_bias:
            Wi[-1, nc:nc + nb] = -1.0 - 2.0 * np.arange(nb)      # -1, -3, -5
            Wi[-1, nc + nb:] = -2.0 - 2.0 * np.arange(nb)        # -2, -4, -6
        W.append(Wi)
        w.append(wi)
    return dict(W=np.array(W), w=np.array(w))


def lstm_forward(P, x, cfg, Rrec=None):
    """Run S nets over n sequences each.  x (L, S, n) inputs.

    Per step t with y_{t-1} = [y^c, y^in, y^out] (all zero at t = 0):
      net = [x_t, y_{t-1}, 1] W;  y^in = f(net_in), y^out = f(net_out)   (f logistic, range [0, 1])
      g = 4 f(net_c) - 2 in [-2, 2];  s_t = s_{t-1} + y^in * g          (constant error carousel, no forget gate)
      y^c = y^out * h(s_t),  h(s) = 2 f(s) - 1 in [-1, 1];  output o_t = f(y^c_t . w)
    The loop runs in "tanh space" (f(z) = (1 + tanh(z/2)) / 2): th = tanh(net / 2) for every unit and
    the fed-back vector r = 2 y - [0, 1, 1]; the affine maps are folded into the weights (same numbers,
    fewer numpy calls per step).  Rrec (L, S, n, H): if given, the fed-back r_{t-1} are read from it
    (the truncated-gradient check holds them fixed).  Returns the cache of every activation.
    """
    nc, nb, H = sizes(cfg)
    k = cfg.cells
    W = P["W"]
    L, S, n = x.shape
    Wr = W[:, 1:1 + H]                                        # (S, H, H)
    Wr2 = 0.25 * Wr
    pre2 = 0.5 * (x[..., None] * W[:, 0][None, :, None, :] + W[:, -1][None, :, None, :]
                  + 0.5 * Wr[:, nc:].sum(1)[None, :, None, :])   # (L, S, n, H)
    TH = np.empty((L, S, n, H))
    St = np.empty((L + 1, S, n, nc))                          # St[t + 1] = s_t; St[0] = 0
    HS = np.empty((L, S, n, nc))                              # h(s_t) = tanh(s_t / 2)
    R = np.empty((L + 1, S, n, H))                            # R[t] is fed back into step t
    R[0, ..., :nc] = 0.0
    R[0, ..., nc:] = -1.0                                     # y_{-1} = 0
    St[0] = 0.0
    z = np.empty((S, n, H))
    u = np.empty((S, n, nc))
    Rsrc = R if Rrec is None else Rrec
    TH_c, TH_in, TH_out, TH_g = TH[..., :nc], TH[..., nc:nc + nb], TH[..., nc + nb:], TH[..., nc:]
    R_c, R_g = R[..., :nc], R[..., nc:]                       # views made once: the loop only indexes by t
    for t in range(L):                                        # every op writes into a preallocated buffer
        np.matmul(Rsrc[t], Wr2, out=z)
        z += pre2[t]
        np.tanh(z, out=TH[t])
        if k == 1:
            np.add(TH_in[t], 1.0, out=u)                       # 2 y^in
            u *= TH_c[t]                                       # 2 y^in * g / 2 = y^in * g
            np.add(St[t], u, out=St[t + 1])                    # s_t = s_{t-1} + y^in g
            np.multiply(St[t + 1], 0.5, out=u)
            np.tanh(u, out=HS[t])
            np.add(TH_out[t], 1.0, out=u)                      # 2 y^out
            np.multiply(u, HS[t], out=R_c[t + 1])              # 2 y^c
        else:
            np.add(St[t], np.repeat(1.0 + TH_in[t], k, axis=-1) * TH_c[t], out=St[t + 1])
            np.tanh(0.5 * St[t + 1], out=HS[t])
            R_c[t + 1] = np.repeat(1.0 + TH_out[t], k, axis=-1) * HS[t]
        R_g[t + 1] = TH_g[t]
    St = St[1:]
    G = 2.0 * TH[..., :nc]                                     # cell input g
    A_in = 0.5 + 0.5 * TH[..., nc:nc + nb]
    A_out = 0.5 + 0.5 * TH[..., nc + nb:]
    YC = 0.5 * R[1:, ..., :nc]                                 # cell outputs y^c_t
    Y = np.concatenate([YC, A_in, A_out], axis=-1)             # y_t (L, S, n, H)
    o = sig(np.einsum("lsnc,sc->lsn", YC, P["w"]))
    return dict(x=x, TH=TH, G=G, A_in=A_in, A_out=A_out, S=St, HS=HS, YC=YC, Y=Y, R=R[:-1] if Rrec is None else Rrec,
                o=o)


def end_outputs(c, length):
    """Each sequence's output at its own last step: (S, n)."""
    S, n = length.shape
    return c["o"][length - 1, np.arange(S)[:, None], np.arange(n)[None, :]]


def truncated_grads(P, c, length, err, cfg):
    """The paper's truncated gradient of E = sum 0.5 (o - d)^2 at each sequence's end; err (S, n) = o - d.

    An error reaching the net input of a cell or a gate changes that unit's incoming weights but is not
    passed further back to the units feeding it: it flows back in time only through the constant
    error carousel s_t = s_{t-1} + y^in g, so dE/ds_t = dE/ds_end for every t up to the end.  The
    output gates get error only at the end.  Returns grads with P's shapes.
    """
    nc, nb, H = sizes(cfg)
    k = cfg.cells
    W, w = P["W"], P["w"]
    L, S, n = c["x"].shape
    si, ni = np.arange(S)[:, None], np.arange(n)[None, :]
    e = length - 1
    yc_e, hs_e, aout_e = c["YC"][e, si, ni], c["HS"][e, si, ni], c["A_out"][e, si, ni]   # (S, n, .)
    o = c["o"][e, si, ni]
    dnet_o = err * o * (1.0 - o)                               # (S, n)
    gw = np.einsum("sn,snc->sc", dnet_o, yc_e)
    dyc = dnet_o[..., None] * w[:, None, :]                    # dE/dy^c at the end (S, n, nc)
    dout = (dyc * hs_e).reshape(S, n, nb, k).sum(-1) * aout_e * (1.0 - aout_e)     # output-gate net inputs
    ds = dyc * np.repeat(aout_e, k, axis=-1) * 0.5 * (1.0 - hs_e ** 2)            # dE/ds, constant back to t = 0
    live = (np.arange(L)[:, None, None] <= e[None])[..., None]                    # (L, S, n, 1) steps up to the end
    TH = c["TH"]
    dnet = np.zeros((L, S, n, H))
    dnet[..., :nc] = live * ds * np.repeat(c["A_in"], k, axis=-1) * (1.0 - TH[..., :nc] ** 2)   # g' = 1 - th^2
    dnet[..., nc:nc + nb] = (live * (ds * c["G"]).reshape(L, S, n, nb, k).sum(-1)
                             * 0.25 * (1.0 - TH[..., nc:nc + nb] ** 2))                       # f' = (1 - th^2)/4
    dnet[e, si, ni, nc + nb:] = dout
    Yprev = np.concatenate([0.5 * c["R"][..., :nc], 0.5 * (1.0 + c["R"][..., nc:])], axis=-1)   # y_{t-1}
    Z = np.concatenate([c["x"][..., None], Yprev, np.ones((L, S, n, 1))], axis=-1)         # (L, S, n, 1+H+1)
    Zs = Z.transpose(1, 3, 0, 2).reshape(S, 1 + H + 1, L * n)
    Ds = dnet.transpose(1, 0, 2, 3).reshape(S, L * n, H)
    return dict(W=np.matmul(Zs, Ds), w=gw)


def loss_and_grads(P, x, length, d, cfg):
    """Summed error sum 0.5 (o - d)^2 at the sequence ends, its truncated gradient, and the end outputs."""
    c = lstm_forward(P, x, cfg)
    y = end_outputs(c, length)
    err = y - d
    return float(0.5 * np.sum(err ** 2)), truncated_grads(P, c, length, err, cfg), y


# ----------------------------------------------------------------------------- training

def net_streams(seed, cfg):
    """Net i draws everything from rng_streams(seed + i): a net's run does not depend on n_nets."""
    return [rng_streams(seed + i, STREAMS) for i in range(cfg.n_nets)]


def batch_of(streams, key, n, cfg):
    """n sequences per net, stacked: x (L, S, n), length (S, n), cls (S, n), d (S, n), dn (S, n)."""
    parts = [sample_sequences(st[key], n, cfg) for st in streams]
    return (np.stack([p[0] for p in parts], axis=1),) + tuple(np.stack([p[i] for p in parts]) for i in range(1, 5))


def test_errors(P, batch, cfg, chunk=512):
    """|o - d| at every test sequence's end (noise-free targets), per net: (S, n)."""
    x, length, _, d, _ = batch
    out = np.empty(d.shape)
    for a in range(0, d.shape[1], chunk):
        sl = slice(a, a + chunk)
        out[:, sl] = np.abs(end_outputs(lstm_forward(P, x[:, :, sl], cfg), length[:, sl]) - d[:, sl])
    return out


def stop_check(P, batch, cfg, live, first=32):
    """The stopping-criterion test of the still-learning nets (`live`, bool (S,)) on one fresh test batch.

    Staged to save time without changing any outcome: every live net sees the first `first` sequences;
    only a net that has not yet exceeded the allowed number of misclassifications sees the rest.
    Returns wrong (S,) misclassified count (a lower bound where a net stopped early, -1 for non-live
    nets) and mae (S,) mean absolute error (NaN unless the net saw the whole batch).
    """
    v = VARIANTS[cfg.variant]
    x, length, _, d, _ = batch
    S = len(live)
    wrong, mae = np.full(S, -1), np.full(S, np.nan)
    idx = np.flatnonzero(live)
    err_first = None
    if idx.size:
        Ps = {k: val[idx] for k, val in P.items()}
        sl = slice(0, first)
        err_first = test_errors(Ps, (x[:, idx, sl], length[idx, sl], None, d[idx, sl], None), cfg)
        wrong[idx] = (err_first >= v["tol"]).sum(1)
    go = np.flatnonzero(live & (wrong <= v["st1_max_wrong"]))
    if go.size:
        Ps = {k: val[go] for k, val in P.items()}
        sl = slice(first, None)
        err = test_errors(Ps, (x[:, go, sl], length[go, sl], None, d[go, sl], None), cfg)
        pos = np.searchsorted(idx, go)
        full = np.concatenate([err_first[pos], err], axis=1)
        wrong[go] = (full >= v["tol"]).sum(1)
        mae[go] = full.mean(1)
    return wrong, mae


def train(cfg, seed, callback=None):
    """Plain gradient descent on fresh sequences (one update per `batch` sequences, their gradients summed;
    batch 1 is the paper's online learning), S nets side by side, until each net has
    met the stopping criterion ST2 (for 3c: the paper's single criterion) or the budget is spent.

    Every test_every sequences each still-learning net is tested on n_stop_test fresh sequences: ST1 is
    met when at most st1_max_wrong are misclassified, ST2 when ST1 holds and the mean absolute error
    is below st2_mae.  A net that meets ST2 is frozen.  Returns dict(P, st1 (S,), st2 (S,) -- sequences
    seen when the criterion was first met, -1 if never --, history).  history["train_mae"] is the mean
    |o - d| (noise-free target) of each block of test_every training sequences, measured before the
    update each one drives.
    """
    v = VARIANTS[cfg.variant]
    lr = learning_rate(cfg)
    streams = net_streams(seed, cfg)
    P = init_params([st["init"] for st in streams], cfg)
    S = cfg.n_nets
    st1, st2 = np.full(S, -1), np.full(S, -1)
    hist = dict(seqs=[], train_mae=[], stop_wrong=[], stop_mae=[])
    seen = 0
    next_log = cfg.log_every
    while seen < cfg.max_seqs and np.any(st2 < 0):
        m = min(cfg.test_every, cfg.max_seqs - seen)
        step = (lr * (st2 < 0))                                         # frozen nets take no step
        x, length, _, d, dn = batch_of(streams, "data", m, cfg)         # one block, drawn per net
        acc = np.zeros(S)
        for j in range(0, m, cfg.batch):
            sl = slice(j, min(j + cfg.batch, m))
            _, g, y = loss_and_grads(P, x[:, :, sl], length[:, sl], dn[:, sl], cfg)
            P["W"] -= step[:, None, None] * g["W"]
            P["w"] -= step[:, None] * g["w"]
            acc += np.abs(y - d[:, sl]).sum(1)
        seen += m
        if not np.all(np.isfinite(P["W"])):
            raise FloatingPointError("weights diverged")
        live = st2 < 0
        wrong, mae = stop_check(P, batch_of(streams, "check", cfg.n_stop_test, cfg), cfg, live)
        ok1 = live & (wrong >= 0) & (wrong <= v["st1_max_wrong"])
        st1[ok1 & (st1 < 0)] = seen
        st2[ok1 & (mae < v["st2_mae"])] = seen
        hist["seqs"].append(seen)
        hist["train_mae"].append(np.where(live, acc / m, np.nan))
        hist["stop_wrong"].append(wrong)
        hist["stop_mae"].append(mae)
        if seen >= next_log or np.all(st2 >= 0):
            progress(f"{cfg.variant} T={cfg.T} N={cfg.N} {seen:7d} seqs  net 0: train MAE {acc[0] / m:.4f}  "
                     f"ST1 met {int(np.sum(st1 >= 0))}/{S}  ST2 met {int(np.sum(st2 >= 0))}/{S}")
            next_log += cfg.log_every
        if callback is not None:
            callback(seen, dict(P=P, st1=st1, st2=st2, hist=hist))
    hist = {k: np.array(val) for k, val in hist.items()}
    return dict(P=P, st1=st1, st2=st2, history=hist, seen=seen)


def test_set(cfg, seed):
    """n_test fresh sequences per net from each net's test stream (independent of training length)."""
    return batch_of(net_streams(seed, cfg), "test", cfg.n_test, cfg)


def evaluate(cfg, P, test):
    """Per-net fraction misclassified and mean absolute error to the noise-free target on the test set."""
    err = test_errors(P, test, cfg)
    return dict(frac_wrong=(err >= VARIANTS[cfg.variant]["tol"]).mean(1), mae=err.mean(1))


def _median_failed_last(x):
    """Median of x with NaN (never reached) ranked above every number: NaN when half or more are NaN."""
    v = np.sort(np.where(np.isnan(x), np.inf, x))
    n = v.size
    m = v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])
    return float(m) if np.isfinite(m) else float("nan")


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    ev = evaluate(cfg, out["P"], test_set(cfg, seed))
    # Sequences to ST1 / ST2 per net, NaN for a net that never met it within max_seqs.  Means and maxima
    # over the nets count every net (NaN unless all met it: the paper's means are over all its trials);
    # a median is NaN once half of the nets failed; test errors are averaged over every net.
    st1 = np.where(out["st1"] > 0, out["st1"], np.nan).astype(float)
    st2 = np.where(out["st2"] > 0, out["st2"], np.nan).astype(float)
    ok = ~np.isnan(st2)
    return dict(
        solved=int(ok[0]),
        seqs_st1=float(st1[0]),
        seqs_st2=float(st2[0]),
        test_frac_wrong=float(ev["frac_wrong"][0]),
        test_mae=float(ev["mae"][0]),
        nets_solved=int(ok.sum()),
        nets_st1=int(np.sum(~np.isnan(st1))),
        mean_seqs_st1=float(np.mean(st1)),
        mean_seqs_st2=float(np.mean(st2)),
        median_seqs_st2=_median_failed_last(st2),
        max_seqs_st2=float(np.max(st2)),
        mean_test_frac_wrong=float(np.mean(ev["frac_wrong"])),
        max_test_frac_wrong=float(np.max(ev["frac_wrong"])),
        mean_test_mae=float(np.mean(ev["mae"])),
        n_weights=n_weights(cfg),
    )


def gradcheck(cfg, seed) -> dict:
    """Central differences, float64, against the truncated gradient.

    The paper's truncated gradient is exactly the gradient of the forward pass in which the fed-back
    activations y_{t-1} entering every net input are held fixed at their recorded values, so the check
    perturbs the weights of that frozen-recurrence forward pass.  Gate biases start at 0 and weights are
    larger than at the paper's init, so that every path carries a gradient well above round-off.
    """
    errors = {}
    for cells in (1, 2):
        small = Config(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__}, "T": 12, "N": 2, "n_nets": 2,
                          "cells": cells, "blocks": 2 if cells == 2 else cfg.blocks, "init_range": 1.0,
                          "gate_bias": False})
        streams = net_streams(seed, small)
        P = init_params([st["init"] for st in streams], small)
        x, length, _, _, dn = batch_of(streams, "data", 3, small)
        _, g, _ = loss_and_grads(P, x, length, dn, small)
        Rrec = lstm_forward(P, x, small)["R"].copy()

        def loss():
            y = end_outputs(lstm_forward(P, x, small, Rrec=Rrec), length)
            return float(0.5 * np.sum((y - dn) ** 2))

        probe = rng_streams(seed, STREAMS)["probe"]
        for name, e in numeric_gradcheck(loss, P, g, probe, probes=40).items():
            errors[f"truncated_{small.blocks}x{cells}.{name}"] = e
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
