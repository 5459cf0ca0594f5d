"""Static figures of one predictability-minimization run (the headline: on-line, 2 code units).

    python3 visualize_predictability_min_binary_factors.py --seed 0      # writes viz/*.png next to this script
    python3 visualize_predictability_min_binary_factors.py --smoke --outdir /tmp/pm
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import predictability_min_binary_factors as pm  # noqa: E402
from predictability_min_binary_factors import SMOKE, Config, setup  # noqa: E402

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd")


def frame_steps(cfg):
    """The checks the GIF and the trajectory plot keep: every check (every eval_every presentations)."""
    return list(range(0, setup(cfg)["budget"] + 1, cfg.eval_every))


def snapshot(step, state):
    """Trial 0's code of every input pattern, its predictors' outputs and the history so far (copies)."""
    c = state["cache"]
    h = state["hist"]
    return dict(step=step, Y=c["Y"][0].copy(), P=c["P"][0].copy(),
                hist=dict(step=list(h["step"]), ep=[float(v[0]) for v in h["ep"]],
                          var=[float(v[0]) for v in h["var"]], distinct=[int(v[0]) for v in h["distinct"]],
                          binary=[bool(v[0]) for v in h["binary"]]))


def pattern_labels(X):
    return ["".join(str(int(v)) for v in row) if X.shape[1] <= 4 else f"e{int(np.argmax(row))}" for row in X]


def plot_curves(cfg, out, snaps, path):
    h = snaps[-1]["hist"]
    step = np.array(h["step"])
    fig, axs = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    axs[0].plot(step, h["ep"], color="#2c3e50", label="predictors' error E_P = V_C (what the code units maximise)")
    axs[0].plot(step, h["var"], color="#e67e22", ls="--", label="code units' variance  ½ Σ (y − ȳ)²  (per pattern)")
    axs[0].axhline(0.25, color="k", lw=0.6, ls=":")
    axs[0].text(step[-1], 0.25, " 0.25: two balanced binary\n unpredictable units", va="center", fontsize=7)
    axs[0].set_ylabel("mean per pattern")
    axs[0].legend(fontsize=8, loc="upper left")
    axs[0].set_title(f"{cfg.experiment}: on-line predictability minimization, seed 0 "
                     f"(factorial code at presentation {int(out['first'][0]) if np.isfinite(out['first'][0]) else 'never'})",
                     fontsize=10)
    axs[1].step(step, h["distinct"], where="post", color="#8e44ad", label="distinct code words (of the input patterns)")
    axs[1].step(step, np.array(h["binary"], float) * len(out["X"]), where="post", color="#27ae60", ls="--",
                label=f"every unit binary (within {cfg.tol:g} of 0 or 1)  [shown as {len(out['X'])}]")
    axs[1].set_ylim(0, len(out["X"]) + 0.8)
    axs[1].set_ylabel("code words")
    axs[1].set_xlabel("pattern presentations")
    axs[1].legend(fontsize=8, loc="lower right")
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_trajectory(cfg, out, snaps, path):
    X = out["X"]
    labels = pattern_labels(X)
    Ys = np.array([s["Y"] for s in snaps])          # (frames, m, n)
    fig, ax = plt.subplots(figsize=(5.8, 5.6))
    for p in range(len(X)):
        col = COLORS[p % len(COLORS)]
        ax.plot(Ys[:, p, 0], Ys[:, p, 1], color=col, lw=1, alpha=0.7)
        ax.plot(Ys[0, p, 0], Ys[0, p, 1], "o", color=col, ms=5, mfc="white")
        ax.plot(Ys[-1, p, 0], Ys[-1, p, 1], "o", color=col, ms=9, label=f"input {labels[p]}")
    for corner in ((0, 0), (0, 1), (1, 0), (1, 1)):
        ax.add_patch(plt.Rectangle((corner[0] - cfg.tol if corner[0] else -0.02, corner[1] - cfg.tol if corner[1] else -0.02),
                                   cfg.tol + 0.02, cfg.tol + 0.02, color="#bbbbbb", alpha=0.5, lw=0))
    ax.set_xlim(-0.04, 1.04)
    ax.set_ylim(-0.04, 1.04)
    ax.set_xlabel("code unit 1 activation y₁")
    ax.set_ylabel("code unit 2 activation y₂")
    ax.set_title(f"code of each input pattern over {snaps[-1]['step']} presentations\n"
                 "(open circle: start; filled: end; grey: within 0.05 of a corner)", fontsize=9)
    ax.legend(fontsize=8, loc="center", framealpha=0.9)
    ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_code(cfg, out, snaps, path):
    X = out["X"]
    labels = pattern_labels(X)
    Y, P = snaps[-1]["Y"], snaps[-1]["P"]
    m, n = Y.shape
    fig, axs = plt.subplots(1, 2, figsize=(9.5, 3.6), gridspec_kw=dict(wspace=0.45))
    for ax, M, title in ((axs[0], Y, "code units y_i (the code)"),
                         (axs[1], P, "predictors' outputs P_i (each from the other units)")):
        im = ax.imshow(M, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        for p in range(m):
            for i in range(n):
                ax.text(i, p, f"{M[p, i]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if M[p, i] < 0.6 else "black")
        ax.set_yticks(range(m))
        ax.set_yticklabels([f"input {s}" for s in labels], fontsize=8)
        ax.set_xticks(range(n))
        ax.set_xticklabels([f"unit {i + 1}" for i in range(n)], fontsize=8)
        ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=axs, shrink=0.8, label="activation")
    fig.suptitle(f"the code at presentation {snaps[-1]['step']}, where the criterion first holds; the on-line "
                 "predictors still chase the last patterns", fontsize=9)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, snaps = trained(pm, cfg, args.seed, frame_steps(cfg), snapshot)
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out, snaps, args.outdir / "training_curves.png")
    plot_trajectory(cfg, out, snaps, args.outdir / "code_trajectory.png")
    plot_code(cfg, out, snaps, args.outdir / "final_code.png")
    print(f"wrote 3 PNGs to {args.outdir}")
    return 0


# >>> snippet: pictures (canonical: snippets/pictures.py)
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
