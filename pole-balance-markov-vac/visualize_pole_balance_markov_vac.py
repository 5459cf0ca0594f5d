"""Static figures of one run: episode lengths, the critic's two components, a greedy episode of the final controller.

    python3 visualize_pole_balance_markov_vac.py --seed 0        # writes viz/*.png next to this script
    python3 visualize_pole_balance_markov_vac.py --smoke --outdir /tmp/pb
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import pole_balance_markov_vac as stub  # noqa: E402
from pole_balance_markov_vac import SCALE, SMOKE, TH_FAIL, X_FAIL, Config, greedy_episode, net_fwd  # noqa: E402

START = (0.0, 0.0, 0.03, 0.0)      # the greedy episodes' start state (x, x', theta, theta')
FRAME_STEPS = sorted(set(np.unique(np.geomspace(50, 400000, 60).astype(int)).tolist()))
SMOKE_FRAME_STEPS = [50, 200, 500, 1000]


def snapshotter(cfg):
    """snapshot(step, state): agent 0's controller weights and its episode lengths so far."""
    def snapshot(step, state):
        return dict(step=step, C={k: v[:1].copy() for k, v in state["C"].items()},
                    lengths=list(state["lengths"][0]), episode=int(state["episode"][0]))
    return snapshot


def frame_steps(smoke):
    return SMOKE_FRAME_STEPS if smoke else FRAME_STEPS


def plot_lengths(cfg, out, path):
    L = np.asarray(out["lengths"][0], dtype=float)
    c = np.asarray(out["causes"][0])
    ep = np.arange(1, len(L) + 1)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for code, col, lab in ((1, "#c0392b", "pole fell (|θ| > 12°)"), (2, "#2980b9", "cart left the track (|x| > 2.4 m)"),
                           (3, "#8e44ad", "both"), (0, "#27ae60", f"balanced {cfg.success_steps} steps (solved)")):
        m = c == code if code else L >= cfg.success_steps
        if m.any():
            ax.scatter(ep[m], L[m], s=9, color=col, label=lab, zorder=3)
    if len(L) >= 10:
        k = 10
        ax.plot(ep[k - 1:], np.convolve(L, np.ones(k) / k, mode="valid"), color="k", lw=1, label="mean of 10")
    ax.axhline(cfg.success_steps, color="#27ae60", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("episode (trial)")
    ax.set_ylabel("time steps balanced (0.02 s each)")
    solved = out["episodes"][0]
    ax.set_title(f"agent 0: episode lengths, K = {cfg.k} critic; "
                 + (f"solved at episode {int(solved)}" if np.isfinite(solved) else
                    f"not solved within {cfg.max_episodes} episodes"), fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_critic(cfg, out, path):
    """V's components over two slices of the state space (the other variables at 0)."""
    V = {k: v[:1] for k, v in out["V"].items()}
    n = 61
    th = np.linspace(-TH_FAIL, TH_FAIL, n)
    thd = np.linspace(-2.0, 2.0, n)
    x = np.linspace(-X_FAIL, X_FAIL, n)
    xd = np.linspace(-2.0, 2.0, n)
    A, Bm = np.meshgrid(th, thd)
    S_pole = np.stack([np.zeros(A.size), np.zeros(A.size), A.ravel(), Bm.ravel()], 1)
    C_, D_ = np.meshgrid(x, xd)
    S_cart = np.stack([C_.ravel(), D_.ravel(), np.zeros(C_.size), np.zeros(C_.size)], 1)
    names = ["pole pain V_pole", "cart pain V_cart"] if cfg.k == 2 else ["summed pain V"]
    fig, axs = plt.subplots(cfg.k, 2, figsize=(9, 3.6 * cfg.k), squeeze=False)
    for row in range(cfg.k):
        for col, (S, ext, xl, yl, ttl) in enumerate((
                (S_pole, [-12, 12, -2, 2], "θ (degrees)", "θ' (rad/s)", "x = x' = 0"),
                (S_cart, [-X_FAIL, X_FAIL, -2, 2], "x (m)", "x' (m/s)", "θ = θ' = 0"))):
            Bsz = S.shape[0]
            Vb = {k: np.repeat(v, Bsz, axis=0) for k, v in V.items()}
            val = net_fwd(Vb, S / SCALE)[0][:, row].reshape(n, n)
            im = axs[row, col].imshow(val, origin="lower", extent=ext, aspect="auto", cmap="magma")
            axs[row, col].set_xlabel(xl)
            axs[row, col].set_ylabel(yl)
            axs[row, col].set_title(f"{names[row]} ({ttl})", fontsize=9)
            fig.colorbar(im, ax=axs[row, col], fraction=0.046)
    fig.suptitle("the critic's predicted discounted pain after training (scaled: 1 = certain failure)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_greedy(cfg, out, path, steps=1000):
    xs, fs = greedy_episode(out["C"], 0, START, steps)
    t = np.arange(len(xs)) * 0.02
    fig, axs = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
    axs[0].plot(t, np.degrees(xs[:, 2]), color="#c0392b")
    axs[0].axhline(12, color="k", ls=":", lw=1)
    axs[0].axhline(-12, color="k", ls=":", lw=1)
    axs[0].set_ylabel("θ (degrees)")
    axs[1].plot(t, xs[:, 0], color="#2980b9")
    axs[1].axhline(2.4, color="k", ls=":", lw=1)
    axs[1].axhline(-2.4, color="k", ls=":", lw=1)
    axs[1].set_ylabel("x (m)")
    axs[2].plot(t[1:], fs, color="#7f8c8d", lw=0.8)
    axs[2].set_ylabel("force (N)")
    axs[2].set_xlabel("time (s)")
    axs[0].set_title(f"final controller of agent 0 without exploration noise, from θ = 0.03 rad: "
                     f"{len(fs)} steps", fontsize=10)
    for a in axs:
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, _ = trained(stub, cfg, args.seed, frame_steps(args.smoke), snapshotter(cfg))
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_lengths(cfg, out, args.outdir / "episode_lengths.png")
    plot_critic(cfg, out, args.outdir / "critic_components.png")
    plot_greedy(cfg, out, args.outdir / "greedy_episode.png")
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
