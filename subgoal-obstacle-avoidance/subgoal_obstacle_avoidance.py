"""Sub-goal generators for an animat that must walk around cone-shaped swamps (Schmidhuber 1991; 1992).

Schmidhuber, "Learning to generate sub-goals for action sequences", ICANN 1991, 967-972;
Schmidhuber & Wahnsiedler, "Planning simple trajectories using neural subgoal generators",
SAB 2 (1992), 196-202.

Claim: a network S that maps (start, goal) to a list of sub-goals can learn, by gradient descent
through a differentiable evaluator of straight sub-paths, a plan whose sub-paths avoid every
swamp. A swamp is a circle whose cost is the depth of a cone below it; a straight sub-path costs the
area between it and its projection onto each cone. The SAB paper reports one swamp with a recurrent
S (40 hidden units, eta 0.03): 20 iterations to a satisfactory plan; several swamps with a static S
(40 hidden, eta 0.002): 22 iterations. The ICANN paper's evaluator is itself a learned network
(--evaluator learned here). All --nets generators learn in lock-step in one process.

Run:  python3 subgoal_obstacle_avoidance.py --seed 0                         (one swamp, recurrent S)
      python3 subgoal_obstacle_avoidance.py --seed 0 --nets 100              (100 generators)
      python3 subgoal_obstacle_avoidance.py --seed 0 --nets 100 --task diagonal --arch static --lr 0.002
"""
import os
import sys
from dataclasses import dataclass, field

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "subgoal-obstacle-avoidance"
META = dict(
    title="a sub-goal generator learns, by gradient through a cone-cost evaluator, to plan around swamps",
    paper=("Schmidhuber 1991, Learning to generate sub-goals for action sequences (ICANN 1991); "
           "Schmidhuber & Wahnsiedler 1992, Planning simple trajectories using neural subgoal generators (SAB 2)"),
    year=1991,
    claim=("Plain gradient descent through the analytic cone cost: on one swamp (recurrent S, 40 hidden, eta 0.03) "
           "100/100 generators find a swamp-free plan, median 35 updates (IQR 24-59; paper 20, one run); on five "
           "swamps (static S, eta 0.002) only 33/100 do within 3,000 updates (paper 22); the direct path never does"),
    figure=dict(args="--seeds 0-9", metric="iters"),
    gradcheck=True,
)
CLAIMS = [
    # the SAB paper's fig. 4 reading: one swamp, recurrent S, 40 hidden, eta 0.03, 3 sub-goals
    dict(tier="headline", args="--seed 0", metric="iters", claim="== 38", paper="20 iterations", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="solved_seeds", claim=">= 9/10", paper="—", published="99% success vs 0% direct (another task: circles, Gaussian line-integral cost, obstacle-blind low-level net, Adam)"),
    dict(tier="headline", args="--seeds 0-9", metric="median_iters", claim="<= 30", paper="20 iterations",
         published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q1_iters", claim="<= 25", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q3_iters", claim="<= 50", paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --nets 100", metric="median_iters", claim="<= 20", kind="paper",
         paper="20 iterations to a satisfactory plan (one swamp, recurrent S, 40 hidden, eta_S 0.03; one run)",
         published="—"),
    dict(tier="headline", args="--seed 0 --nets 100", metric="solved_frac", claim=">= 0.97", paper="—",
         published="99%"),
    dict(tier="headline", args="--seed 0 --nets 100", metric="q1_iters", claim="<= 30", paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --nets 100", metric="q3_iters", claim="<= 70", paper="—", published="—"),
    # the contrast: the direct path crosses the swamp (no plan without sub-goals is satisfactory)
    dict(tier="headline", args="--seed 0 --nets 100", metric="direct_solved", claim="== 0", paper="—",
         published="0% (no-sub-goal baseline)"),
    dict(tier="headline", args="--seed 0 --nets 100", metric="direct_cost", claim="== 0.25", paper="—", published="—"),
    # the SAB paper's fig. 5 reading: several swamps ('diagonal', five), static S, 40 hidden, eta 0.002
    dict(tier="headline", args="--seed 0 --nets 100 --task diagonal --arch static --lr 0.002", metric="median_iters",
         claim="<= 22", kind="paper",
         paper="22 iterations to a satisfactory plan (several swamps, static S, 40 hidden, eta_S 0.002; one run)",
         published="—"),
    dict(tier="headline", args="--seed 0 --nets 100 --task diagonal --arch static --lr 0.002", metric="solved_frac",
         claim=">= 0.25", paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --nets 100 --task diagonal --arch static --lr 0.002", metric="q1_iters",
         claim="<= 850", paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --nets 100 --task diagonal --arch static --lr 0.002", metric="direct_solved",
         claim="== 0", paper="—", published="—"),
    # >= 20 seeds through the runner (one process per seed)
    dict(tier="seeds", args="--seeds 0-19", metric="solved_seeds", claim=">= 19/20", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-19", metric="median_iters", claim="<= 30", paper="20 iterations",
         published="—"),
    dict(tier="seeds", args="--seeds 0-19 --task diagonal --arch static --lr 0.002", metric="solved_seeds",
         claim=">= 4/20", paper="—", published="—"),
    # both architectures on both tasks
    dict(tier="seeds", args="--seed 0 --nets 100 --arch static", metric="median_iters", claim="<= 40", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --arch static", metric="solved_frac", claim=">= 0.97", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task diagonal --lr 0.002", metric="solved_frac", claim=">= 0.6",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task diagonal --lr 0.002", metric="median_iters", claim="<= 400",
         paper="22 iterations (static S)", published="—"),
    # readings of what the papers leave open: the cost scale (only eta x depth matters), the other layouts,
    # a looser 'satisfactory'
    dict(tier="seeds", args="--seed 0 --nets 100 --height 2", metric="median_iters", claim="<= 20",
         paper="20 iterations", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task diagonal --arch static", metric="solved_frac",
         claim="<= 0.45", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task diagonal --arch static", metric="q1_iters", claim="<= 55",
         paper="22 iterations", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task staggered --arch static --lr 0.002", metric="solved_frac",
         claim="<= 0.35", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task cross --arch static --lr 0.002", metric="solved_frac",
         claim=">= 0.4", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --tol 0.01", metric="median_iters", claim="<= 30",
         paper="20 iterations", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task diagonal --arch static --lr 0.002 --tol 0.01",
         metric="solved_frac", claim="<= 0.45", paper="—", published="—"),
    # beyond: 1 to 4 sub-goals
    dict(tier="seeds", args="--seed 0 --nets 100 --n-sub 1", metric="median_iters", claim="<= 40", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --n-sub 4", metric="median_iters", claim="<= 40", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task diagonal --arch static --lr 0.002 --n-sub 1",
         metric="solved_frac", claim=">= 0.65", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task diagonal --arch static --lr 0.002 --n-sub 2",
         metric="solved_frac", claim=">= 0.3", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 100 --task diagonal --arch static --lr 0.002 --n-sub 4",
         metric="solved_frac", claim="<= 0.4", paper="—", published="—"),
    # the ICANN paper's learned evaluator E (fitted first, then S learns through it); 20 generators
    dict(tier="seeds", args="--seed 0 --nets 20 --evaluator learned", metric="solved_frac", claim="<= 0.3",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 20 --evaluator learned", metric="e_mse", claim=">= 0.006",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 20 --evaluator learned --e-opt adam --e-lr 0.01", metric="solved_frac",
         claim=">= 0.1", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 20 --evaluator learned --e-opt adam --e-lr 0.01", metric="e_mse",
         claim="<= 0.004", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --nets 20 --evaluator learned --e-opt adam --e-lr 0.01 --e-online",
         metric="solved_frac", claim=">= 0.5", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --nets 20 --evaluator learned --e-opt adam --e-lr 0.01 --e-steps 16000",
         metric="solved_frac", claim=">= 0.4", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --nets 20 --evaluator learned --e-opt adam --e-lr 0.01 --e-steps 16000",
         metric="e_mse", claim="<= 0.003", paper="—", published="—"),
]


@dataclass(frozen=True)
class Config:
    task: str = field(default="one", metadata={"choices": ("one", "diagonal", "staggered", "cross")})  # swamp layout: one swamp on the start-goal line (SAB fig. 4 reading) or one of three several-swamp layouts (fig. 5 readings)
    arch: str = field(default="recurrent", metadata={"choices": ("recurrent", "static")})  # recurrent: S emits one sub-goal per step, fed back as its next start; static: all sub-goals at once
    evaluator: str = field(default="analytic", metadata={"choices": ("analytic", "learned")})  # analytic: the cone cost and its exact gradient (SAB); learned: a backprop net E fitted to the cone cost first (ICANN)
    n_sub: int = 3  # sub-goals per plan (the plan has n_sub + 1 straight sub-paths)
    hidden: int = 40  # hidden logistic units of S (paper: 40)
    lr: float = 0.03  # S's learning rate eta_S (paper: 0.03 one swamp, 0.002 several swamps)
    init: float = 0.5  # S's initial weights uniform in [-init, init]
    height: float = 1.0  # multiplies every cone's depth (the cost scale; the paper's is not given)
    tol: float = 0.0  # a plan is satisfactory when its cone cost <= tol x the direct path's cost (0: touches no swamp)
    max_iters: int = 3000  # give up after this many updates of S
    nets: int = 1  # independent generators learning in lock-step (net 0 is the seed's own)
    e_hidden: int = 40  # learned evaluator: hidden logistic units of E
    e_init: float = 0.5  # learned evaluator: E's initial weights uniform in [-e_init, e_init]
    e_steps: int = 4000  # learned evaluator: training updates of E before S learns
    e_batch: int = 64  # learned evaluator: random sub-paths per update of E
    e_lr: float = 0.1  # learned evaluator: E's learning rate
    e_online: bool = False  # learned evaluator: E also takes one step per iteration on the costs of the sub-paths C just walked
    e_opt: str = field(default="sgd", metadata={"choices": ("sgd", "adam")})  # learned evaluator: E's optimiser
    log_every: int = 1  # record net 0's plan and every net's cost every this many updates (pictures; 0 = off)

    def __post_init__(self):
        for name in ("n_sub", "hidden", "max_iters", "nets", "e_hidden", "e_batch"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.e_steps < 0 or self.log_every < 0:
            raise ValueError("e_steps and log_every must be >= 0")
        if min(self.lr, self.e_lr, self.init, self.e_init, self.height) <= 0:
            raise ValueError("lr, e_lr, init, e_init and height must be positive")
        if not 0.0 <= self.tol < 1.0:
            raise ValueError("tol must be in [0, 1)")


SMOKE = dict(nets=4, max_iters=60, evaluator="learned", e_steps=50, e_online=True)
STREAMS = ("init", "evaluator", "probe")  # S's initial weights; E's weights and training sub-paths; gradcheck
PAPER_RUNS = {  # the SAB paper's two experiments as Config overrides (the pictures import these)
    "fig4": dict(),                                                  # one swamp, recurrent S, eta 0.03
    "fig5": dict(task="diagonal", arch="static", lr=0.002),          # several swamps, static S, eta 0.002
}

# ----------------------------------------------------------------------------- the task: swamps and cone cost
# The arena is the unit square (S's logistic outputs are the sub-goal coordinates). A swamp i is a
# circle with centre c_i and radius r_i; it is the base of a cone with its tip at depth h_i below
# c_i, so the depth under a point p is g_i(p) = h_i (1 - |p - c_i| / r_i) inside the circle and 0
# outside. A straight sub-path a -> b costs F = sum_i  integral over the path of g_i ds: the area
# between the path and its projection onto every cone. Outside every swamp a path costs nothing.

LAYOUTS = {
    # name: (start, goal, centres (S, 2), radii (S,), depths (S,))
    "one": ((0.1, 0.5), (0.9, 0.5), ((0.5, 0.5),), (0.25,), (1.0,)),
    "diagonal": ((0.1, 0.1), (0.9, 0.9), ((0.3, 0.35), (0.5, 0.5), (0.7, 0.65), (0.3, 0.75), (0.7, 0.25)),
                 (0.12, 0.15, 0.12, 0.12, 0.12), (1.0, 1.0, 1.0, 1.0, 1.0)),
    "staggered": ((0.1, 0.5), (0.9, 0.5), ((0.3, 0.55), (0.5, 0.4), (0.7, 0.6)), (0.15, 0.15, 0.15),
                  (1.0, 1.0, 1.0)),
    "cross": ((0.1, 0.5), (0.9, 0.5), ((0.35, 0.5), (0.65, 0.5), (0.5, 0.75), (0.5, 0.25)),
              (0.12, 0.12, 0.12, 0.12), (1.0, 1.0, 1.0, 1.0)),
}


def layout(cfg):
    """start (2,), goal (2,), swamp centres (S, 2), radii (S,), cone depths (S,) of cfg.task."""
    s, g, c, r, h = LAYOUTS[cfg.task]
    return (np.array(s, float), np.array(g, float), np.array(c, float), np.array(r, float),
            cfg.height * np.array(h, float))


def cone_cost(a, b, centres, radii, depths, grad=True):
    """Cone cost of the straight sub-paths a -> b, in closed form, with its exact gradient.

    a, b (..., 2).  Returns F (...,) and, with grad, dF/da, dF/db (..., 2).
    Along the path, u is arc length measured from the foot of the perpendicular from c; delta is the
    path's distance from c; the path is inside the circle for u in [u1, u2] (clipped to the path's
    ends). The cone's depth there is h (1 - sqrt(u^2 + delta^2) / r), whose integral is
    h [(u2 - u1) - (G(u2) - G(u1)) / r] with G(u) = (u rho + delta^2 asinh(u / delta)) / 2, rho = sqrt(u^2 + delta^2).
    """
    a, b = a[..., None, :], b[..., None, :]               # (..., 1, 2)
    D = b - a
    L = np.maximum(np.sqrt((D * D).sum(-1)), 1e-12)       # (..., 1) path length
    e = D / L[..., None]                                  # (..., 1, 2) unit direction
    w = centres - a                                       # (..., S, 2)
    uc = (w * e).sum(-1)                                  # (..., S) arc length from a to the foot
    d2 = np.maximum((w * w).sum(-1) - uc * uc, 0.0)       # delta^2
    dl = np.sqrt(np.maximum(d2, 1e-30))
    q2 = radii * radii - d2
    crosses = q2 > 0                                      # the line meets the circle
    q = np.sqrt(np.where(crosses, q2, 1.0))               # half chord
    lo_clip, hi_clip = uc - q < 0, uc + q > L             # the path starts / ends inside the circle
    u1 = np.where(lo_clip, -uc, -q)
    u2 = np.where(hi_clip, L - uc, q)
    act = crosses & (u2 > u1)
    rho1, rho2 = np.sqrt(u1 * u1 + d2), np.sqrt(u2 * u2 + d2)
    as1, as2 = np.arcsinh(u1 / dl), np.arcsinh(u2 / dl)
    G1, G2 = 0.5 * (u1 * rho1 + d2 * as1), 0.5 * (u2 * rho2 + d2 * as2)
    F = np.where(act, depths * ((u2 - u1) - (G2 - G1) / radii), 0.0)
    if not grad:
        return F.sum(-1)
    # partial derivatives of F in (u1, u2, delta^2); the depth at an end of the inside interval
    f_u2 = np.where(act, depths * (1.0 - rho2 / radii), 0.0)
    f_u1 = np.where(act, -depths * (1.0 - rho1 / radii), 0.0)
    f_d2 = np.where(act, -0.5 * depths / radii * (as2 - as1), 0.0)
    dq_dd2 = -0.5 / q                                     # q = sqrt(r^2 - delta^2)
    g_uc = np.where(lo_clip, -f_u1, 0.0) - np.where(hi_clip, f_u2, 0.0)
    g_L = np.where(hi_clip, f_u2, 0.0)
    g_d2 = f_d2 + np.where(lo_clip, 0.0, -f_u1 * dq_dd2) + np.where(hi_clip, 0.0, f_u2 * dq_dd2)
    g_uc = g_uc - 2.0 * uc * g_d2                         # delta^2 = |w|^2 - uc^2
    perp = (w - uc[..., None] * e) / L[..., None]         # d uc / d b
    ga = g_uc[..., None] * (-e - perp) - 2.0 * g_d2[..., None] * w - g_L[..., None] * e
    gb = g_uc[..., None] * perp + g_L[..., None] * e
    return F.sum(-1), ga.sum(-2), gb.sum(-2)


def sigmoid_(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


# ----------------------------------------------------------------------------- the learned evaluator E (ICANN 1991)

def sample_subpaths(rng, nets, n, start, goal):
    """Training sub-paths for E (nets, n, 4): each end is the start (resp. goal) with prob. 1/3, else uniform."""
    X = rng.random((nets, n, 4))
    X[..., :2] = np.where(rng.random((nets, n, 1)) < 1 / 3, start, X[..., :2])
    X[..., 2:] = np.where(rng.random((nets, n, 1)) < 1 / 3, goal, X[..., 2:])
    return X


def e_forward(E, X):
    """E(a, b): (nets, n, 4) -> predicted cost (nets, n); logistic hidden layer, linear output."""
    Xb = np.concatenate([X, np.ones(X.shape[:-1] + (1,))], -1)
    h = sigmoid_(Xb @ E["W1"])                            # (nets, n, He)
    hb = np.concatenate([h, np.ones(h.shape[:-1] + (1,))], -1)
    return (hb @ E["W2"])[..., 0], (Xb, h, hb)


def e_backward(E, cache, dy, need_w=True):
    """Back-propagation through E: dy (nets, n) -> (weight grads or None, d/dinput (nets, n, 4))."""
    Xb, h, hb = cache
    dz = dy[..., None]                                    # (nets, n, 1)
    dh = (dz @ np.swapaxes(E["W2"][:, :-1], 1, 2)) * h * (1.0 - h)   # (nets, n, He)
    dX = dh @ np.swapaxes(E["W1"][:, :4], 1, 2)           # (nets, n, 4)
    g = None
    if need_w:
        g = dict(W1=np.swapaxes(Xb, 1, 2) @ dh, W2=np.swapaxes(hb, 1, 2) @ dz)
    return g, dX


def e_loss_and_grads(E, X, y):
    pred, cache = e_forward(E, X)
    err = pred - y
    g, _ = e_backward(E, cache, 2.0 * err / err.shape[1])
    return float(np.sum(np.mean(err ** 2, 1))), g, float(np.mean(err ** 2))


def train_evaluator(cfg, rng, start, goal, swamps, nets):
    """Fit E (one per net) to the cone cost of random sub-paths; returns E and its test MSE / cost variance."""
    E = dict(W1=rng.uniform(-cfg.e_init, cfg.e_init, (nets, 5, cfg.e_hidden)),
             W2=rng.uniform(-cfg.e_init, cfg.e_init, (nets, cfg.e_hidden + 1, 1)))
    opt = dict(t=0, m={k: np.zeros_like(v) for k, v in E.items()}, v={k: np.zeros_like(v) for k, v in E.items()})
    for _ in range(cfg.e_steps):
        X = sample_subpaths(rng, nets, cfg.e_batch, start, goal)
        e_step(cfg, E, opt, X, cone_cost(X[..., :2], X[..., 2:], *swamps, grad=False))
    X = sample_subpaths(rng, nets, 2000, start, goal)
    y = cone_cost(X[..., :2], X[..., 2:], *swamps, grad=False)
    pred, _ = e_forward(E, X)
    return E, opt, float(np.mean((pred - y) ** 2)), float(np.var(y))


def e_step(cfg, E, opt, X, y):
    """One update of E on sub-paths X (nets, n, 4) with true costs y (nets, n): plain gradient descent or Adam."""
    _, g, _ = e_loss_and_grads(E, X, y)
    opt["t"] += 1
    t, m, v = opt["t"], opt["m"], opt["v"]
    for k in E:
        if cfg.e_opt == "adam":
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            v[k] = 0.999 * v[k] + 0.001 * g[k] * g[k]
            E[k] -= cfg.e_lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
        else:
            E[k] -= cfg.e_lr * g[k]


# ----------------------------------------------------------------------------- the sub-goal generator S

def init_generator(rng, cfg):
    """S: W1 (5, H) from (start, goal, bias), W2 (H + 1, out); out = 2 n_sub (static) or 2 (recurrent)."""
    out = 2 * cfg.n_sub if cfg.arch == "static" else 2
    return dict(W1=rng.uniform(-cfg.init, cfg.init, (5, cfg.hidden)),
                W2=rng.uniform(-cfg.init, cfg.init, (cfg.hidden + 1, out)))


def per_net(rng, nets):
    """One child generator per net, spawned from a named stream: net k's draws do not depend on --nets."""
    return [np.random.default_rng(s) for s in rng.bit_generator.seed_seq.spawn(nets)]


def s_forward(P, start, goal, cfg):
    """Run S for all nets.  P: W1 (B, 5, H), W2 (B, H+1, out).  Returns sub-goals (B, n, 2) and the cache.

    static: one pass from (start, goal) gives every sub-goal.  recurrent: pass k reads (s_{k-1}, goal)
    and emits s_k, which becomes the next pass's start input (s_0 = the start).
    """
    B = P["W1"].shape[0]
    one, g = np.ones((B, 1)), np.broadcast_to(goal, (B, 2))
    passes = 1 if cfg.arch == "static" else cfg.n_sub
    s = np.broadcast_to(start, (B, 2))
    cache = []
    for _ in range(passes):
        x = np.concatenate([s, g, one], 1)                       # (B, 5)
        h = sigmoid_(np.einsum("bi,bih->bh", x, P["W1"]))        # (B, H)
        hb = np.concatenate([h, one], 1)
        y = sigmoid_(np.einsum("bh,bho->bo", hb, P["W2"]))       # (B, out)
        cache.append((x, h, hb, y))
        s = y
    sub = cache[0][3].reshape(B, cfg.n_sub, 2) if cfg.arch == "static" else np.stack([c[3] for c in cache], 1)
    return sub, cache


def s_backward(P, cache, dsub, cfg):
    """Back-propagation (through time, for the recurrent S) from dC/d sub-goals (B, n, 2) to S's weights."""
    g = {k: np.zeros_like(v) for k, v in P.items()}
    B = dsub.shape[0]
    dys = [dsub.reshape(B, -1)] if cfg.arch == "static" else [dsub[:, k] for k in range(cfg.n_sub)]
    carry = 0.0                                                  # dC/d(this pass's output) via later passes
    for (x, h, hb, y), dy in zip(cache[::-1], dys[::-1]):
        dz = (dy + carry) * y * (1.0 - y)                        # (B, out)
        g["W2"] += np.einsum("bh,bo->bho", hb, dz)
        dh = np.einsum("bo,bho->bh", dz, P["W2"][:, :-1]) * h * (1.0 - h)
        g["W1"] += np.einsum("bi,bh->bih", x, dh)
        carry = np.einsum("bh,bih->bi", dh, P["W1"][:, :2])     # into the start input = previous sub-goal
    return g


def plan_points(sub, start, goal):
    """(B, n + 2, 2): start, the sub-goals, goal."""
    B = sub.shape[0]
    return np.concatenate([np.broadcast_to(start, (B, 1, 2)), sub, np.broadcast_to(goal, (B, 1, 2))], 1)


def plan_cost_and_grad(pts, swamps, E=None):
    """Evaluator sum over the plan's sub-paths, and its gradient w.r.t. the sub-goals (B, n, 2).

    E None: the analytic cone cost.  Else E's prediction, differentiated by back-propagation through E.
    """
    a, b = pts[:, :-1], pts[:, 1:]
    if E is None:
        F, ga, gb = cone_cost(a, b, *swamps)
    else:
        pred, cache = e_forward(E, np.concatenate([a, b], -1))
        _, dX = e_backward(E, cache, np.ones_like(pred), need_w=False)
        F, ga, gb = pred, dX[..., :2], dX[..., 2:]
    gp = np.zeros_like(pts)
    gp[:, :-1] += ga
    gp[:, 1:] += gb
    return F.sum(1), gp[:, 1:-1]


def s_loss_and_grads(P, start, goal, swamps, cfg, E=None):
    """Total evaluated plan cost summed over nets, and S's weight gradients (gradcheck hook)."""
    sub, cache = s_forward(P, start, goal, cfg)
    cost, dsub = plan_cost_and_grad(plan_points(sub, start, goal), swamps, E)
    return float(cost.sum()), s_backward(P, cache, dsub, cfg)


# ----------------------------------------------------------------------------- training and evaluation

def train(cfg, seed, callback=None):
    """Train cfg.nets generators in lock-step on the task's one start/goal problem.

    One iteration = evaluate the current plan, then one gradient step of S on the evaluator's plan
    cost. iters[k] = number of updates before net k's plan first has true cone cost <= tol x the
    direct path's cost (0: the initial plan already is), NaN if it never does within max_iters.
    callback(step, state) after every iteration.
    """
    rngs = rng_streams(seed, STREAMS)
    start, goal, *sw = layout(cfg)
    swamps = tuple(sw)
    B = cfg.nets
    nets = [init_generator(r, cfg) for r in per_net(rngs["init"], B)]
    P = {k: np.stack([p[k] for p in nets]) for k in nets[0]}
    E, e_mse, e_var = None, np.nan, np.nan
    if cfg.evaluator == "learned":
        E, e_opt, e_mse, e_var = train_evaluator(cfg, rngs["evaluator"], start, goal, swamps, B)
    direct = float(cone_cost(start[None], goal[None], *swamps, grad=False)[0])
    iters = np.full(B, np.nan)
    hist = dict(step=[], cost=[], plan0=[])
    for step in range(cfg.max_iters + 1):
        sub, cache = s_forward(P, start, goal, cfg)
        pts = plan_points(sub, start, goal)
        true_cost, dsub = plan_cost_and_grad(pts, swamps)
        if E is not None:
            if cfg.e_online:                                  # E learns from the sub-paths C just walked
                X = np.concatenate([pts[:, :-1], pts[:, 1:]], -1)
                e_step(cfg, E, e_opt, X, cone_cost(X[..., :2], X[..., 2:], *swamps, grad=False))
            _, dsub = plan_cost_and_grad(pts, swamps, E)
        iters[np.isnan(iters) & (true_cost <= cfg.tol * direct)] = step
        if cfg.log_every and step % cfg.log_every == 0:
            hist["step"].append(step)
            hist["cost"].append(true_cost / direct)
            hist["plan0"].append(pts[0].copy())
        if callback is not None:
            callback(step, dict(P=P, pts=pts, cost=true_cost / direct, iters=iters, hist=hist))
        if step == cfg.max_iters or not np.isnan(iters).any():
            break
        g = s_backward(P, cache, dsub, cfg)
        for k in P:
            P[k] -= cfg.lr * g[k]
    return dict(P=P, pts=pts, final_cost=true_cost / direct, iters=iters, direct=direct, steps=step,
                e_mse=e_mse, e_var=e_var, history=hist, layout=(start, goal) + swamps)


def _quantile(srt, q):
    """Linear-interpolated quantile of an ascending array (as the runner's seed sweeps); inf above a failure."""
    pos = q * (len(srt) - 1)
    lo, frac = int(np.floor(pos)), pos - np.floor(pos)
    if frac == 0 or np.isinf(srt[lo + 1]):
        return float(srt[lo]) if frac == 0 else float("inf")
    return float(srt[lo] + (srt[lo + 1] - srt[lo]) * frac)


def evaluate(cfg, out):
    """Metrics: net 0's iterations (the seed's own run) and, over the lock-step nets, their distribution."""
    it = out["iters"]
    srt = np.sort(np.where(np.isnan(it), np.inf, it))         # a failure sorts above every count
    q1, med, q3 = (_quantile(srt, q) for q in (0.25, 0.5, 0.75))
    fin = lambda v: v if np.isfinite(v) else float("nan")     # noqa: E731
    m = dict(iters=float(it[0]), solved=int(np.isfinite(it[0])), final_cost=float(out["final_cost"][0]),
             direct_cost=out["direct"], direct_solved=int(out["direct"] <= cfg.tol * out["direct"]),
             nets=cfg.nets, solved_frac=float(np.mean(np.isfinite(it))),
             median_iters=fin(med), q1_iters=fin(q1), q3_iters=fin(q3),
             mean_final_cost=float(np.mean(out["final_cost"])))
    if cfg.evaluator == "learned":
        m.update(e_mse=out["e_mse"], e_var=out["e_var"])
    return m


def run(cfg, seed) -> dict:
    return evaluate(cfg, train(cfg, seed))


def gradcheck(cfg, seed) -> dict:
    """Central differences against every hand-written backward pass, float64."""
    rngs = rng_streams(seed, STREAMS)
    chk = rngs["probe"]
    errors = {}
    for task in ("one", "diagonal"):
        small = Config(task=task, nets=3, hidden=6, n_sub=3, e_hidden=5)
        start, goal, *sw = layout(small)
        swamps = tuple(sw)
        # the cone cost w.r.t. both ends of sub-paths that cross swamps (some starting or ending inside)
        ends = dict(a=chk.random((40, 2)), b=chk.random((40, 2)))
        F, ga, gb = cone_cost(ends["a"], ends["b"], *swamps)
        assert np.count_nonzero(F) >= 10, "gradcheck sub-paths miss the swamps"
        for k, e in numeric_gradcheck(lambda: float(cone_cost(ends["a"], ends["b"], *swamps, grad=False).sum()),
                                      ends, dict(a=ga, b=gb), chk, probes=40).items():
            errors[f"{task}.cone_cost.d{k}"] = e
        E = dict(W1=chk.uniform(-1, 1, (3, 5, 5)), W2=chk.uniform(-1, 1, (3, 6, 1)))
        for arch in ("static", "recurrent"):
            c = Config(**{**small.__dict__, "arch": arch})
            P = {k: np.stack([init_generator(r, Config(**{**c.__dict__, "init": 0.3}))[k] for r in per_net(chk, 3)])
                 for k in ("W1", "W2")}
            sub, _ = s_forward(P, start, goal, c)
            cost, _ = plan_cost_and_grad(plan_points(sub, start, goal), swamps)
            assert np.all(cost > 0), "gradcheck plans avoid the swamps (no gradient to check)"
            _, g = s_loss_and_grads(P, start, goal, swamps, c)
            for k, e in numeric_gradcheck(lambda: s_loss_and_grads(P, start, goal, swamps, c)[0], P, g, chk).items():
                errors[f"{task}.{arch}_S_through_cone.{k}"] = e
            _, g = s_loss_and_grads(P, start, goal, swamps, c, E)
            for k, e in numeric_gradcheck(lambda: s_loss_and_grads(P, start, goal, swamps, c, E)[0], P, g, chk).items():
                errors[f"{task}.{arch}_S_through_E.{k}"] = e
        X = sample_subpaths(chk, 3, 16, start, goal)
        y = cone_cost(X[..., :2], X[..., 2:], *swamps, grad=False)
        _, g, _ = e_loss_and_grads(E, X, y)
        for k, e in numeric_gradcheck(lambda: e_loss_and_grads(E, X, y)[0], E, g, chk).items():
            errors[f"{task}.E_fit.{k}"] = e
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
