"""Static figures of one temporal-order-4bit run: learning curves (LSTM and RNN), the trained net on
one test sequence per class, and the cell states of many test sequences.

    python3 visualize_temporal_order_4bit.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_temporal_order_4bit.py --smoke --outdir /tmp/to3
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

import temporal_order_4bit  # noqa: E402
from temporal_order_4bit import (BLOCK_SIZE, BLOCKS, CLASS_NAMES, SLOTS, SMOKE, SYMBOLS, X_SYM, Config,  # noqa: E402
                                 forward, test_set, train)

NET_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
CLASS_COLORS = ("#2980b9", "#27ae60", "#e67e22", "#c0392b", "#8e44ad", "#16a085", "#d35400", "#7f8c8d")


def one_per_class(test, net=0):
    """Index of the first test sequence of every class (for net `net`)."""
    cls = test[2][net]
    return [int(np.flatnonzero(cls == c)[0]) for c in range(len(CLASS_NAMES))]


def trace(cfg, P, test, idx, net=0):
    """Forward net `net` on test sequences idx -> dict of per-step activities (T, len(idx), ...)."""
    X, mask, cls, pos = test
    Pn = {k: v[net:net + 1] for k, v in P.items()}
    y, c = forward(cfg, Pn, X[:, net:net + 1, idx], mask[:, net:net + 1, idx])
    nc = BLOCKS * BLOCK_SIZE
    start = np.argmax(mask[:, net, idx] > 0, axis=0)
    return dict(s=c["s"][:, 0], yin=c["A"][:, 0, ..., nc:nc + BLOCKS], yout=c["A"][:, 0, ..., nc + BLOCKS:],
                y=y[0], cls=cls[net, idx], pos=pos[net, idx], start=start, mask=mask[:, net, idx])


def plot_curves(cfg, runs, path):
    """Fraction of training sequences misclassified, one panel per run (label, cfg, out)."""
    fig, axs = plt.subplots(1, len(runs), figsize=(5.2 * len(runs), 4.2), sharey=True)
    for ax, (name, rc, out) in zip(axs, runs):
        h = out["history"]
        for i in range(h["train_err"].shape[1]):
            ax.plot(h["seqs"], h["train_wrong"][:, i], lw=1, alpha=0.85, color=NET_COLORS[i % len(NET_COLORS)],
                    label=f"seed {out['seed'] + i}")
            if out["stop"][i] > 0:
                ax.plot(out["stop"][i], 0.0, "v", color="k", ms=6)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("training sequences")
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left")
    axs[0].set_ylabel(f"fraction of training sequences misclassified (per {cfg.hist_every})")
    axs[0].text(0.02, 0.05, "▼ stopping criterion met", transform=axs[0].transAxes, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_collapse(cfg, runs, net, path):
    """For net `net`: misclassified fraction, largest |weight|, largest |gradient entry| and mean |cell state|
    per block at the last step, under each schedule in runs (label, cfg, out)."""
    rows = ("train_wrong", "w_max", "g_max", "s_abs")
    labels = ("fraction misclassified", "largest |weight| (hidden layer)", "largest |gradient entry| of an update",
              "mean |cell state| at the last step")
    fig, axs = plt.subplots(len(rows), len(runs), figsize=(5.6 * len(runs), 9.0), sharex="col", sharey="row")
    for j, (name, rc, out) in enumerate(runs):
        h = out["history"]
        seqs = h["seqs"]
        for r, key in enumerate(rows):
            ax = axs[r, j]
            if key == "s_abs":
                for b in range(BLOCKS):
                    ax.plot(seqs, h[key][:, net, b], lw=1, label=f"block {b + 1}")
                ax.legend(fontsize=7, loc="upper left")
            else:
                ax.plot(seqs, h[key][:, net], lw=1, color="k")
            if key == "g_max":
                ax.set_yscale("log")
            if out["stop"][net] > 0:
                ax.axvline(out["stop"][net], color="k", ls=":", lw=0.8)
            ax.grid(alpha=0.3)
            if j == 0:
                ax.set_ylabel(labels[r], fontsize=8)
        axs[0, j].set_title(f"seed {out['seed'] + net}: {name}", fontsize=9)
        axs[-1, j].set_xlabel("training sequences (dotted: criterion met)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_sequence(ax, tr, k, T):
    """Symbols of sequence k as a strip; X/Y marked."""
    ax.set_xlim(-0.5, T - 0.5)
    for p in tr["pos"][k]:
        ax.axvline(p, color="k", ls=":", lw=0.8)
    ax.axvspan(-0.5, tr["start"][k] - 0.5, color="0.85", lw=0)


def plot_examples(cfg, P, test, path):
    idx = one_per_class(test)
    tr = trace(cfg, P, test, idx)
    X = test[0]
    T = X.shape[0]
    sym = np.where(test[1][:, 0, idx] > 0, np.argmax(X[:, 0, idx], -1), -1)
    fig, axs = plt.subplots(3, len(idx), figsize=(2.5 * len(idx), 7.2))
    for j, k in enumerate(range(len(idx))):
        ax = axs[0, j]
        draw_sequence(ax, tr, k, T)
        for b in range(BLOCKS):
            ax.plot(tr["yin"][:, k, b], label=f"input gate {b + 1}")
            ax.plot(tr["yout"][:, k, b], ls="--", label=f"output gate {b + 1}")
        name = "".join(SYMBOLS[sym[p, k]] for p in tr["pos"][k])
        ax.set_title(f"class {CLASS_NAMES[tr['cls'][k]]} (symbols {name})", fontsize=9)
        ax.set_ylim(-0.05, 1.05)
        ax = axs[1, j]
        draw_sequence(ax, tr, k, T)
        for c in range(BLOCKS * BLOCK_SIZE):
            ax.plot(tr["s"][:, k, c], label=f"cell {c // BLOCK_SIZE + 1}.{c % BLOCK_SIZE + 1}")
        ax = axs[2, j]
        ax.bar(np.arange(len(CLASS_NAMES)), tr["y"][k], color=CLASS_COLORS[:len(CLASS_NAMES)])
        ax.set_xticks(np.arange(len(CLASS_NAMES)), CLASS_NAMES, fontsize=7)
        ax.set_ylim(0, 1)
        ax.axhline(1 - cfg.tol, color="k", ls=":", lw=0.8)
        ax.axhline(cfg.tol, color="k", ls=":", lw=0.8)
        ax.set_xlabel("output units after the trigger")
    axs[0, 0].set_ylabel("gate activation")
    axs[1, 0].set_ylabel("cell state s_t")
    axs[2, 0].set_ylabel("output")
    axs[0, 0].legend(fontsize=6, loc="center left")
    axs[1, 0].legend(fontsize=6, loc="lower left")
    for ax in axs[:2].ravel():
        ax.grid(alpha=0.3)
    fig.suptitle("trained net 0 on one test sequence per class (dotted: positions of the X/Y symbols; grey: before "
                 "the sequence starts)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_cells(cfg, P, test, path, n=200):
    idx = list(range(min(n, test[2].shape[1])))
    tr = trace(cfg, P, test, idx)
    nc = BLOCKS * BLOCK_SIZE
    fig, axs = plt.subplots(1, nc, figsize=(3.3 * nc, 3.4), sharey=False)
    T = tr["s"].shape[0]
    for c in range(nc):
        ax = axs[c]
        for k in range(len(idx)):
            st = tr["start"][k]
            ax.plot(np.arange(1, T - st + 1), tr["s"][st:, k, c], color=CLASS_COLORS[tr["cls"][k]], lw=0.5, alpha=0.5)
        for (lo, hi) in SLOTS:
            ax.axvspan(lo - 0.5, hi + 0.5, color="0.88", lw=0, zorder=0)
        ax.set_title(f"cell {c // BLOCK_SIZE + 1}.{c % BLOCK_SIZE + 1} state s_t", fontsize=9)
        ax.set_xlabel("position in the sequence (grey: X/Y slots)")
        ax.grid(alpha=0.3)
    for c, name in enumerate(CLASS_NAMES):
        axs[0].plot([], [], color=CLASS_COLORS[c], label=name)
    axs[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


N_SHOW = 48                    # test sequences whose cell states the GIF draws
FRAMES, SMOKE_FRAMES = 36, 4   # the GIF's training snapshots (--frames; capped with --smoke)


def frame_steps(cfg):
    """Every count of training sequences an update can end at (the GIF keeps some of them, see snapshotter)."""
    return list(range(cfg.batch, cfg.max_seqs, cfg.batch)) + [cfg.max_seqs]


def snapshotter(cfg, seed, frames):
    """snapshot(seen, state): the GIF's frame (net 0's cell states on N_SHOW test sequences, the history so far)
    about every max_seqs / frames sequences and where net 0 meets the criterion; None elsewhere."""
    test = test_set(cfg, seed)
    idx = list(range(min(N_SHOW, test[2].shape[1])))
    every = max(cfg.batch, cfg.max_seqs // frames // cfg.batch * cfg.batch)

    def snapshot(seen, state):
        if seen % every < cfg.batch or state["stop"][0] == seen:
            return dict(seen=seen, trace=trace(cfg, state["P"], test, idx),
                        hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    base = Config(**SMOKE) if args.smoke else Config()
    cfg = dataclasses.replace(base, n_nets=2)                  # seeds seed and seed+1: the headline net and one more
    args.outdir.mkdir(parents=True, exist_ok=True)
    if cfg == base:   # the GIF's run (SMOKE has n_nets=2; the full GIF trains one net alone)
        out, _ = trained(temporal_order_4bit, cfg, args.seed, frame_steps(cfg),
                         snapshotter(cfg, args.seed, SMOKE_FRAMES if args.smoke else FRAMES))
    else:
        out = train(cfg, args.seed)
    lstm = dict(out, seed=args.seed)
    const = dataclasses.replace(cfg, lr_late=cfg.lr)           # the same nets with the early step kept throughout
    flat = dict(train(const, args.seed), seed=args.seed)
    rcfg = dataclasses.replace(cfg, model="rnn")
    rnn = dict(train(rcfg, args.seed), seed=args.seed)
    test = test_set(cfg, args.seed)
    sched = f"lr {cfg.lr:g}, then {cfg.lr_late:g} below {cfg.late_at:.0%} wrong"
    runs = [(f"1997 LSTM, truncated gradient, {sched}", cfg, lstm),
            (f"1997 LSTM, lr {cfg.lr:g} throughout", const, flat),
            (f"fully recurrent net (BPTT), lr {cfg.lr:g}", rcfg, rnn)]
    plot_curves(cfg, runs, args.outdir / "training_curves.png")
    plot_collapse(cfg, runs[1::-1], 1, args.outdir / "collapse.png")
    plot_examples(cfg, lstm["P"], test, args.outdir / "test_sequences.png")
    plot_cells(cfg, lstm["P"], test, args.outdir / "cell_states.png")
    print(f"wrote {sorted(f.name for f in args.outdir.glob('*.png'))} to {args.outdir}")
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
