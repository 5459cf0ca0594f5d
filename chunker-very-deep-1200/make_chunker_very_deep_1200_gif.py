"""Animated GIF of training: A's surprises along a fixed T = 1,200 test sequence shrink to the trigger and the label.

    python3 make_chunker_very_deep_1200_gif.py --seed 0       # writes chunker_very_deep_1200.gif next to this script
    python3 make_chunker_very_deep_1200_gif.py --smoke --out /tmp/cvd.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import chunker_very_deep_1200 as stub  # noqa: E402
from chunker_very_deep_1200 import SMOKE, Config, fixed_test_set  # noqa: E402
from visualize_chunker_very_deep_1200 import FRAMES, SMOKE_FRAMES, draw_probe, frame_steps, snapshotter  # noqa: E402


def render(cfg, snap):
    fig, axs = plt.subplots(2, 1, figsize=(7.6, 5.2), gridspec_kw=dict(height_ratios=[1.4, 1]))
    draw_probe(axs[0], cfg, snap["probe"], 0, f"update {snap['step']:3d}")
    axs[0].set_xlabel(f"time step (trigger at 0, label at {cfg.T - 1})", fontsize=8)
    h = snap["hist"]
    seqs = np.asarray(h["seqs"])
    axs[1].plot(seqs, h["label_acc"], color="#8e44ad", lw=2, marker="o", ms=3, label="label accuracy (C)")
    axs[1].plot(seqs, h["label_acc_a"], color="#e67e22", lw=1.2, ls="--", marker=".", label="label accuracy (A alone)")
    ax2 = axs[1].twinx()
    ax2.semilogy(seqs, h["surprises"], color="#c0392b", lw=1.5, marker="s", ms=3, label="surprises / sequence")
    ax2.set_ylim(1, 2 * cfg.T)
    ax2.set_ylabel("surprises / seq", color="#c0392b", fontsize=8)
    axs[1].set_xlim(0, cfg.updates * cfg.batch)
    axs[1].set_ylim(-0.03, 1.05)
    axs[1].set_xlabel("training sequences", fontsize=8)
    axs[1].legend(fontsize=7, loc="center right")
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    return fig_image(fig)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "chunker_very_deep_1200.gif", (
        ("--fps", dict(type=float, default=4.0, help="frames per second (default 4)")),))
    cfg = Config(**SMOKE) if args.smoke else Config()
    test = fixed_test_set(cfg, args.seed)
    _, snaps = trained(stub, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                       snapshotter(cfg, test))
    save_gif([render(cfg, s) for s in snaps], args.out, fps=args.fps)
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
