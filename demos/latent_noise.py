"""Noise in the latent space (L8): encode real images, add noise of growing size to their
codes, decode.

Small noise barely changes the picture; larger noise blurs it, then turns it into something
else or into a blob: the decoder was only ever trained on codes of real images, and most of
the code space around them decodes to nothing in particular (compare random_codes.png of
``conv_autoencoder.py``). Noise is Gaussian, its standard deviation a multiple of the spread
(standard deviation) of the code units over the test set; the codes are not clipped, so large
noise sends units negative, where no ReLU-made code ever was.

Trains the lesson's conv autoencoder, or loads one saved by ``conv_autoencoder.py``
(``--weights out/conv_autoencoder/model.npz``). Saves ``latent_noise.png``.

    python demos/latent_noise.py --quick
    python demos/latent_noise.py --weights out/conv_autoencoder/model.npz
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from minae import demo, metrics, plotting
from minae.autoencoders import conv_autoencoder
from minae.engine import FastEngine, Fused

SCALES = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)


def main(argv=None) -> int:
    parser = demo.make_parser("latent_noise", __doc__, epochs=25, quick_epochs=2)
    parser.add_argument("--weights", default=None, metavar="PATH",
                        help="load a conv autoencoder saved by conv_autoencoder.py instead of "
                             "training one")
    parser.add_argument("--pooling", choices=["keras", "pytorch"], default="keras")
    parser.add_argument("--scales", type=float, nargs="+", default=list(SCALES),
                        help="noise sizes, in units of the codes' standard deviation")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    if any(s < 0 for s in args.scales):
        parser.error(f"--scales must be >= 0; got {args.scales}")
    if args.weights is not None and not os.path.isfile(args.weights):
        parser.error(f"--weights {args.weights!r}: no such file")
    model = conv_autoencoder(args.pooling, rng=np.random.default_rng(args.seed))
    model.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
    train, test = demo.load_data(args, parser, train=args.weights is None)
    if args.weights is not None:
        demo.load_weights(model, args.weights, parser)  # does not fit: one line, exit 2
    else:
        demo.train(Fused(model), train.images, args=args)  # fused steps (minae.engine.fused)

    x = demo.sample(test.images, 10, seed=args.seed)
    codes = model.encode(test.images)
    spread = float(codes.std())
    z = model.encode(x)
    noise = np.random.default_rng(args.seed + 1).standard_normal(z.shape).astype(z.dtype)
    rows = [("original", x)]
    for s in args.scales:
        out = model.generate(z + s * spread * noise)
        rows.append((f"code + noise, std {s:g} x {spread:.2f} (PSNR "
                     f"{metrics.psnr(out, x):.1f} dB)", out))
        print(f"noise {s:g} x code std: PSNR of the decodes against the originals "
              f"{metrics.psnr(out, x):.2f} dB")
    demo.save(plotting.image_rows(
        rows, title=f"Noise added to the 4x4x8 codes of {test.name} test images, then decoded"),
        args, "latent_noise.png")


if __name__ == "__main__":
    raise SystemExit(main())
