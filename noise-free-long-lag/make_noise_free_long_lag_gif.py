"""Animated GIF of Task 2a training (p = 100): net 0's memory-cell state on the x- and the y-sequence
pulling apart as the input gate learns to open for the key only, the predicted final symbol, and every
net's end-of-sequence error.

    python3 make_noise_free_long_lag_gif.py --seed 0             # writes noise_free_long_lag.gif next to this script
    python3 make_noise_free_long_lag_gif.py --smoke --out /tmp/nfl.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from noise_free_long_lag import SMOKE, Config, both_ab, check_every_of, lstm_ab_forward, train  # noqa: E402

KEY_COLORS = ("#c0392b", "#2471a3")


def render(cfg, snap, total):
    fig, axs = plt.subplots(1, 3, figsize=(12, 3.4), gridspec_kw=dict(width_ratios=[1.4, 0.8, 1.2]))
    ax = axs[0]
    for k, name in enumerate(("x", "y")):
        ax.plot(snap["s"][k], color=KEY_COLORS[k], lw=1.4, label=f"sequence ({name}, a1 .. a{cfg.p - 1}, {name})")
    ax.set_xlabel("position")
    ax.set_title("net 0: cell state s_t", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    ax = axs[1]
    w = 0.35
    for k in range(2):
        ax.bar(np.arange(2) + (k - 0.5) * w, snap["yend"][k], width=w, color=KEY_COLORS[k],
               label=("x-sequence", "y-sequence")[k])
    ax.set_xticks([0, 1], ["output x", "output y"])
    ax.set_ylim(0, 1.02)
    ax.axhline(0.75, color="0.5", lw=0.6, ls="--")
    ax.axhline(0.25, color="0.5", lw=0.6, ls="--")
    ax.set_title("net 0: prediction of the last symbol", fontsize=9)
    ax.legend(fontsize=7, loc="upper center")
    ax = axs[2]
    h = snap["hist"]
    if len(h["seqs"]):
        e = np.array(h["end_err"])
        for i in range(e.shape[1]):
            ax.semilogy(h["seqs"], np.maximum(e[:, i], 1e-6), lw=0.8, color=plt.cm.viridis(i / max(1, e.shape[1] - 1)))
    ax.set_xlim(0, total)
    ax.set_ylim(1e-6, 2)
    ax.set_xlabel("training sequences")
    ax.set_title("end-of-sequence error, all nets", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    fig.suptitle(f"Task 2a (p = {cfg.p}), after {snap['seen']} training sequences", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="short training run (Config overridden by SMOKE)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "noise_free_long_lag.gif")
    p.add_argument("--fps", type=float, default=5.0)
    p.add_argument("--every", type=int, default=50, help="training sequences between frames")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    X, _ = both_ab(cfg)
    every = max(check_every_of(cfg), args.every // check_every_of(cfg) * check_every_of(cfg))
    snaps = []

    def callback(seen, state):
        if seen % every == 0 or (state["stop"][0] == seen and (not snaps or snaps[-1]["seen"] != seen)):
            P0 = {k: v[:1] for k, v in state["P"].items()}
            y, c = lstm_ab_forward(P0, X[None])
            snaps.append(dict(seen=seen, s=c["s"][0], yend=y[0, :, -1, cfg.p - 1:cfg.p + 1],
                              hist={k: list(v) for k, v in state["hist"].items()}))

    out = train(cfg, args.seed, callback=callback)
    total = int(out["history"]["seqs"][-1])
    frames = [render(cfg, s, total) for s in snaps]
    frames += [frames[-1]] * int(2 * args.fps)   # hold the final frame
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
