"""Flip-flop through a differentiable world model (Schmidhuber 1990).

Schmidhuber, "Making the world differentiable: on using self-supervised fully
recurrent neural networks for dynamic reinforcement learning and planning in
non-stationary environments", TR FKI-126-90 (1990); IJCNN 1990, vol. 2, 253-258.

Claim: a recurrent controller C that never sees a target can learn a latch
(output 1 iff B came after the most recent A; X is a distractor) when the only
feedback is a scalar pain (a_t - d_t)^2, by back-propagating the pain predicted
by a recurrent world model M through the frozen M into C. The gradient used
here is the full one: BPTT through M's recurrence and C's recurrence over the
episode, with exploration through C's own noisy (probabilistic) outputs and
plain gradient descent for both nets.

Run:  python3 flip_flop.py --seed 0            (sequential regime, the headline)
      python3 flip_flop.py --seed 0 --regime parallel
"""
import functools
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "flip-flop"
META = dict(
    title="a latch learned by back-propagating predicted pain through a recurrent world model",
    paper="Schmidhuber 1990, Making the world differentiable (FKI-126-90; IJCNN 1990)",
    year=1990,
    claim=("A controller that only ever sees pain learns the latch by plain gradient descent through a "
           "recurrent world model, with the full BPTT gradient: 7/10 seeds solve with M frozen (paper 6/10), "
           "30/30 with M and C learning together (paper 20/30); a seed-0 run takes about 5 s"),
    figure=dict(args="--seeds 0-9", metric="test_solved"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="test_solved", claim=">= 30", paper="—", published="30/30"),
    dict(tier="headline", args="--seed 0", metric="test_acc", claim=">= 0.999", paper="—", published="100%"),
    dict(tier="headline", args="--seeds 0-9", metric="solved_seeds", claim=">= 6/10", kind="paper",
         paper="6/10 runs solve (sequential regime, M frozen)", published="10/10 (M not frozen, local gradient)"),
    dict(tier="headline", args="--seeds 0-9", metric="median_test_solved", claim=">= 25", paper="—",
         published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q1_test_solved", claim=">= 15", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q3_test_solved", claim=">= 30", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-29 --regime parallel", metric="solved_seeds", claim=">= 20/30",
         kind="paper", paper="20/30 runs solve (parallel regime)", published="30/30"),
    dict(tier="headline", args="--seeds 0-29 --regime parallel", metric="min_test_solved", claim=">= 30",
         paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9 --m-refresh 1", metric="solved_seeds", claim=">= 10/10", paper="—",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9 --sigma-m 0.3", metric="solved_seeds", claim="<= 2/10", paper="—",
         published="—"),
]


@dataclass(frozen=True)
class Config:
    regime: str = field(default="sequential", metadata={"choices": ("sequential", "parallel")})  # sequential: M first, then C through the frozen M; parallel: both learn together from step 0
    hidden_c: int = 8  # hidden units of the controller C
    hidden_m: int = 12  # hidden units of the world model M
    init_scale: float = 1.0  # std of initial weights times sqrt(fan-in)
    p_a: float = 0.1  # per-step probability of event A (reset latch)
    p_b: float = 0.1  # per-step probability of event B (set latch)
    p_x: float = 0.3  # per-step probability of distractor X (the rest: no event)
    train_len: int = 20  # steps per training episode
    batch: int = 64  # episodes per gradient update (vectorised)
    sigma: float = 0.3  # std of C's Gaussian exploration noise while C learns (0 at test)
    sigma_m: float = 3.0  # sequential: exploration noise std of the untrained C while M learns alone
    m_steps: int = 2500  # sequential: M-only updates before C starts (parallel: counted as joint updates)
    c_steps: int = 2000  # updates of C through M (parallel: m_steps + c_steps joint updates from step 0)
    m_refresh: int = 0  # sequential: M also learns from every this-many-th batch of C's phase (0 = M frozen)
    optimizer: str = field(default="sgd", metadata={"choices": ("sgd", "adam")})  # plain gradient descent (paper) or Adam
    lr_m: float = 1.0  # learning rate of M
    lr_c: float = 2.0  # learning rate of C
    clip: float = 0.1  # global gradient-norm clip per update and net (0 = off)
    n_test: int = 30  # fresh test episodes
    test_len: int = 100  # steps per test episode
    tol: float = 0.3  # a test episode is solved iff |a_t - d_t| < tol at every step
    hist_every: int = 25  # record the learning curves (incl. test accuracy) every this many updates
    log_every: int = 250  # progress line every this many updates

    def __post_init__(self):
        for name in ("hidden_c", "hidden_m", "train_len", "batch", "n_test", "test_len", "hist_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("m_steps", "c_steps", "m_refresh"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("p_a", "p_b", "p_x"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")
        if self.p_a + self.p_b + self.p_x > 1.0:
            raise ValueError("p_a + p_b + p_x must be <= 1")
        if self.sigma < 0 or self.sigma_m < 0 or self.clip < 0 or self.init_scale <= 0:
            raise ValueError("sigma, sigma_m and clip must be >= 0, init_scale > 0")
        if self.lr_m <= 0 or self.lr_c <= 0:
            raise ValueError("learning rates must be positive")
        if not 0.0 < self.tol <= 1.0:
            raise ValueError("tol must be in (0, 1]")


SMOKE = dict(m_steps=150, c_steps=150, batch=16, n_test=5, test_len=40, log_every=50)
STREAMS = ("init", "data", "explore", "eval", "probe")  # every random stream, by name (probe: gradcheck)


# ----------------------------------------------------------------------------- environment

N_IN = 5  # C's input: one-hot (A, B, X), bias 1, previous step's pain
_ONE_HOT = np.eye(4)[:, :3]  # event code -> its one-hot row (A, B, X); "nothing" is all zeros


def sample_episodes(rng, n, length, cfg):
    """Random event streams and their latch targets.

    Returns ev (length, n) int in {0: A, 1: B, 2: X, 3: nothing}, E (length, n, 3) one-hot,
    d (length, n) desired output: 1 iff a B occurred since the most recent A (starts at 0).
    """
    cdf, two_t = _event_tables(cfg.p_a, cfg.p_b, cfg.p_x, length)
    ev = cdf.searchsorted(rng.random((length, n)), side="right")   # = rng.choice(4, p=...), draw for draw
    E = _ONE_HOT[ev]
    code = np.where(ev <= 1, two_t + ev, -2)                        # 2t + event at each A (0) or B (1)
    d = (np.maximum.accumulate(code, axis=0) & 1).astype(float)    # odd: the latest A or B was a B
    return ev, E, d


@functools.lru_cache(maxsize=8)
def _event_tables(p_a, p_b, p_x, length):
    """The event distribution's cumulative table (as Generator.choice builds it) and 2t (length, 1)."""
    cdf = np.array([p_a, p_b, p_x, 1.0 - p_a - p_b - p_x]).cumsum()
    cdf /= cdf[-1]
    return cdf, 2 * np.arange(length)[:, None]


# ----------------------------------------------------------------------------- networks
# Every time loop below works in preallocated buffers (positional out, np.dot): a handful of numpy
# calls per step, the cheapest ones numpy has for arrays this small.

def init_params(rng, cfg):
    """C: Wx (5, Hc), Wh (Hc, Hc), wo (Hc,), bo (1,).  M: Wx (6, Hm), Wh (Hm, Hm), wo (Hm,), bo (1,)."""
    def w(*shape):
        return rng.normal(0.0, cfg.init_scale / np.sqrt(shape[0]), size=shape)
    C = dict(Wx=w(N_IN, cfg.hidden_c), Wh=w(cfg.hidden_c, cfg.hidden_c), wo=w(cfg.hidden_c), bo=np.zeros(1))
    M = dict(Wx=w(N_IN + 1, cfg.hidden_m), Wh=w(cfg.hidden_m, cfg.hidden_m), wo=w(cfg.hidden_m), bo=np.zeros(1))
    return C, M


def c_forward(C, E, noise, sigma, d=None, X=None):
    """Run controller C over an episode batch.

    E (T, n, 3) events; noise (T, n) standard normals; a_t = clip(mu_t + sigma * noise_t, 0, 1).
    With d (T, n) given, C acts in the environment: pain p_t = (a_t - d_t)^2 is computed and fed
    back as the next step's input.  With X (T, n, 5) given instead, the recorded inputs (including
    the recorded pains) are replayed; the pain input is an external signal either way, so the
    gradient never flows through it.
    Returns cache: X (T, n, 5), H (T+1, n, Hc), mu (T, n), a (T, n), p (T, n) or None.
    """
    T, n = noise.shape
    Wx, Wh = C["Wx"], C["Wh"]
    Hc = Wh.shape[0]
    if X is None:
        X = np.empty((T, n, N_IN))
        X[..., :3] = E
        X[..., 3] = 1.0
        X[0, :, 4] = 0.0
    H = np.zeros((T + 1, n, Hc))
    mu = np.empty((T, n))
    a = np.empty((T, n))
    # (T, n, Hc) input drive except the pain channel, X[..., :4] @ Wx[:4]: with one-hot events and
    # the bias 1 it is the event's row plus the bias row (one rounding, as the 4-term product has).
    pre = (X[..., :3].reshape(T * n, 3) @ Wx[:3]).reshape(T, n, Hc)
    pre += Wx[3]
    # The step loop works in doubled units, exact in binary floating point: 2 mu_t (from
    # sigmoid(z) = 0.5 + 0.5 tanh(z / 2)), 2 a_t, and the fed-back pain as 4 p_t with w_pain / 4;
    # the buffers are halved (quartered) after the loop.  Every call writes into its own buffer.
    acting = d is not None
    wo_h, bo_h = 0.5 * C["wo"], np.full(n, 0.5 * C["bo"][0])
    shift2 = 2.0 * (sigma * noise)                  # (T, n) 2 x exploration
    if acting:                                      # step t reads pain4[t] (0 at t = 0), writes pain4[t+1]
        pain4 = np.zeros((T + 1, n))
        pain_in, pain_out, w_pain, d2 = pain4[:-1, :, None], pain4[1:], 0.25 * Wx[4], 2.0 * d
    else:                                           # replay the recorded pains
        pain_in, pain_out, w_pain, d2 = X[..., 4:5], np.empty((T, n)), Wx[4], np.zeros((T, n))
    one, zero, two, z, r, o, o2, th, q, q2, e = _c_scratch(n, Hc)
    Hs = list(H)
    for h0, h, pre_t, p_in, m, at, s_t, d_t, p_out in zip(Hs, Hs[1:], pre, pain_in, mu, a, shift2, d2, pain_out):
        np.multiply(p_in, w_pain, z)                # H[t+1] = tanh(pre_t + pain_t w_pain + H[t] Wh)
        z += pre_t
        np.dot(h0, Wh, r)
        z += r
        np.tanh(z, h)
        np.dot(h, wo_h, o)                          # mu_t = sigmoid(H[t+1] . wo + bo)
        np.add(o, bo_h, o2)
        np.tanh(o2, th)
        np.add(th, one, m)                          # 2 mu_t
        np.add(m, s_t, q)                           # a_t = clip(mu_t + sigma noise_t, 0, 1)
        np.maximum(q, zero, out=q2)
        np.minimum(q2, two, out=at)                 # 2 a_t
        np.subtract(at, d_t, e)                     # pain p_t = (a_t - d_t)^2, the next step's input
        np.square(e, p_out)                         # 4 p_t
    mu *= 0.5
    a *= 0.5
    p = None
    if acting:
        p = pain_out * 0.25
        X[1:, :, 4] = p[:-1]
    return dict(X=X, H=H, mu=mu, a=a, p=p)


@functools.lru_cache(maxsize=4)
def _c_scratch(n, Hc):
    """c_forward's constants and per-step scratch buffers for batch n (reused: nothing in them outlives a call)."""
    return (np.ones(n), np.zeros(n), np.full(n, 2.0), np.empty((n, Hc)), np.empty((n, Hc)),
            *(np.empty(n) for _ in range(6)))


def _outer_sum(A, B):
    """sum_t A[t].T @ B[t] for A (T, n, i), B (T, n, h) -> (i, h)."""
    return A.reshape(-1, A.shape[-1]).T @ B.reshape(-1, B.shape[-1])


def rnn_bptt(P, H, dz):
    """BPTT through one tanh RNN with a scalar readout z_t = H[t+1] . wo + bo (C and M share this shape).

    H (T+1, n, h) its states, dz (T, n) = dL/dz_t.  Returns dpre (T, n, h) = dL/d(pre-activation of
    step t).  k independent loss signals through the same states may come stacked, dz (T, k n):
    one pass then returns all k, dpre (T, k n, h), block j of the batch axis for signal j.
    """
    T, n, h = H.shape[0] - 1, H.shape[1], H.shape[2]
    k = dz.shape[1] // n
    dpre = dz[..., None] * P["wo"]                   # (T, k n, h) each step's own readout term
    slope = np.square(H[1:])
    np.subtract(1.0, slope, out=slope)               # (T, n, h) tanh' = 1 - H^2
    carry = np.zeros((k * n, h))                     # dL/dH[t+1] arriving from step t+1
    WhT = P["Wh"].T
    if k > 1 and dpre.size > 8192:                   # large: the slope broadcast over the k blocks (a
        dpre_k, carry_k = dpre.reshape(T, k, n, h), carry.reshape(k, n, h)   # tiled copy would cost page
        for dp_k, dp, slope_t in zip(dpre_k[::-1], dpre[::-1], slope[::-1]):  # faults every update)
            dp_k += carry_k
            dp_k *= slope_t
            np.dot(dp, WhT, carry)
        return dpre
    if k > 1:                                        # small: tiled, every loop operand the same 2-D shape
        slope = np.concatenate([slope] * k, axis=1)
    for dp, slope_t in zip(dpre[::-1], slope[::-1]):
        dp += carry
        dp *= slope_t
        np.dot(dp, WhT, carry)
    return dpre


def rnn_grads(inputs, H, dz, dpre, g):
    """Weight gradients from one BPTT pass, each a single matmul over all steps, written into g's arrays."""
    h = H.shape[-1]
    D = dpre.reshape(-1, h)                          # (T n, h) every step's deltas stacked
    g["bo"][0] = dz.sum()
    g["wo"][:] = _outer_sum(H[1:], dz[..., None])[:, 0]
    np.dot(inputs.reshape(-1, inputs.shape[-1]).T, D, g["Wx"])
    np.dot(H[:-1].reshape(-1, h).T, D, g["Wh"])
    return g


def rnn_backward(P, inputs, H, dz):
    """BPTT through one tanh RNN: inputs (T, n, i), H (T+1, n, h), dz (T, n) = dL/dz_t.

    Returns (grads with P's shapes, dpre (T, n, h) = dL/d(pre-activation of step t)).
    """
    dpre = rnn_bptt(P, H, dz)
    return rnn_grads(inputs, H, dz, dpre, {k: np.empty_like(v) for k, v in P.items()}), dpre


def c_backward(C, cache, dmu, g=None):
    """BPTT through C.  dmu (T, n) = dL/dmu_t  ->  grads with C's shapes (into g's arrays if given)."""
    mu = cache["mu"]
    dz = dmu * mu * (1.0 - mu)                       # through the sigmoid
    dpre = rnn_bptt(C, cache["H"], dz)
    return rnn_grads(cache["X"], cache["H"], dz, dpre, g if g is not None else
                     {k: np.empty_like(v) for k, v in C.items()})


def m_forward(M, X, a):
    """World model M over an episode batch: input v_t = [C's input x_t, action a_t] (T, n, 6).

    Returns cache: V (T, n, 6), G (T+1, n, Hm), ph (T, n) predicted pain (linear output).
    """
    V = np.concatenate([X, a[..., None]], axis=2)
    T, n = a.shape
    Wh = M["Wh"]
    G = np.zeros((T + 1, n, Wh.shape[0]))
    pre = V @ M["Wx"]                                # (T, n, Hm)
    r = np.empty_like(G[0])
    Gs = list(G)
    for g0, g1, pre_t in zip(Gs, Gs[1:], pre):
        np.dot(g0, Wh, r)
        r += pre_t
        np.tanh(r, g1)
    ph = G[1:] @ M["wo"] + M["bo"][0]
    return dict(V=V, G=G, ph=ph)


def m_backward(M, cache, dph):
    """BPTT through M.  dph (T, n) = dL/dph_t  ->  (grads with M's shapes, da (T, n) = dL/da_t).

    da_t collects every later prediction's dependence on a_t through M's recurrence.
    """
    g, dpre = rnn_backward(M, cache["V"], cache["G"], dph)                  # linear readout
    da = dpre @ M["Wx"][-1]                          # (T, n): action column of M's input weights
    return g, da


# ----------------------------------------------------------------------------- losses (gradient-check hooks)

def m_loss_and_grads(M, X, a, p, cache=None):
    """M's loss: mean squared error of its pain prediction on recorded experience (X, a, p)."""
    cache = m_forward(M, X, a) if cache is None else cache
    err = cache["ph"] - p
    loss = float(np.mean(err ** 2))
    g, _ = m_backward(M, cache, 2.0 * err / err.size)
    return loss, g


def c_loss_and_grads(C, M, E, noise, sigma, X, cc=None, mc=None):
    """C's loss: mean pain predicted by M along C's replayed episode (recorded inputs X).

    Gradient: full BPTT from every prediction back through M's recurrence to each action, then
    (noise held fixed, d a_t / d mu_t = 1) through C's recurrence.  Also returns M's gradient of
    the same loss (unused in training; it lets the gradient check cover the path through M).
    cc / mc: forward caches of this very episode, when the caller already has them.
    """
    cc = c_forward(C, E, noise, sigma, X=X) if cc is None else cc
    mc = m_forward(M, X, cc["a"]) if mc is None else mc
    loss = float(np.mean(mc["ph"]))
    gM, da = m_backward(M, mc, np.full(mc["ph"].shape, 1.0 / mc["ph"].size))
    gC = c_backward(C, cc, da)
    return loss, gC, gM, da


# ----------------------------------------------------------------------------- training

class _Net:
    """One net's parameters and gradient, each a dict of views into one flat buffer (one optimizer step per net)."""

    def __init__(self, P, cfg, lr):
        self.flat = np.concatenate([v.ravel() for v in P.values()])
        self.gflat = np.zeros_like(self.flat)
        self.P, self.g, self.segs, i = {}, {}, [], 0
        for k, v in P.items():
            self.P[k] = self.flat[i:i + v.size].reshape(v.shape)
            self.g[k] = self.gflat[i:i + v.size].reshape(v.shape)
            self.segs.append(slice(i, i + v.size))
            i += v.size
        self.lr, self.clip = lr, cfg.clip
        self.opt = Adam(dict(w=self.flat), lr=lr) if cfg.optimizer == "adam" else None

    def update(self):
        """Global-norm clip (per-array sums, as clip_global_norm) then one SGD or Adam step on the flat buffer."""
        g = self.gflat
        if self.clip > 0:
            sq = g * g
            norm = float(np.sqrt(sum(float(np.add.reduce(sq[s])) for s in self.segs)))
            if norm > self.clip:
                g *= self.clip / norm
        if self.opt is not None:
            self.opt.step(dict(w=self.flat), dict(w=g))
        else:
            self.flat -= self.lr * g


def fixed_test_set(cfg, seed):
    """The test episodes of `evaluate` (eval stream of `seed`): ev, E, d."""
    return sample_episodes(rng_streams(seed, STREAMS)["eval"], cfg.n_test,
                           cfg.test_len, cfg)


def train(cfg, seed, callback=None, record=True):
    """Train M and C; returns dict(C, M, history).  callback(step, state) after every update.

    record=False skips the learning curves (test evaluations every hist_every updates), which only
    the pictures read; training itself is the same.
    """
    rngs = rng_streams(seed, STREAMS)
    C0, M0 = init_params(rngs["init"], cfg)
    netC, netM = _Net(C0, cfg, cfg.lr_c), _Net(M0, cfg, cfg.lr_m)
    C, M = netC.P, netM.P
    test = fixed_test_set(cfg, seed)
    hist = dict(step=[], phase=[], m_loss=[], pain=[], c_loss=[], test_acc=[], test_solved=[])
    if cfg.regime == "sequential":
        schedule = [("M", i) for i in range(cfg.m_steps)] + [("C", i) for i in range(cfg.c_steps)]
    else:
        schedule = [("MC", i) for i in range(cfg.m_steps + cfg.c_steps)]
    n = cfg.batch
    dz_c = np.full((cfg.train_len, n), 1.0 / (cfg.train_len * n))     # d(mean predicted pain)/d ph_t
    for step, (phase, i) in enumerate(schedule):
        _, E, d = sample_episodes(rngs["data"], n, cfg.train_len, cfg)
        noise = rngs["explore"].standard_normal(d.shape)
        roll = c_forward(C, E, noise, cfg.sigma_m if phase == "M" else cfg.sigma, d=d)
        mc = m_forward(M, roll["X"], roll["a"])
        learn_c = phase in ("C", "MC")
        learn_m = phase in ("M", "MC") or (cfg.m_refresh > 0 and (i + 1) % cfg.m_refresh == 0)
        if learn_m:     # M's loss: squared error of its pain prediction on this batch
            err = mc["ph"] - roll["p"]
            dz_m = 2.0 * err / err.size
        # One BPTT pass through M (its weights as they were before this batch) carries both losses'
        # signals side by side along the batch axis: C's loss (predicted pain) and M's own error.
        if learn_c and learn_m:
            dpre = rnn_bptt(M, mc["G"], np.concatenate([dz_c, dz_m], axis=1))
            dpre_c, dpre_m = dpre[:, :n], dpre[:, n:]
        elif learn_c:
            dpre_c = rnn_bptt(M, mc["G"], dz_c)
        else:
            dpre_m = rnn_bptt(M, mc["G"], dz_m)
        if learn_c:     # C's gradient: full BPTT from every prediction through M, then through C
            da = dpre_c @ M["Wx"][-1]                 # (T, n) dL/da_t: action column of M's input weights
            c_backward(C, roll, da, g=netC.g)
            netC.update()
        if learn_m:
            rnn_grads(mc["V"], mc["G"], dz_m, dpre_m, netM.g)
            netM.update()
        last = step == len(schedule) - 1
        keep = record and (step % cfg.hist_every == 0 or last)
        log = step % cfg.log_every == 0 or last
        if keep or log:    # the losses (as before this update) and the test metrics, for curves and log
            m_loss = float(np.mean(err ** 2)) if learn_m else float("nan")
            c_loss = float(np.mean(mc["ph"])) if learn_c else float("nan")
            ev = evaluate(cfg, C, M, test)
        if keep:
            for k, v in (("step", step), ("phase", phase), ("m_loss", m_loss), ("pain", float(roll["p"].mean())),
                         ("c_loss", c_loss), ("test_acc", ev["test_acc"]), ("test_solved", ev["test_solved"])):
                hist[k].append(v)
        if log:
            progress((f"step {step:5d} [{phase}] M loss {m_loss:.4f}  C pred pain {c_loss:.4f}  "
                      f"actual pain {roll['p'].mean():.4f}  test acc {ev['test_acc']:.3f}  "
                      f"solved {ev['test_solved']}/{cfg.n_test}").replace("nan", "-"))
        if callback is not None:
            callback(step, dict(C=C, M=M, hist=hist, phase=phase))
    return dict(C=C, M=M, history=hist)


def evaluate(cfg, C, M, test):
    """Noise-free controller on the fixed test episodes -> metrics."""
    _, E, d = test
    roll = c_forward(C, E, np.zeros(d.shape), 0.0, d=d)
    mc = m_forward(M, roll["X"], roll["a"])
    err = np.abs(roll["a"] - d)
    solved_eps = np.all(err < cfg.tol, axis=0)
    return dict(
        test_solved=int(solved_eps.sum()),
        test_acc=float(np.mean(err < 0.5)),
        test_max_err=float(err.max()),
        test_pain=float(roll["p"].mean()),
        m_test_mse=float(np.mean((mc["ph"] - roll["p"]) ** 2)),
    )


def run(cfg, seed) -> dict:
    out = train(cfg, seed, record=False)
    metrics = evaluate(cfg, out["C"], out["M"], fixed_test_set(cfg, seed))
    metrics["solved"] = int(metrics["test_solved"] == cfg.n_test)
    return metrics


def gradcheck(cfg, seed) -> dict:
    """Central differences vs the hand-written BPTT, float64, short episodes and small nets."""
    small = Config(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__},
                      "hidden_c": 4, "hidden_m": 5, "batch": 3, "train_len": 7})
    rngs = rng_streams(seed, STREAMS)
    C, M = init_params(rngs["init"], small)
    for P in (C, M):  # nonzero output biases and stronger recurrence so every path carries signal
        P["bo"][0] = 0.1
        P["Wh"] *= 1.5
    _, E, d = sample_episodes(rngs["data"], small.batch, small.train_len, small)
    noise = 0.1 * rngs["explore"].standard_normal(d.shape)   # small enough that no action is clipped
    sigma = 1.0
    roll = c_forward(C, E, noise, sigma, d=d)
    assert np.all((roll["a"] > 0) & (roll["a"] < 1)), "gradcheck episode clips an action"
    X, a, p = roll["X"], roll["a"], roll["p"]
    errors = {}
    chk = rng_streams(seed, STREAMS)["probe"]
    _, gM = m_loss_and_grads(M, X, a, p)
    for k, e in numeric_gradcheck(lambda: m_loss_and_grads(M, X, a, p)[0], M, gM, chk).items():
        errors[f"M_bptt.{k}"] = e
    _, gC, gM2, da = c_loss_and_grads(C, M, E, noise, sigma, X)
    for k, e in numeric_gradcheck(lambda: c_loss_and_grads(C, M, E, noise, sigma, X)[0], C, gC, chk).items():
        errors[f"C_through_M.{k}"] = e
    for k, e in numeric_gradcheck(lambda: c_loss_and_grads(C, M, E, noise, sigma, X)[0], M, gM2, chk).items():
        errors[f"predpain_wrt_M.{k}"] = e
    # dL/da_t for every action: its own prediction plus every later one, reached through M's recurrence
    acts = {"a": a.copy()}
    loss_a = lambda: float(np.mean(m_forward(M, X, acts["a"])["ph"]))  # noqa: E731
    errors["action_grad_through_M"] = numeric_gradcheck(loss_a, acts, {"a": da}, chk)["a"]
    return errors


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run, gradcheck=gradcheck)


# ----------------------------------------------------------------------------- pasted snippets
# Shared plumbing, pasted verbatim from snippets/ (python3 -m catalog.snippets); the paper's
# algorithm is everything above.

# >>> snippet: adam (canonical: snippets/adam.py; edit there, then run python3 -m catalog.snippets)
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
