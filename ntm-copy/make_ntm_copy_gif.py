"""Animated GIF of training: one fixed length-20 test sequence, re-run through the NTM at snapshots
while it learns; prediction against target, and the write / read weightings over memory.

    python3 make_ntm_copy_gif.py --seed 0             # writes ntm_copy.gif next to this script
    python3 make_ntm_copy_gif.py --smoke --out /tmp/ntm.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from ntm_copy import SMOKE, Config, train  # noqa: E402
from visualize_ntm_copy import trace  # noqa: E402


def render(snap, total_seq):
    tr, L = snap["trace"], snap["trace"]["length"]
    T = 2 * L + 1
    fig = plt.figure(figsize=(8, 5.2))
    gs = fig.add_gridspec(3, 2, height_ratios=[1.1, 1.6, 1.2])
    ax0 = fig.add_subplot(gs[0, :])
    img = np.vstack([tr["y"].T, np.full((1, T), np.nan), tr["pred"].T])
    ax0.imshow(img, aspect="auto", interpolation="nearest", cmap="gray_r", vmin=0, vmax=1)
    ax0.set_yticks([])
    ax0.axvline(L, color="tab:orange", lw=0.8)
    ax0.set_title(f"{snap['seq']:6d} training sequences: target (top) / prediction (bottom), "
                  f"{tr['cost']:.2f} bits", fontsize=9)
    hi = min(L + 6, tr["ww"].shape[1])
    for j, (w, name) in enumerate(((tr["ww"], "write"), (tr["wr"], "read"))):
        ax = fig.add_subplot(gs[1, j])
        ax.imshow(w[:, :hi].T, aspect="auto", interpolation="nearest", cmap="magma", vmin=0, vmax=1)
        ax.set_title(f"{name} weighting, locations 0..{hi - 1}", fontsize=8)
        ax.set_xlabel("time step", fontsize=7)
        ax.tick_params(labelsize=6)
    ax = fig.add_subplot(gs[2, :])
    h = snap["hist"]
    ax.semilogy(h["sequences"], np.maximum(h["test_bits"], 1e-3), color="#c0392b")
    ax.set_xlim(0, total_seq)
    ax.set_ylim(1e-3, 300)
    ax.set_ylabel("bits/seq (L=20)", fontsize=7)
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
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "ntm_copy.gif")
    p.add_argument("--fps", type=float, default=5.0)
    p.add_argument("--every", type=int, default=0, help="snapshot every this many updates (default: Config.hist_every)")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    every = args.every or cfg.hist_every
    snaps = []

    def callback(step, state):
        stopping = step % cfg.hist_every == 0 and state["hist"]["test_bits"][-1] < cfg.stop_bits
        if step % every == 0 or step == cfg.updates - 1 or stopping:
            snaps.append(dict(seq=(step + 1) * cfg.batch, trace=trace(state["params"], cfg, cfg.max_len, args.seed),
                              hist={k: list(v) for k, v in state["hist"].items()}))

    out = train(cfg, args.seed, callback=callback)
    frames = [render(s, out["updates"] * cfg.batch) for s in snaps]
    frames += [frames[-1]] * int(2 * args.fps)
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
