"""The lesson's convolutional autoencoder (L1) and what its latent space is (L2).

Trains 28x28x1 -> 4x4x8 -> 28x28x1 with BCE, Adam lr 1e-3, batch 128 (25 epochs unless told),
then prints the test BCE per pixel (beside its floor: grey pixels cannot cost 0) and PSNR, and
saves three figures:

  reconstructions.png   test images above their reconstructions
  codes.png             each image's 4x4x8 code as eight 4x4 heat maps
  random_codes.png      decodes of random codes: blobs, not digits (L2: a plain autoencoder's
                        latent space is not generative; only codes near real ones decode well)

It also saves the trained weights (``model.npz``) for ``latent_noise.py --weights``.

    python demos/conv_autoencoder.py --quick
    python demos/conv_autoencoder.py --dataset fashion-mnist --pooling pytorch
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


def evaluate(model, images: np.ndarray) -> dict:
    """Test BCE per pixel (and its floor), MSE and PSNR of ``model``'s reconstructions."""
    logits = model.decode(model.encode(images))
    rec = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    if not np.isfinite(logits).all():  # the last good weights of a diverged run can overflow
        nan = float("nan")
        return {"bce": nan, "bce_floor": metrics.bce_floor_per_pixel(images), "mse": nan,
                "psnr": nan, "reconstructions": rec.astype(np.float32)}
    return {
        "bce": metrics.bce_per_pixel(logits, images, logits=True),
        "bce_floor": metrics.bce_floor_per_pixel(images),
        "mse": metrics.mse_per_pixel(rec, images),
        "psnr": metrics.psnr(rec, images),
        "reconstructions": rec.astype(np.float32),
    }


def random_codes(codes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` codes drawn uniformly, each unit within the range it takes over ``codes``."""
    lo, hi = codes.min(axis=0), codes.max(axis=0)
    return (lo + (hi - lo) * rng.random((n,) + codes.shape[1:])).astype(codes.dtype)


def main(argv=None) -> int:
    parser = demo.make_parser("conv_autoencoder", __doc__, epochs=25, quick_epochs=2)
    parser.add_argument("--pooling", choices=["keras", "pytorch"], default="keras",
                        help="how the last pool takes 7 -> 4 (default keras: padding 'same')")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    train, test = demo.load_data(args, parser)

    model = conv_autoencoder(args.pooling, rng=np.random.default_rng(args.seed))
    model.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
    model.summary((1, 28, 28))
    # Fused: train in fused steps, conv + ReLU (+ pool) in one write (minae.engine.fused)
    demo.train(Fused(model), train.images, args=args)

    r = evaluate(model, test.images)
    name = train.name
    print(f"test BCE per pixel: {r['bce']:.4f} (floor for these grey images: "
          f"{r['bce_floor']:.4f}); MSE {r['mse']:.5f}; PSNR {r['psnr']:.2f} dB "
          f"({len(test.images)} {name} test images)")

    x = demo.sample(test.images, 10, seed=args.seed)
    rec = model.reconstruct(x)
    demo.save(plotting.image_rows(
        [("original", x), (f"reconstruction (test BCE {r['bce']:.4f}/pixel, "
                           f"PSNR {r['psnr']:.1f} dB)", rec)],
        title=f"Conv autoencoder 28x28 -> 4x4x8 -> 28x28 on {name}, {args.epochs} epochs"),
        args, "reconstructions.png")

    codes = model.encode(test.images[:2000])
    demo.save(plotting.code_heatmaps(
        x[:6], model.encode(x[:6]),
        title="Each image's 4x4x8 code: 8 channels of 4x4 (white = strongest)"),
        args, "codes.png")

    z = random_codes(codes, 20, np.random.default_rng(args.seed + 1))
    demo.save(plotting.image_grid(
        model.generate(z), ncols=10,
        title="Decoded random codes (each unit uniform in its test range): blobs, not "
              f"{'clothes' if name == 'fashion-mnist' else 'digits'}"), args, "random_codes.png")

    from minae import serialization

    path = os.path.join(args.out, "model.npz")
    serialization.save(model, path)
    print(f"saved {path} (weights; latent_noise.py --weights {path})")


if __name__ == "__main__":
    raise SystemExit(main())
