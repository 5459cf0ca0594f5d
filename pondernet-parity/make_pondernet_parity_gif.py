"""Animated GIF of PonderNet training on the extrapolation split: accuracy and inner steps for every
number of non-zero entries (the unseen ones shaded), and the curves so far.

    python3 make_pondernet_parity_gif.py --seed 0             # writes pondernet_parity.gif next to this script
    python3 make_pondernet_parity_gif.py --smoke --out /tmp/pp.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from pondernet_parity import SMOKE, Config, train  # noqa: E402
from visualize_pondernet_parity import per_difficulty  # noqa: E402


def render(cfg, snap, total, steps_max):
    ks, acc, steps = snap["diff"]
    fig, axs = plt.subplots(2, 1, figsize=(7.2, 5.2), gridspec_kw=dict(height_ratios=[1.3, 1]))
    seen = ks <= cfg.train_max_nonzero
    axs[0].bar(ks[seen], acc[seen], color="#2471a3", alpha=0.85, label="accuracy, trained difficulties")
    axs[0].bar(ks[~seen], acc[~seen], color="#f39c12", alpha=0.85, label="accuracy, unseen difficulties")
    axs[0].axhline(0.5, color="k", ls=":", lw=0.8)
    axs[0].set_ylim(0, 1.3)
    axs[0].set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    axs[0].set_ylabel("accuracy")
    axs[0].set_xlabel("non-zero entries k", fontsize=8)
    axs[0].set_xticks(ks)
    ax2 = axs[0].twinx()
    ax2.plot(ks, steps, color="k", marker="o", ms=3, label="inner steps taken (sampled halting)")
    ax2.set_ylim(0, 1.3 * steps_max)
    ax2.set_ylabel("inner steps")
    h1, l1 = axs[0].get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    axs[0].legend(h1 + h2, l1 + l2, fontsize=6.5, loc="upper center", ncol=3, frameon=False)
    axs[0].set_title(f"PonderNet parity, width {cfg.width}, trained on k = 1-{cfg.train_max_nonzero}: "
                     f"update {snap['step']} / {total}", fontsize=9)
    h = snap["hist"]
    axs[1].plot(h["step"], h["in_acc"], color="#2471a3", label="in range")
    axs[1].plot(h["step"], h["ext_acc"], color="#f39c12", label="extrapolation")
    axs[1].axhline(0.5, color="k", ls=":", lw=0.8)
    axs[1].set_xlim(0, total)
    axs[1].set_ylim(0.3, 1.02)
    axs[1].set_ylabel("accuracy")
    axs[1].set_xlabel("Adam update", fontsize=8)
    axs[1].legend(fontsize=7, loc="lower right")
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="short training run (Config overridden by SMOKE)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "pondernet_parity.gif")
    p.add_argument("--fps", type=float, default=5.0)
    p.add_argument("--frames", type=int, default=30, help="number of training snapshots")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    if args.smoke:
        args.frames = min(args.frames, 4)
    marks = set(np.linspace(0, cfg.steps - 1, args.frames).astype(int).tolist())
    snaps = []

    def callback(step, state):
        if step in marks:
            snaps.append(dict(step=step + 1, diff=per_difficulty(cfg, state["P"], args.seed, n_per_k=150),
                              hist={k: list(v) for k, v in state["hist"].items()}))

    train(cfg, args.seed, callback=callback)
    steps_max = 1.2 * max(max(s["diff"][2].max() for s in snaps), 2.0)
    frames = [render(cfg, s, cfg.steps, steps_max) for s in snaps]
    frames += [frames[-1]] * int(2 * args.fps)
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
