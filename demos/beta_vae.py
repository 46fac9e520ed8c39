"""beta-VAE on the 2-D latent: weigh the KL by beta = 0.5, 1, 4 and see what it buys.

The training objective is ``reconstruction + beta * KL`` (``minae.vae.VAE(beta=...)``); beta = 1
is the ELBO. A larger beta pays more for every nat of information z carries about the image,
so the codes huddle closer to the prior N(0, I): the plane fills without holes and random z
decode to plausible images, but reconstructions blur (less information gets through). A
smaller beta does the opposite: sharper reconstructions, a plane with gaps the prior samples
fall into. Each beta is one point on a trade-off between KL (the "rate", nats z carries) and
reconstruction (the "distortion").

Three copies of the lesson's dense VAE (784-512-2) are trained with the same seed, data and
settings (the lesson's SSE + KL and RMSprop with Keras's settings, batch 128), 10 epochs each by
default (about 1-2 minutes each on 2 cores with MNIST); ``--quick``: 3 epochs on 6,000 images.

Printed: for each beta, the test reconstruction (SSE per image), KL (nats per image), the
objective, the negative ELBO in true nats (beta = 1; the SSE is a Gaussian NLL with sigma^2 = 1/2
minus 448.7 nats per image) and the KL of each latent dimension.

Figures (``--out``, default out/beta_vae), one panel or row per beta:

  latent_scatter.png         z_mean of the test set by class
  manifold.png               10x10 decodes over the normal's quantiles 5% .. 95%
  reconstructions.png        test images, then each beta's reconstructions
  generations.png            the same random z ~ N(0, I) decoded by each model
  kl_vs_reconstruction.png   test KL against test reconstruction error, one point per beta,
                             and both during training

    python demos/beta_vae.py --quick
    python demos/beta_vae.py --betas 0.25 1 8 --dataset fashion-mnist
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import matplotlib
import matplotlib.lines
import matplotlib.ticker
import numpy as np

from demos import vae as vd
from minae import demo, plotting
from minae.engine import FastEngine
from minae.vae import dense_vae

BETAS = (0.5, 1.0, 4.0)


def tradeoff_figure(results: dict[float, dict], histories: dict, likelihood: str, title: str):
    """Left: test KL vs test reconstruction, one point per beta. Right: both per epoch."""
    recon = "SSE per image" if likelihood == "sse" else "BCE, nats per image"
    fig, (ax0, ax1) = plotting.subplots(1, 2, figsize=(9.6, 3.8))
    cmap = matplotlib.colormaps.get_cmap("viridis")
    colours = {b: cmap(i / max(len(results) - 1, 1)) for i, b in enumerate(results)}
    for b, r in results.items():
        ax0.scatter([r["kl"]], [r["reconstruction"]], color=colours[b], s=30, zorder=3)
        ax0.annotate(f"beta {b:g}\nKL {r['kl']:.2f}, rec. {r['reconstruction']:.1f}",
                     (r["kl"], r["reconstruction"]), textcoords="offset points",
                     xytext=(6, 4), fontsize=7)
    ax0.set_xlabel("KL(q(z|x) || p(z)), nats per image (the rate)", fontsize=8)
    ax0.set_ylabel(f"reconstruction, {recon}", fontsize=8)
    ax0.set_title("test set: one point per beta", fontsize=9)
    ax0.margins(0.25)
    for b, h in histories.items():
        if h is None or not h.parts.get("kl"):
            continue
        epochs = np.arange(1, len(h.parts["kl"]) + 1)
        ax1.plot(epochs, h.parts["reconstruction"], "-o", ms=3, color=colours[b],
                 label=f"beta {b:g}: reconstruction")
        ax1.plot(epochs, h.parts["kl"], "--s", ms=3, color=colours[b], label=f"beta {b:g}: KL")
    ax1.set_yscale("log")
    ax1.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax1.set_xlabel("epoch", fontsize=8)
    ax1.set_ylabel(f"training mean ({recon}; KL in nats)", fontsize=8)
    ax1.set_title("during training", fontsize=9)
    ax1.legend(fontsize=6, ncol=2)
    for ax in (ax0, ax1):
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    parser = demo.make_parser("beta_vae", __doc__, epochs=10, quick_epochs=3, quick_limit=6000)
    vd.add_vae_options(parser, iw_k=0)
    parser.add_argument("--betas", type=float, nargs="+", default=list(BETAS), metavar="BETA",
                        help="the KL weights to compare (default 0.5 1 4)")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    vd.check_vae_options(parser, args)
    bad = [b for b in args.betas if not (np.isfinite(b) and b >= 0)]
    if bad or len(set(args.betas)) != len(args.betas):
        parser.error(f"--betas must be distinct finite numbers >= 0; got {args.betas}")
    train, test = demo.load_data(args, parser)
    name = train.name
    x_test, y_test = test.images, test.labels

    models, results, histories = {}, {}, {}
    for b in args.betas:
        vae = dense_vae(latent_dim=2, hidden=512, likelihood=args.likelihood, beta=b,
                        rng=np.random.default_rng(args.seed))
        vae.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
        print(f"training beta = {b:g}: {args.epochs} epochs of {len(train)} {name} images; "
              f"objective = reconstruction + {b:g} * KL")
        histories[b] = demo.train(vae, train.images, args=args, loss=None,
                                  optimizer=vd.optimizer(args), what=f"training beta = {b:g}")
        r = vd.evaluate(vae, x_test, iw_k=args.iw_k, iw_images=args.iw_images, seed=args.seed)
        r["objective"] = r["reconstruction"] + b * r["kl"]
        r["kl_dims"] = vae.kl_per_dimension(x_test)
        models[b], results[b] = vae, r

    print(f"test numbers per image ({len(test)} {name} test images):")
    for line in vd.numbers_table({f"beta {b:g}": r for b, r in results.items()},
                                 args.likelihood):
        print(line)
    for b, r in results.items():
        print(f"beta {b:g}: objective {r['objective']:.2f} = reconstruction "
              f"{r['reconstruction']:.2f} + {b:g} * KL {r['kl']:.2f}; KL per dimension "
              f"{', '.join(f'{v:.2f}' for v in r['kl_dims'])} nats")

    where = f"{name}, {args.epochs} epochs"
    demo.save(vd.scatter_figure(
        [(f"beta {b:g}: KL {r['kl']:.2f}, rec. {r['reconstruction']:.1f}",
          models[b].encode(x_test)[0]) for b, r in results.items()], y_test, test.class_names,
        title=f"z_mean of the test set for each beta ({where})", squares=("manifold.png",)),
        args, "latent_scatter.png")
    demo.save(vd.manifold_panels(
        [(f"beta {b:g}", lambda z, m=m: vd.decode_images(m, z)) for b, m in models.items()],
        vd.quantile_grid(),
        title=f"Decoded over the plane (N(0,1) quantiles 5% .. 95%) for each beta ({where})"),
        args, "manifold.png")
    x = demo.sample(x_test, 10, seed=args.seed)
    demo.save(plotting.image_rows(
        [("test images", x)] + [
            (f"beta {b:g}: {vd.loss_title(results[b], args.likelihood)}", vd.reconstruct(m, x))
            for b, m in models.items()],
        title=f"Reconstructions (z_mean decoded) for each beta ({where})"),
        args, "reconstructions.png")
    z = np.random.default_rng(args.seed + 3).standard_normal((10, 2)).astype(np.float32)
    demo.save(plotting.image_rows(
        [(f"beta {b:g}: the same 10 random z ~ N(0, I) decoded", vd.decode_images(m, z))
         for b, m in models.items()],
        title=f"New images for each beta ({where})"), args, "generations.png")
    demo.save(tradeoff_figure(
        results, histories, args.likelihood,
        title=f"KL against reconstruction: larger beta, fewer nats through z, blurrier "
              f"reconstructions ({where})"), args, "kl_vs_reconstruction.png")


if __name__ == "__main__":
    raise SystemExit(main())
