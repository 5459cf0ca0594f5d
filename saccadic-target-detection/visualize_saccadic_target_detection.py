"""Static figures of one saccadic-target-detection run: the scene and fovea, trajectories, curves, success map.

    python3 visualize_saccadic_target_detection.py --seed 0      # writes viz/*.png next to this script
    python3 visualize_saccadic_target_detection.py --smoke --outdir /tmp/std
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402
from PIL import Image  # noqa: E402

import saccadic_target_detection as std  # noqa: E402
from saccadic_target_detection import SMOKE, Config, NEAR_PX, rollout, sense, test_starts  # noqa: E402

FRAMES, SMOKE_FRAMES = 36, 5   # the GIF's snapshots of C during its training
N_SHOW = 12                    # test trajectories drawn


def frame_steps(cfg, frames):
    """C trajectories after which the GIF shows C: dense early, sparse late."""
    marks = np.unique(np.geomspace(1, cfg.c_trajectories, frames).astype(int) - 1)
    return [0] + [int(m) for m in marks if m > 0]


def snapshotter():
    """snapshot(i, state): a copy of C (trial 0) and of the find-rate curve so far."""
    def snapshot(i, state):
        h = state["hist"]
        return dict(step=i + 1, C={k: v[:1].copy() for k, v in state["C"].items()},
                    curve=(list(h["traj"]), [float(f[0]) for f in h["find_rate"]]))
    return snapshot


def trajectories(cfg, C, scene, starts):
    """Fovea-centre paths (T+1, B, 2) of trial 0 from starts (B, 2)."""
    return rollout({k: v[:1] for k, v in C.items()}, scene, starts[None], cfg)["pos"][:, 0]


def random_paths(cfg, seed, starts):
    rng = np.random.default_rng(seed + 12345)
    pos = [starts]
    for _ in range(cfg.steps):
        pos.append(std.clip_pos(pos[-1] + std.move_of(rng.uniform(0, 1, size=starts.shape[:-1] + (4,)), cfg), cfg))
    return np.stack(pos)


def zoom(ax, scene, half=110):
    c = scene["target"]
    ax.set_xlim(c[0] - half, c[0] + half)
    ax.set_ylim(c[1] + half, c[1] - half)
    ax.set_aspect("equal")


def draw_scene(ax, scene, half=110):
    ax.imshow(1.0 - scene["field"], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    zoom(ax, scene, half)


def draw_fovea(ax, scene, pos, acts=None, color="#2980b9", lw=0.8):
    for k, (c, r) in enumerate(zip(scene["cen"], scene["rad"])):
        face = plt.cm.Reds(acts[k]) if acts is not None else "none"
        ax.add_patch(Circle(pos + c, r, fill=acts is not None, fc=face, ec=color, lw=lw,
                            alpha=0.85 if acts is not None else 1.0))


def draw_paths(ax, cfg, scene, paths, title):
    T, B = paths.shape[0] - 1, paths.shape[1]
    dist = np.linalg.norm(paths[-1] - scene["target"], axis=-1)
    for b in range(B):
        ok = dist[b] <= cfg.radius
        ax.plot(paths[:, b, 0], paths[:, b, 1], "-o", ms=3, lw=1.2, color="#27ae60" if ok else "#e67e22",
                alpha=0.9)
        ax.plot(*paths[0, b], "s", ms=5, color="#2c3e50")
    ax.add_patch(Circle(scene["target"], cfg.radius, fill=False, ec="#c0392b", lw=1.5, ls="--"))
    ax.add_patch(Circle(scene["target"], NEAR_PX, fill=False, ec="#7f8c8d", lw=0.8, ls=":"))
    found = int(np.sum(dist <= cfg.radius))
    ax.set_title(f"{title}\n{found}/{B} end within {cfg.radius:g} px (green); squares: starts", fontsize=9)


def plot_scene(cfg, scene, path):
    fig, axs = plt.subplots(1, 3, figsize=(13, 4.6))
    axs[0].imshow(1.0 - scene["field"], cmap="gray", vmin=0, vmax=1)
    axs[0].add_patch(plt.Rectangle(scene["target"] - 110, 220, 220, fill=False, ec="#2980b9", lw=1))
    axs[0].set_title(f"the {cfg.field_px} x {cfg.field_px} pixel field: a dark triangle\n"
                     f"(base and height {cfg.object_px} px); box = the zoom of the other panels", fontsize=9)
    draw_scene(axs[1], scene, 70)
    draw_fovea(axs[1], scene, scene["target"])
    axs[1].plot(*scene["target"], "r+", ms=12)
    axs[1].set_title(f"the fovea's 40 circular receptive fields (5 rings of 8;\n"
                     f"diameter {cfg.fovea_px} px) centred on the target point (+)", fontsize=9)
    draw_scene(axs[2], scene, 70)
    d = sense(scene, scene["target"])
    draw_fovea(axs[2], scene, scene["target"], acts=d, color="k", lw=0.4)
    axs[2].set_title("C's only goal information: the desired final input\n"
                     "(each unit = mean darkness in its circle; red = 1)", fontsize=9)
    for ax in axs:
        ax.set_xlabel("x (px)")
        ax.set_ylabel("y (px)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_trajectories(cfg, seed, out, path):
    scene = out["scene"]
    starts = test_starts(cfg, seed, scene)[0][0, :N_SHOW]
    fig, axs = plt.subplots(1, 2, figsize=(11, 5.6))
    for ax, paths, title in ((axs[0], trajectories(cfg, out["C"], scene, starts),
                              f"trained C, seed {seed}: {cfg.steps} saccades per trajectory"),
                             (axs[1], random_paths(cfg, seed, starts), "contrast: uniformly random moves")):
        draw_scene(ax, scene)
        draw_paths(ax, cfg, scene, paths, title)
        ax.set_xlabel("x (px)")
        ax.set_ylabel("y (px)")
    fig.suptitle(f"fresh test starts (the fovea sees part of the triangle); dashed red: the {cfg.radius:g} px target "
                 f"circle, dotted grey: {NEAR_PX:g} px", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_curves(cfg, hist, path):
    fig, axs = plt.subplots(1, 3, figsize=(14, 4))
    m = np.asarray(hist["m_err"])[:, 0]
    axs[0].plot(1000 * np.arange(1, len(m) + 1), m, color="#2c3e50")
    axs[0].set_xlabel("M's training cycles (random moves)")
    axs[0].set_ylabel("mean |prediction error| per unit")
    axs[0].set_title("phase 1: M learns the fovea's next input\n(on-line, lr 0.1; mean over the last 1000)",
                     fontsize=9)
    c = np.asarray(hist["c_err"])[:, 0] if hist["c_err"] else np.zeros(0)
    axs[1].plot(100 * np.arange(1, len(c) + 1), c, color="#8e44ad")
    axs[1].set_xlabel("C's training trajectories")
    axs[1].set_ylabel("final input error 1/2 |d - x(T)|^2")
    axs[1].set_title("phase 2: C's error after each trajectory\n(mean over the last 100)", fontsize=9)
    f = np.asarray(hist["find_rate"])[:, 0]
    axs[2].plot(hist["traj"], f, color="#27ae60", label="trained C (test starts)")
    axs[2].set_ylim(-0.03, 1.03)
    axs[2].set_xlabel("C's training trajectories")
    axs[2].set_ylabel("find rate")
    axs[2].set_title(f"fraction of test starts whose fovea centre ends\nwithin {cfg.radius:g} px of the target point",
                     fontsize=9)
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_success_map(cfg, out, path, step=4):
    """Final distance from every start on a grid (starts where no receptive field sees the object blank)."""
    scene = out["scene"]
    offs = np.arange(-cfg.spread, cfg.spread + 1, step)
    X, Y = np.meshgrid(offs, offs)
    starts = scene["target"] + np.stack([X, Y], -1).reshape(-1, 2).astype(float)
    seen = sense(scene, starts).sum(-1) > 0
    paths = trajectories(cfg, out["C"], scene, starts)
    dist = np.linalg.norm(paths[-1] - scene["target"], axis=-1)
    img = np.where(seen, np.minimum(dist, 60.0), np.nan).reshape(X.shape)
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.8))
    draw_scene(axs[0], scene, cfg.spread + 8)
    im = axs[0].imshow(img, extent=(starts[:, 0].min() - step / 2, starts[:, 0].max() + step / 2,
                                    starts[:, 1].max() + step / 2, starts[:, 1].min() - step / 2),
                       cmap="viridis_r", vmin=0, vmax=60, alpha=0.75)
    zoom(axs[0], scene, cfg.spread + 8)
    axs[0].contour(X + scene["target"][0], Y + scene["target"][1], (dist <= cfg.radius).reshape(X.shape).astype(float),
                   levels=[0.5], colors="w", linewidths=1)
    fig.colorbar(im, ax=axs[0], label="final distance from the target point (px, capped at 60)")
    axs[0].set_title("where the trained C succeeds: colour at each start;\nwhite line: found region "
                     f"(<= {cfg.radius:g} px after {cfg.steps} saccades)", fontsize=9)
    d0 = np.linalg.norm(starts - scene["target"], axis=-1)[seen]
    ok = (dist <= cfg.radius)[seen]
    edges = np.arange(0, d0.max() + 10, 10)
    idx = np.digitize(d0, edges) - 1
    rate = [ok[idx == i].mean() if np.any(idx == i) else np.nan for i in range(len(edges) - 1)]
    axs[1].bar(edges[:-1] + 5, rate, width=9, color="#27ae60")
    axs[1].axvline(NEAR_PX, color="#7f8c8d", ls=":")
    axs[1].set_xlabel("distance of the start from the target point (px)")
    axs[1].set_ylabel("find rate (grid starts that see the object)")
    axs[1].set_ylim(0, 1.05)
    axs[1].set_title("find rate by start distance: far starts see only a sliver\nof the object in the outer ring",
                     fontsize=9)
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, _ = trained(std, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES), snapshotter())
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_scene(cfg, out["scene"], args.outdir / "scene_and_fovea.png")
    plot_trajectories(cfg, args.seed, out, args.outdir / "test_trajectories.png")
    plot_curves(cfg, out["history"], args.outdir / "training_curves.png")
    plot_success_map(cfg, out, args.outdir / "success_map.png")
    print(f"wrote 4 PNGs to {args.outdir}")
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
