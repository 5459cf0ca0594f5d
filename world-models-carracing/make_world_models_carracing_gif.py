"""Animated GIF: the evolved controllers race on a fresh evaluation track, C on [z, h] beside C on z,
with what the car sees, V's reconstruction, M's prediction of the next frame and the CMA-ES curve.

    python3 make_world_models_carracing_gif.py --seed 0     # writes world_models_carracing.gif next to this script
    python3 make_world_models_carracing_gif.py --smoke --out /tmp/wm.gif
"""
from pathlib import Path

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import world_models_carracing  # noqa: E402
from world_models_carracing import RES, SMOKE, Config, eval_tracks, lstm_step, v_decode  # noqa: E402
from visualize_world_models_carracing import COL, NAME, m_prediction, record_episode  # noqa: E402


def render(cfg, tracks, k, recs, preds, hist, t):
    S = cfg.obs_size
    fig = plt.figure(figsize=(8.4, 4.6))
    gs = fig.add_gridspec(2, 4, width_ratios=[2.3, 1, 1, 1])
    ax = fig.add_subplot(gs[:, 0])
    G, o = tracks["G"], tracks["origin"]
    ax.imshow(tracks["pix"][k], cmap="gray", origin="lower", extent=(o, o + G * RES, o, o + G * RES), vmin=0, vmax=255)
    c = tracks["centre"][k]
    ax.set_xlim(c[:, 0].min() - 10, c[:, 0].max() + 10)
    ax.set_ylim(c[:, 1].min() - 10, c[:, 1].max() + 10)
    for arm in ("zh", "z"):
        r = recs[arm]
        tt = min(t, len(r["x"]) - 1)
        ax.plot(r["x"][:tt + 1], r["y"][:tt + 1], color=COL[arm], lw=1.2)
        ax.plot(r["x"][tt], r["y"][tt], "o", color=COL[arm], ms=6, mec="w",
                label=f"{NAME[arm]}: {r['score'][tt]:.0f}")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(f"fresh evaluation track, frame {t}", fontsize=9)
    for i, arm in enumerate(("zh", "z")):
        r = recs[arm]
        tt = min(t, len(r["x"]) - 1)
        imgs = [(r["obs"][tt], "sees"), (v_decode(cfg_V[0], r["z"][tt][None, :])[0], "V(z)")]
        if arm == "zh":
            imgs.append((preds[min(tt, len(preds) - 1)], "V(M's next z)"))
        for j, (img, title) in enumerate(imgs):
            a = fig.add_subplot(gs[i, 1 + j])
            a.imshow(img.reshape(S, S), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            a.set_xticks([])
            a.set_yticks([])
            a.set_title(f"{'C(z,h)' if arm == 'zh' else 'C(z)'} {title}\nspeed {r['v'][tt]:.2f}" if j == 0
                        else title, fontsize=7, color=COL[arm] if j == 0 else "k")
    a = fig.add_subplot(gs[1, 3])
    for arm in ("zh", "z"):
        a.plot(hist[arm]["gen"], hist[arm]["best"], color=COL[arm], lw=1)
        a.plot(hist[arm]["gen"], hist[arm]["mean"], color=COL[arm], lw=0.8, ls="--")
    a.set_title("CMA-ES best/mean", fontsize=7)
    a.set_xlabel("generation", fontsize=6)
    a.tick_params(labelsize=6)
    fig.tight_layout()
    return fig_image(fig, dpi=80)


cfg_V = [None]


def main():
    args = picture_args(__doc__, "gif", Path(__file__).resolve().parent / "world_models_carracing.gif", (
        ("--fps", dict(type=float, default=8.0, help="frames per second (default 8)")),
        ("--every", dict(type=int, default=12, help="frames of the episode between GIF frames (default 12; 20 with --smoke)"))))
    cfg = Config(**SMOKE) if args.smoke else Config()
    if args.smoke:
        args.every = 20
    out, _ = trained(world_models_carracing, cfg, args.seed)
    cfg_V[0] = out["V"]
    tracks = eval_tracks(cfg, args.seed)
    k = 0
    recs = {arm: record_episode(cfg, out, tracks, k, arm) for arm in ("zh", "z")}
    r = recs["zh"]
    h = np.zeros((1, cfg.m_hidden))
    c = np.zeros((1, cfg.m_hidden))
    preds = []
    for t in range(len(r["x"])):
        h, c, _ = lstm_step(out["M"], np.concatenate([r["z"][t], r["a"][t]])[None, :], h, c)
        preds.append(v_decode(out["V"], m_prediction(out["M"], cfg.n_mix, h))[0])
    T = max(len(v["x"]) for v in recs.values())
    frames = [render(cfg, tracks, k, recs, preds, out["history"]["c"], t) for t in range(0, T, args.every)]
    frames.append(render(cfg, tracks, k, recs, preds, out["history"]["c"], T - 1))
    save_gif(frames, args.out, fps=args.fps)
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
