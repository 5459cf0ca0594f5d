"""Static figures of one nbb-moving-light training run (100 nets in lock-step; net 0 is the worked example).

    python3 visualize_nbb_moving_light.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_nbb_moving_light.py --smoke --outdir /tmp/nbbml
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import nbb_moving_light  # noqa: E402
from nbb_moving_light import SMOKE, Config, frozen_trace  # noqa: E402

PICTURE_RUN = dict(nets=100, log_every=5, max_cycles=1500)   # the pictures' run: headline Config, 100 nets
FRAMES, SMOKE_FRAMES = 40, 6                                   # the GIF's snapshots of net 0
SEQ_NAMES = ("left to right -> A", "right to left -> B")


def picture_config(smoke):
    return Config(**(SMOKE if smoke else PICTURE_RUN))


def frame_steps(cfg, frames):
    """The cycles the GIF shows: dense early, sparser later (geometric)."""
    return np.unique(np.geomspace(1, cfg.max_cycles, frames).astype(int)).tolist()


def snapshotter():
    def snapshot(step, state):
        return dict(step=step, W=state["W"][0].copy(), per=state["per"][0].copy(),
                    solved=int(np.isfinite(state["stable"]).sum()), nets=len(state["stable"]))
    return snapshot


def unit_names(cfg):
    return ["on"] + [f"cell {i + 1}" for i in range(cfg.cells)] + ["out A", "out B"]


def draw_weights(ax, W, lay, cfg, vmax=None):
    names = unit_names(cfg)
    src = np.arange(lay["n"])
    dst = lay["outputs"]
    M = W[np.ix_(src, dst)]
    im = ax.imshow(M, cmap="viridis", vmin=0, vmax=vmax if vmax else M.max(), aspect="auto")
    ax.set_xticks(range(len(dst)))
    ax.set_xticklabels([names[j] for j in dst], fontsize=8)
    ax.set_yticks(range(len(src)))
    ax.set_yticklabels(names, fontsize=7 if cfg.cells > 8 else 8)
    ax.axhline(lay["n_in"] - 0.5, color="w", lw=1.5)
    ax.set_xlabel("to output")
    ax.set_ylabel("from unit (below the line: recurrent)")
    if cfg.cells <= 8:
        for i in range(M.shape[0]):
            for j in range(M.shape[1]):
                ax.text(j, i, f"{M[i, j]:.3f}", ha="center", va="center", fontsize=7,
                        color="w" if M[i, j] < 0.6 * M.max() else "k")
    return im


def plot_curves(cfg, out, path):
    h = out["hist"]
    steps = np.array(h["step"])
    nc = np.array(h["n_correct"])
    sub = np.array(h["substance"])
    fig, axs = plt.subplots(3, 1, figsize=(8, 7.5), sharex=True)
    axs[0].plot(steps, nc[:, 0], color="#2c3e50", lw=0.8, label="net 0")
    axs[0].plot(steps, nc.mean(1), color="#e67e22", lw=1.2, label=f"mean over {nc.shape[1]} nets")
    s0 = out["stable"][0]
    if np.isfinite(s0):
        for ax in axs:
            ax.axvline(s0, color="#8e44ad", ls="--", lw=1)
        axs[0].text(s0, 2.15, f" net 0 solved ({int(s0)} cycles)", color="#8e44ad", fontsize=8)
    axs[0].set_ylim(-0.2, 2.6)
    axs[0].set_ylabel("sequences right (of 2),\nfrozen test")
    axs[0].legend(fontsize=8, loc="lower right")
    axs[0].set_title(f"bucket brigade on the moving light ({cfg.cells}-cell retina): learning by substance flow")
    axs[1].plot(steps, sub[:, 0], color="#2c3e50", lw=0.8, label="net 0")
    axs[1].plot(steps, sub.mean(1), color="#e67e22", lw=1.2, label="mean")
    axs[1].set_ylabel("total weight substance")
    axs[1].legend(fontsize=8)
    st, fd = out["stable"], out["find"]
    axs[2].plot(steps, [(fd <= s).mean() for s in steps], color="#27ae60", label="first right frozen test")
    axs[2].plot(steps, [(st <= s).mean() for s in steps], color="#8e44ad",
                label=f"solved (right {cfg.hold} cycles in a row)")
    axs[2].set_ylabel("fraction of nets")
    axs[2].set_xlabel("cycles (sequence presentations)")
    axs[2].set_xscale("log")
    axs[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_distribution(cfg, out, path):
    st = out["stable"] / 2
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    bins = np.geomspace(1, cfg.max_cycles / 2, 40)
    ax.hist(st[np.isfinite(st)], bins=bins, color="#8e44ad", alpha=0.7,
            label=f"solved: {np.isfinite(st).sum()}/{len(st)} nets, mean {np.nanmean(st):.0f}, median {np.nanmedian(st):.0f}")
    ax.axvline(223, color="k", ls="--", lw=1)
    ax.text(223, ax.get_ylim()[1] * 0.9, " paper: mean 223", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("cycles per sequence to a solution (cycles / 2)")
    ax.set_ylabel("nets")
    ax.set_title(f"cycles per sequence over {len(st)} nets", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weights(cfg, out, path):
    fig, ax = plt.subplots(figsize=(4.8, 4.6))
    im = draw_weights(ax, out["W"][0], out["lay"], cfg)
    fig.colorbar(im, ax=ax, fraction=0.06, label="weight")
    ax.set_title(f"net 0 weights after {out['steps']} cycles", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_trace(axs, cfg, lay, X, W):
    xs = frozen_trace(W[None], lay, X)[:, 0]        # (T, S, n)
    names = unit_names(cfg)
    for s in range(2):
        ax = axs[s]
        ax.imshow(xs[:, s, :].T, cmap="Greys", vmin=0, vmax=1.4, aspect="auto")
        ax.axhline(lay["n_in"] - 0.5, color="#3498db", lw=1)
        ax.axvspan(X.shape[1] - 1.5, X.shape[1] - 0.5, color="#f1c40f", alpha=0.3)
        want = lay["outputs"][s]
        ax.add_patch(plt.Rectangle((-0.5, want - 0.5), X.shape[1], 1, fill=False, ec="#27ae60", lw=1.5))
        ax.set_title(SEQ_NAMES[s], fontsize=9)
        ax.set_xticks(range(X.shape[1]))
        ax.set_xticklabels(range(1, X.shape[1] + 1), fontsize=7)
        ax.set_xlabel("tick")
        ax.set_yticks(range(lay["n"]))
        ax.set_yticklabels(names, fontsize=7)


def plot_firing(cfg, out, path):
    fig, axs = plt.subplots(1, 2, figsize=(7.5, 3.8))
    draw_trace(axs, cfg, out["lay"], out["X"], out["W"][0])
    fig.suptitle("net 0, frozen: active units per tick (black); green box: the output that must win; "
                 "yellow: the judged tick", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = picture_config(args.smoke)
    out, _ = trained(nbb_moving_light, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter())
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out, args.outdir / "learning_curves.png")
    plot_distribution(cfg, out, args.outdir / "cycles.png")
    plot_weights(cfg, out, args.outdir / "weights.png")
    plot_firing(cfg, out, args.outdir / "firing.png")
    print(f"wrote {sorted(q.name for q in args.outdir.glob('*.png'))} to {args.outdir}")
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
