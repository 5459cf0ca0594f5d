"""Animated GIF of training: one fixed test episode (length 10, 5 repeats), re-run through the NTM at
snapshots while it learns; prediction against target, and the write / read weightings over memory.

    python3 make_ntm_repeat_copy_gif.py --seed 0             # writes ntm_repeat_copy.gif next to this script
    python3 make_ntm_repeat_copy_gif.py --smoke --out /tmp/ntm.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import ntm_repeat_copy  # noqa: E402
from ntm_repeat_copy import SMOKE, Config  # noqa: E402
from visualize_ntm_repeat_copy import frame_steps, snapshotter  # noqa: E402


SHIFT = 8  # weightings rolled by this many rows, so a head that wraps from location 0 to 127 stays in view


def window_of(snaps):
    """Rows (after the roll) that the heads of the final snapshot use, padded by 3: (lo, hi)."""
    tr = snaps[-1]["trace"]
    w = np.roll(np.maximum(tr["ww"].max(0), tr["wr"].max(0)), SHIFT)
    used = np.where(w > 0.05)[0]
    if not used.size:
        return 0, 40
    return max(used.min() - 3, 0), min(used.max() + 4, w.size)


def render(snap, total_seq, cfg, window):
    tr, L = snap["trace"], snap["trace"]["length"]
    T = tr["x"].shape[0]
    fig = plt.figure(figsize=(8, 5.2))
    gs = fig.add_gridspec(3, 2, height_ratios=[1.1, 1.6, 1.2])
    ax0 = fig.add_subplot(gs[0, :])
    pred = np.where(tr["mask"][:, None] > 0, tr["pred"], np.nan)
    img = np.vstack([tr["y"].T, np.full((1, T), np.nan), pred.T])
    ax0.imshow(img, aspect="auto", interpolation="nearest", cmap="gray_r", vmin=0, vmax=1)
    ax0.set_yticks([])
    ax0.axvline(L, color="tab:orange", lw=0.8)
    ax0.set_title(f"{snap['seq']:6d} training sequences: target (top) / prediction (bottom), "
                  f"{tr['cost']:.1f} bits, end marker {'right' if tr['end_ok'] else 'wrong'}", fontsize=9)
    lo, hi = window
    for j, (w, name) in enumerate(((tr["ww"], "write"), (tr["wr"], "read"))):
        ax = fig.add_subplot(gs[1, j])
        ax.imshow(np.roll(w, SHIFT, axis=1)[:, lo:hi].T, aspect="auto", interpolation="nearest", cmap="magma",
                  vmin=0, vmax=1, extent=(-0.5, T - 0.5, hi - SHIFT - 0.5, lo - SHIFT - 0.5))
        ax.set_title(f"{name} weighting, locations {lo - SHIFT}..{hi - SHIFT - 1} (-1 = 127)", fontsize=8)
        ax.set_xlabel("time step", fontsize=7)
        ax.tick_params(labelsize=6)
    ax = fig.add_subplot(gs[2, :])
    h = snap["hist"]
    ax.semilogy(h["sequences"], np.maximum(h["test_bits"], 1e-2), color="#c0392b")
    ax.set_xlim(0, total_seq)
    ax.set_ylim(1e-2, 2000)
    ax.set_ylabel("check bits/seq", fontsize=7)
    ax.set_xlabel("training sequences", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig_image(fig, dpi=80)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "ntm_repeat_copy.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),
        ("--every", dict(type=int, default=0, help="snapshot every this many updates (default: 2 x Config.hist_every)"))))
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, snaps = trained(ntm_repeat_copy, cfg, args.seed, frame_steps(cfg, args.every), snapshotter(cfg, args.seed, args.every))
    window = window_of(snaps)
    save_gif([render(s, out['updates'] * cfg.batch, cfg, window) for s in snaps], args.out, fps=args.fps)
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
