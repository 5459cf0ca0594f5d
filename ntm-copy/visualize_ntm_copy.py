"""Static figures of one NTM copy run: learning curve, the paper's Fig. 6 view of a test sequence
(input, target, prediction, write and read weightings), and generalisation to longer sequences.

    python3 visualize_ntm_copy.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_ntm_copy.py --smoke --outdir /tmp/ntm
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import ntm_copy  # noqa: E402
from ntm_copy import SMOKE, Config, bce_bits, copy_batch, ntm_forward, rng_streams, sigm, train  # noqa: E402


def trace(p, cfg, length, seed, k=0):
    """One test sequence of `length` through the trained NTM: x, y, prediction, weightings, adds, reads."""
    rng = rng_streams(seed, ("viz",))["viz"]
    x, y, mask = copy_batch(rng, 1, length, cfg.bits, np.dtype(cfg.dtype))
    logits, cache = ntm_forward(p, cfg, x)
    st = cache["steps"]
    ww = np.stack([s["acache"]["w"][0, 1] for s in st])        # (T, N)
    wr = np.stack([s["acache"]["w"][0, 0] for s in st])
    adds = np.stack([s["a"][0] for s in st])                   # (T, W)
    reads = np.stack([s["hr"][0, cfg.hidden:] for s in st])
    cost = float(bce_bits(logits, y, mask)[0])
    return dict(x=x[:, 0], y=y[:, 0], pred=sigm(logits[:, 0]), ww=ww, wr=wr, adds=adds, reads=reads, mask=mask,
                cost=cost, length=length)


def plot_fig6(tr, path, title):
    L = tr["length"]
    T = 2 * L + 1
    ww, wr = tr["ww"], tr["wr"]
    used = np.where((ww.max(0) > 0.05) | (wr.max(0) > 0.05))[0]
    lo, hi = (max(used.min() - 3, 0), min(used.max() + 4, ww.shape[1])) if used.size else (0, 40)
    fig, axs = plt.subplots(3, 2, figsize=(11, 7.5), gridspec_kw=dict(height_ratios=[1, 1, 2.2]))
    kw = dict(aspect="auto", interpolation="nearest", cmap="gray_r", vmin=0, vmax=1)
    axs[0, 0].imshow(tr["x"].T, **kw)
    axs[0, 0].set_title("input (8 bits + delimiter channel)", fontsize=9)
    axs[0, 1].imshow(np.vstack([tr["y"].T, np.full((1, T), np.nan), tr["pred"].T]), **kw)
    axs[0, 1].set_title(f"target (top) and prediction (bottom): {tr['cost']:.3f} bits", fontsize=9)
    axs[1, 0].imshow(tr["adds"].T, aspect="auto", interpolation="nearest", cmap="RdBu_r", vmin=-1, vmax=1)
    axs[1, 0].set_title("add vectors a_t written (W = 20)", fontsize=9)
    rd = tr["reads"].T
    axs[1, 1].imshow(rd, aspect="auto", interpolation="nearest", cmap="RdBu_r", vmin=-1, vmax=1)
    axs[1, 1].set_title("read vectors r_t", fontsize=9)
    for ax, w, name in ((axs[2, 0], ww, "write"), (axs[2, 1], wr, "read")):
        ax.imshow(w[:, lo:hi].T, aspect="auto", interpolation="nearest", cmap="magma", vmin=0, vmax=1,
                  extent=(-0.5, T - 0.5, hi - 0.5, lo - 0.5))
        ax.set_title(f"{name} weighting over memory locations {lo}..{hi - 1}", fontsize=9)
        ax.set_ylabel("location")
        ax.set_xlabel("time step")
    for ax in axs[:2].ravel():
        ax.set_yticks([])
        ax.axvline(L, color="tab:orange", lw=0.8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curve(cfg, hist, path):
    h = {k: np.asarray(v, dtype=float) for k, v in hist.items()}
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.semilogy(h["sequences"], h["train_bits"], color="#7f8c8d", lw=1, label="training batches (lengths 1-20)")
    ax.semilogy(h["sequences"], np.maximum(h["test_bits"], 1e-3), color="#c0392b", lw=2,
                label=f"check set, length {cfg.max_len}")
    ax.set_xlabel("training sequences")
    ax.set_ylabel("cost (bits per sequence)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title("NTM copy: cost per sequence while learning (paper Fig. 3: about 0.1 bits by 100k sequences)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_generalisation(p, cfg, seed, lengths, path):
    """Target and prediction for sequences of increasing length (the paper's Fig. 4)."""
    fig, axs = plt.subplots(len(lengths), 1, figsize=(11, 1.3 * len(lengths) + 0.6))
    for ax, L in zip(np.atleast_1d(axs), lengths):
        tr = trace(p, cfg, L, seed + 1)
        rec = slice(L + 1, 2 * L + 1)
        img = np.vstack([tr["y"][rec].T, np.full((1, L), np.nan), tr["pred"][rec].T])
        ax.imshow(img, aspect="auto", interpolation="nearest", cmap="gray_r", vmin=0, vmax=1)
        errs = int(np.sum((tr["pred"][rec] > 0.5) != (tr["y"][rec] > 0.5)))
        ax.set_yticks([])
        ax.set_ylabel(f"L={L}", rotation=0, ha="right", va="center")
        ax.set_title(f"length {L}: target (top) / prediction (bottom), {errs} bit errors, {tr['cost']:.2f} bits",
                     fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def frame_steps(cfg, every=0):
    """The updates where the GIF may take a frame: every `every`-th (default Config.hist_every), the last,
    and every check of the history (training may stop at one)."""
    every = every or cfg.hist_every
    return sorted(set(range(0, cfg.updates, every)) | set(range(0, cfg.updates, cfg.hist_every)) | {cfg.updates - 1})


def snapshotter(cfg, seed, every=0):
    """snapshot(step, state): the GIF's frame (the fixed test episode through the NTM, the history so far) at
    every `every`-th update, the last one and the one where training stops; None elsewhere."""
    every = every or cfg.hist_every

    def snapshot(step, state):
        stopping = step % cfg.hist_every == 0 and state["hist"]["test_bits"][-1] < cfg.stop_bits
        if step % every == 0 or step == cfg.updates - 1 or stopping:
            return dict(seq=(step + 1) * cfg.batch, trace=trace(state["params"], cfg, cfg.max_len, seed),
                        hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    out, _ = trained(ntm_copy, cfg, args.seed, frame_steps(cfg), snapshotter(cfg, args.seed))
    params = out["params"]
    plot_curve(cfg, out["history"], args.outdir / "learning_curve.png")
    L = cfg.max_len
    plot_fig6(trace(params, cfg, L, args.seed), args.outdir / "copy_length20.png",
              f"NTM copy, seed {args.seed}: a fresh test sequence of length {L} (orange line: delimiter)")
    Lg = 5 if args.smoke else 50
    plot_fig6(trace(params, cfg, Lg, args.seed), args.outdir / "copy_length50.png",
              f"NTM copy, seed {args.seed}: length {Lg}, longer than any training sequence")
    lengths = (3, 5, 8) if args.smoke else (10, 20, 30, 50, 120)
    plot_generalisation(params, cfg, args.seed, lengths, args.outdir / "generalisation.png")
    print(f"wrote {args.outdir}/*.png")
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
