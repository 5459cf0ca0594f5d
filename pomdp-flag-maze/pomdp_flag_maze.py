"""A flag choice that needs memory, learned through a recurrent world model (Schmidhuber 1991).

Schmidhuber, "Reinforcement learning in Markovian and non-Markovian environments", in Advances in
Neural Information Processing Systems 3 (NIPS 1990, published 1991), 500-506.

Claim: two fully recurrent nets learning in parallel -- a model net M that predicts the controller's
next input (pleasure and pain included) from the current input and action, and a controller C
trained only by the gradient of M's predicted pain and pleasure back through M -- learn a
non-Markovian task, with C's own probabilistic outputs ("adaptive randomness": a mean and a
variance generator per action) as the only exploration. The paper's own task was not retrieved;
this folder uses a T-maze STAND-IN: a cue seen only at the start says which of two flags at the
end of a featureless corridor pays; M must hold the cue in its own state (no side input) to
predict the reward, and C must hold it to choose. Each run here holds `--runs` independent runs
(own weights, own episodes) computed in lock-step as one NumPy computation.

Run:  python3 pomdp_flag_maze.py --seed 0                       (20 runs in lock-step, corridor 4)
      python3 pomdp_flag_maze.py --seed 0 --no-c-recurrent      (contrast: feed-forward controller)
      python3 pomdp_flag_maze.py --seed 0 --corridor 16         (beyond: a longer lag)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "pomdp-flag-maze"
META = dict(
    title="a recurrent controller learns a remembered flag choice through a recurrent world model (T-maze stand-in)",
    paper="Schmidhuber 1991, Reinforcement learning in Markovian and non-Markovian environments (NIPS 3)",
    year=1991,
    claim=("With plain gradient descent, two fully recurrent nets learning in parallel (C only through M's predicted "
           "pleasure and pain, exploring by adaptive randomness) solve the T-maze stand-in with no side input to M: "
           "192/200 runs (10 seeds x 20) reach 100% on 200 fixed test episodes, every seed >= 18/20 (target 16/20), "
           "median 3,200 episodes (IQR 2,300-4,200); 967/1000 over 50 seeds; a feed-forward controller solves 0/200"),
    figure=dict(args="--seeds 0-9", metric="runs_solved"),
    gradcheck=True,
)
CLAIMS = [
    # the worked example: seed 0 = 20 independent runs in lock-step, corridor 4, plain gradient descent
    dict(tier="headline", args="--seed 0", metric="episodes_median", claim="== 2350", kind="pin",
         paper="—", published="seed 0: 200/200 test episodes"),
    dict(tier="headline", args="--seed 0", metric="runs_solved", claim=">= 16", kind="paper", reduced=True,
         paper=("paper's own task and numbers not retrieved; stand-in criterion (the issue's target): "
                ">= 16/20 runs at 100% with no side input to M"),
         published=("6/10 seeds at 100%, 4/10 at 50% (M given the cue as a side input; Adam; "
                    "straight-through actions)")),
    dict(tier="headline", args="--seed 0", metric="m_cue_acc_median", claim=">= 0.99", kind="pin",
         paper="—", published="— (M was given the cue)"),
    # the contrast: a feed-forward controller (C's recurrent weights held at 0), same seed, same M
    dict(tier="headline", args="--seed 0 --no-c-recurrent", metric="runs_solved", claim="<= 1", kind="pin",
         paper="—", published="feed-forward C: 0% on seed 0, about 50% typical"),
    dict(tier="headline", args="--seed 0 --no-c-recurrent", metric="test_success_median", claim="<= 0.6",
         kind="pin", paper="—", published="—"),
    # the headline figure: 10 seeds x 20 runs
    dict(tier="headline", args="--seeds 0-9", metric="solved_seeds", claim=">= 8/10", paper="—",
         published=("6/10 seeds at 100%, 4/10 at 50% (M given the cue as a side input; Adam; "
                    "straight-through actions)")),
    dict(tier="headline", args="--seeds 0-9", metric="median_runs_solved", claim=">= 17", paper="—",
         published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q1_runs_solved", claim=">= 17", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q3_runs_solved", claim=">= 18", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="median_episodes_median", claim="<= 4500", paper="—",
         published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="mean_runs_solved", claim=">= 17.5", paper="—",
         published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="min_m_cue_acc_median", claim=">= 0.95", paper="—",
         published="—"),
    # long tier: 50 seeds x 20 runs = 1,000 independent runs of the headline config
    dict(tier="long", args="--seeds 0-49", metric="solved_seeds", claim=">= 45/50", paper="—", published="—"),
    dict(tier="long", args="--seeds 0-49", metric="mean_runs_solved", claim=">= 17.5", paper="—", published="—"),
    dict(tier="long", args="--seeds 0-49", metric="median_episodes_median", claim="<= 4500", paper="—",
         published="—"),
    # seeds tier: the contrast over the same 10 seeds, the published catalog's relaxation, ablations
    dict(tier="seeds", args="--seeds 0-9 --no-c-recurrent", metric="max_runs_solved", claim="<= 1", paper="—",
         published="feed-forward C: 0% on seed 0, about 50% typical"),
    dict(tier="seeds", args="--seeds 0-9 --no-c-recurrent", metric="max_test_success_median", claim="<= 0.6",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --m-side-cue", metric="runs_solved", claim=">= 18", paper="—",
         
         published=("6/10 seeds at 100%, 4/10 at 50% (M given the cue as a side input; Adam; "
                    "straight-through actions)")),
    dict(tier="seeds", args="--seed 0 --no-adaptive", metric="runs_solved", claim=">= 16", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --optimizer adam --lr-m 0.003 --lr-c 0.003", metric="runs_solved",
         claim=">= 16", paper="—", published="Adam"),
    # beyond: success against the lag (learning rates scaled by 4 / corridor, 20,000 episodes per run)
    dict(tier="seeds", args="--seed 0 --corridor 8 --lr-m 0.025 --lr-c 0.005 --episodes 20000",
         metric="runs_solved", claim=">= 14", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --corridor 16 --lr-m 0.0125 --lr-c 0.0025 --episodes 20000",
         metric="runs_solved", claim="<= 4", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --corridor 8", metric="runs_diverged", claim=">= 5", paper="—",
         published="—"),
    # beyond: success against the lag with M's and C's gradients clipped at norm 10 (binds rarely at corridor 4)
    dict(tier="seeds", args="--seed 0 --clip 10", metric="runs_solved", claim=">= 16", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --corridor 8 --clip 10", metric="runs_solved", claim=">= 14", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --corridor 16 --clip 10 --episodes 20000", metric="runs_solved",
         claim="<= 3", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --corridor 16 --clip 10 --episodes 20000", metric="m_cue_acc_median",
         claim="<= 0.6", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --corridor 32 --clip 10 --episodes 20000", metric="runs_solved",
         claim="<= 3", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --corridor 32 --clip 10 --episodes 20000", metric="m_cue_acc_median",
         claim="<= 0.6", paper="—", published="—"),
]


@dataclass(frozen=True)
class Config:
    runs: int = 20  # independent runs in lock-step (own weights, own episodes); the seed's run 0 is its worked example
    corridor: int = 4  # corridor cells between the cue (start) and the junction: the lag in time steps
    hidden_c: int = 8  # hidden units of the controller C (fully recurrent tanh)
    hidden_m: int = 24  # hidden units of the model net M (fully recurrent tanh)
    c_recurrent: bool = True  # C's recurrent weights on (False: the feed-forward contrast, W_hh fixed at 0)
    m_side_cue: bool = False  # give M the cue as a side input at every step (the published catalog's relaxation)
    adaptive: bool = True  # adaptive randomness: C's action noise std comes from a variance generator that learns
    sigma0: float = 0.5  # initial action noise std (the fixed std when --no-adaptive)
    sigma_max: float = 1.0  # the variance generator's ceiling: sigma = sigma_max * logistic(z)
    episodes: int = 10000  # training episodes per run (batch episodes per update)
    batch: int = 10  # episodes per update (each run its own), M and C updated together on every batch
    optimizer: str = field(default="sgd", metadata={"choices": ("sgd", "adam")})  # plain gradient descent (paper) or Adam
    lr_m: float = 0.05  # learning rate of M
    lr_c: float = 0.01  # learning rate of C
    clip: float = 0.0  # per-run global gradient-norm clip of each net (0 = off, the paper's plain descent; used for long corridors)
    init_scale: float = 1.0  # std of initial weights times sqrt(fan-in)
    n_test: int = 200  # fixed test episodes (cue and corridor textures), the same set for every run of a seed
    eval_every: int = 10  # test the noise-free controller every this many updates (episodes to 100% resolution)
    log_every: int = 100  # progress line every this many updates

    def __post_init__(self):
        for name in ("runs", "corridor", "hidden_c", "hidden_m", "episodes", "batch", "n_test", "eval_every",
                     "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.episodes < self.batch:
            raise ValueError("episodes must be >= batch")
        if not 0.0 < self.sigma0 < self.sigma_max:
            raise ValueError("need 0 < sigma0 < sigma_max")
        if self.clip < 0:
            raise ValueError("clip must be >= 0")
        if self.lr_m <= 0 or self.lr_c <= 0 or self.init_scale <= 0:
            raise ValueError("learning rates and init_scale must be positive")


SMOKE = dict(runs=3, episodes=300, n_test=40, eval_every=5, log_every=10)
STREAMS = ("init", "data", "explore", "eval", "probe")  # every random stream, by name (probe: gradcheck)


# ----------------------------------------------------------------------------- environment: the T-maze stand-in
# The agent starts at the cue cell, walks one cell per step along a corridor of `corridor` cells
# and reaches the junction at step N = corridor; there its action picks a flag: top when a_N > 0,
# bottom otherwise. The cue (+1: top pays, -1: bottom pays) is visible at step 0 only. Corridor cells
# show a random texture bit (+1 or -1) that carries no information. The next input after the
# junction carries the reinforcement: pleasure 1 on the right flag, pain 1 on the wrong one.
#
# Input of C at step t (3): cue, junction, texture.  Input of M: the same plus C's action a_t.
# M's target at step t (5): C's next input (cue, junction, texture) plus pleasure and pain.

N_OBS = 3
N_PRED = 5
PLEASURE, PAIN = 3, 4


def sample_episodes(rng, shape, N):
    """Cues and corridor textures for a batch of episodes.

    shape: leading batch shape, e.g. (S, B).  Returns cue (*shape) in {-1, +1} and X (N+1, *shape, 3),
    C's inputs at steps 0..N.
    """
    cue = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    tex = np.where(rng.random((N + 1, *shape)) < 0.5, -1.0, 1.0)
    X = np.zeros((N + 1, *shape, N_OBS))
    X[0, ..., 0] = cue
    X[N, ..., 1] = 1.0
    X[1:N, ..., 2] = tex[1:N]
    return cue, X


def targets(X, cue, a_last):
    """M's targets Y (N+1, *shape, 5): the next input and the reinforcement it carries.

    a_last (*shape): the action at the junction.  Returns Y and the episode outcome correct (*shape) bool.
    """
    Y = np.zeros(X.shape[:-1] + (N_PRED,))
    Y[:-1, ..., :N_OBS] = X[1:]                                   # after the junction: no more observations
    correct = (a_last > 0) == (cue > 0)
    Y[-1, ..., PLEASURE] = correct
    Y[-1, ..., PAIN] = ~correct
    return Y, correct


# ----------------------------------------------------------------------------- networks (leading runs axis S)

def init_params(rng, cfg, S):
    """C: Wx (S,3,Hc), Wh (S,Hc,Hc), b (S,Hc), wmu (S,Hc), bmu (S,), wsg (S,Hc), bsg (S,).
    M: Vx (S,4[+1],Hm), Vh (S,Hm,Hm), b (S,Hm), Vo (S,Hm,5), bo (S,5)."""
    def w(*shape):
        return rng.normal(0.0, cfg.init_scale / np.sqrt(shape[1]), size=shape)
    Hc, Hm = cfg.hidden_c, cfg.hidden_m
    sg0 = np.log(cfg.sigma0 / (cfg.sigma_max - cfg.sigma0))      # logistic^-1(sigma0 / sigma_max)
    C = dict(Wx=w(S, N_OBS, Hc), Wh=w(S, Hc, Hc), b=np.zeros((S, Hc)), wmu=w(S, Hc), bmu=np.zeros(S),
             wsg=np.zeros((S, Hc)), bsg=np.full(S, sg0))
    if not cfg.c_recurrent:
        C["Wh"][:] = 0.0
    n_in = N_OBS + 1 + (1 if cfg.m_side_cue else 0)
    M = dict(Vx=w(S, n_in, Hm), Vh=w(S, Hm, Hm), b=np.zeros((S, Hm)), Vo=w(S, Hm, N_PRED),
             bo=np.zeros((S, N_PRED)))
    return C, M


def _dotv(A, w):
    """(T,S,B,h) . (S,h) -> (T,S,B): each run's readout vector."""
    return np.matmul(A, w[:, :, None])[..., 0]


def _outer(A, D):
    """sum over steps and episodes of A[t,s,b,:] outer D[t,s,b,:] -> (S, i, h): one matmul per run."""
    T, S, B, i = A.shape
    At = A.transpose(1, 3, 0, 2).reshape(S, i, T * B)
    Dt = D.transpose(1, 0, 2, 3).reshape(S, T * B, D.shape[-1])
    return np.matmul(At, Dt)


def c_forward(C, X, noise, cfg, sigma_on=True):
    """Controller over episodes: X (T,S,B,3), noise (T,S,B) standard normals.

    h_t = tanh(x_t Wx + h_{t-1} Wh + b);  mu_t = tanh(h_t . wmu + bmu);
    sigma_t = sigma_max * logistic(h_t . wsg + bsg) (adaptive) or sigma0;  a_t = mu_t + sigma_t n_t.
    Returns cache: H (T+1,S,B,Hc), mu, sigma, a (T,S,B).
    """
    T, S, B, _ = X.shape
    Hc = C["Wh"].shape[-1]
    pre = np.matmul(X, C["Wx"]) + C["b"][None, :, None, :]
    H = np.zeros((T + 1, S, B, Hc))
    for t in range(T):
        H[t + 1] = np.tanh(pre[t] + np.matmul(H[t], C["Wh"]))
    hs = H[1:]
    mu = np.tanh(_dotv(hs, C["wmu"]) + C["bmu"][None, :, None])
    if cfg.adaptive:
        sigma = cfg.sigma_max / (1.0 + np.exp(-(_dotv(hs, C["wsg"]) + C["bsg"][None, :, None])))
    else:
        sigma = np.full(mu.shape, cfg.sigma0)
    if not sigma_on:
        sigma = np.zeros_like(mu)
    a = mu + sigma * noise
    return dict(H=H, mu=mu, sigma=sigma, a=a)


def m_inputs(X, a, cue, cfg):
    """M's input per step: C's input, C's action [, the cue as a side input] -> (T,S,B,4[+1])."""
    parts = [X, a[..., None]]
    if cfg.m_side_cue:
        parts.append(np.broadcast_to(cue[None, ..., None], a.shape + (1,)))
    return np.concatenate(parts, axis=-1)


def m_forward(M, U):
    """Model net over episodes (teacher forced: it reads the real inputs). U (T,S,B,n_in).

    g_t = tanh(u_t Vx + g_{t-1} Vh + b);  Yhat_t = g_t Vo + bo (linear; 5 predictions).
    Returns cache: U, G (T+1,S,B,Hm), Yh (T,S,B,5).
    """
    T, S, B, _ = U.shape
    Hm = M["Vh"].shape[-1]
    pre = np.matmul(U, M["Vx"]) + M["b"][None, :, None, :]
    G = np.zeros((T + 1, S, B, Hm))
    for t in range(T):
        G[t + 1] = np.tanh(pre[t] + np.matmul(G[t], M["Vh"]))
    Yh = np.matmul(G[1:], M["Vo"]) + M["bo"][None, :, None, :]
    return dict(U=U, G=G, Yh=Yh)


def rnn_bptt(Wh, H, dH_out):
    """BPTT through h_t = tanh(pre_t + h_{t-1} Wh): dH_out (T,S,B,H) = dL/dh_t from the readouts.

    Returns dpre (T,S,B,H) = dL/d(pre-activation of step t), every later step's dependence included.
    """
    T = dH_out.shape[0]
    dpre = np.empty_like(dH_out)
    carry = np.zeros_like(dH_out[0])
    WhT = np.swapaxes(Wh, -1, -2)
    for t in range(T - 1, -1, -1):
        dpre[t] = (dH_out[t] + carry) * (1.0 - H[t + 1] ** 2)
        carry = np.matmul(dpre[t], WhT)
    return dpre


def m_backward(M, cache, dYh):
    """BPTT through M: dYh (T,S,B,5) -> (grads with M's shapes, dU (T,S,B,n_in) = dL/du_t)."""
    G, U = cache["G"], cache["U"]
    dG = np.matmul(dYh, np.swapaxes(M["Vo"], -1, -2))
    dpre = rnn_bptt(M["Vh"], G, dG)
    g = dict(Vx=_outer(U, dpre), Vh=_outer(G[:-1], dpre),
             b=dpre.sum(axis=(0, 2)), Vo=_outer(G[1:], dYh), bo=dYh.sum(axis=(0, 2)))
    dU = np.matmul(dpre, np.swapaxes(M["Vx"], -1, -2))
    return g, dU


def c_backward(C, X, cache, noise, da, cfg):
    """BPTT through C: da (T,S,B) = dL/da_t, noise held fixed (da/dmu = 1, da/dsigma = n_t)."""
    H, mu, sigma = cache["H"], cache["mu"], cache["sigma"]
    hs = H[1:]
    dzmu = da * (1.0 - mu ** 2)
    dH = dzmu[..., None] * C["wmu"][None, :, None, :]
    g = dict(wmu=_outer(hs, dzmu[..., None])[..., 0], bmu=dzmu.sum(axis=(0, 2)))
    if cfg.adaptive:
        dzsg = da * noise * sigma * (1.0 - sigma / cfg.sigma_max)
        dH = dH + dzsg[..., None] * C["wsg"][None, :, None, :]
        g["wsg"] = _outer(hs, dzsg[..., None])[..., 0]
        g["bsg"] = dzsg.sum(axis=(0, 2))
    else:
        g["wsg"], g["bsg"] = np.zeros_like(C["wsg"]), np.zeros_like(C["bsg"])
    dpre = rnn_bptt(C["Wh"], H, dH)
    g["Wx"] = _outer(X, dpre)
    g["Wh"] = _outer(H[:-1], dpre) if cfg.c_recurrent else np.zeros_like(C["Wh"])
    g["b"] = dpre.sum(axis=(0, 2))
    return g


# ----------------------------------------------------------------------------- the two losses (gradient-check hooks)

def m_loss_grads(M, U, Y, cache=None):
    """M's loss per run: sum over steps and outputs of the squared prediction error, mean over episodes."""
    cache = m_forward(M, U) if cache is None else cache
    err = cache["Yh"] - Y
    B = err.shape[2]
    loss = np.sum(err ** 2, axis=(0, 2, 3)) / B                  # (S,)
    g, _ = m_backward(M, cache, 2.0 * err / B)
    return loss, g


def c_loss_grad_out(Yh):
    """C's loss per run: cumulative squared difference between desired (pleasure 1, pain 0) and M's
    predicted pleasure and pain over the episode, mean over episodes; and its gradient wrt Yh."""
    B = Yh.shape[2]
    loss = np.sum((1.0 - Yh[..., PLEASURE]) ** 2 + Yh[..., PAIN] ** 2, axis=(0, 2)) / B
    d = np.zeros_like(Yh)
    d[..., PLEASURE] = -2.0 * (1.0 - Yh[..., PLEASURE]) / B
    d[..., PAIN] = 2.0 * Yh[..., PAIN] / B
    return loss, d


def c_loss_grads(C, M, X, cue, noise, cfg):
    """C's loss through M (M's weights fixed for this gradient) and the gradients wrt C and M."""
    cc = c_forward(C, X, noise, cfg)
    mc = m_forward(M, m_inputs(X, cc["a"], cue, cfg))
    loss, dYh = c_loss_grad_out(mc["Yh"])
    gM, dU = m_backward(M, mc, dYh)
    gC = c_backward(C, X, cc, noise, dU[..., N_OBS], cfg)
    return loss, gC, gM


# ----------------------------------------------------------------------------- training

class _Opt:
    """Plain gradient descent (the paper) or Adam, elementwise, so every run of the lock-step keeps its own."""

    def __init__(self, P, lr, kind):
        self.lr, self.kind, self.t = lr, kind, 0
        if kind == "adam":
            self.m = {k: np.zeros_like(v) for k, v in P.items()}
            self.v = {k: np.zeros_like(v) for k, v in P.items()}

    def step(self, P, g):
        if self.kind == "sgd":
            for k in P:
                P[k] -= self.lr * g[k]
            return
        self.t += 1
        c1, c2 = 1.0 - 0.9 ** self.t, 1.0 - 0.999 ** self.t
        for k in P:
            self.m[k] = 0.9 * self.m[k] + 0.1 * g[k]
            self.v[k] = 0.999 * self.v[k] + 0.001 * g[k] ** 2
            P[k] -= self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + 1e-8)


def _clip(g, limit):
    """Scale each run's gradient (all of one net's arrays together) to global norm <= limit, in place."""
    S = next(iter(g.values())).shape[0]
    norm = np.sqrt(sum(np.sum(v.reshape(S, -1) ** 2, axis=1) for v in g.values()))     # (S,)
    scale = np.minimum(1.0, limit / np.maximum(norm, 1e-300))
    for v in g.values():
        v *= scale.reshape((S,) + (1,) * (v.ndim - 1))


def fixed_test_set(cfg, seed):
    """The seed's test episodes (eval stream): cue (n_test,), X (N+1, n_test, 3)."""
    return sample_episodes(rng_streams(seed, STREAMS)["eval"], (cfg.n_test,), cfg.corridor)


def test_success(C, cfg, test):
    """Per-run success rate (S,) of the noise-free controller on the fixed test episodes."""
    cue, X = test
    S = C["Wh"].shape[0]
    Xs = np.broadcast_to(X[:, None], (X.shape[0], S) + X.shape[1:])
    cc = c_forward(C, Xs, np.zeros(Xs.shape[:-1]), cfg, sigma_on=False)
    return np.mean((cc["mu"][-1] > 0) == (cue[None] > 0), axis=1), cc


def train(cfg, seed, callback=None):
    """Train cfg.runs independent (M, C) pairs in lock-step; M and C learn in parallel on every batch.

    Returns dict(C, M, history, first_full (S,) update index of the first 100% test (NaN: never)).
    callback(update, state) after every update.  A run whose weights overflow (plain gradient descent
    at too high a rate) turns NaN and stays NaN without disturbing the other runs; it counts as unsolved.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return _train(cfg, seed, callback)


def _train(cfg, seed, callback):
    rngs = rng_streams(seed, STREAMS)
    S, B, N = cfg.runs, cfg.batch, cfg.corridor
    C, M = init_params(rngs["init"], cfg, S)
    optC, optM = _Opt(C, cfg.lr_c, cfg.optimizer), _Opt(M, cfg.lr_m, cfg.optimizer)
    test = fixed_test_set(cfg, seed)
    n_upd = cfg.episodes // B
    hist = dict(update=[], test=[], m_loss=[], c_loss=[], reward=[], sigma=[])
    first_full = np.full(S, np.nan)
    for u in range(n_upd):
        cue, X = sample_episodes(rngs["data"], (S, B), N)
        noise = rngs["explore"].standard_normal((N + 1, S, B))
        cc = c_forward(C, X, noise, cfg)                            # C acts (its inputs do not depend on its actions)
        Y, correct = targets(X, cue, cc["a"][-1])
        mc = m_forward(M, m_inputs(X, cc["a"], cue, cfg))
        # C's gradient through M (M's weights as before this batch), then M's own gradient
        err = mc["Yh"] - Y
        m_loss = np.sum(err ** 2, axis=(0, 2, 3)) / B
        c_loss, dYc = c_loss_grad_out(mc["Yh"])
        _, dU = m_backward(M, mc, dYc)
        gC = c_backward(C, X, cc, noise, dU[..., N_OBS], cfg)
        gM, _ = m_backward(M, mc, 2.0 * err / B)
        if cfg.clip > 0:
            _clip(gC, cfg.clip)
            _clip(gM, cfg.clip)
        optC.step(C, gC)
        optM.step(M, gM)
        if not cfg.c_recurrent:
            C["Wh"][:] = 0.0
        if (u + 1) % cfg.eval_every == 0 or u == n_upd - 1:
            rate, _ = test_success(C, cfg, test)
            newly = np.isnan(first_full) & (rate >= 1.0)
            first_full[newly] = u
            hist["update"].append(u)
            hist["test"].append(rate)
            hist["m_loss"].append(m_loss.copy())
            hist["c_loss"].append(c_loss.copy())
            hist["reward"].append(correct.mean(axis=1))
            hist["sigma"].append(cc["sigma"][-1].mean(axis=1))
            if (u + 1) % cfg.log_every == 0 or u == n_upd - 1:
                progress(f"update {u + 1:5d}/{n_upd}  episodes {(u + 1) * B:6d}  M loss {np.median(m_loss):.3f}  "
                         f"C loss {np.median(c_loss):.3f}  train right {correct.mean():.2f}  "
                         f"test 100%: {int(np.sum(rate >= 1.0))}/{S}  sigma@junction {cc['sigma'][-1].mean():.2f}")
        if callback is not None:
            callback(u, dict(C=C, M=M, hist=hist))
    return dict(C=C, M=M, history={k: np.array(v) for k, v in hist.items()}, first_full=first_full, test=test)


def model_cue_acc(cfg, C, M, test, delta=0.5):
    """Per-run (S,) fraction of test episodes in which M, after the corridor, predicts more pleasure - pain
    for the action toward the paying flag (+delta or -delta at the junction) than for the other one:
    whether M itself still holds the cue seen `corridor` steps earlier (C acts noise-free before the junction)."""
    cue, X = test
    S = C["Wh"].shape[0]
    Xs = np.broadcast_to(X[:, None], (X.shape[0], S) + X.shape[1:])
    cues = np.broadcast_to(cue, (S, cue.size))
    mu = c_forward(C, Xs, np.zeros(Xs.shape[:-1]), cfg, sigma_on=False)["mu"]
    adv = []
    for a_n in (delta, -delta):
        a = mu.copy()
        a[-1] = a_n
        yh = m_forward(M, m_inputs(Xs, a, cues, cfg))["Yh"][-1]
        adv.append(yh[..., PLEASURE] - yh[..., PAIN])
    return np.mean(np.sign(adv[0] - adv[1]) == np.sign(cue)[None], axis=1)


def evaluate(cfg, out):
    """Per-run final test success and episodes to the first 100% -> the run's metrics."""
    rate, _ = test_success(out["C"], cfg, out["test"])
    m_acc = model_cue_acc(cfg, out["C"], out["M"], out["test"])
    eps = (out["first_full"] + 1) * cfg.batch                        # NaN stays NaN: never reached 100%
    solved = rate >= 1.0
    k = int(solved.sum())
    eps_sorted = np.where(np.isnan(eps), np.inf, eps)              # never reached sorts above every number
    with np.errstate(invalid="ignore"):                            # inf - inf inside the interpolation: NaN
        med, q1, q3 = (float(np.percentile(eps_sorted, p)) for p in (50, 25, 75))
    med, q1, q3 = (v if np.isfinite(v) else float("nan") for v in (med, q1, q3))
    return dict(
        runs_solved=k,
        frac_solved=k / cfg.runs,
        runs_at_half=int(np.sum(np.abs(rate - 0.5) <= 0.1)),
        runs_diverged=int(sum(np.any(~np.isfinite(P.reshape(cfg.runs, -1)), axis=1)
                              for net in (out["C"], out["M"]) for P in net.values()).astype(bool).sum()),
        test_success_run0=float(rate[0]),
        test_success_median=float(np.median(rate)),
        test_success_min=float(rate.min()),
        episodes_median=med, episodes_q1=q1, episodes_q3=q3,
        episodes_run0=float(eps[0]),
        m_cue_acc_median=float(np.median(m_acc)),
        m_cue_acc_min=float(m_acc.min()),
        **{f"test_success_r{r:02d}": float(v) for r, v in enumerate(rate)},
        **{f"episodes_r{r:02d}": float(v) for r, v in enumerate(eps)},
    )


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    metrics = evaluate(cfg, out)
    metrics["solved"] = int(metrics["runs_solved"] >= 0.8 * cfg.runs)
    return metrics


def gradcheck(cfg, seed) -> dict:
    """Central differences vs the hand-written BPTT of M and of C-through-M, float64, small nets."""
    small = Config(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__},
                      "runs": 2, "hidden_c": 4, "hidden_m": 5, "batch": 3, "corridor": 4})
    rngs = rng_streams(seed, STREAMS)
    C, M = init_params(rngs["init"], small, small.runs)
    C["wsg"] += 0.3 * rngs["probe"].standard_normal(C["wsg"].shape)   # so the variance path carries signal
    cue, X = sample_episodes(rngs["data"], (small.runs, small.batch), small.corridor)
    noise = rngs["explore"].standard_normal((small.corridor + 1, small.runs, small.batch))
    cc = c_forward(C, X, noise, small)
    Y, _ = targets(X, cue, cc["a"][-1])
    U = m_inputs(X, cc["a"], cue, small)
    chk = rng_streams(seed, STREAMS)["probe"]
    errors = {}
    _, gM = m_loss_grads(M, U, Y)
    for k, e in numeric_gradcheck(lambda: float(m_loss_grads(M, U, Y)[0].sum()), M, gM, chk).items():
        errors[f"M_bptt.{k}"] = e
    _, gC, gM2 = c_loss_grads(C, M, X, cue, noise, small)
    for k, e in numeric_gradcheck(lambda: float(c_loss_grads(C, M, X, cue, noise, small)[0].sum()), C, gC,
                                  chk).items():
        errors[f"C_through_M.{k}"] = e
    for k, e in numeric_gradcheck(lambda: float(c_loss_grads(C, M, X, cue, noise, small)[0].sum()), M, gM2,
                                  chk).items():
        errors[f"predicted_reinf_wrt_M.{k}"] = e
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
