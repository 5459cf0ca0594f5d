"""Animated GIF: the evolved controllers race on a fresh evaluation track, C on [z, h] beside C on z,
with what the car sees, V's reconstruction, M's prediction of the next frame and the CMA-ES curve.

    python3 make_world_models_carracing_gif.py --seed 0     # writes world_models_carracing.gif next to this script
    python3 make_world_models_carracing_gif.py --smoke --out /tmp/wm.gif
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from world_models_carracing import RES, SMOKE, Config, eval_tracks, lstm_step, train, v_decode  # noqa: E402
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
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


cfg_V = [None]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="short training run (Config overridden by SMOKE)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "world_models_carracing.gif")
    p.add_argument("--fps", type=float, default=8.0)
    p.add_argument("--every", type=int, default=12, help="frames of the episode between GIF frames")
    args = p.parse_args(argv)
    cfg = Config(**SMOKE) if args.smoke else Config()
    if args.smoke:
        args.every = 20
    out = train(cfg, args.seed)
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
    frames += [frames[-1]] * int(2 * args.fps)
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(args.out, save_all=True, append_images=frames[1:], duration=int(1000 / args.fps), loop=0,
                   optimize=True)
    print(f"wrote {args.out} ({len(frames)} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
