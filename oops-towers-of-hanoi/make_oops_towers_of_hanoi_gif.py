"""Animated GIF: the Hanoi program OOPS froze, executed instruction by instruction on a 4-disk instance.

The run stops after the first 34 tasks of the headline sequence (1^n 2^n n = 1..30, Hanoi n = 1..4); the
search is sequential and deterministic, so the frozen program is the headline's.

    python3 make_oops_towers_of_hanoi_gif.py --seed 0        # writes oops_towers_of_hanoi.gif next to this script
    python3 make_oops_towers_of_hanoi_gif.py --smoke --out /tmp/oops.gif
"""
import argparse
import dataclasses
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from PIL import Image  # noqa: E402

from oops_towers_of_hanoi import HANOI, SMOKE, TOKENS, Config, execute, init_state, train  # noqa: E402

PEG_NAMES = ("peg 0 (S)", "peg 1 (A)", "peg 2 (D)")
DISK_COLORS = ["#e74c3c", "#f39c12", "#27ae60", "#3498db", "#8e44ad", "#2c3e50"]


def render(prog, n, frame, k, total, moves_done):
    ip, depth, loc, pegs = frame
    fig, axs = plt.subplots(1, 2, figsize=(8.4, 3.6), gridspec_kw=dict(width_ratios=[1.25, 1]))
    ax = axs[0]
    for p in range(3):
        ax.add_patch(Rectangle((p * 3 + 1.42, 0), 0.16, n + 0.8, color="#7f8c8d"))
        ax.text(p * 3 + 1.5, -0.55, PEG_NAMES[p], ha="center", fontsize=8)
        for h, disk in enumerate(pegs[p]):
            w = 0.6 + 2.2 * disk / n
            ax.add_patch(Rectangle((p * 3 + 1.5 - w / 2, h + 0.05), w, 0.85, color=DISK_COLORS[(disk - 1) % 6]))
    ax.set_xlim(0, 9)
    ax.set_ylim(-0.9, n + 1.2)
    ax.axis("off")
    ax.set_title(f"instruction {k + 1}/{total}, moves so far {moves_done} (optimal: {2 ** n - 1})", fontsize=9)
    ax = axs[1]
    toks = prog["tokens"]
    for j, t in enumerate(toks):
        cur = prog["start"] + j == ip
        ax.add_patch(Rectangle((0.1, len(toks) - j - 1 + 0.1), 2.6, 0.8, fc="#f9e79f" if cur else "white",
                               ec="k", lw=2 if cur else 0.5))
        ax.text(1.4, len(toks) - j - 0.5, TOKENS[t], ha="center", va="center", fontsize=9,
                fontweight="bold" if cur else "normal")
    ax.text(3.0, len(toks) - 0.2, "call stack (S, A, D, counter)", fontsize=8, va="top")
    ax.text(3.0, len(toks) - 0.9, f"depth {depth}: {loc}", fontsize=8, va="top", family="monospace")
    for d in range(depth):
        ax.add_patch(Rectangle((3.0 + 0.35 * d, 0.2), 0.28, 1.0 + 0.0, color="#5dade2"))
    ax.text(3.0, 1.5, "recursion depth", fontsize=7)
    ax.set_xlim(0, 7)
    ax.set_ylim(0, len(toks) + 0.3)
    ax.axis("off")
    ax.set_title("frozen program (current instruction boxed)", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=85)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="short run (Config overridden by SMOKE)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "oops_towers_of_hanoi.gif")
    p.add_argument("--fps", type=float, default=5.0)
    p.add_argument("--disks", type=int, default=4, help="instance animated (default 4)")
    args = p.parse_args(argv)
    if args.smoke:
        cfg = Config(**SMOKE)
        args.disks = min(args.disks, cfg.hanoi_max)
    else:
        cfg = dataclasses.replace(Config(), hanoi_max=4, hanoi_exec_max=4, verify_max=4)
    out = train(cfg, args.seed)
    prog = [f for f in out["frozen"] if f["fam"] == HANOI][-1]
    code, n = out["code"], args.disks
    watch, moves = [], []
    st = init_state(HANOI, n, prog["start"])
    execute(code, st, HANOI, n, float("inf"), cfg.max_depth, trace=moves, watch=watch)
    final = (watch[-1][0], watch[-1][1], watch[-1][2], st[2])
    frames, done = [], 0
    for k, fr in enumerate(watch):
        frames.append(render(prog, n, fr, k, len(watch), done))
        if code[fr[0]] == TOKENS.index("mvdsk"):
            done += 1
    frames.append(render(prog, n, final, len(watch) - 1, len(watch), done))
    frames += [frames[-1]] * int(2 * args.fps)
    frames = [f.quantize(colors=48, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
