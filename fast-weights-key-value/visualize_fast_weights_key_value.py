"""Static figures of one WHERE-IS-MY-CAR run (100 nets in lock-step): learning curves, a test
stretch of net 0 (what S writes, what F answers), S's learned weights, and the key/value capacity.

    python3 visualize_fast_weights_key_value.py --seed 0        # writes viz/*.png next to this script
    python3 visualize_fast_weights_key_value.py --smoke --outdir /tmp/fwkv
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

import fast_weights_key_value  # noqa: E402
from fast_weights_key_value import (BUSY, N_SLOT, PARK, SMOKE, Config, capacity, evaluate,  # noqa: E402
                                    read, slow_grads)

SLOT_COLORS = ("#c0392b", "#27ae60", "#2980b9")
IN_NAMES = ("slot 1", "slot 2", "slot 3", "bit 1", "bit 2", "bit 3")
FRAMES, SMOKE_FRAMES = 36, 5   # the GIF's training snapshots
assert read and slow_grads     # (imported for readers: F's read-out and S's gradient live in the stub)


def frame_steps(cfg, frames):
    """The time steps the GIF shows: dense early (nothing works yet), spread over the whole run."""
    marks = np.unique(np.geomspace(200, cfg.max_steps, frames).astype(int))
    return marks.tolist()


def net0(cfg, S, k=0):
    """S of net k alone and a config for one net (for a frozen-weight test stretch)."""
    return dataclasses.replace(cfg, n_nets=1), {name: v[k:k + 1].copy() for name, v in S.items()}


def shown_net(solve):
    """The net the stretch pictures follow: the lowest-numbered net that met the criterion (else net 0)."""
    ok = np.flatnonzero(~np.isnan(solve))
    return int(ok[0]) if ok.size else 0


def snapshotter(cfg):
    """snapshot(step, state): a copy of every net's S and of the history so far."""
    def snapshot(step, state):
        return dict(step=step, S={k: v.copy() for k, v in state["S"].items()}, solve=state["solve"].copy(),
                    solved=int(np.sum(~np.isnan(state["solve"]))),
                    hist={k: [np.array(x, copy=True) if isinstance(x, np.ndarray) else x for x in v]
                          for k, v in state["hist"].items()})
    return snapshot


def slow_matrix(cfg, S):
    """S's writes per input as one (3, 6) matrix: direct W; fromto the outer product's two factors."""
    if cfg.rule == "direct":
        return S["W"]
    return S["Wt"]


def draw_stretch(axs, cfg, trace, T):
    """Top: the owner's state and S's inputs; bottom: F's fast weights and the queried answers."""
    t = np.arange(T)
    st, s, q, d, w = trace["state"][:T], trace["s"][:T], trace["q"][:T], trace["d"][:T], trace["w"][:T]
    y = trace["y"][:T]
    ax = axs[0]
    for k in range(T):
        if st[k] == BUSY:
            ax.axvspan(k - 0.5, k + 0.5, color="#f5deb3", lw=0)
    for i in range(N_SLOT):
        on = s[:, i] > 0
        ax.scatter(t[on], np.full(on.sum(), 5 - i), marker="s", s=60, color=SLOT_COLORS[i], zorder=3)
    for j in range(3):
        on = s[:, 3 + j] > 0
        ax.scatter(t[on], np.full(on.sum(), 2 - j), marker="|", s=60, color="#7f8c8d")
    ax.set_yticks([5, 4, 3, 2, 1, 0])
    ax.set_yticklabels(["slot 1", "slot 2", "slot 3", "bit 1", "bit 2", "bit 3"], fontsize=7)
    ax.set_ylim(-0.7, 5.7)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_title("S's inputs: parking-slot detectors (squares) and random bits; tan = car parked, "
                 "owner on business", fontsize=9)
    ax = axs[1]
    for k in range(T):
        if st[k] == BUSY:
            ax.axvspan(k - 0.5, k + 0.5, color="#f5deb3", lw=0)
    for i in range(N_SLOT):
        ax.step(t, w[:, i], where="post", color=SLOT_COLORS[i], lw=1.6, label=f"fast weight query→slot {i + 1}")
    asked = q > 0
    for i in range(N_SLOT):
        ax.scatter(t[asked], y[asked, i], color=SLOT_COLORS[i], edgecolor="k", s=28, zorder=4)
    hit = asked & (np.abs(y - d).max(1) <= cfg.tol)
    ax.scatter(t[asked & ~hit], np.full((asked & ~hit).sum(), 1.12), marker="x", color="k", s=30, zorder=5)
    ax.scatter(t[hit], np.full(hit.sum(), 1.12), marker="v", color="#8e44ad", s=22, zorder=5)
    ax.set_ylim(-0.08, 1.2)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylabel("fast weight")
    ax.set_xlabel("time step (frozen S, fresh stream)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.set_title("F's fast weights; dots: F's answers when WHERE-IS-MY-CAR? is asked "
                 f"(▼ all 3 within {cfg.tol:g} of the target, × a miss)", fontsize=9)


def plot_curves(cfg, out, path):
    h = out["history"]
    err = h["err"]                                    # (points, n) mean error per query in each window
    fig, axs = plt.subplots(2, 1, figsize=(8.5, 6.5), sharex=True)
    med = np.median(err, axis=1)
    q1, q3 = np.percentile(err, [25, 75], axis=1)
    axs[0].fill_between(h["step"], q1, q3, color="#3498db", alpha=0.3, label="IQR over nets")
    axs[0].plot(h["step"], med, color="#2c3e50", label="median over nets")
    axs[0].plot(h["step"], err[:, 0], color="#e67e22", lw=0.8, alpha=0.8, label="net 0")
    axs[0].set_yscale("symlog", linthresh=1e-3)
    axs[0].set_ylabel("mean error per query\n(½ Σ (d − y)², per window)")
    axs[0].set_title(f"WHERE-IS-MY-CAR, {cfg.n_nets} nets learning on-line ({cfg.rule} rule, T = {cfg.steep:g}, "
                     f"lr = {cfg.lr:g})", fontsize=10)
    axs[0].legend(fontsize=8)
    solve = out["solve"]
    ok = np.sort(solve[~np.isnan(solve)])
    axs[1].step(np.concatenate([[0], ok, [cfg.max_steps]]),
                np.concatenate([[0], np.arange(1, ok.size + 1), [ok.size]]) / cfg.n_nets, where="post",
                color="#8e44ad")
    axs[1].set_ylim(0, 1.02)
    axs[1].set_ylabel("share of nets solved")
    axs[1].set_xlabel("time step of the on-line stream")
    unit = "queried steps" if cfg.count == "queries" else "time steps"
    axs[1].set_title(f"solved = {cfg.run_len} {unit} in a row with every queried output within {cfg.tol:g}: "
                     f"{ok.size}/{cfg.n_nets} nets", fontsize=10)
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_stretch(cfg, out, seed, path):
    k = shown_net(out["solve"])
    c1, S1 = net0(cfg, out["S"], k)
    trace = evaluate(c1, S1, seed, steps=80)["trace"]
    fig, axs = plt.subplots(2, 1, figsize=(11, 5.8), sharex=True, gridspec_kw=dict(height_ratios=[1, 1.3]))
    draw_stretch(axs, cfg, trace, 80)
    fig.suptitle(f"net {k} (the lowest-numbered net of seed {seed}'s run that met the criterion, at step "
                 f"{out['solve'][k]:,.0f}), after {cfg.max_steps:,} training steps", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weights(cfg, out, path):
    S = out["S"]
    M = slow_matrix(cfg, S)
    ok = ~np.isnan(out["solve"])
    panels = [("net 0", M[0])]
    if ok.any():
        panels.append((f"mean over the {ok.sum()} solved nets", M[ok].mean(0)))
    if (~ok).any():
        panels.append((f"mean over the {(~ok).sum()} unsolved nets", M[~ok].mean(0)))
    vmax = max(np.abs(m).max() for _, m in panels)
    fig, axs = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), layout="constrained")
    axs = np.atleast_1d(axs)
    for ax, (title, m) in zip(axs, panels):
        im = ax.imshow(m, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(6))
        ax.set_xticklabels(IN_NAMES, rotation=45, fontsize=7)
        ax.set_yticks(range(3))
        ax.set_yticklabels([f"→ fast w {i + 1}" for i in range(3)], fontsize=7)
        ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=axs, shrink=0.8, label="S weight")
    fig.suptitle("S's learned weights (rows: the fast weight each S output writes)\na working latch: "
                 "detector k writes ≳ +1 to weight k and ≲ −0.5 to the others; random bits near 0"
                 if cfg.rule == "direct" else
                 "S's TO weights (FROM unit not shown)", fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_capacity(cfg, seed, path):
    cap = capacity(dataclasses.replace(cfg, task="capacity", dim=0, cap_trials=min(cfg.cap_trials, 500)), seed)
    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    styles = {"sum": "-", "delta": "--"}
    for d, c in zip((4, 8, 16), ("#c0392b", "#27ae60", "#2980b9")):
        N = np.arange(1, 2 * d + 1)
        for rule in ("sum", "delta"):
            axs[0].plot(N / d, [cap[f"cos_{rule}_d{d}_n{n}"] for n in N], styles[rule], color=c,
                        label=f"d = {d}, {rule}")
            axs[1].plot(N / d, [cap[f"acc_{rule}_d{d}_n{n}"] for n in N], styles[rule], color=c)
    axs[0].axhline(0.9, color="k", lw=0.6, ls=":")
    axs[0].set_ylabel("mean cosine(read, stored value)")
    axs[1].set_ylabel("share of reads nearest to the right value")
    for ax in axs:
        ax.set_xlabel("stored pairs N / key size d")
        ax.grid(alpha=0.3)
    axs[0].legend(fontsize=7)
    fig.suptitle("beyond the paper: a d × d outer-product memory, random unit keys and values "
                 "(sum: W += v kᵀ; delta: W += (v − W k) kᵀ)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    frames = SMOKE_FRAMES if args.smoke else FRAMES
    out, _ = trained(fast_weights_key_value, cfg, args.seed, frame_steps(cfg, frames), snapshotter(cfg))
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out, args.outdir / "learning_curves.png")
    plot_stretch(cfg, out, args.seed, args.outdir / "test_stretch.png")
    plot_weights(cfg, out, args.outdir / "slow_weights.png")
    plot_capacity(cfg, args.seed, args.outdir / "capacity.png")
    print(f"wrote 4 PNGs into {args.outdir}")
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
