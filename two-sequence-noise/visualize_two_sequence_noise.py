"""Static figures of the headline run (Task 3a, T = 100, N = 3): learning curves of every net, the trained
net 0 on one test sequence per class, the cell states of 200 test sequences, and the end outputs of the
2560 test sequences.

    python3 visualize_two_sequence_noise.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_two_sequence_noise.py --smoke --outdir /tmp/tsn
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import two_sequence_noise  # noqa: E402
from two_sequence_noise import (SMOKE, VARIANTS, Config, end_outputs, lstm_forward, test_set,  # noqa: E402
                                train)

CLASS_COLORS = ("#2166ac", "#b2182b")


def net_slice(P, net):
    return {k: v[net:net + 1] for k, v in P.items()}


def trace(cfg, P, test, idx, net=0):
    """Forward net `net` on test sequences idx -> per-step activities (L, len(idx), ...) and end outputs."""
    x, length, cls, d, _ = test
    c = lstm_forward(net_slice(P, net), x[:, net:net + 1, idx], cfg)
    return dict(x=x[:, net, idx], s=c["S"][:, 0], yin=c["A_in"][:, 0], yout=c["A_out"][:, 0], o=c["o"][:, 0],
                length=length[net, idx], cls=cls[net, idx], d=d[net, idx],
                end=end_outputs(c, length[net:net + 1, idx])[0])


def plot_curves(cfg, out, seed, path):
    h = out["history"]
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    S = h["train_mae"].shape[1]
    for i in range(S):
        col = plt.cm.viridis(i / max(1, S - 1))
        ax.plot(h["seqs"], h["train_mae"][:, i], lw=0.9, color=col, label=f"seed {seed + i}")
        for stop, mk in ((out["st1"][i], "o"), (out["st2"][i], "v")):
            if stop > 0:
                k = int(np.searchsorted(h["seqs"], stop))
                ax.plot(stop, h["train_mae"][k, i], mk, color=col, ms=6, mec="k", mew=0.6)
    v = VARIANTS[cfg.variant]
    ax.axhline(v["st2_mae"], color="k", ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("training sequences")
    ax.set_ylabel(f"mean |output - target| over {cfg.test_every} training seqs")
    ax.set_title(f"Task {cfg.variant}, T={cfg.T}, N={cfg.N}: {S} nets, lr {v['lr'] if cfg.lr == 0 else cfg.lr:g}, "
                 f"batch {cfg.batch}   (o: ST1 met, v: ST2 met; dotted: ST2's error bound)", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_examples(cfg, P, test, path):
    cls = test[2][0]
    idx = [int(np.flatnonzero(cls == 0)[0]), int(np.flatnonzero(cls == 1)[0])]
    tr = trace(cfg, P, test, idx)
    fig, axs = plt.subplots(4, 2, figsize=(11, 8.2), sharex=True)
    for j in range(2):
        Lj = tr["length"][j]
        t = np.arange(1, Lj + 1)
        ax = axs[0, j]
        ax.plot(t, tr["x"][:Lj, j], color="0.3", lw=0.8)
        ax.axvspan(0.5, cfg.N + 0.5, color="#fdd49e", lw=0)
        ax.set_title(f"class {tr['cls'][j] + 1} (first {cfg.N} elements {'+1' if tr['cls'][j] == 0 else '-1'}), "
                     f"length {Lj}", fontsize=9)
        ax = axs[1, j]
        for c in range(tr["s"].shape[-1]):
            ax.plot(t, tr["s"][:Lj, j, c], label=f"cell {c + 1}")
        ax = axs[2, j]
        for b in range(tr["yin"].shape[-1]):
            ax.plot(t, tr["yin"][:Lj, j, b], label=f"input gate {b + 1}")
            ax.plot(t, tr["yout"][:Lj, j, b], ls="--", label=f"output gate {b + 1}")
        ax.set_ylim(-0.03, 1.03)
        ax = axs[3, j]
        ax.plot(t, tr["o"][:Lj, j], color="k")
        ax.axhline(tr["d"][j], color=CLASS_COLORS[tr["cls"][j]], ls=":", lw=1)
        ax.plot(Lj, tr["end"][j], "o", color=CLASS_COLORS[tr["cls"][j]])
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("time step")
    axs[0, 0].set_ylabel("input line")
    axs[1, 0].set_ylabel("cell state s_t")
    axs[2, 0].set_ylabel("gate activation")
    axs[3, 0].set_ylabel("output o_t")
    axs[1, 0].legend(fontsize=7)
    axs[2, 0].legend(fontsize=6, ncol=2)
    for ax in axs.ravel():
        ax.grid(alpha=0.3)
    fig.suptitle("trained net 0 on one test sequence per class (orange: information elements; dot: target "
                 "at the end)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=95)
    plt.close(fig)


def plot_cells(cfg, P, test, path, n=200):
    idx = list(range(min(n, test[2].shape[1])))
    tr = trace(cfg, P, test, idx)
    nc = tr["s"].shape[-1]
    fig, axs = plt.subplots(1, nc + 1, figsize=(3.3 * (nc + 1), 3.5))
    for c in range(nc):
        ax = axs[c]
        for k in range(len(idx)):
            Lk = tr["length"][k]
            ax.plot(np.arange(1, Lk + 1), tr["s"][:Lk, k, c], color=CLASS_COLORS[tr["cls"][k]], lw=0.5, alpha=0.4)
        ax.set_title(f"cell {c + 1}: state s_t", fontsize=9)
        ax.set_xlabel("time step")
        ax.grid(alpha=0.3)
    ax = axs[-1]
    for k in range(len(idx)):
        Lk = tr["length"][k]
        ax.plot(np.arange(1, Lk + 1), tr["o"][:Lk, k], color=CLASS_COLORS[tr["cls"][k]], lw=0.5, alpha=0.4)
    ax.set_title("output o_t (read at the end)", fontsize=9)
    ax.set_xlabel("time step")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    for c in range(2):
        axs[0].plot([], [], color=CLASS_COLORS[c], label=f"class {c + 1}")
    axs[0].legend(fontsize=7)
    fig.suptitle(f"net 0 on {len(idx)} test sequences", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=95)
    plt.close(fig)


def plot_outputs(cfg, out, test, path):
    """End outputs of every net on its test sequences, per class, against the misclassification band."""
    x, length, cls, d, _ = test
    P = out["P"]
    v = VARIANTS[cfg.variant]
    S = cls.shape[0]
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    for i in range(S):
        y = end_outputs(lstm_forward(net_slice(P, i), x[:, i:i + 1], cfg), length[i:i + 1])[0]
        for c in range(2):
            yc = y[cls[i] == c]
            jitter = (np.arange(len(yc)) % 40 - 20) / 80.0
            ax.scatter(i + jitter * 0.8 + (0.22 if c else -0.22), yc, s=1.5, color=CLASS_COLORS[c], alpha=0.5)
    for c, tgt in enumerate(v["targets"]):
        ax.axhspan(tgt - v["tol"], tgt + v["tol"], color=CLASS_COLORS[c], alpha=0.08, lw=0)
        ax.axhline(tgt, color=CLASS_COLORS[c], ls=":", lw=0.8, label=f"class {c + 1} target {tgt:g}")
    ax.set_xticks(range(S), [f"net {i}\n{'ST2' if out['st2'][i] > 0 else 'not met'}" for i in range(S)], fontsize=7)
    ax.set_ylabel("output at the sequence end")
    ax.set_title(f"{cls.shape[1]} fresh test sequences per net (shaded: within the tolerance {v['tol']:g} of the "
                 "target)", fontsize=9)
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


N_SHOW = 40                    # test sequences whose cell states the GIF draws
FRAMES, SMOKE_FRAMES = 36, 4   # the GIF's training snapshots, at most (--frames; capped with --smoke)


def frame_steps(cfg):
    """Every count of training sequences a check can fall on (the GIF keeps some of them, see snapshotter)."""
    return list(range(cfg.test_every, cfg.max_seqs, cfg.test_every)) + [cfg.max_seqs]


def snapshotter(cfg, seed, frames):
    """snapshot(seen, state): the GIF's frame (net 0's cell states on N_SHOW test sequences, every net's
    criterion, the history so far) at about 2 x frames checks, when every net has met ST2 and at the end
    of the budget; None elsewhere."""
    test = test_set(cfg, seed)
    idx = list(range(N_SHOW))
    every = max(1, cfg.max_seqs // (2 * frames) // cfg.test_every) * cfg.test_every

    def snapshot(seen, state):
        if seen % every == 0 or np.all(state["st2"] > 0) or seen >= cfg.max_seqs:
            return dict(seen=seen, trace=trace(cfg, state["P"], test, idx), st2=state["st2"].copy(),
                        hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    out, _ = trained(two_sequence_noise, cfg, args.seed, frame_steps(cfg),
                     snapshotter(cfg, args.seed, SMOKE_FRAMES if args.smoke else FRAMES))
    test = test_set(cfg, args.seed)
    plot_curves(cfg, out, args.seed, args.outdir / "learning_curves.png")
    plot_examples(cfg, out["P"], test, args.outdir / "test_sequences.png")
    plot_cells(cfg, out["P"], test, args.outdir / "cell_states.png")
    plot_outputs(cfg, out, test, args.outdir / "end_outputs.png")
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
