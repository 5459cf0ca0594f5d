"""Static figures of one chunker run at T = 1,200: learning curves, A's surprises along a test sequence, C's stream.

    python3 visualize_chunker_very_deep_1200.py --seed 0          # writes viz/*.png next to this script
    python3 visualize_chunker_very_deep_1200.py --smoke --outdir /tmp/cvd
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import chunker_very_deep_1200 as stub  # noqa: E402
from chunker_very_deep_1200 import SMOKE, Config, a_forward, fixed_test_set, label_predictions, surprises  # noqa: E402

FRAMES, SMOKE_FRAMES = 30, 5   # the GIF's training snapshots


def frame_steps(cfg, frames):
    """The updates the GIF shows: dense early (while A learns the filler), sparser later."""
    marks = np.unique(np.concatenate([[0], np.geomspace(1, cfg.updates - 1, frames)]).astype(int))
    return marks.tolist()


def probe(cfg, A, C, test):
    """A's worst prediction error per step and its surprises on two test sequences (the first with
    trigger a, the first with trigger x), and the labels C and A give them."""
    sym, lab, I = test
    show = [int(np.argmax(lab == 1)), int(np.argmax(lab == 0))]
    sub = I[:, list(show)]
    out = a_forward(A, sub)
    nI = cfg.n_filler + 2
    err = np.zeros(sub.shape[:2])
    err[1:] = np.abs(out["yp"][:-1] - sub[1:, :, :nI]).max(axis=2)
    err[0] = 1.0                                     # t = 0 always counts as a surprise
    err[-1] = np.maximum(err[-1], np.abs(out["yd"][-2, :, 0] - sub[-1, :, nI]))   # the label step
    S = surprises(out, sub, cfg.eps)
    lab_c, lab_a, _ = label_predictions(cfg, A, C, sub)
    return dict(err=err, S=S, sym=sym[:, list(show)], lab=lab[list(show)], lab_c=lab_c, lab_a=lab_a)


def snapshotter(cfg, test):
    def snapshot(step, state):
        return dict(step=step, probe=probe(cfg, state["A"], state["C"], test),
                    hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def plot_curves(cfg, hist, path):
    seqs = np.asarray(hist["seqs"])
    fig, axs = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    axs[0].plot(seqs, hist["label_acc"], color="#8e44ad", lw=2, label="system's label (C's prediction of the target)")
    axs[0].plot(seqs, hist["label_acc_a"], color="#e67e22", lw=1.5, ls="--", label="A's own label output")
    axs[0].axhline(0.5, color="grey", lw=0.8, ls=":")
    axs[0].set_ylim(-0.03, 1.05)
    axs[0].set_ylabel(f"label accuracy ({cfg.n_test} test seqs)")
    axs[0].set_title(f"1992 two-net chunker at T = {cfg.T}, filler noise p = {cfg.noise:g}: learning curves")
    axs[0].legend(fontsize=8, loc="lower right")
    axs[1].semilogy(seqs, hist["surprises"], color="#c0392b", lw=2, label="A's surprises per test sequence (fed to C)")
    axs[1].axhline(2, color="k", lw=0.8, ls=":", label="2 = trigger + label (the floor at p = 0)")
    axs[1].set_ylabel("surprises per sequence")
    axs[1].set_xlabel("training sequences")
    axs[1].legend(fontsize=8, loc="upper right")
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_probe(ax, cfg, pr, k, title):
    T = pr["err"].shape[0]
    t = np.arange(T)
    ax.semilogy(t, np.maximum(pr["err"][:, k], 1e-4), color="#2c3e50", lw=0.7, label="A's worst prediction error")
    s = np.nonzero(pr["S"][:, k])[0]
    ax.scatter(s, np.maximum(pr["err"][s, k], 1e-4), color="#c0392b", s=28, zorder=3,
               label=f"surprise -> C ({len(s)})")
    ax.axhline(cfg.eps, color="#c0392b", lw=0.8, ls="--", label=f"threshold eps = {cfg.eps:g}")
    ax.set_ylim(1e-4, 2.0)
    ax.set_xlim(-10, T + 10)
    trig = "a" if pr["lab"][k] == 1 else "x"
    ax.set_title(f"{title}: trigger {trig}, label {pr['lab'][k]}; C says {pr['lab_c'][k]:.2f}, "
                 f"A says {pr['lab_a'][k]:.2f}", fontsize=9)
    ax.set_ylabel("|prediction - input|")
    ax.legend(fontsize=7, loc="center right", framealpha=0.9)


def plot_sequence(cfg, pr, path):
    fig, axs = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for k in range(2):
        draw_probe(axs[k], cfg, pr, k, "test sequence")
    axs[1].set_xlabel(f"time step t (trigger at t = 0, label target at t = {cfg.T - 1})")
    fig.suptitle("End of training: A predicts the filler, so only the inputs marked red (of 1,200) reach C", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weights(A, C, path):
    fig, axs = plt.subplots(1, 3, figsize=(11, 3.6))
    for ax, (name, W) in zip(axs, (("A: recurrent U", A["U"]), ("C: input W", C["W"]),
                                   ("C: recurrent U", C["U"]))):
        v = float(np.abs(W).max())
        im = ax.imshow(W, cmap="RdBu_r", vmin=-v, vmax=v, aspect="auto")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("to hidden unit", fontsize=8)
        if name.startswith("C: input"):
            K = W.shape[0] - 3
            ax.set_yticks(range(W.shape[0]), ["a", "x"] + [f"b{i + 1}" for i in range(K)] + ["d"], fontsize=7)
        else:
            ax.set_ylabel("from hidden unit", fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    test = fixed_test_set(cfg, args.seed)
    out, _ = trained(stub, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter(cfg, test))
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out["hist"], args.outdir / "training_curves.png")
    plot_sequence(cfg, probe(cfg, out["A"], out["C"], test), args.outdir / "surprises.png")
    plot_weights(out["A"], out["C"], args.outdir / "weights.png")
    print(f"wrote 3 PNGs to {args.outdir}")
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
