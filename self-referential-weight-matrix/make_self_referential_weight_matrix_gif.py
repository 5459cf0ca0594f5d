"""Animated GIF of training: the net's answers in one fixed episode per function, as W(1) is learned.

    python3 make_self_referential_weight_matrix_gif.py --seed 0
    python3 make_self_referential_weight_matrix_gif.py --smoke --out /tmp/srwm.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import self_referential_weight_matrix as srwm  # noqa: E402
from self_referential_weight_matrix import SMOKE, Config, forward, layout  # noqa: E402
from visualize_self_referential_weight_matrix import (FRAMES, SMOKE_FRAMES, draw_answers, example_episodes,  # noqa: E402
                                                      frame_steps, snapshotter)


def render(cfg, snap, episodes):
    fid, pat, d = episodes
    L = layout(cfg.hidden)
    c = forward(snap["W0"], pat, d, cfg)
    fig = plt.figure(figsize=(8.4, 5.2))
    gs = fig.add_gridspec(2, 4, height_ratios=[1, 1])
    for j in range(4):
        ax = fig.add_subplot(gs[0, j])
        draw_answers(ax, cfg, fid[j], pat[j], d[j], c["o"][j])
        if j == 0:
            ax.set_ylabel("answer o, target —", fontsize=8)
    ax = fig.add_subplot(gs[1, :2])
    h = snap["hist"]
    ax.plot(h["check_step"], h["query_acc"], color="#27ae60", marker=".", label="query acc (probe)")
    ax.plot(h["check_step"], h["support_acc"], color="#e67e22", marker=".", label="support acc (probe)")
    ax.set_xlim(0, cfg.steps)
    ax.set_ylim(0.3, 1.02)
    ax.set_xlabel("gradient update", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    ax = fig.add_subplot(gs[1, 2:])
    dW = np.abs(c["W"][-1] - c["W"][0]).mean(0).reshape(L["n_src"], L["N"])
    ax.imshow(dW, cmap="magma", aspect="auto", vmin=0)
    ax.set_title("|W(T) − W(1)|: what the net wrote into itself", fontsize=8)
    ax.set_xlabel("target unit", fontsize=7)
    ax.set_ylabel("source unit", fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.suptitle(f"update {snap['step']:4d} / {cfg.steps}: one episode per function; yellow = support "
                 "(the net hears its errors), then 4 queries\nbars: the net's answers o, black ticks: targets "
                 "(patterns x1x2 below)", fontsize=9)
    fig.tight_layout()
    return fig_image(fig)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "self_referential_weight_matrix.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),))
    cfg = Config(**SMOKE) if args.smoke else Config()
    _, snaps = trained(srwm, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES), snapshotter())
    episodes = example_episodes(cfg, args.seed)
    save_gif([render(cfg, s, episodes) for s in snaps], args.out, fps=args.fps)
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
