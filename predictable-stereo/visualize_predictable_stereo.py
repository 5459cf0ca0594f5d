"""Static figures of one predictable-stereo run (seed 0, the headline config): learning curves of every trial,
the two nets' outputs on every strip pair, a (y1, y2) scatter, and the first-layer weights.

    python3 visualize_predictable_stereo.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_predictable_stereo.py --smoke --outdir /tmp/ps
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import predictable_stereo  # noqa: E402
from predictable_stereo import SMOKE, Config, encode, forward, stereo_table  # noqa: E402

FRAMES, SMOKE_FRAMES = 40, 4   # the GIF's training snapshots


def frame_steps(cfg, frames):
    """Pattern counts the GIF shows: evaluation points spaced geometrically over the run."""
    marks = np.geomspace(cfg.eval_every, cfg.max_patterns, frames)
    return sorted(set(int(np.ceil(m / cfg.eval_every) * cfg.eval_every) for m in marks))


def outputs_on_table(cfg, T, trial=0):
    """Both nets' outputs (2, N) of one trial on every strip pair, and the table (X, shift, amb, row)."""
    X, shift, amb, row = stereo_table(cfg.strip)
    x = np.broadcast_to(encode(X, cfg)[:, None, :], (X.shape[0], 2, X.shape[1]))
    Tt = {k: v[trial:trial + 1] for k, v in T.items()}
    y = forward(Tt, x[None])["y"][0, :, :, 0].T
    return y, (X, shift, amb, row)


def shown_trial(first):
    """The trial the GIF and outputs.png show: the first to meet the criterion, else trial 0."""
    done = np.flatnonzero(~np.isnan(first))
    return int(done[np.argmin(first[done])]) if len(done) else 0


def snapshotter(cfg):
    def snapshot(step, state):
        R = state["T"]["W1"].shape[0]
        y = np.stack([outputs_on_table(cfg, state["T"], r)[0] for r in range(R)])   # (R, 2, N)
        h = state["hist"]
        return dict(step=step, y=y, patterns=list(h["patterns"]), acc=np.array(h["acc"]).copy())
    return snapshot


def plot_curves(cfg, hist, first, path):
    p = np.asarray(hist["patterns"])
    acc = np.asarray(hist["acc"])                       # (n_eval, R)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for r in range(acc.shape[1]):
        ax.plot(p, acc[:, r], lw=0.8, alpha=0.5, color="#2980b9" if np.isnan(first[r]) else "#27ae60")
    ax.plot(p, np.median(acc, 1), lw=2.2, color="k", label="median over trials")
    ax.axhline(1.0, color="#27ae60", ls=":", lw=1)
    ax.set_ylim(0.45, 1.02)
    ax.set_xlabel("training patterns (pattern pairs presented to T1 and T2)")
    ax.set_ylabel("shift read from the thresholded outputs\n(fraction of unambiguous strip pairs, both nets)")
    k = int(np.sum(~np.isnan(first)))
    ax.set_title(f"{cfg.task}, {cfg.weights} weights, objective {cfg.objective}: {cfg.trials} trials, "
                 f"{k} meet the paper's criterion (green)", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_outputs(ax, cfg, y):
    X, shift, amb, _ = stereo_table(cfg.strip)
    order = np.lexsort((np.arange(len(shift)), shift))
    idx = np.arange(len(order))
    for net, mk, col in ((0, "o", "#c0392b"), (1, "x", "#2c3e50")):
        ax.scatter(idx, y[net, order], s=12, marker=mk, color=col, label=f"T{net + 1}", lw=1)
    ax.scatter(idx[amb[order]], np.full(amb.sum(), -0.08), marker="|", color="#7f8c8d", s=30,
               label="ambiguous pair (fits both shifts)")
    ax.axvline(len(order) / 2 - 0.5, color="k", lw=1)
    ax.axhline(0.5, color="k", lw=0.5, ls=":")
    ax.text(len(order) * 0.25, 1.08, "shift left", ha="center", fontsize=9)
    ax.text(len(order) * 0.75, 1.08, "shift right", ha="center", fontsize=9)
    ax.set_ylim(-0.15, 1.18)
    ax.set_xlabel(f"every strip pair a net can see ({len(order)}: {2 ** (cfg.strip + 2)} rows x 2 shifts)")
    ax.set_ylabel("output y")


def plot_outputs(cfg, T, first, path):
    """Trial 0 and the trial that met the criterion first (or the most accurate one), side by side."""
    best = shown_trial(first)
    trials = [0] if best == 0 else [0, best]
    fig, axs = plt.subplots(len(trials), 1, figsize=(9, 3.8 * len(trials)), squeeze=False)
    for ax, r in zip(axs[:, 0], trials):
        y, _ = outputs_on_table(cfg, T, r)
        draw_outputs(ax, cfg, y)
        state = (f"met the criterion after {int(first[r]):,} patterns" if not np.isnan(first[r])
                 else "never met the criterion")
        ax.set_title(f"trial {r} after training ({state}): each net's output on every strip pair, "
                     "sorted by the true shift", fontsize=9)
        ax.legend(fontsize=7, loc="center left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_scatter(cfg, T, path, n=400, seed=0):
    rng = np.random.default_rng(seed)
    x, s = predictable_stereo.sample_stereo(rng, n, cfg.strip, False)
    Tt = {k: v[:1] for k, v in T.items()}
    y = forward(Tt, encode(x, cfg)[None])["y"][0, :, :, 0]
    fig, ax = plt.subplots(figsize=(5, 5))
    jit = rng.normal(0, 0.008, y.shape)
    for v, col, name in ((0, "#2980b9", "shift left"), (1, "#e67e22", "shift right")):
        m = s[:, 0] == v
        ax.scatter(y[m, 0] + jit[m, 0], y[m, 1] + jit[m, 1], s=10, color=col, alpha=0.6, label=name)
    ax.plot([0, 1], [0, 1], color="k", lw=0.5, ls=":")
    ax.set_xlabel("y1 (T1 on strip 1)")
    ax.set_ylabel("y2 (T2 on strip 2)")
    ax.set_title(f"trial 0: {n} fresh stereo pairs (small jitter added)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weights(cfg, T, path):
    W1 = T["W1"][0]                                   # (L, I+1, H)
    vmax = np.abs(W1).max()
    fig, axs = plt.subplots(1, W1.shape[0], figsize=(4.5 * W1.shape[0] + 1, 4), squeeze=False)
    rows = [f"R{j}" for j in range(cfg.strip)] + [f"L{j}" for j in range(cfg.strip)] + ["bias"]
    for ax, W, name in zip(axs[0], W1, ("T1" if W1.shape[0] == 2 else "T1 = T2", "T2")):
        im = ax.imshow(W, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(rows, fontsize=8)
        ax.set_xlabel("hidden unit")
        ax.set_title(f"{name}: input -> hidden weights (trial 0)\nR = right-strip pixel, L = left-strip pixel",
                     fontsize=9)
    fig.colorbar(im, ax=axs[0].tolist(), shrink=0.8, label="weight")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, _ = trained(predictable_stereo, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter(cfg))
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out["history"], out["first"], args.outdir / "learning_curves.png")
    plot_outputs(cfg, out["T"], out["first"], args.outdir / "outputs.png")
    plot_scatter(cfg, out["T"], args.outdir / "scatter.png")
    plot_weights(cfg, out["T"], args.outdir / "weights.png")
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
