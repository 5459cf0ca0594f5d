"""Animated GIF of C's training: fovea trajectories on fixed test starts while C learns through the frozen M.

    python3 make_saccadic_target_detection_gif.py --seed 0     # writes saccadic_target_detection.gif here
    python3 make_saccadic_target_detection_gif.py --smoke --out /tmp/std.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import saccadic_target_detection as std  # noqa: E402
from saccadic_target_detection import SMOKE, Config, test_starts  # noqa: E402
from visualize_saccadic_target_detection import (FRAMES, N_SHOW, SMOKE_FRAMES, draw_paths, draw_scene,  # noqa: E402
                                                 frame_steps, snapshotter, trajectories)


def render(cfg, snap, scene, starts, total):
    fig, axs = plt.subplots(1, 2, figsize=(9.6, 4.6), gridspec_kw=dict(width_ratios=[1.15, 1]))
    draw_scene(axs[0], scene)
    draw_paths(axs[0], cfg, scene, trajectories(cfg, snap["C"], scene, starts),
               f"C after {snap['step']} of {total} training trajectories")
    axs[0].set_xticks([])
    axs[0].set_yticks([])
    x, f = snap["curve"]
    axs[1].plot(x, f, color="#27ae60", marker="o", ms=4, clip_on=False)
    axs[1].set_xlim(0, total)
    axs[1].set_ylim(-0.03, 1.03)
    axs[1].set_xlabel("C's training trajectories (M frozen)")
    axs[1].set_ylabel("find rate on 100 test starts")
    axs[1].set_title("C learns from the final input error alone,\nback-propagated through copies of M", fontsize=9)
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    return fig_image(fig, dpi=80)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "saccadic_target_detection.gif", (
        ("--fps", dict(type=float, default=4.0, help="frames per second (default 4)")),
        ("--frames", dict(type=int, default=FRAMES, help=f"number of training snapshots (default {FRAMES})"))))
    cfg = Config(**SMOKE) if args.smoke else Config()
    frames = min(args.frames, SMOKE_FRAMES) if args.smoke else args.frames
    out, snaps = trained(std, cfg, args.seed, frame_steps(cfg, frames), snapshotter())
    scene = out["scene"]
    starts = test_starts(cfg, args.seed, scene)[0][0, :N_SHOW]
    save_gif([render(cfg, s, scene, starts, cfg.c_trajectories) for s in snaps], args.out, fps=args.fps)
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
