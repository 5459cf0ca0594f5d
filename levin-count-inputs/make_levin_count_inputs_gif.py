"""Animated GIF: Levin search phase by phase, then the found program writing the weights step by step.

    python3 make_levin_count_inputs_gif.py --seed 0             # writes levin_count_inputs.gif next to this script
    python3 make_levin_count_inputs_gif.py --smoke --out /tmp/lci.gif
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
from levin_count_inputs import SMOKE, Config, disassemble, run_program  # noqa: E402


def _png(fig):
    return fig_image(fig, dpi=80)


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


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "levin_count_inputs.gif")
    cfg = Config(**(SMOKE if args.smoke else {}))
    out, _ = trained(levin_count_inputs, cfg, args.seed)
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
    save_gif(frames, args.out, durations=durations, palette=pal)
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
