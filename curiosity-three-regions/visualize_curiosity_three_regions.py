"""Static figures of the curious, random and error-seeking explorers on 20 worlds in lock-step (seeds 0..19).

    python3 visualize_curiosity_three_regions.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_curiosity_three_regions.py --smoke --outdir /tmp/c3r
"""
from dataclasses import replace
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import curiosity_three_regions as stub  # noqa: E402
from curiosity_three_regions import AGENTS, N_ACT, SMOKE, Config  # noqa: E402

COLORS = dict(curious="#2471a3", random="#7f8c8d", error="#c0392b")
LABELS = dict(curious="curious (reward: gain in C's assumed reliability)", random="random exploration",
              error="error-seeking (reward: M's error)")
RUNS, LOG_EVERY = 20, 250          # the pictures' training: 20 worlds in lock-step, history every 250 steps
FRAMES, SMOKE_FRAMES = 40, 4       # the GIF's snapshots


def picture_config(smoke):
    """The headline Config, with 20 worlds in lock-step and a logged history (smoke: SMOKE)."""
    return Config(**SMOKE) if smoke else replace(Config(), runs=RUNS, log_every=LOG_EVERY)


def frame_steps(cfg, frames):
    """Logged steps the GIF shows, denser early (where the explorers differ most)."""
    grid = np.unique((np.geomspace(1, cfg.steps // cfg.log_every, frames)).astype(int)) * cfg.log_every
    return [int(s) for s in grid if s <= cfg.steps]


def snapshotter(cfg):
    """snapshot(step, state): every world's per-state remaining error of M and visit counts, and E(t) so far."""
    nA = len(AGENTS)

    def snapshot(step, state):
        sq = state["sq"]                                                  # (3 runs, 4S)
        B, P = sq.shape
        return dict(step=step, err=sq.reshape(nA, B // nA, P // N_ACT, N_ACT).mean(axis=3),
                    counts=state["counts"].reshape(nA, B // nA, -1).copy(),
                    E=np.array(state["hist"]["E"]), steps=list(state["hist"]["step"]))
    return snapshot


def median_world(out):
    """The world whose curious speed-up is the median one (never reached sorts last)."""
    sp = out["reached"][1] / out["reached"][0]
    order = np.argsort(np.where(np.isnan(sp), np.inf, sp), kind="stable")
    return int(order[(len(sp) - 1) // 2])


def per_agent(arr, runs):
    """(T, 3 runs) -> (3, T, runs)."""
    arr = np.asarray(arr)
    return arr.reshape(arr.shape[0], len(AGENTS), runs).transpose(1, 0, 2)


def plot_error_curves(cfg, out, path):
    h = out["hist"]
    steps = np.array(h["step"])
    E = per_agent(h["E"], cfg.runs) / out["n_det"]
    fig, ax = plt.subplots(figsize=(8.5, 5))
    for i, ag in enumerate(AGENTS):
        lo, med, hi = np.percentile(E[i], [25, 50, 75], axis=1)
        ax.fill_between(steps, lo, hi, color=COLORS[ag], alpha=0.2, lw=0)
        ax.plot(steps, med, color=COLORS[ag], lw=2, label=LABELS[ag])
        ax.plot(steps, E[i][:, 0], color=COLORS[ag], lw=0.8, ls="--")
    ax.axhline(cfg.e_level, color="k", lw=1, ls=":")
    ax.text(steps[-1], cfg.e_level * 1.08, f"fixed level E/n_det = {cfg.e_level:g}", ha="right", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("time step (interaction)")
    ax.set_ylabel("E(t) / number of deterministic pairs")
    ax.set_title(f"M's squared error on the deterministic reactions, {cfg.runs} worlds "
                 f"(median and IQR; dashed: world 0)\nrandom share {cfg.random_share:g} of the "
                 f"{cfg.side * cfg.side} states", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_speedup(cfg, out, path):
    cur, rnd, err = out["reached"]
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw=dict(width_ratios=[1.1, 1]))
    ax = axs[0]
    top = np.nanmax(out["reached"]) if np.isfinite(out["reached"]).any() else cfg.steps
    lim = max(top, cfg.steps) * 1.05
    ax.plot([0, lim], [0, lim], color="k", lw=0.8, ls=":", label="equal speed")
    ax.scatter(rnd, cur, color=COLORS["curious"], s=30, label="curious", zorder=3)
    never = np.isnan(err)
    ax.scatter(rnd[never], np.full(never.sum(), lim * 0.985), color=COLORS["error"], marker="x", s=30,
               label=f"error-seeking: never ({never.sum()}/{len(err)} worlds)", zorder=3)
    ax.scatter(rnd[~never], err[~never], color=COLORS["error"], marker="x", s=30, zorder=3)
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel("random exploration: steps until E(t) < level")
    ax.set_ylabel("other explorer: steps until E(t) < level")
    ax.set_title("time to the fixed E level, one dot per world", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    ax = axs[1]
    sp = rnd / cur
    order = np.argsort(np.where(np.isnan(sp), np.inf, sp))
    ax.bar(np.arange(len(sp)), np.nan_to_num(sp[order]), color=COLORS["curious"])
    ax.axhline(1.0, color="k", lw=1)
    if np.isfinite(sp).any():
        med = np.nanmedian(sp)
        ax.axhline(med, color=COLORS["curious"], lw=1, ls="--", label=f"median {med:.2f}")
    ax.axhline(10.0, color="#8e44ad", lw=1, ls=":", label="paper: up to 10")
    ax.set_xticks(np.arange(len(sp)))
    ax.set_xticklabels([str(i) for i in order], fontsize=7)
    ax.set_xlabel("world (seed), sorted")
    ax.set_ylabel("speed-up = steps(random) / steps(curious)")
    ax.set_yscale("log")
    ax.set_title("speed-up of the curious explorer per world", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_region_split(cfg, out, path):
    h = out["hist"]
    steps = np.array(h["step"])
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for key, ax, title in (("rand_visits", axs[0], "share of steps in the random states"),
                           ("useful_visits", axs[1], "share of steps on deterministic pairs M has not learned")):
        V = per_agent(h[key], cfg.runs)
        for i, ag in enumerate(AGENTS):
            ax.plot(steps, np.median(V[i], axis=1), color=COLORS[ag], lw=1.5, label=ag)
        ax.set_title(f"{title}\n(median over {cfg.runs} worlds, windows of {cfg.log_every} steps)", fontsize=9)
        ax.set_xlabel("time step")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axs[0].axhline(cfg.random_share, color="k", lw=0.8, ls=":")
    axs[0].text(steps[0], cfg.random_share + 0.02, "share of random states", ha="left", fontsize=8)
    axs[0].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3)
    fig.suptitle("region split: noise (random states) vs learnable (deterministic) pairs", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_world(cfg, out, path):
    """World 0: the random region, M's final error per state, and where each explorer spent its steps."""
    side, runs = cfg.side, cfg.runs
    S = side * side
    rand = out["world"]["rand_state"].reshape(side, side)
    fig, axs = plt.subplots(1, 4, figsize=(15, 4.2))
    axs[0].imshow(rand, cmap="Greys", vmin=0, vmax=1.6)
    axs[0].set_title("the world (world 0)\ngrey: random reactions", fontsize=9)
    start = out["world"]["start"]
    axs[0].plot(start % side, start // side, "*", color="gold", ms=12, mec="k")
    counts = out["counts"][[i * runs for i in range(len(AGENTS))]]
    vmax = np.log10(counts.max() + 1)
    for i, ag in enumerate(AGENTS):
        ax = axs[i + 1]
        im = ax.imshow(np.log10(counts[i].reshape(side, side) + 1), cmap="viridis", vmin=0, vmax=vmax)
        ax.contour(rand, levels=[0.5], colors="w", linewidths=1)
        n = counts[i].sum()
        share = counts[i][out["world"]["rand_state"]].sum() / n
        ax.set_title(f"{ag}: visits per state\n{share:.0%} of {int(n)} steps in random states", fontsize=9)
    fig.colorbar(im, ax=axs[1:], shrink=0.8, label="log10(visits + 1)")
    for ax in axs:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = picture_config(args.smoke)
    out, _ = trained(stub, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter(cfg))
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_error_curves(cfg, out, args.outdir / "error_curves.png")
    plot_speedup(cfg, out, args.outdir / "speedup.png")
    plot_region_split(cfg, out, args.outdir / "region_split.png")
    plot_world(cfg, out, args.outdir / "world_visits.png")
    print(f"wrote 4 PNGs to {args.outdir}")
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
