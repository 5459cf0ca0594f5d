"""Static figures of one learner (the dense-pain deviation, which balances): trial lengths while it
learns, frozen controllers at stages of learning, and a 1,000-step rollout with the velocities C
never sees decoded from its hidden state.

    python3 visualize_pole_balance_non_markov.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_pole_balance_non_markov.py --smoke --outdir /tmp/pb
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import pole_balance_non_markov as stub  # noqa: E402
from pole_balance_non_markov import (DENSE, SMOKE, TH_MAX, X_MAX, Config, Learner, cart_step,  # noqa: E402
                                     failed, m_layout, observe, rng_streams)

FRAME_STEPS = np.unique(np.r_[np.geomspace(1, 200_000, 48), np.arange(500, 200_000, 500)].astype(int)).tolist()   # steps kept


def picture_config(smoke):
    return Config(**{**DENSE, **(dict(SMOKE, trials=1) if smoke else {})})


def snapshot(step, state):
    """The C parameters and the trial lengths so far (copies: training updates them in place)."""
    return dict(step=step, thc=state["L"].thc.copy(), lengths=list(state["lengths"][0]),
                trial=int(state["trial"][0]))


def rollout(cfg, thc, seed, steps=None):
    """Frozen, noise-free C (learner 0) from the seed's first 'eval' start: states (T+1, 4), hidden
    states (T, H_c), actions (T,); stops at failure or after `steps` (default cfg.goal)."""
    steps = cfg.goal if steps is None else steps
    s = rng_streams(seed, stub.STREAMS)["eval"].uniform(-0.05, 0.05, size=(1, 4))
    L = Learner(cfg, thc[:1].copy(), np.zeros((1, m_layout(cfg)[2])))
    S, H, A = [s[0].copy()], [], []
    for _ in range(steps):
        mu, _ = L.act(observe(s))
        H.append(L.h[0].copy())
        A.append(float(mu[0]))
        s = cart_step(s, stub.F_MAX * mu, cfg.integrator == "semi-implicit")
        S.append(s[0].copy())
        if failed(s)[0]:
            break
    return np.array(S), np.array(H), np.array(A)


def plot_lengths(cfg, lengths, path):
    L = np.asarray(lengths)
    k = np.arange(1, len(L) + 1)
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    ax.axvspan(0.5, min(cfg.m_trials, len(L)) + 0.5, color="#bdc3c7", alpha=0.35, lw=0,
               label=f"first {cfg.m_trials} trials: only M learns (C frozen, noise σ={cfg.sigma_m:g})")
    ax.semilogy(k, L, ".", ms=3, color="#2c3e50", label="one trial (reset to failure)")
    if len(L) >= 20:
        ax.semilogy(k[19:], np.convolve(L, np.ones(20) / 20, mode="valid"), color="#e67e22", lw=2,
                    label="mean of the last 20 trials")
    ax.axhline(cfg.goal, color="#27ae60", ls="--", lw=1.2, label=f"success: {cfg.goal} steps")
    ax.set_xlabel("trial")
    ax.set_ylabel("steps balanced (log scale)")
    ax.set_title(f"one learner, {cfg.pain} pain, gradient path '{cfg.grad_path}', leaky RTRL ({cfg.decay:g}):\n"
                 f"trial length while M and C learn on-line (success at trial {len(L) if L[-1] >= cfg.goal else '—'})",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_stages(cfg, snaps, seed, path):
    """Frozen C at several stages of learning: the pole angle over a noise-free episode."""
    chosen = [s for s in snaps if s["trial"] >= max(cfg.m_trials - 1, 0)] or snaps
    chosen = [chosen[i] for i in np.unique(np.linspace(0, len(chosen) - 1, 6).astype(int))]
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(chosen)))
    for snap, c in zip(chosen, colors):
        S, _, _ = rollout(cfg, snap["thc"], seed)
        ax.plot(np.arange(len(S)) * stub.DT, np.degrees(S[:, 2]), color=c, lw=1.3,
                label=f"after trial {snap['trial']}: {len(S) - 1} steps")
    ax.axhline(12, color="#c0392b", ls=":", lw=1)
    ax.axhline(-12, color="#c0392b", ls=":", lw=1, label="failure at |θ| = 12°")
    ax.set_xlabel("time (s), 50 steps per second")
    ax.set_ylabel("pole angle θ (degrees)")
    ax.set_title("the controller frozen at stages of learning, run noise-free from one start", fontsize=10)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_rollout(cfg, thc, seed, path):
    S, H, A = rollout(cfg, thc, seed)
    T = len(A)
    t = np.arange(T) * stub.DT
    fig, axs = plt.subplots(3, 1, figsize=(9, 7.5), sharex=True)
    axs[0].plot(t, S[:T, 0] / X_MAX, color="#2980b9", label="x / 2.4 m")
    axs[0].plot(t, S[:T, 2] / TH_MAX, color="#c0392b", label="θ / 12°")
    axs[0].set_ylabel("what C sees")
    axs[0].set_title(f"trained C, frozen and noise-free: {T} steps balanced", fontsize=10)
    half = T // 2
    for j, (col, name, color) in enumerate(((1, "dx/dt (m/s)", "#2980b9"), (3, "dθ/dt (rad/s)", "#c0392b"))):
        y = S[:T, col]
        axs[1].plot(t, y, color=color, lw=1.2, label=f"true {name}")
        if T >= 20:
            X = np.c_[H, np.ones(T)]
            w, *_ = np.linalg.lstsq(X[:half], y[:half], rcond=None)
            pred = X @ w
            r2 = 1 - np.var(y[half:] - pred[half:]) / max(np.var(y[half:]), 1e-300)
            axs[1].plot(t, pred, color=color, ls="--", lw=1, alpha=0.8,
                        label=f"linear read-out of C's hidden state (R² {r2:.2f} on the second half)")
    if T >= 20:
        axs[1].axvline(t[half], color="k", ls=":", lw=1)
    axs[1].set_ylabel("hidden from C")
    axs[1].legend(fontsize=7, loc="lower left", framealpha=0.9)
    axs[2].plot(t, A, color="#8e44ad", lw=0.8)
    axs[2].set_ylabel("action (force / 10 N)")
    axs[2].set_xlabel("time (s)")
    for ax in axs:
        ax.grid(alpha=0.3)
    axs[0].legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = picture_config(args.smoke)
    out, snaps = trained(stub, cfg, args.seed, FRAME_STEPS, snapshot)
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_lengths(cfg, out["lengths"][0], args.outdir / "trial_lengths.png")
    plot_stages(cfg, snaps + [dict(step=out["steps"], thc=out["thc"], lengths=out["lengths"][0],
                                   trial=len(out["lengths"][0]))], args.seed, args.outdir / "stages.png")
    plot_rollout(cfg, out["thc"], args.seed, args.outdir / "rollout.png")
    print(f"wrote 3 PNGs to {args.outdir}")
    return 0


# >>> snippet: pictures
def picture_args(doc, kind, default, extra=()):
    """Parse the picture scripts' flags: --seed, --smoke and --outdir (kind 'viz') or --out (kind 'gif').

    `extra` holds (flag, kwargs) pairs for a script's own options. Errors: one line, exit 2."""
    import argparse
    from pathlib import Path

    class _Parser(argparse.ArgumentParser):
        def error(self, message):
            self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    p = _Parser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="master seed of the training run (default 0)")
    p.add_argument("--smoke", action="store_true", help="short training run (the stub's SMOKE overrides)")
    if kind == "viz":
        p.add_argument("--outdir", type=Path, default=Path(default), help=f"where the PNGs go (default {default})")
    else:
        p.add_argument("--out", type=Path, default=Path(default), help=f"the GIF to write (default {default})")
    for flag, kwargs in extra:
        p.add_argument(flag, **kwargs)
    args = p.parse_args()
    if args.seed < 0:
        p.error("--seed must be >= 0")
    return args


def trained(stub, cfg, seed, steps=(), snapshot=None):
    """(train's result, [snapshot(step, state) at each of `steps`]) from one training run.

    Both picture scripts call this with the same arguments, so the second one loads the run the
    first one made: it is cached in the stub's folder under .cache/ (git-ignored), keyed by the
    stub's source, the Config fingerprint, the seed, the steps, the source file that defines the
    snapshot function and the values it closes over. A snapshot copies what it keeps (training
    updates its arrays in place); one that returns None is dropped, so a snapshot may keep a
    subset of `steps` that depends on the state (the step where training stops)."""
    import hashlib, inspect, os, pickle
    from pathlib import Path
    steps = sorted(set(int(s) for s in steps))
    parts = [Path(stub.__file__).read_bytes(), stub.config_fingerprint(cfg).encode(), str(seed).encode(),
             repr(steps).encode()]
    if snapshot is not None:
        parts.append(Path(inspect.getsourcefile(snapshot)).read_bytes())
        parts.append(pickle.dumps([c.cell_contents for c in snapshot.__closure__ or ()], protocol=4))
    key = hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]
    path = Path(stub.__file__).resolve().parent / ".cache" / f"trained-{key}.pkl"
    if path.is_file():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    wanted, snaps = set(steps), []

    def callback(step, state):
        if step in wanted:
            snap = snapshot(step, state)
            if snap is not None:
                snaps.append(snap)

    result = stub.train(cfg, seed, callback=callback if snapshot else None)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump((result, snaps), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return result, snaps


def fig_image(fig, dpi=100):
    """A matplotlib figure as an RGB PIL image (the figure is closed)."""
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def save_gif(frames, out, fps=6.0, hold_s=2.0, colors=64, durations=None, palette=None):
    """Write RGB frames as a looping GIF, holding the last frame `hold_s` seconds; prints its size.

    `durations` (milliseconds, one per frame) replaces fps and the hold; `palette` (a "P" image) gives
    every frame that one palette, undithered, instead of each frame its own `colors` colours."""
    if durations is None:
        frames = list(frames) + [frames[-1]] * int(hold_s * fps)
        durations = int(1000 / fps)
    if palette is None:
        frames = [f.quantize(colors=colors, method=Image.Quantize.MEDIANCUT) for f in frames]
    else:
        frames = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True)
    print(f"wrote {out} ({len(frames)} frames, {out.stat().st_size / 1e6:.2f} MB)")
# <<< snippet: pictures


if __name__ == "__main__":
    raise SystemExit(main())
