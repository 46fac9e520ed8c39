"""Autoencoders against PCA (L7, L12): 2-D codes for visualisation, and reconstruction error
against code size.

PCA is the best *linear* code of each size (see ``minae/pca.py``); an autoencoder with
non-linear layers can do better. Two figures:

  codes_2d.png      the test set's 2-D codes from PCA, from the dense autoencoder
                    (784-128-64-2) and from the conv autoencoder with a dense 2-D bottleneck
                    (the lesson's task 1), coloured by label: the autoencoders pull the classes
                    apart where PCA's two directions of largest variance overlap them
  mse_vs_code.png   test reconstruction MSE per pixel for code sizes 2, 4, 8, 16, 32:
                    PCA and the dense autoencoder (784-128-64-k) on one plot

The autoencoders learn without labels (the labels only colour the plot). PCA's
reconstructions are clipped to [0, 1] like an image's (it only helps PCA).

    python demos/pca_vs_autoencoder.py --quick
    python demos/pca_vs_autoencoder.py --dataset fashion-mnist --sizes 2 8 32
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from minae import demo, metrics, plotting
from minae.autoencoders import conv_dense_autoencoder, deep_autoencoder
from minae.engine import FastEngine, Fused
from minae.pca import PCA

SIZES = (2, 4, 8, 16, 32)


def pca_mse(pca: PCA, images: np.ndarray, k: int) -> float:
    """Test MSE per pixel of PCA with ``k`` components, reconstructions clipped to [0, 1]."""
    return metrics.mse_per_pixel(np.clip(pca.reconstruct(images, k), 0.0, 1.0), images)


def main(argv=None) -> int:
    parser = demo.make_parser("pca_vs_autoencoder", __doc__, epochs=25, quick_epochs=2,
                              quick_limit=5000)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="code sizes for the MSE plot (default 2 4 8 16 32)")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    if any(k < 1 or k > 784 for k in args.sizes):
        parser.error(f"--sizes must be between 1 and 784; got {args.sizes}")
    train, test = demo.load_data(args, parser)
    sizes = sorted(set(args.sizes))
    if max(sizes) > min(len(train.images), 784):
        parser.error(f"--sizes: PCA with {max(sizes)} components needs at least that many "
                     f"training images; got {len(train.images)}")
    rng = np.random.default_rng(args.seed)
    pca = PCA(max(max(sizes), 2)).fit(train.images)

    # 2-D codes
    dense2 = deep_autoencoder(2, rng=rng).use_engine(FastEngine())  # the fast kernel roads
    conv2 = conv_dense_autoencoder(2, rng=rng).use_engine(FastEngine())  # (minae.engine)
    demo.train(dense2, train.images, args=args, what="dense autoencoder, 2-D code")
    demo.train(Fused(conv2), train.images, args=args,  # fused steps (minae.engine.fused)
               what="conv autoencoder, 2-D code")
    panels = [
        (f"PCA (MSE {pca_mse(pca, test.images, 2):.4f})", pca.transform(test.images, 2)),
        (f"dense AE 784-128-64-2 (MSE "
         f"{metrics.mse_per_pixel(dense2.reconstruct(test.images), test.images):.4f})",
         dense2.encode(test.images)),
        (f"conv AE + dense 2-D code (MSE "
         f"{metrics.mse_per_pixel(conv2.reconstruct(test.images), test.images):.4f})",
         conv2.encode(test.images)),
    ]
    demo.save(plotting.latent_scatter(
        panels, test.labels, class_names=test.class_names,
        title=f"2-D codes of {len(test.images)} {test.name} test images, coloured by label "
              "(labels not used in training)"), args, "codes_2d.png")

    # MSE against code size
    pca_curve, ae_curve = [], []
    for k in sizes:
        model = dense2 if k == 2 else deep_autoencoder(k, rng=rng).use_engine(FastEngine())
        if k != 2:
            demo.train(model, train.images, args=args, what=f"dense autoencoder, code {k}")
        ae_curve.append(metrics.mse_per_pixel(model.reconstruct(test.images), test.images))
        pca_curve.append(pca_mse(pca, test.images, k))
        print(f"code size {k:>3}: test MSE per pixel  PCA {pca_curve[-1]:.5f}   "
              f"autoencoder {ae_curve[-1]:.5f}")
    demo.save(plotting.curves(
        {"PCA": (sizes, pca_curve), "autoencoder 784-128-64-k": (sizes, ae_curve)},
        xlabel="code size k", ylabel="test MSE per pixel", logx=True,
        xticks=sizes, annotate=True,
        title=f"Reconstruction error vs code size ({test.name}, {args.epochs} epochs)"),
        args, "mse_vs_code.png")


if __name__ == "__main__":
    raise SystemExit(main())
