"""Static figures of the multiplication problem: learning curve, test predictions, one sequence's cell
states and gates, the trained weights.

    python3 visualize_multiplication_problem.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_multiplication_problem.py --smoke --outdir /tmp/ap
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

import multiplication_problem  # noqa: E402
from multiplication_problem import SMOKE, Config, end_outputs, forward, lstm_forward, test_set, train  # noqa: E402


def plot_curves(cfg, runs, path):
    fig, axs = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    colors = {"lstm": "#2980b9", "rnn": "#c0392b"}
    for name, out in runs.items():
        h = out["history"]
        s = np.asarray(h["seqs"])
        label = "1997 LSTM (93 weights)" if name == "lstm" else f"tanh RNN ({cfg.rnn_hidden} units, 97 weights)"
        axs[0].semilogy(s, h["train_mse"], color=colors[name], label=label)
        axs[1].plot(s, np.asarray(h["window_ok"]) / cfg.window, color=colors[name], label=label)
        if out["stopped"]:
            for ax in axs:
                ax.axvline(out["seqs"], color=colors[name], ls=":", lw=1)
            axs[1].text(out["seqs"], 0.05, f" stop: {out['seqs']:,} seqs", color=colors[name], fontsize=8)
    axs[0].axhline(7.0 / 144.0, color="k", ls="--", lw=0.8)
    axs[0].text(0, 7.0 / 144.0, " best constant output 1/4 (MSE 7/144)", va="bottom", fontsize=8)
    axs[0].set_ylabel("training MSE at sequence ends")
    axs[0].set_title(f"multiplication problem, T = {cfg.T}: online gradient descent, lr {cfg.lr:g}")
    axs[0].legend(fontsize=8)
    axs[1].set_ylabel(f"fraction of the last {cfg.window}\nsequences within {cfg.tol:g}")
    axs[1].axhline(1 - cfg.n_seq / cfg.window, color="k", ls="--", lw=0.8)
    axs[1].set_ylim(-0.02, 1.05)
    axs[1].set_xlabel("training sequences")
    axs[1].legend(fontsize=8, loc="center right")
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_scatter(cfg, runs, path):
    X, lengths, target, _ = test_set(cfg, 0)
    fig, axs = plt.subplots(1, len(runs), figsize=(5.5 * len(runs), 5), squeeze=False)
    for ax, (name, out) in zip(axs[0], runs.items()):
        c = dataclasses.replace(cfg, model=name)
        y = end_outputs(forward(out["P"], X, c), lengths)
        bad = np.abs(y - target) >= cfg.tol
        ax.scatter(target[~bad], y[~bad], s=3, color="#2c3e50", label="within 0.04")
        ax.scatter(target[bad], y[bad], s=6, color="#e74c3c", label=f"wrong: {bad.sum()} of {len(y)}")
        ax.plot([0, 1], [0, 1], color="k", lw=0.6)
        ax.fill_between([0, 1], [-cfg.tol, 1 - cfg.tol], [cfg.tol, 1 + cfg.tol], color="#27ae60", alpha=0.15)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("target X1 * X2")
        ax.set_ylabel("output at the sequence end")
        ax.set_title(f"{name.upper()} on {len(y)} fresh test sequences", fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_sequence(cfg, P, path, k=0):
    X, lengths, target, pos = test_set(cfg, 0)
    L = lengths[k]
    c = lstm_forward(P, X[:L, k:k + 1], cfg)
    t = np.arange(L)
    fig, axs = plt.subplots(4, 1, figsize=(10, 8), sharex=True, gridspec_kw=dict(height_ratios=[1, 1.3, 1, 1]))
    axs[0].bar(t, X[:L, k, 0], color="#95a5a6", width=0.8)
    for p in pos[k]:
        axs[0].bar(p, X[p, k, 0], color="#e67e22", width=0.8)
    axs[0].plot(t, X[:L, k, 1], color="k", lw=0.8, drawstyle="steps-mid", label="marker")
    axs[0].set_ylabel("input")
    axs[0].set_title(f"test sequence {k}: X1 = {X[pos[k, 0], k, 0]:+.3f} (step {pos[k, 0]}), "
                     f"X2 = {X[pos[k, 1], k, 0]:+.3f} (step {pos[k, 1]}); target {target[k]:.3f}, "
                     f"output {c['o'][-1, 0]:.3f}", fontsize=9)
    axs[0].legend(fontsize=7, loc="upper right")
    for j in range(c["S"].shape[2]):
        axs[1].plot(t, c["S"][:, 0, j], label=f"cell {j} (block {j // cfg.cells})")
    axs[1].set_ylabel("cell state s")
    axs[1].legend(fontsize=7, ncol=2)
    for b in range(cfg.blocks):
        axs[2].plot(t, c["A"][:, 0, b], label=f"input gate, block {b}")
        axs[3].plot(t, c["B"][:, 0, b], label=f"output gate, block {b}")
    axs[3].plot(t, c["o"][:, 0], color="k", lw=1, ls="--", label="output unit")
    axs[2].set_ylabel("input gates")
    axs[3].set_ylabel("output gates")
    axs[3].set_xlabel("time step")
    for ax in axs:
        ax.grid(alpha=0.3)
        for p in pos[k]:
            ax.axvline(p, color="#e67e22", lw=0.8, ls=":")
    axs[2].legend(fontsize=7)
    axs[3].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weights(cfg, P, path):
    nb, k = cfg.blocks, cfg.cells
    nc = nb * k
    rows = ["value", "marker"] + [f"y cell {j}" for j in range(nc)] + [f"y in-gate {b}" for b in range(nb)] + \
        [f"y out-gate {b}" for b in range(nb)] + ["bias"]
    cols = [f"cell {j}" for j in range(nc)] + [f"in-gate {b}" for b in range(nb)] + [f"out-gate {b}" for b in range(nb)]
    W = P["W"]
    v = np.abs(W).max()
    fig, axs = plt.subplots(1, 2, figsize=(10, 5), gridspec_kw=dict(width_ratios=[4, 1]))
    im = axs[0].imshow(W, cmap="RdBu_r", vmin=-v, vmax=v)
    axs[0].set_xticks(range(len(cols)), cols, rotation=45, ha="right", fontsize=8)
    axs[0].set_yticks(range(len(rows)), rows, fontsize=8)
    for (i, j), x in np.ndenumerate(W):
        axs[0].text(j, i, f"{x:.1f}", ha="center", va="center", fontsize=6)
    axs[0].set_title("weights into cells and gates (from row to column)", fontsize=9)
    fig.colorbar(im, ax=axs[0], shrink=0.7)
    w = P["w"][:, None]
    axs[1].imshow(w, cmap="RdBu_r", vmin=-np.abs(w).max(), vmax=np.abs(w).max())
    axs[1].set_yticks(range(nc + 1), [f"cell {j}" for j in range(nc)] + ["bias"], fontsize=8)
    axs[1].set_xticks([])
    for i, x in enumerate(w[:, 0]):
        axs[1].text(0, i, f"{x:.2f}", ha="center", va="center", fontsize=7)
    axs[1].set_title("into the output unit", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def frame_steps(cfg):
    """Every count of training sequences an update can end at (the GIF keeps some of them, see snapshotter)."""
    return list(range(cfg.batch, cfg.max_seqs, cfg.batch)) + [cfg.max_seqs]


def snapshotter(cfg, seed, smoke, every=0):
    """snapshot(seqs, state): the GIF's frame (one test sequence's cell states, the end outputs on 512 test
    sequences, 64 with --smoke, the history so far) at the first update and then once `every` more
    sequences have passed (default: 120 snapshots over the budget); None elsewhere."""
    X, lengths, _, _ = test_set(cfg, seed)
    m = 64 if smoke else 512
    every = every or max(cfg.batch, cfg.max_seqs // 120)
    due = [0]   # the next snapshot is due at this many sequences

    def snapshot(seqs, state):
        if seqs < due[0]:
            return None
        due[0] += every
        c = lstm_forward(state["P"], X[:lengths[0], :1], cfg)
        y = end_outputs(lstm_forward(state["P"], X[:, :m], cfg), lengths[:m])
        return dict(seqs=seqs, S=c["S"][:, 0].copy(), o0=float(c["o"][-1, 0]), y=y,
                    hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    runs = {"lstm": trained(multiplication_problem, cfg, args.seed, frame_steps(cfg), snapshotter(cfg, args.seed, args.smoke))[0]}
    plot_curves(cfg, runs, args.outdir / "training_curves.png")
    plot_scatter(cfg, runs, args.outdir / "test_predictions.png")
    plot_sequence(cfg, runs["lstm"]["P"], args.outdir / "cell_states.png")
    plot_weights(cfg, runs["lstm"]["P"], args.outdir / "weights.png")
    print(f"wrote 4 PNGs to {args.outdir}")
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
