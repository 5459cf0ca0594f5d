"""Animated GIF of one random search: each frame is one weight guess on the training sequences.

    python3 make_rs_two_sequence_gif.py --seed 0         # writes rs_two_sequence.gif next to this script
    python3 make_rs_two_sequence_gif.py --smoke --out /tmp/rs2.gif
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
                             rng_streams, sample_guesses, stream_names)


def render(cfg, trial, W, data, scores, upto, solved):
    X, lengths, y = data
    pick = np.r_[0:10]
    o, A = forward(W[None], X[pick], lengths[pick], cfg, record=True)
    H = A.shape[-1] - 1
    fig, axs = plt.subplots(2, 1, figsize=(7.2, 4.8), gridspec_kw=dict(height_ratios=[1.6, 1]))
    for i, s in enumerate(pick):
        L = lengths[s]
        c = "#2980b9" if y[s] == 1.0 else "#c0392b"
        axs[0].plot(np.arange(L), A[:L, 0, i, H], color=c, lw=1)
        axs[0].plot([L - 1], [o[0, i]], "o", color=c, ms=5)
    for tgt in (0.0, 1.0):
        axs[0].axhspan(tgt - cfg.tol, tgt + cfg.tol, color="#27ae60", alpha=0.15, lw=0)
    axs[0].set_ylim(-0.05, 1.05)
    axs[0].set_ylabel("output unit", fontsize=8)
    axs[0].set_xlabel("time step of 10 training sequences (red: target 0, blue: target 1)", fontsize=8)
    title = f"guess {trial}: {scores[trial - 1]}/{cfg.n_train} training sequences correct"
    axs[0].set_title(title + ("   SOLVED" if solved else ""), fontsize=10,
                     color="#27ae60" if solved else "k")
    t = np.arange(1, upto + 1)
    axs[1].plot(t, scores[:upto], ".", ms=2, color="#7f8c8d", label="score of each guess")
    axs[1].plot(t, np.maximum.accumulate(scores[:upto]), color="#2c3e50", lw=1.5, label="best so far")
    axs[1].set_xlim(1, len(scores))
    axs[1].set_ylim(-3, cfg.n_train + 3)
    axs[1].set_xlabel("trial (weight guess)", fontsize=8)
    axs[1].set_ylabel("correct", fontsize=8)
    axs[1].legend(fontsize=7, loc="center right")
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    return fig_image(fig, dpi=90)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "rs_two_sequence.gif", (
        ("--fps", dict(type=float, default=4.0, help="frames per second (default 4)")),
        ("--frames", dict(type=int, default=30, help="number of guesses shown (default 30)"))))
    cfg = Config(**SMOKE) if args.smoke else Config()
    if args.smoke:
        args.frames = min(args.frames, 4)
    # the first search of the run: the same streams as train(cfg, seed)'s search 1
    rngs = rng_streams(args.seed, list(stream_names(0)))
    tr, gu, _ = (rngs[s] for s in stream_names(0))
    data = make_sequences(tr, cfg.n_train, cfg)
    mask = connection_mask(cfg)
    scores, Ws = [], []
    while len(scores) < cfg.max_trials:          # every guess, scored on the full training set
        W = sample_guesses(gu, min(cfg.batch, cfg.max_trials - len(scores)), cfg, mask)
        sc = n_correct(W, data, cfg)
        Ws.append(W)
        scores.extend(sc.tolist())
        if (sc == cfg.n_train).any():
            break
    scores = np.array(scores)
    W = np.concatenate(Ws)
    hits = np.flatnonzero(scores == cfg.n_train)
    last = int(hits[0]) + 1 if hits.size else len(scores)
    shown = np.unique(np.r_[np.geomspace(1, last, args.frames).astype(int), last])
    frames = [render(cfg, int(k), W[k - 1], data, scores, int(k), hits.size > 0 and k == last) for k in shown]
    save_gif(frames, args.out, fps=args.fps, hold_s=3.0)
    print(f"search solved at guess {last}" if hits.size else "no solution within max_trials")
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
