"""Static figures of one pomdp-flag-maze run (seed 0: 20 runs in lock-step; run 0 is the worked example).

    python3 visualize_pomdp_flag_maze.py --seed 0          # writes viz/*.png next to this script
    python3 visualize_pomdp_flag_maze.py --smoke --outdir /tmp/pfm
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import pomdp_flag_maze  # noqa: E402
from pomdp_flag_maze import (PAIN, PLEASURE, SMOKE, Config, c_forward, fixed_test_set, m_forward,  # noqa: E402
                             m_inputs)

FRAMES, SMOKE_FRAMES = 36, 5   # the GIF's training snapshots
GRID = np.linspace(-1.5, 1.5, 61)  # actions at the junction for M's landscape


def one_run(P, r):
    """Run r's parameters, with the runs axis kept (length 1)."""
    return {k: v[r:r + 1].copy() for k, v in P.items()}


def two_episodes(test):
    """Test episode 0 and its twin with the other cue (same corridor textures): cue (2,), X (N+1, 2, 3)."""
    cue, X = test
    X2 = np.repeat(X[:, :1], 2, axis=1)
    X2[0, 1, 0] = -X2[0, 0, 0]
    return np.array([cue[0], -cue[0]]), X2


def rollout(cfg, C, M, cue, X):
    """Run 0's noise-free C on the two episodes, and M's predicted pleasure - pain at the junction over GRID."""
    Xs = X[:, None]                                              # (N+1, 1, 2, 3)
    cc = c_forward(C, Xs, np.zeros(Xs.shape[:-1]), cfg, sigma_on=False)
    sig = c_forward(C, Xs, np.zeros(Xs.shape[:-1]), cfg)["sigma"][:, 0]
    land = []
    for a_n in GRID:
        a = cc["mu"].copy()
        a[-1] = a_n
        yh = m_forward(M, m_inputs(Xs, a, cue[None], cfg))["Yh"]
        land.append(yh[-1, 0, :, PLEASURE] - yh[-1, 0, :, PAIN])
    mc = m_forward(M, m_inputs(Xs, cc["mu"], cue[None], cfg))
    return dict(mu=cc["mu"][:, 0], sigma=sig, H=cc["H"][1:, 0], G=mc["G"][1:, 0], land=np.array(land))


def frame_steps(cfg, frames):
    n_upd = cfg.episodes // cfg.batch
    return np.unique(np.linspace(0, n_upd - 1, frames).astype(int)).tolist()


def snapshotter(cfg, test):
    cue, X = two_episodes(test)

    def snapshot(step, state):
        C, M = one_run(state["C"], 0), one_run(state["M"], 0)
        h = state["hist"]
        return dict(step=step, ep=rollout(cfg, C, M, cue, X), cue=cue,
                    upd=list(h["update"]), test=[np.array(v) for v in h["test"]])
    return snapshot


def draw_maze(ax, N, cue, mu_last, title):
    """The T-maze: start (cue) cell, N corridor cells, the junction, the two flags; the chosen arm drawn."""
    ax.set_aspect("equal")
    for c in range(N + 1):
        ax.add_patch(plt.Rectangle((c, 0), 1, 1, fc="#ecf0f1", ec="#7f8c8d"))
    for row, name in ((1, "top"), (-1, "bottom")):
        pays = (row > 0) == (cue > 0)
        ax.add_patch(plt.Rectangle((N, row), 1, 1, fc="#d5f5e3" if pays else "#fadbd8", ec="#7f8c8d"))
        ax.text(N + 1.1, row + 0.5, "flag (pays)" if pays else "flag", ha="left", va="center", fontsize=7)
    ax.text(0.5, 0.5, f"cue\n{int(cue):+d}", ha="center", va="center", fontsize=8, fontweight="bold",
            color="#2980b9")
    ax.text(N + 0.5, 0.5, "junction", ha="center", va="center", fontsize=6)
    ax.annotate("", xy=(N + 0.2, 0.2), xytext=(0.8, 0.2), arrowprops=dict(arrowstyle="->", color="#34495e"))
    go_top = mu_last > 0
    ok = go_top == (cue > 0)
    ax.annotate("", xy=(N + 0.5, 1.5 if go_top else -0.5), xytext=(N + 0.5, 0.5),
                arrowprops=dict(arrowstyle="-|>", lw=2.5, color="#27ae60" if ok else "#c0392b"))
    ax.set_xlim(-0.2, N + 2.6)
    ax.set_ylim(-1.2, 2.2)
    ax.axis("off")
    ax.set_title(title + f"\nmean action at junction {mu_last:+.2f} -> {'top' if go_top else 'bottom'} "
                 f"({'right' if ok else 'wrong'})", fontsize=8)


def plot_curves(cfg, out, path):
    h = out["history"]
    eps = (h["update"] + 1) * cfg.batch
    fig, axs = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    for r in range(h["test"].shape[1]):
        axs[0].plot(eps, h["test"][:, r], color="#8e44ad" if r == 0 else "#bbb", lw=2 if r == 0 else 0.8,
                    zorder=3 if r == 0 else 1)
    axs[0].axhline(0.5, color="k", ls=":", lw=1)
    axs[0].set_ylabel("test success (noise-free C)")
    axs[0].set_title(f"{cfg.runs} runs in lock-step (seed 0); run 0 in purple; corridor {cfg.corridor}, "
                     f"plain gradient descent")
    axs[1].semilogy(eps, np.median(h["m_loss"], axis=1), color="#2c3e50", label="M's loss (median over runs)")
    axs[1].semilogy(eps, np.median(h["c_loss"], axis=1), color="#2980b9", ls="--",
                    label="C's loss: predicted (1-pleasure)^2 + pain^2 (median)")
    axs[1].set_ylabel("loss per episode")
    axs[1].legend(fontsize=8)
    axs[2].plot(eps, h["sigma"][:, 0], color="#e67e22", label="run 0: mean action-noise std at the junction")
    axs[2].plot(eps, np.median(h["sigma"], axis=1), color="#e67e22", ls="--", lw=1, label="median over runs")
    axs[2].plot(eps, h["reward"][:, 0], color="#27ae60", label="run 0: fraction of training episodes rewarded")
    axs[2].set_ylabel("adaptive randomness / reward")
    axs[2].set_xlabel("training episodes per run")
    axs[2].legend(fontsize=8)
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_episodes(cfg, ep, cue, path):
    fig, axs = plt.subplots(1, 3, figsize=(12, 3.8), gridspec_kw=dict(width_ratios=[1, 1, 1.3]))
    for j in range(2):
        draw_maze(axs[j], cfg.corridor, cue[j], ep["mu"][-1, j], f"run 0, test episode with cue {int(cue[j]):+d}")
    t = np.arange(cfg.corridor + 1)
    for j, col in ((0, "#2980b9"), (1, "#c0392b")):
        axs[2].plot(t, ep["mu"][:, j], color=col, marker="o", label=f"mean action, cue {int(cue[j]):+d}")
        axs[2].fill_between(t, ep["mu"][:, j] - ep["sigma"][:, j], ep["mu"][:, j] + ep["sigma"][:, j],
                            color=col, alpha=0.12)
    axs[2].axhline(0, color="k", lw=0.5)
    axs[2].set_xlabel("time step (0: cue cell; last: junction, > 0 picks the top flag)")
    axs[2].set_ylabel("C's action (band: ± noise std)")
    axs[2].legend(fontsize=8)
    axs[2].set_title("C's mean action and its adaptive randomness", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_memory(cfg, ep, cue, path):
    fig, axs = plt.subplots(1, 2, figsize=(11, 3.6))
    for ax, Z, name in ((axs[0], ep["H"], "controller C"), (axs[1], ep["G"], "model net M")):
        d = Z[:, 0] - Z[:, 1]                                       # (N+1, hidden): cue +1 minus cue -1
        m = max(np.abs(d).max(), 1e-3)
        im = ax.imshow(d.T, aspect="auto", cmap="RdBu_r", vmin=-m, vmax=m, interpolation="nearest")
        ax.set_xlabel("time step (0: cue; last: junction)")
        ax.set_ylabel("hidden unit")
        ax.set_title(f"{name}: hidden state, cue {int(cue[0]):+d} minus cue {int(cue[1]):+d}\n"
                     "(run 0, one test episode and its twin with the other cue)", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_landscape(cfg, ep, cue, path):
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for j, col in ((0, "#2980b9"), (1, "#c0392b")):
        ax.plot(GRID, ep["land"][:, j], color=col, label=f"cue {int(cue[j]):+d} (seen {cfg.corridor} steps earlier)")
        ax.axvline(ep["mu"][-1, j], color=col, ls=":", lw=1)
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("action at the junction (> 0: top flag)")
    ax.set_ylabel("M's predicted pleasure - pain")
    ax.set_title("run 0's trained model net: predicted reinforcement at the junction\n"
                 "(dotted: C's mean action for that cue)", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    test = fixed_test_set(cfg, args.seed)
    out, _ = trained(pomdp_flag_maze, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter(cfg, test))
    cue, X = two_episodes(test)
    ep = rollout(cfg, one_run(out["C"], 0), one_run(out["M"], 0), cue, X)
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out, args.outdir / "training_curves.png")
    plot_episodes(cfg, ep, cue, args.outdir / "test_episodes.png")
    plot_memory(cfg, ep, cue, args.outdir / "hidden_memory.png")
    plot_landscape(cfg, ep, cue, args.outdir / "model_landscape.png")
    print(f"wrote 4 PNGs to {args.outdir}")
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
