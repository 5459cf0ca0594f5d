"""Animated GIF of training: one test sequence's cell states and 512 test predictions, snapshot by snapshot.

    python3 make_multiplication_problem_gif.py --seed 0             # writes multiplication_problem.gif next to this script
    python3 make_multiplication_problem_gif.py --smoke --out /tmp/ap.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from multiplication_problem import SMOKE, Config, end_outputs, lstm_forward, test_set, train  # noqa: E402


def render(cfg, snap, test, total):
    X, lengths, target, pos = test
    k = 0
    L = lengths[k]
    fig = plt.figure(figsize=(8.4, 5.2))
    gs = fig.add_gridspec(2, 2, width_ratios=[1.6, 1], height_ratios=[1.2, 1])
    ax0, ax1, ax2 = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[:, 1]), fig.add_subplot(gs[1, 0])
    t = np.arange(L)
    S = snap["S"]
    for j in range(S.shape[1]):
        ax0.plot(t, S[:, j], lw=1.4, label=f"cell {j}")
    for p in pos[k]:
        ax0.axvline(p, color="#e67e22", ls=":", lw=1)
    ax0.set_title(f"{snap['seqs']:,} / {total:,} training sequences: cell states on one test sequence\n"
                  f"(orange: the marked steps; target {target[k]:.3f}, output {snap['o0']:.3f})", fontsize=9)
    ax0.set_xlabel("time step", fontsize=8)
    ax0.legend(fontsize=7, ncol=2, loc="upper right")
    ax0.grid(alpha=0.3)
    y, d = snap["y"], target[:len(snap["y"])]
    bad = np.abs(y - d) >= cfg.tol
    ax1.scatter(d[~bad], y[~bad], s=3, color="#2c3e50")
    ax1.scatter(d[bad], y[bad], s=3, color="#e74c3c")
    ax1.plot([0, 1], [0, 1], color="k", lw=0.6)
    ax1.fill_between([0, 1], [-cfg.tol, 1 - cfg.tol], [cfg.tol, 1 + cfg.tol], color="#27ae60", alpha=0.15)
    ax1.set_xlim(0, 1)
    ax1.set_ylim(0, 1)
    ax1.set_xlabel("target", fontsize=8)
    ax1.set_ylabel("output", fontsize=8)
    ax1.set_title(f"{len(y)} test sequences: {bad.sum()} wrong", fontsize=9)
    h = snap["hist"]
    ax2.plot(h["seqs"], np.asarray(h["window_ok"]) / cfg.window, color="#8e44ad",
             label=f"last {cfg.window} training seqs within {cfg.tol:g}")
    ax2.plot(h["seqs"], np.asarray(h["train_wrong"]), color="#c0392b", label="fraction wrong since last point")
    ax2.set_xlim(0, total)
    ax2.set_ylim(-0.02, 1.05)
    ax2.set_xlabel("training sequences", fontsize=8)
    ax2.legend(fontsize=7, loc="center right")
    ax2.grid(alpha=0.3)
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
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "multiplication_problem.gif")
    p.add_argument("--fps", type=float, default=5.0)
    p.add_argument("--every", type=int, default=0, help="snapshot every this many sequences (0: 30 snapshots)")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    test = test_set(cfg, args.seed)
    X, lengths, _, _ = test
    m = 512 if not args.smoke else 64
    snaps = []
    state = {"next": 0}
    every = args.every or max(cfg.batch, cfg.max_seqs // 120)

    def snapshot(seqs, st):
        c = lstm_forward(st["P"], X[:lengths[0], :1], cfg)
        y = end_outputs(lstm_forward(st["P"], X[:, :m], cfg), lengths[:m])
        snaps.append(dict(seqs=seqs, S=c["S"][:, 0].copy(), o0=float(c["o"][-1, 0]), y=y,
                          hist={k: list(v) for k, v in st["hist"].items()}))

    def callback(seqs, st):
        if seqs >= state["next"]:
            snapshot(seqs, st)
            state["next"] += every
    out = train(cfg, args.seed, callback=callback)
    snapshot(out["seqs"], dict(P=out["P"], hist=out["history"]))
    total = out["seqs"]
    if len(snaps) > 30:   # keep 30 frames, denser early where the change is
        idx = np.unique(np.round(np.geomspace(1, len(snaps), 30)).astype(int) - 1)
        snaps = [snaps[i] for i in idx]
    frames = [render(cfg, s, test, total) for s in snaps]
    frames += [frames[-1]] * int(2 * args.fps)
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
