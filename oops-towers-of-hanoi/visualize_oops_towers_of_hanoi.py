"""Static figures of one OOPS run: search cost per task (with the fresh-search-only ablation), the frozen
programs on the code tape, and the cost of the frozen Hanoi solver against n.

    python3 visualize_oops_towers_of_hanoi.py --seed 0          # writes viz/*.png next to this script
    python3 visualize_oops_towers_of_hanoi.py --smoke --outdir /tmp/oops
"""
import dataclasses
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

import oops_towers_of_hanoi  # noqa: E402
from oops_towers_of_hanoi import HANOI, SMOKE, TOKENS, Config, train, verify_hanoi  # noqa: E402

TOKEN_COLORS = ["#e74c3c", "#f39c12", "#2c3e50", "#3498db", "#1abc9c", "#8e44ad", "#7f8c8d", "#f1c40f"]
KIND_COLORS = {"fresh": "#c0392b", "prolong+": "#e67e22", "reuse": "#27ae60", "replay": "#82e0aa"}


def kind(t):
    if not t["solved"]:
        return None
    if t["by"] == "fresh":
        return "fresh"
    if t["new"] > 0:
        return "prolong+"
    return "replay" if t.get("replayed") else "reuse"


def plot_cost(cfg, seed, tasks, abl, path):
    fig, axs = plt.subplots(2, 1, figsize=(11, 7.5), gridspec_kw=dict(height_ratios=[1.6, 1]))
    ax = axs[0]
    x = np.arange(len(tasks))
    for i, t in enumerate(tasks):
        k = kind(t)
        ax.bar(i, max(t["steps"], 1), color=KIND_COLORS.get(k, "k"), width=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("instructions executed for the task\n(the paper's time steps)")
    labels = [("a" if t["fam"] != HANOI else "H") + str(t["n"]) for t in tasks]
    ax.set_xticks(x[::2])
    ax.set_xticklabels(labels[::2], fontsize=6, rotation=90)
    ax.axvline(cfg.anbn_max - 0.5, color="k", lw=0.8, ls=":")
    ax.text(cfg.anbn_max / 2, ax.get_ylim()[1], "1^n 2^n tasks", ha="center", va="top", fontsize=9)
    ax.text(cfg.anbn_max + cfg.hanoi_max / 2, ax.get_ylim()[1], "Towers of Hanoi tasks", ha="center", va="top",
            fontsize=9)
    ax.legend(handles=[Patch(color=KIND_COLORS["fresh"], label="solved by a fresh program"),
                       Patch(color=KIND_COLORS["prolong+"], label="solved by prolonging the last frozen program"),
                       Patch(color=KIND_COLORS["reuse"], label="last frozen program solves it as is (test only)"),
                       Patch(color=KIND_COLORS["replay"], label="same, tested by exact memoised replay")],
              fontsize=7, loc="upper left", bbox_to_anchor=(0.0, 0.93))
    ax.set_title(f"OOPS, seed {seed}: cost of each task (log scale)", fontsize=10)
    ax = axs[1]
    cum = np.cumsum([t["steps"] for t in tasks])
    ax.semilogy(x, cum, color="#27ae60", lw=2, label="OOPS (prolongation + fresh search, boostq)")
    cum_a = np.cumsum([t["steps"] for t in abl])
    xa = np.arange(len(abl))
    ok = np.array([t["solved"] for t in abl], bool)
    ax.semilogy(xa, cum_a, color="#c0392b", lw=2,
                label=f"fresh search only (no access to frozen code), run to {labels[len(abl) - 1]}")
    if len(abl) and not ok[-1]:
        ax.plot(xa[-1], cum_a[-1], "x", color="#c0392b", ms=10, mew=2)
        ax.annotate(f"step cap {cfg.step_cap:.0e} hit:\n{labels[len(abl) - 1]} unsolved", (xa[-1], cum_a[-1]),
                    xytext=(10, -25), textcoords="offset points", fontsize=8, color="#c0392b")
    ax.set_xticks(x[::2])
    ax.set_xticklabels(labels[::2], fontsize=6, rotation=90)
    ax.set_xlim(-0.5, len(tasks) - 0.5)
    ax.axvline(cfg.anbn_max - 0.5, color="k", lw=0.8, ls=":")
    ax.set_ylabel("cumulative instructions")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_programs(cfg, tasks, path):
    width = max(len(t["program"].split()) for t in tasks if t["solved"])
    grid = np.full((len(tasks), width), -1)
    for i, t in enumerate(tasks):
        if t["solved"]:
            for j, name in enumerate(t["program"].split()):
                grid[i, j] = TOKENS.index(name)
    fig, ax = plt.subplots(figsize=(10, 9))
    cmap = ListedColormap(["white"] + TOKEN_COLORS[:len(TOKENS)])
    ax.imshow(grid + 1, cmap=cmap, vmin=0, vmax=len(TOKENS), aspect="auto", interpolation="nearest")
    ax.set_yticks(range(len(tasks)))
    ax.set_yticklabels([("1^n2^n n=" if t["fam"] != HANOI else "Hanoi n=") + f"{t['n']}  ({kind(t)})"
                        for t in tasks], fontsize=5.5)
    ax.set_xlabel("instruction position in the frozen program that solves the task")
    for i, t in enumerate(tasks):
        if t["solved"] and (t["by"] == "fresh" or t["new"] > 0):
            ax.text(width - 0.5, i, f" +{t['new']} new", va="center", ha="left", fontsize=5.5)
    ax.legend(handles=[Patch(color=TOKEN_COLORS[k], label=name) for k, name in enumerate(TOKENS)],
              fontsize=7, loc="lower right", ncol=2)
    ax.set_title("frozen code per task: 1^n 2^n is solved by ever-longer prolongations;\n"
                 "the 7-instruction recursive Hanoi program, once frozen, solves every later task unchanged",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_scaling(cfg, tasks, steps_goal, path):
    han = [t for t in tasks if t["fam"] == HANOI and t["solved"]]
    fig, ax = plt.subplots(figsize=(8, 5))
    ns = np.array(sorted(steps_goal))
    if len(ns):
        ax.semilogy(ns, [steps_goal[n] for n in ns], "o-", color="#2c3e50", ms=4,
                    label="instructions the frozen program executes on instance n (to the goal)")
        ax.semilogy(ns, 2.0 ** ns - 1, "--", color="#7f8c8d", label="moves 2^n - 1 (verified optimal)")
    ex = [t for t in han if not t.get("replayed")]
    rp = [t for t in han if t.get("replayed")]
    ax.semilogy([t["n"] for t in ex], [t["steps"] for t in ex], "s", color="#e67e22", ms=5,
                label="OOPS cost of Hanoi task n (executed)")
    if rp:
        ax.semilogy([t["n"] for t in rp], [t["steps"] for t in rp], "s", mfc="none", color="#e67e22", ms=5,
                    label="OOPS cost of Hanoi task n (test by exact replay)")
    ax.axvline(cfg.hanoi_exec_max + 0.5, color="k", ls=":", lw=0.8)
    ax.set_xlabel("number of disks n")
    ax.set_ylabel("count (log scale)")
    ax.set_title("the program stays 7 instructions long; its run, and the task's cost, grow as 2^n", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, _ = trained(oops_towers_of_hanoi, cfg, args.seed)   # with --smoke also the GIF's run
    # the fresh-search-only ablation, over the tasks up to Hanoi n = 6 (beyond, each task costs ~1.7x the
    # last); with --smoke only up to Hanoi n = 1
    abl = train(dataclasses.replace(cfg, reuse=False, hanoi_max=min(cfg.hanoi_max, 1 if args.smoke else 6)),
                args.seed)["tasks"]
    hprogs = [f for f in out["frozen"] if f["fam"] == HANOI]
    steps_goal = verify_hanoi(cfg, hprogs[-1], out["code"])[1] if hprogs else {}
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_cost(cfg, args.seed, out["tasks"], abl, args.outdir / "search_cost.png")
    plot_programs(cfg, out["tasks"], args.outdir / "frozen_programs.png")
    plot_scaling(cfg, out["tasks"], steps_goal, args.outdir / "hanoi_scaling.png")
    print(f"wrote 3 PNGs to {args.outdir}")
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
