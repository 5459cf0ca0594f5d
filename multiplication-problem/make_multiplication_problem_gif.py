"""Animated GIF of training: one test sequence's cell states and 512 test predictions, snapshot by snapshot.

    python3 make_multiplication_problem_gif.py --seed 0             # writes multiplication_problem.gif next to this script
    python3 make_multiplication_problem_gif.py --smoke --out /tmp/ap.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import multiplication_problem  # noqa: E402
from multiplication_problem import SMOKE, Config, test_set  # noqa: E402
from visualize_multiplication_problem import frame_steps, snapshotter  # noqa: E402


def render(cfg, snap, test, total):
    X, lengths, target, pos = test
    k = 0
    L = lengths[k]
    fig = plt.figure(figsize=(8.4, 5.2))
    gs = fig.add_gridspec(2, 2, width_ratios=[1.6, 1], height_ratios=[1.2, 1])
    ax0, ax1, ax2 = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[:, 1]), fig.add_subplot(gs[1, 0])
    t = np.arange(L)
    S = snap["S"]
    for j in range(S.shape[1]):
        ax0.plot(t, S[:, j], lw=1.4, label=f"cell {j}")
    for p in pos[k]:
        ax0.axvline(p, color="#e67e22", ls=":", lw=1)
    ax0.set_title(f"{snap['seqs']:,} / {total:,} training sequences: cell states on one test sequence\n"
                  f"(orange: the marked steps; target {target[k]:.3f}, output {snap['o0']:.3f})", fontsize=9)
    ax0.set_xlabel("time step", fontsize=8)
    ax0.legend(fontsize=7, ncol=2, loc="upper right")
    ax0.grid(alpha=0.3)
    y, d = snap["y"], target[:len(snap["y"])]
    bad = np.abs(y - d) >= cfg.tol
    ax1.scatter(d[~bad], y[~bad], s=3, color="#2c3e50")
    ax1.scatter(d[bad], y[bad], s=3, color="#e74c3c")
    ax1.plot([0, 1], [0, 1], color="k", lw=0.6)
    ax1.fill_between([0, 1], [-cfg.tol, 1 - cfg.tol], [cfg.tol, 1 + cfg.tol], color="#27ae60", alpha=0.15)
    ax1.set_xlim(0, 1)
    ax1.set_ylim(0, 1)
    ax1.set_xlabel("target", fontsize=8)
    ax1.set_ylabel("output", fontsize=8)
    ax1.set_title(f"{len(y)} test sequences: {bad.sum()} wrong", fontsize=9)
    h = snap["hist"]
    ax2.plot(h["seqs"], np.asarray(h["window_ok"]) / cfg.window, color="#8e44ad",
             label=f"last {cfg.window} training seqs within {cfg.tol:g}")
    ax2.plot(h["seqs"], np.asarray(h["train_wrong"]), color="#c0392b", label="fraction wrong since last point")
    ax2.set_xlim(0, total)
    ax2.set_ylim(-0.02, 1.05)
    ax2.set_xlabel("training sequences", fontsize=8)
    ax2.legend(fontsize=7, loc="center right")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig_image(fig, dpi=90)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "multiplication_problem.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),
        ("--every", dict(type=int, default=0, help="snapshot every this many sequences (0: 120 over the budget)"))))
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, snaps = trained(multiplication_problem, cfg, args.seed, frame_steps(cfg), snapshotter(cfg, args.seed, args.smoke, args.every))
    last = snapshotter(cfg, args.seed, args.smoke)(out["seqs"], dict(P=out["P"], hist=out["history"]))
    snaps = snaps + [last]   # the trained net
    if len(snaps) > 30:   # keep 30 frames, denser early where the change is
        idx = np.unique(np.round(np.geomspace(1, len(snaps), 30)).astype(int) - 1)
        snaps = [snaps[i] for i in idx]
    test = test_set(cfg, args.seed)
    save_gif([render(cfg, s, test, out["seqs"]) for s in snaps], args.out, fps=args.fps)
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
