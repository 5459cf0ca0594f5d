"""Static figures of one embedded-Reber run: learning curves of every trial, sequences to solve
against the paper's table, and a trained LSTM reading a test string (outputs, cell states, gates).

    python3 visualize_embedded_reber.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_embedded_reber.py --smoke --outdir /tmp/er
"""
import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from embedded_reber import SMOKE, SYMBOLS, Config, legal_next, lstm_forward, onehot, train, _SYM  # noqa: E402

# the paper's Table 1 LSTM rows: (blocks x size, learning rate, % success, mean sequences to success)
PAPER_ROWS = [("4x1", 0.1, 100, 39740), ("3x2", 0.1, 100, 21730), ("3x2", 0.2, 97, 14060),
              ("4x1", 0.5, 97, 9500), ("3x2", 0.5, 100, 8440)]


def curves(hist, R):
    """Per trial: arrays of (sequences, fraction of distinct train+test strings correct)."""
    tr = np.asarray(hist["trial"])
    out = []
    for r in range(R):
        m = tr == r
        s = np.asarray(hist["seqs"])[m]
        o = np.argsort(s)
        frac = 0.5 * (np.asarray(hist["train_ok"])[m] + np.asarray(hist["test_ok"])[m])
        out.append((s[o], frac[o]))
    return out


def plot_learning(cfg, out, path):
    R = cfg.trials
    solved = out["seqs_to_solve"]
    fig, ax = plt.subplots(figsize=(8.5, 4.5))
    for r, (s, f) in enumerate(curves(out["history"], R)):
        ax.plot(s, f, lw=0.8, alpha=0.7, color="#2980b9" if solved[r] >= 0 else "#c0392b")
        if solved[r] >= 0:
            ax.plot(solved[r], 1.0, "o", ms=3, color="#2c3e50")
    ax.axhline(1.0, color="k", lw=0.5)
    ax.axvline(8440, color="#27ae60", ls="--", lw=1, label="paper: mean 8,440 sequences (3x2, lr 0.5)")
    ax.set_xlabel("training sequences presented")
    ax.set_ylabel("strings fully correct (train+test mean)")
    ax.set_title(f"{cfg.model.upper()} {cfg.blocks}x{cfg.block_size}, lr {cfg.lr:g}: {int((solved >= 0).sum())}/{R} "
                 f"trials met the criterion (dots)" if cfg.model == "lstm" else
                 f"Elman/BPTT, {cfg.elman_hidden} hidden, lr {cfg.lr:g}: {int((solved >= 0).sum())}/{R} trials")
    ax.set_ylim(-0.02, 1.05)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_seqs(cfg, out, path):
    solved = out["seqs_to_solve"]
    ok = solved[solved >= 0]
    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    y = np.random.default_rng(0).uniform(-0.15, 0.15, size=ok.size)
    ax.plot(ok, y, "o", color="#2980b9", alpha=0.7, label=f"ours: {ok.size}/{solved.size} trials, one dot each")
    if ok.size:
        ax.plot([ok.mean()] * 2, [-0.3, 0.3], color="#2980b9", lw=2, label=f"ours: mean {ok.mean():,.0f}")
    for i, (arch, lr, pct, seqs) in enumerate(PAPER_ROWS):
        yy = 0.55 + 0.12 * i
        ax.plot(seqs, yy, "s", color="#27ae60")
        ax.text(seqs, yy + 0.03, f" paper {arch} lr {lr}: {pct}%, mean {seqs:,}", fontsize=7, va="bottom")
    ax.axvspan(3800, 24100, color="#27ae60", alpha=0.08, label="paper 3x2 lr 0.5: range 3,800-24,100")
    ax.set_yticks([])
    ax.set_xlabel("training sequences until the stopping criterion (train and test strings all correct)")
    ax.set_xlim(0, max(42000, ok.max() * 1.05 if ok.size else 0))
    ax.set_ylim(-0.4, 1.25)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pick_trial(out):
    """The first solved trial (its weights are those that met the criterion), else trial 0."""
    s = out["seqs_to_solve"]
    return int(np.flatnonzero(s >= 0)[0]) if (s >= 0).any() else 0


def read_string(cfg, out, r, string):
    W, Wk = out["P"]["W"][r:r + 1], out["P"]["Wk"][r:r + 1]
    sym = np.array([[_SYM[c] for c in string]])
    Y, rec = lstm_forward(W, Wk, onehot(sym[:, :-1])[None], cfg.blocks, cfg.block_size, keep=True)
    return Y[0, 0], rec["s"][0, 0], rec["gates"][0, 0]


def plot_example(cfg, out, path):
    r = pick_trial(out)
    test = out["data"]["strings"][out["pairs"][r]][1]
    base = max(test, key=len)[:0] or sorted(test, key=lambda s: (-len(s), s))[0]
    pair = [base[0] + o + base[2:-2] + o + base[-1] for o in "TP"]
    fig, axs = plt.subplots(4, 2, figsize=(11, 8.2), gridspec_kw=dict(height_ratios=[2.2, 1.3, 1, 1]))
    C, S = cfg.blocks, cfg.block_size
    for col, string in enumerate(pair):
        Y, s, gates = read_string(cfg, out, r, string)
        L = len(string) - 1
        ax = axs[0, col]
        ax.imshow(Y.T, aspect="auto", cmap="Greys", vmin=0, vmax=1)
        for t, allowed in enumerate(legal_next(string)):
            for ch in allowed:
                ax.add_patch(plt.Rectangle((t - 0.5, _SYM[ch] - 0.5), 1, 1, fill=False, ec="#c0392b", lw=1.2))
        ax.axvspan(L - 2 - 0.5, L - 2 + 0.5, color="#f1c40f", alpha=0.25)
        ax.set_yticks(range(len(SYMBOLS)))
        ax.set_yticklabels(list(SYMBOLS))
        ax.set_xticks(range(L))
        ax.set_xticklabels(list(string[:-1]), fontsize=7)
        ax.set_title(f"outer symbol {string[1]}: outputs after each input (red: legal next symbols)", fontsize=9)
        ax = axs[1, col]
        for v in range(C * S):
            ax.plot(s[:, v], lw=1.2, label=f"cell {v // S + 1}.{v % S + 1}")
        ax.axhline(0, color="k", lw=0.4)
        ax.set_ylabel("cell state s", fontsize=8)
        ax.set_xticks(range(L))
        ax.set_xticklabels(list(string[:-1]), fontsize=7)
        if col == 1:
            ax.legend(fontsize=6, ncol=C, loc="best")
        for k, (name, off) in enumerate((("input gates", 0), ("output gates", C))):
            ax = axs[2 + k, col]
            for j in range(C):
                ax.plot(gates[:, off + j], lw=1.2, label=f"block {j + 1}")
            ax.set_ylim(-0.03, 1.03)
            ax.set_ylabel(name, fontsize=8)
            ax.set_xticks(range(L))
            ax.set_xticklabels(list(string[:-1]), fontsize=7)
            if col == 1 and k == 0:
                ax.legend(fontsize=6, ncol=C)
    when = (f"after meeting the criterion ({out['seqs_to_solve'][r]:,} sequences)" if out["seqs_to_solve"][r] >= 0
            else f"after {cfg.max_seqs:,} sequences, criterion not met")
    fig.suptitle(f"trial {r} {when}: one test string with outer T (left) and P (right); "
                 "yellow: the long-lag step", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="reduced run (Config + SMOKE)")
    p.add_argument("--outdir", default=str(Path(__file__).resolve().parent / "viz"))
    args = p.parse_args(argv)
    cfg = Config(**(SMOKE if args.smoke else {}))
    out_dir = Path(args.outdir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = train(cfg, args.seed)
    plot_learning(cfg, out, out_dir / "learning_curves.png")
    plot_seqs(cfg, out, out_dir / "sequences_to_solve.png")
    plot_example(cfg, out, out_dir / "solved_string.png")


if __name__ == "__main__":
    main()
