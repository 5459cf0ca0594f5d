"""Curious model building by Q-learning on the change of an adaptive confidence (Schmidhuber 1991).

Schmidhuber, "Curious model-building control systems", Proc. IJCNN 1991 (Singapore), vol. 2,
pp. 1458-1463; details in TR FKI-149-91, "Adaptive confidence and adaptive curiosity" (TU Munich).

Claim: an agent in a reactive 2-D world of 100 states, some of whose reactions are random, builds
its world model M faster when a Q-learner is rewarded for the change of M's reliability as
estimated by a confidence net C (the paper: E(t), M's squared error summed over the deterministic
reactions, "decreased up to 10 times faster than with random search"). Four nets learn online by
gradient descent: the world model M, the confidence net C, the controller A and the evaluator Q
(Watkins' Q-learning with a utility table U). The same run also trains, on the same world and the
same initial nets, a random explorer and an error-seeking explorer (reward = M's own error, the
1990 curiosity), which is drawn to the random states.

Run:  python3 curiosity_three_regions.py --seed 0              (one world, three explorers)
      python3 curiosity_three_regions.py --seed 0 --runs 20    (seeds 0..19 in lock-step)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "curiosity-three-regions"
META = dict(
    title="curious model building: Q-learning on the change of an adaptive confidence",
    paper="Schmidhuber 1991, Curious model-building control systems (IJCNN 1991; TR FKI-149-91)",
    year=1991,
    claim=("Four single-layer nets learning online (world model M, confidence C, controller A, Q-learner Q), "
           "rewarded for the gain in C's assumed reliability, bring M's error on the deterministic reactions of a "
           "100-state world (half its states random) to a fixed level faster than random exploration on 19 of 20 "
           "worlds, median 1.39x (IQR 1.34-1.48; 2.8x with 90 % random states), short of the paper's 'up to 10x'; "
           "an error-seeking explorer never gets there (stuck in the noise, 20/20 worlds)"),
    figure=dict(args="--seeds 0-9", metric="speedup"),
    gradcheck=True,
)
CLAIMS = [
    # the worked example: world 0 (seed 0), the three explorers in one process
    dict(tier="headline", args="--seed 0", metric="steps_curious", claim="== 33611", paper="—", published="—"),
    dict(tier="headline", args="--seed 0", metric="steps_random", claim="== 27868", paper="—", published="—"),
    # 20 worlds (seeds 0..19) in lock-step: the paper's comparison, and the error-seeking contrast
    dict(tier="headline", args="--seed 0 --runs 20", metric="median_speedup", claim="> 1", kind="paper",
         paper="the curious system builds M faster than random search", published="visits C > B > A, 10/10 seeds"),
    dict(tier="headline", args="--seed 0 --runs 20", metric="max_speedup", claim=">= 10", kind="paper",
         paper="E(t) decreased up to 10 times faster than with random search", published="—"),
    dict(tier="headline", args="--seed 0 --runs 20", metric="runs_faster", claim=">= 15", paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --runs 20", metric="q1_speedup", claim=">= 1.15", paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --runs 20", metric="q3_speedup", claim="<= 2", paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --runs 20", metric="median_steps_curious", claim="<= 25000", paper="—",
         published="—"),
    dict(tier="headline", args="--seed 0 --runs 20", metric="error_reached_runs", claim="<= 2", paper="—",
         published="—"),
    dict(tier="headline", args="--seed 0 --runs 20", metric="median_share_random_error", claim=">= 0.8", paper="—",
         published="—"),
    dict(tier="headline", args="--seed 0 --runs 20", metric="median_share_random_curious", claim="<= 0.4", paper="—",
         published="visits: learnable 42.8 % > random 33.3 % > known 23.9 %"),
    dict(tier="headline", args="--seed 0 --runs 20", metric="median_share_random_random", claim=">= 0.45", paper="—",
         published="—"),
    # the headline figure: seeds 0..9 one process each (the same worlds as runs 0..9 above)
    dict(tier="seeds", args="--seeds 0-9", metric="solved_seeds", claim=">= 7/10", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="median_speedup", claim=">= 1.25", paper="up to 10", published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="q1_speedup", claim=">= 1.1", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="q3_speedup", claim="<= 2", paper="—", published="—"),
    # held-out worlds 20..39 (the defaults were chosen on worlds 0..4)
    dict(tier="seeds", args="--seed 20 --runs 20", metric="median_speedup", claim=">= 1.25", paper="—", published="—"),
    dict(tier="seeds", args="--seed 20 --runs 20", metric="runs_faster", claim=">= 15", paper="—", published="—"),
    dict(tier="seeds", args="--seed 20 --runs 20", metric="error_reached_runs", claim="<= 2", paper="—", published="—"),
    # beyond the paper: the random share of the states, 0-90 % (0.5 above)
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0", metric="median_speedup", claim="<= 1", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0", metric="runs_faster", claim="<= 3", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0", metric="error_reached_runs", claim=">= 18",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0.3", metric="median_speedup", claim=">= 1.05",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0.3", metric="runs_faster", claim=">= 17", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0.7", metric="median_speedup", claim=">= 1.5",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0.7", metric="runs_faster", claim=">= 16", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0.9", metric="median_speedup", claim=">= 2",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0.9", metric="q3_speedup", claim=">= 3", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0.9", metric="max_speedup", claim=">= 10", kind="paper",
         paper="E(t) decreased up to 10 times faster than with random search (90 % random states here)",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --random-share 0.9", metric="runs_faster", claim=">= 13", paper="—",
         published="—"),
    # beyond the paper: the fixed E level (ours; the paper states none)
    dict(tier="seeds", args="--seed 0 --runs 20 --e-level 0.05", metric="median_speedup", claim="<= 0.75", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --e-level 0.05", metric="runs_faster", claim="<= 2", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --e-level 0.003 --steps 100000", metric="runs_faster", claim="<= 2",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --e-level 0.003 --steps 100000", metric="median_steps_random",
         claim="<= 90000", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --e-level 0.003 --steps 100000", metric="median_share_random_curious",
         claim=">= 0.5", paper="—", published="—"),
    # the open readings of the paper's algorithm, one Config field each
    dict(tier="seeds", args="--seed 0 --runs 20 --reward abs", metric="runs_faster", claim="<= 2", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --reward abs", metric="median_share_random_curious", claim=">= 0.8",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --c-target squared", metric="median_speedup", claim=">= 1.3",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --c-target squared", metric="runs_faster", claim=">= 17", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --lr-a 2", metric="median_speedup", claim=">= 1.25", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --epsilon 0.1", metric="median_speedup", claim="<= 1", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --runs 20 --epsilon 0.1", metric="runs_faster", claim="<= 5", paper="—",
         published="—"),
]


@dataclass(frozen=True)
class Config:
    side: int = 10  # the world is a side x side grid of states (paper: 100 states, 2-D)
    random_share: float = 0.5  # share of the states whose reactions are random (the top rows); the rest react deterministically
    steps: int = 50000  # interactions (time steps) per explorer
    e_level: float = 0.01  # the fixed E level: E(t) below e_level x (deterministic state-action pairs), E(0) ~ 0.25 per pair
    lr_m: float = 1.0  # learning rate of the world model M (one sigmoid unit on the state-action pair, squared error)
    lr_c: float = 4.0  # learning rate of the confidence net C, which learns M's error
    lr_q: float = 0.2  # learning rate of the evaluator Q (Watkins' alpha)
    lr_a: float = 50.0  # learning rate of the controller A (trained towards Q's greedy action; 50: A follows Q within about one visit)
    gamma: float = 0.9  # discount factor of Q-learning
    epsilon: float = 0.3  # probability of a random action (step 1 of the paper's algorithm)
    init_std: float = 0.01  # std of the random initial weights of all four nets
    c_target: str = field(default="norm", metadata={"choices": ("norm", "squared")})  # what C learns to emit: M's error ||d - o_M|| (norm) or its square
    reward: str = field(default="gain", metadata={"choices": ("gain", "abs")})  # curious reward: the signed gain in C's assumed reliability (o_C - o_C after C's update) or its absolute value
    runs: int = 1  # independent worlds learning in lock-step in this process: seeds seed .. seed+runs-1 (run 0 is --seed alone)
    log_every: int = 0  # record the history every this many steps for the pictures (0: off)

    def __post_init__(self):
        if self.side < 2:
            raise ValueError("side must be >= 2")
        if not 0.0 <= self.random_share < 1.0:
            raise ValueError("random_share must be in [0, 1)")
        if self.steps <= 0 or self.runs <= 0 or self.log_every < 0:
            raise ValueError("steps and runs must be positive, log_every >= 0")
        if min(self.lr_m, self.lr_c, self.lr_q, self.lr_a, self.e_level) <= 0:
            raise ValueError("learning rates and e_level must be positive")
        if not 0.0 <= self.gamma < 1.0 or not 0.0 <= self.epsilon <= 1.0 or self.init_std < 0:
            raise ValueError("need 0 <= gamma < 1, 0 <= epsilon <= 1, init_std >= 0")


SMOKE = dict(steps=1500, runs=2, log_every=250)
STREAMS = ("world", "init", "explore", "react", "probe")  # every random stream, by name (probe: gradcheck)

AGENTS = ("curious", "random", "error")  # the explorers trained side by side on each world
N_ACT = 4  # actions: move north, east, south, west (into a wall: stay)
MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))


# ----------------------------------------------------------------------------- the reactive world

def make_world(cfg, rng):
    """The 2-D world of side x side states (paper: 100).

    The agent's state is its cell; an action moves it one cell (a wall: it stays). At every step the
    environment also reacts with one bit to the (state, action) pair: in the deterministic states a
    fixed bit per pair (drawn once per world), in the random states (the top random_share of the
    rows, row-major) a fair coin every time. Returns nxt (S, 4) next state, rand_state (S,) bool,
    R (S*4,) the deterministic reaction of every pair (pair p = 4 s + a), det_pair (S*4,) bool, start.
    """
    side = cfg.side
    S = side * side
    row, col = np.divmod(np.arange(S), side)
    nxt = np.empty((S, N_ACT), dtype=np.intp)
    for a, (dr, dc) in enumerate(MOVES):
        nxt[:, a] = np.clip(row + dr, 0, side - 1) * side + np.clip(col + dc, 0, side - 1)
    rand_state = np.arange(S) < int(round(cfg.random_share * S))
    R = rng.integers(0, 2, size=S * N_ACT).astype(float)
    start = int(rng.integers(S))
    return dict(nxt=nxt, rand_state=rand_state, R=R, det_pair=np.repeat(~rand_state, N_ACT), start=start)


# ----------------------------------------------------------------------------- the four nets
# Every net is a single layer of weights on a local (one-hot) input code, as the paper's local
# input/output representations suggest; B independent nets (explorers x runs) sit on a leading
# axis. With a one-hot input, the forward pass reads one row of W and the weight gradient is the
# outer product of the one-hot input with the output deltas: one row.
#   M: (state, action) pair -> 1 sigmoid unit, the predicted reaction bit      W (B, 4S, 1)
#   C: (state, action) pair -> 1 sigmoid unit, M's expected squared error     W (B, 4S, 1)
#   Q: state -> 4 linear units, Q(x, a) for every action                      W (B, S, 4)
#   A: state -> 4 sigmoid units, the controller; its largest output is the action   W (B, S, 4)

def logistic(z):
    """1 / (1 + exp(-z)): the nets' squashing function (their weights stay far from exp's overflow)."""
    return 1.0 / (1.0 + np.exp(-z))


def net_forward(W, idx, kind):
    """Outputs o (B, n, k) of B nets for one-hot inputs idx (B, n) (the active input unit of each example)."""
    z = W[np.arange(W.shape[0])[:, None], idx]
    return logistic(z) if kind == "sigmoid" else z


def net_delta(o, d, kind):
    """dL/dz (..., k) for L = 1/2 sum (o - d)^2 at the output units (through the sigmoid if any)."""
    return (o - d) * o * (1.0 - o) if kind == "sigmoid" else o - d


def net_grad(W, idx, delta):
    """dL/dW (B, n_in, k): for each example, its one-hot input (outer) its output deltas, summed."""
    g = np.zeros_like(W)
    B, n = idx.shape
    np.add.at(g, (np.repeat(np.arange(B), n), idx.ravel()), delta.reshape(B * n, -1))
    return g


def net_step(W, bi, idx, d, lr, kind, col=None):
    """One online gradient-descent step of B nets on one example each (bi = arange(B), idx (B,) input unit).

    With col (B,) the loss is on that one output unit per net (Q's taken action) and d is (B,);
    else on every unit, d (B, k). W changes in place by -lr dL/dW; with a one-hot input that is
    row idx of net_grad (the same net_delta), the only row it touches. Returns (all outputs before
    the step (B, k), the trained outputs after it)."""
    z = W[bi, idx]                                                   # (B, k) a copy
    o = logistic(z) if kind == "sigmoid" else z
    if col is None:
        z -= lr * net_delta(o, d, kind)
        W[bi, idx] = z
    else:
        zc = z[bi, col] - lr * net_delta(o[bi, col], d, kind)
        W[bi, idx, col] = zc
        z = zc
    return o, logistic(z) if kind == "sigmoid" else z


def init_nets(cfg, S, B, rng):
    """Small random weights for the four nets (B copies drawn independently)."""
    def w(n_in, k):
        return rng.normal(0.0, cfg.init_std, size=(B, n_in, k))
    return dict(M=w(S * N_ACT, 1), C=w(S * N_ACT, 1), Q=w(S, N_ACT), A=w(S, N_ACT))


# ----------------------------------------------------------------------------- training

def train(cfg, seed, callback=None):
    """The three explorers on `runs` worlds in lock-step for cfg.steps interactions each.

    Each world (run r uses the streams of seed + r) gets one set of initial nets and one start
    cell, shared by its three explorers. Each time step, for every explorer (the paper's algorithm,
    section 3.2, its open details read as stated in the README):
      1. draw p in [0, 1]; if p < epsilon take a random action, else the one with A's largest output
         (the random explorer always takes a random action);
      2. execute it: observe the next state x' and the reaction bit d;
      3. M takes one gradient step towards d; C one step towards M's error ||d - o_M|| (o_M before
         M's step); the curious reward is the change of C's assumed reliability,
         r = o_C - o_C' (o_C' = C's output for the same input after its step: > 0 when the
         expected error fell); the error-seeking explorer's reward is M's squared error;
      4. Q(x, a) takes one step towards r + gamma U(x'); A one step towards the one-hot of
         argmax_b Q(x, b);
      5. U(x) <- max_b Q(x, b).
    E(t) = sum over the deterministic (state, action) pairs of (R - o_M)^2. Returns `reached`
    (n_agents, runs): the first step after which E(t) < e_level x n_det (NaN: never, within cfg.steps).
    callback(step, state) at every logged step.
    """
    runs, nA = cfg.runs, len(AGENTS)
    B = nA * runs                                      # batch index b = agent * runs + run
    S = cfg.side * cfg.side
    worlds, nets, draws = [], [], []
    for r in range(runs):
        rng = rng_streams(seed + r, STREAMS)
        worlds.append(make_world(cfg, rng["world"]))
        nets.append(init_nets(cfg, S, 1, rng["init"]))
        draws.append(rng)
    nxt, rand_state, det_pair = worlds[0]["nxt"], worlds[0]["rand_state"], worlds[0]["det_pair"]
    n_det = int(det_pair.sum())
    Rb = np.tile(np.stack([w["R"] for w in worlds]), (nA, 1))                    # (B, 4S) reactions
    W = {k: np.tile(np.concatenate([n[k] for n in nets]), (nA, 1, 1)) for k in nets[0]}   # (B, n_in, k)
    U = np.zeros((B, S))                                                            # utility table
    pos = np.tile(np.array([w["start"] for w in worlds]), nA)
    eps = np.repeat([cfg.epsilon, 1.0, cfg.epsilon], runs)                         # random explorer: always random
    curious = np.repeat([True, False, False], runs)
    sq = (Rb - logistic(W["M"][..., 0])) ** 2 * det_pair                           # (B, 4S) det-pair errors
    E = sq.sum(axis=1)
    level = cfg.e_level * n_det
    reached = np.full(B, np.nan)
    bi = np.arange(B)
    eye = np.eye(N_ACT)
    tot = np.zeros((3, B))                             # steps in random states, on unlearned / learned det pairs
    at_level = np.full((3, B), np.nan)                 # tot / t at the step E(t) reaches the level
    win = np.zeros((4, B))                             # the same over the log window, and the reward
    hist = dict(step=[], E=[], rand_visits=[], useful_visits=[], reward=[], pos=[])
    counts = np.zeros((B, S))                          # visits per state (pictures)
    chunk = 2048
    order = np.arange(B).reshape(runs, nA).T.ravel()  # per-run draws (run-major) -> agent-major
    for t0 in range(0, cfg.steps, chunk):
        n = min(chunk, cfg.steps - t0)
        u = np.concatenate([d["explore"].random((nA, n)) for d in draws])[order]
        ar = np.concatenate([d["explore"].integers(0, N_ACT, (nA, n)) for d in draws])[order]
        coin = np.concatenate([d["react"].integers(0, 2, (nA, n)) for d in draws])[order].astype(float)
        for j in range(n):
            x = pos
            # 1. the action: random with probability epsilon, else A's choice
            a = np.where(u[:, j] < eps, ar[:, j], np.argmax(W["A"][bi, x], axis=1))   # A's largest output: largest z
            # 2. execute
            x1 = nxt[x, a]
            p = x * N_ACT + a
            rs = rand_state[x]
            d = np.where(rs, coin[:, j], Rb[bi, p])
            # 3. M, then C, learn; the rewards
            oM, oM1 = net_step(W["M"], bi, p, d[:, None], cfg.lr_m, "sigmoid")
            e = (d - oM[:, 0]) ** 2
            old = sq[bi, p]
            new = (Rb[bi, p] - oM1[:, 0]) ** 2 * det_pair[p]
            E += new - old
            sq[bi, p] = new
            dC = np.sqrt(e) if cfg.c_target == "norm" else e
            oC, oC1 = net_step(W["C"], bi, p, dC[:, None], cfg.lr_c, "sigmoid")
            gain = oC[:, 0] - oC1[:, 0]
            if cfg.reward == "abs":
                gain = np.abs(gain)
            r = np.where(curious, gain, e)
            # 4. Q towards r + gamma U(x'); A towards Q's greedy action at x
            Qx, _ = net_step(W["Q"], bi, x, r + cfg.gamma * U[bi, x1], cfg.lr_q, "linear", col=a)
            Qx[bi, a] = W["Q"][bi, x, a]
            best = np.argmax(Qx, axis=1)
            net_step(W["A"], bi, x, eye[best], cfg.lr_a, "sigmoid")
            # 5. the utility of x
            U[bi, x] = Qx[bi, best]
            pos = x1
            useful = old > cfg.e_level                 # a deterministic pair M had not learned yet
            tot[0] += rs
            tot[1] += useful
            tot[2] += ~rs & ~useful
            win[0] += rs
            win[1] += useful
            win[3] += r
            counts[bi, x] += 1
            hit = np.isnan(reached) & (E < level)
            t = t0 + j + 1
            if hit.any():
                reached[hit] = t
                at_level[:, hit] = tot[:, hit] / t
            if cfg.log_every and t % cfg.log_every == 0:
                hist["step"].append(t)
                hist["E"].append(E.copy())
                hist["rand_visits"].append(win[0] / cfg.log_every)
                hist["useful_visits"].append(win[1] / cfg.log_every)
                hist["reward"].append(win[3] / cfg.log_every)
                hist["pos"].append(pos.copy())
                win[:] = 0.0
                if callback is not None:
                    callback(t, dict(W=W, U=U, E=E, sq=sq, counts=counts, hist=hist))
    shares = np.where(np.isnan(at_level), tot / cfg.steps, at_level)   # never reached: the whole run
    shape = (nA, runs)
    return dict(reached=reached.reshape(shape), E=E.reshape(shape), n_det=n_det, level=level,
                share_random=shares[0].reshape(shape), share_learned=shares[2].reshape(shape),
                W=W, U=U, counts=counts,
                hist=hist, world=worlds[0], Rb=Rb, sq=sq)


def quantile(v, q):
    """Linear-interpolated quantile with NaN ("never reached") sorting above every number (inf)."""
    s = np.sort(np.where(np.isnan(v), np.inf, v))
    pos = q * (len(s) - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    if pos == lo or s[lo] == s[hi]:
        return float(s[lo])
    return float(s[lo] + (s[hi] - s[lo]) * (pos - lo))


def _finite(x):
    return float(x) if np.isfinite(x) else float("nan")


def evaluate(cfg, out) -> dict:
    """Metrics in the paper's unit, time steps (interactions) until E(t) < e_level x n_det.

    Run 0 (the --seed world): steps_<agent>, speedup = steps_random / steps_curious (the paper's
    "E(t) decreased n times faster than with random search"), error_speedup the same for the
    error-seeking explorer, the share of steps spent in random states and on deterministic pairs
    M had learned already (both until E(t) reaches the level, or over the whole run).
    solved: the curious explorer reaches the level before the random one (the paper's claim).
    With --runs > 1 also the statistics over all runs (NaN = never reached, sorts above numbers)."""
    reached = out["reached"]                                        # (3, runs)
    cur, rnd, err = reached
    speed = rnd / cur                                               # NaN where either never reached
    espeed = rnd / err
    m = dict(solved=float(np.isfinite(speed[0]) and speed[0] > 1.0),
             steps_curious=_finite(cur[0]), steps_random=_finite(rnd[0]), steps_error=_finite(err[0]),
             speedup=_finite(speed[0]), error_speedup=_finite(espeed[0]),
             E_end_curious=float(out["E"][0, 0]), E_end_random=float(out["E"][1, 0]),
             E_end_error=float(out["E"][2, 0]), E_level=float(out["level"]))
    for i, ag in enumerate(AGENTS):
        m[f"share_random_{ag}"] = float(out["share_random"][i, 0])
        m[f"share_learned_{ag}"] = float(out["share_learned"][i, 0])
    if cfg.runs > 1:
        m["runs_faster"] = float(np.sum(speed > 1.0))
        m["frac_faster"] = float(np.mean(speed > 1.0))
        m["error_reached_runs"] = float(np.isfinite(err).sum())
        for name, v in (("speedup", speed), ("steps_curious", cur), ("steps_random", rnd), ("steps_error", err),
                        ("error_speedup", espeed)):
            for tag, q in (("min", 0.0), ("q1", 0.25), ("median", 0.5), ("q3", 0.75), ("max", 1.0)):
                m[f"{tag}_{name}"] = _finite(quantile(v, q))
        for i, ag in enumerate(AGENTS):
            m[f"median_share_random_{ag}"] = float(np.median(out["share_random"][i]))
            m[f"median_share_learned_{ag}"] = float(np.median(out["share_learned"][i]))
    return m


def run(cfg, seed) -> dict:
    return evaluate(cfg, train(cfg, seed))


def gradcheck(cfg, seed) -> dict:
    """Central differences (float64) against the four nets' hand-written backward pass and the online step.

    Each net kind (M and C: sigmoid units on the pair code; Q: linear units; A: sigmoid units on the
    state code) on B = 3 small nets with 6 input units, 8 one-hot examples each, so every probed
    weight carries gradient from several examples; then net_step's in-place update against
    -lr x net_grad for one example per net (relative error of the two updates)."""
    rng = rng_streams(seed, STREAMS)["probe"]
    errors = {}
    B, n_in, n = 3, 6, 8
    for name, kind, k in (("M_C_sigmoid", "sigmoid", 1), ("Q_linear", "linear", N_ACT), ("A_sigmoid", "sigmoid", N_ACT)):
        P = {"W": rng.normal(0.0, 1.0, size=(B, n_in, k))}
        idx = rng.integers(0, n_in, size=(B, n))
        d = rng.random((B, n, k))

        def loss():
            return 0.5 * float(np.sum((net_forward(P["W"], idx, kind) - d) ** 2))

        g = net_grad(P["W"], idx, net_delta(net_forward(P["W"], idx, kind), d, kind))
        errors[f"{name}.W"] = numeric_gradcheck(loss, P, {"W": g}, rng, probes=18)["W"]
        # the online step used in training == -lr x (row idx of) net_grad
        W0 = P["W"].copy()
        i1, d1, lr = idx[:, 0], d[:, 0], 0.7
        g1 = net_grad(W0, i1[:, None], net_delta(net_forward(W0, i1[:, None], kind)[:, 0], d1, kind)[:, None])
        W1 = W0.copy()
        net_step(W1, np.arange(B), i1, d1, lr, kind)
        diff = np.abs((W1 - W0) + lr * g1).max() / max(np.abs(lr * g1).max(), 1e-12)
        errors[f"{name}.online_step"] = float(diff)
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run,
                    gradcheck=gradcheck)


# ----------------------------------------------------------------------------- pasted snippets
# Shared plumbing, pasted verbatim from snippets/ (python3 -m catalog.snippets); the paper's
# algorithm is everything above.

# >>> snippet: seeds (canonical: snippets/seeds.py; edit there, then run python3 -m catalog.snippets)
def rng_streams(seed, names):
    """Independent named generators spawned from one SeedSequence(seed); same seed and names, same streams."""
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}
# <<< snippet: seeds

# >>> snippet: gradcheck (canonical: snippets/gradcheck.py; edit there, then run python3 -m catalog.snippets)
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

# >>> snippet: record (canonical: snippets/record.py; edit there, then run python3 -m catalog.snippets)
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

# >>> snippet: cli (canonical: snippets/cli.py; edit there, then run python3 -m catalog.snippets)
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
