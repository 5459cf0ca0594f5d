"""Static figures of one Levin search: search effort per phase, the found program, generalisation vs GD.

    python3 visualize_levin_count_inputs.py --seed 0          # writes viz/*.png next to this script
    python3 visualize_levin_count_inputs.py --smoke --outdir /tmp/lci
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import levin_count_inputs  # noqa: E402
from levin_count_inputs import (INSTRUCTIONS, NARGS, SMOKE, Config, disassemble, run_program,  # noqa: E402
                                train, unit_output)


def plot_search(out, path, plain=None):
    log = out["searcher"].phase_log
    ph = np.array([r["phase"] for r in log])
    prog = np.array([r["programs"] for r in log], dtype=float)
    ins = np.array([r["executed"] for r in log], dtype=float)
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    ax.bar(ph, np.maximum(prog, 0.8), color="#3498db", alpha=0.8, label="programs tested in the phase")
    ax.plot(ph, np.maximum(ins, 0.8), "o-", color="#e67e22", ms=3, label="instructions executed in the phase")
    if plain is not None:  # the same search without early exits
        pl = plain["searcher"].phase_log
        ax.plot([r["phase"] for r in pl], [max(r["programs"], 0.8) for r in pl], "s", mfc="none", color="#2c3e50",
                ms=5, label=f"programs tested without early exits ({sum(r['programs'] for r in pl):,} in all)")
    ax.plot(ph, 2.0 ** ph, ":", color="k", lw=1, label="total budget of the phase, $2^i$ steps")
    f = out["found"]
    if f is not None:
        ax.axvline(ph[-1], color="#27ae60", lw=1.5, ls="--")
        ax.text(ph[-1] - 0.3, 2.0 ** (ph[-1] * 0.92), f"first fit: phase {ph[-1]}\n|p| = {np.log2(f['D']):.1f} bits,"
                f" {f['steps']} of {f['budget']} steps", ha="right", va="top", fontsize=8, color="#27ae60",
                bbox=dict(fc="white", ec="none", alpha=0.9))
    ax.set_yscale("log")
    ax.set_xticks(ph[::2] if len(ph) > 12 else ph)
    ax.set_xlabel("Levin phase i (a program p runs for at most 2^(i - |p|) steps)")
    ax.set_title(f"Levin search: {int(prog.sum()):,} programs, {int(ins.sum()):,} instructions in "
                 f"{out['search_wall']:.2f} s", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, which="both", axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_program(cfg, out, path):
    f = out["found"]
    tokens = f["tokens"]
    st, status, _ = run_program(tokens, cfg, budget=f["budget"])
    fig = plt.figure(figsize=(9, 4.2))
    ax0 = fig.add_axes([0.02, 0.08, 0.40, 0.82])
    ax0.axis("off")
    lines = ["address  token   instruction", "-------  -----   -----------"]
    listing = dict(disassemble(tokens))
    for a, t in enumerate(tokens):
        lines.append(f"{a:>7d}  {t:>5d}   {listing.get(a, '')}")
    lines += ["", f"P(p) = 1/{f['D']:,}  (|p| = {np.log2(f['D']):.2f} bits)",
              f"ran {f['steps']} of its {f['budget']} steps, ended: {status}",
              "(c(0) = 1 is the program's own first token)" if tokens[:2] == [1, 0] else ""]
    ax0.text(0, 1, "\n".join(lines), family="monospace", fontsize=9, va="top")
    ax0.set_title("the program found (disassembled)", fontsize=10, loc="left")
    ax1 = fig.add_axes([0.50, 0.58, 0.47, 0.32])
    w = np.array(st["w"])
    ax1.bar(np.arange(len(w)), w, color="#27ae60", width=1.0)
    ax1.plot(np.arange(len(w)), np.arange(len(w)) if cfg.task == "positions" else np.ones(len(w)), "k:", lw=1)
    ax1.set_title("weights written by the program (dotted: the solution)", fontsize=9)
    ax1.set_xlim(-1, len(w))
    ax2 = fig.add_axes([0.50, 0.12, 0.47, 0.32])
    gw = out["gd_w"]
    ax2.bar(np.arange(len(gw)), gw, color="#c0392b", width=1.0)
    for t in out["task"]["train"].ravel():
        ax2.axvline(t, color="k", lw=0.4, alpha=0.4)
    ax2.set_title("gradient descent on the same 3 examples (grey: on-bits seen)", fontsize=9)
    ax2.set_xlim(-1, len(gw))
    ax2.set_xlabel("weight index i")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_generalisation(out, path):
    task = out["task"]
    f = out["found"]
    yl = unit_output(np.array(f["w"]), task["test"])
    yg = unit_output(out["gd_w"], task["test"])
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.6))
    err_l, err_g = yl - task["test_y"], yg - task["test_y"]
    bins = np.linspace(min(err_g.min(), -1), max(err_g.max(), 1), 60)
    axs[0].hist(err_g, bins=bins, color="#c0392b", alpha=0.8, label="gradient descent")
    vals, counts = np.unique(err_l, return_counts=True)
    for v, c in zip(vals, counts):
        axs[0].axvline(v, color="#27ae60", lw=2, alpha=0.9,
                       label=f"Levin program: error {v:+d} on {c:,} inputs" if len(vals) > 1 else
                       "Levin program (all errors 0)" if v == 0 else f"Levin program: error {v:+d}")
    axs[0].set_xlabel("output - target on the held-out inputs")
    axs[0].set_ylabel("held-out inputs")
    axs[0].legend(fontsize=8)
    axs[0].set_title(f"{len(task['test']):,} held-out three-hot inputs", fontsize=10)
    acc = [np.mean(err_l == 0), np.mean(np.abs(err_g) < 0.5)]
    axs[1].bar(["Levin search\n(3 examples)", "gradient descent\n(3 examples)"], acc,
               color=["#27ae60", "#c0392b"])
    for i, a in enumerate(acc):
        axs[1].text(i, a + 0.02, f"{100 * a:.2f}%", ha="center", fontsize=10)
    axs[1].set_ylim(0, 1.12)
    axs[1].set_ylabel("exact on held-out inputs")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_language(path):
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.axis("off")
    desc = ("if c(a1) <= c(a2): jump to a3", "w[WP] := c(a1); WP += 1", "jump to a1", "halt",
            "c(a3) := c(a1) + c(a2)", "c(a1) := w[WP]", "c(a2) := c(a1)", "Min -= c(a1) (new zero cells)",
            "c(a1) += 1", "c(a1) -= 1", "c(a3) := c(a1) - c(a2)", "c(a3) := c(a1) * c(a2)", "Min += c(a1)")
    rows = [[str(i), name, str(NARGS[i]), d] for i, ((name, _), d) in enumerate(zip(INSTRUCTIONS, desc))]
    tab = ax.table(cellText=rows, colLabels=["#", "instruction", "args", "effect (c(a) = contents of address a)"],
                   loc="center", cellLoc="left", colWidths=[0.05, 0.2, 0.07, 0.6])
    tab.auto_set_font_size(False)
    tab.set_fontsize(8)
    tab.scale(1, 1.15)
    ax.set_title("the 13 instructions; tokens are drawn with P = 1/13 (instruction) or 1/(a - Min + 1) "
                 "(address at cell a)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**(SMOKE if args.smoke else {}))
    out, _ = trained(levin_count_inputs, cfg, args.seed)   # the search the GIF shows
    args.outdir.mkdir(parents=True, exist_ok=True)
    plain = train(Config(**{**(SMOKE if args.smoke else {}), "early_exit": False}), args.seed)
    plot_search(out, args.outdir / "search_progress.png", plain)
    plot_language(args.outdir / "language.png")
    if out["found"] is not None:
        plot_program(cfg, out, args.outdir / "found_program.png")
        plot_generalisation(out, args.outdir / "generalisation.png")
    print(f"wrote {sorted(q.name for q in args.outdir.glob('*.png'))} to {args.outdir}")
    return 0


# >>> snippet: pictures (canonical: snippets/pictures.py; edit there, then run python3 -m catalog.snippets)
def picture_args(doc, kind, default, extra=()):
    """Parse the picture scripts' flags: --seed, --smoke and --outdir (kind 'viz') or --out (kind 'gif').

    `extra` holds (flag, kwargs) pairs for a script's own options. Errors: one line, exit 2."""
    import argparse
    from pathlib import Path

    class _Parser(argparse.ArgumentParser):
        def error(self, message):
            self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    p = _Parser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="master seed of the training run (default 0)")
    p.add_argument("--smoke", action="store_true", help="short training run (the stub's SMOKE overrides)")
    if kind == "viz":
        p.add_argument("--outdir", type=Path, default=Path(default), help=f"where the PNGs go (default {default})")
    else:
        p.add_argument("--out", type=Path, default=Path(default), help=f"the GIF to write (default {default})")
    for flag, kwargs in extra:
        p.add_argument(flag, **kwargs)
    args = p.parse_args()
    if args.seed < 0:
        p.error("--seed must be >= 0")
    return args


def trained(stub, cfg, seed, steps=(), snapshot=None):
    """(train's result, [snapshot(step, state) at each of `steps`]) from one training run.

    Both picture scripts call this with the same arguments, so the second one loads the run the
    first one made: it is cached in the stub's folder under .cache/ (git-ignored), keyed by the
    stub's source, the Config fingerprint, the seed, the steps, the source file that defines the
    snapshot function and the values it closes over. A snapshot copies what it keeps (training
    updates its arrays in place); one that returns None is dropped, so a snapshot may keep a
    subset of `steps` that depends on the state (the step where training stops)."""
    import hashlib, inspect, os, pickle
    from pathlib import Path
    steps = sorted(set(int(s) for s in steps))
    parts = [Path(stub.__file__).read_bytes(), stub.config_fingerprint(cfg).encode(), str(seed).encode(),
             repr(steps).encode()]
    if snapshot is not None:
        parts.append(Path(inspect.getsourcefile(snapshot)).read_bytes())
        parts.append(pickle.dumps([c.cell_contents for c in snapshot.__closure__ or ()], protocol=4))
    key = hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]
    path = Path(stub.__file__).resolve().parent / ".cache" / f"trained-{key}.pkl"
    if path.is_file():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    wanted, snaps = set(steps), []

    def callback(step, state):
        if step in wanted:
            snap = snapshot(step, state)
            if snap is not None:
                snaps.append(snap)

    result = stub.train(cfg, seed, callback=callback if snapshot else None)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump((result, snaps), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return result, snaps


def fig_image(fig, dpi=100):
    """A matplotlib figure as an RGB PIL image (the figure is closed)."""
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def save_gif(frames, out, fps=6.0, hold_s=2.0, colors=64, durations=None, palette=None):
    """Write RGB frames as a looping GIF, holding the last frame `hold_s` seconds; prints its size.

    `durations` (milliseconds, one per frame) replaces fps and the hold; `palette` (a "P" image) gives
    every frame that one palette, undithered, instead of each frame its own `colors` colours."""
    if durations is None:
        frames = list(frames) + [frames[-1]] * int(hold_s * fps)
        durations = int(1000 / fps)
    if palette is None:
        frames = [f.quantize(colors=colors, method=Image.Quantize.MEDIANCUT) for f in frames]
    else:
        frames = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True)
    print(f"wrote {out} ({len(frames)} frames, {out.stat().st_size / 1e6:.2f} MB)")
# <<< snippet: pictures


if __name__ == "__main__":
    raise SystemExit(main())
