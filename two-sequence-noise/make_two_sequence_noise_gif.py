"""Animated GIF of the headline training run: net 0's memory-cell states and output on 40 fixed test
sequences (coloured by class) as the nets learn to latch the class and ignore the noise; beside it,
every net's training error.

    python3 make_two_sequence_noise_gif.py --seed 0             # writes two_sequence_noise.gif next to this script
    python3 make_two_sequence_noise_gif.py --smoke --out /tmp/tsn.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import two_sequence_noise  # noqa: E402
from two_sequence_noise import SMOKE, VARIANTS, Config, init_params, net_streams, test_set  # noqa: E402
from visualize_two_sequence_noise import CLASS_COLORS, FRAMES, N_SHOW, SMOKE_FRAMES, frame_steps, snapshotter, trace  # noqa: E402


def render(cfg, snap, total):
    tr = snap["trace"]
    nc = tr["s"].shape[-1]
    fig, axs = plt.subplots(1, nc + 2, figsize=(2.5 * (nc + 1) + 3.4, 3.1),
                            gridspec_kw=dict(width_ratios=[1] * (nc + 1) + [1.35]))
    for c in range(nc):
        ax = axs[c]
        lim = max(1.0, float(np.abs(tr["s"][..., c]).max()) * 1.05)   # each cell on its own scale
        for k in range(tr["s"].shape[1]):
            Lk = tr["length"][k]
            ax.plot(np.arange(1, Lk + 1), tr["s"][:Lk, k, c], color=CLASS_COLORS[tr["cls"][k]], lw=0.6, alpha=0.6)
        ax.set_ylim(-lim, lim)
        ax.set_title(f"cell {c + 1}: state s_t", fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_xlabel("time step", fontsize=7)
    ax = axs[nc]
    for k in range(tr["o"].shape[1]):
        Lk = tr["length"][k]
        ax.plot(np.arange(1, Lk + 1), tr["o"][:Lk, k], color=CLASS_COLORS[tr["cls"][k]], lw=0.6, alpha=0.6)
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("output o_t", fontsize=8)
    ax.tick_params(labelsize=6)
    ax.set_xlabel("time step", fontsize=7)
    for c in range(2):
        axs[0].plot([], [], color=CLASS_COLORS[c], label=f"class {c + 1}")
    axs[0].legend(fontsize=6, loc="upper left")
    ax = axs[-1]
    h = snap["hist"]
    if len(h["seqs"]):
        e = np.array(h["train_mae"], dtype=float)
        for i in range(e.shape[1]):
            ax.plot(h["seqs"], e[:, i], lw=0.7, color=plt.cm.viridis(i / max(1, e.shape[1] - 1)))
    ax.axhline(VARIANTS[cfg.variant]["st2_mae"], color="k", ls=":", lw=0.7)
    ax.set_yscale("log")
    ax.set_ylim(3e-3, 1.0)
    ax.set_xlim(0, total)
    ax.set_title("training error |o - d|, all nets", fontsize=8)
    ax.set_xlabel("training sequences", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3)
    met = int(np.sum(np.asarray(snap["st2"]) > 0))
    fig.suptitle(f"2-sequence problem, Task {cfg.variant} (T={cfg.T}, N={cfg.N}): net 0 after {snap['seen']} "
                 f"training sequences; ST2 met by {met}/{len(snap['st2'])} nets", fontsize=8)
    fig.tight_layout()
    return fig_image(fig, dpi=80)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "two_sequence_noise.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),
        ("--frames", dict(type=int, default=FRAMES, help=f"number of training snapshots, at most (default {FRAMES})"))))
    cfg = Config(**SMOKE) if args.smoke else Config()
    frames = min(args.frames, SMOKE_FRAMES) if args.smoke else args.frames
    out, snaps = trained(two_sequence_noise, cfg, args.seed, frame_steps(cfg), snapshotter(cfg, args.seed, frames))
    P0 = init_params([st["init"] for st in net_streams(args.seed, cfg)], cfg)   # the untrained nets come first
    snaps = [dict(seen=0, trace=trace(cfg, P0, test_set(cfg, args.seed), list(range(N_SHOW))),
                  st2=np.full(cfg.n_nets, -1), hist=dict(seqs=[], train_mae=[]))] + snaps
    total = int(out["seen"])
    keep = np.unique(np.linspace(0, len(snaps) - 1, min(frames, len(snaps))).round().astype(int))
    save_gif([render(cfg, snaps[i], total) for i in keep], args.out, fps=args.fps)
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
