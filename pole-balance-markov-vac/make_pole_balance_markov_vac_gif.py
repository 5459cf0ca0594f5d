"""Animated GIF of learning: at each training snapshot, the controller balancing without noise, and the episode lengths so far.

    python3 make_pole_balance_markov_vac_gif.py --seed 0        # writes pole_balance_markov_vac.gif next to this script
    python3 make_pole_balance_markov_vac_gif.py --smoke --out /tmp/pb.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import pole_balance_markov_vac as stub  # noqa: E402
from pole_balance_markov_vac import HALF_LEN, SMOKE, X_FAIL, Config, greedy_episode  # noqa: E402
from visualize_pole_balance_markov_vac import START, frame_steps, snapshotter  # noqa: E402

ROLL = 500   # greedy steps shown per frame (10 s)


def render(cfg, snap, max_ep):
    xs, fs = greedy_episode(snap["C"], 0, START, ROLL)
    fig = plt.figure(figsize=(8, 5.4))
    ax0 = fig.add_axes([0.07, 0.55, 0.88, 0.36])
    ax1 = fig.add_axes([0.07, 0.09, 0.40, 0.34])
    ax2 = fig.add_axes([0.57, 0.09, 0.38, 0.34])
    # the cart-pole, stroboscopic: a pose every 50 steps, the last one solid
    for i in list(range(0, len(xs) - 1, 50)) + [len(xs) - 1]:
        x, th = xs[i, 0], xs[i, 2]
        last = i == len(xs) - 1
        al = 1.0 if last else 0.15
        ax0.add_patch(plt.Rectangle((x - 0.25, -0.12), 0.5, 0.24, color="#34495e", alpha=al))
        ax0.plot([x, x + 2 * HALF_LEN * np.sin(th)], [0.12, 0.12 + 2 * HALF_LEN * np.cos(th)],
                 color="#c0392b", lw=4 if last else 2, alpha=al)
    ax0.axhline(-0.12, color="k", lw=1)
    for b in (-X_FAIL, X_FAIL):
        ax0.axvline(b, color="k", ls=":", lw=1)
    ax0.set_xlim(-3.0, 3.0)
    ax0.set_ylim(-0.3, 1.3)
    ax0.set_aspect("equal")
    ax0.set_yticks([])
    ax0.set_xlabel("cart position x (m); track ends at ±2.4 m", fontsize=8)
    ok = len(fs) >= ROLL
    ax0.set_title(f"time step {snap['step']:,} of learning (episode {snap['episode']}): the controller without noise "
                  f"{'balances all' if ok else 'fails after'} {len(fs)} steps", fontsize=9)
    t = np.arange(len(xs)) * 0.02
    ax1.plot(t, np.degrees(xs[:, 2]), color="#c0392b", label="θ (deg)")
    ax1.plot(t, 5 * xs[:, 0], color="#2980b9", label="5·x (m)")
    ax1.axhline(12, color="k", ls=":", lw=1)
    ax1.axhline(-12, color="k", ls=":", lw=1)
    ax1.set_xlim(0, ROLL * 0.02)
    ax1.set_ylim(-14, 14)
    ax1.set_xlabel("time (s) of the noise-free episode", fontsize=8)
    ax1.legend(fontsize=7, loc="lower left")
    L = np.asarray(snap["lengths"], dtype=float)
    if len(L):
        ax2.semilogy(np.arange(1, len(L) + 1), L, ".", ms=3, color="#7f8c8d")
    ax2.axhline(cfg.success_steps, color="#27ae60", ls=":", lw=1)
    ax2.set_xlim(0, max_ep + 1)
    ax2.set_ylim(5, 2 * cfg.success_steps)
    ax2.set_xlabel("training episode (with exploration noise)", fontsize=8)
    ax2.set_ylabel("steps balanced", fontsize=8)
    return fig_image(fig)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "pole_balance_markov_vac.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),))
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, snaps = trained(stub, cfg, args.seed, frame_steps(args.smoke), snapshotter(cfg))
    max_ep = max(len(out["lengths"][0]), 1)
    save_gif([render(cfg, s, max_ep) for s in snaps], args.out, fps=args.fps)
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
