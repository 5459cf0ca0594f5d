"""Animated GIF of training: run 0's flag choice for both cues, M's predicted reinforcement, all runs' test success.

    python3 make_pomdp_flag_maze_gif.py --seed 0           # writes pomdp_flag_maze.gif next to this script
    python3 make_pomdp_flag_maze_gif.py --smoke --out /tmp/pfm.gif
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
from pomdp_flag_maze import SMOKE, Config, fixed_test_set  # noqa: E402
from visualize_pomdp_flag_maze import FRAMES, GRID, SMOKE_FRAMES, draw_maze, frame_steps, snapshotter  # noqa: E402


def render(cfg, snap, total):
    ep, cue = snap["ep"], snap["cue"]
    fig = plt.figure(figsize=(9, 5.2))
    gs = fig.add_gridspec(2, 3, height_ratios=[1.1, 1])
    for j in range(2):
        draw_maze(fig.add_subplot(gs[0, j]), cfg.corridor, cue[j], ep["mu"][-1, j], f"run 0, cue {int(cue[j]):+d}")
    ax = fig.add_subplot(gs[0, 2])
    for j, col in ((0, "#2980b9"), (1, "#c0392b")):
        ax.plot(GRID, ep["land"][:, j], color=col, label=f"cue {int(cue[j]):+d}")
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_ylim(-1.4, 1.4)
    ax.set_xlabel("action at junction (> 0: top)", fontsize=8)
    ax.set_title("M's predicted pleasure - pain", fontsize=8)
    ax.legend(fontsize=7)
    ax2 = fig.add_subplot(gs[1, :])
    if snap["upd"]:
        eps = (np.array(snap["upd"]) + 1) * cfg.batch
        T = np.array(snap["test"])
        for r in range(T.shape[1]):
            ax2.plot(eps, T[:, r], color="#8e44ad" if r == 0 else "#bbb", lw=2 if r == 0 else 0.8,
                     zorder=3 if r == 0 else 1)
        n_full = int(np.sum(T[-1] >= 1.0))
    else:
        n_full = 0
    ax2.set_xlim(0, total * cfg.batch)
    ax2.set_ylim(0, 1.05)
    ax2.axhline(0.5, color="k", ls=":", lw=1)
    ax2.set_xlabel("training episodes per run")
    ax2.set_ylabel("test success")
    ax2.set_title(f"episode {(snap['step'] + 1) * cfg.batch} of {total * cfg.batch}: "
                  f"{n_full}/{cfg.runs} runs at 100% (run 0 purple)", fontsize=9)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig_image(fig)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "pomdp_flag_maze.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),))
    cfg = Config(**SMOKE) if args.smoke else Config()
    test = fixed_test_set(cfg, args.seed)
    _, snaps = trained(pomdp_flag_maze, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                       snapshotter(cfg, test))
    save_gif([render(cfg, s, cfg.episodes // cfg.batch) for s in snaps], args.out, fps=args.fps)
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
