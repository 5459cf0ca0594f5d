"""Fast-weight memories on an unknown-delay flip-flop (Schmidhuber 1992).

Schmidhuber, "Learning to control fast-weight memories: an alternative to dynamic recurrent
networks", Neural Computation 4(1):131-139 (1992), section 3.1 (the experiment with unknown delays).

Claim: two feed-forward nets without hidden units learn, on-line and without any reset, to switch
F's single output on the first time an event B follows an event A in an endless random stream of
A, B, C. S (3 -> 3) writes F's three fast weights (F: 3 -> 1) through a logistic of steepness T;
F's output remembers "an A came and no B yet" in one fast weight. The paper: solved (100 steps in a
row with error <= 0.05) within 300 time steps with one S output per fast weight (T = 10, eta = 1),
within 800 with the FROM/TO interface. Each run here holds `--trials` independent trials (own S
initialisation, own event stream) computed in lock-step as one NumPy computation.

Run:  python3 fast_weights_unknown_delay.py --seed 0                    (direct rule, 100 trials)
      python3 fast_weights_unknown_delay.py --seed 0 --learner fromto   (FROM/TO rule)
      python3 fast_weights_unknown_delay.py --seed 0 --learner rtrl --max-steps 20000
      python3 fast_weights_unknown_delay.py --seed 0 --task pattern --lr 0.01  (beyond: 4-bit pattern, 10x delay)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import numpy as np

SLUG = "fast-weights-unknown-delay"
META = dict(
    title="a feed-forward net learns on-line to write the fast weights that latch 'B after A'",
    paper="Schmidhuber 1992, Learning to control fast-weight memories (Neural Computation 4(1))",
    year=1992,
    claim=("With the paper's T = 10 and eta = 1 and a logistic centred at 0.5 (our reading of eq. 7), the typical "
           "trial of 1,000 solves the on-line B-after-A task in 275 time steps with one S output per fast weight "
           "(paper: within 300) and in 731 with FROM/TO (paper: within 800); 15-25% of trials get stuck. With the "
           "uncentred logistic the same rates need ~2,400 steps (not met); RTRL needs ~2,300. Beyond the paper: "
           "a FROM/TO programmer stores a 4-bit pattern over 10x its trained delay in 97/100 trials"),
    figure=dict(args="--seeds 0-9", metric="steps_median"),
    gradcheck=True,
)
CLAIMS = [
    # the worked example: seed 0 = 100 trials of the direct rule, T = 10, eta = 1
    dict(tier="headline", args="--seed 0", metric="steps_median", claim="== 254", kind="pin",
         paper="within 300 time steps", published="— (different task)"),
    dict(tier="headline", args="--seed 0", metric="trials_solved", claim="== 85", kind="pin",
         paper="—", published="—"),
    # the headline figure: 10 runs x 100 trials
    dict(tier="headline", args="--seeds 0-9", metric="solved_seeds", claim="<= 2/10",
         paper="—", published="10/10 (a different task)"),
    dict(tier="headline", args="--seeds 0-9", metric="q1_steps_median", claim="<= 320", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="q3_steps_median", claim="<= 400", paper="—", published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="median_trials_solved", claim=">= 70", paper="—",
         published="—"),
    dict(tier="headline", args="--seeds 0-9", metric="median_within_300", claim=">= 40", paper="—",
         published="—"),
    # the paper's rows: the typical trial solves within 300 (direct) / 800 (FROM/TO) time steps
    dict(tier="headline", args="--seeds 0-9", metric="median_steps_median", claim="<= 300", kind="paper",
         paper="solved within 300 time steps (direct, T = 10, eta = 1)", published="—"),
    dict(tier="headline", args="--seeds 0-9 --learner fromto", metric="median_steps_median", claim="<= 800",
         kind="paper", paper="solved within 800 time steps (FROM/TO)", published="—"),
    dict(tier="headline", args="--seeds 0-9 --learner fromto", metric="median_trials_solved", claim=">= 88",
         paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --offset 0", metric="steps_median", claim="<= 300", kind="paper",
         paper="solved within 300 time steps (direct, T = 10, eta = 1)", published="—"),
    dict(tier="headline", args="--seed 0 --offset 0 --learner fromto", metric="steps_median", claim="<= 800",
         kind="paper", paper="solved within 800 time steps (FROM/TO)", published="—"),
    # the contrast: a 3-unit fully recurrent net trained by RTRL on the same streams
    dict(tier="headline", args="--seed 0 --learner rtrl --max-steps 20000", metric="trials_solved", claim=">= 95",
         paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --learner rtrl --max-steps 20000", metric="steps_median",
         claim=">= 1500", paper="—", published="—"),
    # seeds tier: the readings of the unconfirmed settings, and the sweeps behind the README's prose
    dict(tier="seeds", args="--seeds 0-9 --offset 0", metric="median_steps_median", claim=">= 1500",
         paper="300", published="—"),
    dict(tier="seeds", args="--seeds 0-9 --offset 0 --learner fromto", metric="median_trials_solved",
         claim="<= 5", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9 --learner rtrl --max-steps 20000", metric="median_steps_median",
         claim=">= 1500", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9 --learner rtrl --max-steps 20000", metric="min_trials_solved",
         claim=">= 95", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --learner fromto --T 5", metric="steps_median", claim="<= 300",
         paper="800", published="—"),
    dict(tier="seeds", args="--seed 0 --learner fromto --lr 0.3", metric="steps_median", claim=">= 1500",
         paper="800", published="—"),
    dict(tier="seeds", args="--seed 0 --learner fromto --lr 3", metric="steps_median", claim="<= 500",
         paper="800", published="—"),
    dict(tier="seeds", args="--seed 0 --learner fromto --T 5 --lr 0.3", metric="steps_median", claim="<= 500",
         paper="800", published="—"),
    dict(tier="seeds", args="--seed 0 --learner fromto --T 20", metric="trials_solved", claim="<= 5",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --offset 0 --T 5", metric="steps_median", claim="<= 300",
         paper="300", published="—"),
    dict(tier="seeds", args="--seed 0 --err abs", metric="steps_median", claim="<= 300", paper="300",
         published="—"),
    dict(tier="seeds", args="--seed 0 --learner fromto --err abs", metric="steps_median", claim="<= 800",
         paper="800", published="—"),
    dict(tier="seeds", args="--seed 0 --max-steps 30000", metric="trials_solved", claim="<= 98",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --learner rtrl --lr 3 --max-steps 20000", metric="steps_median",
         claim="<= 1500", paper="—", published="—"),
    # beyond the paper: the published catalog's 4-bit store/recall task, FROM/TO programmer, plain GD
    dict(tier="seeds", args="--seed 0 --task pattern --lr 0.01", metric="perfect_train", claim=">= 95",
         paper="—", published="100% bit accuracy at K = 5-30 (Adam, gated key/value programmer)"),
    dict(tier="seeds", args="--seed 0 --task pattern --lr 0.01", metric="trials_solved", claim=">= 90",
         paper="—", published="100% bit accuracy at K = 1-60"),
    dict(tier="seeds", args="--seed 0 --task pattern --lr 0.01", metric="bit_acc_test", claim=">= 0.98",
         paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --task pattern --lr 0.05 --updates 200", metric="bit_acc_train",
         claim="<= 0.6", paper="—", published="—"),
    # the two paper rows over 100 runs of 100 lock-step trials (10,000 trials each)
    dict(tier="long", args="--seeds 0-99", metric="median_steps_median", claim="<= 300", kind="paper",
         paper="solved within 300 time steps (direct, T = 10, eta = 1)", published="—"),
    dict(tier="long", args="--seeds 0-99 --learner fromto", metric="median_steps_median", claim="<= 800",
         kind="paper", paper="solved within 800 time steps (FROM/TO)", published="—"),
]


@dataclass(frozen=True)
class Config:
    learner: str = field(default="direct", metadata={"choices": ("direct", "fromto", "rtrl")})  # direct: one S output per fast weight (paper eq. 4); fromto: S's FROM x TO outputs (eq. 5); rtrl: the contrast, a fully recurrent net trained by RTRL
    T: float = 10.0  # steepness of the logistic that bounds each fast weight, w <- 1/(1+exp(-T (w + s - offset)))
    offset: float = 0.5  # centre of that logistic: 0.5 makes s = 0 a hold (our reading of eq. 7); 0: logistic(T (w + s))
    lr: float = 1.0  # learning rate eta of S (plain on-line gradient descent, one step per time step)
    init: float = 0.1  # S's (and the RTRL net's) weights drawn from U(-init, init)
    units: int = 3  # rtrl only: fully recurrent logistic units (unit 0 is the output)
    crit: float = 0.05  # a time step is correct when its error is <= crit
    err: str = field(default="half_sq", metadata={"choices": ("half_sq", "abs")})  # the error a step is judged by: half_sq = (d - y)^2 / 2 (the paper's E), abs = |d - y|
    window: int = 100  # solved after this many consecutive correct time steps
    trials: int = 100  # independent trials run in lock-step (own S weights, own event stream)
    max_steps: int = 5000  # time steps per trial before it counts as unsolved
    log_every: int = 0  # progress line every this many time steps (0: none)
    task: str = field(default="stream", metadata={"choices": ("stream", "pattern")})  # stream: the paper's B-after-A stream; pattern: the published catalog's 4-bit store/recall task (beyond the paper)
    dmin: int = 5  # pattern: shortest trained delay K (distractor steps between store and recall)
    dmax: int = 30  # pattern: longest trained delay K
    test_delay: int = 300  # pattern: the delay of the extrapolation test (10 x dmax)
    batch: int = 16  # pattern: episodes per plain gradient-descent update (per trial)
    updates: int = 1000  # pattern: gradient-descent updates
    n_test: int = 100  # pattern: fresh test episodes per trial and delay

    def __post_init__(self):
        for name in ("units", "window", "trials", "max_steps", "dmin", "test_delay", "batch", "updates", "n_test"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.T <= 0 or self.lr <= 0 or self.init < 0 or self.crit <= 0 or self.log_every < 0:
            raise ValueError("T, lr and crit must be positive, init and log_every >= 0")
        if self.dmax < self.dmin:
            raise ValueError("dmax must be >= dmin")


SMOKE = dict(trials=8, max_steps=400, updates=30, n_test=10, test_delay=60)
STREAMS = ("init", "data", "probe", "eval")  # S's initial weights, the event streams / training episodes, the gradient check's probes, the pattern task's test episodes


# ----------------------------------------------------------------------------- the task
# Events: 0 = A, 1 = B, 2 = C, one chosen uniformly at random per time step and presented as a
# one-hot vector to both nets.  Target d(t) = 1 iff the event at t is a B and an A came after the
# last B (F's output must switch on the first time B follows A, and only then); 0 otherwise.

N_EV = 3


def event_stream(rng, steps, trials):
    """ev (steps, trials) int in {0, 1, 2}, d (steps, trials) float targets (one stream per trial)."""
    ev = rng.integers(0, N_EV, size=(steps, trials))
    d = np.zeros((steps, trials))
    armed = np.zeros(trials, dtype=bool)
    for t in range(steps):
        b = ev[t] == 1
        d[t] = b & armed
        armed = (armed | (ev[t] == 0)) & ~b
    return ev, d


# ----------------------------------------------------------------------------- the learners
# Every learner is a small state machine over the leading trials axis R, stepping once per event:
#   y = out(state, e)          F's (or the RTRL net's) output on event e (R,)
#   grad = online grad of (d - y)^2 / 2 w.r.t. the slow weights (forward-propagated sensitivities)
#   state = advance(state, e)  fast weights (or activations) and sensitivities to the next step
# The on-line gradient is RTRL through the fast-weight recurrence: P holds d w(t) / d theta with
# theta treated as constant over the past, exactly as the paper's on-line method.

def _logistic(u):
    return 0.5 + 0.5 * np.tanh(0.5 * u)


class FastWeights:
    """S (feed-forward, no hidden units, identity outputs) writing F's 3 fast weights (F: 3 -> 1).

    direct: S has 3 outputs, s_a = V[a, e] (V (R, 3, 3), row a drives fast weight a).
    fromto: S has 3 FROM outputs f_a = V[a, e] and one TO output g = U[e] (U (R, 3)); s_a = f_a g.
    Fast weights w (R, 3): w_a(t+1) = logistic(T (w_a(t) + s_a(t) - offset)).  F's output y(t) = w(t) . x(t)
    = w_e(t) (identity output).  Sensitivities PV[a, e'] = d w_a / d V[a, e'] (R, 3, 3) (w_a depends
    on no other row of V) and, for fromto, PU[a, e'] = d w_a / d U[e'] (R, 3, 3).
    """

    def __init__(self, cfg, rng, R):
        self.cfg, self.R = cfg, R
        self.fromto = cfg.learner == "fromto"
        self.theta = dict(V=rng.uniform(-cfg.init, cfg.init, size=(R, N_EV, N_EV)))
        if self.fromto:
            self.theta["U"] = rng.uniform(-cfg.init, cfg.init, size=(R, N_EV))
        self.w = np.zeros((R, N_EV))                  # fast weights, never reset after t = 0
        self.P = {k: np.zeros((R, N_EV, N_EV)) for k in self.theta}
        self.r = np.arange(R)

    def out(self, e):
        return self.w[self.r, e]                      # (R,) y = w_e

    def grad(self, e, err):
        """d[(d - y)^2 / 2] / d theta given err = d - y (R,): only the current event's fast weight is read."""
        g = {k: np.zeros_like(v) for k, v in self.theta.items()}
        g["V"][self.r, e] = -err[:, None] * self.P["V"][self.r, e]            # row e of V
        if self.fromto:
            g["U"] = -err[:, None] * self.P["U"][self.r, e]                   # (R, 3)
        return g

    def advance(self, e):
        cfg, r = self.cfg, self.r
        x = np.zeros((self.R, N_EV))
        x[r, e] = 1.0                                 # one-hot event (R, 3)
        f = self.theta["V"][r, :, e]                  # (R, 3) S's outputs V[:, e]
        if self.fromto:
            g = self.theta["U"][r, e]                 # (R,) TO output
            s = f * g[:, None]
        else:
            s = f
        w_new = _logistic(cfg.T * (self.w + s - cfg.offset))
        k = (cfg.T * w_new * (1.0 - w_new))[:, :, None]   # (R, 3, 1) d w_new / d (w + s)
        if self.fromto:
            self.P["V"] = k * (self.P["V"] + g[:, None, None] * x[:, None, :])
            self.P["U"] = k * (self.P["U"] + f[:, :, None] * x[:, None, :])
        else:
            self.P["V"] = k * (self.P["V"] + x[:, None, :])
        self.w = w_new

    def snapshot(self, i=0):
        return dict(w=self.w[i].copy(), **{k: v[i].copy() for k, v in self.theta.items()})


class RTRLNet:
    """The contrast: a fully recurrent net of n logistic units (Williams & Zipser 1989) trained by RTRL.

    Input v(t) = [x(t) (3), 1 (bias), z(t-1) (n)] (m = 4 + n); z(t) = logistic(W v(t)), W (R, n, m);
    the output is unit 0: y(t) = z_0(t).  Sensitivities p[k, i, j] = d z_k / d W[i, j] (R, n, n, m).
    """

    def __init__(self, cfg, rng, R):
        n = cfg.units
        self.cfg, self.R, self.n = cfg, R, n
        self.theta = dict(W=rng.uniform(-cfg.init, cfg.init, size=(R, n, N_EV + 1 + n)))
        self.z = np.zeros((R, n))
        self.p = np.zeros((R, n, n, N_EV + 1 + n))
        self.r = np.arange(R)
        self._pending = None

    def _step(self, e):
        """New activations and sensitivities after event e (not yet committed)."""
        R, n = self.R, self.n
        v = np.zeros((R, N_EV + 1 + n))
        v[self.r, e] = 1.0
        v[:, N_EV] = 1.0
        v[:, N_EV + 1:] = self.z
        W = self.theta["W"]
        z = _logistic(np.einsum("rij,rj->ri", W, v))
        # p_new[k, i, j] = z_k' (sum_l W[k, 4 + l] p[l, i, j] + delta_ki v_j)
        q = np.einsum("rkl,rlij->rkij", W[:, :, N_EV + 1:], self.p)
        q[:, np.arange(n), np.arange(n), :] += v[:, None, :]
        p = (z * (1.0 - z))[:, :, None, None] * q
        return z, p

    def out(self, e):
        self._pending = (e, *self._step(e))
        return self._pending[1][:, 0]

    def grad(self, e, err):
        return dict(W=-err[:, None, None] * self._pending[2][:, 0])

    def advance(self, e):
        e0, z, p = self._pending
        assert e0 is e
        self.z, self.p, self._pending = z, p, None

    def snapshot(self, i=0):
        return dict(z=self.z[i].copy(), W=self.theta["W"][i].copy())


def make_learner(cfg, rng, R):
    return RTRLNet(cfg, rng, R) if cfg.learner == "rtrl" else FastWeights(cfg, rng, R)


def step_error(cfg, err):
    """The per-step error that the success criterion judges (R,)."""
    return 0.5 * err * err if cfg.err == "half_sq" else np.abs(err)


# ----------------------------------------------------------------------------- training

def train(cfg, seed, callback=None):
    """On-line training of cfg.trials learners in lock-step on their own endless event streams.

    Every time step: F's output y(t) on the event, the error d - y, the on-line gradient from the
    sensitivities; S's outputs on the same event then write the next fast weights (and the
    sensitivities advance); then every slow weight takes one plain gradient step, lr * grad.
    Nothing is reset.  A trial is solved at the time step (counted from 1) that completes cfg.window
    consecutive correct steps; training runs until every trial is solved or cfg.max_steps.
    callback(t, state) after every time step.  Returns dict(solved_at (R,), history, learner).
    """
    rngs = rng_streams(seed, STREAMS)
    R = cfg.trials
    net = make_learner(cfg, rngs["init"], R)
    ev, d = event_stream(rngs["data"], cfg.max_steps, R)
    run = np.zeros(R, dtype=int)
    solved_at = np.full(R, np.nan)
    hist = dict(y=np.empty((cfg.max_steps, R)), e=np.empty((cfg.max_steps, R)),
                w0=np.empty((cfg.max_steps, N_EV if cfg.learner != "rtrl" else cfg.units)))
    last = cfg.max_steps
    for t in range(cfg.max_steps):
        e = ev[t]
        y = net.out(e)
        err = d[t] - y
        g = net.grad(e, err)
        net.advance(e)
        for k, v in net.theta.items():
            v -= cfg.lr * g[k]
        e_t = step_error(cfg, err)
        hist["y"][t], hist["e"][t] = y, e_t
        hist["w0"][t] = net.w[0] if cfg.learner != "rtrl" else net.z[0]   # trial 0's memory after step t
        run = np.where(e_t <= cfg.crit, run + 1, 0)
        new = (run >= cfg.window) & np.isnan(solved_at)
        solved_at[new] = t + 1
        if callback is not None:
            callback(t, dict(net=net, y=y, d=d[t], ev=e, solved_at=solved_at))
        if cfg.log_every and (t + 1) % cfg.log_every == 0:
            progress(f"step {t + 1}: {int(np.sum(~np.isnan(solved_at)))}/{R} trials solved")
        if not np.isnan(solved_at).any():
            last = t + 1
            break
    hist = {k: v[:last] for k, v in hist.items()}
    return dict(solved_at=solved_at, ev=ev[:last], d=d[:last], history=hist, learner=net)


def _quantile(x, q):
    """Quantile with unsolved trials (NaN) counted as slower than every solved one; NaN if it lands on one."""
    v = np.quantile(np.where(np.isnan(x), np.inf, x), q, method="lower")
    return float(v) if np.isfinite(v) else float("nan")


def evaluate(cfg, result):
    s = result["solved_at"]
    ok = ~np.isnan(s)
    return dict(trials=int(s.size), trials_solved=int(ok.sum()),
                within_300=int(np.sum(s <= 300)), within_800=int(np.sum(s <= 800)),
                steps_min=_quantile(s, 0.0), steps_q1=_quantile(s, 0.25), steps_median=_quantile(s, 0.5),
                steps_q3=_quantile(s, 0.75), steps_max=_quantile(s, 1.0),
                steps_mean=float(np.mean(s)))          # NaN when any trial failed


PATTERN_ONLY = ("bit_acc_train", "perfect_train", "bit_acc_test", "perfect_test", "final_loss")
STREAM_ONLY = ("within_300", "within_800", "steps_min", "steps_q1", "steps_median", "steps_q3", "steps_max",
               "steps_mean")


def run(cfg, seed) -> dict:
    """Train then evaluate; the other task's metrics are NaN (not measured), so every run has every key."""
    if cfg.task == "pattern":
        metrics = evaluate_pattern(cfg, seed, train_pattern(cfg, seed))
        metrics.update({k: float("nan") for k in STREAM_ONLY})
    else:
        metrics = evaluate(cfg, train(cfg, seed))
        metrics.update({k: float("nan") for k in PATTERN_ONLY})
    metrics["solved"] = int(metrics["trials_solved"] == metrics["trials"])
    return metrics


# ----------------------------------------------------------------------------- beyond the paper: the pattern task
# The published catalog's task, run with this paper's FROM/TO interface: store a 4-bit pattern, hold
# it through K random distractor patterns, recall it.  Episodic (the fast weights start at 0 in each
# episode), trained off-line per batch of episodes with the exact gradient, plain gradient descent.
N_BITS = 4
N_IN = N_BITS + 2            # pattern bits, store flag, recall flag


def pattern_episodes(rng, trials, batch, delays):
    """X (R, B, L, 6) inputs, mask (R, B, L) steps that exist, P (R, B, 4) stored patterns, rec (R, B) recall step.

    Step 0: the pattern with the store flag; steps 1..K: random +-1 distractors, flags off;
    step K+1: zeros with the recall flag.  delays (R, B) int K."""
    L = int(delays.max()) + 2
    X = rng.choice([-1.0, 1.0], size=(trials, batch, L, N_IN))
    X[..., N_BITS:] = 0.0
    P = X[:, :, 0, :N_BITS].copy()
    X[:, :, 0, N_BITS] = 1.0
    t = np.arange(L)
    rec = delays + 1
    X[t[None, None, :] == rec[..., None]] = 0.0
    onrec = (t[None, None, :] == rec[..., None])
    X[..., N_BITS + 1] = onrec
    X[t[None, None, :] > rec[..., None]] = 0.0
    mask = (t[None, None, :] < rec[..., None]).astype(float)     # steps that write (0 .. K)
    return X, mask, P, rec


def pattern_forward(theta, X, mask, rec):
    """FROM/TO programmer S (linear, with bias) writing F's 4 x 6 fast weights additively.

    FROM(t) = A [x(t); 1] (6), TO(t) = Bm [x(t); 1] (4); W(t+1) = W(t) + TO(t) FROM(t)^T, W(0) = 0;
    F's output at the recall step: y = W(K+1) x(K+1) (identity output).  Returns y (R, B, 4), cache."""
    Xb = np.concatenate([X, np.ones(X.shape[:-1] + (1,))], axis=-1)           # (R, B, L, 7)
    R, B, L, _ = Xb.shape
    Xf = Xb.reshape(R, B * L, 7)
    FR = (Xf @ theta["A"].transpose(0, 2, 1)).reshape(R, B, L, 6) * mask[..., None]
    TO = (Xf @ theta["Bm"].transpose(0, 2, 1)).reshape(R, B, L, 4)
    W = TO.transpose(0, 1, 3, 2) @ FR                                           # (R, B, 4, 6) sum of writes
    xr = np.take_along_axis(X, rec[..., None, None], axis=2)[:, :, 0]          # (R, B, 6) recall input
    y = np.einsum("rbij,rbj->rbi", W, xr)
    return y, dict(Xb=Xb, FR=FR, TO=TO, xr=xr, mask=mask)


def pattern_grad(theta, cache, dy):
    """Exact gradient of a loss with dL/dy = dy (R, B, 4) through the additive writes."""
    G = np.einsum("rbi,rbj->rbij", dy, cache["xr"])                            # dL/dW (R, B, 4, 6)
    dTO = cache["FR"] @ G.transpose(0, 1, 3, 2)                                 # (R, B, L, 4)
    dFR = (cache["TO"] @ G) * cache["mask"][..., None]                           # (R, B, L, 6)
    R, B, L, _ = dTO.shape
    Xf = cache["Xb"].reshape(R, B * L, 7)
    return dict(A=dFR.reshape(R, B * L, 6).transpose(0, 2, 1) @ Xf,
                Bm=dTO.reshape(R, B * L, 4).transpose(0, 2, 1) @ Xf)


def train_pattern(cfg, seed, callback=None):
    """cfg.trials programmers in lock-step; each update: cfg.batch episodes with K ~ U{dmin..dmax}."""
    rngs = rng_streams(seed, STREAMS)
    R = cfg.trials
    theta = dict(A=rngs["init"].uniform(-cfg.init, cfg.init, size=(R, N_IN, N_IN + 1)),
                 Bm=rngs["init"].uniform(-cfg.init, cfg.init, size=(R, N_BITS, N_IN + 1)))
    losses = np.empty((cfg.updates, R))
    for u in range(cfg.updates):
        K = rngs["data"].integers(cfg.dmin, cfg.dmax + 1, size=(R, cfg.batch))
        X, mask, P, rec = pattern_episodes(rngs["data"], R, cfg.batch, K)
        y, cache = pattern_forward(theta, X, mask, rec)
        losses[u] = 0.5 * np.sum((y - P) ** 2, axis=-1).mean(1)
        g = pattern_grad(theta, cache, (y - P) / cfg.batch)
        for k in theta:
            theta[k] -= cfg.lr * g[k]
        if callback is not None:
            callback(u, dict(theta=theta, loss=losses[u]))
        if cfg.log_every and (u + 1) % cfg.log_every == 0:
            progress(f"update {u + 1}: mean loss {losses[u].mean():.4f}")
    return dict(theta=theta, losses=losses)


def evaluate_pattern(cfg, seed, result):
    """Bit accuracy on fresh episodes at the trained delays and at cfg.test_delay (the eval stream)."""
    rng = rng_streams(seed, STREAMS)["eval"]
    R, out = cfg.trials, {}
    for name, K in (("train", rng.integers(cfg.dmin, cfg.dmax + 1, size=(R, cfg.n_test))),
                    ("test", np.full((R, cfg.n_test), cfg.test_delay))):
        X, mask, P, rec = pattern_episodes(rng, R, cfg.n_test, K)
        y, _ = pattern_forward(result["theta"], X, mask, rec)
        ok = np.sign(y) == P                                   # (R, n_test, 4)
        out[f"bit_acc_{name}"] = float(ok.mean())
        out[f"perfect_{name}"] = int(np.sum(ok.all(axis=(1, 2))))   # trials with every bit of every episode right
    out["trials"] = R
    out["trials_solved"] = out["perfect_test"]
    out["final_loss"] = float(np.median(result["losses"][-1]))
    return out

# ----------------------------------------------------------------------------- gradient check

def window_loss_and_grad(cfg, net, ev, d):
    """Run a frozen learner over a short window; returns (sum_t (d - y)^2 / 2, summed on-line grads).

    With the slow weights frozen, the on-line sensitivities make the summed gradient the exact
    gradient of the window's loss, the state at the window's start held fixed."""
    loss, total = 0.0, {k: np.zeros_like(v) for k, v in net.theta.items()}
    for e, dt in zip(ev, d):
        y = net.out(e)
        err = dt - y
        loss += float(np.sum(0.5 * err * err))
        for k, v in net.grad(e, err).items():
            total[k] += v
        net.advance(e)
    return loss, total


def gradcheck(cfg, seed) -> dict:
    """Float64 central differences of a 20-step window's loss against the on-line (forward) gradient.

    What it checks: the sensitivities carried through the fast-weight recurrence (and, for the RTRL
    contrast, through the recurrent activations) give d/d theta of sum_t (d(t) - y(t))^2 / 2 over
    the window when theta is held fixed, starting from a random state that does not depend on
    theta (random fast weights / activations, zero sensitivities).  This is exactly what the
    on-line rule uses at every step; it does not check the on-line approximation itself (the
    training updates theta inside the window).  Weights from U(-1, 1) and T = 2 keep the logistic
    away from saturation so that the check is not trivially passed by zero gradients.
    """
    rngs = rng_streams(seed, STREAMS)
    rng = rngs["probe"]
    R, L = 3, 20
    ev, d = event_stream(rng, L, R)
    errors = {}
    for learner in ("direct", "fromto", "rtrl"):
        c = Config(learner=learner, T=2.0, init=1.0, trials=R)
        proto = make_learner(c, rng, R)
        theta = {k: v.copy() for k, v in proto.theta.items()}
        if learner == "rtrl":
            state0 = dict(z=rng.uniform(0.1, 0.9, size=proto.z.shape))
        else:
            state0 = dict(w=rng.uniform(0.1, 0.9, size=proto.w.shape))

        def fresh():
            net = make_learner(c, np.random.default_rng(0), R)
            for k in theta:
                net.theta[k] = theta[k]
            for k, v in state0.items():
                setattr(net, k, v.copy())
            return net

        _, g = window_loss_and_grad(c, fresh(), ev, d)
        errs = numeric_gradcheck(lambda: window_loss_and_grad(c, fresh(), ev, d)[0], theta, g, rng,
                                 eps=1e-6, probes=12)
        for k, v in errs.items():
            errors[f"{learner}:{k}"] = v
    # the pattern task's backward pass: the exact gradient of the recall loss through the additive writes
    K = rng.integers(2, 6, size=(2, 3))
    X, mask, P, rec = pattern_episodes(rng, 2, 3, K)
    theta = dict(A=rng.uniform(-1, 1, size=(2, N_IN, N_IN + 1)), Bm=rng.uniform(-1, 1, size=(2, N_BITS, N_IN + 1)))

    def loss():
        return 0.5 * float(np.sum((pattern_forward(theta, X, mask, rec)[0] - P) ** 2))

    y, cache = pattern_forward(theta, X, mask, rec)
    for k, v in numeric_gradcheck(loss, theta, pattern_grad(theta, cache, y - P), rng).items():
        errors[f"pattern:{k}"] = v
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
