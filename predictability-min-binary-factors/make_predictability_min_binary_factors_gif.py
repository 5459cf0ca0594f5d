"""Animated GIF of training: the code of each input pattern moving to the corners of the unit square.

    python3 make_predictability_min_binary_factors_gif.py --seed 0     # writes predictability_min_binary_factors.gif
    python3 make_predictability_min_binary_factors_gif.py --smoke --out /tmp/pm.gif
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
from predictability_min_binary_factors import SMOKE, Config  # noqa: E402
from visualize_predictability_min_binary_factors import COLORS, frame_steps, pattern_labels, snapshot  # noqa: E402


def render(cfg, out, snap, total):
    X = out["X"]
    labels = pattern_labels(X)
    Y, P = snap["Y"], snap["P"]
    fig, axs = plt.subplots(1, 2, figsize=(8.4, 4.2), gridspec_kw=dict(width_ratios=[1, 1.25]))
    ax = axs[0]
    for p in range(len(X)):
        col = COLORS[p % len(COLORS)]
        ax.plot(Y[p, 0], Y[p, 1], "o", color=col, ms=10, label=f"input {labels[p]}")
        ax.plot(P[p, 0], P[p, 1], "x", color=col, ms=7, mew=1.5)
    ax.set_xlim(-0.04, 1.04)
    ax.set_ylim(-0.04, 1.04)
    ax.set_aspect("equal")
    ax.set_xlabel("code unit 1  (o: y, x: its predictor's guess)", fontsize=8)
    ax.set_ylabel("code unit 2", fontsize=8)
    ax.legend(fontsize=7, loc="center", framealpha=0.85)
    ax.set_title(f"presentation {snap['step']:5d}", fontsize=10)
    h = snap["hist"]
    ax = axs[1]
    ax.plot(h["step"], h["ep"], color="#2c3e50", label="predictors' error (code units maximise it)")
    ax.plot(h["step"], np.array(h["distinct"]) / (4 * len(X)), color="#8e44ad", ls="--",
            label=f"distinct code words ÷ {4 * len(X)} (all {len(X)} distinct: 0.25)")
    ax.axhline(0.25, color="k", lw=0.6, ls=":")
    ax.set_xlim(0, total)
    ax.set_ylim(0, 0.3)
    ax.set_xlabel("pattern presentations", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    ax.set_title("mean per pattern (0.25: factorial binary code)", fontsize=9)
    fig.tight_layout()
    return fig_image(fig)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "predictability_min_binary_factors.gif", (
        ("--fps", dict(type=float, default=8.0, help="frames per second (default 8)")),))
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, snaps = trained(pm, cfg, args.seed, frame_steps(cfg), snapshot)
    total = snaps[-1]["step"]
    keep = snaps[:: max(1, len(snaps) // 60)] + ([snaps[-1]] if len(snaps) % max(1, len(snaps) // 60) != 1 else [])
    save_gif([render(cfg, out, s, total) for s in keep], args.out, fps=args.fps)
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
