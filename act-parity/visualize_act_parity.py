"""Static figures of act-parity: learning curves (ACT against one step), ponder against difficulty,
the halting distribution of a few test vectors, and a sweep over the time penalty tau.

    python3 visualize_act_parity.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_act_parity.py --smoke --outdir /tmp/ap
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

import act_parity  # noqa: E402
from act_parity import SMOKE, TAU_SWEEP, Config, act_forward, evaluate, predict, test_set, train  # noqa: E402


FRAMES, SMOKE_FRAMES = 30, 4   # the GIF's training snapshots (--frames; capped with --smoke)


def frame_steps(cfg, frames):
    """The updates the GIF shows, evenly spaced."""
    return np.linspace(0, cfg.steps - 1, frames).astype(int).tolist()


def snapshotter(cfg, seed):
    """snapshot(step, state): the GIF's frame data (per-difficulty accuracy and ponder on fixed test sequences, the history so far)."""
    sub = tuple(a[:1000] for a in test_set(cfg, seed))

    def snapshot(step, state):
        return dict(step=step + 1, diff=per_difficulty(cfg, state["P"], sub),
                    hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def per_difficulty(cfg, P, test):
    """For each number k of non-zero entries: accuracy, mean ponder, mean inner steps."""
    x, y, k = test
    z, rho, N = predict(P, x, cfg)
    ks = np.unique(k)
    acc = np.array([np.mean(((z > 0) == (y > 0.5))[k == v]) for v in ks])
    pond = np.array([rho[k == v].mean() for v in ks])
    lo = np.array([np.percentile(rho[k == v], 10) for v in ks])
    hi = np.array([np.percentile(rho[k == v], 90) for v in ks])
    return ks, acc, pond, lo, hi


def plot_curves(cfg, h_act, h_base, path):
    fig, axs = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    axs[0].plot(h_act["step"], h_act["test_acc"], color="#c0392b", label=f"ACT (tau={cfg.tau:g})")
    axs[0].plot(h_base["step"], h_base["test_acc"], color="#7f8c8d", label="same RNN, one step per input (no ACT)")
    axs[0].axhline(0.95, color="k", ls=":", lw=1)
    axs[0].set_ylabel("test accuracy (1000 vectors)")
    axs[0].set_ylim(0.4, 1.02)
    axs[0].set_title(f"parity of {cfg.width}-entry vectors, {cfg.hidden} tanh units, batch {cfg.batch}, Adam")
    axs[0].legend(fontsize=8, loc="lower right")
    axs[1].plot(h_act["step"], h_act["test_ponder"], color="#c0392b", label="ACT: mean ponder cost N + R on test")
    axs[1].plot(h_base["step"], h_base["test_ponder"], color="#7f8c8d", label="no ACT (always 1)")
    axs[1].set_ylabel("ponder N + R")
    axs[1].set_xlabel("Adam update")
    axs[1].legend(fontsize=8)
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_difficulty(cfg, P, test, path):
    ks, acc, pond, lo, hi = per_difficulty(cfg, P, test)
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.fill_between(ks, lo, hi, color="#c0392b", alpha=0.2, lw=0, label="10th-90th percentile")
    ax.plot(ks, pond, color="#c0392b", marker="o", ms=4, label="mean ponder N + R")
    ax.set_xlabel("number of non-zero entries in the test vector (difficulty)")
    ax.set_ylabel("ponder N + R")
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(ks, acc, color="#2c3e50", ls="--", marker=".", label="test accuracy")
    ax2.set_ylim(0.0, 1.05)
    ax2.set_ylabel("test accuracy")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="lower right")
    ax.set_title(f"trained ACT net, width {cfg.width}: computation against difficulty ({len(test[0])} test vectors)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_halting(cfg, P, test, path, n_show=12):
    x, y, k = test
    order = np.argsort(k, kind="stable")
    pick = order[np.linspace(0, len(order) - 1, n_show).astype(int)]
    xb = x[pick].astype(P["Ws"].dtype)
    c = act_forward(P, xb, np.zeros((len(pick), P["Ws"].shape[0]), dtype=xb.dtype), True, cfg.eps, cfg.max_ponder)
    n_max = len(c["S"])
    W = np.zeros((n_max, len(pick)))
    for n in range(n_max):
        W[n, c["rows"][n]] = c["p"][n]
    z = c["s"] @ P["wy"] + P["by"][0]
    fig, ax = plt.subplots(figsize=(9, 4.3))
    bottom = np.zeros(len(pick))
    cmap = plt.get_cmap("viridis")
    for n in range(n_max):
        ax.bar(np.arange(len(pick)), W[n], bottom=bottom, color=cmap(n / max(n_max - 1, 1)), edgecolor="w", lw=0.5,
               label=f"inner step {n + 1}")
        bottom += W[n]
    labels = [f"k={k[i]}\n{'ok' if (z[j] > 0) == (y[i] > 0.5) else 'wrong'}\nN={c['N'][j]}"
              for j, i in enumerate(pick)]
    ax.set_xticks(np.arange(len(pick)))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel("halting weight p^n (sums to 1)")
    ax.set_title("how each test vector's output is shared among its inner steps (k = non-zero entries)", fontsize=10)
    ax.legend(fontsize=7, ncol=min(n_max, 6), loc="upper center", bbox_to_anchor=(0.5, -0.25))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def tau_rows(cfg, seed, taus, test, known=None):
    """(tau, test error, mean ponder) after training at each tau; `known` (tau, P) reuses a trained net."""
    rows = []
    for tau in taus:
        c = dataclasses.replace(cfg, tau=tau)
        P = known[1] if known is not None and tau == known[0] else train(c, seed)["P"]
        m = evaluate(c, P, test)
        rows.append((tau, m["test_err"], m["ponder"]))
    return rows


def plot_tau(rows, path):
    taus = np.array([r[0] for r in rows])
    err = np.array([r[1] for r in rows])
    pond = np.array([r[2] for r in rows])
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    ax.semilogx(taus, 100 * err, color="#2c3e50", marker="o", label="test error (%)")
    ax.set_xlabel("time penalty tau")
    ax.set_ylabel("test error (%)")
    ax.set_ylim(0, 55)
    ax.axhline(50, color="#2c3e50", ls=":", lw=0.8)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.semilogx(taus, pond, color="#c0392b", marker="s", label="mean ponder N + R")
    ax2.axhline(2.0, color="#c0392b", ls=":", lw=0.8)
    ax2.text(taus[0], 2.05, "one inner step (N = 1, R = 1)", color="#c0392b", fontsize=7, va="bottom")
    ax2.set_ylabel("ponder N + R")
    ax2.set_ylim(0, max(pond.max() * 1.15, 2.5))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper left")
    ax.set_title("the time penalty trades computation for accuracy (one seed per tau)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    out, _ = trained(act_parity, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter(cfg, args.seed))
    base = train(dataclasses.replace(cfg, act=False), args.seed)
    test = test_set(cfg, args.seed)
    plot_curves(cfg, out["history"], base["history"], args.outdir / "training_curves.png")
    plot_difficulty(cfg, out["P"], test, args.outdir / "ponder_vs_difficulty.png")
    plot_halting(cfg, out["P"], test, args.outdir / "halting_weights.png")
    # the long-tier width-16 run, where ponder clearly follows difficulty
    wide = dataclasses.replace(cfg, width=cfg.width + 4, steps=cfg.steps // 5) if args.smoke else \
        dataclasses.replace(cfg, width=16, steps=10000)
    plot_difficulty(wide, train(wide, args.seed)["P"], test_set(wide, args.seed),
                    args.outdir / "ponder_vs_difficulty_w16.png")
    taus = (TAU_SWEEP[0], TAU_SWEEP[-1]) if args.smoke else TAU_SWEEP
    plot_tau(tau_rows(cfg, args.seed, taus, test, known=(cfg.tau, out["P"])), args.outdir / "tau_sweep.png")
    print(f"wrote 5 PNGs to {args.outdir}")
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
