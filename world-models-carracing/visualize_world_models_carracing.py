"""Static figures of one world-models run: the track and frames, V's reconstructions, M's predicted
frames, the CMA-ES score curves, the evaluation score distributions and V's and M's learning curves.

    python3 visualize_world_models_carracing.py --seed 0      # writes viz/*.png next to this script
    python3 visualize_world_models_carracing.py --smoke --outdir /tmp/wm
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
from world_models_carracing import (RES, SMOKE, Config, c_inputs, drive, eval_scores, eval_tracks, lstm_step,  # noqa: E402
                                    mdn_split, train, v_decode, v_encode)

COL = {"zh": "#c0392b", "z": "#2980b9", "random": "#7f8c8d"}
NAME = {"zh": "C on [z, h] (V + M)", "z": "C on z (V alone)", "random": "random policy"}


def record_episode(cfg, out, tracks, k, arm):
    """Drive track k with one controller and record every frame (x, y, th, v, obs, z, a, h, score)."""
    rec = {}
    theta = out["thetas"][arm][None, :]
    drive(cfg, out["V"], out["M"], tracks, np.array([k]), theta, np.array([arm == "zh"]), record=rec)
    return {key: np.asarray(v)[:, 0] for key, v in rec.items()}


def m_prediction(M, K, h):
    """M's most probable next latent for hidden states h (..., Hm): each dim's likeliest component's mean."""
    logpi, mu, _ = mdn_split(M, h, K)
    best = np.argmax(logpi, axis=-1)[..., None]
    return np.take_along_axis(mu, best, axis=-1)[..., 0]


def show(ax, img, S, title=None):
    ax.imshow(img.reshape(S, S), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=7)


def plot_track(cfg, tracks, recs, k, path):
    S = cfg.obs_size
    fig = plt.figure(figsize=(12, 6.4))
    gs = fig.add_gridspec(3, 5, width_ratios=[1.6, 1.6, 1, 1, 1], height_ratios=[1, 1, 1.1])
    ax = fig.add_subplot(gs[:, :2])
    G, o = tracks["G"], tracks["origin"]
    ext = (o, o + G * RES, o, o + G * RES)
    ax.imshow(tracks["pix"][k], cmap="gray", origin="lower", extent=ext, vmin=0, vmax=255)
    for arm in ("z", "zh"):
        r = recs[arm]
        ax.plot(r["x"], r["y"], color=COL[arm], lw=1.3, alpha=0.9,
                label=f"{NAME[arm]}: score {r['final']:.0f} after {len(r['x'])} frames")
    c = tracks["centre"][k]
    pad = 12
    ax.set_xlim(c[:, 0].min() - pad, c[:, 0].max() + pad)
    ax.set_ylim(c[:, 1].min() - pad, c[:, 1].max() + pad)
    ax.plot(*tracks["start"][k][:2], marker="*", color="yellow", ms=14, mec="k")
    ax.set_title(f"evaluation track 0 (never trained on; {tracks['n_tiles'][k]} tiles), start at the star",
                 fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_xticks([])
    ax.set_yticks([])
    r = recs["zh"]
    T = len(r["x"])
    for j, t in enumerate(np.linspace(0, min(T - 1, 300), 6).astype(int)):
        a = fig.add_subplot(gs[j // 3, 2 + j % 3])
        show(a, r["obs"][t], S, f"frame {t}: speed {r['v'][t]:.2f}\nsteer {r['a'][t][0]:+.2f} gas {r['a'][t][1]:.2f} "
             f"brake {r['a'][t][2]:.2f}")
    a = fig.add_subplot(gs[2, 2:])
    for arm in ("z", "zh"):
        a.plot(recs[arm]["v"], color=COL[arm], lw=1, label=NAME[arm])
    a.set_xlabel("frame")
    a.set_ylabel("speed")
    a.legend(fontsize=7)
    a.grid(alpha=0.3)
    fig.suptitle(f"top right: what C on [z, h] sees ({S}x{S} grey pixels, {cfg.obs_span:g} units wide, the car at the "
                 f"centre column with {int(cfg.obs_ahead * 100)}% of the view ahead, rotated with the car); "
                 "bottom right: speed along the episode", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_recon(cfg, V, obs, path):
    S = cfg.obs_size
    n = 10
    X = obs[np.linspace(0, len(obs) - 1, n).astype(int)]
    mu, _ = v_encode(V, X)
    Y = v_decode(V, mu)
    fig, axs = plt.subplots(2, n, figsize=(n * 1.1, 2.6))
    for j in range(n):
        show(axs[0, j], X[j], S, "frame" if j == 0 else None)
        show(axs[1, j], Y[j], S, "V(frame)" if j == 0 else None)
    fig.suptitle(f"V: frames of random-policy rollouts (top) and their reconstructions from the posterior mean "
                 f"of z ({cfg.z_dim} dims)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_m(cfg, V, M, rec, path, t0=None, k=8):
    """One-step predictions and an open-loop dream of M along the C(z, h) episode, decoded by V."""
    S = cfg.obs_size
    T = len(rec["x"])
    t0 = min(T - k - 2, 120) if t0 is None else t0
    z, a, h = rec["z"], rec["a"], rec["h"]
    # h[t] is M's state after frames 0..t-1; one LSTM step on (z_t, a_t) gives the state that predicts z_{t+1}
    one = []
    for t in range(t0, t0 + k):
        h1, _, _ = lstm_step(M, np.concatenate([z[t], a[t]])[None, :], h[t][None, :], _cell_state(cfg, M, rec, t))
        one.append(m_prediction(M, cfg.n_mix, h1)[0])
    # dream: from frame t0, feed M's own predictions back in (the recorded actions are replayed)
    hh, cc = h[t0][None, :], _cell_state(cfg, M, rec, t0)
    zz = z[t0][None, :]
    dream = []
    for t in range(t0, t0 + k):
        hh, cc, _ = lstm_step(M, np.concatenate([zz, a[t][None, :]], axis=1), hh, cc)
        zz = m_prediction(M, cfg.n_mix, hh)
        dream.append(zz[0])
    rows = [("real frame t+1", rec["obs"][t0 + 1:t0 + k + 1]),
            ("V(real z)", v_decode(V, z[t0 + 1:t0 + k + 1])),
            ("V(M's 1-step z)", v_decode(V, np.array(one))),
            ("V(M's dream z)", v_decode(V, np.array(dream)))]
    fig, axs = plt.subplots(4, k, figsize=(k * 1.1, 5.0))
    for i, (name, imgs) in enumerate(rows):
        for j in range(k):
            show(axs[i, j], imgs[j], S, f"t+{j + 1}" if i == 0 else None)
        axs[i, 0].set_ylabel(name, fontsize=7)
    fig.suptitle(f"M's predicted next frames, decoded by V (C on [z, h], frames {t0 + 1}-{t0 + k}; "
                 "dream: M fed its own predictions from frame " f"{t0})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cell_state(cfg, M, rec, t):
    """Re-run M over the recorded frames 0..t-1 to recover its cell state at frame t."""
    h = np.zeros((1, cfg.m_hidden))
    c = np.zeros((1, cfg.m_hidden))
    for s in range(t):
        h, c, _ = lstm_step(M, np.concatenate([rec["z"][s], rec["a"][s]])[None, :], h, c)
    return c


def plot_cmaes(cfg, hist, metrics, path):
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw=dict(width_ratios=[2, 1]))
    ax = axs[0]
    for arm in ("zh", "z"):
        h = hist[arm]
        ax.plot(h["gen"], h["best"], color=COL[arm], lw=1.8, label=f"{NAME[arm]}: best candidate")
        ax.plot(h["gen"], h["mean"], color=COL[arm], lw=1, ls="--", label=f"{NAME[arm]}: population mean")
        ax.axhline(metrics[arm].mean(), color=COL[arm], lw=0.8, ls=":",
                   label=f"{NAME[arm]}: final mean, {cfg.n_eval} eval tracks ({metrics[arm].mean():.0f})")
    ax.axhline(metrics["random"].mean(), color=COL["random"], lw=1,
               label=f"random policy ({metrics['random'].mean():.0f})")
    ax.axhline(900, color="k", lw=0.6, ls="-.", label="paper's 'solved' (900)")
    ax.set_xlabel("CMA-ES generation")
    ax.set_ylabel(f"score (mean over {cfg.episodes} tracks per candidate)")
    ax.set_title(f"CMA-ES, {cfg.popsize} candidates per arm, both arms on the same tracks each generation",
                 fontsize=9)
    ax.legend(fontsize=6.5, loc="lower right")
    ax.grid(alpha=0.3)
    ax = axs[1]
    for arm in ("zh", "z"):
        ax.semilogy(hist[arm]["gen"], hist[arm]["sigma"], color=COL[arm], label=NAME[arm])
    ax.set_xlabel("CMA-ES generation")
    ax.set_ylabel("step size sigma")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_scores(cfg, metrics, path):
    fig, ax = plt.subplots(figsize=(8, 3.8))
    lo = min(v.min() for v in metrics.values())
    bins = np.linspace(lo - 5, 1000, 60)
    for arm in ("random", "z", "zh"):
        s = metrics[arm]
        ax.hist(s, bins=bins, color=COL[arm], alpha=0.6, label=f"{NAME[arm]}: {s.mean():.0f} ± {s.std():.0f}")
    ax.axvline(900, color="k", lw=0.6, ls="-.")
    ax.set_xlabel(f"score on each of {cfg.n_eval} fresh evaluation tracks")
    ax.set_ylabel("episodes")
    ax.set_title("evaluation: mean ± std over the same fresh tracks", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_vm(hist, path):
    fig, axs = plt.subplots(1, 2, figsize=(10, 3.5))
    v = hist["v"]
    axs[0].plot(v["step"], v["rec"], label="reconstruction (sum of squared pixel errors)")
    axs[0].plot(v["step"], v["kl"], label="KL(q(z|x) || N(0, I)) (free bits floor below)")
    axs[0].set_xlabel("Adam step")
    axs[0].set_title("V: VAE loss terms per frame", fontsize=9)
    axs[0].legend(fontsize=7)
    axs[0].grid(alpha=0.3)
    m = hist["m"]
    axs[1].plot(m["step"], m["nll"], color="#8e44ad")
    axs[1].set_xlabel("Adam step")
    axs[1].set_ylabel("nats per latent dim")
    axs[1].set_title("M: negative log-likelihood of the next z under its Gaussian mixture", fontsize=9)
    axs[1].grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = picture_args(__doc__, "viz", Path(__file__).resolve().parent / "viz")
    cfg = Config(**SMOKE) if args.smoke else Config()
    out, _ = trained(world_models_carracing, cfg, args.seed)   # the run the GIF drives
    scores = eval_scores(cfg, out["V"], out["M"], out["thetas"], args.seed)
    tracks = eval_tracks(cfg, args.seed)
    k = 0
    recs = {arm: record_episode(cfg, out, tracks, k, arm) for arm in ("zh", "z")}
    for arm in recs:
        recs[arm]["final"] = scores[arm][k]
    args.outdir.mkdir(parents=True, exist_ok=True)
    plot_track(cfg, tracks, recs, k, args.outdir / "track_and_frames.png")
    obs = out["rollouts"][0]
    plot_recon(cfg, out["V"], obs[:, :: max(1, obs.shape[1] // 10)].reshape(-1, obs.shape[-1])[7::13], args.outdir / "vae_reconstructions.png")
    plot_m(cfg, out["V"], out["M"], recs["zh"], args.outdir / "m_predictions.png",
           k=min(8, len(recs["zh"]["x"]) - 3), t0=None)
    plot_cmaes(cfg, out["history"]["c"], scores, args.outdir / "cmaes_scores.png")
    plot_scores(cfg, scores, args.outdir / "eval_scores.png")
    plot_vm(out["history"], args.outdir / "v_m_training.png")
    print(f"wrote 6 PNGs to {args.outdir}")
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
