"""Animated GIF: the Hanoi program OOPS froze, executed instruction by instruction on a 4-disk instance.

The run stops after the first 34 tasks of the headline sequence (1^n 2^n n = 1..30, Hanoi n = 1..4); the
search is sequential and deterministic, so the frozen program is the headline's.

    python3 make_oops_towers_of_hanoi_gif.py --seed 0        # writes oops_towers_of_hanoi.gif next to this script
    python3 make_oops_towers_of_hanoi_gif.py --smoke --out /tmp/oops.gif
"""
import dataclasses
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from PIL import Image  # noqa: E402

import oops_towers_of_hanoi  # noqa: E402
from oops_towers_of_hanoi import HANOI, SMOKE, TOKENS, Config, execute, init_state  # noqa: E402

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
    return fig_image(fig, dpi=85)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "oops_towers_of_hanoi.gif", (
        ("--fps", dict(type=float, default=5.0, help="frames per second (default 5)")),
        ("--disks", dict(type=int, default=4, help="instance animated (default 4)"))))
    if args.smoke:
        cfg = Config(**SMOKE)
        args.disks = min(args.disks, cfg.hanoi_max)
    else:
        cfg = dataclasses.replace(Config(), hanoi_max=4, hanoi_exec_max=4, verify_max=4)   # a shorter run than viz/'s
    out, _ = trained(oops_towers_of_hanoi, cfg, args.seed)
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
    save_gif(frames, args.out, fps=args.fps, colors=48)
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
