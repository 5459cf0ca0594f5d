"""Animated GIF of the headline training run: net 0's memory-cell states and output on 40 fixed test
sequences (coloured by class) as the nets learn to latch the class and ignore the noise; beside it,
every net's training error.

    python3 make_two_sequence_noise_gif.py --seed 0             # writes two_sequence_noise.gif next to this script
    python3 make_two_sequence_noise_gif.py --smoke --out /tmp/tsn.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from two_sequence_noise import SMOKE, VARIANTS, Config, init_params, net_streams, test_set, train  # noqa: E402
from visualize_two_sequence_noise import CLASS_COLORS, trace  # noqa: E402

N_SHOW = 40


def render(cfg, snap, total):
    tr = snap["trace"]
    nc = tr["s"].shape[-1]
    fig, axs = plt.subplots(1, nc + 2, figsize=(2.5 * (nc + 1) + 3.4, 3.1),
                            gridspec_kw=dict(width_ratios=[1] * (nc + 1) + [1.35]))
    for c in range(nc):
        ax = axs[c]
        lim = max(1.0, float(np.abs(tr["s"][..., c]).max()) * 1.05)   # each cell on its own scale
        for k in range(tr["s"].shape[1]):
            Lk = tr["length"][k]
            ax.plot(np.arange(1, Lk + 1), tr["s"][:Lk, k, c], color=CLASS_COLORS[tr["cls"][k]], lw=0.6, alpha=0.6)
        ax.set_ylim(-lim, lim)
        ax.set_title(f"cell {c + 1}: state s_t", fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_xlabel("time step", fontsize=7)
    ax = axs[nc]
    for k in range(tr["o"].shape[1]):
        Lk = tr["length"][k]
        ax.plot(np.arange(1, Lk + 1), tr["o"][:Lk, k], color=CLASS_COLORS[tr["cls"][k]], lw=0.6, alpha=0.6)
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("output o_t", fontsize=8)
    ax.tick_params(labelsize=6)
    ax.set_xlabel("time step", fontsize=7)
    for c in range(2):
        axs[0].plot([], [], color=CLASS_COLORS[c], label=f"class {c + 1}")
    axs[0].legend(fontsize=6, loc="upper left")
    ax = axs[-1]
    h = snap["hist"]
    if len(h["seqs"]):
        e = np.array(h["train_mae"], dtype=float)
        for i in range(e.shape[1]):
            ax.plot(h["seqs"], e[:, i], lw=0.7, color=plt.cm.viridis(i / max(1, e.shape[1] - 1)))
    ax.axhline(VARIANTS[cfg.variant]["st2_mae"], color="k", ls=":", lw=0.7)
    ax.set_yscale("log")
    ax.set_ylim(3e-3, 1.0)
    ax.set_xlim(0, total)
    ax.set_title("training error |o - d|, all nets", fontsize=8)
    ax.set_xlabel("training sequences", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3)
    met = int(np.sum(np.asarray(snap["st2"]) > 0))
    fig.suptitle(f"2-sequence problem, Task {cfg.variant} (T={cfg.T}, N={cfg.N}): net 0 after {snap['seen']} "
                 f"training sequences; ST2 met by {met}/{len(snap['st2'])} nets", fontsize=8)
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
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "two_sequence_noise.gif")
    p.add_argument("--fps", type=float, default=5.0)
    p.add_argument("--frames", type=int, default=36, help="number of training snapshots (at most)")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    if args.smoke:
        args.frames = min(args.frames, 4)
    test = test_set(cfg, args.seed)
    idx = list(range(N_SHOW))
    snaps = []

    every = max(1, cfg.max_seqs // (2 * args.frames) // cfg.test_every) * cfg.test_every

    def callback(seen, state):
        if seen % every == 0 or np.all(state["st2"] > 0) or seen >= cfg.max_seqs:
            snaps.append(dict(seen=seen, trace=trace(cfg, state["P"], test, idx), st2=state["st2"].copy(),
                              hist={k: list(v) for k, v in state["hist"].items()}))

    P0 = init_params([st["init"] for st in net_streams(args.seed, cfg)], cfg)
    snaps.append(dict(seen=0, trace=trace(cfg, P0, test, idx), st2=np.full(cfg.n_nets, -1),
                      hist=dict(seqs=[], train_mae=[])))
    out = train(cfg, args.seed, callback=callback)
    total = int(out["seen"])
    keep = np.unique(np.linspace(0, len(snaps) - 1, min(args.frames, len(snaps))).round().astype(int))
    frames = [render(cfg, snaps[i], total) for i in keep]
    frames += [frames[-1]] * int(2 * args.fps)   # hold the final frame
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
