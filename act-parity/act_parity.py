"""Parity of a vector with Adaptive Computation Time (Graves 2016, section 3.1).

Graves, "Adaptive Computation Time for Recurrent Neural Networks", arXiv:1603.08983 (2016).

Claim: a tanh RNN that sees a vector once, as a single input step, but may ponder it for a
learned number of inner steps (a sigmoidal halting unit per inner step, halting when the summed
halting probabilities reach 1 - eps, the state the halting-weighted mean, a ponder cost tau * (N + R)
on the loss) learns the parity of vectors that the same RNN allowed one step cannot learn, and
ponders longer on vectors with more non-zero entries. Everything, including the halting gradient
through the remainder R, is hand-written numpy, trained by Adam on minibatches.

Run:  python3 act_parity.py --seed 0                  (headline: ACT at width 12, 5000 Adam updates)
      python3 act_parity.py --seed 0 --no-act         (the same RNN with one step per input)
      python3 act_parity.py --seed 0 --width 16 --steps 10000        (long tier: ponder follows difficulty)
      python3 act_parity.py --seed 0 --width 64 --curriculum --max-ponder 20 --tau 0.002 --steps 30000
                                                      (the paper's width; not reached here, see README)
"""
import sys
from dataclasses import dataclass, field

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "act-parity"
META = dict(
    title="parity with Adaptive Computation Time: a tanh RNN that learns how long to ponder",
    paper="Graves 2016, Adaptive Computation Time for Recurrent Neural Networks (arXiv:1603.08983)",
    year=2016,
    claim=("ACT lets a 128-unit tanh RNN learn parity that it cannot learn in one step: at width 12, 4/5 seeds reach "
           ">= 95% test accuracy in 5000 updates (median 97.3%, range 65.3-99.9%; the failing seed stays at 71.6% with twice the updates) "
           "against 55.4% without ACT; at width 16 one seed reaches 97.4%; the paper's width 64 was not reached"),
    figure=dict(args="--seeds 0-4", metric="test_acc"),
    gradcheck=True,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="test_acc", claim=">= 0.95",
         paper="< 5% error at width 64 (tau <= 0.03)", published="—"),
    dict(tier="headline", args="--seed 0 --no-act", metric="test_acc", claim="<= 0.65",
         paper="about 40% error without ACT (width 64)", published="—"),
    # issue 17: tau = 0.03 (the paper's largest tau with < 5% error) at our rate, and at a 3x lower rate for 3x the updates
    dict(tier="headline", args="--seed 0 --tau 0.03", metric="test_acc", claim="<= 0.65",
         paper="< 5% error at width 64 for tau <= 0.03", published="—"),
    dict(tier="headline", args="--seed 0 --tau 0.03 --lr 1e-3 --steps 15000", metric="test_acc", claim=">= 0.95",
         kind="paper", reduced=True,
         paper="< 5% error at width 64 for tau <= 0.03; here width 12, tau 0.03, Adam 1e-3, 15000 updates, one seed",
         published="—"),
    dict(tier="headline", args="--seed 0 --tau 0.03 --lr 1e-3 --steps 15000", metric="inner_steps", claim=">= 1.5",
         paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="solved_seeds", claim=">= 3/5",
         paper="< 5% error for tau <= 0.03 (width 64)", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="median_test_acc", claim=">= 0.95", kind="paper", reduced=True,
         paper="< 5% error at width 64 for tau <= 0.03; here width 12, 5000 updates, tau 1e-3, 5 seeds",
         published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="min_test_acc", claim=">= 0.6", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-4", metric="max_test_acc", claim=">= 0.95", paper="—", published="—"),
    dict(tier="seeds", args="--seed 0 --no-act --steps 15000", metric="test_acc", claim="< 0.95",
         paper="about 40% error without ACT (width 64)", published="—"),
    dict(tier="seeds", args="--seed 0 --tau 0.1", metric="inner_steps", claim="<= 1.05",
         paper="ponder collapses at large tau", published="—"),
    dict(tier="seeds", args="--seed 0 --tau 0.1", metric="test_err", claim=">= 0.3",
         paper="error rises at large tau", published="—"),
    dict(tier="seeds", args="--seed 0 --tau 0.01", metric="test_err", claim="<= 0.2", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --width 16 --steps 10000", metric="test_acc", claim=">= 0.95", kind="paper",
         reduced=True, paper="< 5% error at width 64 for tau <= 0.03; here width 16, 10000 updates, tau 1e-3, one seed",
         published="—"),
    dict(tier="long", args="--seed 0 --width 16 --steps 10000", metric="ponder_k_corr", claim=">= 0.5",
         paper="ponder grows with the number of non-zero entries", published="—"),
    dict(tier="long", args="--seed 0 --width 16 --steps 10000 --train-max-nonzero 8 --test-min-nonzero 9",
         metric="in_range_acc", claim=">= 0.9", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --width 16 --steps 10000 --train-max-nonzero 8 --test-min-nonzero 9",
         metric="test_acc", claim="< 0.95", paper="PonderNet (2021): ACT at chance on 96-wide, 1-48 / 49-96",
         published="—"),
    # issue 17 item 5: the paper's width 64 with a curriculum on the non-zero entries, M = 20, Adam 1e-3 -> 1e-4
    dict(tier="long", args="--seed 0 --width 64 --curriculum --max-ponder 20 --lr 1e-3 --lr-end 1e-4 --steps 300000 --eval-every 10000 --log-every 10000", metric="test_acc", claim=">= 0.95", kind="paper", reduced=True,
         paper="< 5% error at width 64 for tau <= 0.03; here tau 1e-3 with a curriculum (not the paper's), M = 20, "
         "300,000 updates of 128, one seed", published="—"),
    dict(tier="long", args="--seed 0 --width 64 --curriculum --max-ponder 20 --lr 1e-3 --lr-end 1e-4 --steps 300000 --eval-every 10000 --log-every 10000", metric="inner_steps", claim="<= 1.5", paper="—", published="—"),
]


@dataclass(frozen=True)
class Config:
    width: int = 12  # input vector size (the paper: 64)
    hidden: int = 128  # tanh units of the RNN (the paper: 128)
    act: bool = True  # ACT pondering; --no-act: exactly one inner step per input, no halting unit, no ponder cost
    tau: float = 1e-3  # time penalty: weight of the ponder cost N + R in the loss
    eps: float = 0.01  # halt at the first inner step where the summed halting probabilities reach 1 - eps
    max_ponder: int = 100  # M: the most inner steps per input step (100, as we read the paper)
    halt_bias: float = 1.0  # initial bias of the halting unit (1, as we read the paper)
    batch: int = 128  # sequences per Adam update, processed side by side
    lr: float = 3e-3  # Adam learning rate
    lr_end: float = 0.0  # if > 0, the rate decays geometrically from lr to lr_end over the updates (0 = constant)
    steps: int = 5000  # Adam updates
    clip: float = 0.0  # global gradient-norm clip per update (0 = off)
    curriculum: bool = False  # start with at most 1 non-zero entry and add one whenever training accuracy reaches cur_acc
    cur_acc: float = 0.9  # curriculum: running training accuracy that unlocks one more non-zero entry
    train_max_nonzero: int = 0  # most non-zero entries in a training vector (0 = width)
    test_min_nonzero: int = 1  # fewest non-zero entries in a test vector (the extrapolation split sets it above train_max_nonzero)
    n_test: int = 4000  # fresh test vectors
    eval_every: int = 250  # test accuracy on a 1000-vector slice every this many updates (learning curve)
    log_every: int = 500  # progress line every this many updates

    def __post_init__(self):
        for name in ("width", "hidden", "max_ponder", "batch", "steps", "n_test", "eval_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if not 0.0 < self.eps < 1.0:
            raise ValueError("eps must be in (0, 1)")
        if self.tau < 0 or self.lr <= 0 or self.clip < 0 or self.lr_end < 0:
            raise ValueError("tau, clip and lr_end must be >= 0, lr > 0")
        if not 0 <= self.train_max_nonzero <= self.width:
            raise ValueError("train_max_nonzero must be in [0, width]")
        if not 1 <= self.test_min_nonzero <= self.width:
            raise ValueError("test_min_nonzero must be in [1, width]")
        if not 0.0 < self.cur_acc <= 1.0:
            raise ValueError("cur_acc must be in (0, 1]")


SMOKE = dict(width=8, hidden=32, steps=120, batch=32, n_test=200, eval_every=40, log_every=40)
STREAMS = ("init", "data", "eval", "eval_in", "probe")  # every random stream of a seed, named once (probe: gradcheck only)
TAU_SWEEP = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)  # the time penalties of visualize_act_parity's sweep


# ----------------------------------------------------------------------------- task

def sample_parity(rng, n, width, lo, hi):
    """n vectors of `width` entries: k ~ U{lo..hi} random positions set to +1 or -1, the rest 0.

    Returns x (n, width) float, y (n,) float: 1 if the number of +1 entries is odd, else 0,
    and k (n,) int, the number of non-zero entries (the difficulty).
    """
    k = rng.integers(lo, hi + 1, size=n)
    u = rng.random((n, width))                                   # a random order of the positions per row
    kth = np.sort(u, axis=1)[np.arange(n), k - 1]
    nonzero = u <= kth[:, None]                                  # the k first positions in that order
    x = np.where(rng.random((n, width)) < 0.5, 1.0, -1.0)        # the signs
    x[~nonzero] = 0.0
    y = (np.count_nonzero(x > 0, axis=1) % 2).astype(float)
    return x, y, k


# ----------------------------------------------------------------------------- the ACT cell

def init_params(rng, cfg, dtype=np.float64):
    """Wx (D+1, H): input and first-step flag (last row); Ws (H, H); b (H,); wh (H,), bh (1,): halting unit;
    wy (H,), by (1,): the sigmoidal output unit's logit."""
    D, H = cfg.width, cfg.hidden
    P = dict(Wx=rng.normal(0.0, 1.0 / np.sqrt(D + 1), (D + 1, H)),
             Ws=rng.normal(0.0, 1.0 / np.sqrt(H), (H, H)),
             b=np.zeros(H),
             wh=rng.normal(0.0, 1.0 / np.sqrt(H), H),
             bh=np.full(1, cfg.halt_bias),
             wy=rng.normal(0.0, 1.0 / np.sqrt(H), H),
             by=np.zeros(1))
    return {k: v.astype(dtype) for k, v in P.items()}


def act_forward(P, x, s0, act, eps, max_ponder):
    """Ponder one input step.  x (B, D) the input, s0 (B, H) the state before it.

    Inner step n = 1, 2, ...: s^n = tanh([x, flag_n] Wx + s^{n-1} Ws + b), flag_1 = 1, else 0;
    halting probability h^n = sigmoid(s^n . wh + bh).  N = the first n with h^1 + ... + h^n >= 1 - eps,
    or M = max_ponder; R = 1 - (h^1 + ... + h^{N-1}); weights p^n = h^n (n < N), p^N = R.
    The state passed on is s = sum_n p^n s^n; the ponder cost is rho = N + R.
    Without ACT: one inner step, p^1 = 1, rho = 1.
    Inner step n is computed only for the rows still running (N >= n), so the cost is sum(N), not B max(N);
    the running rows' state, drive, running sum and mean are kept compact (gathered only when some halt).
    Returns cache: rows[n-1] (indices of the rows running at step n), prev[n-1] / S[n-1] (their states
    before / after step n), Hh[n-1], p[n-1] (their halting probabilities and weights), go[n-1] (which of
    them run on after step n), N (B,) int, R (B,), last (B, H) = s^N, s (B, H) the mean state, rho (B,).
    """
    B = x.shape[0]
    base = x @ P["Wx"][:-1] + P["b"]                 # (B, H): the input's drive, the same at every inner step
    Ws, wh, bh = P["Ws"], P["wh"], P["bh"][0]
    steps = max_ponder if act else 1
    last = np.empty_like(s0)                         # s^N of every row
    s_mean = np.empty_like(s0)
    N = np.ones(B, dtype=int)
    R = np.ones(B, dtype=x.dtype)
    idx = np.arange(B)
    flag = P["Wx"][-1]
    sp, drive = s0, base                             # running rows: state before the step, input drive
    cum = np.zeros(B, dtype=x.dtype)                 # running rows: h^1 + ... + h^{n-1}
    acc = np.zeros_like(s0)                          # running rows: sum of p^k s^k so far
    rows, prev, S, Hh, p, go = [], [], [], [], [], []
    for n in range(1, steps + 1):
        pre = drive + sp @ Ws
        if n == 1:
            pre += flag
        s = np.tanh(pre, out=pre)
        rows.append(idx)
        prev.append(sp)
        S.append(s)
        if not act:
            w = np.ones(len(idx), dtype=x.dtype)
            Hh.append(np.zeros(len(idx), dtype=x.dtype))
            p.append(w)
            go.append(np.zeros(len(idx), dtype=bool))
            last[idx] = s
            s_mean[idx] = s
            break
        h = s @ wh
        h += bh
        h *= 0.5
        np.tanh(h, out=h)
        h *= 0.5
        h += 0.5                                     # logistic sigmoid, overflow-free
        c2 = cum + h
        halt = c2 >= 1.0 - eps
        if n == steps:
            halt[:] = True
        w = np.where(halt, 1.0 - cum, h)
        Hh.append(h)
        p.append(w)
        acc += w[:, None] * s
        cont = ~halt
        go.append(cont)
        if halt.any():
            done = idx[halt]
            N[done] = n
            R[done] = 1.0 - cum[halt]
            last[done] = s[halt]
            s_mean[done] = acc[halt]
            if not cont.any():
                break
            idx, sp, drive, cum, acc = idx[cont], s[cont], base[idx[cont]], c2[cont], acc[cont]
        else:
            sp, cum = s, c2
    rho = N + R if act else np.ones(B, dtype=x.dtype)
    return dict(x=x, rows=rows, prev=prev, S=S, Hh=Hh, p=p, go=go, N=N, R=R, last=last, s=s_mean, rho=rho,
                act=act)


def act_backward(P, c, ds, drho, g):
    """Back through one pondered input step.

    ds (B, H) = dL/ds for the mean state, drho (B,) = dL/drho (tau / B for the ponder cost).
    Exact gradient of the ACT paper: with N held fixed, p^n = h^n for n < N and p^N = R = 1 - sum_{n<N} h^n,
    so dL/dh^n = dL/dp^n - dL/dp^N - drho for n < N (rho = N + R), and h^N gets no gradient.
    Accumulates parameter gradients into g;
    returns dL/ds0 (B, H).
    """
    H = ds.shape[1]
    dp_last = np.einsum("bh,bh->b", ds, c["last"])   # dL/dp^N, the remainder's weight, per row
    WsT = P["Ws"].T
    wh = P["wh"]
    back = None                                       # [dL/ds^{n-1} from step n, sum of dpre over steps >= n] (m_n, 2H)
    for n in range(len(c["S"]), 0, -1):
        idx, s, w, go = c["rows"][n - 1], c["S"][n - 1], c["p"][n - 1], c["go"][n - 1]
        dsr = ds[idx]
        dsn = w[:, None] * dsr
        if back is not None:
            if back.shape[0] == dsn.shape[0]:
                dsn += back[:, :H]
                dps = back[:, H:]
            else:
                dsn[go] += back[:, :H]
                dps = np.zeros_like(dsn)
                dps[go] = back[:, H:]
        if c["act"]:
            h = c["Hh"][n - 1]
            dh = np.einsum("bh,bh->b", dsr, s)
            dh -= dp_last[idx]
            dh -= drho[idx]
            dh = np.where(go, dh, 0.0)                # h^N gets no gradient
            dhpre = dh * h * (1.0 - h)                # through the logistic
            dsn += dhpre[:, None] * wh
            g["wh"] += s.T @ dhpre
            g["bh"][0] += dhpre.sum()
        dpre = dsn * (1.0 - s * s)
        g["Ws"] += c["prev"][n - 1].T @ dpre
        if n == 1:
            g["Wx"][-1] += dpre.sum(0)
        nb = np.empty((dpre.shape[0], 2 * H), dtype=dpre.dtype)
        np.matmul(dpre, WsT, out=nb[:, :H])
        if back is None:
            nb[:, H:] = dpre
        else:
            np.add(dps, dpre, out=nb[:, H:])
        back = nb
    dpre_sum = back[:, H:]                            # step 1 runs every row, in order
    g["Wx"][:-1] += c["x"].T @ dpre_sum
    g["b"] += dpre_sum.sum(0)
    return back[:, :H].copy()


def loss_and_grads(P, x, y, cfg):
    """Mean binary cross-entropy of the sigmoidal output plus tau * mean ponder cost, and its gradients.

    Returns loss, grads (P's shapes), cache (with logits z (B,)).
    """
    B, H = x.shape[0], P["Ws"].shape[0]
    s0 = np.zeros((B, H), dtype=x.dtype)
    c = act_forward(P, x, s0, cfg.act, cfg.eps, cfg.max_ponder)
    z = c["s"] @ P["wy"] + P["by"][0]
    ce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))    # log(1 + e^z) - z y, stable
    tau = cfg.tau if cfg.act else 0.0
    loss = float(ce.mean() + tau * c["rho"].mean())
    g = {k: np.zeros_like(v) for k, v in P.items()}
    dz = (0.5 + 0.5 * np.tanh(0.5 * z) - y) / B
    g["wy"] = c["s"].T @ dz
    g["by"][0] = dz.sum()
    act_backward(P, c, dz[:, None] * P["wy"], np.full(B, tau / B, dtype=x.dtype), g)
    c["z"] = z
    return loss, g, c


# ----------------------------------------------------------------------------- training

def test_set(cfg, seed):
    """The fixed test vectors of `evaluate`: x, y, k (from the seed's `eval` stream)."""
    rng = rng_streams(seed, STREAMS)["eval"]
    return sample_parity(rng, cfg.n_test, cfg.width, cfg.test_min_nonzero, cfg.width)


def in_range_set(cfg, seed):
    """Fresh vectors from the training range (1..train_max_nonzero non-zero entries), for the extrapolation split."""
    rng = rng_streams(seed, STREAMS)["eval_in"]
    return sample_parity(rng, cfg.n_test, cfg.width, 1, cfg.train_max_nonzero or cfg.width)


def predict(P, x, cfg, chunk=1000):
    """Logits z (n,), ponder rho (n,) and inner steps N (n,) on the vectors x, in chunks."""
    zs, rhos, Ns = [], [], []
    for i in range(0, x.shape[0], chunk):
        xb = x[i:i + chunk].astype(P["Ws"].dtype)
        c = act_forward(P, xb, np.zeros((xb.shape[0], P["Ws"].shape[0]), dtype=xb.dtype), cfg.act, cfg.eps,
                        cfg.max_ponder)
        zs.append(c["s"] @ P["wy"] + P["by"][0])
        rhos.append(c["rho"])
        Ns.append(c["N"])
    return np.concatenate(zs), np.concatenate(rhos), np.concatenate(Ns)


def train(cfg, seed, callback=None):
    """Adam on fresh minibatches; returns dict(P, history).  callback(step, state) after every update."""
    rngs = rng_streams(seed, STREAMS)
    P = init_params(rngs["init"], cfg, dtype=np.float32)      # float32 for speed; the gradient check uses float64
    opt = Adam(P, lr=cfg.lr)
    test = test_set(cfg, seed)
    top = cfg.train_max_nonzero or cfg.width
    level = 1 if cfg.curriculum else top              # most non-zero entries in the current training vectors
    run_acc = 0.5
    hist = dict(step=[], loss=[], train_acc=[], ponder=[], level=[], test_acc=[], test_ponder=[])
    for step in range(cfg.steps):
        x, y, _ = sample_parity(rngs["data"], cfg.batch, cfg.width, 1, level)
        x, y = x.astype(np.float32), y.astype(np.float32)
        loss, g, c = loss_and_grads(P, x, y, cfg)
        if cfg.clip > 0:
            clip_global_norm(g, cfg.clip)
        if cfg.lr_end > 0:
            opt.lr = cfg.lr * (cfg.lr_end / cfg.lr) ** (step / max(1, cfg.steps - 1))
        opt.step(P, g)
        acc = float(np.mean((c["z"] > 0) == (y > 0.5)))
        run_acc = 0.95 * run_acc + 0.05 * acc
        if cfg.curriculum and level < top and run_acc >= cfg.cur_acc:
            level += 1
            run_acc = 0.5
        last = step == cfg.steps - 1
        if step % cfg.eval_every == 0 or last:
            z, rho, _ = predict(P, test[0][:1000], cfg)
            hist["step"].append(step)
            hist["loss"].append(loss)
            hist["train_acc"].append(acc)
            hist["ponder"].append(float(c["rho"].mean()))
            hist["level"].append(level)
            hist["test_acc"].append(float(np.mean((z > 0) == (test[1][:1000] > 0.5))))
            hist["test_ponder"].append(float(rho.mean()))
        if step % cfg.log_every == 0 or last:
            progress(f"step {step:6d}  loss {loss:.4f}  train acc {acc:.3f}  ponder {c['rho'].mean():.2f}  "
                     f"level {level}  test acc (1000) {hist['test_acc'][-1]:.3f}")
        if callback is not None:
            callback(step, dict(P=P, hist=hist, level=level))
    return dict(P=P, history=hist)


def evaluate(cfg, P, test):
    """Test accuracy and ponder on the fixed test set -> metrics."""
    x, y, k = test
    z, rho, N = predict(P, x, cfg)
    correct = (z > 0) == (y > 0.5)
    hi = k > np.median(k)
    return dict(
        test_acc=float(correct.mean()),
        test_err=float(1.0 - correct.mean()),
        ponder=float(rho.mean()),
        inner_steps=float(N.mean()),
        ponder_low_k=float(rho[~hi].mean()),
        ponder_high_k=float(rho[hi].mean()) if hi.any() else float(rho.mean()),
        ponder_k_corr=float(np.corrcoef(k, rho)[0, 1]) if rho.std() > 0 and k.std() > 0 else 0.0,
    )


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    metrics = evaluate(cfg, out["P"], test_set(cfg, seed))
    # accuracy on a second fresh set from the training range (differs from test_acc on the extrapolation split)
    metrics["in_range_acc"] = evaluate(cfg, out["P"], in_range_set(cfg, seed))["test_acc"]
    metrics["solved"] = int(metrics["test_acc"] >= 0.95)
    return metrics


def gradcheck(cfg, seed) -> dict:
    """Central differences vs the hand-written backward pass, float64, on a small net where some
    vectors halt by threshold after several steps and others hit the max-ponder limit M."""
    small = Config(width=6, hidden=5, batch=9, tau=0.05, max_ponder=6, halt_bias=-1.0, eps=cfg.eps)
    rngs = rng_streams(seed, STREAMS)
    P = init_params(rngs["init"], small)
    P["wh"] *= 3.0
    x, y, _ = sample_parity(rngs["data"], small.batch, small.width, 1, small.width)
    _, g, c = loss_and_grads(P, x, y, small)
    assert (c["N"] == small.max_ponder).any() and (c["N"] < small.max_ponder).any() and (c["N"] > 1).all(), c["N"]
    errors = {}
    for k, e in numeric_gradcheck(lambda: loss_and_grads(P, x, y, small)[0], P, g, rngs["probe"]).items():
        errors[f"act_loss.{k}"] = e
    # the ponder cost alone (no task loss): its gradient reaches the halting unit only through R
    pond = dataclasses.replace(small, tau=1.0)

    def ponder_only():
        c2 = act_forward(P, x, np.zeros((x.shape[0], small.hidden)), True, pond.eps, pond.max_ponder)
        return float(c2["rho"].mean())
    gp = {k: np.zeros_like(v) for k, v in P.items()}
    c2 = act_forward(P, x, np.zeros((x.shape[0], small.hidden)), True, pond.eps, pond.max_ponder)
    act_backward(P, c2, np.zeros_like(c2["s"]), np.full(x.shape[0], 1.0 / x.shape[0]), gp)
    for k, e in numeric_gradcheck(ponder_only, P, gp, rngs["probe"]).items():
        if k not in ("wy", "by"):
            errors[f"ponder_cost.{k}"] = e
    nog = dataclasses.replace(small, act=False)
    _, g3, _ = loss_and_grads(P, x, y, nog)
    for k, e in numeric_gradcheck(lambda: loss_and_grads(P, x, y, nog)[0], P, g3, rngs["probe"]).items():
        if k not in ("wh", "bh", "Ws"):                  # no halting unit; s0 = 0, so Ws has no effect
            errors[f"no_act_loss.{k}"] = e
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
