"""Static figures of act-addition: learning curves (ACT against one step per input), ponder per step as a
function of the number of digits, one worked test sequence, and a short sweep over the time penalty tau.

    python3 visualize_act_addition.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_act_addition.py --smoke --outdir /tmp/aa
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

import act_addition  # noqa: E402
from act_addition import (SMOKE, TAU_SWEEP, Config, digits_of, evaluate, forward, predict,  # noqa: E402
                          test_set, train)


FRAMES, SMOKE_FRAMES = 25, 4   # the GIF's training snapshots (--frames; capped with --smoke)


def frame_steps(cfg, frames):
    """The updates the GIF shows, evenly spaced."""
    return np.linspace(0, cfg.steps - 1, frames).astype(int).tolist()


def snapshotter(cfg, seed):
    """snapshot(step, state): the GIF's frame data (per-digit-count accuracy and ponder on fixed test sequences, the history so far)."""
    sub = test_set(cfg, seed, n=500)

    def snapshot(step, state):
        return dict(step=step + 1, dig=per_digits(cfg, state["P"], sub),
                    hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def per_digits(cfg, P, test):
    """For each digit count d of a step's number: mean ponder of those steps, and the accuracy of the target
    that follows them (all 6 digits of the running sum right); also the mean ponder per step index."""
    X, Y, S = test
    ok, right, total, rho_t, N_t = predict(P, X, Y, S, cfg)
    D = digits_of(X, cfg.max_digits)
    live = ~np.isnan(rho_t)
    ds = np.arange(1, cfg.max_digits + 1)
    pond = np.array([rho_t[live & (D == d)].mean() for d in ds])
    # per-step correctness of the sum after a step whose number has d digits (steps 2..S)
    acts_ok = step_correct(cfg, P, test)
    has_t = (Y[:, :, 0] >= 0)
    acc = np.array([acts_ok[has_t & (D == d)].mean() if (has_t & (D == d)).any() else np.nan for d in ds])
    by_step = np.array([np.nanmean(rho_t[t]) for t in range(X.shape[0])])
    return ds, pond, acc, by_step


def step_correct(cfg, P, test):
    """(S_max, n) bool: all 6 digits of the step's target right (False where there is no target)."""
    X, Y, S = test
    acts, logits = forward(P, X.astype(P["Wh"].dtype), S, cfg)
    okt = np.zeros(Y.shape[:2], dtype=bool)
    for t, z in enumerate(logits):
        k = z.shape[0]
        y = Y[t, :k]
        okt[t, :k] = np.all(np.argmax(z, axis=2) == y, axis=1) & (y[:, 0] >= 0)
    return okt


def plot_curves(cfg, h_act, h_base, path):
    fig, axs = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    axs[0].plot(h_act["step"], h_act["test_seq_acc"], color="#c0392b", label=f"ACT (tau={cfg.tau:g}, M={cfg.max_ponder})")
    axs[0].plot(h_base["step"], h_base["test_seq_acc"], color="#7f8c8d", label="same LSTM, one step per input (no ACT)")
    axs[0].axhline(0.99, color="k", ls=":", lw=0.8)
    axs[0].set_ylabel("test sequences fully right (500)")
    axs[0].set_ylim(0, 1.02)
    axs[0].set_title(f"running sum of 1-{cfg.max_vectors} numbers of 1-{cfg.max_digits} digits, {cfg.hidden} LSTM "
                     f"cells, batch {cfg.batch}, Adam", fontsize=10)
    axs[0].legend(fontsize=8, loc="lower right")
    axs[1].plot(h_act["step"], h_act["test_ponder"], color="#c0392b", label="ACT: mean ponder N + R per step (test)")
    axs[1].plot(h_base["step"], h_base["test_ponder"], color="#7f8c8d", label="no ACT (always 1)")
    axs[1].set_ylabel("ponder N + R")
    axs[1].set_xlabel("Adam update")
    axs[1].set_ylim(0, None)
    axs[1].legend(fontsize=8)
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_ponder_digits(cfg, P, test, path):
    ds, pond, acc, by_step = per_digits(cfg, P, test)
    fig, axs = plt.subplots(1, 2, figsize=(10.5, 4.2))
    axs[0].bar(ds, pond, color="#c0392b", alpha=0.85, label="mean ponder N + R")
    for d, v in zip(ds, pond):
        axs[0].text(d, v + 0.03, f"{v:.2f}", ha="center", fontsize=8)
    axs[0].set_xlabel("digits of the step's input number")
    axs[0].set_ylabel("ponder N + R of that step")
    axs[0].set_xticks(ds)
    a2 = axs[0].twinx()
    a2.plot(ds, acc, color="k", marker="o", ls="--", label="sum after that step fully right")
    a2.set_ylim(0, 1.05)
    a2.set_ylabel("test accuracy of the step's target")
    h1, l1 = axs[0].get_legend_handles_labels()
    h2, l2 = a2.get_legend_handles_labels()
    axs[0].legend(h1 + h2, l1 + l2, fontsize=7, loc="lower left")
    axs[0].set_title("computation against the number's length", fontsize=10)
    st = np.arange(1, len(by_step) + 1)
    axs[1].bar(st, by_step, color="#2980b9", alpha=0.85)
    axs[1].set_xlabel("step of the sequence (1 = first number, no target)")
    axs[1].set_ylabel("mean ponder N + R")
    axs[1].set_xticks(st)
    axs[1].set_title("computation along the sequence", fontsize=10)
    for ax in axs:
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _num(digs):
    """Digits (least significant first, class 10 = ended) -> string, most significant first."""
    out = []
    for d in digs:
        if d == 10:
            break
        out.append(str(int(d)))
    return "".join(reversed(out)) + ("" if len(out) == len(digs) else "|")


def plot_example(cfg, P, test, path):
    """One test sequence of the most numbers: inputs, targets and outputs, and the halting weights of every
    step's inner steps (stacked bars summing to 1)."""
    X, Y, S = test
    i = int(np.argmax(S))
    s_len = int(S[i])
    Xi, Yi, Si = X[:, i:i + 1].astype(P["Wh"].dtype), Y[:, i:i + 1], S[i:i + 1]
    acts, logits = forward(P, Xi, Si, cfg)
    n_max = max(len(a["inner"]) for a in acts)
    W = np.zeros((n_max, s_len))
    for t, a in enumerate(acts):
        for n, inner in enumerate(a["inner"]):
            W[n, t] = inner[-1][0]
    fig, ax = plt.subplots(figsize=(9, 5.0))
    bottom = np.zeros(s_len)
    cmap = plt.get_cmap("viridis")
    for n in range(n_max):
        ax.bar(np.arange(s_len), W[n], bottom=bottom, color=cmap(n / max(n_max - 1, 1)), edgecolor="w", lw=0.4,
               label=f"inner step {n + 1}" if n < 10 else None)
        bottom += W[n]
    D = digits_of(Xi, cfg.max_digits)[:, 0]
    for t, a in enumerate(acts):
        v = Xi[t, 0].reshape(cfg.max_digits, 10)
        num = "".join(str(int(np.argmax(r))) for r in v[:D[t]][::-1])
        pred = np.argmax(logits[t][0], axis=1)
        txt = f"in: {num}\nN={a['N'][0]}, N+R={a['rho'][0]:.2f}"
        if Yi[t, 0, 0] >= 0:
            good = np.all(pred == Yi[t, 0])
            txt += f"\nsum {_num(Yi[t, 0])}\nout {_num(pred)}"
            ax.text(t, 1.03, txt, ha="center", va="bottom", fontsize=8, color="#27ae60" if good else "#c0392b")
        else:
            ax.text(t, 1.03, txt + "\n(no target)", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, 1.55)
    ax.set_xticks(np.arange(s_len))
    ax.set_xticklabels([f"step {t + 1}" for t in range(s_len)])
    ax.set_ylabel("halting weight p^n of inner step n")
    ax.set_title(f"a test sequence of {s_len} numbers: the running sum and how each step's computation is split",
                 fontsize=10)
    ax.legend(fontsize=7, ncol=min(n_max, 5), loc="upper center", bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def tau_rows(cfg, seed, taus, test, known=None):
    """(tau, test sequence accuracy, mean ponder) after training at each tau; `known` (tau, P) reuses a net."""
    rows = []
    for tau in taus:
        c = dataclasses.replace(cfg, tau=tau)
        P = known[1] if known is not None and tau == known[0] else train(c, seed)["P"]
        m = evaluate(c, P, test)
        rows.append((tau, m["seq_acc"], m["ponder"]))
    return rows


def plot_tau(cfg, rows, base_acc, path):
    taus = np.array([r[0] for r in rows])
    acc = np.array([r[1] for r in rows])
    pond = np.array([r[2] for r in rows])
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    ax.semilogx(taus, 100 * acc, color="#2c3e50", marker="o", label="ACT: test sequence accuracy (%)")
    ax.axhline(100 * base_acc, color="#7f8c8d", ls="--", lw=1, label="no ACT: test sequence accuracy (%)")
    ax.set_xlabel("time penalty tau")
    ax.set_ylabel("test sequence accuracy (%)")
    ax.set_ylim(min(100 * acc.min(), 100 * base_acc) - 5, 100.5)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.semilogx(taus, pond, color="#c0392b", marker="s", label="mean ponder N + R per step")
    ax2.axhline(cfg.max_ponder, color="#c0392b", ls=":", lw=0.8)
    ax2.set_ylabel(f"ponder N + R (dotted: the limit M = {cfg.max_ponder})")
    ax2.set_ylim(0, cfg.max_ponder * 1.15 + 1)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center left")
    ax.set_title(f"time penalty against accuracy and computation ({cfg.steps} updates, one seed per tau)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    out, _ = trained(act_addition, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter(cfg, args.seed))
    base_cfg = dataclasses.replace(cfg, act=False)
    base = train(base_cfg, args.seed)
    test = test_set(cfg, args.seed)
    plot_curves(cfg, out["history"], base["history"], args.outdir / "training_curves.png")
    plot_ponder_digits(cfg, out["P"], test, args.outdir / "ponder_digits.png")
    plot_example(cfg, out["P"], test, args.outdir / "example_sequence.png")
    taus = (TAU_SWEEP[0], TAU_SWEEP[-1]) if args.smoke else TAU_SWEEP
    rows = tau_rows(cfg, args.seed, taus, test, known=(cfg.tau, out["P"]))
    for tau, acc, pond in rows:
        print(f"tau {tau:g}: test sequence accuracy {acc:.4f}, ponder {pond:.3f}")
    base_acc = evaluate(base_cfg, base["P"], test)["seq_acc"]
    print(f"no ACT: test sequence accuracy {base_acc:.4f}")
    plot_tau(cfg, rows, base_acc, args.outdir / "tau_sweep.png")
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
