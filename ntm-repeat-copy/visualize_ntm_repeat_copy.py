"""Static figures of one NTM repeat-copy run: learning curve, the paper's Fig. 8 view of a test episode
(input, target, prediction, write and read weightings), generalisation to longer sequences and more
repeats, and end-marker accuracy over the whole training range.

    python3 visualize_ntm_repeat_copy.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_ntm_repeat_copy.py --smoke --outdir /tmp/ntm
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import ntm_repeat_copy  # noqa: E402
from ntm_repeat_copy import (SMOKE, Config, bce_bits, evaluate_on, ntm_forward, range_sets, repeat_batch,  # noqa: E402
                             rng_streams, sigm, train)


def trace(p, cfg, length, reps, seed):
    """One test episode through the trained NTM: x, y, prediction, weightings, adds, reads."""
    rng = rng_streams(seed, ("viz",))["viz"]
    x, y, mask = repeat_batch(rng, 1, length, reps, cfg.bits, np.dtype(cfg.dtype))
    logits, cache = ntm_forward(p, cfg, x)
    st = cache["steps"]
    ww = np.stack([s["acache"]["w"][0, 1] for s in st])        # (T, N)
    wr = np.stack([s["acache"]["w"][0, 0] for s in st])
    adds = np.stack([s["a"][0] for s in st])                   # (T, W)
    reads = np.stack([s["hr"][0, cfg.hidden:] for s in st])
    pred = sigm(logits[:, 0])
    wrong = ((pred > 0.5) != (y[:, 0] > 0.5)) & (mask[:, None] > 0)
    return dict(x=x[:, 0], y=y[:, 0], pred=pred, ww=ww, wr=wr, adds=adds, reads=reads, mask=mask,
                cost=float(bce_bits(logits, y, mask)[0]), errors=int(wrong[:, :-1].sum()),
                end_ok=not wrong[:, -1].any(), length=length, reps=reps)


def plot_fig8(tr, path, title):
    L = tr["length"]
    T = tr["x"].shape[0]
    sh = 8  # rows rolled down so a head that wraps from location 0 to 127, 126, ... stays in one window
    ww, wr = np.roll(tr["ww"], sh, axis=1), np.roll(tr["wr"], sh, axis=1)
    used = np.where((ww.max(0) > 0.05) | (wr.max(0) > 0.05))[0]
    lo, hi = (max(used.min() - 3, 0), min(used.max() + 4, ww.shape[1])) if used.size else (0, 40)
    fig, axs = plt.subplots(3, 2, figsize=(12, 7.5), gridspec_kw=dict(height_ratios=[1, 1, 2.2]))
    kw = dict(aspect="auto", interpolation="nearest", cmap="gray_r", vmin=0, vmax=1)
    axs[0, 0].imshow(tr["x"].T, **kw)
    axs[0, 0].set_title("input (8 bits, delimiter, normalised repeat count)", fontsize=9)
    pred = np.where(tr["mask"][:, None] > 0, tr["pred"], np.nan)
    axs[0, 1].imshow(np.vstack([tr["y"].T, np.full((1, T), np.nan), pred.T]), **kw)
    axs[0, 1].set_title(f"target (top) / prediction (bottom), last row end marker: {tr['cost']:.2f} bits,\n"
                        f"{tr['errors']} bit errors, end marker {'right' if tr['end_ok'] else 'WRONG'}", fontsize=8)
    axs[1, 0].imshow(tr["adds"].T, aspect="auto", interpolation="nearest", cmap="RdBu_r", vmin=-1, vmax=1)
    axs[1, 0].set_title("add vectors a_t written (W = 20)", fontsize=9)
    axs[1, 1].imshow(tr["reads"].T, aspect="auto", interpolation="nearest", cmap="RdBu_r", vmin=-1, vmax=1)
    axs[1, 1].set_title("read vectors r_t", fontsize=9)
    for ax, w, name in ((axs[2, 0], ww, "write"), (axs[2, 1], wr, "read")):
        ax.imshow(w[:, lo:hi].T, aspect="auto", interpolation="nearest", cmap="magma", vmin=0, vmax=1,
                  extent=(-0.5, T - 0.5, hi - sh - 0.5, lo - sh - 0.5))
        ax.set_title(f"{name} weighting over memory locations {lo - sh}..{hi - sh - 1} (-1 is location 127)",
                     fontsize=9)
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
    ax.semilogy(h["sequences"], h["train_bits"], color="#7f8c8d", lw=1,
                label=f"training batches (length {cfg.min_len}-{cfg.max_len}, repeats {cfg.min_rep}-{cfg.max_rep})")
    ax.semilogy(h["sequences"], np.maximum(h["test_bits"], 1e-2), color="#c0392b", lw=2,
                label=f"check set, {cfg.n_check} episodes of every (length, repeats) of the training range")
    drops = np.nonzero(np.diff(h["lr"]) < 0)[0]
    for i in drops:
        ax.axvline(h["sequences"][i + 1], color="tab:blue", lw=0.8, ls="--",
                   label=f"learning rate {h['lr'][i]:.1e} -> {h['lr'][i + 1]:.1e}")
    ax.set_xlabel("training sequences")
    ax.set_ylabel("cost (bits per sequence)")
    ax.grid(alpha=0.3, which="both")
    ax2 = ax.twinx()
    ax2.plot(h["sequences"], h["test_endmark"], color="#27ae60", lw=1.2, label="check set: end marker right (right axis)")
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel("fraction of check episodes with the end marker right")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=7, loc="lower left")
    ax.set_title("NTM repeat copy: cost per sequence while learning (paper Fig. 7)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_generalisation(p, cfg, seed, cases, path):
    """Target and prediction for episodes beyond the training range (the paper's Fig. 8)."""
    fig, axs = plt.subplots(len(cases), 1, figsize=(12, 1.5 * len(cases) + 0.6))
    for ax, (L, R) in zip(np.atleast_1d(axs), cases):
        tr = trace(p, cfg, L, R, seed + 1)
        rec = slice(L + 1, tr["x"].shape[0])
        img = np.vstack([tr["y"][rec].T, np.full((1, rec.stop - rec.start), np.nan), tr["pred"][rec].T])
        ax.imshow(img, aspect="auto", interpolation="nearest", cmap="gray_r", vmin=0, vmax=1)
        for k in range(1, R):
            ax.axvline(k * L - 0.5, color="tab:blue", lw=0.4, alpha=0.5)
        ax.set_yticks([])
        ax.set_title(f"length {L}, {R} repeats: target (top) / prediction (bottom), {tr['errors']} data-bit errors, "
                     f"end marker {'right' if tr['end_ok'] else 'wrong'}, {tr['cost']:.1f} bits", fontsize=8,
                     loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_range(p, cfg, seed, path):
    """End-marker accuracy and data-bit errors for every (length, repeats) of the training range."""
    nL, nR = cfg.max_len - cfg.min_len + 1, cfg.max_rep - cfg.min_rep + 1
    end, err = np.zeros((nL, nR)), np.zeros((nL, nR))
    for L, R, data in range_sets(cfg, seed):
        d = evaluate_on(p, cfg, data)
        end[L - cfg.min_len, R - cfg.min_rep] = d["endmark"].mean()
        err[L - cfg.min_len, R - cfg.min_rep] = d["errors"].mean()
    fig, axs = plt.subplots(1, 2, figsize=(10, 4.2))
    ext = (cfg.min_rep - 0.5, cfg.max_rep + 0.5, cfg.max_len + 0.5, cfg.min_len - 0.5)
    for ax, a, name, cmap, vmax in ((axs[0], end, "end marker right (fraction)", "Greens", 1),
                                    (axs[1], err, "data-bit errors per episode", "Reds", max(1.0, err.max()))):
        im = ax.imshow(a, cmap=cmap, vmin=0, vmax=vmax, extent=ext, aspect="auto")
        ax.set_xlabel("repeats")
        ax.set_ylabel("sequence length")
        ax.set_title(f"{name}; mean {a.mean():.3f}", fontsize=9)
        fig.colorbar(im, ax=ax)
    fig.suptitle(f"training range, {cfg.n_range} fresh episodes per cell", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def frame_steps(cfg, every=0):
    """The updates where the GIF may take a frame: every `every`-th (default 2 x Config.hist_every), the last,
    and every check of the history (training may stop at one)."""
    every = every or 2 * cfg.hist_every
    return sorted(set(range(0, cfg.updates, every)) | set(range(0, cfg.updates, cfg.hist_every)) | {cfg.updates - 1})


def snapshotter(cfg, seed, every=0):
    """snapshot(step, state): the GIF's frame (the fixed test episode through the NTM, the history so far) at
    every `every`-th update, the last one and the one where training stops; None elsewhere."""
    every = every or 2 * cfg.hist_every
    L, R = cfg.max_len, min(cfg.max_rep, 5)

    def snapshot(step, state):
        stopping = state["stop"]
        if step % every == 0 or step == cfg.updates - 1 or stopping:
            return dict(seq=(step + 1) * cfg.batch, trace=trace(state["params"], cfg, L, R, seed),
                        hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    out, _ = trained(ntm_repeat_copy, cfg, args.seed, frame_steps(cfg), snapshotter(cfg, args.seed))
    params = out["params"]
    plot_curve(cfg, out["history"], args.outdir / "learning_curve.png")
    L, R = cfg.max_len, min(cfg.max_rep, 5)
    plot_fig8(trace(params, cfg, L, R, args.seed), args.outdir / "repeat_copy_example.png",
              f"NTM repeat copy, seed {args.seed}: length {L}, {R} repeats (orange line: delimiter and count)")
    cases = ((3, 2), (4, 4), (6, 3)) if args.smoke else ((10, 10), (20, 10), (10, 15), (10, 20))
    plot_generalisation(params, cfg, args.seed, cases, args.outdir / "generalisation.png")
    plot_range(params, cfg, args.seed, args.outdir / "training_range.png")
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
