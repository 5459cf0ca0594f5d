"""Static figures of pondernet-parity: learning curves of both halting rules on the in-range and the
extrapolation vectors, accuracy and inner steps against the number of non-zero entries, and
PonderNet's halting distribution p_n for vectors of increasing difficulty.

    python3 visualize_pondernet_parity.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_pondernet_parity.py --smoke --outdir /tmp/pp
"""
import dataclasses
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import pondernet_parity  # noqa: E402
from pondernet_parity import SMOKE, STREAMS, Config, ponder_forward, predict, rng_streams, sample_parity, train  # noqa: E402

COLORS = dict(pondernet="#2471a3", act="#c0392b")


FRAMES, SMOKE_FRAMES = 30, 4   # the GIF's training snapshots (--frames; capped with --smoke)


def frame_steps(cfg, frames):
    """The updates the GIF shows, evenly spaced."""
    return np.linspace(0, cfg.steps - 1, frames).astype(int).tolist()


def snapshotter(cfg, seed):
    """snapshot(step, state): the GIF's frame data (accuracy and inner steps per difficulty, the history so far)."""
    def snapshot(step, state):
        return dict(step=step + 1, diff=per_difficulty(cfg, state["P"], seed, n_per_k=150),
                    hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def per_difficulty(cfg, P, seed, n_per_k=400):
    """For k = 1..width non-zero entries: accuracy and mean inner steps on n_per_k fresh vectors each."""
    rng = rng_streams(seed, STREAMS)["eval"]
    ks = np.arange(1, cfg.width + 1)
    k = np.repeat(ks, n_per_k)
    x, y, _ = zip(*(sample_parity(rng, n_per_k, cfg.width, v, v) for v in ks))
    x, y = np.concatenate(x), np.concatenate(y)
    z, taken, _ = predict(P, x, cfg, rng_streams(seed, STREAMS)["sample"])
    ok = (z > 0) == (y > 0.5)
    acc = np.array([ok[k == v].mean() for v in ks])
    steps = np.array([taken[k == v].mean() for v in ks])
    return ks, acc, steps


def plot_curves(runs, path):
    fig, axs = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    cfg = runs["pondernet"][0]
    for rule, (c, out) in runs.items():
        h = out["history"]
        axs[0].plot(h["step"], h["in_acc"], color=COLORS[rule], label=f"{rule}: in range (1-{c.train_max_nonzero})")
        axs[0].plot(h["step"], h["ext_acc"], color=COLORS[rule], ls="--",
                    label=f"{rule}: extrapolation ({c.test_min_nonzero}-{c.width})")
        axs[1].plot(h["step"], h["in_steps"], color=COLORS[rule], label=f"{rule}: in range")
        axs[1].plot(h["step"], h["ext_steps"], color=COLORS[rule], ls="--", label=f"{rule}: extrapolation")
    axs[0].axhline(0.5, color="k", ls=":", lw=1)
    axs[0].set_ylim(0.3, 1.02)
    axs[0].set_ylabel("accuracy (1000 vectors)")
    axs[0].set_title(f"parity, width {cfg.width}: trained on 1-{cfg.train_max_nonzero} non-zero entries, "
                     f"{cfg.hidden} tanh units", fontsize=10)
    axs[0].legend(fontsize=7, loc="lower right")
    axs[1].set_ylabel("mean inner steps\n(PonderNet: expected; ACT: N + R)")
    axs[1].set_xlabel("Adam update")
    axs[1].legend(fontsize=7)
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_difficulty(runs, seed, path):
    fig, axs = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    cfg = runs["pondernet"][0]
    for rule, (c, out) in runs.items():
        ks, acc, steps = per_difficulty(c, out["P"], seed)
        axs[0].plot(ks, acc, color=COLORS[rule], marker="o", ms=4, label=rule)
        axs[1].plot(ks, steps, color=COLORS[rule], marker="o", ms=4, label=rule)
    for ax in axs:
        ax.axvspan(cfg.train_max_nonzero + 0.5, cfg.width + 0.5, color="#f5b041", alpha=0.15, lw=0)
        ax.grid(alpha=0.3)
    axs[0].axhline(0.5, color="k", ls=":", lw=1)
    axs[0].set_ylim(0.0, 1.05)
    axs[0].set_ylabel("accuracy")
    axs[0].legend(fontsize=8, loc="lower left")
    axs[0].set_title("shaded: difficulties never seen in training (400 fresh vectors per k)", fontsize=10)
    axs[1].set_ylabel("mean inner steps taken\n(PonderNet: sampled halting)")
    axs[1].set_xlabel("number of non-zero entries k")
    axs[1].set_xticks(np.arange(1, cfg.width + 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_halting(cfg, P, seed, path):
    rng = rng_streams(seed, STREAMS)["eval"]
    ks = np.unique(np.linspace(1, cfg.width, 6).round().astype(int))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    cmap = plt.get_cmap("viridis")
    for i, v in enumerate(ks):
        x, _, _ = sample_parity(rng, 200, cfg.width, v, v)
        c = ponder_forward(P, x.astype(P["Ws"].dtype), cfg)
        pn = np.zeros(len(c["S"]))
        for n in range(len(c["S"])):
            pn[n] = np.exp(c["logp"][n]).sum() / len(x)
        ls = "-" if v <= cfg.train_max_nonzero else "--"
        ax.plot(np.arange(1, len(pn) + 1), pn, color=cmap(i / max(len(ks) - 1, 1)), ls=ls, marker=".",
                label=f"k = {v}{' (unseen)' if v > cfg.train_max_nonzero else ''}")
    n = np.arange(1, cfg.max_steps + 1)
    ax.plot(n, cfg.lam_p * (1 - cfg.lam_p) ** (n - 1), color="k", ls=":", lw=1, label=f"geometric prior, lambda_p = {cfg.lam_p:g}")
    ax.set_xlabel("inner step n")
    ax.set_ylabel("mean halting probability p_n")
    ax.set_title("PonderNet: where the trained net halts, by difficulty (200 vectors per k)", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    args.outdir.mkdir(parents=True, exist_ok=True)
    base = Config(**SMOKE) if args.smoke else Config()
    runs = {}
    for rule in ("pondernet", "act"):
        c = dataclasses.replace(base, halting=rule)
        if c == base:   # the default rule: the run the GIF shows
            runs[rule] = (c, trained(pondernet_parity, c, args.seed,
                                     frame_steps(c, SMOKE_FRAMES if args.smoke else FRAMES),
                                     snapshotter(c, args.seed))[0])
        else:
            runs[rule] = (c, train(c, args.seed))
    plot_curves(runs, args.outdir / "curves.png")
    plot_difficulty(runs, args.seed, args.outdir / "accuracy_and_steps_by_difficulty.png")
    plot_halting(runs["pondernet"][0], runs["pondernet"][1]["P"], args.seed, args.outdir / "halting_distribution.png")
    print(f"wrote 3 figures to {args.outdir}")
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
