"""The denoising autoencoder (L3), and why autoencoders are data-specific (L9).

Trains the lesson's conv autoencoder to map a *noisy* image to the *clean* one (fresh noise
every batch; the target stays clean). The lesson's noise: Gaussian with mean 0.5 and std 0.5
added to the image, clipped to [0, 1] (``--noise lesson``); other noise models by name.
Prints the PSNR of the noisy input and of the denoised output, and saves

  denoising.png        noisy / denoised / clean rows, PSNR in the titles
  other_dataset.png    the same denoiser on the other data set (L9): MNIST <-> Fashion-MNIST

then says how much worse it does there: an autoencoder learns *its* data, not images in general.

    python demos/denoising.py --quick
    python demos/denoising.py --dataset fashion-mnist --noise salt-and-pepper
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from minae import demo, metrics, plotting, transforms
from minae.autoencoders import conv_autoencoder
from minae.engine import FastEngine, Fused

#: Where L9 sends a denoiser trained on each data set.
OTHER = {"mnist": "fashion-mnist", "fashion-mnist": "mnist",
         "synthetic-digits": "fashion-mnist"}


def denoise_scores(model, clean: np.ndarray, noise, seed: int) -> dict:
    """Noisy inputs (fixed noise from ``seed``), outputs and their PSNRs against ``clean``."""
    noisy = noise(clean, np.random.default_rng(seed))
    out = model.reconstruct(noisy)
    return {"noisy": noisy, "out": out, "psnr_noisy": metrics.psnr(noisy, clean),
            "psnr_out": metrics.psnr(out, clean)}


def main(argv=None) -> int:
    parser = demo.make_parser("denoising", __doc__, epochs=25, quick_epochs=2)
    parser.add_argument("--noise", default="lesson",
                        help=f"noise model: {', '.join(transforms.NOISE_MODELS)} "
                             "(default lesson: mean 0.5, std 0.5, clipped)")
    parser.add_argument("--other", default=None,
                        help="data set for L9 (default: fashion-mnist for digits, mnist for "
                             "fashion-mnist)")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    try:
        noise = transforms.make_noise(args.noise)
    except ValueError as e:
        parser.error(f"--noise: {e}")
    print(f"noise {noise}")
    train, test = demo.load_data(args, parser)
    other_name = args.other or OTHER[train.name]
    if other_name not in OTHER:
        parser.error(f"--other: unknown dataset {other_name!r}; choose one of "
                     f"{', '.join(OTHER)}")

    model = conv_autoencoder(rng=np.random.default_rng(args.seed))
    model.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
    # Fused: train in fused steps, conv + ReLU (+ pool) in one write (minae.engine.fused)
    demo.train(Fused(model), train.images, train.images, args=args, transform=noise)

    r = denoise_scores(model, test.images, noise, args.seed + 1)
    print(f"{train.name} test, noise {args.noise!r}: PSNR of the noisy input "
          f"{r['psnr_noisy']:.2f} dB -> denoised {r['psnr_out']:.2f} dB "
          f"(+{r['psnr_out'] - r['psnr_noisy']:.2f} dB)")
    idx = np.random.default_rng(args.seed).choice(len(test.images), 10, replace=False)
    demo.save(plotting.image_rows(
        [(f"noisy input ({args.noise} noise, PSNR {r['psnr_noisy']:.1f} dB)", r["noisy"][idx]),
         (f"denoised (PSNR {r['psnr_out']:.1f} dB)", r["out"][idx]),
         ("clean", test.images[idx])],
        title=f"Denoising autoencoder trained on {train.name}, {args.epochs} epochs"),
        args, "denoising.png")

    # L9: the same denoiser on another data set
    _, other = demo.load_data(args, parser, dataset=other_name, train=False)
    if other.name != other_name:
        print(f"{other_name} is not available here, so L9 uses {other.name} instead")
    if other.name == train.name:
        print(f"L9 skipped: the other data set is {other.name} too, so there is nothing to "
              "compare; pass --other or make fashion-mnist available")
        return
    o = denoise_scores(model, other.images, noise, args.seed + 1)
    print(f"the {train.name} denoiser on {other.name}: PSNR {o['psnr_noisy']:.2f} dB -> "
          f"{o['psnr_out']:.2f} dB (+{o['psnr_out'] - o['psnr_noisy']:.2f} dB, against "
          f"+{r['psnr_out'] - r['psnr_noisy']:.2f} dB on {train.name}: "
          f"{r['psnr_out'] - o['psnr_out']:.2f} dB worse)")
    idx = np.random.default_rng(args.seed).choice(len(other.images), 10, replace=False)
    demo.save(plotting.image_rows(
        [(f"noisy {other.name} (PSNR {o['psnr_noisy']:.1f} dB)", o["noisy"][idx]),
         (f"denoised by the {train.name} model (PSNR {o['psnr_out']:.1f} dB; "
          f"{r['psnr_out']:.1f} dB on {train.name})", o["out"][idx]),
         ("clean", other.images[idx])],
        title=f"Autoencoders are data-specific: a {train.name} denoiser on {other.name}"),
        args, "other_dataset.png")


if __name__ == "__main__":
    raise SystemExit(main())
