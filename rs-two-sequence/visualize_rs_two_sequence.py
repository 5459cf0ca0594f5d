"""Static figures of random weight guessing on the 2-sequence problem.

    python3 visualize_rs_two_sequence.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_rs_two_sequence.py --smoke --outdir /tmp/rs2
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from rs_two_sequence import (SMOKE, Config, connection_mask, forward, make_sequences, n_correct,  # noqa: E402
                             rng_streams, sample_guesses, train)

PAPER_MEAN = 718


def plot_trials(cfg, out, path):
    """Empirical distribution of trials-to-solution over the searches, with the geometric law."""
    trials = np.sort([r["trials"] for r in out["results"] if r["W"] is not None])
    n = len(out["results"])
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.step(trials, np.arange(1, len(trials) + 1) / n, where="post", color="#2c3e50", lw=2,
            label=f"our {n} searches (seed 0)")
    p = len(trials) / out["guesses"]        # maximum-likelihood success probability per guess
    xs = np.geomspace(1, max(trials.max(), 10) * 2, 200)
    ax.plot(xs, 1 - (1 - p) ** xs, color="#e67e22", ls="--", label=f"geometric law, p = 1/{1 / p:.0f} per guess")
    ax.axvline(PAPER_MEAN, color="#c0392b", ls=":", lw=2, label=f"paper: mean {PAPER_MEAN} trials")
    ax.axvline(np.mean([r["trials"] for r in out["results"]]), color="#2c3e50", ls=":", lw=1.5,
               label="our mean")
    ax.set_xscale("log")
    ax.set_xlabel("trials (weight guesses) until every training sequence is classified")
    ax.set_ylabel("fraction of searches finished")
    ax.set_title(f"2-sequence problem, {cfg.len_min}-{cfg.len_max} steps, arch {cfg.arch}, "
                 f"{cfg.hidden_act} hidden, weights in [-{cfg.w_range:g}, {cfg.w_range:g}]", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_rollout(cfg, out, path):
    """The first search's solution on held-out test sequences: hidden and output activations."""
    r = next(r for r in out["results"] if r["W"] is not None)
    X, lengths, y = r["test"]
    pick = np.r_[0:8]
    o, A = forward(r["W"][None], X[pick], lengths[pick], cfg, record=True)
    H = A.shape[-1] - 1
    T = int(lengths[pick].max())
    fig, axs = plt.subplots(3, 1, figsize=(9, 7), sharex=True, gridspec_kw=dict(height_ratios=[1, 1.3, 1.3]))
    colors = np.where(y[pick] == 1.0, "#2980b9", "#c0392b")
    for i, s in enumerate(pick):
        L = lengths[s]
        axs[0].plot(np.arange(L), X[s, :L], color=colors[i], lw=0.5, alpha=0.6)
        axs[1].plot(np.arange(L), A[:L, 0, i, 0], color=colors[i], lw=1)
        axs[2].plot(np.arange(L), A[:L, 0, i, H], color=colors[i], lw=1)
        axs[2].plot([L - 1], [o[0, i]], "o", color=colors[i], ms=5)
    axs[0].set_ylabel("input")
    axs[0].set_title("the first search's solution on 8 held-out sequences "
                     "(red: first input +1, target 0; blue: first input -1, target 1)", fontsize=9)
    axs[1].set_ylabel(f"hidden unit 1 ({cfg.hidden_act})")
    axs[2].set_ylabel("output unit")
    for tgt in (0.0, 1.0):
        axs[2].axhspan(tgt - cfg.tol, tgt + cfg.tol, color="#27ae60", alpha=0.15, lw=0)
    axs[2].set_xlabel("time step (dots: the output at each sequence's end; green bands: |error| < tol)")
    axs[2].set_xlim(-5, T + 5)
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_guess_scores(cfg, out, seed, n_guesses, path):
    """How random guesses score on one training set, and where the solutions sit in weight space."""
    rng = rng_streams(seed, ("viz_guesses",))["viz_guesses"]
    mask = connection_mask(cfg)
    W = sample_guesses(rng, n_guesses, cfg, mask)
    data = out["results"][0]["train"]
    score = n_correct(W, data, cfg)
    ok = score == cfg.n_train
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2))
    axs[0].hist(score, bins=np.arange(cfg.n_train + 2) - 0.5, color="#7f8c8d")
    axs[0].set_yscale("log")
    axs[0].set_xlabel(f"training sequences classified correctly (of {cfg.n_train})")
    axs[0].set_ylabel("random guesses")
    axs[0].set_title(f"{n_guesses} fresh guesses on search 1's training set: {ok.sum()} solve it", fontsize=9)
    H = mask.shape[0] - 1
    # hidden unit 1's self-weight against its input weight (the latch needs both in the right range)
    x, z = W[:, 0, 2], W[:, 0, 0]
    axs[1].scatter(x[~ok], z[~ok], s=2, color="#bdc3c7", label="no solution")
    axs[1].scatter(x[ok], z[ok], s=14, color="#c0392b", label="solves all training sequences")
    axs[1].set_xlabel("hidden unit 1: self-connection weight")
    axs[1].set_ylabel("hidden unit 1: input weight")
    axs[1].set_title("solutions need a strong positive self-loop (a latch)", fontsize=9)
    axs[1].legend(fontsize=8, loc="lower left", markerscale=2)
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return H


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    out = train(cfg, args.seed)
    plot_trials(cfg, out, args.outdir / "trials_distribution.png")
    plot_rollout(cfg, out, args.outdir / "latch_rollout.png")
    plot_guess_scores(cfg, out, args.seed, 400 if args.smoke else 20000, args.outdir / "guess_scores.png")
    print(f"wrote {args.outdir}/trials_distribution.png, latch_rollout.png, guess_scores.png")
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
