"""Static figures of one embedded-Reber run: learning curves of every trial, sequences to solve
against the paper's table, and a trained LSTM reading a test string (outputs, cell states, gates).

    python3 visualize_embedded_reber.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_embedded_reber.py --smoke --outdir /tmp/er
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import embedded_reber  # noqa: E402
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


def frame_steps(cfg):
    """Every count of training sequences a trial can be evaluated at (the GIF shows one trial's evaluations)."""
    return range(cfg.max_seqs + 1)


def snapshot(n, state):
    """The GIF's frame data at one evaluation of one trial: (trial, sequences, fraction of strings right, W, Wk)."""
    return (state["trial"], n, 0.5 * (state["train_ok"] + state["test_ok"]),
            state["P"]["W"].copy(), state["P"]["Wk"].copy())


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**(SMOKE if args.smoke else {}))
    args.outdir.mkdir(parents=True, exist_ok=True)
    out, _ = trained(embedded_reber, cfg, args.seed, frame_steps(cfg), snapshot)
    plot_learning(cfg, out, args.outdir / "learning_curves.png")
    plot_seqs(cfg, out, args.outdir / "sequences_to_solve.png")
    plot_example(cfg, out, args.outdir / "solved_string.png")
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
