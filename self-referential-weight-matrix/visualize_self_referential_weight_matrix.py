"""Static figures of one self-referential-matrix run: learning curves, episodes, self-modifications, ablation.

    python3 visualize_self_referential_weight_matrix.py --seed 0       # writes viz/*.png next to this script
    python3 visualize_self_referential_weight_matrix.py --smoke --outdir /tmp/srwm
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (before numpy; picture scripts too)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import self_referential_weight_matrix as srwm  # noqa: E402
from self_referential_weight_matrix import (FOUR, NAMES, PATTERNS, SMOKE, Config, evaluate, forward,  # noqa: E402
                                            layout, sample_episodes, test_set)

FRAMES, SMOKE_FRAMES = 36, 5   # the GIF's training snapshots (capped with --smoke)
FN_COLORS = {8: "#2980b9", 14: "#27ae60", 6: "#c0392b", 7: "#8e44ad"}


def frame_steps(cfg, frames):
    """The updates the GIF shows: dense early (where the net first learns), sparser later."""
    return np.unique(np.geomspace(1, cfg.steps, frames).astype(int)).tolist()


def snapshotter():
    """snapshot(step, state): a copy of the initial matrix W(1) and of the history so far."""
    def snapshot(step, state):
        return dict(step=step, W0=state["W0"].copy(), hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def example_episodes(cfg, seed):
    """One fixed episode per function (AND, OR, XOR, NAND), the same support order and queries for all."""
    rng = np.random.default_rng(1000 + seed)
    _, pat, _ = sample_episodes(rng, 1, cfg)
    pat = np.repeat(pat, 4, axis=0)
    fid = np.array(FOUR)
    d = ((fid[:, None] >> pat) & 1).astype(float)
    return fid, pat, d


def pattern_label(p):
    x1, x2 = (PATTERNS[p] > 0).astype(int)
    return f"{x1}{x2}"


def draw_answers(ax, cfg, fid, pat, d, o, title=True):
    """Bars: the net's answers o to each presentation, target as black ticks, support shaded."""
    P = pat.shape[0]
    ax.axvspan(-0.5, 3.5, color="#f1c40f", alpha=0.15, lw=0)
    ax.bar(np.arange(P), o, color=FN_COLORS.get(int(fid), "#555"), alpha=0.85, width=0.6)
    ax.scatter(np.arange(P), d, marker="_", s=160, color="k", lw=2.5, zorder=3)
    ax.axhline(0.5, color="k", lw=0.6, ls=":")
    ax.set_ylim(-0.05, 1.1)
    ax.set_xticks(np.arange(P))
    ax.set_xticklabels([pattern_label(p) for p in pat], fontsize=7)
    if title:
        ax.set_title(NAMES[int(fid)], fontsize=10, color=FN_COLORS.get(int(fid), "k"))


def plot_curves(cfg, hist, path):
    step = np.asarray(hist["step"])
    loss = np.asarray(hist["loss"])
    k = max(1, len(loss) // 60)
    smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
    fig, axs = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    axs[0].plot(step, loss, color="#bbb", lw=0.6, label="per update")
    axs[0].plot(step[k - 1:], smooth, color="#2c3e50", label=f"running mean of {k}")
    axs[0].set_ylabel("episode error E = Σ (d − o)² / 2")
    axs[0].set_title(f"self-referential matrix, {cfg.functions} functions: plain gradient descent on W(1) "
                     f"(lr {cfg.lr:g}, {cfg.batch} episodes per update)", fontsize=10)
    axs[0].legend(fontsize=8)
    axs[0].grid(alpha=0.3)
    axs[1].plot(hist["check_step"], hist["query_acc"], color="#27ae60", marker=".",
                label="query accuracy (presentations 5-8)")
    axs[1].plot(hist["check_step"], hist["support_acc"], color="#e67e22", marker=".",
                label="support accuracy (presentations 1-4: guesses until errors arrive)")
    axs[1].axhline(cfg.solve_acc, color="k", ls=":", lw=1, label=f"our criterion {cfg.solve_acc:g}")
    axs[1].set_ylim(0.3, 1.02)
    axs[1].set_ylabel("accuracy on 256 probe episodes")
    axs[1].set_xlabel("gradient update")
    axs[1].legend(fontsize=8, loc="lower right")
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_episode(cfg, W0, seed, path):
    """Per function: answers, then the special units over time (eval in, val in, Delta out)."""
    L = layout(cfg.hidden)
    fid, pat, d = example_episodes(cfg, seed)
    c = forward(W0, pat, d, cfg)
    T = c["T"]
    t = np.arange(T + 1)
    fig, axs = plt.subplots(2, 4, figsize=(13, 5.6), gridspec_kw=dict(height_ratios=[1, 1.2]))
    for j in range(4):
        draw_answers(axs[0, j], cfg, fid[j], pat[j], d[j], c["o"][j])
        ax = axs[1, j]
        ax.axvspan(-0.5, 4 * cfg.n_r - 0.5, color="#f1c40f", alpha=0.15, lw=0)
        ax.plot(t, c["Z"][:, j, srwm.EVAL], color="#c0392b", marker=".", label="eval in (own error d − o)")
        ax.plot(t, c["Z"][:, j, srwm.VAL], color="#2980b9", lw=1, label="val in (weight read by address)")
        ax.plot(t, c["Y"][:, j, L["delta"]], color="#27ae60", lw=1.5, label="Δ out (write size)")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel(f"time step (each pattern held n_r = {cfg.n_r} steps)", fontsize=8)
        if j == 0:
            axs[0, j].set_ylabel("answer o (bars), target (—)")
            ax.set_ylabel("special units")
            ax.legend(fontsize=7, loc="lower left")
    fig.suptitle("one episode per function (same patterns): yellow = the 4 support presentations; "
                 "the net hears its own errors and answers the 4 queries", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weight_changes(cfg, W0, seed, path):
    """W(1) and the self-made change W(T) − W(1), averaged over 64 episodes of each function."""
    L = layout(cfg.hidden)
    rng = np.random.default_rng(2000 + seed)
    _, pat, _ = sample_episodes(rng, 64, cfg)
    changes = []
    for f in FOUR:
        d = ((f >> pat) & 1).astype(float)
        c = forward(W0, pat, d, cfg)
        changes.append((c["W"][-1] - c["W"][0]).mean(0).reshape(L["n_src"], L["N"]))
    common = np.mean(changes, axis=0)
    mats = [("W(1): learned initial matrix", W0), ("mean W(T) − W(1), all 4 functions", common)]
    mats += [(f"{NAMES[f]}: its W(T) − W(1) minus that mean", ch - common) for f, ch in zip(FOUR, changes)]
    names = ["o"] + [f"h{i}" for i in range(cfg.hidden)] + [f"ana{i}" for i in range(L["A"])] + \
            [f"mod{i}" for i in range(L["A"])] + ["Δ"]
    rows = ["x1", "x2", "bias", "eval", "val"] + names
    fig, axs = plt.subplots(1, 6, figsize=(19, 6.2), layout="constrained")
    for i, (ax, (title, m)) in enumerate(zip(axs, mats)):
        v = np.abs(m).max() or 1.0
        im = ax.imshow(m, cmap="RdBu_r", vmin=-v, vmax=v, aspect="auto")
        ax.set_title(title, fontsize=8)
        ax.set_xticks(range(L["N"]))
        ax.set_xticklabels(names, rotation=90, fontsize=5)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(rows if i in (0, 1, 2) else [], fontsize=5)
        ax.set_xlabel("target unit", fontsize=8)
        if i in (0, 1, 5):
            fig.colorbar(im, ax=ax, shrink=0.6, label=("weight" if i == 0 else "self-made change"))
    axs[0].set_ylabel("source unit (5 inputs, then every non-input unit)", fontsize=8)
    fig.suptitle(f"the single {L['n_src']} × {L['N']} matrix ({L['n_conn']} connections, {L['A']}-bit addresses) "
                 "and what the net writes into it during an episode (64 episodes per function; own colour scale per panel)", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_ablation(cfg, W0, seed, path):
    """Query accuracy per function on the run's test episodes, with the net's writes on and switched off."""
    test = test_set(cfg, seed)
    on, fon, _ = evaluate(W0, cfg, test)
    off, foff, _ = evaluate(W0, Config(**{**vars(cfg), "writes": False}), test)
    fns = sorted(fon, key=lambda f: list(FOUR).index(f) if f in FOUR else f)
    x = np.arange(len(fns))
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(fns) + 3), 4.2))
    ax.bar(x - 0.2, [fon[f] for f in fns], width=0.4, color="#27ae60", label=f"writes on (all: {on['query_acc']:.3f})")
    ax.bar(x + 0.2, [foff[f] for f in fns], width=0.4, color="#95a5a6",
           label=f"writes switched off at test (all: {off['query_acc']:.3f})")
    ax.axhline(0.5, color="k", ls=":", lw=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels([NAMES[f] for f in fns], fontsize=8, rotation=0 if len(fns) <= 4 else 60)
    ax.set_ylim(0, 1.3)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("query accuracy")
    ax.set_title(f"trained net (seed {seed}), {cfg.n_test} test episodes:\n"
                 "does its solution use its own weight changes?", fontsize=9)
    ax.legend(fontsize=8, loc="upper center", ncol=1)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, _ = trained(srwm, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES), snapshotter())
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_curves(cfg, out["history"], args.outdir / "training_curves.png")
    plot_episode(cfg, out["W0"], args.seed, args.outdir / "episodes.png")
    plot_weight_changes(cfg, out["W0"], args.seed, args.outdir / "weight_changes.png")
    plot_ablation(cfg, out["W0"], args.seed, args.outdir / "writes_ablation.png")
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
