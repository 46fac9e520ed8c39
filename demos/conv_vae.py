"""The assignment (L11): a convolutional VAE, side by side with the lesson's dense VAE.

The convolutional VAE keeps the dense VAE's 2-D latent, loss and heads and swaps the layers
around them for convolutions (``minae.vae.conv_vae``)::

    encoder  Conv2D(1, 32, 3, stride 2, same) ReLU -> Conv2D(32, 64, 3, stride 2, same) ReLU
             -> Flatten -> Dense(3136, 16) ReLU -> heads z_mean, z_log_sigma (2 each)
    decoder  Dense(2, 3136) ReLU -> Reshape(64, 7, 7) -> ConvTranspose2D(64, 32, 4, s2, p1) ReLU
             -> ConvTranspose2D(32, 1, 4, s2, p1)           (--decoder upsample: Upsample2D +
                                                            Conv2D "same" instead)

111,797 parameters against the dense VAE's 807,700. Both are trained here with the same loss
(default the lesson's: SSE + KL), optimizer (RMSprop, Keras's settings), batch, epochs and
seed, and compared on the same test images.

Default: 5 epochs (an epoch of 60,000 images takes the conv VAE about five times as long as
the dense VAE: 35 s against 7 s on one core of a busy machine; the whole default run took 4.5
minutes). The lesson's 25: ``--epochs 25``. ``--quick``: 2 epochs on 6,000 images.

Printed: the numbers of ``demos/vae.py`` (test loss and its parts, negative ELBO in true
nats, the importance-weighted estimate of -log p(x)) in two columns, dense and conv, with the
parameters and seconds per epoch. The estimate uses K = 1000 samples on the first 100 test
images (the conv decoder then runs 100,000 times, about half a minute). Units: the SSE is a
Gaussian NLL with sigma^2 = 1/2 minus 448.7 nats per image; see ``demos/vae.py``.

Figures (``--out``, default out/conv_vae), each with the dense VAE and the conv VAE together:

  reconstructions.png   test images, the dense VAE's reconstructions, the conv VAE's
  latent_scatter.png    z_mean of the test set by class: dense | conv
  manifold.png          10x10 decodes over the normal's quantiles: dense | conv
  manifold_lesson.png   the same over the lesson's [-1, 1] grid
  generations.png       the same random z ~ N(0, I) decoded by each
  interpolation.png     the same two pairs of test images interpolated by each

    python demos/conv_vae.py --quick
    python demos/conv_vae.py --dataset fashion-mnist --decoder upsample
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from demos import vae as vd
from minae import demo, plotting
from minae.engine import FastEngine
from minae.vae import conv_vae, dense_vae


def main(argv=None) -> int:
    parser = demo.make_parser("conv_vae", __doc__, epochs=5, quick_epochs=2, quick_limit=6000)
    vd.add_vae_options(parser, iw_k=1000, iw_images=100)  # a conv decoder is ~20x slower
    parser.add_argument("--decoder", choices=["transpose", "upsample"], default="transpose",
                        help="the conv decoder's upsampling: transposed convolutions "
                             "(default) or nearest-neighbour upsampling + convolution")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    vd.check_vae_options(parser, args)
    train, test = demo.load_data(args, parser)
    name = train.name

    models = {
        "dense VAE": dense_vae(latent_dim=2, hidden=512, likelihood=args.likelihood,
                               rng=np.random.default_rng(args.seed)),
        "conv VAE": conv_vae(latent_dim=2, likelihood=args.likelihood, decoder=args.decoder,
                             rng=np.random.default_rng(args.seed)),
    }
    for model in models.values():
        model.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
    models["conv VAE"].summary()
    results = {}
    for label, model in models.items():
        print(f"training the {label}: {args.epochs} epochs of {len(train)} {name} images, "
              f"{model.num_parameters():,} parameters")
        history = demo.train(model, train.images, args=args, loss=None,
                             optimizer=vd.optimizer(args), what=f"training the {label}")
        r = vd.evaluate(model, test.images, iw_k=args.iw_k, iw_images=args.iw_images,
                        seed=args.seed)
        r["parameters"] = model.num_parameters()
        r["seconds_per_epoch"] = vd.seconds_per_epoch(history)
        r["epochs"] = len(history) if history is not None else 0
        results[label] = r
    print(f"test numbers per image ({len(test)} {name} test images; IW: first "
          f"{min(args.iw_images, len(test))}, K = {args.iw_k}):")
    for line in vd.numbers_table(results, args.likelihood):
        print(line)

    where = f"{name}, {args.epochs} epochs"
    x_test, y_test = test.images, test.labels
    x = demo.sample(x_test, 10, seed=args.seed)
    demo.save(plotting.image_rows(
        [("test images", x)] + [
            (f"{label}: {vd.loss_title(results[label], args.likelihood)}",
             vd.reconstruct(m, x)) for label, m in models.items()],
        title=f"Reconstructions (z_mean decoded), dense vs conv VAE ({where})"),
        args, "reconstructions.png")

    demo.save(vd.scatter_figure(
        [(f"{label}: z_mean of {len(x_test)} test images", m.encode(x_test)[0])
         for label, m in models.items()], y_test, test.class_names,
        title=f"The latent plane of each model, by class ({where})"),
        args, "latent_scatter.png")

    for filename, grid, what in [
            ("manifold.png", vd.quantile_grid(),
             "evenly spaced in probability (N(0,1) quantiles 5% .. 95%)"),
            ("manifold_lesson.png", vd.linear_grid(), "the lesson's grid (z in [-1, 1])")]:
        demo.save(vd.manifold_panels(
            [(label, lambda z, m=m: vd.decode_images(m, z)) for label, m in models.items()],
            grid, title=f"Decoded over the plane, {what}; {where}"), args, filename)

    z = np.random.default_rng(args.seed + 3).standard_normal((10, 2)).astype(np.float32)
    demo.save(plotting.image_rows(
        [(f"{label}: the same 10 random z ~ N(0, I) decoded", vd.decode_images(m, z))
         for label, m in models.items()],
        title=f"New images from each model ({where})"), args, "generations.png")

    rows = []
    for label, m in models.items():
        rows += vd.interpolation_rows(m, x_test, y_test, test.class_names, n_pairs=2,
                                      seed=args.seed, prefix=f"{label}: ")
    order = [0, 2, 1, 3]  # each pair, dense then conv
    demo.save(plotting.image_rows(
        [rows[i] for i in order if i < len(rows)], n=12,
        title=f"Interpolation between two test images' z_mean, dense vs conv ({where})"),
        args, "interpolation.png")


if __name__ == "__main__":
    raise SystemExit(main())
