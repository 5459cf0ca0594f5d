"""Animated GIF of training: net 0's memory-cell states on fixed test sequences, coloured by class,
separating as the nets learn; beside it, every net's running training error.

    python3 make_temporal_order_4bit_gif.py --seed 0             # writes temporal_order_4bit.gif next to this script
    python3 make_temporal_order_4bit_gif.py --smoke --out /tmp/to3.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from temporal_order_4bit import BLOCK_SIZE, BLOCKS, CLASS_NAMES, SLOTS, SMOKE, Config, test_set, train  # noqa: E402
from visualize_temporal_order_4bit import CLASS_COLORS, trace  # noqa: E402

N_SHOW = 48


def render(cfg, snap, total):
    tr = snap["trace"]
    nc = BLOCKS * BLOCK_SIZE
    fig, axs = plt.subplots(1, nc + 1, figsize=(2.6 * nc + 3.6, 3.2),
                            gridspec_kw=dict(width_ratios=[1] * nc + [1.4]))
    T = tr["s"].shape[0]
    for c in range(nc):
        ax = axs[c]
        lim = max(2.0, float(np.abs(tr["s"][..., c]).max()) * 1.05)   # each cell on its own scale
        for k in range(tr["s"].shape[1]):
            st = tr["start"][k]
            ax.plot(np.arange(1, T - st + 1), tr["s"][st:, k, c], color=CLASS_COLORS[tr["cls"][k]], lw=0.6, alpha=0.6)
        for (lo, hi) in SLOTS:
            ax.axvspan(lo - 0.5, hi + 0.5, color="0.88", lw=0, zorder=0)
        ax.set_ylim(-lim, lim)
        ax.set_title(f"cell {c // BLOCK_SIZE + 1}.{c % BLOCK_SIZE + 1}: s_t", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("position", fontsize=7)
    for c, name in enumerate(CLASS_NAMES):
        axs[0].plot([], [], color=CLASS_COLORS[c], label=name)
    axs[0].legend(fontsize=6, loc="upper left", ncol=2)
    ax = axs[-1]
    h = snap["hist"]
    if len(h["seqs"]):
        w = np.array(h["train_wrong"])
        for i in range(w.shape[1]):
            ax.plot(h["seqs"], w[:, i], lw=0.8, color=plt.cm.viridis(i / max(1, w.shape[1] - 1)))
    ax.set_xlim(0, total)
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("training sequences misclassified, all nets", fontsize=8)
    ax.set_xlabel("training sequences", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    fig.suptitle(f"temporal order (6b), net 0 after {snap['seen']} training sequences", fontsize=9)
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
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "temporal_order_4bit.gif")
    p.add_argument("--fps", type=float, default=5.0)
    p.add_argument("--frames", type=int, default=36, help="number of training snapshots")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    if args.smoke:
        args.frames = min(args.frames, 4)
    test = test_set(cfg, args.seed)
    idx = list(range(min(N_SHOW, test[2].shape[1])))
    every = max(cfg.batch, cfg.max_seqs // args.frames // cfg.batch * cfg.batch)
    snaps = []

    def snap(seen, state):
        snaps.append(dict(seen=seen, trace=trace(cfg, state["P"], test, idx),
                          hist={k: list(v) for k, v in state["hist"].items()}))

    def callback(seen, state):
        if seen % every < cfg.batch or state["stop"][0] == seen:
            snap(seen, state)

    out = train(cfg, args.seed, callback=callback)
    total = int(out["history"]["seqs"][-1])
    frames = [render(cfg, s, total) for s in snaps if s["seen"] <= total]
    frames += [frames[-1]] * int(2 * args.fps)   # hold the final frame
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
