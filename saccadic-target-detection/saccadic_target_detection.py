"""Fovea trajectories for target detection learned through a model network (Schmidhuber & Huber 1991).

Schmidhuber & Huber, "Learning to generate artificial fovea trajectories for target detection",
International Journal of Neural Systems 2(1 & 2):135-141 (1991); TR FKI-128-90 (TUM, 1990).

Claim: a feedforward controller C whose only goal information is the shape of the target (the fovea
input it should see at the end of a trajectory) learns to move an artificial fovea with 40
multi-resolution input units onto a dark object in a 512 x 512 pixel field.  A model network M is first
trained (50,000 random moves, on-line back-propagation) to predict the fovea's next input from its
current input and C's four move outputs; C is then trained by back-propagating the final input error
through copies of the frozen M, one per step of the trajectory (the multi-step gradient), onto every
one of its own past outputs.  Logistic units everywhere, weights uniform in [-0.1, 0.1], both learning
rates 0.1, one weight change per M sample and per C trajectory (plain on-line gradient descent).

One run can hold `--trials` independent learners in lock-step (one NumPy computation with a leading
trials axis); trial j of a run with master seed s draws every random number from seed s + j, so
`--seed 0 --trials 20` is seeds 0-19 computed together.

Run:  python3 saccadic_target_detection.py --seed 0
      python3 saccadic_target_detection.py --seed 0 --trials 20
"""
import os
import sys
from dataclasses import dataclass, field

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "saccadic-target-detection"
META = dict(
    title="an artificial fovea learns to find a target by back-propagating the final input error through a model net",
    paper="Schmidhuber & Huber 1991, Learning to generate artificial fovea trajectories for target detection "
          "(Int. J. Neural Systems 2(1&2))",
    year=1991,
    claim=("On the paper's 512 x 512 scene with its nets, rates and 50,000 random moves, C trained through the frozen "
           "M finds the target from every start within 40 px (median over seeds 1.0, 2 saccades) but from about 0.4 of "
           "all starts with partial overlap (median 0.41 over seeds 0-9, 0.40 over 20 learners; random moves 0.015): "
           "far starts see too little to get a gradient; 10 saccades per trajectory wreck every learner"),
    figure=dict(args="--seeds 0-9", metric="find_rate"),
    gradcheck=True,
)
CLAIMS = [
    # the worked example (seed 0): the paper's scene, nets, rates and sample counts; 3 saccades per trajectory
    dict(tier="headline", args="--seed 0", metric="find_rate", claim=">= 0.35", paper="—",
         published=("100% find rate, 1.69 saccades (16x16 Gaussian halo, 5x5 fovea, hand-made bilinear feature, "
                    "one-step gradient)")),
    dict(tier="headline", args="--seed 0", metric="near_find_rate", claim=">= 0.9", paper="—", published="—"),
    dict(tier="headline", args="--seed 0", metric="random_find_rate", claim="<= 0.05", paper="—",
         published="25.5% (its own scene, 20 random saccades)"),
    # the headline figure over seeds 0-9 (one process per seed)
    dict(tier="headline", args="--seeds 0-9", metric="solved_seeds", claim="<= 2/10", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="median_find_rate", claim=">= 0.9", kind="paper",
         paper=("C leads the fovea to the target from random starts where its receptive fields partly overlap the "
                "object (figures; counts not retrieved)"),
         published=("100% find rate, 1.69 saccades (16x16 Gaussian halo, 5x5 fovea, hand-made bilinear feature, "
                    "one-step gradient)")),
    dict(tier="headline", args="--seeds 0-9", metric="mean_find_rate", claim=">= 0.35", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q1_find_rate", claim=">= 0.3", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q3_find_rate", claim="<= 0.5", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="median_near_find_rate", claim=">= 0.9", paper="—",
         published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="median_saccades", claim="<= 3", paper="—",
         published="1.69 (mean)"),
    # 20 learners in lock-step (seeds 0-19 in one process): the seed count
    dict(tier="seeds", args="--seed 0 --trials 20", metric="median_find_rate", claim=">= 0.9", kind="paper",
         paper=("C leads the fovea to the target from random starts where its receptive fields partly overlap the "
                "object (figures; counts not retrieved)"),
         published=("100% find rate, 1.69 saccades (16x16 Gaussian halo, 5x5 fovea, hand-made bilinear feature, "
                    "one-step gradient)")),
    dict(tier="seeds", args="--seed 0 --trials 20", metric="trials_solved", claim="<= 4", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 20", metric="min_find_rate", claim=">= 0.2", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --trials 20", metric="q1_find_rate", claim=">= 0.3", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 20", metric="q3_find_rate", claim="<= 0.5", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 20", metric="median_near_find_rate", claim=">= 0.9", paper="—",
         published="—"),
    dict(tier="seeds", args="--seed 0 --trials 20", metric="median_saccades", claim="<= 3", paper="—",
         published="1.69 (mean)"),
    dict(tier="seeds", args="--seed 0 --trials 20", metric="median_random_find_rate", claim="<= 0.05", paper="—",
         published="25.5% (its own scene, 20 random saccades)"),
    # contrasts and readings: the one-step gradient (last M copy only); 10 saccades per trajectory; M on 200,000 moves
    dict(tier="seeds", args="--seed 0 --trials 20 --horizon 1", metric="median_find_rate", claim=">= 0.35",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 20 --steps 10", metric="median_find_rate", claim="<= 0.1",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 10 --m-samples 200000", metric="median_find_rate", claim=">= 0.42",
         paper="—", published="—"),
    # the unrecovered trajectory length T: 2, 4 and 5 saccades (3: above; 10: above)
    dict(tier="seeds", args="--seed 0 --trials 10 --steps 2", metric="median_find_rate", claim=">= 0.25",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 10 --steps 4", metric="median_find_rate", claim=">= 0.4",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 10 --steps 5", metric="median_find_rate", claim="<= 0.4",
         paper="—", published="—"),
    # beyond the paper's static runs: a moving object (5 px per saccade, random direction)
    dict(tier="seeds", args="--seed 0 --trials 20 --drift 5", metric="median_find_rate", claim=">= 0.3",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --trials 20 --drift 5", metric="median_near_find_rate", claim=">= 0.9",
         paper="—", published="—"),
]


@dataclass(frozen=True)
class Config:
    field_px: int = 512  # side of the square pixel field (paper: 512)
    object_px: int = 64  # base and height of the dark isosceles triangle, about the fovea's diameter (paper: object about the fovea's size)
    fovea_px: int = 64  # diameter of the fovea (its outermost receptive fields' outer edge); paper: about the object's size
    max_move: float = 20.0  # pixels per direction unit at activation 1 (paper: 0-20 px for each of up, down, left, right)
    spread: int = 64  # start offsets of the fovea centre from the target point, uniform in [-spread, spread]^2, redrawn until some receptive field sees the object (paper: partial overlap)
    hidden_m: int = 40  # hidden units of the model network M (paper: 40)
    hidden_c: int = 20  # hidden units of the controller C (paper: 20)
    init: float = 0.1  # initial weights uniform in [-init, init] (paper: 0.1)
    lr_m: float = 0.1  # learning rate of M (paper: 0.1)
    lr_c: float = 0.1  # learning rate of C (paper: 0.1)
    m_samples: int = 50000  # M's training cycles: random fovea position and uniformly random move, one update each (paper: 50,000)
    c_trajectories: int = 5000  # C's training trajectories, one update each (translation experiment: not recovered; rotation experiment: 20,000)
    steps: int = 3  # saccades per trajectory; the final input is compared with the target shape after the last (not recovered; 2, 3, 4, 5, 10 measured)
    horizon: int = 0  # copies of M the final error is back-propagated through (0 = every step of the trajectory: the multi-step gradient)
    drift: float = 0.0  # beyond the paper's static scenes: the object moves this many px per saccade, in a random direction fixed per trajectory (tracking; M, C and the test all see it)
    radius: float = 8.0  # the fovea has found the target when its centre is within this many pixels of the target point
    n_test: int = 200  # fresh test starts per trial
    trials: int = 1  # independent learners in lock-step; trial j of master seed s uses seed s + j
    eval_every: int = 250  # with a history: test C every this many trajectories (pictures only)
    log_every: int = 0  # progress line every this many trajectories (0 = none)

    def __post_init__(self):
        for name in ("field_px", "object_px", "fovea_px", "spread", "hidden_m", "hidden_c", "m_samples", "steps",
                     "n_test", "trials", "eval_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("c_trajectories", "horizon", "log_every", "drift"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("max_move", "init", "lr_m", "lr_c", "radius"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.field_px < 4 * (self.object_px + self.fovea_px):
            raise ValueError("field_px too small for the object and the fovea")


SMOKE = dict(m_samples=3000, c_trajectories=300, n_test=40, eval_every=100, trials=2)
STREAMS = ("init", "model_data", "ctrl_data", "eval", "random", "probe", "drift")  # every random stream, by name

N_IN = 40     # fovea input units (paper: 40)
N_OUT = 4     # C's outputs: up, down, left, right (paper)


# ----------------------------------------------------------------------------- the scene and the fovea

RING_DIST = (2.5, 4.3, 7.5, 12.8, 22.0)   # distance of each ring's circle centres from the fovea centre, in fovea radii / 32
RING_RAD = (2.0, 2.0, 3.4, 5.8, 10.0)     # radius of each ring's receptive fields, same unit


def fovea_layout(cfg):
    """The 40 circular receptive fields: centres (40, 2) relative to the fovea centre and radii (40,), in pixels.

    Five rings of eight circles around the centre (alternate rings turned by 22.5 degrees), ring
    distances and circle radii growing geometrically: high resolution at the centre, low in the
    periphery (paper: 40 units with circular receptive fields of several sizes, Fig. 1).  The
    outermost circles reach fovea_px / 2 from the centre: fovea_px is the fovea's diameter.
    """
    scale = cfg.fovea_px / 64.0
    cen, rad = [], []
    for k, (d, r) in enumerate(zip(RING_DIST, RING_RAD)):
        ang = 2 * np.pi * (np.arange(8) + 0.5 * (k % 2)) / 8
        cen.append(scale * d * np.stack([np.cos(ang), np.sin(ang)], -1))
        rad.append(np.full(8, scale * r))
    return np.concatenate(cen), np.concatenate(rad)


def build_scene(cfg):
    """The field (black = 1, white = 0) with a dark isosceles triangle whose centroid is the field's centre.

    Each receptive-field radius gets the field convolved with a disc of that radius (the mean over
    the disc's pixels, via FFT), so a unit's activation is one look-up at its own centre.
    Returns dict: field (F, F), maps {radius: (F + 2P, F + 2P)} of the field padded by P white
    pixels, pad P, target point (2,) = the triangle's centroid (x, y), unit offsets (40, 2) int and
    map index (40,).
    """
    F, b = cfg.field_px, cfg.object_px
    c = F / 2.0
    yy, xx = np.mgrid[0:F, 0:F] + 0.5                      # pixel centres
    top = c - 2.0 * b / 3.0                                 # apex up, base down; centroid at height b/3
    frac = (yy - top) / b                                   # 0 at the apex, 1 at the base
    inside = (frac >= 0) & (frac <= 1) & (np.abs(xx - c) <= 0.5 * b * frac)
    field = inside.astype(float)
    cen, rad = fovea_layout(cfg)
    pad = int(np.ceil(np.abs(cen).max() + rad.max())) + 2
    padded = np.pad(field, pad)
    n = padded.shape[0]
    spec = np.fft.rfft2(padded)
    radii = sorted(set(np.round(rad, 6)))
    maps = []
    for r in radii:
        R = int(np.ceil(r))
        dy, dx = np.mgrid[-R:R + 1, -R:R + 1]
        disc = (dx ** 2 + dy ** 2 <= r * r).astype(float)
        disc /= disc.sum()
        kern = np.zeros((n, n))
        kern[dy % n, dx % n] = disc                          # centred at (0, 0), wrapped
        maps.append(np.fft.irfft2(spec * np.fft.rfft2(kern), s=(n, n)))
    maps = np.stack(maps)                                    # (radii, n, n)
    which = np.array([radii.index(v) for v in np.round(rad, 6)])
    return dict(field=field, maps=maps, which=which, off=np.rint(cen).astype(np.int64), pad=pad,
                target=np.array([c, top + 2.0 * b / 3.0]), cen=cen, rad=rad)


def sense(scene, pos):
    """Fovea input at fovea centres pos (..., 2) (x, y), rounded to the pixel and kept on the field.

    Each unit is the mean of the pixels its circular receptive field covers (paper).  Returns (..., 40).
    """
    F = scene["field"].shape[0]
    p = np.clip(np.rint(pos), 0, F - 1).astype(np.int64) + scene["pad"]
    xs = p[..., 0:1] + scene["off"][:, 0]
    ys = p[..., 1:2] + scene["off"][:, 1]
    return np.clip(scene["maps"][scene["which"], ys, xs], 0.0, 1.0)


def move_of(y, cfg):
    """C's four outputs (..., 4) = (up, down, left, right) in [0, 1] -> fovea move (..., 2) in pixels.

    Each output times max_move is the length of a vector in its direction; the move is their sum.
    """
    return cfg.max_move * np.stack([y[..., 3] - y[..., 2], y[..., 1] - y[..., 0]], axis=-1)


def clip_pos(pos, cfg):
    return np.clip(pos, 0.0, cfg.field_px - 1.0)


def sample_starts(rng, n, cfg, scene):
    """n fovea centres (n, 2) uniform within spread of the target point whose fovea sees part of the object."""
    out = np.empty((n, 2))
    todo = np.arange(n)
    while todo.size:
        cand = scene["target"] + rng.uniform(-cfg.spread, cfg.spread, size=(todo.size, 2))
        ok = sense(scene, cand).sum(-1) > 0
        out[todo[ok]] = cand[ok]
        todo = todo[~ok]
    return out


def sample_drift(rng, n, cfg):
    """(n, 2) object velocities in px per saccade: drift in a uniformly random direction (zeros, no draws, if drift = 0)."""
    if cfg.drift == 0:
        return np.zeros((n, 2))
    ang = rng.uniform(0.0, 2 * np.pi, size=n)
    return cfg.drift * np.stack([np.cos(ang), np.sin(ang)], -1)


def desired_input(scene):
    """The goal: the fovea input with the fovea centred on the target point (40,) (the target's shape)."""
    return sense(scene, scene["target"])


# ----------------------------------------------------------------------------- networks (lock-step over trials)
# Every weight array has a leading trials axis K; the last row of each matrix is the bias.

def logistic(z):
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def init_nets(rngs_init, cfg):
    """M: W1 (K, 45, Hm), W2 (K, Hm+1, 40).  C: V1 (K, 41, Hc), V2 (K, Hc+1, 4).  U(-init, init)."""
    def w(rng, *shape):
        return rng.uniform(-cfg.init, cfg.init, size=shape)
    M = dict(W1=[], W2=[])
    C = dict(V1=[], V2=[])
    for rng in rngs_init:
        M["W1"].append(w(rng, N_IN + N_OUT + 1, cfg.hidden_m))
        M["W2"].append(w(rng, cfg.hidden_m + 1, N_IN))
        C["V1"].append(w(rng, N_IN + 1, cfg.hidden_c))
        C["V2"].append(w(rng, cfg.hidden_c + 1, N_OUT))
    return {k: np.stack(v) for k, v in M.items()}, {k: np.stack(v) for k, v in C.items()}


def affine(x, W):
    """x (K, B, n) @ W (K, n+1, m) with W's last row as bias -> (K, B, m)."""
    return np.matmul(x, W[:, :-1]) + W[:, -1:]


def m_forward(M, x, y):
    """M's prediction of the next fovea input.  x (K, B, 40), y (K, B, 4) -> (u (K,B,44), h (K,B,Hm), xh (K,B,40))."""
    u = np.concatenate([x, y], axis=-1)
    h = logistic(affine(u, M["W1"]))
    return u, h, logistic(affine(h, M["W2"]))


def m_backward(M, u, h, xh, dxh, weights=True):
    """Back-propagation through M.  dxh (K, B, 40) = dE/d(prediction).

    Returns (grads with M's shapes, summed over B, or None without weights; du (K, B, 44) = dE/d(M's input)).
    """
    do = dxh * xh * (1.0 - xh)                                    # (K, B, 40) output deltas
    dh = np.matmul(do, M["W2"][:, :-1].transpose(0, 2, 1)) * h * (1.0 - h)
    g = None if not weights else dict(W1=np.concatenate([np.matmul(u.transpose(0, 2, 1), dh), dh.sum(1, keepdims=True)], axis=1),
             W2=np.concatenate([np.matmul(h.transpose(0, 2, 1), do), do.sum(1, keepdims=True)], axis=1))
    du = np.matmul(dh, M["W1"][:, :-1].transpose(0, 2, 1))
    return g, du


def c_forward(C, x):
    """C's outputs.  x (K, B, 40) -> (hc (K, B, Hc), y (K, B, 4))."""
    hc = logistic(affine(x, C["V1"]))
    return hc, logistic(affine(hc, C["V2"]))


def m_loss_and_grads(M, x, y, x_next):
    """M's error on a batch of moves: E_M = 1/2 sum (prediction - actual next input)^2 (summed over B)."""
    u, h, xh = m_forward(M, x, y)
    err = xh - x_next
    g, _ = m_backward(M, u, h, xh, err)
    return 0.5 * float(np.sum(err ** 2)), g


def rollout(C, scene, pos0, cfg, M=None, model=False, vel=None):
    """C drives the fovea for cfg.steps saccades from pos0 (K, B, 2).

    Positions are in the object's frame: an object moving by vel (K, B, 2) per saccade (drift)
    shifts the fovea by -vel relative to it.

    model=False: the environment gives every input (training and test).  model=True: M's
    prediction replaces the environment from the second input on (the differentiable stand-in the
    gradient check uses).  With M given, M's forward pass at every step is kept for the backward pass.
    Returns dict: pos (T+1, K, B, 2), x (T+1, K, B, 40), y, hc, and (with M) u, h, xh per step.
    """
    T = cfg.steps
    pos, x = [pos0], [sense(scene, pos0)]
    ys, hcs, us, hs, xhs = [], [], [], [], []
    for t in range(T):
        hc, y = c_forward(C, x[t])
        hcs.append(hc)
        ys.append(y)
        p = clip_pos(pos[t] + move_of(y, cfg) - (0.0 if vel is None else vel), cfg)
        pos.append(p)
        if M is not None:
            u, h, xh = m_forward(M, x[t], y)
            us.append(u)
            hs.append(h)
            xhs.append(xh)
        x.append(xhs[t] if model else sense(scene, p))
    return dict(pos=np.stack(pos), x=x, y=ys, hc=hcs, u=us, h=hs, xh=xhs)


def c_backward(C, M, roll, dxT, horizon=0):
    """The final input error back through the chain of frozen M copies into every past output of C.

    dxT (K, B, 40) = dE/d x(T).  Step t (last first): M's copy maps (x(t), y(t)) to x(t+1), so
    dE/dy(t) and the part of dE/dx(t) through M come from M's input deltas; y(t) = C(x(t)) adds
    C's own input deltas to dE/dx(t).  horizon > 0 stops after that many copies of M.
    Returns C's weight gradients (summed over B) and dE/dx(0).
    """
    T = len(roll["y"])
    gV1, gV2 = np.zeros_like(C["V1"]), np.zeros_like(C["V2"])
    dx = dxT
    last = 0 if horizon == 0 else max(T - horizon, 0)
    for t in range(T - 1, last - 1, -1):
        _, du = m_backward(M, roll["u"][t], roll["h"][t], roll["xh"][t], dx, weights=False)
        dy, dx_m = du[..., N_IN:], du[..., :N_IN]
        y, hc, x = roll["y"][t], roll["hc"][t], roll["x"][t]
        do = dy * y * (1.0 - y)
        gV2[:, :-1] += np.matmul(hc.transpose(0, 2, 1), do)
        gV2[:, -1] += do.sum(1)
        dh = np.matmul(do, C["V2"][:, :-1].transpose(0, 2, 1)) * hc * (1.0 - hc)
        gV1[:, :-1] += np.matmul(x.transpose(0, 2, 1), dh)
        gV1[:, -1] += dh.sum(1)
        dx = dx_m + np.matmul(dh, C["V1"][:, :-1].transpose(0, 2, 1))
    return dict(V1=gV1, V2=gV2), dx


def c_loss_and_grads(C, M, scene, pos0, d, cfg, model=False):
    """C's error E = 1/2 sum (d - x(T))^2 after one trajectory per (trial, start), and its gradient."""
    roll = rollout(C, scene, pos0, cfg, M=M, model=model)
    err = roll["x"][-1] - d
    g, _ = c_backward(C, M, roll, err, cfg.horizon)
    return 0.5 * float(np.sum(err ** 2)), g, roll


# ----------------------------------------------------------------------------- training

def _trial_rngs(seed, cfg):
    return [rng_streams(seed + j, STREAMS) for j in range(cfg.trials)]


def test_starts(cfg, seed, scene):
    """The fixed test starts of every trial (its eval stream): starts (K, n_test, 2), object velocities (K, n_test, 2)."""
    starts, vel = [], []
    for r in _trial_rngs(seed, cfg):
        starts.append(sample_starts(r["eval"], cfg.n_test, cfg, scene))
        vel.append(sample_drift(r["eval"], cfg.n_test, cfg))
    return np.stack(starts), np.stack(vel)


def train_model(M, scene, rngs, cfg, block=1000):
    """M's phase: m_samples cycles; fovea placed at random near the object, a uniformly random move
    (each of C's four outputs uniform in [0, 1]); one weight change per cycle.  Returns M's error curve."""
    K = cfg.trials
    curve = []
    done = 0
    while done < cfg.m_samples:
        n = min(block, cfg.m_samples - done)
        pos = np.stack([sample_starts(r["model_data"], n, cfg, scene) for r in rngs])   # (K, n, 2)
        y = np.stack([r["model_data"].uniform(0.0, 1.0, size=(n, N_OUT)) for r in rngs])
        x = sense(scene, pos)
        vel = np.stack([sample_drift(r["drift"], n, cfg) for r in rngs])
        x_next = sense(scene, clip_pos(pos + move_of(y, cfg) - vel, cfg))
        u1 = np.concatenate([x, y, np.ones((K, n, 1))], axis=-1)             # (K, n, 45): bias input 1
        W1, W2 = M["W1"], M["W2"]
        h1 = np.ones((K, 1, cfg.hidden_m + 1))                                # hidden layer + bias unit 1
        h = h1[..., :-1]
        errs = np.empty((K, n, N_IN))
        for i in range(n):              # one on-line back-propagation step per move (the paper's cycle)
            ui = u1[:, i:i + 1]                                                # (K, 1, 45)
            np.tanh(0.5 * np.matmul(ui, W1), out=h)
            h *= 0.5
            h += 0.5                                                           # logistic(z) = (1 + tanh(z/2)) / 2
            xh = 0.5 + 0.5 * np.tanh(0.5 * np.matmul(h1, W2))                  # (K, 1, 40)
            err = np.subtract(xh, x_next[:, i:i + 1], out=errs[:, i:i + 1])
            do = err * xh * (1.0 - xh)
            dh = np.matmul(do, W2[:, :-1].transpose(0, 2, 1)) * h * (1.0 - h)
            W2 -= np.matmul(h1.transpose(0, 2, 1), do * cfg.lr_m)
            W1 -= np.matmul(ui.transpose(0, 2, 1), dh * cfg.lr_m)
        errs = np.abs(errs).mean(-1)                                           # (K, n)
        for j in range(0, n, 1000):
            curve.append(errs[:, j:j + 1000].mean(1))
        done += n
        if cfg.log_every:
            progress(f"M: {done} moves, mean |error| per unit (last 1000) {float(np.mean(curve[-1])):.4f}")
    return np.array(curve)            # (m_samples // 1000, K)


def train(cfg, seed, callback=None, record=True):
    """Train M (random moves), then C through the frozen M.  Returns dict(M, C, scene, history).

    callback(i, state) after every C trajectory i (state: C, M, scene, history so far).
    record=False skips the test curve (pictures only); training is the same.
    """
    rngs = _trial_rngs(seed, cfg)
    scene = build_scene(cfg)
    M, C = init_nets([r["init"] for r in rngs], cfg)
    hist = dict(m_err=None, traj=[], find_rate=[], final_dist=[], c_err=[])
    hist["m_err"] = train_model(M, scene, rngs, cfg)
    d = desired_input(scene)
    starts = np.stack([sample_starts(r["ctrl_data"], cfg.c_trajectories, cfg, scene) for r in rngs])  # (K, N, 2)
    vels = np.stack([sample_drift(r["drift"], cfg.c_trajectories, cfg) for r in rngs])                # (K, N, 2)
    tests = [a[:, : min(cfg.n_test, 100)] for a in test_starts(cfg, seed, scene)] if record else None
    c_err = np.zeros(cfg.trials)
    for i in range(cfg.c_trajectories + 1):
        if record and (i % cfg.eval_every == 0 or i == cfg.c_trajectories):
            ev = evaluate(cfg, C, scene, *tests)
            hist["traj"].append(i)
            hist["find_rate"].append(ev["find_rate"])
            hist["final_dist"].append(ev["final_dist"])
        if i == cfg.c_trajectories:
            break
        roll = rollout(C, scene, starts[:, i:i + 1], cfg, M=M, vel=vels[:, i:i + 1])
        err = roll["x"][-1] - d
        g, _ = c_backward(C, M, roll, err, cfg.horizon)
        C["V1"] -= cfg.lr_c * g["V1"]
        C["V2"] -= cfg.lr_c * g["V2"]
        c_err += 0.5 * np.sum(err ** 2, axis=(1, 2))
        if (i + 1) % 100 == 0:
            hist["c_err"].append(c_err / 100)
            c_err = np.zeros(cfg.trials)
        if cfg.log_every and (i + 1) % cfg.log_every == 0:
            progress(f"C: {i + 1} trajectories, final error (last 100) {float(np.mean(hist['c_err'][-1])):.3f}")
        if callback is not None:
            callback(i, dict(C=C, M=M, scene=scene, hist=hist))
    return dict(M=M, C=C, scene=scene, history=hist)


# ----------------------------------------------------------------------------- evaluation

NEAR_PX = 40.0   # test starts within this distance of the target point count as "near" (the inner rings see the object)


def episode_stats(pos, scene, cfg):
    """pos (T+1, K, B, 2) -> found (K, B): the centre ends within radius of the target point;
    saccades (K, B): the first step from which it stays within radius (NaN if not found); final distance (K, B)."""
    dist = np.linalg.norm(pos - scene["target"], axis=-1)            # (T+1, K, B)
    inside = dist <= cfg.radius
    found = inside[-1]
    stays = np.flip(np.logical_and.accumulate(np.flip(inside, 0), axis=0), 0)   # inside from step t to the end
    first = np.where(found, stays.argmax(0), np.nan)
    return found, first, dist[-1]


def summarize(found, sacc, final, starts, scene):
    """Per-trial (K,) find rates (all, near and far starts), median saccades over found episodes, final distance."""
    d0 = np.linalg.norm(starts - scene["target"], axis=-1)            # (K, B)
    near = d0 <= NEAR_PX
    with np.errstate(invalid="ignore"):
        return dict(find_rate=found.mean(1), near_find_rate=(found & near).sum(1) / near.sum(1),
                    far_find_rate=(found & ~near).sum(1) / np.maximum((~near).sum(1), 1),
                    saccades=np.array([np.median(v[np.isfinite(v)]) if np.isfinite(v).any() else np.nan
                                       for v in sacc]),
                    final_dist=np.median(final, axis=1))


def evaluate(cfg, C, scene, starts, vel=None):
    """C (no learning) from the test starts (K, B, 2), object velocities vel: per-trial (K,) metrics."""
    roll = rollout(C, scene, starts, cfg, vel=vel)
    return summarize(*episode_stats(roll["pos"], scene, cfg), starts, scene)


def random_moves(cfg, seed, scene, starts, vel):
    """The contrast: every move uniformly random (C's four outputs uniform in [0, 1]), same starts."""
    ys = np.stack([r["random"].uniform(0, 1, size=(cfg.steps,) + starts.shape[1:-1] + (N_OUT,))
                   for r in _trial_rngs(seed, cfg)], axis=1)                     # (T, K, B, 4)
    pos = [starts]
    for t in range(cfg.steps):
        pos.append(clip_pos(pos[-1] + move_of(ys[t], cfg) - vel, cfg))
    return summarize(*episode_stats(np.stack(pos), scene, cfg), starts, scene)


def run(cfg, seed) -> dict:
    out = train(cfg, seed, record=False)
    scene = out["scene"]
    starts, vel = test_starts(cfg, seed, scene)
    ev = evaluate(cfg, out["C"], scene, starts, vel)
    rnd = random_moves(cfg, seed, scene, starts, vel)
    ev["m_abs_err"] = out["history"]["m_err"][-1]                  # M's mean |error| per unit, last 1000 moves
    ev["random_find_rate"] = rnd["find_rate"]
    ev["random_near_find_rate"] = rnd["near_find_rate"]
    solved = ev["find_rate"] >= 0.9                                 # the run finds the target from (nearly) every start
    metrics = dict(solved=int(solved[0]), **{k: float(v[0]) for k, v in ev.items()})
    if cfg.trials > 1:
        metrics["trials_solved"] = int(solved.sum())
        for k in ("find_rate", "near_find_rate", "far_find_rate", "saccades", "random_find_rate", "m_abs_err"):
            v = ev[k]
            metrics[f"median_{k}"] = float(np.median(v))             # NaN (a trial that never found) sorts as NaN
            metrics[f"q1_{k}"], metrics[f"q3_{k}"] = (float(q) for q in np.percentile(v, [25, 75]))
            metrics[f"min_{k}"], metrics[f"max_{k}"] = float(np.min(v)), float(np.max(v))
    return metrics


def gradcheck(cfg, seed) -> dict:
    """Central differences (float64) vs the hand-written backward passes of M and of C through M.

    C's check runs on the model rollout (M's predictions stand in for the environment from the
    second input on), where the chain through the M copies is the exact gradient of the final error;
    training uses the same backward pass with the environment's inputs in the forward pass.
    """
    small = Config(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__},
                      "hidden_m": 6, "hidden_c": 5, "steps": 4, "trials": 2, "horizon": 0})
    rngs = _trial_rngs(seed, small)
    scene = build_scene(small)
    M, C = init_nets([r["init"] for r in rngs], small)
    for P in (M, C):                       # larger weights so every path carries signal
        for k in P:
            P[k] *= 5.0
    probe = rng_streams(seed, STREAMS)["probe"]
    pos = np.stack([sample_starts(r["eval"], 3, small, scene) for r in rngs])       # (2, 3, 2)
    y = np.stack([r["random"].uniform(0, 1, size=(3, N_OUT)) for r in rngs])
    x, x_next = sense(scene, pos), sense(scene, clip_pos(pos + move_of(y, small), small))
    errors = {}
    _, gM = m_loss_and_grads(M, x, y, x_next)
    for k, e in numeric_gradcheck(lambda: m_loss_and_grads(M, x, y, x_next)[0], M, gM, probe).items():
        errors[f"M.{k}"] = e
    d = desired_input(scene)
    _, gC, _ = c_loss_and_grads(C, M, scene, pos, d, small, model=True)
    loss = lambda: c_loss_and_grads(C, M, scene, pos, d, small, model=True)[0]  # noqa: E731
    for k, e in numeric_gradcheck(loss, C, gC, probe, eps=1e-4).items():   # the loss sums 40 x B x K
        # squared errors (about 10): eps 1e-6 leaves round-off of ~1e-5 relative on its smallest entries
        errors[f"C_through_{small.steps}_M_copies.{k}"] = e
    inp = {"x": x.copy(), "y": y.copy()}                      # M's input derivative (C's error path)
    dxh = probe.standard_normal(x.shape)
    u, h, xh = m_forward(M, inp["x"], inp["y"])
    _, du = m_backward(M, u, h, xh, dxh)
    lin = lambda: float(np.sum(dxh * m_forward(M, inp["x"], inp["y"])[2]))  # noqa: E731
    res = numeric_gradcheck(lin, inp, {"x": du[..., :N_IN], "y": du[..., N_IN:]}, probe)
    errors["M_input.x"], errors["M_input.y"] = res["x"], res["y"]
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run, gradcheck=gradcheck)


# ----------------------------------------------------------------------------- pasted snippets
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
