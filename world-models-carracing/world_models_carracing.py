"""World models on a numpy car-racing track: V (VAE) + M (MDN-RNN) + C (linear, CMA-ES).

Ha & Schmidhuber, "Recurrent World Models Facilitate Policy Evolution", NeurIPS 2018
(arXiv:1809.01999; the long version is arXiv:1803.10122, "World Models").

The paper's claim: an agent made of three separately trained parts -- V, a variational auto-encoder that
compresses each observed frame to a latent z; M, a mixture-density LSTM trained to predict the
next z from (z, action), whose hidden state h summarises the past; and C, a linear controller on
[z, h] evolved by CMA-ES -- drives a car-racing track better than the same controller on z alone,
and both beat a random policy (paper, CarRacing-v0: 906 +- 21 with V+M, 632 +- 251 with V alone,
mean +- std over 100 trials). Here the track, the car and the pixels are a numpy environment with
CarRacing's reward: -0.1 per frame, +1000/N per track tile first visited, 1000 frames at most.
Measured here over seeds 0-4 (100 fresh tracks each): C on [z, h] a median 767 (no seed reaches 900),
C on z a median 781, random -96; the ordering C(z, h) > C(z) holds on 3 of 5 seeds only (gaps -68 to
+48 points; mean gap +4, 95% t-interval -60 to +69 over the seeds). Controls (--controls): C on [z, h] with h
from M's untrained initial weights scores a median 769 (level with the trained M), and C on z with a 7-unit
hidden layer a median 718. Worked example, seed 0: 808 +- 81 with C on [z, h], 781 +- 109 with C on z, -96 +- 2
random.

Run:  python3 world_models_carracing.py --seed 0
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "world-models-carracing"
META = dict(
    title="V (VAE) + M (MDN-RNN) + C (CMA-ES) on a numpy car-racing track",
    paper="Ha & Schmidhuber 2018, Recurrent World Models Facilitate Policy Evolution (NeurIPS)",
    year=2018,
    claim=("On a numpy car-racing track with CarRacing's reward, V + M + C scores a median 767 over seeds 0-4 "
           "(IQR 761-770; 100 fresh tracks each) and no seed reaches the paper's 900 (paper 906 +- 21); C on z "
           "alone scores a median 781 and the paper's ordering C(z, h) > C(z) holds on 3/5 seeds only (gap -68 "
           "to +48 points, paper +274; mean gap +4, 95% t-interval -60 to +69); a random policy scores -96; with h "
           "from an untrained M, C on [z, h] scores a median 769, and C on z with a hidden layer 718"),
    figure=dict(args="--seeds 0-4", metric="score_zh"),
    gradcheck=True,
    budget_s=180,  # the issue allows up to 180 s when V, M and C cannot all be trained in 60 s
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="score_zh", claim=">= 750", paper="906 ± 21",
         published="+103.8 (own reward scale)"),
    dict(tier="headline", args="--seed 0", metric="ordering", claim=">= 1", paper="C(z,h) > C(z) > random",
         published="—"),
    dict(tier="headline", args="--seed 0", metric="score_z", claim=">= 600", paper="632 ± 251", published="—"),
    dict(tier="headline", args="--seed 0", metric="score_random", claim="<= -90", paper="—",
         published="+4.84 (own reward scale)"),
    dict(tier="seeds", args="--seeds 0-4", metric="solved_seeds", claim="<= 1/5",
         paper="solved: mean >= 900 over 100 trials", published="5/5 (own criterion: beats random)"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_score_zh", claim=">= 900", kind="paper", reduced=True,
         paper="V + M + C: 906 ± 21 over 100 trials, CarRacing-v0 counts >= 900 as solved (ours: CarRacing's "
               "reward on a numpy stand-in track, 16 x 16 grey view, z 16, M 32 cells, CMA-ES 16 x 6 x 30)",
         published="+103.8 (own reward scale)"),
    dict(tier="seeds", args="--seeds 0-4", metric="min_ordering", claim=">= 1", kind="paper", reduced=True,
         paper="C on [z, h] above C on z alone (906 ± 21 vs 632 ± 251, +274), both above random; ours: on "
               "every seed, same reduced set-up", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="q1_score_zh", claim=">= 650", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="q3_score_zh", claim=">= 700", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="mean_score_zh", claim=">= 700", paper="906", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_score_z", claim=">= 650", paper="632 ± 251",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="mean_ordering", claim=">= 0.2", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="max_score_random", claim="<= -90", paper="—",
         published="+4.84 (own reward scale)"),
    dict(tier="seeds", args="--seeds 0-4", metric="mean_gap_zh_minus_z", claim="< 137", paper="+274 (906 − 632)",
         published="—"),
    # the two controls (--controls): same seeds, same V, M, tracks and main arms, two more CMA-ES arms
    dict(tier="seeds", args="--seeds 0-4 --controls", metric="min_hidden_beats_z", claim=">= 1", kind="paper",
         reduced=True, paper="V alone with a hidden layer above V alone linear (788 ± 141 vs 632 ± 251); ours: "
         "C on z with 7 tanh hidden units (143 parameters) above linear C on z, on every seed, same reduced set-up",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4 --controls", metric="min_zh_beats_hidden", claim=">= 1", kind="paper",
         reduced=True, paper="V + M above V alone with a hidden layer (906 ± 21 vs 788 ± 141); ours: linear C on "
         "[z, h] (147 parameters) above C on z with 7 hidden units (143), on every seed, same reduced set-up",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4 --controls", metric="median_score_zh_untrained", claim=">= 700",
         paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --controls", metric="median_score_z_hidden", claim=">= 600",
         paper="788 ± 141", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --controls", metric="mean_zh_beats_hidden", claim=">= 0.4",
         paper="906 ± 21 vs 788 ± 141", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --controls", metric="mean_gap_zh_minus_untrained", claim="< 50",
         paper="— (not run in the paper)", published="—"),
    dict(tier="seeds", args="--seeds 0-4 --controls", metric="mean_gap_hidden_minus_z", claim="< 78",
         paper="+156 (788 − 632)", published="—"),
    # issue 17 item 10: the long CMA-ES search (150 generations, popsize 32, 16 episodes), seed 0
    dict(tier="long", args="--seed 0 --generations 150 --popsize 32 --episodes 16", metric="score_zh", claim=">= 900", kind="paper", reduced=True,
         paper="V + M + C: 906 ± 21 over 100 trials (ours: the stand-in track, one seed, CMA-ES 32 x 16 x 150)",
         published="—"),
    dict(tier="long", args="--seed 0 --generations 150 --popsize 32 --episodes 16", metric="ordering", claim=">= 1", kind="paper", reduced=True,
         paper="C on [z, h] above C on z alone, both above random (906 vs 632); one seed, CMA-ES 32 x 16 x 150",
         published="—"),
    dict(tier="long", args="--seeds 0-4 --generations 150 --popsize 32 --episodes 16", metric="median_score_zh", claim=">= 900", kind="paper", reduced=True,
         paper="V + M + C: 906 ± 21 over 100 trials (ours: the stand-in track, seeds 0-4, CMA-ES 32 x 16 x 150)",
         published="—"),
    dict(tier="long", args="--seeds 0-4 --generations 150 --popsize 32 --episodes 16", metric="min_ordering", claim=">= 1", kind="paper", reduced=True,
         paper="C on [z, h] above C on z alone (906 vs 632, +274); ours: on every seed, CMA-ES 32 x 16 x 150",
         published="—"),
    dict(tier="long", args="--seeds 0-4 --generations 150 --popsize 32 --episodes 16", metric="mean_gap_zh_minus_z", claim="< 137", paper="+274 (906 − 632)",
         published="—"),
    dict(tier="long", args="--seeds 0-4 --generations 150 --popsize 32 --episodes 16", metric="min_score_z", claim=">= 800", paper="632 ± 251", published="—"),
]


@dataclass(frozen=True)
class Config:
    # --- environment
    track_rad: float = 90.0  # mean radius of the random closed track (world units)
    track_wiggle: float = 0.4  # relative amplitude of the track's low-frequency radius modulation
    half_width: float = 3.0  # half-width of the road
    tile_len: float = 2.0  # arc length of one reward tile (N = track length / tile_len)
    max_frames: int = 1000  # episode length limit (CarRacing: 1000)
    obs_size: int = 16  # observation: obs_size x obs_size grey pixels, car-centred, rotated with the car
    obs_span: float = 24.0  # world units covered by the observation's width
    obs_ahead: float = 0.75  # fraction of the view that lies ahead of the car
    accel: float = 0.015  # speed gained per frame at full gas
    drag: float = 0.005  # speed lost per frame per unit speed (terminal speed accel / drag on road)
    brake_decel: float = 0.04  # speed lost per frame at full brake
    grass_drag: float = 0.06  # extra speed lost per frame per unit speed on grass
    max_turn: float = 0.08  # steering: turn of the car body (rad/frame) at full lock
    grip: float = 0.02  # sideways speed the tyres can remove per frame (half on grass); beyond it the car slides
    # --- data for V and M (random policy rollouts)
    n_rollouts: int = 48  # random-policy rollouts collected to train V and M
    rollout_len: int = 400  # frames per random rollout
    # --- V: variational auto-encoder
    z_dim: int = 16  # latent size (paper 32)
    v_hidden: int = 128  # hidden units of V's encoder and decoder
    kl_tol: float = 0.5  # free bits: KL is not pushed below kl_tol nats per latent dim (paper 0.5)
    v_steps: int = 1000  # Adam steps of V
    v_batch: int = 128  # frames per V step
    v_lr: float = 2e-3  # Adam learning rate of V
    # --- M: mixture-density LSTM
    m_hidden: int = 32  # LSTM cells of M (paper 256)
    n_mix: int = 5  # Gaussian mixture components per latent dim (paper 5)
    m_steps: int = 400  # Adam steps of M
    m_batch: int = 48  # sequences per M step
    m_seq: int = 40  # frames per training sequence
    m_lr: float = 3e-3  # Adam learning rate of M
    m_clip: float = 1.0  # global gradient-norm clip of M
    # --- C: linear controller evolved by CMA-ES
    popsize: int = 16  # CMA-ES population (lambda) per arm
    generations: int = 30  # CMA-ES generations per arm
    episodes: int = 6  # episodes (tracks) per candidate per generation, shared by the population
    sigma0: float = 0.1  # initial CMA-ES step size
    n_eval: int = 100  # evaluation episodes (fresh tracks) per controller
    log_every: int = 5  # progress line every this many generations
    # --- controls (off by default): more inputs or more capacity instead of M's learned memory
    controls: bool = False  # also evolve and score two controls on the same tracks: C on [z, h] with h from M's untrained initial weights, and C on z with one tanh hidden layer
    c_hidden: int = 7  # hidden units of the control C on z with a hidden layer (16*7+7+3*7+3 = 143 parameters; C(z, h) has 147)

    def __post_init__(self):
        for name in ("max_frames", "obs_size", "n_rollouts", "rollout_len", "z_dim", "v_hidden", "v_steps",
                     "v_batch", "m_hidden", "n_mix", "m_steps", "m_batch", "m_seq", "popsize", "generations",
                     "episodes", "n_eval", "log_every", "c_hidden"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.popsize < 4:
            raise ValueError("popsize must be >= 4")
        if self.m_seq >= self.rollout_len:
            raise ValueError("m_seq must be shorter than rollout_len")
        for name in ("track_rad", "half_width", "tile_len", "obs_span", "accel", "drag", "max_turn", "grip",
                     "v_lr", "m_lr", "sigma0"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if not 0.0 <= self.track_wiggle < 0.5:
            raise ValueError("track_wiggle must be in [0, 0.5)")
        if not 0.0 < self.obs_ahead < 1.0:
            raise ValueError("obs_ahead must be in (0, 1)")


SMOKE = dict(n_rollouts=8, rollout_len=60, v_steps=20, m_steps=5, m_seq=20, popsize=6, generations=2, episodes=1,
             max_frames=60, n_eval=4, log_every=1, controls=True)
STREAMS = ("data", "v", "m", "c", "eval", "init", "probe", "ctrl")  # gradcheck's init/probe after the run's;
# the random policy reads a fresh copy of "data" (index 0, the stream it has always used; its tracks are the
# eval tracks); "ctrl" (last, so every other stream is unchanged) samples the control arms' CMA-ES candidates


# ----------------------------------------------------------------------------- environment

RES = 0.75  # world units per raster cell of the track maps


def _grid_cells(cfg):
    return int(np.ceil(2.0 * cfg.track_rad * (1.0 + cfg.track_wiggle) + 8 * cfg.half_width + 2 * cfg.obs_span) / RES)


def make_tracks(cfg, rng, n):
    """n random closed tracks, rasterised.

    Each centre line is a star-shaped loop r(phi) = R (1 + sum_k a_k cos(k phi + p_k)), k = 2..5,
    so it never crosses itself.  Returns dict with
      pix (n, G, G) uint8 grey level (x 255) of every raster cell (road or grass texture),
      tile (n, G, G) int16 tile index of road cells, -1 on grass,
      n_tiles (n,) int, start (n, 3) x, y, heading of tile 0, centre list of (P, 2) centre lines, G, origin.
    """
    G = _grid_cells(cfg)
    origin = -G * RES / 2.0
    pix = np.empty((n, G, G), np.uint8)
    tile = np.full((n, G, G), -1, np.int16)
    n_tiles = np.empty(n, np.int64)
    start = np.empty((n, 3))
    centres = []
    ys, xs = np.mgrid[0:G, 0:G]
    wx, wy = origin + (xs + 0.5) * RES, origin + (ys + 0.5) * RES
    grass = np.where(((np.floor(wx / 4.5) + np.floor(wy / 4.5)) % 2) == 0, 31, 56).astype(np.uint8)
    w = cfg.half_width / RES
    r_off = np.arange(-int(w) - 1, int(w) + 2)
    oy, ox = np.meshgrid(r_off, r_off, indexing="ij")
    disc = (oy ** 2 + ox ** 2) <= w ** 2
    oy, ox = oy[disc], ox[disc]
    for i in range(n):
        phi = np.linspace(0.0, 2 * np.pi, 4000, endpoint=False)
        k = np.arange(2, 7)
        amp = rng.uniform(0.0, 1.0, size=k.size)
        amp *= cfg.track_wiggle / max(amp.sum(), 1e-9)
        ph = rng.uniform(0, 2 * np.pi, size=k.size)
        r = cfg.track_rad * (1.0 + (amp[:, None] * np.cos(k[:, None] * phi + ph[:, None])).sum(0))
        rot = rng.uniform(0, 2 * np.pi)
        px, py = r * np.cos(phi + rot), r * np.sin(phi + rot)
        seg = np.hypot(np.diff(px, append=px[:1]), np.diff(py, append=py[:1]))
        s = np.concatenate([[0.0], np.cumsum(seg)])
        L = s[-1]
        ss = np.arange(0.0, L, RES * 0.7)
        cx = np.interp(ss, s, np.append(px, px[0]))
        cy = np.interp(ss, s, np.append(py, py[0]))
        nt = int(round(L / cfg.tile_len))
        tid = np.minimum((ss / L * nt).astype(np.int64), nt - 1)
        gi = np.floor((cx - origin) / RES).astype(np.int64)
        gj = np.floor((cy - origin) / RES).astype(np.int64)
        # stamp a disc of the road's width around every centre-line sample; a cell takes the tile of
        # its nearest sample (stamps written farthest first, so the nearest is written last)
        cols = (gi[:, None] + ox[None, :]).ravel()
        rows = (gj[:, None] + oy[None, :]).ravel()
        dist = np.hypot(origin + (cols + 0.5) * RES - np.repeat(cx, ox.size),
                        origin + (rows + 0.5) * RES - np.repeat(cy, ox.size))
        keep = dist <= cfg.half_width
        order = np.argsort(-dist[keep], kind="stable")
        tile[i, rows[keep][order], cols[keep][order]] = np.repeat(tid, ox.size)[keep][order]
        road = tile[i] >= 0
        pix[i] = np.where(road, np.where(tile[i] % 2 == 0, 158, 199), grass)
        n_tiles[i] = nt
        start[i] = (cx[0], cy[0], np.arctan2(cy[1] - cy[0], cx[1] - cx[0]))
        centres.append(np.stack([cx, cy], 1))
    return dict(pix=pix, tile=tile, n_tiles=n_tiles, start=start, centre=centres, G=G, origin=origin)


def _view_offsets(cfg):
    """Car-frame coordinates (forward, left) of the observation's pixel centres, each (S*S,)."""
    S = cfg.obs_size
    px = cfg.obs_span / S
    rows = np.arange(S)
    fwd = (cfg.obs_ahead * S - rows - 0.5) * px          # row 0 is the far edge ahead
    left = ((S - 1) / 2.0 - np.arange(S)) * px            # column 0 is on the car's left
    F, Lf = np.meshgrid(fwd, left, indexing="ij")
    return F.ravel(), Lf.ravel()


class Race:
    """B cars, each on its own track of a rasterised track set, stepped together.

    State: x, y, heading th, speed v, visited (B, N_max) tiles, score, frame t, done.
    Action (B, 3): steer in [-1, 1], gas in [0, 1], brake in [0, 1] (CarRacing's action space).
    """

    def __init__(self, cfg, tracks, which):
        self.cfg, self.tr = cfg, tracks
        self.which = np.asarray(which, np.int64)           # (B,) track index of each car
        B = self.which.size
        G = tracks["G"]
        self.base = self.which * G * G
        self.flat_pix = tracks["pix"].reshape(-1)
        self.flat_tile = tracks["tile"].reshape(-1)
        self.n_tiles = tracks["n_tiles"][self.which]
        st = tracks["start"][self.which]
        self.x, self.y, self.th = st[:, 0].copy(), st[:, 1].copy(), st[:, 2].copy()
        self.v = np.zeros(B)                               # speed
        self.u = np.zeros(B)                               # forward velocity (body frame)
        self.w = np.zeros(B)                               # sideways velocity (body frame, + = left)
        self.visited = np.zeros((B, int(tracks["n_tiles"].max()) + 1), bool)
        self.n_visited = np.zeros(B, np.int64)
        self.score = np.zeros(B)
        self.t = 0
        self.done = np.zeros(B, bool)
        self.F, self.Lf = _view_offsets(cfg)
        self.visited[:, 0] = True                          # the car starts on tile 0, which counts at once
        self.n_visited[:] = 1
        self.score += 1000.0 / self.n_tiles
        self._visit()

    def _cell(self, x, y):
        """Flat raster index (within one track) of world points x, y (any shape), clamped to the map."""
        G = self.tr["G"]
        i = np.clip((x - self.tr["origin"]) * (1.0 / RES), 0, G - 1).astype(np.int64)
        j = np.clip((y - self.tr["origin"]) * (1.0 / RES), 0, G - 1).astype(np.int64)
        return j * G + i

    def _visit(self):
        """Reward +1000/N for each tile first touched; returns the reward and whether each car is on road."""
        idx = self.base + self._cell(self.x, self.y)
        tid = self.flat_tile[idx]
        on = tid >= 0
        rows = np.flatnonzero(on & ~self.done)
        new = np.zeros(self.x.size, bool)
        new[rows] = ~self.visited[rows, tid[rows]]
        self.visited[rows, tid[rows]] = True
        self.n_visited += new
        r = np.where(new, 1000.0 / self.n_tiles, 0.0)
        self.score += r
        return r, on

    def observe(self):
        """(B, S*S) grey pixels around the car, rotated so that the car always points up."""
        G, o, k = self.tr["G"], self.tr["origin"], 1.0 / RES
        c, s = np.cos(self.th)[:, None] * k, np.sin(self.th)[:, None] * k
        gx = ((self.x - o) * k)[:, None] + self.F * c - self.Lf * s          # raster coordinates
        gy = ((self.y - o) * k)[:, None] + self.F * s + self.Lf * c
        np.clip(gx, 0, G - 1, out=gx)
        np.clip(gy, 0, G - 1, out=gy)
        idx = gy.astype(np.int64)
        idx *= G
        idx += gx.astype(np.int64)
        idx += self.base[:, None]
        return self.flat_pix[idx] * (1.0 / 255.0)

    def step(self, a):
        """Advance every running car one frame; returns reward (B,).  Finished cars stay put.

        The car body turns with the steering; the velocity (u forward, w sideways, in the body's frame)
        keeps its world direction while the body turns, and the tyres remove at most `grip` of sideways
        speed per frame, so a car that turns harder than grip / speed allows slides (and can spin out).
        """
        cfg = self.cfg
        steer = np.clip(a[:, 0], -1, 1)
        gas = np.clip(a[:, 1], 0, 1)
        brake = np.clip(a[:, 2], 0, 1)
        run = ~self.done
        on = self.flat_tile[self.base + self._cell(self.x, self.y)] >= 0
        u, w = self.u, self.w
        dth = steer * cfg.max_turn * np.minimum(1.0, np.abs(u) / 0.2)
        cs, sn = np.cos(dth), np.sin(dth)
        u, w = u * cs + w * sn, w * cs - u * sn
        grip = np.where(on, cfg.grip, 0.5 * cfg.grip)
        w = w - np.clip(w, -grip, grip)
        u = u + cfg.accel * gas - (cfg.drag + np.where(on, 0.0, cfg.grass_drag)) * u
        u = np.sign(u) * np.maximum(np.abs(u) - cfg.brake_decel * brake, 0.0)
        th = self.th + dth
        self.th = np.where(run, th, self.th)
        self.u = np.where(run, u, self.u)
        self.w = np.where(run, w, self.w)
        c, s = np.cos(self.th), np.sin(self.th)
        self.x = np.where(run, self.x + self.u * c - self.w * s, self.x)
        self.y = np.where(run, self.y + self.u * s + self.w * c, self.y)
        self.v = np.hypot(self.u, self.w)
        r_tiles, _ = self._visit()
        r = np.where(run, r_tiles - 0.1, 0.0)
        self.score += np.where(run, -0.1, 0.0)
        self.t += 1
        self.done = self.done | (self.n_visited >= self.n_tiles) | (self.t >= cfg.max_frames)
        return r


def random_actions(rng, B, T):
    """The random policy: independent uniform actions every frame, (T, B, 3)."""
    a = rng.uniform(0.0, 1.0, size=(T, B, 3))
    a[..., 0] = 2 * a[..., 0] - 1
    return a


def rollout_actions(rng, B, T):
    """Exploration actions for V's and M's data: random but temporally correlated (T, B, 3).

    Steering follows a mean-reverting random walk; gas and brake are redrawn every 10-40 frames.
    """
    a = np.empty((T, B, 3))
    steer = rng.uniform(-1, 1, B)
    gas = rng.uniform(0, 1, B)
    brake = np.zeros(B)
    for t in range(T):
        steer = np.clip(0.9 * steer + 0.35 * rng.standard_normal(B), -1, 1)
        re = rng.random(B) < 1.0 / 25
        gas = np.where(re, rng.uniform(0, 1, B), gas)
        brake = np.where(re, np.where(rng.random(B) < 0.2, rng.uniform(0, 1, B), 0.0), brake)
        a[t, :, 0], a[t, :, 1], a[t, :, 2] = steer, gas, brake
    return a


def collect_rollouts(cfg, rng):
    """Random-policy experience: obs (T+1, n, S*S) and actions (T, n, 3)."""
    tracks = make_tracks(cfg, rng, cfg.n_rollouts)
    env = Race(cfg, tracks, np.arange(cfg.n_rollouts))
    acts = rollout_actions(rng, cfg.n_rollouts, cfg.rollout_len)
    obs = np.empty((cfg.rollout_len + 1, cfg.n_rollouts, cfg.obs_size ** 2))
    obs[0] = env.observe()
    for t in range(cfg.rollout_len):
        env.step(acts[t])
        obs[t + 1] = env.observe()
    return obs, acts


def _asdict(cfg):
    return {f: getattr(cfg, f) for f in cfg.__dataclass_fields__}


# ----------------------------------------------------------------------------- V: variational auto-encoder

def v_init(cfg, rng):
    """Encoder D -> Hv (relu) -> (mu, logvar) each Z; decoder Z -> Hv (relu) -> D (sigmoid)."""
    D, Hv, Z = cfg.obs_size ** 2, cfg.v_hidden, cfg.z_dim

    def w(i, o):
        return rng.normal(0.0, 1.0 / np.sqrt(i), size=(i, o))
    return dict(We=w(D, Hv), be=np.zeros(Hv), Wmu=w(Hv, Z), bmu=np.zeros(Z), Wlv=0.1 * w(Hv, Z), blv=np.zeros(Z),
                Wd=w(Z, Hv), bd=np.zeros(Hv), Wo=w(Hv, D), bo=np.zeros(D))


def v_encode(V, X):
    """X (B, D) -> mu, logvar (B, Z)."""
    a = np.maximum(X @ V["We"] + V["be"], 0.0)
    return a @ V["Wmu"] + V["bmu"], a @ V["Wlv"] + V["blv"]


def v_decode(V, z):
    """z (B, Z) -> reconstruction (B, D) in (0, 1)."""
    return sigmoid(np.maximum(z @ V["Wd"] + V["bd"], 0.0) @ V["Wo"] + V["bo"])


def v_loss_and_grads(V, X, eps, kl_tol):
    """VAE loss per frame: sum of squared reconstruction errors + max(KL, kl_tol * Z) (the paper's free bits).

    X (B, D) frames, eps (B, Z) standard normals of the reparameterisation z = mu + exp(logvar / 2) eps.
    Returns loss, grads, (rec, kl) batch means.
    """
    B, Z = eps.shape
    pe = X @ V["We"] + V["be"]
    a = np.maximum(pe, 0.0)
    mu = a @ V["Wmu"] + V["bmu"]
    lv = a @ V["Wlv"] + V["blv"]
    sd = np.exp(0.5 * lv)
    z = mu + sd * eps
    pd = z @ V["Wd"] + V["bd"]
    hd = np.maximum(pd, 0.0)
    y = sigmoid(hd @ V["Wo"] + V["bo"])
    rec = np.sum((y - X) ** 2, axis=1)                    # (B,)
    kl = 0.5 * np.sum(mu ** 2 + np.exp(lv) - 1.0 - lv, axis=1)
    kl_mean = kl.mean()
    kl_active = kl_mean > kl_tol * Z
    loss = rec.mean() + (kl_mean if kl_active else kl_tol * Z)
    # backward
    dy = 2.0 * (y - X) / B
    dpo = dy * y * (1.0 - y)
    g = dict(Wo=hd.T @ dpo, bo=dpo.sum(0))
    dhd = dpo @ V["Wo"].T
    dpd = dhd * (pd > 0)
    g["Wd"], g["bd"] = z.T @ dpd, dpd.sum(0)
    dz = dpd @ V["Wd"].T
    dmu = dz.copy()
    dlv = dz * eps * 0.5 * sd
    if kl_active:
        dmu += mu / B
        dlv += 0.5 * (np.exp(lv) - 1.0) / B
    g["Wmu"], g["bmu"] = a.T @ dmu, dmu.sum(0)
    g["Wlv"], g["blv"] = a.T @ dlv, dlv.sum(0)
    da = dmu @ V["Wmu"].T + dlv @ V["Wlv"].T
    dpe = da * (pe > 0)
    g["We"], g["be"] = X.T @ dpe, dpe.sum(0)
    return float(loss), g, (float(rec.mean()), float(kl_mean))


def train_v(cfg, frames, rng):
    """Adam on the VAE loss over random mini-batches of frames (N, D).  Returns V, history."""
    V = v_init(cfg, rng)
    opt = Adam(V, lr=cfg.v_lr)
    hist = dict(step=[], rec=[], kl=[])
    for step in range(cfg.v_steps):
        X = frames[rng.integers(0, len(frames), cfg.v_batch)]
        eps = rng.standard_normal((cfg.v_batch, cfg.z_dim))
        _, g, (rec, kl) = v_loss_and_grads(V, X, eps, cfg.kl_tol)
        opt.step(V, g)
        if step % 25 == 0 or step == cfg.v_steps - 1:
            hist["step"].append(step)
            hist["rec"].append(rec)
            hist["kl"].append(kl)
    return V, hist


# ----------------------------------------------------------------------------- M: mixture-density LSTM

def m_init(cfg, rng):
    """LSTM (input [z, a] of size Z+3, Hm cells, gates i, f, o, g) and a mixture head (Hm -> 3 K Z)."""
    Z, Hm, K = cfg.z_dim, cfg.m_hidden, cfg.n_mix
    In = Z + 3
    W = rng.normal(0.0, 1.0 / np.sqrt(In + Hm), size=(In + Hm, 4 * Hm))
    b = np.zeros(4 * Hm)
    b[Hm:2 * Hm] = 1.0                                   # forget-gate bias 1
    Wy = rng.normal(0.0, 0.1 / np.sqrt(Hm), size=(Hm, 3 * K * Z))
    by = np.zeros(3 * K * Z)
    by[K * Z:2 * K * Z] = np.tile(np.linspace(-1.0, 1.0, K), Z)   # spread the components' initial means
    return dict(W=W, b=b, Wy=Wy, by=by)


def lstm_step(M, x, h, c):
    """One LSTM step for a batch: x (B, In), h, c (B, Hm) -> h, c, cache."""
    Hm = h.shape[1]
    u = np.concatenate([x, h], axis=1)
    pre = u @ M["W"] + M["b"]
    act = np.tanh(pre * np.r_[np.full(3 * Hm, 0.5), np.ones(Hm)])     # sigmoid(x) = (1 + tanh(x / 2)) / 2
    i, f, o = [0.5 * (1.0 + act[:, k * Hm:(k + 1) * Hm]) for k in range(3)]
    gg = act[:, 3 * Hm:]
    c2 = f * c + i * gg
    tc = np.tanh(c2)
    return o * tc, c2, (u, i, f, o, gg, c, tc)


def mdn_split(M, h, K):
    """Mixture parameters for every latent dim from h (..., Hm): log pi, mu, log sigma, each (..., Z, K)."""
    y = h @ M["Wy"] + M["by"]
    Z = y.shape[-1] // (3 * K)
    y = y.reshape(*y.shape[:-1], 3, Z, K)
    logit, mu, ls = y[..., 0, :, :], y[..., 1, :, :], y[..., 2, :, :]
    logpi = logit - logsumexp(logit, axis=-1)[..., None]
    return logpi, mu, ls


def m_loss_and_grads(M, Zs, A, K):
    """MDN-RNN negative log-likelihood of the next latent, BPTT by hand.

    Zs (T+1, B, Z) latents, A (T, B, 3) actions; input at t is [z_t, a_t], target z_{t+1}.
    Loss = mean over (t, b, dim) of -log sum_k pi_k N(z_{t+1}; mu_k, sigma_k).  Returns loss, grads.
    """
    T, B, _ = A.shape
    Hm = M["W"].shape[1] // 4
    h = np.zeros((B, Hm))
    c = np.zeros((B, Hm))
    caches, Hs = [], np.empty((T, B, Hm))
    for t in range(T):
        h, c, cache = lstm_step(M, np.concatenate([Zs[t], A[t]], axis=1), h, c)
        caches.append(cache)
        Hs[t] = h
    logpi, mu, ls = mdn_split(M, Hs, K)                  # (T, B, Z, K)
    tgt = Zs[1:, :, :, None]
    zs = (tgt - mu) * np.exp(-ls)
    logn = -0.5 * zs ** 2 - ls - 0.5 * np.log(2 * np.pi)
    lj = logpi + logn
    lp = logsumexp(lj, axis=-1)                           # (T, B, Z)
    n = lp.size
    loss = -float(lp.mean())
    post = np.exp(lj - lp[..., None])                     # responsibilities (T, B, Z, K)
    pi = np.exp(logpi)
    dlogit = (pi - post) / n
    dmu = -post * zs * np.exp(-ls) / n
    dls = -post * (zs ** 2 - 1.0) / n
    dy = np.stack([dlogit, dmu, dls], axis=2).reshape(T, B, -1)
    g = dict(Wy=Hs.reshape(T * B, Hm).T @ dy.reshape(T * B, -1), by=dy.sum((0, 1)))
    dH = dy @ M["Wy"].T                                   # (T, B, Hm)
    gW = np.zeros_like(M["W"])
    gb = np.zeros_like(M["b"])
    dh = np.zeros((B, Hm))
    dc = np.zeros((B, Hm))
    for t in range(T - 1, -1, -1):
        u, i, f, o, gg, c_prev, tc = caches[t]
        dh = dh + dH[t]
        do = dh * tc
        dc = dc + dh * o * (1.0 - tc ** 2)
        di = dc * gg
        df = dc * c_prev
        dg = dc * i
        dpre = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - gg ** 2)], axis=1)
        gW += u.T @ dpre
        gb += dpre.sum(0)
        du = dpre @ M["W"].T
        dh = du[:, -Hm:]
        dc = dc * f
    g["W"], g["b"] = gW, gb
    return loss, g


def train_m(cfg, Zs_all, A_all, rng):
    """Adam on M's NLL over random windows of the encoded rollouts.

    Zs_all (T+1, n, Z) latents sampled from V's posterior, A_all (T, n, 3).  Returns M, history and a copy
    of M's random initial weights (the untrained M of the controls).
    """
    M = m_init(cfg, rng)
    M0 = {k: v.copy() for k, v in M.items()}
    opt = Adam(M, lr=cfg.m_lr)
    T_all, n, _ = A_all.shape
    hist = dict(step=[], nll=[])
    for step in range(cfg.m_steps):
        seqs = rng.integers(0, n, cfg.m_batch)
        t0 = rng.integers(0, T_all - cfg.m_seq + 1, cfg.m_batch)
        tt = t0[None, :] + np.arange(cfg.m_seq + 1)[:, None]
        Zs = Zs_all[tt, seqs[None, :]]
        A = A_all[tt[:-1], seqs[None, :]]
        loss, g = m_loss_and_grads(M, Zs, A, cfg.n_mix)
        clip_global_norm(g, cfg.m_clip)
        opt.step(M, g)
        if step % 10 == 0 or step == cfg.m_steps - 1:
            hist["step"].append(step)
            hist["nll"].append(loss)
    return M, hist, M0


# ----------------------------------------------------------------------------- C: linear controller, CMA-ES

def c_inputs(cfg, use_h):
    return cfg.z_dim + (cfg.m_hidden if use_h else 0)


def c_act(theta, feats):
    """Linear controller, batched over candidates: theta (B, 3*(F+1)), feats (B, F) -> actions (B, 3).

    out = tanh(W feats + b); steer = out0, gas = (out1 + 1) / 2, brake = max(out2, 0) (as in the paper).
    """
    B, F = feats.shape
    W = theta[:, :3 * F].reshape(B, 3, F)
    o = np.tanh(np.einsum("bkf,bf->bk", W, feats) + theta[:, 3 * F:])
    return np.stack([o[:, 0], 0.5 * (o[:, 1] + 1.0), np.maximum(o[:, 2], 0.0)], axis=1)


def c_hidden_params(cfg):
    """Parameter count of the control C on z with one hidden layer: H x Z + H, then 3 x H + 3."""
    return cfg.c_hidden * (cfg.z_dim + 1) + 3 * (cfg.c_hidden + 1)


def c_act_hidden(theta, z, H):
    """The paper's "V alone with a hidden layer" controller, batched: theta (B, H*(Z+1) + 3*(H+1)), z (B, Z).

    hidden = tanh(W1 z + b1) (H units), then the linear controller's output and action mapping on hidden.
    """
    B, Z = z.shape
    W1 = theta[:, :H * Z].reshape(B, H, Z)
    hid = np.tanh(np.einsum("bkf,bf->bk", W1, z) + theta[:, H * Z:H * (Z + 1)])
    return c_act(theta[:, H * (Z + 1):], hid)


def drive(cfg, V, M, tracks, which, thetas, use_h, rng=None, record=None):
    """Run episodes: car b on track which[b] driven by controller thetas[b] (or random when thetas is None).

    use_h (B,) bool: controller b reads [z, h] (True) or z alone (False).  z is V's posterior mean of the
    current frame; h is M's hidden state after the previous frames and actions.  Returns scores (B,).
    record: optional dict that receives per-frame x, y, th, v, obs, z, actions (every car).
    """
    env = Race(cfg, tracks, which)
    B = env.x.size
    Hm = cfg.m_hidden
    h = np.zeros((B, Hm))
    c = np.zeros((B, Hm))
    use_h = np.asarray(use_h, bool)
    if thetas is not None:
        groups = [(np.flatnonzero(use_h == u), u) for u in (False, True) if np.any(use_h == u)]
    for t in range(cfg.max_frames):
        obs = env.observe()
        z, _ = v_encode(V, obs)
        if thetas is None:
            a = random_actions(rng, B, 1)[0]
        else:
            a = np.empty((B, 3))
            for idx, u in groups:
                feats = np.concatenate([z[idx], h[idx]], axis=1) if u else z[idx]
                a[idx] = c_act(thetas[idx], feats)
        if record is not None:
            for k, val in (("x", env.x), ("y", env.y), ("th", env.th), ("v", env.v), ("obs", obs), ("z", z),
                           ("a", a), ("score", env.score), ("h", h)):
                record.setdefault(k, []).append(np.array(val, copy=True))
        env.step(a)
        if env.done.all():
            break
        h, c, _ = lstm_step(M, np.concatenate([z, a], axis=1), h, c)
    return env.score.copy()


class CMAES:
    """(mu/mu_w, lambda)-CMA-ES with cumulative step-size adaptation, rank-one and rank-mu covariance update.

    Maximises.  Strategy parameters are the defaults of Hansen's CMA-ES tutorial.
    """

    def __init__(self, x0, sigma0, lam, rng):
        n = x0.size
        self.n, self.lam, self.rng = n, lam, rng
        self.mu = lam // 2
        w = np.log(self.mu + 0.5) - np.log(np.arange(1, self.mu + 1))
        self.w = w / w.sum()
        self.mueff = 1.0 / np.sum(self.w ** 2)
        me = self.mueff
        self.cc = (4 + me / n) / (n + 4 + 2 * me / n)
        self.cs = (me + 2) / (n + me + 5)
        self.c1 = 2 / ((n + 1.3) ** 2 + me)
        self.cmu = min(1 - self.c1, 2 * (me - 2 + 1 / me) / ((n + 2) ** 2 + me))
        self.damps = 1 + 2 * max(0.0, np.sqrt((me - 1) / (n + 1)) - 1) + self.cs
        self.chin = np.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n ** 2))
        self.m = x0.astype(float).copy()
        self.sigma = float(sigma0)
        self.pc = np.zeros(n)
        self.ps = np.zeros(n)
        self.C = np.eye(n)
        self.B = np.eye(n)
        self.D = np.ones(n)
        self.gen = 0

    def ask(self):
        """lambda candidates (lam, n) ~ N(m, sigma^2 C)."""
        zz = self.rng.standard_normal((self.lam, self.n))
        return self.m + self.sigma * (zz * self.D) @ self.B.T

    def tell(self, X, fit):
        """Update mean, evolution paths, covariance and step size from candidates X and fitnesses fit (higher = better)."""
        n = self.n
        order = np.argsort(-np.asarray(fit), kind="stable")[: self.mu]
        y = (X[order] - self.m) / self.sigma            # (mu, n)
        yw = self.w @ y
        self.m = self.m + self.sigma * yw
        invsqrtC_yw = self.B @ ((self.B.T @ yw) / self.D)
        self.ps = (1 - self.cs) * self.ps + np.sqrt(self.cs * (2 - self.cs) * self.mueff) * invsqrtC_yw
        self.gen += 1
        hsig = (np.linalg.norm(self.ps) / np.sqrt(1 - (1 - self.cs) ** (2 * self.gen)) / self.chin
                < 1.4 + 2 / (n + 1))
        self.pc = (1 - self.cc) * self.pc + hsig * np.sqrt(self.cc * (2 - self.cc) * self.mueff) * yw
        rank_mu = (y * self.w[:, None]).T @ y
        self.C = ((1 - self.c1 - self.cmu + (1 - hsig) * self.c1 * self.cc * (2 - self.cc)) * self.C
                  + self.c1 * np.outer(self.pc, self.pc) + self.cmu * rank_mu)
        self.sigma *= np.exp((self.cs / self.damps) * (np.linalg.norm(self.ps) / self.chin - 1))
        self.C = np.triu(self.C) + np.triu(self.C, 1).T
        d2, self.B = np.linalg.eigh(self.C)
        self.D = np.sqrt(np.maximum(d2, 1e-20))


def evolve(cfg, V, M, rng, callback=None, M0=None, rng_ctrl=None):
    """CMA-ES for two controller arms at once -- C on [z, h] and C on z -- every car of both populations
    stepped together.  Each generation draws `episodes` fresh tracks shared by every candidate.

    With cfg.controls, two control arms are evolved on the same tracks, in a batch of their own (so the two
    main arms compute exactly what they compute without them), their candidates drawn from rng_ctrl:
    'zh_untrained', C on [z, h] with h from M0 (M's untrained initial weights), and 'z_hidden', C on z with
    one hidden layer of cfg.c_hidden tanh units.
    Returns dict arm -> (final mean theta, history).
    """
    arms = {"zh": True, "z": False}
    es = {k: CMAES(np.zeros(3 * (c_inputs(cfg, u) + 1)), cfg.sigma0, cfg.popsize, rng) for k, u in arms.items()}
    hist = {k: dict(gen=[], best=[], mean=[], sigma=[]) for k in arms}
    E, lam = cfg.episodes, cfg.popsize
    nmax = max(e.n for e in es.values())
    ctrl = {}
    if cfg.controls:
        ctrl = dict(zh_untrained=CMAES(np.zeros(3 * (c_inputs(cfg, True) + 1)), cfg.sigma0, lam, rng_ctrl),
                    z_hidden=CMAES(np.zeros(c_hidden_params(cfg)), cfg.sigma0, lam, rng_ctrl))
        hist.update({k: dict(gen=[], best=[], mean=[], sigma=[]) for k in ctrl})
    for gen in range(cfg.generations):
        tracks = make_tracks(cfg, rng, E)
        cand = {k: e.ask() for k, e in es.items()}
        thetas, use_h = [], []
        for k, u in arms.items():
            P = np.zeros((lam, nmax))
            P[:, : es[k].n] = cand[k]
            thetas.append(np.repeat(P, E, axis=0))
            use_h.append(np.full(lam * E, u))
        thetas = np.concatenate(thetas)
        use_h = np.concatenate(use_h)
        # trim each row to its arm's length inside c_act via the group split: pad is zero and unused
        which = np.tile(np.arange(E), lam * len(arms))
        scores = _drive_padded(cfg, V, M, tracks, which, thetas, use_h, es)
        for j, k in enumerate(arms):
            fit = scores[j * lam * E:(j + 1) * lam * E].reshape(lam, E).mean(1)
            es[k].tell(cand[k], fit)
            hist[k]["gen"].append(gen)
            hist[k]["best"].append(float(fit.max()))
            hist[k]["mean"].append(float(fit.mean()))
            hist[k]["sigma"].append(es[k].sigma)
        if ctrl:
            cc = {k: e.ask() for k, e in ctrl.items()}
            which_c = np.tile(np.arange(E), lam)
            sc = _drive_controls(cfg, V, M0, tracks, which_c, np.repeat(cc["zh_untrained"], E, axis=0),
                                 which_c, np.repeat(cc["z_hidden"], E, axis=0))
            for k, scores_k in zip(ctrl, sc):
                fit = scores_k.reshape(lam, E).mean(1)
                ctrl[k].tell(cc[k], fit)
                hist[k]["gen"].append(gen)
                hist[k]["best"].append(float(fit.max()))
                hist[k]["mean"].append(float(fit.mean()))
                hist[k]["sigma"].append(ctrl[k].sigma)
        if gen % cfg.log_every == 0 or gen == cfg.generations - 1:
            progress(f"CMA-ES gen {gen:3d}  C(z,h) best {hist['zh']['best'][-1]:7.1f} mean {hist['zh']['mean'][-1]:7.1f}"
                     f"  |  C(z) best {hist['z']['best'][-1]:7.1f} mean {hist['z']['mean'][-1]:7.1f}")
            if ctrl:
                progress(f"   controls  C(z,h untrained M) best {hist['zh_untrained']['best'][-1]:7.1f} mean "
                         f"{hist['zh_untrained']['mean'][-1]:7.1f}  |  C(z) hidden layer best "
                         f"{hist['z_hidden']['best'][-1]:7.1f} mean {hist['z_hidden']['mean'][-1]:7.1f}")
        if callback is not None:
            callback(gen, dict(es=es, hist=hist))
    out = {k: (es[k].m.copy(), hist[k]) for k in arms}
    out.update({k: (e.m.copy(), hist[k]) for k, e in ctrl.items()})
    return out


def _drive_padded(cfg, V, M, tracks, which, thetas, use_h, es):
    """drive() with zero-padded parameter rows: each arm's rows are cut to their own length."""
    n_z = 3 * (c_inputs(cfg, False) + 1)
    n_zh = 3 * (c_inputs(cfg, True) + 1)
    rows = np.where(use_h[:, None], thetas[:, :n_zh], np.pad(thetas[:, :n_z], ((0, 0), (0, n_zh - n_z))))
    return _drive_mixed(cfg, V, M, tracks, which, rows, use_h, n_z)


def _drive_mixed(cfg, V, M, tracks, which, rows, use_h, n_z):
    env = Race(cfg, tracks, which)
    B = env.x.size
    Hm = cfg.m_hidden
    h = np.zeros((B, Hm))
    c = np.zeros((B, Hm))
    iz, ih = np.flatnonzero(~use_h), np.flatnonzero(use_h)
    for t in range(cfg.max_frames):
        z, _ = v_encode(V, env.observe())
        a = np.empty((B, 3))
        if ih.size:
            a[ih] = c_act(rows[ih], np.concatenate([z[ih], h[ih]], axis=1))
        if iz.size:
            a[iz] = c_act(rows[iz, :n_z], z[iz])
        env.step(a)
        if env.done.all():
            break
        h, c, _ = lstm_step(M, np.concatenate([z, a], axis=1), h, c)
    return env.score.copy()


def _drive_controls(cfg, V, M0, tracks, which_u, rows_u, which_hid, rows_hid):
    """The two controls in one batch: cars driven by C on [z, h] with h from the untrained M0 (rows_u, on
    tracks which_u) and cars driven by C on z with a hidden layer (rows_hid, on tracks which_hid).
    Returns their scores (len(which_u),), (len(which_hid),)."""
    env = Race(cfg, tracks, np.r_[which_u, which_hid])
    nu = len(which_u)
    h = np.zeros((nu, cfg.m_hidden))
    c = np.zeros((nu, cfg.m_hidden))
    for t in range(cfg.max_frames):
        z, _ = v_encode(V, env.observe())
        a = np.empty((z.shape[0], 3))
        a[:nu] = c_act(rows_u, np.concatenate([z[:nu], h], axis=1))
        a[nu:] = c_act_hidden(rows_hid, z[nu:], cfg.c_hidden)
        env.step(a)
        if env.done.all():
            break
        h, c, _ = lstm_step(M0, np.concatenate([z[:nu], a[:nu]], axis=1), h, c)
    return env.score[:nu].copy(), env.score[nu:].copy()


# ----------------------------------------------------------------------------- pipeline

def train(cfg, seed, callback=None):
    """Collect random rollouts, train V, encode, train M, evolve both controllers.

    Returns dict(V, M, M0 (M's untrained initial weights), thetas={'zh', 'z'} (+ 'zh_untrained', 'z_hidden'
    with cfg.controls), history, timings, rollouts).
    """
    import time
    rngs = rng_streams(seed, STREAMS)
    t0 = time.perf_counter()
    obs, acts = collect_rollouts(cfg, rngs["data"])
    t1 = time.perf_counter()
    progress(f"collected {cfg.n_rollouts} random rollouts x {cfg.rollout_len} frames ({t1 - t0:.1f} s)")
    frames = obs.reshape(-1, obs.shape[-1])
    V, vh = train_v(cfg, frames, rngs["v"])
    t2 = time.perf_counter()
    progress(f"V trained: reconstruction {vh['rec'][-1]:.3f}, KL {vh['kl'][-1]:.2f} ({t2 - t1:.1f} s)")
    mu, lv = v_encode(V, frames)
    Zs = (mu + np.exp(0.5 * lv) * rngs["m"].standard_normal(mu.shape)).reshape(obs.shape[0], obs.shape[1], -1)
    M, mh, M0 = train_m(cfg, Zs, acts, rngs["m"])
    t3 = time.perf_counter()
    progress(f"M trained: NLL {mh['nll'][0]:.3f} -> {mh['nll'][-1]:.3f} per latent dim ({t3 - t2:.1f} s)")
    out = evolve(cfg, V, M, rngs["c"], callback=callback, M0=M0, rng_ctrl=rngs["ctrl"])
    t4 = time.perf_counter()
    timings = dict(t_data=t1 - t0, t_v=t2 - t1, t_m=t3 - t2, t_c=t4 - t3)
    progress("wall-clock breakdown: " + ", ".join(f"{k[2:]} {v:.1f} s" for k, v in timings.items()))
    return dict(V=V, M=M, M0=M0, thetas={k: v[0] for k, v in out.items()},
                history=dict(v=vh, m=mh, c={k: v[1] for k, v in out.items()}), timings=timings,
                rollouts=(obs, acts))


def eval_tracks(cfg, seed):
    """The n_eval fresh evaluation tracks of `seed` (its own stream, never seen in training)."""
    return make_tracks(cfg, rng_streams(seed, STREAMS)["eval"], cfg.n_eval)


def eval_scores(cfg, V, M, thetas, seed):
    """Per-episode scores (n_eval,) of C(z, h), C(z) and the random policy on the same fresh tracks."""
    tracks = eval_tracks(cfg, seed)
    n = cfg.n_eval
    which = np.arange(n)
    n_z = 3 * (c_inputs(cfg, False) + 1)
    n_zh = 3 * (c_inputs(cfg, True) + 1)
    rows = np.zeros((2 * n, n_zh))
    rows[:n] = thetas["zh"]
    rows[n:, :n_z] = thetas["z"]
    use_h = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    sc = _drive_mixed(cfg, V, M, tracks, np.r_[which, which], rows, use_h, n_z)
    rnd = drive(cfg, V, M, tracks, which, None, np.zeros(n, bool), rng=rng_streams(seed, STREAMS)["data"])
    return dict(zh=sc[:n], z=sc[n:], random=rnd)


def evaluate(cfg, V, M, thetas, seed):
    """Mean and std of the n_eval evaluation scores of each controller -> metrics."""
    sc = eval_scores(cfg, V, M, thetas, seed)
    zh, z, rnd = sc["zh"], sc["z"], sc["random"]
    return dict(score_zh=float(zh.mean()), std_zh=float(zh.std()), score_z=float(z.mean()), std_z=float(z.std()),
                score_random=float(rnd.mean()), std_random=float(rnd.std()),
                gap_zh_minus_z=float(zh.mean() - z.mean()),
                ordering=int(zh.mean() > z.mean() > rnd.mean()), solved_zh=int(zh.mean() >= 900.0),
                solved_z=int(z.mean() >= 900.0))


def evaluate_controls(cfg, V, M0, thetas, seed, base):
    """The two controls on the same n_eval evaluation tracks as the main arms; base: evaluate()'s metrics."""
    tracks = eval_tracks(cfg, seed)
    n = cfg.n_eval
    which = np.arange(n)
    su, shid = _drive_controls(cfg, V, M0, tracks, which, np.repeat(thetas["zh_untrained"][None, :], n, 0),
                               which, np.repeat(thetas["z_hidden"][None, :], n, 0))
    zh, z, u, hid = base["score_zh"], base["score_z"], float(su.mean()), float(shid.mean())
    return dict(score_zh_untrained=u, std_zh_untrained=float(su.std()), score_z_hidden=hid,
                std_z_hidden=float(shid.std()), gap_zh_minus_untrained=zh - u, gap_hidden_minus_z=hid - z,
                beats_untrained=int(zh > u), hidden_beats_z=int(hid > z), zh_beats_hidden=int(zh > hid))


def speed_probe(cfg, V, M, theta_zh, seed, n_tracks=10):
    """How much of the car's speed a linear read-out recovers from z alone vs from [z, h].

    C on [z, h] drives n_tracks evaluation tracks; least squares fits speed ~ [z, 1] and speed ~ [z, h, 1]
    on the frames of the first half of the tracks and reports R^2 on the frames of the other half.
    """
    tracks = eval_tracks(cfg, seed)
    n = min(n_tracks, cfg.n_eval)
    rec = {}
    drive(cfg, V, M, tracks, np.arange(n), np.repeat(theta_zh[None, :], n, 0), np.ones(n, bool), record=rec)
    v, z, h = (np.asarray(rec[k]) for k in ("v", "z", "h"))       # (T, n), (T, n, Z), (T, n, Hm)
    half = max(1, n // 2)
    out = {}
    for name, F in (("z", z), ("zh", np.concatenate([z, h], axis=2))):
        F = np.concatenate([F, np.ones(F.shape[:2] + (1,))], axis=2)
        Ftr, vtr = F[:, :half].reshape(-1, F.shape[2]), v[:, :half].ravel()
        Fte, vte = F[:, half:].reshape(-1, F.shape[2]), v[:, half:].ravel()
        if vte.size == 0:
            Fte, vte = Ftr, vtr
        w = np.linalg.lstsq(Ftr, vtr, rcond=None)[0]
        out[f"speed_r2_{name}"] = float(1.0 - np.mean((Fte @ w - vte) ** 2) / max(np.var(vte), 1e-12))
    return out


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    m = evaluate(cfg, out["V"], out["M"], out["thetas"], seed)
    if cfg.controls:
        m.update(evaluate_controls(cfg, out["V"], out["M0"], out["thetas"], seed, m))
    m.update(speed_probe(cfg, out["V"], out["M"], out["thetas"]["zh"], seed))
    m["v_rec"] = out["history"]["v"]["rec"][-1]
    m["m_nll"] = out["history"]["m"]["nll"][-1]
    m["solved"] = m["solved_zh"]  # the paper's per-run success: CarRacing counts as solved at a mean >= 900
    return m


def gradcheck(cfg, seed) -> dict:
    """Central differences vs the hand-written backward passes of V (VAE) and M (MDN-LSTM BPTT), float64."""
    small = Config(**{**_asdict(cfg), "obs_size": 6, "v_hidden": 7, "z_dim": 3, "m_hidden": 5, "n_mix": 3})
    rngs = rng_streams(seed, STREAMS)
    V = v_init(small, rngs["init"])
    for k in V:
        if k.startswith("b"):
            V[k] += 0.1 * rngs["init"].standard_normal(V[k].shape)
    V["Wlv"] *= 10.0                   # a posterior spread that matters, so every path carries signal
    X = rngs["data"].uniform(0, 1, (5, 36))
    eps = rngs["data"].standard_normal((5, 3))
    errors = {}
    for tol in (0.0, 50.0):            # KL term active, then the free-bits floor active (KL gradient off)
        _, g, _ = v_loss_and_grads(V, X, eps, tol)
        for k, e in numeric_gradcheck(lambda: v_loss_and_grads(V, X, eps, tol)[0], V, g, rngs["probe"]).items():
            errors[f"V{'_freebits' if tol else ''}.{k}"] = e
    M = m_init(small, rngs["init"])
    M["Wy"] *= 10.0
    Zs = rngs["data"].standard_normal((7, 4, 3))
    A = rngs["data"].uniform(-1, 1, (6, 4, 3))
    _, g = m_loss_and_grads(M, Zs, A, small.n_mix)
    for k, e in numeric_gradcheck(lambda: m_loss_and_grads(M, Zs, A, small.n_mix)[0], M, g, rngs["probe"]).items():
        errors[f"M.{k}"] = e
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
