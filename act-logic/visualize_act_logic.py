"""Static figures of act-logic: learning curves (ACT against one step per vector), ponder and accuracy
against the number of logic gates in a vector, one worked test sequence, and a sweep over the time
penalty tau.

    python3 visualize_act_logic.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_act_logic.py --smoke --outdir /tmp/al
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

import act_logic  # noqa: E402
from act_logic import GATE_NAMES, SMOKE, TAU_SWEEP, TRUTH, Config, evaluate, forward, predict, test_set, train  # noqa: E402


FRAMES, SMOKE_FRAMES = 25, 4   # the GIF's training snapshots (--frames; capped with --smoke)


def frame_steps(cfg, frames):
    """The updates the GIF shows, evenly spaced."""
    return np.linspace(0, cfg.steps - 1, frames).astype(int).tolist()


def snapshotter(cfg, seed):
    """snapshot(step, state): the GIF's frame data (per-gate-count accuracy and ponder on fixed test sequences, the history so far)."""
    sub = test_set(cfg, seed, n=500)

    def snapshot(step, state):
        return dict(step=step + 1, gates=per_gates(cfg, state["P"], sub),
                    hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def per_gates(cfg, P, test):
    """For each number of gates per vector: bit accuracy and mean ponder N + R over the test vectors."""
    X, Y, T, Bg = test
    live, right, rho, Ns = predict(P, test, cfg)
    gates = np.arange(cfg.min_gates, cfg.max_gates + 1)
    acc = np.array([right[live & (Bg == k)].mean() for k in gates])
    pond = np.array([rho[live & (Bg == k)].mean() for k in gates])
    return gates, acc, pond


def plot_curves(cfg, h_act, h_base, path):
    fig, axs = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    axs[0].plot(h_act["step"], h_act["test_seq_acc"], color="#c0392b", label=f"ACT (tau={cfg.tau:g})")
    axs[0].plot(h_base["step"], h_base["test_seq_acc"], color="#7f8c8d", label="same LSTM, one step per vector (no ACT)")
    axs[0].set_ylabel("test sequences all right (500)")
    axs[0].set_ylim(0, 1.02)
    axs[0].set_title(f"logic: {cfg.min_len}-{cfg.max_len} vectors of {cfg.min_gates}-{cfg.max_gates} gates, "
                     f"{cfg.hidden} LSTM cells, batch {cfg.batch}, Adam", fontsize=10)
    axs[0].legend(fontsize=8, loc="lower right")
    axs[1].plot(h_act["step"], h_act["test_ponder"], color="#c0392b", label="ACT: mean ponder N + R per vector (test)")
    axs[1].plot(h_base["step"], h_base["test_ponder"], color="#7f8c8d", label="no ACT (always 1)")
    axs[1].set_ylabel("ponder N + R")
    axs[1].set_xlabel("Adam update")
    axs[1].legend(fontsize=8)
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_gates(cfg, P, Pb, test, path):
    """The paper's Fig. 10: ponder and error against the number of gates per vector."""
    base_cfg = dataclasses.replace(cfg, act=False)
    gates, acc, pond = per_gates(cfg, P, test)
    _, acc_b, _ = per_gates(base_cfg, Pb, test)
    fig, axs = plt.subplots(1, 2, figsize=(10.5, 4.0))
    axs[0].plot(gates, pond, color="#c0392b", marker="o", label="ACT")
    axs[0].axhline(1.0, color="#7f8c8d", ls="--", lw=1, label="no ACT (one step)")
    axs[0].set_xlabel("logic gates in the vector")
    axs[0].set_ylabel("mean ponder N + R")
    axs[0].set_ylim(0, pond.max() * 1.2)
    axs[0].set_title("ponder against difficulty", fontsize=10)
    axs[0].legend(fontsize=8)
    axs[1].plot(gates, 100 * (1 - acc), color="#c0392b", marker="o", label="ACT")
    axs[1].plot(gates, 100 * (1 - acc_b), color="#7f8c8d", marker="s", label="no ACT")
    axs[1].set_xlabel("logic gates in the vector")
    axs[1].set_ylabel("bit error (%)")
    axs[1].set_ylim(0, max(5.0, 110 * max((1 - acc).max(), (1 - acc_b).max())))
    axs[1].set_title("error against difficulty", fontsize=10)
    axs[1].legend(fontsize=8)
    for ax in axs:
        ax.set_xticks(gates)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{len(test[2])} test sequences, seed's eval stream", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_example(cfg, P, test, path):
    """One test sequence of the longest length (with the most different gate counts): each vector's bits and
    gate chain with the intermediate results of Eq. (21), target and output bits, and the halting weights of
    every vector's inner steps (stacked bars summing to 1)."""
    X, Y, T, Bg = test
    score = [T[j] * 100 + len(set(Bg[:T[j], j].tolist())) for j in range(len(T))]
    i = int(np.argmax(score))
    t_len = int(T[i])
    Xi, Ti = X[:, i:i + 1].astype(P["Wh"].dtype), T[i:i + 1]
    acts, logits = forward(P, Xi, Ti, cfg)
    n_max = max(len(a["inner"]) for a in acts)
    W = np.zeros((n_max, t_len))
    for t, a in enumerate(acts):
        for n, inner in enumerate(a["inner"]):
            W[n, t] = inner[-1][0]
    fig, axs = plt.subplots(2, 1, figsize=(max(7.0, 2.0 * t_len + 2), 6.4), gridspec_kw=dict(height_ratios=[1, 1.1]),
                            sharex=True)
    axs[0].set_xlim(-0.6, t_len - 0.4)
    axs[0].set_ylim(0, 1)
    axs[0].axis("off")
    prev_target = int(Xi[0, 0, 0])
    for t in range(t_len):
        b_prev, b_cur = prev_target, int(Xi[t, 0, 1])
        lines = [f"b0={b_prev}{'' if t == 0 else ' (carried)'}", f"b1={b_cur}"]
        for k in range(Bg[t, i]):
            gate = int(np.argmax(Xi[t, 0, 2 + 10 * k:12 + 10 * k]))
            new = int(TRUTH[gate, b_cur, b_prev])
            lines.append(f"b{k + 2}={GATE_NAMES[gate]}(b{k + 1},b{k})={new}")
            b_prev, b_cur = b_cur, new
        prev_target = int(Y[t, i])
        pred = int(logits[t][0] > 0)
        axs[0].text(t, 0.98, "\n".join(lines), ha="center", va="top", fontsize=7, family="monospace")
        axs[0].text(t, 0.02, f"target {Y[t, i]}  output {pred}", ha="center", va="bottom", fontsize=8,
                    color="#27ae60" if pred == Y[t, i] else "#c0392b", fontweight="bold")
    axs[0].set_title("a test sequence, one column per vector: its bits, its gate chain (Eq. 21),\n"
                     "the target and the net's output bit (green right, red wrong)", fontsize=9)
    bottom = np.zeros(t_len)
    cmap = plt.get_cmap("viridis")
    for n in range(n_max):
        axs[1].bar(np.arange(t_len), W[n], bottom=bottom, color=cmap(n / max(n_max - 1, 1)), edgecolor="w", lw=0.4,
                   label=f"inner step {n + 1}" if n < 10 else None)
        bottom += W[n]
    for t, a in enumerate(acts):
        axs[1].text(t, 1.02, f"N={a['N'][0]}, rho={a['rho'][0]:.2f}", ha="center", fontsize=7)
    axs[1].set_ylim(0, 1.15)
    axs[1].set_ylabel("halting weight p^n")
    axs[1].set_xlabel("vector of the sequence")
    axs[1].set_xticks(np.arange(t_len))
    axs[1].legend(fontsize=7, ncol=min(n_max, 6), loc="upper center", bbox_to_anchor=(0.5, -0.2))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def tau_rows(cfg, seed, taus, test, known=None):
    """(tau, test sequence error, mean ponder) after training at each tau; `known` (tau, P) reuses a trained net."""
    rows = []
    for tau in taus:
        c = dataclasses.replace(cfg, tau=tau)
        P = known[1] if known is not None and tau == known[0] else train(c, seed)["P"]
        m = evaluate(c, P, test)
        rows.append((tau, m["seq_err"], m["ponder"]))
    return rows


def plot_tau(rows, base_err, path):
    taus = np.array([r[0] for r in rows])
    err = np.array([r[1] for r in rows])
    pond = np.array([r[2] for r in rows])
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    ax.semilogx(taus, 100 * err, color="#2c3e50", marker="o", label="ACT: test sequence error (%)")
    ax.axhline(100 * base_err, color="#7f8c8d", ls="--", lw=1, label="no ACT: test sequence error (%)")
    ax.set_xlabel("time penalty tau")
    ax.set_ylabel("test sequence error (%)")
    ax.set_ylim(0, max(100 * err.max(), 100 * base_err) * 1.3)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.semilogx(taus, pond, color="#c0392b", marker="s", label="mean ponder N + R per vector")
    ax2.set_ylabel("ponder N + R")
    ax2.set_ylim(0, max(pond.max() * 1.15, 2.5))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center left")
    ax.set_title("time penalty against error and computation (one seed per tau, same updates)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    args.outdir.mkdir(parents=True, exist_ok=True)
    out, _ = trained(act_logic, cfg, args.seed, frame_steps(cfg, SMOKE_FRAMES if args.smoke else FRAMES),
                     snapshotter(cfg, args.seed))
    base_cfg = dataclasses.replace(cfg, act=False)
    base = train(base_cfg, args.seed)
    test = test_set(cfg, args.seed)
    plot_curves(cfg, out["history"], base["history"], args.outdir / "training_curves.png")
    plot_gates(cfg, out["P"], base["P"], test, args.outdir / "ponder_vs_gates.png")
    plot_example(cfg, out["P"], test, args.outdir / "example_sequence.png")
    taus = (TAU_SWEEP[0], TAU_SWEEP[-1]) if args.smoke else TAU_SWEEP
    rows = tau_rows(cfg, args.seed, taus, test, known=(cfg.tau, out["P"]))
    for tau, err, pond in rows:
        print(f"tau {tau:g}: test sequence error {err:.4f}, ponder {pond:.3f}")
    base_err = evaluate(base_cfg, base["P"], test)["seq_err"]
    print(f"no ACT: test sequence error {base_err:.4f}")
    plot_tau(rows, base_err, args.outdir / "tau_sweep.png")
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
