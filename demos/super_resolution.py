"""Super-resolution autoencoders (L4) at 2x and 4x, and feeding noise to the 4x model (L10).

The input is the image shrunk by ``factor`` with average pooling (28x28 -> 14x14 or 7x7); the
target is the original. Two networks per factor, against two interpolations:

  nearest, bicubic     no learning: scipy's zoom (grid-aligned)
  lesson network       the lesson's: conv/pool down to a 4x4x8 code, then its decoder
  better network       minae's: no bottleneck, convolutions at low resolution, a learned 4x4
                       stride-2 transposed convolution per doubling

Everything the lesson's network outputs must pass through its 128-number code, so it lands
near bicubic: its job is a 784-pixel image from 196 (or 49) given pixels, and squeezing
those through 128 numbers first throws away what it was given. The better network keeps the
grid and beats bicubic. Prints PSNR for each; saves ``super_resolution_2x.png`` /
``super_resolution_4x.png`` (low-res / nearest / bicubic / lesson / better / original) and
``noise_4x.png``: noise in, and what the 4x networks make of it (they draw the data set they
learned, whatever comes in).

    python demos/super_resolution.py --quick
    python demos/super_resolution.py --dataset fashion-mnist --factor 2
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from minae import demo, metrics, plotting, transforms
from minae.autoencoders import (
    SR_FACTORS,
    super_resolution_autoencoder,
    super_resolution_network,
)
from minae.engine import FastEngine, Fused


def baselines(low: np.ndarray, factor: int) -> dict[str, np.ndarray]:
    """Nearest and bicubic upsampling of ``low`` back to 28x28, clipped to [0, 1]."""
    return {mode: np.clip(transforms.upsample(low, factor, mode=mode), 0.0, 1.0)
            for mode in ("nearest", "bicubic")}


def main(argv=None) -> int:
    parser = demo.make_parser("super_resolution", __doc__, epochs=25, quick_epochs=1,
                              quick_limit=3000)
    parser.add_argument("--factor", type=int, nargs="+", default=list(SR_FACTORS),
                        help="upscaling factors, each 2 or 4 (default: both)")
    parser.add_argument("--width", type=int, default=32,
                        help="channels of the better network (default 32)")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    for f in args.factor:
        if f not in SR_FACTORS:
            parser.error(f"--factor {f}: the architecture can do {SR_FACTORS} only "
                         "(28 / factor must be 14 or 7 to pool down to its 4x4 code)")
    if args.width < 2:
        parser.error(f"--width must be at least 2; got {args.width}")
    train, test = demo.load_data(args, parser)
    rng = np.random.default_rng(args.seed)
    idx = np.random.default_rng(args.seed).choice(len(test.images), 10, replace=False)
    models = {}

    for f in sorted(set(args.factor)):
        low_train = transforms.downsample(train.images, f)
        low_test = transforms.downsample(test.images, f)
        lesson = super_resolution_autoencoder(f, rng=rng)
        better = super_resolution_network(f, width=args.width, rng=rng)
        for model in (lesson, better):
            model.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
        # Fused: train in fused steps, conv + ReLU (+ pool) in one write (minae.engine.fused)
        demo.train(Fused(lesson), low_train, train.images, args=args,
                   what=f"lesson network {f}x")
        demo.train(Fused(better), low_train, train.images, args=args,
                   what=f"better network {f}x")
        models[f] = (lesson, better)

        outs = baselines(low_test, f)
        outs["lesson network"] = lesson.reconstruct(low_test)
        outs["better network"] = better.reconstruct(low_test)
        scores = {k: metrics.psnr(v, test.images) for k, v in outs.items()}
        side = 28 // f
        print(f"{f}x super-resolution ({side}x{side} -> 28x28), PSNR on {len(test.images)} "
              f"{train.name} test images: " +
              ", ".join(f"{k} {v:.2f} dB" for k, v in scores.items()))
        rows = [(f"low-res input {side}x{side} (2x2 average pooling)" if f == 2 else
                 f"low-res input {side}x{side} ({f}x{f} average pooling)", low_test[idx])]
        rows += [(f"{k} (PSNR {scores[k]:.1f} dB)", v[idx]) for k, v in outs.items()]
        rows.append(("original 28x28", test.images[idx]))
        demo.save(plotting.image_rows(
            rows, title=f"Super-resolution {f}x on {train.name}, {args.epochs} epochs"),
            args, f"super_resolution_{f}x.png")

    if 4 in models:  # L10: noise into the 4x models
        noise_rng = np.random.default_rng(args.seed + 1)
        noise = noise_rng.random((10, 1, 7, 7)).astype(np.float32)
        lesson, better = models[4]
        demo.save(plotting.image_rows(
            [("input: uniform noise 7x7", noise),
             ("lesson network 4x output", lesson.reconstruct(noise)),
             ("better network 4x output", better.reconstruct(noise))],
            title=f"Noise into the 4x models: they draw {train.name}-like strokes from "
                  "anything"), args, "noise_4x.png")


if __name__ == "__main__":
    raise SystemExit(main())
