"""Animated GIF of training: per-digit-count accuracy and ponder on fixed test sequences, as ACT learns to add.

    python3 make_act_addition_gif.py --seed 0             # writes act_addition.gif next to this script
    python3 make_act_addition_gif.py --smoke --out /tmp/aa.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from act_addition import SMOKE, Config, test_set, train  # noqa: E402
from visualize_act_addition import per_digits  # noqa: E402


def render(cfg, snap, total, pond_max):
    ds, pond, acc, by_step = snap["dig"]
    fig, axs = plt.subplots(2, 1, figsize=(7.2, 5.0), gridspec_kw=dict(height_ratios=[1.2, 1]))
    axs[0].bar(ds, acc, color="#2c3e50", alpha=0.8, width=0.6, label="sum after the step fully right")
    axs[0].set_ylim(0, 1.05)
    axs[0].set_xticks(ds)
    axs[0].set_ylabel("test accuracy")
    axs[0].set_xlabel("digits of the step's input number", fontsize=8)
    ax2 = axs[0].twinx()
    ax2.plot(ds, pond, color="#c0392b", marker="o", ms=4, label="ponder N + R of the step")
    ax2.set_ylim(0, pond_max)
    ax2.set_ylabel("ponder N + R")
    h1, l1 = axs[0].get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    axs[0].legend(h1 + h2, l1 + l2, fontsize=7, loc="lower right")
    axs[0].set_title(f"running sums of 1-{cfg.max_vectors} numbers of 1-{cfg.max_digits} digits with ACT: "
                     f"update {snap['step']} / {total}", fontsize=10)
    h = snap["hist"]
    axs[1].plot(h["step"], h["test_seq_acc"], color="#2c3e50", label="test sequence accuracy")
    axs[1].set_xlim(0, total)
    axs[1].set_ylim(0, 1.02)
    axs[1].set_xlabel("Adam update", fontsize=8)
    axs[1].grid(alpha=0.3)
    a3 = axs[1].twinx()
    a3.plot(h["step"], h["test_ponder"], color="#c0392b", label="mean ponder per step")
    a3.set_ylim(0, pond_max)
    h1, l1 = axs[1].get_legend_handles_labels()
    h2, l2 = a3.get_legend_handles_labels()
    axs[1].legend(h1 + h2, l1 + l2, fontsize=7, loc="center right")
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
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "act_addition.gif")
    p.add_argument("--fps", type=float, default=5.0)
    p.add_argument("--frames", type=int, default=25, help="number of training snapshots")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    if args.smoke:
        args.frames = min(args.frames, 4)
    sub = test_set(cfg, args.seed, n=500)
    marks = set(np.linspace(0, cfg.steps - 1, args.frames).astype(int).tolist())
    snaps = []

    def callback(step, state):
        if step in marks:
            snaps.append(dict(step=step + 1, dig=per_digits(cfg, state["P"], sub),
                              hist={k: list(v) for k, v in state["hist"].items()}))

    train(cfg, args.seed, callback=callback)
    pond_max = max(4.0, 1.2 * max(s["dig"][1].max() for s in snaps), 1.2 * max(max(s["hist"]["test_ponder"]) for s in snaps))
    frames = [render(cfg, s, cfg.steps, pond_max) for s in snaps]
    frames += [frames[-1]] * int(2 * args.fps)
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
