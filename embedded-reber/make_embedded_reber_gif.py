"""Animation of the first headline trial that meets the criterion (trial 0 if none does): its
outputs on one fixed test string (outer T) and its twin (outer P) at every evaluation, with the
fraction of strings correct so far.

    python3 make_embedded_reber_gif.py --seed 0          # writes embedded_reber.gif next to this script
    python3 make_embedded_reber_gif.py --smoke --out /tmp/er.gif
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
from embedded_reber import SMOKE, SYMBOLS, Config, legal_next, lstm_forward, make_data, onehot, _SYM  # noqa: E402
from visualize_embedded_reber import frame_steps, snapshot  # noqa: E402


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
    return fig_image(fig, dpi=72)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "embedded_reber.gif")
    cfg = Config(**(SMOKE if args.smoke else {}))
    strings = twin_strings(make_data(cfg, args.seed))
    out, snaps = trained(embedded_reber, cfg, args.seed, frame_steps(cfg), snapshot)
    solved = np.flatnonzero(out["seqs_to_solve"] >= 0)
    r = int(solved[0]) if solved.size else 0               # the first trial that met the criterion
    snaps = sorted([q[1:] for q in snaps if q[0] == r], key=lambda q: q[0])
    snaps = [(n, f, W, Wk, [(m, g) for m, g, _, _ in snaps[:i + 1]]) for i, (n, f, W, Wk) in enumerate(snaps)]
    keep = np.unique(np.linspace(0, len(snaps) - 1, min(len(snaps), 40)).round().astype(int))
    frames = [render(cfg, strings, W, Wk, n, f, c, r) for (n, f, W, Wk, c) in (snaps[i] for i in keep)]
    save_gif(frames, args.out, fps=4.0, hold_s=1.5, colors=256)
    print(f"trial {r} met the criterion after {int(out['seqs_to_solve'][r])} sequences (-1: not within the budget)")
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
