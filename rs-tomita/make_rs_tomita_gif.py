"""Animated GIF of one random search on Tomita grammar 1: each frame is one weight guess.

    python3 make_rs_tomita_gif.py --seed 0         # writes rs_tomita.gif next to this script
    python3 make_rs_tomita_gif.py --smoke --out /tmp/rst.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from rs_tomita import (SMOKE, Config, connection_mask, forward, make_sequences, n_correct,  # noqa: E402
                       rng_streams, sample_guesses, stream_names)


def render(cfg, trial, W, data, scores, solved, steps=40):
    X, lengths, y = data
    pick = np.r_[0:3]               # out, in, out of the language
    o, A = forward(W[None], X[pick], lengths[pick], cfg, record=True)
    H = A.shape[-1] - 1
    fig, axs = plt.subplots(4, 1, figsize=(7.2, 5.6), gridspec_kw=dict(height_ratios=[1, 1, 1, 1.3]))
    t = np.arange(steps)
    for i, s in enumerate(pick):
        axs[i].bar(t, (X[s, :steps] > 0) * 1.0, width=1.0, color="#bdc3c7")
        axs[i].plot(t, A[:steps, 0, i, H], color="#c0392b", lw=1.3, marker=".", ms=3)
        axs[i].set_ylim(-0.05, 1.05)
        axs[i].set_xticks([])
        axs[i].set_yticks([0, 1])
        ok = abs(o[0, i] - y[s]) < cfg.tol
        axs[i].set_ylabel(f"{'in' if y[s] else 'out'}", fontsize=8)
        axs[i].text(steps + 0.5, 0.5, f"end: {o[0, i]:.2f}\ntarget {y[s]:.0f} {'ok' if ok else 'x'}", fontsize=8,
                    va="center")
        axs[i].set_xlim(-1, steps + 8)
    axs[0].set_title(f"guess {trial}: {scores[trial - 1]}/{cfg.n_train} training sequences correct"
                     + ("   SOLVED" if solved else ""), fontsize=10, color="#27ae60" if solved else "k")
    axs[2].set_xlabel(f"first {steps} symbols (grey bar: 1, gap: 0) and the output unit (red)", fontsize=8)
    k = np.arange(1, trial + 1)
    axs[3].plot(k, scores[:trial], ".", ms=3, color="#7f8c8d", label="score of each guess")
    axs[3].plot(k, np.maximum.accumulate(scores[:trial]), color="#2c3e50", lw=1.5, label="best so far")
    axs[3].set_xlim(0, len(scores) + 1)
    axs[3].set_ylim(-3, cfg.n_train + 3)
    axs[3].set_xlabel("trial (weight guess)", fontsize=8)
    axs[3].set_ylabel("correct", fontsize=8)
    axs[3].legend(fontsize=7, loc="center right")
    axs[3].grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="reduced run (Config overridden by SMOKE)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "rs_tomita.gif")
    p.add_argument("--fps", type=float, default=4.0)
    p.add_argument("--frames", type=int, default=30, help="number of guesses shown")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    if args.smoke:
        args.frames = min(args.frames, 4)
    rngs = rng_streams(args.seed, list(stream_names(0)))     # the same streams as train()'s first search
    tr, gu, _ = (rngs[s] for s in stream_names(0))
    data = make_sequences(tr, cfg.n_train, cfg)
    mask = connection_mask(cfg)
    scores, Ws = [], []
    while len(scores) < cfg.max_trials:          # every guess, scored on the full training set
        W = sample_guesses(gu, min(64, cfg.max_trials - len(scores)), cfg, mask)
        sc = n_correct(W, data, cfg)
        Ws.append(W)
        scores.extend(sc.tolist())
        if (sc == cfg.n_train).any():
            break
    scores = np.array(scores)
    W = np.concatenate(Ws)
    hits = np.flatnonzero(scores == cfg.n_train)
    last = int(hits[0]) + 1 if hits.size else len(scores)
    shown = np.unique(np.r_[np.linspace(1, last, args.frames).astype(int), last])
    frames = [render(cfg, int(k), W[k - 1], data, scores[:last], hits.size > 0 and k == last) for k in shown]
    frames += [frames[-1]] * int(3 * args.fps)
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    found = f"search solved at guess {last}" if hits.size else "no solution within max_trials"
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB); {found}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
