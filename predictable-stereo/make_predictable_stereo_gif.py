"""Animated GIF of training: both nets' outputs on every strip pair, and every trial's shift accuracy so far.

    python3 make_predictable_stereo_gif.py --seed 0             # writes predictable_stereo.gif next to this script
    python3 make_predictable_stereo_gif.py --smoke --out /tmp/ps.gif
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
from predictable_stereo import SMOKE, Config  # noqa: E402
from visualize_predictable_stereo import FRAMES, SMOKE_FRAMES, draw_outputs, frame_steps, shown_trial, snapshotter  # noqa: E402


def render(cfg, snap, trial):
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw=dict(width_ratios=[1.6, 1]))
    draw_outputs(axs[0], cfg, snap["y"][trial])
    axs[0].set_title(f"trial {trial} after {snap['step']:,} patterns: outputs on every strip pair", fontsize=10)
    axs[0].legend(fontsize=7, loc="center left")
    p, acc = np.asarray(snap["patterns"]), snap["acc"]
    for r in range(acc.shape[1]):
        axs[1].plot(p, acc[:, r], lw=1.6 if r == trial else 0.7, alpha=1.0 if r == trial else 0.4,
                    color="#27ae60" if r == trial else "#2980b9")
    axs[1].plot(p, np.median(acc, 1), lw=2, color="k", label="median")
    axs[1].set_xlim(0, cfg.max_patterns)
    axs[1].set_ylim(0.45, 1.02)
    axs[1].set_xlabel("training patterns")
    axs[1].set_ylabel("shift accuracy (thresholded outputs)")
    axs[1].set_title(f"{cfg.trials} trials, {cfg.weights} weights (green: the trial on the left)", fontsize=10)
    axs[1].grid(alpha=0.3)
    axs[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig_image(fig, dpi=72)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "predictable_stereo.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),
        ("--frames", dict(type=int, default=FRAMES, help=f"number of training snapshots (default {FRAMES})"))))
    cfg = Config(**SMOKE) if args.smoke else Config()
    frames = min(args.frames, SMOKE_FRAMES) if args.smoke else args.frames
    out, snaps = trained(predictable_stereo, cfg, args.seed, frame_steps(cfg, frames), snapshotter(cfg))
    trial = shown_trial(out["first"])
    save_gif([render(cfg, s, trial) for s in snaps], args.out, fps=args.fps)
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
