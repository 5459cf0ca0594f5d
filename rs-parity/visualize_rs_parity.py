"""Static figures of random weight guessing on parity, and of BPTT failing on the same net.

    python3 visualize_rs_parity.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_rs_parity.py --smoke --outdir /tmp/rsp
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

from rs_parity import SMOKE, Config, forward, train  # noqa: E402

PAPER_MEAN = 250


def plot_trials(cfg, out, path):
    """Empirical distribution of trials-to-solution over the searches, with the geometric law."""
    trials = np.sort([r["trials"] for r in out["results"] if r["W"] is not None])
    n = len(out["results"])
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.step(trials, np.arange(1, len(trials) + 1) / n, where="post", color="#2c3e50", lw=2,
            label=f"our {n} searches (seed 0)")
    p = len(trials) / out["guesses"]
    xs = np.geomspace(1, max(trials.max(), 10) * 2, 200)
    ax.plot(xs, 1 - (1 - p) ** xs, color="#e67e22", ls="--", label=f"geometric law, p = 1/{1 / p:.0f} per guess")
    ax.axvline(PAPER_MEAN, color="#c0392b", ls=":", lw=2, label=f"paper: mean {PAPER_MEAN} trials")
    ax.axvline(np.mean([r["trials"] for r in out["results"]]), color="#2c3e50", ls=":", lw=1.5, label="our mean")
    ax.set_xscale("log")
    ax.set_xlabel("trials (weight guesses) until every training sequence is classified")
    ax.set_ylabel("fraction of searches finished")
    ax.set_title(f"parity, {cfg.len_min}-{cfg.len_max} steps, arch {cfg.arch}, {cfg.hidden_act} hidden, "
                 f"weights in [-{cfg.w_range:g}, {cfg.w_range:g}]", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_rollout(cfg, out, path, steps=60):
    """The first search's solution on held-out sequences: the output unit tracks the running parity."""
    r = next(r for r in out["results"] if r["W"] is not None)
    X, lengths, y = r["test"]
    pick = np.r_[0:4]
    o, A = forward(r["W"][None], X[pick], lengths[pick], cfg, record=True)
    H = A.shape[-1] - 1
    fig, axs = plt.subplots(len(pick), 1, figsize=(10, 6.4), sharex=True)
    for i, s in enumerate(pick):
        L = lengths[s]
        run_par = np.cumsum(X[s, :L] == 1.0) % 2
        t = np.arange(steps)
        ax = axs[i]
        ax.bar(t, run_par[:steps], width=1.0, color="#27ae60", alpha=0.25, label="running parity so far")
        ax.plot(t, A[:steps, 0, i, H], color="#c0392b", lw=1.5, marker=".", ms=3, label="output unit")
        for tt in t:
            ax.text(tt, 1.08, "+" if X[s, tt] > 0 else "-", ha="center", fontsize=6, color="#555")
        ax.set_ylim(-0.05, 1.25)
        ax.set_ylabel(f"seq {s + 1}\nlen {L}", fontsize=8)
        ax.text(steps + 0.5, 0.5, f"... end (step {L}): output {o[0, i]:.3f}, target {y[s]:.0f}", fontsize=8,
                va="center")
        if i == 0:
            ax.legend(fontsize=7, loc="upper right", ncol=2)
            ax.set_title(f"the first search's solution on held-out sequences (first {steps} steps; "
                         "row of +/- = the inputs)", fontsize=9)
    axs[-1].set_xlabel("time step")
    axs[-1].set_xlim(-1, steps + 14)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_bptt(cfg, seed, lengths, runs, epochs, path):
    """BPTT on the same net: learning curves at a short length (it can learn) and at longer ones."""
    colors = ("#27ae60", "#e67e22", "#c0392b")
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2))
    for L, c in zip(lengths, colors):
        bc = dataclasses.replace(cfg, method="bptt", len_min=L, len_max=L, searches=runs, bptt_chunk=runs,
                                 bptt_epochs=epochs)
        res = train(bc, seed)["results"]
        acc = np.stack([r["hist"]["acc"] for r in res])
        solved = np.stack([r["hist"]["solved"] for r in res]).mean(axis=0)
        ep = np.arange(epochs)
        axs[0].plot(ep, acc.mean(axis=0), color=c, lw=2, label=f"length {L}: mean over {runs} runs")
        axs[0].fill_between(ep, acc.min(axis=0), acc.max(axis=0), color=c, alpha=0.15)
        axs[1].plot(ep, solved, color=c, lw=2, label=f"length {L}")
    axs[0].axhline(0.5, color="k", lw=0.6, ls=":")
    axs[0].set_ylabel("training sequences on the right side of 0.5")
    axs[0].set_title(f"BPTT (Adam {cfg.bptt_lr:g}) on the same net, arch {cfg.arch}: band = min..max", fontsize=9)
    axs[1].set_ylabel(f"fraction of runs meeting the criterion (every |error| < {cfg.tol:g})")
    axs[1].set_ylim(-0.03, 1.03)
    for ax in axs:
        ax.set_xlabel("epoch (full-batch update)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    out = train(cfg, args.seed)
    plot_trials(cfg, out, args.outdir / "trials_distribution.png")
    plot_rollout(cfg, out, args.outdir / "parity_rollout.png", steps=30 if args.smoke else 60)
    if args.smoke:
        plot_bptt(cfg, args.seed, (5, 20), 3, 10, args.outdir / "bptt_contrast.png")
    else:
        plot_bptt(cfg, args.seed, (5, 10, 50), 10, 1000, args.outdir / "bptt_contrast.png")
    print(f"wrote {args.outdir}/trials_distribution.png, parity_rollout.png, bptt_contrast.png")
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
