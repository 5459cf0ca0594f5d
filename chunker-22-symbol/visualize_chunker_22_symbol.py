"""Static figures of one chunker run (seed 0, its 34 lock-step trials): learning curves, sequences to
solve, trial 0's nets on the two test sequences after training, and A's weights.

    python3 visualize_chunker_22_symbol.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_chunker_22_symbol.py --smoke --outdir /tmp/c22
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import chunker_22_symbol  # noqa: E402
from chunker_22_symbol import SMOKE, Config, run_chunker_sequence, sequence_inputs, train  # noqa: E402,F401

FRAMES, SMOKE_FRAMES = 36, 3   # the GIF's training snapshots (--frames; capped with --smoke)
KEYS = ("pA", "dA", "surprised", "hA", "hC")


def frame_steps(cfg, frames):
    """Sequence counts the GIF shows (tests happen every eval_every sequences): dense early, sparse late."""
    evals = np.arange(cfg.eval_every, cfg.max_seqs + 1, cfg.eval_every)
    idx = np.unique(np.geomspace(1, len(evals), frames).astype(int) - 1)
    return evals[idx].tolist()


def trace(cfg, nets, trial=0):
    """Trial `trial`'s frozen nets on the two test sequences: per sequence (a..., x...) the per-step record
    and the final target predictions of A and C."""
    one = {k: {n: v[trial:trial + 1] for n, v in W.items()} for k, W in nets.items()}
    out = []
    for first in (0, 1):
        X, d = sequence_inputs(cfg, np.array([first]))
        rec = {k: [] for k in KEYS}
        o = run_chunker_sequence(cfg, one["A"], one["C"], X, d, learn=False, record=rec)
        out.append(dict({k: np.array(v)[:, 0] for k, v in rec.items()}, dA_end=float(o["dA"][0]),
                        dC_end=float(o["dC"][0])))
    return out


def snapshotter(cfg):
    """snapshot(n, state): trial 0's trace and a copy of the learning curves so far."""
    def snapshot(n, state):
        return dict(n=n, trace=trace(cfg, state["nets"]), hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def curves(hist):
    """Sequences, fraction of trials solved by the system and by A alone, mean surprises per sequence."""
    n = np.asarray(hist["seqs"])
    return (n, np.mean(hist["sys_ok"], axis=1), np.mean(hist["a_ok"], axis=1),
            np.mean(hist["surprises"], axis=1))


def plot_curves(cfg, out, path):
    n, sys_ok, a_ok, surp = curves(out["history"])
    fig, axs = plt.subplots(2, 1, figsize=(8, 6.4), sharex=True)
    axs[0].plot(n, sys_ok, color="#2980b9", lw=2, label="chunking system (C's target prediction)")
    axs[0].plot(n, a_ok, color="#c0392b", lw=2, label="automatizer A alone")
    axs[0].axvline(5000, color="k", ls=":", lw=1)
    axs[0].text(4950, 0.1, "paper: 13/17 runs\nsolved before 5,000", fontsize=8, va="bottom", ha="right")
    axs[0].set_ylabel("fraction of trials\nsolving both sequences now")
    axs[0].set_ylim(-0.03, 1.05)
    axs[0].set_title(f"chunker on the {cfg.lag}-step-lag task: {cfg.trials} lock-step trials (seed 0), "
                     f"tested every {cfg.eval_every} sequences", fontsize=10)
    axs[0].legend(fontsize=8, loc="center right", framealpha=0.95)
    axs[0].grid(alpha=0.3)
    axs[1].plot(n, surp, color="#27ae60", lw=2)
    axs[1].axhline(1.0, color="k", lw=0.6, ls="--")
    axs[1].set_yscale("log")
    axs[1].set_ylabel(f"inputs fed to C per sequence\n(of {cfg.lag + 1}; mean over trials)")
    axs[1].set_xlabel("training sequences")
    axs[1].grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_seqs(cfg, out, path):
    s, a = out["seqs_sys"], out["seqs_a"]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    rng = np.random.default_rng(0)
    for i, (v, name, c) in enumerate(((s, "chunking system", "#2980b9"), (a, "A alone", "#c0392b"))):
        ok = ~np.isnan(v)
        ax.scatter(v[ok], i + 0.12 * rng.standard_normal(ok.sum()), color=c, s=18, alpha=0.8,
                   label=f"{name}: {ok.sum()}/{len(v)} trials, median {np.nanmedian(v) if ok.any() else np.nan:,.0f}")
    ax.axvline(5000, color="k", ls=":", lw=1)
    ax.set_yticks([0, 1], ["system", "A alone"])
    ax.set_ylim(-0.6, 1.6)
    ax.set_xlabel(f"training sequences until first solved (tested every {cfg.eval_every}; dotted: paper's 5,000)")
    ax.set_title("sequences to solve, one dot per trial", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def symbol_names(cfg):
    return ["a", "x"] + [f"b{i}" for i in range(1, cfg.lag + 1)]


def draw_trace(cfg, axs, tr, title=""):
    """Two sequences side by side: A's probability of each actual input (x marks: fed to C), the hidden
    unit of A whose activation differs most between the sequences, and C's state."""
    names = symbol_names(cfg)
    T = cfg.lag + 1
    t = np.arange(T)
    cols = ("#c0392b", "#2c3e50")
    for k, (seq, c) in enumerate(zip(tr, cols)):
        lab = "a b1 .. b%d (target 1)" % cfg.lag if k == 0 else "x b1 .. b%d (target 0)" % cfg.lag
        axs[0].plot(t, seq["pA"], color=c, marker=".", lw=1.3, label=lab)
        s = seq["surprised"].astype(bool)
        axs[0].scatter(t[s], seq["pA"][s], marker="x", s=60, color=c, zorder=3)
    axs[0].axhline(1 - cfg.theta, color="k", ls=":", lw=1)
    axs[0].set_ylabel("A's output for\nthe actual input", fontsize=8)
    axs[0].set_ylim(-0.05, 1.1)
    axs[0].legend(fontsize=7, loc="lower right", ncol=2)
    axs[0].set_title(title, fontsize=10)
    diff = np.abs(tr[0]["hA"] - tr[1]["hA"]).mean(0)
    u = int(np.argmax(diff))
    for seq, c in zip(tr, cols):
        axs[1].plot(t, seq["hA"][:, u], color=c, lw=1.6)
    axs[1].plot(t, np.abs(tr[0]["hA"] - tr[1]["hA"]).mean(1), color="#8e44ad", ls="--", lw=1.4,
                label="mean |h_A(a-seq) - h_A(x-seq)| over A's units")
    axs[1].legend(fontsize=7, loc="upper left", framealpha=0.9)
    axs[1].set_ylabel(f"A's unit {u}\n(most a/x-dependent)", fontsize=8)
    axs[1].set_ylim(-0.05, 1.05)
    for seq, c in zip(tr, cols):
        axs[2].plot(t, seq["hC"], color=c, lw=1.0, alpha=0.8)
    axs[2].set_ylabel("C's state h_C\n(all units)", fontsize=8)
    axs[2].set_ylim(-0.05, 1.05)
    axs[2].set_xticks(t, [names[0] + "/" + names[1]] + names[2:], fontsize=6, rotation=90)
    axs[2].set_xlabel("input at step t (A predicts it from h_A(t) before seeing it; x: A failed, C is fed)",
                      fontsize=8)
    for ax in axs:
        ax.grid(alpha=0.3)
        ax.set_xlim(-0.5, T - 0.5)


def plot_test(cfg, out, path):
    tr = trace(cfg, out["nets"])
    fig, axs = plt.subplots(3, 1, figsize=(8.4, 7), sharex=True)
    draw_trace(cfg, axs, tr, "trial 0 after training: target predictions at the last step  "
               f"A: {tr[0]['dA_end']:.2f} / {tr[1]['dA_end']:.2f}   C: {tr[0]['dC_end']:.2f} / {tr[1]['dC_end']:.2f}"
               "  (a-seq / x-seq)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weights(cfg, out, path):
    A = {k: v[0] for k, v in out["nets"]["A"].items()}
    tr = trace(cfg, out["nets"])
    u = int(np.argmax(np.abs(tr[0]["hA"] - tr[1]["hA"]).mean(0)))
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.8), gridspec_kw=dict(width_ratios=[1, 2.4]))
    lim = np.abs(A["Whh"]).max()
    im = axs[0].imshow(A["Whh"].T, cmap="RdBu_r", vmin=-lim, vmax=lim)
    axs[0].set_title(f"A's recurrent weights\nunit {u} self-connection {A['Whh'][u, u]:+.1f}", fontsize=9)
    axs[0].set_xlabel("from hidden unit")
    axs[0].set_ylabel("to hidden unit")
    fig.colorbar(im, ax=axs[0], shrink=0.8)
    W = A["Win"].T
    lim = np.abs(W).max()
    im = axs[1].imshow(W, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    axs[1].set_xticks(range(W.shape[1]), symbol_names(cfg) + ["bias"], fontsize=6, rotation=90)
    axs[1].set_ylabel("hidden unit")
    axs[1].set_title("A's input weights (trial 0)", fontsize=9)
    fig.colorbar(im, ax=axs[1], shrink=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, _ = trained(chunker_22_symbol, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter(cfg))
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out, args.outdir / "training_curves.png")
    plot_seqs(cfg, out, args.outdir / "seqs_to_solve.png")
    plot_test(cfg, out, args.outdir / "test_sequences.png")
    plot_weights(cfg, out, args.outdir / "weights.png")
    print(f"wrote 4 PNGs to {args.outdir}")
    return 0


# >>> snippet: pictures
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
