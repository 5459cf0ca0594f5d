"""Animated GIF of training: one fixed test episode (length 10, 5 repeats), re-run through the NTM at
snapshots while it learns; prediction against target, and the write / read weightings over memory.

    python3 make_ntm_repeat_copy_gif.py --seed 0             # writes ntm_repeat_copy.gif next to this script
    python3 make_ntm_repeat_copy_gif.py --smoke --out /tmp/ntm.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from ntm_repeat_copy import SMOKE, Config, train  # noqa: E402
from visualize_ntm_repeat_copy import trace  # noqa: E402


SHIFT = 8  # weightings rolled by this many rows, so a head that wraps from location 0 to 127 stays in view


def window_of(snaps):
    """Rows (after the roll) that the heads of the final snapshot use, padded by 3: (lo, hi)."""
    tr = snaps[-1]["trace"]
    w = np.roll(np.maximum(tr["ww"].max(0), tr["wr"].max(0)), SHIFT)
    used = np.where(w > 0.05)[0]
    if not used.size:
        return 0, 40
    return max(used.min() - 3, 0), min(used.max() + 4, w.size)


def render(snap, total_seq, cfg, window):
    tr, L = snap["trace"], snap["trace"]["length"]
    T = tr["x"].shape[0]
    fig = plt.figure(figsize=(8, 5.2))
    gs = fig.add_gridspec(3, 2, height_ratios=[1.1, 1.6, 1.2])
    ax0 = fig.add_subplot(gs[0, :])
    pred = np.where(tr["mask"][:, None] > 0, tr["pred"], np.nan)
    img = np.vstack([tr["y"].T, np.full((1, T), np.nan), pred.T])
    ax0.imshow(img, aspect="auto", interpolation="nearest", cmap="gray_r", vmin=0, vmax=1)
    ax0.set_yticks([])
    ax0.axvline(L, color="tab:orange", lw=0.8)
    ax0.set_title(f"{snap['seq']:6d} training sequences: target (top) / prediction (bottom), "
                  f"{tr['cost']:.1f} bits, end marker {'right' if tr['end_ok'] else 'wrong'}", fontsize=9)
    lo, hi = window
    for j, (w, name) in enumerate(((tr["ww"], "write"), (tr["wr"], "read"))):
        ax = fig.add_subplot(gs[1, j])
        ax.imshow(np.roll(w, SHIFT, axis=1)[:, lo:hi].T, aspect="auto", interpolation="nearest", cmap="magma",
                  vmin=0, vmax=1, extent=(-0.5, T - 0.5, hi - SHIFT - 0.5, lo - SHIFT - 0.5))
        ax.set_title(f"{name} weighting, locations {lo - SHIFT}..{hi - SHIFT - 1} (-1 = 127)", fontsize=8)
        ax.set_xlabel("time step", fontsize=7)
        ax.tick_params(labelsize=6)
    ax = fig.add_subplot(gs[2, :])
    h = snap["hist"]
    ax.semilogy(h["sequences"], np.maximum(h["test_bits"], 1e-2), color="#c0392b")
    ax.set_xlim(0, total_seq)
    ax.set_ylim(1e-2, 2000)
    ax.set_ylabel("check bits/seq", fontsize=7)
    ax.set_xlabel("training sequences", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="short training run (Config overridden by SMOKE)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "ntm_repeat_copy.gif")
    p.add_argument("--fps", type=float, default=5.0)
    p.add_argument("--every", type=int, default=0, help="snapshot every this many updates (default: 2 x Config.hist_every)")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    every = args.every or 2 * cfg.hist_every
    L, R = cfg.max_len, min(cfg.max_rep, 5)
    snaps = []

    def callback(step, state):
        if step % every == 0 or step == cfg.updates - 1 or state["stop"]:
            snaps.append(dict(seq=(step + 1) * cfg.batch, trace=trace(state["params"], cfg, L, R, args.seed),
                              hist={k: list(v) for k, v in state["hist"].items()}))

    out = train(cfg, args.seed, callback=callback)
    window = window_of(snaps)
    frames = [render(s, out["updates"] * cfg.batch, cfg, window) for s in snaps]
    frames += [frames[-1]] * int(2 * args.fps)
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
