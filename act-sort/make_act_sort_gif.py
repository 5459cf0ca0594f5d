"""Animated GIF of training: per-length sorting accuracy and ponder on fixed test sequences, as ACT learns.

    python3 make_act_sort_gif.py --seed 0             # writes act_sort.gif next to this script
    python3 make_act_sort_gif.py --smoke --out /tmp/as.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import act_sort  # noqa: E402
from act_sort import SMOKE, Config  # noqa: E402
from visualize_act_sort import FRAMES, SMOKE_FRAMES, frame_steps, snapshotter  # noqa: E402


def render(cfg, snap, total, pond_max):
    Ts, acc, pin, pout = snap["len"]
    fig, axs = plt.subplots(2, 1, figsize=(7.2, 5.0), gridspec_kw=dict(height_ratios=[1.3, 1]))
    axs[0].bar(Ts, acc, color="#2c3e50", alpha=0.8, label="sequences fully sorted")
    axs[0].set_ylim(0, 1.05)
    axs[0].set_ylabel("test sequence accuracy")
    axs[0].set_xlabel("numbers in the sequence (T)", fontsize=8)
    ax2 = axs[0].twinx()
    ax2.plot(Ts, pin, color="#2980b9", marker="o", ms=3, label="ponder, input steps")
    ax2.plot(Ts, pout, color="#c0392b", marker="s", ms=3, label="ponder, output steps")
    ax2.set_ylim(0, pond_max)
    ax2.set_ylabel("ponder N + R")
    h1, l1 = axs[0].get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    axs[0].legend(h1 + h2, l1 + l2, fontsize=7, loc="upper right")
    axs[0].set_title(f"sorting {cfg.min_len}-{cfg.max_len} numbers with ACT: update {snap['step']} / {total}",
                     fontsize=10)
    h = snap["hist"]
    axs[1].plot(h["step"], h["test_seq_acc"], color="#2c3e50", label="test sequence accuracy")
    axs[1].set_xlim(0, total)
    axs[1].set_ylim(0, 1.02)
    axs[1].set_xlabel("Adam update", fontsize=8)
    axs[1].grid(alpha=0.3)
    a3 = axs[1].twinx()
    a3.plot(h["step"], h["test_ponder"], color="#c0392b", label="mean ponder per step")
    a3.set_ylim(0, pond_max)
    h1, l1 = axs[1].get_legend_handles_labels()
    h2, l2 = a3.get_legend_handles_labels()
    axs[1].legend(h1 + h2, l1 + l2, fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig_image(fig, dpi=90)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "act_sort.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),
        ("--frames", dict(type=int, default=FRAMES, help=f"number of training snapshots (default {FRAMES})"))))
    cfg = Config(**SMOKE) if args.smoke else Config()
    frames = min(args.frames, SMOKE_FRAMES) if args.smoke else args.frames
    _, snaps = trained(act_sort, cfg, args.seed, frame_steps(cfg, frames), snapshotter(cfg, args.seed))
    pond_max = max(4.0, 1.2 * max(max(s["len"][2].max(), s["len"][3].max()) for s in snaps))
    save_gif([render(cfg, s, cfg.steps, pond_max) for s in snaps], args.out, fps=args.fps)
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
