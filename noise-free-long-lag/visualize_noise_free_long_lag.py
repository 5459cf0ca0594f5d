"""Static figures of the noise-free long-lag runs (Tasks 2a, 2b, 2c at the headline settings):
learning curves of every net (and of the one-unit recurrent baseline on 2a), the memory-cell state
of net 0 on fresh x- and y-sequences after training, and the 2c gates around the key and the trigger.

    python3 visualize_noise_free_long_lag.py --seed 0            # writes viz/*.png next to this script
    python3 visualize_noise_free_long_lag.py --smoke --outdir /tmp/nfl
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

import noise_free_long_lag  # noqa: E402
from noise_free_long_lag import (SMOKE, Config, batch_of, both_ab, check_every_of, lstm_ab_forward, max_seqs_of, lstm_c_forward, net_streams, sample,  # noqa: E402
                                 tol_of, train)

KEY_COLORS = ("#c0392b", "#2471a3")     # x, y


SHOWN_NETS = 4     # 2b, 2c and the baseline: the first 4 nets of the headline runs (each net's run does not depend on n_nets)


def configs(smoke):
    base = Config(**SMOKE) if smoke else Config()
    few = dataclasses.replace(base, n_nets=min(base.n_nets, SHOWN_NETS))
    cfgs = {"2a": base, "2b": dataclasses.replace(few, variant="2b"), "2c": dataclasses.replace(few, variant="2c")}
    return cfgs, dataclasses.replace(few, model="rnn")


def traces(cfg, P, seed, n=24):
    """Net 0 on n fresh test sequences: dict(s (L, n, cells), key (n,), start (n,), gates (L, n, 4) or None)."""
    st = net_streams(seed, cfg)[:1]
    P0 = {k: v[:1] for k, v in P.items()}
    data = sample(st, "eval", n, cfg)
    if cfg.variant == "2c":
        sym, mask, cls = data
        _, c = lstm_c_forward(P0, sym, mask, grad=True)
        start = np.argmax(mask[0] > 0, axis=1)
        return dict(s=c["s"][:, 0], key=cls[0], start=start, gates=c["A"][:, 0, :, 2:], mask=mask[0])
    X, _ = data
    _, c = lstm_ab_forward(P0, X)
    return dict(s=c["s"][0].T[..., None], key=(X[0, :, 0] == cfg.p).astype(int), start=np.zeros(n, int),
                gates=c["yi"][0].T[..., None], mask=None)


def plot_curves(cfgs, outs, rnn_cfg, rnn_out, path):
    fig, axs = plt.subplots(1, 3, figsize=(14, 4))
    for ax, (v, cfg) in zip(axs, cfgs.items()):
        out = outs[v]
        h = out["history"]
        for i in range(h["end_err"].shape[1]):
            col = plt.cm.viridis(i / max(1, cfg.n_nets - 1))
            ax.semilogy(h["seqs"], np.maximum(h["end_err"][:, i], 1e-6), lw=0.9, color=col, alpha=0.85)
            if out["stop"][i] > 0:
                ax.plot(out["stop"][i], 1.5e-6, "v", color=col, ms=5)
        if v == "2a":
            hr = rnn_out["history"]
            for i in range(hr["end_err"].shape[1]):
                ax.semilogy(hr["seqs"], np.maximum(hr["end_err"][:, i], 1e-6), lw=0.8, color="0.6", alpha=0.8,
                            label="one-unit RNN (RTRL)" if i == 0 else None)
            ax.legend(fontsize=8, loc="lower left")
        what = f"q = {cfg.q}, p = {cfg.p}" if v == "2c" else f"p = {cfg.p}"
        ax.set_title(f"Task {v} ({what}): {cfg.n_nets} LSTM nets", fontsize=10)
        ax.set_xlabel("training sequences")
        ax.set_ylabel("squared error at the sequence end (window mean)")
        ax.set_ylim(1e-6, 2)
        ax.grid(alpha=0.3, which="both")
    axs[0].text(0.98, 0.03, "▼ passed the paper's test", transform=axs[0].transAxes, fontsize=8, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_cells(cfgs, outs, seed, path):
    fig, axs = plt.subplots(1, 4, figsize=(15, 3.8))
    panels = [("2a", 0), ("2b", 0), ("2c", 0), ("2c", 1)]
    for ax, (v, cell) in zip(axs, panels):
        tr = traces(cfgs[v], outs[v]["P"], seed)
        L = tr["s"].shape[0]
        for k in range(tr["s"].shape[1]):
            st = tr["start"][k]
            ax.plot(np.arange(L - st), tr["s"][st:, k, cell], color=KEY_COLORS[tr["key"][k]], lw=0.8, alpha=0.7)
        ax.plot([], [], color=KEY_COLORS[0], label="key x")
        ax.plot([], [], color=KEY_COLORS[1], label="key y")
        name = "cell" if v != "2c" else f"cell {cell + 1}"
        ax.set_title(f"Task {v}: {name} state s_t of net 0", fontsize=10)
        ax.set_xlabel("position in the sequence")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_gates_2c(cfg, out, seed, path):
    tr = traces(cfg, out["P"], seed, n=8)
    fig, axs = plt.subplots(2, 2, figsize=(12, 5), sharey=True)
    names = ("input gate, block 1", "input gate, block 2", "output gate, block 1", "output gate, block 2")
    for j, ax in enumerate(axs.ravel()):
        for k in range(tr["gates"].shape[1]):
            st = tr["start"][k]
            L = tr["gates"].shape[0]
            ax.plot(np.arange(L - st), tr["gates"][st:, k, j], color=KEY_COLORS[tr["key"][k]], lw=0.8, alpha=0.7)
        ax.set_title(f"Task 2c, net 0: {names[j]}", fontsize=10)
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
        ax.set_xlabel("position (0 = b, 1 = key, last = trigger e)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


EVERY = 50   # training sequences between the GIF's frames (--every; rounded down to whole checks)


def frame_steps(cfg):
    """Every count of training sequences an update can end at (the GIF keeps some of them, see snapshotter)."""
    return list(range(batch_of(cfg), max_seqs_of(cfg), batch_of(cfg))) + [max_seqs_of(cfg)]


def snapshotter(cfg, every=EVERY):
    """snapshot(seen, state): the GIF's frame (net 0's cell state on the x- and the y-sequence, its final
    predictions, the history so far) every `every` sequences and where net 0 passes the check; None elsewhere."""
    X, _ = both_ab(cfg)
    every = max(check_every_of(cfg), every // check_every_of(cfg) * check_every_of(cfg))

    def snapshot(seen, state):
        if seen % every == 0 or state["stop"][0] == seen:
            P0 = {k: v[:1] for k, v in state["P"].items()}
            y, c = lstm_ab_forward(P0, X[None])
            return dict(seen=seen, s=c["s"][0], yend=y[0, :, -1, cfg.p - 1:cfg.p + 1],
                        hist={k: list(v) for k, v in state["hist"].items()})
    return snapshot


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    args.outdir.mkdir(parents=True, exist_ok=True)
    cfgs, rnn_cfg = configs(args.smoke)
    outs = {v: trained(noise_free_long_lag, cfg, args.seed, frame_steps(cfg), snapshotter(cfg))[0] if v == "2a"
            else train(cfg, args.seed) for v, cfg in cfgs.items()}   # 2a: the run the GIF shows
    rnn_out = train(rnn_cfg, args.seed)
    plot_curves(cfgs, outs, rnn_cfg, rnn_out, args.outdir / "learning_curves.png")
    plot_cells(cfgs, outs, args.seed, args.outdir / "cell_states.png")
    plot_gates_2c(cfgs["2c"], outs["2c"], args.seed, args.outdir / "gates_2c.png")
    print(f"wrote {args.outdir}/learning_curves.png, cell_states.png, gates_2c.png")
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
