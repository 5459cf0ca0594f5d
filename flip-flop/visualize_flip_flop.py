"""Static figures of one flip-flop run: learning curves, a test episode, weights, M's pain landscape.

    python3 visualize_flip_flop.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_flip_flop.py --smoke --outdir /tmp/ff
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import flip_flop  # noqa: E402
from flip_flop import SMOKE, Config, c_forward, fixed_test_set, m_forward  # noqa: E402

EVENT_NAMES = ("A", "B", "X", "")
EVENT_COLORS = ("#c0392b", "#27ae60", "#7f8c8d")


def rollout_test(cfg, C, M, test, k=0):
    """Noise-free C on test episode k, plus M's predictions along it."""
    ev, E, d = test
    sl = slice(k, k + 1)
    roll = c_forward(C, E[:, sl], np.zeros(d[:, sl].shape), 0.0, d=d[:, sl])
    mc = m_forward(M, roll["X"], roll["a"])
    return ev[:, k], d[:, k], roll["a"][:, 0], roll["p"][:, 0], mc["ph"][:, 0], roll["X"]


FRAMES, SMOKE_FRAMES = 40, 5   # the GIF's training snapshots (--frames; capped with --smoke)


def frame_steps(cfg, frames):
    """The updates the GIF shows: a few while M learns alone, denser once C starts learning."""
    total = cfg.m_steps + cfg.c_steps
    start_c = cfg.m_steps if cfg.regime == "sequential" else 0   # where C's output starts to change
    marks = np.unique(np.concatenate([np.linspace(0, start_c, max(frames // 5, 2)),
                                      start_c + np.geomspace(1, total - start_c, frames)]).astype(int))
    return np.clip(marks, 0, total - 1).tolist()


def snapshotter(cfg, test):
    """snapshot(step, state): the GIF's frame data, C's test episode and a copy of the history so far."""
    def snapshot(step, state):
        return dict(step=step, phase=state["phase"], episode=rollout_test(cfg, state["C"], state["M"], test),
                    hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def draw_events(ax, ev):
    for t, e in enumerate(ev):
        if e < 3:
            ax.axvspan(t - 0.5, t + 0.5, color=EVENT_COLORS[e], alpha=0.18 if e == 2 else 0.35, lw=0)
            if e < 2:
                ax.text(t, 1.13, EVENT_NAMES[e], ha="center", va="bottom", fontsize=7, color=EVENT_COLORS[e],
                        fontweight="bold")


def plot_curves(cfg, hist, path):
    h = {k: np.asarray(v, dtype=float) for k, v in hist.items() if k != "phase"}
    fig, axs = plt.subplots(3, 1, figsize=(8, 7.5), sharex=True)
    switch = cfg.m_steps if cfg.regime == "sequential" else None
    ok = np.isfinite(h["m_loss"])
    axs[0].semilogy(h["step"][ok], h["m_loss"][ok], color="#2c3e50")
    axs[0].set_ylabel("M's pain-prediction MSE")
    axs[0].set_title(f"flip-flop, {cfg.regime} regime: M learns to predict pain, C learns through M")
    noise = (f"noise σ={cfg.sigma_m:g} while M learns alone, {cfg.sigma:g} after" if switch
             else f"noise σ={cfg.sigma:g}")
    axs[1].plot(h["step"], h["pain"], color="#c0392b", label=f"actual pain of exploring C ({noise})")
    ok = np.isfinite(h["c_loss"])
    axs[1].plot(h["step"][ok], h["c_loss"][ok], color="#2980b9", ls="--", label="pain predicted by M (C's loss)")
    axs[1].axhline(0.0, color="k", lw=0.5)
    axs[1].set_ylabel("mean pain per step")
    axs[1].legend(fontsize=8, loc="upper right")
    axs[2].plot(h["step"], h["test_acc"], color="#27ae60", label="test step accuracy (|a-d| < 0.5)")
    axs[2].plot(h["step"], h["test_solved"] / cfg.n_test, color="#8e44ad",
                label=f"test episodes solved (every |a-d| < {cfg.tol:g}) / {cfg.n_test}")
    axs[2].set_ylim(-0.03, 1.05)
    axs[2].set_ylabel("noise-free test")
    axs[2].set_xlabel("update")
    axs[2].legend(fontsize=8, loc="lower right")
    for ax in axs:
        ax.grid(alpha=0.3)
        if switch:
            ax.axvline(switch, color="k", ls=":", lw=1)
    if switch:
        axs[0].text(switch, axs[0].get_ylim()[1], "  C starts learning", va="top", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_episode(cfg, C, M, test, path):
    ev, d, a, p, ph, _ = rollout_test(cfg, C, M, test)
    T = len(ev)
    t = np.arange(T)
    fig, axs = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True, gridspec_kw=dict(height_ratios=[1.4, 1]))
    draw_events(axs[0], ev)
    axs[0].step(t, d, where="mid", color="k", lw=2, label="desired latch d_t")
    axs[0].plot(t, a, color="#e67e22", lw=1.5, marker=".", ms=4, label="C's output a_t (noise-free)")
    axs[0].set_ylim(-0.08, 1.3)
    axs[0].set_ylabel("output")
    axs[0].set_title(f"fresh test episode ({T} steps; training episodes had {cfg.train_len}): "
                     "red = A (reset), green = B (set), grey = X (distractor)", fontsize=10)
    axs[0].legend(fontsize=8, loc="center right")
    axs[1].plot(t, p, color="#c0392b", label="actual pain (a_t - d_t)^2")
    axs[1].plot(t, ph, color="#2980b9", ls="--", label="M's predicted pain")
    axs[1].set_ylabel("pain")
    axs[1].set_xlabel("time step")
    axs[1].legend(fontsize=8, loc="upper right")
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weights(C, M, path):
    c_in = ["A", "B", "X", "bias", "pain"]
    mats = [("C: input → hidden", C["Wx"], c_in), ("C: hidden → hidden", C["Wh"], None),
            ("C: hidden → output", np.concatenate([C["wo"], C["bo"]])[None, :], None),
            ("M: input → hidden", M["Wx"], c_in + ["action"]), ("M: hidden → hidden", M["Wh"], None),
            ("M: hidden → pain", np.concatenate([M["wo"], M["bo"]])[None, :], None)]
    vmax = max(np.abs(m).max() for _, m, _ in mats)
    fig, axs = plt.subplots(2, 3, figsize=(12, 6.5), layout="constrained",
                            gridspec_kw=dict(width_ratios=[1, 1.4, 1.4]))
    for ax, (title, m, rows) in zip(axs.ravel(), mats):
        im = ax.imshow(m, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
        ax.set_title(title, fontsize=10)
        if rows:
            ax.set_yticks(range(len(rows)))
            ax.set_yticklabels(rows, fontsize=8)
        else:
            ax.set_yticks([])
        ax.set_xlabel("hidden unit (last column: output bias)" if m.shape[0] == 1 else "hidden unit",
                      fontsize=8)
    fig.colorbar(im, ax=axs, shrink=0.8, label="weight")
    fig.suptitle("trained weights (same colour scale for every panel)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pain_landscape(M, X, a, t, grid):
    """M's prediction at step t when a_t is replaced by each value of `grid` (history up to t fixed)."""
    K = len(grid)
    Xk = np.repeat(X[: t + 1], K, axis=1)
    ak = np.repeat(a[: t + 1], K, axis=1)
    ak[t] = grid
    return m_forward(M, Xk, ak)["ph"][t]


def plot_landscape(cfg, C, M, test, path):
    ev, d, a, _, _, X = rollout_test(cfg, C, M, test)
    grid = np.linspace(0, 1, 101)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for latch, color in ((0.0, "#2980b9"), (1.0, "#c0392b")):
        steps = np.flatnonzero(d == latch)
        steps = steps[np.linspace(0, len(steps) - 1, min(6, len(steps))).astype(int)] if len(steps) else steps
        for j, t in enumerate(steps):
            ph = pain_landscape(M, X, a[:, None], t, grid)
            ax.plot(grid, ph, color=color, alpha=0.75,
                    label=f"latched {int(latch)} ({len(steps)} steps of the test episode)" if j == 0 else None)
        ax.axvline(latch, color=color, ls=":", lw=1)
    ax.plot(grid, grid ** 2, color="k", lw=0.8, ls="--", label="true pain a², a (1-a)²")
    ax.plot(grid, (1 - grid) ** 2, color="k", lw=0.8, ls="--")
    ax.set_xlabel("action a_t fed to M (history of the test episode held fixed)")
    ax.set_ylabel("M's predicted pain at step t")
    ax.set_title("M's pain landscape: its minimum sits at the latch value,\n"
                 "so d(predicted pain)/da pushes C's output towards the target", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    test = fixed_test_set(cfg, args.seed)
    out, _ = trained(flip_flop, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter(cfg, test))
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out["history"], args.outdir / "training_curves.png")
    plot_episode(cfg, out["C"], out["M"], test, args.outdir / "test_episode.png")
    plot_weights(out["C"], out["M"], args.outdir / "weights.png")
    plot_landscape(cfg, out["C"], out["M"], test, args.outdir / "pain_landscape.png")
    print(f"wrote 4 PNGs to {args.outdir}")
    return 0


# >>> snippet: pictures (canonical: snippets/pictures.py; edit there, then run python3 -m catalog.snippets)
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
