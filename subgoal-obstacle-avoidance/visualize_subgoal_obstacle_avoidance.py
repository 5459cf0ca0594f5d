"""Static figures: the cone cost, the plans the sub-goal generators learn, and their learning curves.

    python3 visualize_subgoal_obstacle_avoidance.py --seed 0       # writes viz/*.png next to this script
    python3 visualize_subgoal_obstacle_avoidance.py --smoke --outdir /tmp/sg
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402,F401

import subgoal_obstacle_avoidance as stub  # noqa: E402
from subgoal_obstacle_avoidance import PAPER_RUNS, SMOKE, Config, cone_cost, layout  # noqa: E402

NETS = 20            # generators per picture run (lock-step); net 0 is the seed's own
FRAMES = 40          # the GIF's snapshots per run
TITLES = {"fig4": "one swamp, recurrent S, η = 0.03 (SAB fig. 4 reading)",
          "fig5": "five swamps ('diagonal'), static S, η = 0.002 (SAB fig. 5 reading)"}


def picture_cfg(name, smoke):
    return Config(**{**PAPER_RUNS[name], "nets": NETS, **(SMOKE if smoke else {}), "evaluator": "analytic"})


def frame_steps(cfg):
    return sorted(set(np.unique(np.geomspace(1, cfg.max_iters + 1, FRAMES).astype(int) - 1).tolist()))


def snapshot(step, state):
    return dict(step=step, pts=state["pts"].copy(), cost=state["cost"].copy(), iters=state["iters"].copy())


def runs(seed, smoke):
    """{name: (cfg, train's result, snapshots)} for both paper experiments (cached, shared with the GIF)."""
    out = {}
    for name in PAPER_RUNS:
        cfg = picture_cfg(name, smoke)
        res, snaps = trained(stub, cfg, seed, frame_steps(cfg), snapshot)
        out[name] = (cfg, res, snaps)
    return out


def depth_map(cfg, n=300):
    _, _, c, r, h = layout(cfg)
    x = np.linspace(0, 1, n)
    X, Y = np.meshgrid(x, x)
    P = np.stack([X, Y], -1)[..., None, :]
    d = np.sqrt(((P - c) ** 2).sum(-1))
    return (h * np.clip(1 - d / r, 0, None)).sum(-1)


def draw_arena(ax, cfg, title=None):
    start, goal, c, r, h = layout(cfg)
    D = depth_map(cfg)
    ax.imshow(np.ma.masked_equal(D, 0), origin="lower", extent=(0, 1, 0, 1), cmap="YlOrBr", vmin=0,
              vmax=h.max() * 1.1)
    for ci, ri in zip(c, r):
        ax.add_patch(plt.Circle(ci, ri, fill=False, color="#8e5b2a", lw=1))
    ax.plot(*zip(start, goal), ls="--", color="#7f8c8d", lw=1.2, label="direct path")
    ax.plot(*start, "o", color="#27ae60", ms=9, zorder=5, label="start")
    ax.plot(*goal, "*", color="#c0392b", ms=14, zorder=5, label="goal")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title, fontsize=9)


def plot_cone_cost(path):
    cfg = Config()
    start, goal, c, r, h = layout(cfg)
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.6), gridspec_kw=dict(width_ratios=[1, 1.5]))
    draw_arena(axs[0], cfg, "the swamp: a circle over a cone of depth h (colour = depth)")
    bent = np.array([0.5, 0.62])
    axs[0].plot(*zip(start, bent, goal), color="#2980b9", lw=1.5, label="a plan with one sub-goal")
    axs[0].legend(fontsize=7, loc="lower left")
    s = np.linspace(0, 1, 801)
    for pts, color, label in (((start, goal), "#7f8c8d", "direct path"),
                              ((start, bent, goal), "#2980b9", "plan via sub-goal (0.5, 0.62)")):
        P = np.concatenate([a + s[:, None] * (b - a) for a, b in zip(pts[:-1], pts[1:])])
        seg = np.concatenate([np.full(len(s), np.linalg.norm(b - a)) / len(s) for a, b in zip(pts[:-1], pts[1:])])
        arc = np.cumsum(seg)
        d = (h * np.clip(1 - np.sqrt(((P[:, None] - c) ** 2).sum(-1)) / r, 0, None)).sum(-1)
        F = sum(float(cone_cost(a[None], b[None], c, r, h, grad=False)[0]) for a, b in zip(pts[:-1], pts[1:]))
        axs[1].fill_between(arc, 0, -d, color=color, alpha=0.35, label=f"{label}: cost = area = {F:.4f}")
        axs[1].plot(arc, -d, color=color, lw=1)
    axs[1].axhline(0, color="k", lw=0.8)
    axs[1].set_xlabel("arc length along the path")
    axs[1].set_ylabel("cone surface below the path (−depth)")
    axs[1].set_title("cost of a path = area between it and its projection onto the cone", fontsize=9)
    axs[1].legend(fontsize=8, loc="lower right")
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_plans(rs, path):
    fig, axs = plt.subplots(1, 2, figsize=(11, 6.5))
    for ax, (name, (cfg, res, snaps)) in zip(axs, rs.items()):
        draw_arena(ax, cfg, TITLES[name])
        hist = res["history"]
        plans = np.array(hist["plan0"])
        marks = np.unique(np.geomspace(1, len(plans), 6).astype(int) - 1)
        for j, k in enumerate(marks):
            p = plans[k]
            ax.plot(p[:, 0], p[:, 1], "-o", ms=3, lw=1, color=plt.cm.Blues(0.3 + 0.7 * j / max(len(marks) - 1, 1)),
                    label=f"net 0 after {hist['step'][k]} updates (cost {hist['cost'][k][0]:.2f} × direct)")
        final = res["pts"]
        for b in range(1, cfg.nets):
            ax.plot(final[b, :, 0], final[b, :, 1], "-", lw=0.6, alpha=0.5,
                    color="#27ae60" if np.isfinite(res["iters"][b]) else "#c0392b")
        ax.plot([], [], color="#27ae60", lw=0.8, label="final plans of nets 1–19 that reach cost 0")
        ax.plot([], [], color="#c0392b", lw=0.8, label="final plans that stay stuck")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2)
    fig.suptitle(f"learned plans ({cfg.n_sub} sub-goals, {NETS} generators in lock-step); "
                 "a plan is satisfactory when it touches no swamp", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curves(rs, path):
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (name, (cfg, res, _)) in zip(axs, rs.items()):
        hist = res["history"]
        C = np.array(hist["cost"])
        steps = np.array(hist["step"])
        for b in range(cfg.nets):
            ok = np.isfinite(res["iters"][b])
            ax.plot(steps + 1, C[:, b], lw=1.6 if b == 0 else 0.7, alpha=1 if b == 0 else 0.5,
                    color="#2c3e50" if b == 0 else ("#27ae60" if ok else "#c0392b"))
        it = res["iters"]
        med = np.percentile(np.where(np.isnan(it), np.inf, it), 50, method="lower")
        ax.set_xscale("log")
        ax.set_xlabel("update of S + 1")
        ax.set_ylabel("plan cost / direct-path cost")
        medtxt = f"{med:g} updates" if np.isfinite(med) else f"not reached (> {cfg.max_iters} updates)"
        ax.set_title(f"{TITLES[name]}\n{np.isfinite(it).sum()}/{cfg.nets} reach cost 0; median {medtxt}"
                     + (" (paper: 20)" if name == "fig4" else " (paper: 22)"), fontsize=9)
        ax.grid(alpha=0.3)
    axs[0].plot([], [], color="#2c3e50", label="net 0 (the seed's own)")
    axs[0].plot([], [], color="#27ae60", label="nets that reach cost 0")
    axs[0].plot([], [], color="#c0392b", label="nets stuck in a local minimum")
    axs[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    rs = runs(args.seed, args.smoke)
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_cone_cost(args.outdir / "cone_cost.png")
    plot_plans(rs, args.outdir / "plans.png")
    plot_curves(rs, args.outdir / "learning_curves.png")
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
