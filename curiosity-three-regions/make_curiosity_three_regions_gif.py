"""Animated GIF: the median world as the three explorers learn it (M's remaining error per state, where they go) and E(t).

    python3 make_curiosity_three_regions_gif.py --seed 0        # writes curiosity_three_regions.gif
    python3 make_curiosity_three_regions_gif.py --smoke --out /tmp/c3r.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import curiosity_three_regions as stub  # noqa: E402
from curiosity_three_regions import AGENTS  # noqa: E402
from visualize_curiosity_three_regions import (COLORS, FRAMES, SMOKE_FRAMES, frame_steps,  # noqa: E402
                                               median_world, picture_config, snapshotter)


def render(cfg, snap, prev, world, n_det, w, speedup):
    """One frame of world w: per explorer, M's remaining error per state, the visits since the last frame; E(t)."""
    side, runs = cfg.side, cfg.runs
    rand = world["rand_state"].reshape(side, side)
    fig = plt.figure(figsize=(12, 4.4))
    gs = fig.add_gridspec(1, 4, width_ratios=[1, 1, 1, 1.5])
    for i, ag in enumerate(AGENTS):
        ax = fig.add_subplot(gs[0, i])
        err = np.where(rand, np.nan, snap["err"][i, w].reshape(side, side))
        ax.imshow(np.full((side, side), 1.0), cmap="Greys", vmin=0, vmax=4)
        ax.imshow(np.ma.masked_invalid(err), cmap="Reds", vmin=0, vmax=0.25)
        ax.imshow(np.ma.masked_where(~rand, np.ones((side, side))), cmap="Greys", vmin=0, vmax=2.2)
        new = snap["counts"][i, w] - (prev["counts"][i, w] if prev is not None else 0)
        share = new.reshape(side, side) / max(new.sum(), 1)
        yy, xx = np.nonzero(share > 0)
        ax.scatter(xx, yy, s=2400 * share[yy, xx], color=COLORS[ag], alpha=0.8, edgecolor="k", lw=0.3)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{ag}\n{share[rand].sum():.0%} of recent steps in noise", fontsize=9, color=COLORS[ag])
    ax = fig.add_subplot(gs[0, 3])
    steps = np.array(snap["steps"])
    E = snap["E"][:, w::runs] / n_det
    for i, ag in enumerate(AGENTS):
        ax.plot(steps, E[:, i], color=COLORS[ag], lw=1.8, label=ag)
    ax.axhline(cfg.e_level, color="k", lw=0.8, ls=":")
    ax.set_xlim(0, cfg.steps)
    ax.set_ylim(cfg.e_level / 3, 0.3)
    ax.set_yscale("log")
    ax.set_xlabel("time step")
    ax.set_ylabel("E(t) / deterministic pairs")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3, which="both")
    ax.set_title("M's error on the deterministic reactions", fontsize=9)
    fig.suptitle(f"world {w} (speed-up {speedup:.2f}, the median of {runs} worlds), step {snap['step']}:\ngrey = random reactions; red = M's remaining error per "
                 f"deterministic state; dots = where each explorer went since the last frame", fontsize=9)
    fig.tight_layout()
    return fig_image(fig, dpi=80)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "curiosity_three_regions.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),))
    cfg = picture_config(args.smoke)
    out, snaps = trained(stub, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                         snapshotter(cfg))
    w = median_world(out)
    speedup = out["reached"][1, w] / out["reached"][0, w]
    frames, prev = [], None
    for snap in snaps:
        frames.append(render(cfg, snap, prev, out["world"], out["n_det"], w, speedup))
        prev = snap
    save_gif(frames, args.out, fps=args.fps)
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
