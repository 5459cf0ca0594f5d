"""Animated GIF: Levin search phase by phase, then the found program writing the weights step by step.

    python3 make_levin_add_positions_gif.py --seed 0             # writes levin_add_positions.gif next to this script
    python3 make_levin_add_positions_gif.py --smoke --out /tmp/lci.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from levin_add_positions import SMOKE, Config, disassemble, run_program, train  # noqa: E402


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def search_frame(log, upto, last_phase):
    ph = [r["phase"] for r in log[:upto]]
    fig, ax = plt.subplots(figsize=(7.2, 3.8))
    ax.bar(ph, [max(r["programs"], 0.8) for r in log[:upto]], color="#3498db", label="programs tested")
    ax.plot(ph, [max(r["executed"], 0.8) for r in log[:upto]], "o-", color="#e67e22", ms=3,
            label="instructions executed")
    ax.set_yscale("log")
    ax.set_xlim(0.3, last_phase + 0.7)
    ax.set_ylim(0.5, max(10, max(r["executed"] for r in log)) * 3)
    ax.set_xlabel("Levin phase i: every program p gets 2^(i - |p|) steps")
    hit = upto == len(log)
    ax.set_title(f"Levin search, phase {ph[-1]}" + ("  ->  a program fits the 3 training examples" if hit else ""),
                 fontsize=10, color="#27ae60" if hit else "k")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return _png(fig)


def run_frame(tokens, frame, n, listing):
    fig = plt.figure(figsize=(7.2, 3.8))
    ax0 = fig.add_axes([0.03, 0.1, 0.3, 0.8])
    ax0.axis("off")
    lines = []
    for a, t in enumerate(tokens):
        mark = ">" if a == frame["ip"] else " "
        lines.append(f"{mark}{a:>3d}: {t:>3d}  {listing.get(a, '')}")
    ax0.text(0, 1, "program tape\n\n" + "\n".join(lines[:24]), family="monospace", fontsize=8, va="top")
    ax1 = fig.add_axes([0.40, 0.15, 0.57, 0.7])
    w = np.array(frame["w"])
    ax1.bar(np.arange(n), w, color=np.where(np.arange(n) < frame["wp"], "#27ae60", "#bdc3c7"), width=1.0)
    ax1.axvline(frame["wp"] - 0.5, color="k", lw=0.8, ls=":")
    ax1.set_xlim(-1, n)
    ax1.set_ylim(min(0, w.min()) - 0.5, max(1, w.max()) * 1.15 + 0.5)
    ax1.set_xlabel("weight index (dotted: weight pointer WP)")
    ax1.set_title(f"the found program runs: step {frame['steps']}", fontsize=10)
    return _png(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "levin_add_positions.gif"))
    args = p.parse_args(argv)
    cfg = Config(**(SMOKE if args.smoke else {}))
    out = train(cfg, args.seed)
    log = out["searcher"].phase_log
    frames, durations = [], []
    first = max(1, len(log) - (3 if args.smoke else 12))  # the smoke run draws few frames
    for upto in range(first, len(log) + 1):
        frames.append(search_frame(log, upto, len(log)))
        durations.append(1500 if upto == len(log) else 350)
    f = out["found"]
    if f is not None:
        _, _, trace = run_program(f["tokens"], cfg, budget=f["budget"], trace=True)
        listing = dict(disassemble(f["tokens"]))
        pick = np.unique(np.linspace(0, len(trace) - 1, min(len(trace), 6 if args.smoke else 36)).astype(int))
        for i in pick:
            frames.append(run_frame(f["tokens"], trace[i], cfg.n_inputs, listing))
            durations.append(2000 if i == pick[-1] else 120)
    sheet = Image.new("RGB", (frames[0].width, frames[0].height * 2))  # one palette for every frame
    sheet.paste(frames[len(log) - first], (0, 0))
    sheet.paste(frames[-1], (0, frames[0].height))
    pal = sheet.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    frames = [fr.quantize(palette=pal, dither=Image.Dither.NONE) for fr in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {Path(args.out).stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
