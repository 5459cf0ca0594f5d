"""Static figures of one nbb-xor training run (100 nets in lock-step; net 0 is the worked example).

    python3 visualize_nbb_xor.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_nbb_xor.py --smoke --outdir /tmp/nbbx
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import nbb_xor  # noqa: E402
from nbb_xor import SMOKE, Config, frozen_trace  # noqa: E402

PICTURE_RUN = dict(nets=100, log_every=10)   # the pictures' run: the headline Config, 100 nets, a history
FRAMES, SMOKE_FRAMES = 45, 6                 # the GIF's snapshots of net 0


def picture_config(smoke):
    return Config(**(SMOKE if smoke else PICTURE_RUN))


def frame_steps(cfg, frames):
    """The presentations the GIF shows: dense early, sparser later (geometric)."""
    return np.unique(np.geomspace(1, cfg.max_presentations, frames).astype(int)).tolist()


def snapshotter():
    def snapshot(step, state):
        return dict(step=step, W=state["W"][0].copy(), per=state["per"][0].copy(),
                    found=int(np.isfinite(state["find"]).sum()), nets=len(state["find"]))
    return snapshot


def unit_names(lay, cfg):
    names = ["bias"] + [f"x{i + 1}" for i in range(cfg.bits)]
    for s, idx in enumerate(lay["subsets"][:-1]):
        names += [f"h{s + 1}.{k + 1}" for k in range(len(idx))]
    return names + ["out A (odd)", "out B (even)"]


def pattern_names(X):
    return ["".join(str(int(v)) for v in row[1:]) for row in X]


def draw_weights(ax, W, lay, cfg, vmax=None):
    names = unit_names(lay, cfg)
    src = np.arange(lay["n"] - 2)
    dst = np.arange(lay["n_in"], lay["n"])
    M = np.where(lay["mask"][np.ix_(src, dst)] > 0, W[np.ix_(src, dst)], np.nan)
    im = ax.imshow(M, cmap="viridis", vmin=0, vmax=vmax if vmax else np.nanmax(M))
    ax.set_xticks(range(len(dst)))
    ax.set_xticklabels([names[j] for j in dst], rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(src)))
    ax.set_yticklabels([names[i] for i in src], fontsize=8)
    ax.set_xlabel("to unit j")
    ax.set_ylabel("from unit i")
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            if np.isfinite(M[i, j]):
                ax.text(j, i, f"{M[i, j]:.3f}", ha="center", va="center", fontsize=6.5,
                        color="w" if M[i, j] < 0.6 * np.nanmax(M) else "k")
    return im


def plot_curves(cfg, out, path):
    h = out["hist"]
    steps = np.array(h["step"])
    nc = np.array(h["n_correct"])            # (T, nets)
    sub = np.array(h["substance"])
    P = len(out["X"])
    fig, axs = plt.subplots(3, 1, figsize=(8, 7.5), sharex=True)
    axs[0].plot(steps, nc[:, 0], color="#2c3e50", lw=0.8, label="net 0")
    axs[0].plot(steps, nc.mean(1), color="#e67e22", lw=1.2, label=f"mean over {nc.shape[1]} nets")
    f0, s0 = out["find"][0], out["stable"][0]
    for v, lab, col, y, ha in ((f0, "net 0 finds a solution", "#27ae60", P + 0.15, "right"),
                               (s0, "net 0 stable", "#8e44ad", 0.3, "left")):
        if np.isfinite(v):
            for ax in axs:
                ax.axvline(v, color=col, ls="--", lw=1)
            axs[0].text(v, y, f" {lab} ({int(v)}) ", color=col, fontsize=8, ha=ha)
    axs[0].set_ylim(-0.2, P + 0.6)
    axs[0].set_ylabel(f"patterns right (of {P}),\nfrozen test")
    axs[0].legend(fontsize=8, loc="center left")
    axs[0].set_title(f"bucket brigade on XOR, hidden subsets {cfg.hidden}: learning by substance flow")
    axs[1].plot(steps, sub[:, 0], color="#2c3e50", lw=0.8, label="net 0")
    axs[1].plot(steps, sub.mean(1), color="#e67e22", lw=1.2, label="mean")
    axs[1].set_ylabel("total weight substance\n(sum of all weights)")
    axs[1].set_title("the substance drains until payments and refunds balance; solutions last from then on",
                     fontsize=9)
    axs[1].legend(fontsize=8)
    axs[2].plot(steps, np.array(h["found"]) / nc.shape[1], color="#27ae60", label="found a solution")
    st = out["stable"]
    axs[2].plot(steps, [(st <= s).mean() for s in steps], color="#8e44ad", label=f"stable (held {cfg.hold})")
    axs[2].set_ylabel("fraction of nets")
    axs[2].set_xlabel("pattern presentations (cycles of 6 ticks)")
    axs[2].set_xscale("log")
    axs[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_distribution(cfg, out, path):
    find, stable = out["find"], out["stable"]
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    bins = np.geomspace(10, cfg.max_presentations, 40)
    ax.hist(find[np.isfinite(find)], bins=bins, color="#27ae60", alpha=0.7,
            label=f"find: {np.isfinite(find).sum()}/{len(find)} nets, median {np.nanmedian(find):.0f}")
    if np.isfinite(stable).any():
        ax.hist(stable[np.isfinite(stable)], bins=bins, color="#8e44ad", alpha=0.5,
                label=f"stable: {np.isfinite(stable).sum()}/{len(stable)} nets, median of those {np.nanmedian(stable):.0f}")
    ax.axvline(619, color="k", ls="--", lw=1)
    ax.text(619, ax.get_ylim()[1] * 0.92, " paper: 619 (find)", fontsize=8)
    ax.axvline(674, color="k", ls=":", lw=1)
    ax.text(674, ax.get_ylim()[1] * 0.8, " 674 (stable)", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("pattern presentations (cycles)")
    ax.set_ylabel("nets")
    ax.set_title(f"presentations to a solution over {len(find)} nets (seed's lock-step batch)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weights(cfg, out, path):
    lay = out["lay"]
    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    im = draw_weights(ax, out["W"][0], lay, cfg)
    fig.colorbar(im, ax=ax, fraction=0.04, label="weight")
    ax.set_title(f"net 0 weights after {out['steps']} presentations (blank: no connection)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_firing(cfg, out, path):
    lay, X = out["lay"], out["X"]
    xs = frozen_trace(out["W"][0], lay, cfg, X)      # (ticks, P, n)
    names = unit_names(lay, cfg)
    P = len(X)
    fig, axs = plt.subplots(1, P, figsize=(2.2 * P, 3.6), sharey=True)
    rows = np.arange(lay["n"])
    for p in range(P):
        ax = axs[p]
        ax.imshow(xs[:, p, :].T, cmap="Greys", vmin=0, vmax=1.4, aspect="auto")
        ax.axvspan(cfg.ticks - cfg.judge_ticks - 0.5, cfg.ticks - 0.5, color="#f1c40f", alpha=0.2)
        want = lay["outputs"][out["target"][p]]
        ax.add_patch(plt.Rectangle((-0.5, want - 0.5), cfg.ticks, 1, fill=False, ec="#27ae60", lw=1.5))
        ax.set_title(f"input {pattern_names(X)[p]}", fontsize=9)
        ax.set_xticks(range(cfg.ticks))
        ax.set_xticklabels(range(1, cfg.ticks + 1), fontsize=7)
        ax.set_xlabel("tick")
    axs[0].set_yticks(rows)
    axs[0].set_yticklabels(names, fontsize=8)
    fig.suptitle("net 0, frozen: which unit fires at each tick (black); green box: the output that should win; "
                 "yellow: judged ticks", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = picture_config(args.smoke)
    out, _ = trained(nbb_xor, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter())
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out, args.outdir / "learning_curves.png")
    plot_distribution(cfg, out, args.outdir / "presentations.png")
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
