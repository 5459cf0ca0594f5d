"""Animated GIF of learning: the controller, frozen at stages of its on-line learning, balancing the
cart-pole from one start (left), beside the trial lengths so far (right).

    python3 make_pole_balance_non_markov_gif.py --seed 0     # writes pole_balance_non_markov.gif next to this script
    python3 make_pole_balance_non_markov_gif.py --smoke --out /tmp/pb.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import pole_balance_non_markov as stub  # noqa: E402
from pole_balance_non_markov import TH_MAX, X_MAX  # noqa: E402
from visualize_pole_balance_non_markov import FRAME_STEPS, picture_config, rollout, snapshot  # noqa: E402

STAGES, SHOW_STEPS, PER_STAGE = 9, 500, 10   # stages shown, steps of each rollout shown, frames per stage
SMOKE_STAGES, SMOKE_PER_STAGE = 2, 3


def render(cfg, S, t, stage, lengths):
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.4, 3.4), gridspec_kw=dict(width_ratios=[1.25, 1]))
    x, th = S[t, 0], S[t, 2]
    ax.plot([-X_MAX, X_MAX], [0, 0], color="k", lw=1)
    for b in (-X_MAX, X_MAX):
        ax.plot([b, b], [-0.1, 0.25], color="#c0392b", lw=2)
    ax.add_patch(plt.Rectangle((x - 0.25, -0.08), 0.5, 0.16, color="#2c3e50"))
    pole = 2 * stub.HALF_LEN
    ax.plot([x, x + pole * np.sin(th)], [0.08, 0.08 + pole * np.cos(th)], color="#e67e22", lw=4)
    ax.set_xlim(-X_MAX - 0.2, X_MAX + 0.2)
    ax.set_ylim(-0.3, 1.3)
    ax.set_aspect("equal")
    ax.set_yticks([])
    ax.set_xlabel("cart position x (m); red bars: |x| = 2.4 m")
    down = len(S) - 1
    status = f"fell at step {down}" if down < cfg.goal else f"balanced {cfg.goal} steps"
    ax.set_title(f"C frozen after trial {stage['trial']} ({status})\nstep {t}, θ = {np.degrees(th):+.1f}°",
                 fontsize=9)
    L = np.asarray(lengths, dtype=float)
    if len(L):
        ax2.semilogy(np.arange(1, len(L) + 1), L, ".", ms=2, color="#2c3e50")
    ax2.axvspan(0.5, cfg.m_trials + 0.5, color="#bdc3c7", alpha=0.35, lw=0)
    ax2.axhline(cfg.goal, color="#27ae60", ls="--", lw=1)
    ax2.set_xlim(0, max(cfg.m_trials * 1.1, len(stage["final_lengths"]) * 1.05))
    ax2.set_ylim(5, cfg.goal * 1.6)
    ax2.set_xlabel("trial (grey: only M learns)", fontsize=8)
    ax2.set_ylabel("steps balanced", fontsize=8)
    ax2.set_title("trial lengths so far (on-line learning)", fontsize=9)
    ax2.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig_image(fig, dpi=80)


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "pole_balance_non_markov.gif", (
        ("--fps", dict(type=float, default=8.0, help="frames per second (default 8)")),))
    cfg = picture_config(args.smoke)
    out, snaps = trained(stub, cfg, args.seed, FRAME_STEPS, snapshot)
    final = dict(step=out["steps"], thc=out["thc"], lengths=out["lengths"][0], trial=len(out["lengths"][0]))
    stages, per_stage = (SMOKE_STAGES, SMOKE_PER_STAGE) if args.smoke else (STAGES, PER_STAGE)
    late = [s for s in snaps if s["trial"] >= cfg.m_trials] or snaps
    chosen = [late[i] for i in np.unique(np.linspace(0, len(late) - 1, stages - 1).astype(int))] + [final]
    frames = []
    for stage in chosen:
        stage["final_lengths"] = final["lengths"]
        S, _, _ = rollout(cfg, stage["thc"], args.seed, steps=SHOW_STEPS)
        for t in np.unique(np.linspace(0, len(S) - 1, per_stage).astype(int)):
            frames.append(render(cfg, S, t, stage, stage["lengths"]))
    save_gif(frames, args.out, fps=args.fps)
    return 0


# >>> snippet: pictures
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
