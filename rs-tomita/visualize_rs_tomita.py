"""Static figures of random weight guessing on Tomita grammars.

    python3 visualize_rs_tomita.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_rs_tomita.py --smoke --outdir /tmp/rst
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

from rs_tomita import GRAMMARS, SMOKE, Config, forward, train  # noqa: E402

PAPER = {1: (182, 288), 2: (1511, 17953), 4: (13833, 35610)}
COLORS = {1: "#27ae60", 2: "#2980b9", 4: "#c0392b"}


def plot_trials(runs, path):
    """Empirical distributions of trials-to-solution per grammar, with the paper's means."""
    fig, ax = plt.subplots(figsize=(8, 4.4))
    for g, (cfg, out) in runs.items():
        trials = np.sort([r["trials"] for r in out["results"] if r["W"] is not None])
        n = len(out["results"])
        ax.step(trials, np.arange(1, len(trials) + 1) / n, where="post", color=COLORS[g], lw=2,
                label=f"#{g} {GRAMMARS[g]}: {len(trials)}/{n} searches, mean {np.mean(trials):.0f}")
        ax.axvline(PAPER[g][0], color=COLORS[g], ls=":", lw=1.5)
    ax.set_xscale("log")
    ax.set_xlabel("trials (weight guesses) until every training string is classified  "
                  "(dotted: the paper's means)")
    ax.set_ylabel("fraction of searches finished")
    cfg = next(iter(runs.values()))[0]
    ax.set_title(f"Tomita grammars, strings of {cfg.len_min}-{cfg.len_max} symbols, arch {cfg.arch} "
                 f"(n = {cfg.hidden}), weights in [-{cfg.w_range:g}, {cfg.w_range:g}]", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_rollout(runs, path, steps=50):
    """Each grammar's first solution on one held-out string of each class: the output unit step by step."""
    fig, axs = plt.subplots(len(runs), 2, figsize=(11, 2.2 * len(runs) + 0.6), squeeze=False)
    for row, (g, (cfg, out)) in enumerate(runs.items()):
        r = next((r for r in out["results"] if r["W"] is not None), None)
        if r is None:
            continue
        X, lengths, y = r["test"]
        for col, s in enumerate((0, 1)):         # string 0 is outside the language, string 1 inside
            o, A = forward(r["W"][None], X[s:s + 1], lengths[s:s + 1], cfg, record=True)
            H = A.shape[-1] - 1
            ax = axs[row, col]
            t = np.arange(steps)
            ax.bar(t, (X[s, :steps] > 0) * 1.0, width=1.0, color="#bdc3c7", label="symbol 1")
            ax.plot(t, A[:steps, 0, 0, H], color=COLORS[g], lw=1.5, marker=".", ms=3, label="output unit")
            ax.set_ylim(-0.05, 1.05)
            ax.set_title(f"#{g} {GRAMMARS[g]}: held-out string {'in' if y[s] else 'not in'} the language; "
                         f"after all {lengths[s]} symbols: {o[0, 0]:.3f}", fontsize=8)
            if row == 0 and col == 0:
                ax.legend(fontsize=7, loc="center right")
    for ax in axs[-1]:
        ax.set_xlabel(f"first {steps} symbols (grey bar: symbol 1, gap: symbol 0)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    base = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    searches = {1: base.searches, 2: base.searches, 4: 3 if args.smoke else 10}
    cap = {1: base.max_trials, 2: base.max_trials, 4: min(base.max_trials, 50000)}
    runs = {}
    for g in (1, 2, 4):
        cfg = dataclasses.replace(base, grammar=g, searches=searches[g], max_trials=cap[g])
        runs[g] = (cfg, train(cfg, args.seed))
    plot_trials(runs, args.outdir / "trials_by_grammar.png")
    plot_rollout(runs, args.outdir / "tomita_rollout.png", steps=30 if args.smoke else 50)
    print(f"wrote {args.outdir}/trials_by_grammar.png, tomita_rollout.png")
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
