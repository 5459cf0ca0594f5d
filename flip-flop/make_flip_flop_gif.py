"""Animated GIF of training: C's output on one fixed test episode converging to the latch target.

    python3 make_flip_flop_gif.py --seed 0             # writes flip_flop.gif next to this script
    python3 make_flip_flop_gif.py --smoke --out /tmp/ff.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from flip_flop import SMOKE, Config, fixed_test_set, train  # noqa: E402
from visualize_flip_flop import draw_events, rollout_test  # noqa: E402


def render(cfg, snap, test, total):
    ev, d, a, _, ph, _ = snap["episode"]
    T = min(60, len(ev))
    t = np.arange(T)
    fig, axs = plt.subplots(2, 1, figsize=(7.2, 4.6), gridspec_kw=dict(height_ratios=[1.5, 1]))
    draw_events(axs[0], ev[:T])
    axs[0].step(t, d[:T], where="mid", color="k", lw=2, label="desired latch")
    axs[0].plot(t, a[:T], color="#e67e22", lw=1.8, marker=".", ms=4, label="C's output")
    axs[0].set_ylim(-0.08, 1.55)
    axs[0].set_xlim(-0.5, T - 0.5)
    axs[0].set_xlabel("time step of a fixed test episode (red A resets, green B sets, grey X distracts)",
                      fontsize=8)
    axs[0].legend(fontsize=7, loc="upper right", ncol=2, framealpha=0.95)
    phase = {"M": "phase 1: M learns from exploring C", "C": "phase 2: C learns through M",
             "MC": "M and C learn together"}[snap["phase"]]
    axs[0].set_title(f"update {snap['step']:4d} / {total}   ({phase})", fontsize=10)
    h = snap["hist"]
    axs[1].plot(h["step"], h["test_acc"], color="#27ae60", label="test step accuracy")
    axs[1].plot(h["step"], np.asarray(h["test_solved"]) / cfg.n_test, color="#8e44ad",
                label="test episodes solved")
    axs[1].plot(h["step"], h["pain"], color="#c0392b", label="actual pain (training, with noise)")
    m_steps = [s for s, m in zip(h["step"], h["m_loss"]) if np.isfinite(m)]
    axs[1].plot(m_steps, [m for m in h["m_loss"] if np.isfinite(m)], color="#2c3e50", lw=1,
                label="M's pain-prediction MSE")
    if cfg.regime == "sequential":
        axs[1].axvline(cfg.m_steps, color="k", ls=":", lw=1)
    axs[1].set_xlim(0, total)
    axs[1].set_ylim(-0.03, 1.05)
    axs[1].set_xlabel("update", fontsize=8)
    axs[1].legend(fontsize=7, loc="center right", framealpha=0.95)
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="short training run (Config overridden by SMOKE)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "flip_flop.gif")
    p.add_argument("--fps", type=float, default=6.0)
    p.add_argument("--frames", type=int, default=40, help="number of training snapshots")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    if args.smoke:
        args.frames = min(args.frames, 5)
    test = fixed_test_set(cfg, args.seed)
    total = cfg.m_steps + cfg.c_steps
    # denser snapshots once C starts learning (that is where the output changes)
    start_c = cfg.m_steps if cfg.regime == "sequential" else 0
    marks = np.unique(np.concatenate([np.linspace(0, start_c, max(args.frames // 5, 2)),
                                      start_c + np.geomspace(1, total - start_c, args.frames)]).astype(int))
    marks = set(np.clip(marks, 0, total - 1).tolist())
    snaps = []

    def callback(step, state):
        if step in marks:
            snaps.append(dict(step=step, phase=state["phase"],
                              episode=rollout_test(cfg, state["C"], state["M"], test),
                              hist={k: list(v) for k, v in state["hist"].items()}))

    train(cfg, args.seed, callback=callback)
    frames = [render(cfg, s, test, total) for s in snaps]
    frames += [frames[-1]] * int(2 * args.fps)  # hold the final frame (pillow merges the copies into one)
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
