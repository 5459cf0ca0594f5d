"""Static figures of one run (100 trials in lock-step): time steps to solve, trial 0's learned latch,
S's learned weights, and the learning curve.

    python3 visualize_fast_weights_unknown_delay.py --seed 0        # writes viz/*.png next to this script
    python3 visualize_fast_weights_unknown_delay.py --smoke --outdir /tmp/fw
"""
import dataclasses
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import fast_weights_unknown_delay as stub  # noqa: E402
from fast_weights_unknown_delay import SMOKE, Config, train  # noqa: E402

EV_NAMES = ("A", "B", "C")
EV_COLORS = ("#c0392b", "#27ae60", "#95a5a6")
W_COLORS = ("#c0392b", "#27ae60", "#7f8c8d")
FRAME_EVERY, FRAMES_MAX = 10, 45   # the GIF shows trial 0 every FRAME_EVERY steps


def frame_steps(cfg):
    return list(range(FRAME_EVERY - 1, min(cfg.max_steps, FRAME_EVERY * FRAMES_MAX), FRAME_EVERY))


def snapshot(step, state):
    """Trial 0's slow weights and fast weights after `step` (copies)."""
    return dict(step=step, **state["net"].snapshot(0))


def draw_events(ax, ev, t0, top):
    for i, e in enumerate(ev):
        ax.axvspan(t0 + i - 0.5, t0 + i + 0.5, color=EV_COLORS[e], alpha=0.25 if e < 2 else 0.08, lw=0)
        ax.text(t0 + i, top, EV_NAMES[e], ha="center", va="bottom", fontsize=7,
                color=EV_COLORS[e] if e < 2 else "#7f8c8d", fontweight="bold" if e < 2 else "normal")


def plot_trace(ax_w, ax_y, res, t_end, span, cfg):
    """Trial 0's fast weights and F's output against the target over the `span` steps before t_end."""
    t0 = max(0, t_end - span)
    ts = np.arange(t0, t_end)
    ev, d = res["ev"][t0:t_end, 0], res["d"][t0:t_end, 0]
    h = res["history"]
    draw_events(ax_w, ev, t0, 1.08)
    for a in range(3):
        # the fast weight F uses at step t is the one written after step t - 1
        w = np.concatenate([[0.0], h["w0"][:, a]])[t0:t_end]
        ax_w.step(ts, w, where="mid", color=W_COLORS[a], lw=1.8 if a == 1 else 1.0, label=f"fast weight on {EV_NAMES[a]}'s line")
    ax_w.set_ylim(-0.08, 1.22)
    ax_w.set_ylabel("fast weight")
    ax_w.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    draw_events(ax_y, ev, t0, 1.08)
    ax_y.step(ts, d, where="mid", color="k", lw=1.0, label="target d(t)")
    ax_y.plot(ts, h["y"][t0:t_end, 0], "o-", ms=3, color="#2980b9", lw=1.0, label="F's output y(t)")
    ax_y.set_ylim(-0.15, 1.22)
    ax_y.set_ylabel("output")
    ax_y.set_xlabel("time step")
    ax_y.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))


def draw_V(ax, V, title):
    ax.imshow(V, cmap="RdBu_r", vmin=-3, vmax=3)
    for i in range(3):
        for j in range(3):
            ax.text(j, i, f"{V[i, j]:+.2f}", ha="center", va="center", fontsize=9)
    ax.set_xticks(range(3), [f"event {n}" for n in EV_NAMES])
    ax.set_yticks(range(3), [f"s on {n}'s line" for n in EV_NAMES])
    ax.set_title(title, fontsize=9)


def plot_steps(cfg, seed, res, path):
    """ECDF of time steps to solve over the run's trials: direct (this run), FROM/TO, literal logistic, RTRL."""
    runs = [("direct rule (this run)", res["solved_at"], "#2980b9")]
    for label, kw, color in (("FROM/TO rule", dict(learner="fromto"), "#8e44ad"),
                             ("direct, uncentred logistic (offset 0)", dict(offset=0.0), "#e67e22"),
                             ("RTRL, 3 recurrent units", dict(learner="rtrl"), "#7f8c8d")):
        runs.append((label, train(dataclasses.replace(cfg, **kw), seed)["solved_at"], color))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, s, color in runs:
        x = np.sort(s[~np.isnan(s)])
        ax.step(np.concatenate([[1], x]), np.arange(x.size + 1) / s.size, where="post", color=color,
                label=f"{label}: {x.size}/{s.size} solve")
    for v, name in ((300, "paper, direct: 300"), (800, "paper, FROM/TO: 800")):
        ax.axvline(v, color="k", ls=":", lw=1)
        ax.text(v * 1.03, 0.02, name, fontsize=8, rotation=90, va="bottom")
    ax.set_xscale("log")
    ax.set_xlim(50, cfg.max_steps)
    ax.set_ylim(0, 1)
    ax.set_xlabel("time steps until 100 correct steps in a row (log scale)")
    ax.set_ylabel("fraction of trials solved")
    ax.set_title(f"B-after-A, on-line, T={cfg.T:g}, η={cfg.lr:g}: {cfg.trials} trials per learner (seed {seed})",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_solution(cfg, res, path):
    s0 = res["solved_at"][0]
    t_end = int(s0) if np.isfinite(s0) else len(res["history"]["y"])
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 5.2), sharex=True)
    plot_trace(a1, a2, res, t_end, 60, cfg)
    a1.set_title(f"trial 0, the last 60 of the 100 correct steps that solve it (solved at step {t_end}): "
                 "A raises the fast weight on B's line, B resets it, C holds it", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weights(cfg, res, path):
    net = res["learner"]
    V = net.theta["V"]
    ok = np.where(~np.isnan(res["solved_at"]))[0]
    bad = np.where(np.isnan(res["solved_at"]))[0]
    picks = [(0, "trial 0")] + ([(ok[1], f"trial {ok[1]}, solved")] if ok.size > 1 else []) + \
        ([(bad[0], f"trial {bad[0]}, stuck")] if bad.size else [])
    fig, axs = plt.subplots(1, len(picks), figsize=(4.2 * len(picks), 3.8))
    axs = np.atleast_1d(axs)
    for ax, (i, name) in zip(axs, picks):
        draw_V(ax, V[i], f"S's weights V, {name}\n(s_a = V[a, event]; end of training)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curve(cfg, res, path):
    e = res["history"]["e"]
    s = res["solved_at"]
    T = len(e)
    k = 25
    kern = np.ones(k) / k
    mean_err = np.convolve(e.mean(1), kern, mode="valid")   # step k-1+i averages steps i .. i+k-1
    frac = [(s <= t).mean() for t in range(1, T + 1)]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(np.arange(k, T + 1), mean_err, color="#c0392b", label="error (d-y)²/2, mean over trials (25-step average)")
    ax.axhline(cfg.crit, color="#c0392b", ls=":", lw=1, label=f"criterion {cfg.crit:g} per step")
    ax.set_xscale("log")
    ax.set_xlabel("time step (log scale)")
    ax.set_ylabel("error per step")
    ax2 = ax.twinx()
    ax2.plot(np.arange(1, T + 1), frac, color="#2980b9", label="fraction of trials solved")
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("fraction solved", color="#2980b9")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center left")
    ax.set_title(f"on-line learning, direct rule, {cfg.trials} trials in lock-step (nothing is ever reset)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    res, _ = trained(stub, cfg, args.seed, frame_steps(cfg), snapshot)
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_steps(cfg, args.seed, res, args.outdir / "steps_to_solve.png")
    plot_solution(cfg, res, args.outdir / "solution.png")
    plot_weights(cfg, res, args.outdir / "slow_weights.png")
    plot_curve(cfg, res, args.outdir / "learning_curve.png")
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
