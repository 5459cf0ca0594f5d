"""Animation of the first headline trial that meets the criterion (trial 0 if none does): its
outputs on one fixed test string (outer T) and its twin (outer P) at every evaluation, with the
fraction of strings correct so far.

    python3 make_embedded_reber_gif.py --seed 0          # writes embedded_reber.gif next to this script
    python3 make_embedded_reber_gif.py --smoke --out /tmp/er.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from embedded_reber import SMOKE, SYMBOLS, Config, legal_next, lstm_forward, make_data, onehot, train, _SYM  # noqa: E402


def twin_strings(data):
    """A long test string of pair 0 and the same string with the other outer symbol."""
    test = data["strings"][0][1]
    base = sorted(test, key=lambda s: (-len(s), s))[min(5, len(test) - 1)]
    return [base[0] + o + base[2:-2] + o + base[-1] for o in "TP"]


def render(cfg, strings, W, Wk, n, frac, curve, r):
    fig = plt.figure(figsize=(8.4, 5.0))
    gs = fig.add_gridspec(2, 2, height_ratios=[1.0, 1.0], width_ratios=[3.2, 1.3])
    for row, string in enumerate(strings):
        sym = np.array([[_SYM[c] for c in string]])
        Y = lstm_forward(W, Wk, onehot(sym[:, :-1])[None], cfg.blocks, cfg.block_size)[0, 0]
        ax = fig.add_subplot(gs[row, 0])
        ax.imshow(Y.T, aspect="auto", cmap="Greys", vmin=0, vmax=1)
        for t, allowed in enumerate(legal_next(string)):
            for ch in allowed:
                ax.add_patch(plt.Rectangle((t - 0.5, _SYM[ch] - 0.5), 1, 1, fill=False, ec="#c0392b", lw=1.0))
        L = len(string) - 1
        ax.axvspan(L - 2 - 0.5, L - 2 + 0.5, color="#f1c40f", alpha=0.3)
        ax.set_yticks(range(len(SYMBOLS)))
        ax.set_yticklabels(list(SYMBOLS), fontsize=7)
        ax.set_xticks(range(L))
        ax.set_xticklabels(list(string[:-1]), fontsize=6)
        ax.set_title(f"outer {string[1]}: output activations (dark = high); red boxes: possible next symbols",
                     fontsize=8)
    ax = fig.add_subplot(gs[:, 1])
    if curve:
        s, f = zip(*curve)
        ax.plot(s, f, color="#2980b9")
    ax.set_xlim(0, max(cfg.eval_every, curve[-1][0] if curve else 1) * 1.02)
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("training sequences", fontsize=8)
    ax.set_ylabel("strings fully correct", fontsize=8)
    ax.tick_params(labelsize=7)
    fig.suptitle(f"1997 LSTM {cfg.blocks}x{cfg.block_size}, trial {r}, after {n:,} sequences: "
                 f"{100 * frac:.0f}% of train+test strings correct (yellow: the long-lag step)", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="reduced run (Config + SMOKE)")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "embedded_reber.gif"))
    args = p.parse_args(argv)
    cfg = Config(**(SMOKE if args.smoke else {}))
    strings = twin_strings(make_data(cfg, args.seed))
    snaps = {}

    def cb(n, state):
        frac = 0.5 * (state["train_ok"] + state["test_ok"])
        snaps.setdefault(state["trial"], []).append((n, frac, state["P"]["W"], state["P"]["Wk"]))

    out = train(cfg, args.seed, callback=cb)
    solved = np.flatnonzero(out["seqs_to_solve"] >= 0)
    r = int(solved[0]) if solved.size else 0               # the first trial that met the criterion
    snaps = sorted(snaps[r], key=lambda q: q[0])
    snaps = [(n, f, W, Wk, [(m, g) for m, g, _, _ in snaps[:i + 1]]) for i, (n, f, W, Wk) in enumerate(snaps)]
    keep = np.unique(np.linspace(0, len(snaps) - 1, min(len(snaps), 40)).round().astype(int))
    frames = [render(cfg, strings, W, Wk, n, f, c, r) for (n, f, W, Wk, c) in (snaps[i] for i in keep)]
    frames += [frames[-1]] * 6
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=250, loop=0, optimize=True)
    print(f"wrote {args.out}: {len(frames)} frames of trial {r}; it met the criterion after "
          f"{int(out['seqs_to_solve'][r])} sequences (-1: not within the budget)")


if __name__ == "__main__":
    main()
