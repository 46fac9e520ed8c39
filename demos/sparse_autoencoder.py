"""Sparse autoencoders: the Keras tutorial's L1 activity penalty and the KL sparsity penalty,
each beside the plain autoencoder trained the same way.

Three 784 -> 32 -> 784 autoencoders, trained the same way: BCE per pixel (Keras's loss), Adam
lr 3e-3 (the tutorial used Adadelta; 3e-3 rather than the lesson's 1e-3 so that ``--quick``
gets the sigmoid code out of its saturated start), batch 128:

  plain   ReLU code, no penalty (the tutorial's first model)
  L1      ReLU code + lam * sum|h| per image (``activity_regularizer=l1(1e-5)``)
  KL      sigmoid code + beta * sum_j KL(rho || mean activation of unit j)

Figures:

  sparse_activations.png      each code unit's mean activation over the test set, sorted
  sparse_histogram.png        every code value of every test image, per model
  sparse_reconstructions.png  test images and the three reconstructions (BCE per pixel)
  sparse_features.png         the encoder weights of the 16 most active units, as 28x28 images

Printed per model: test BCE per pixel, the mean code activation (the number the tutorial
quotes: 7.30 plain vs 3.33 sparse after 50 and 100 epochs on MNIST), the fraction of code
values that are exactly 0, how many units are active (> 10% of their maximum) per image, and
the Hoyer sparsity of the codes (0: all units equal, 1: one unit carries everything; it does
not change when the code is rescaled, which the mean activation does), and the dead units
(ReLU units that are 0 on every test image: the noise-like squares in sparse_features.png).

    python demos/sparse_autoencoder.py --quick
    python demos/sparse_autoencoder.py --l1 1e-4 --beta 0.1
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from minae import demo, metrics, plotting
from minae.engine import FastEngine
from minae.optim import Adam
from minae.sparse import KLSparsity, L1Activity, hoyer_sparsity, sparse_dense_autoencoder

COLORS = {"plain": "tab:blue", "L1": "tab:orange", "KL": "tab:green"}


def code_stats(codes: np.ndarray) -> dict:
    """The numbers printed per model, from test codes ``(N, units)``."""
    top = np.maximum(codes.max(axis=0), 1e-12)
    return {
        "mean": float(codes.mean()),
        "zeros": float(np.mean(codes == 0)),
        "active": float(np.mean(np.sum(codes > 0.1 * top, axis=1))),
        "hoyer": float(np.mean(hoyer_sparsity(codes))),
        "dead": int(np.sum(codes.max(axis=0) <= 0)),
        "unit_means": codes.mean(axis=0),
    }


def activations_figure(stats: dict, rho: float):
    fig, axes = plotting.subplots(1, len(stats), figsize=(4.0 * len(stats), 3.4))
    for ax, (name, s) in zip(np.atleast_1d(axes), stats.items(), strict=True):
        m = np.sort(s["unit_means"])[::-1]
        ax.bar(np.arange(len(m)), m, color=COLORS.get(name, "grey"))
        if name == "KL":
            ax.axhline(rho, ls="--", color="black", lw=0.8, label=f"target rho = {rho:g}")
            ax.legend(fontsize=7)
        ax.set_title(f"{name}: mean activation {s['mean']:.3g}", fontsize=9)
        ax.set_xlabel("code unit (sorted)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, axis="y", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("mean activation over the test set", fontsize=8)
    fig.suptitle("Mean activation of each of the 32 code units", fontsize=10)
    fig.tight_layout()
    return fig


def histogram_figure(codes: dict, stats: dict):
    fig, axes = plotting.subplots(1, len(codes), figsize=(4.0 * len(codes), 3.4))
    for ax, (name, z) in zip(np.atleast_1d(axes), codes.items(), strict=True):
        ax.hist(z.ravel(), bins=60, color=COLORS.get(name, "grey"), log=True)
        s = stats[name]
        ax.set_title(f"{name}: {100 * s['zeros']:.0f}% exactly 0, Hoyer {s['hoyer']:.2f}",
                     fontsize=9)
        ax.set_xlabel("code value", fontsize=8)
        ax.tick_params(labelsize=7)
    np.atleast_1d(axes)[0].set_ylabel("count (log scale)", fontsize=8)
    fig.suptitle("Histogram of all code values of the test images", fontsize=10)
    fig.tight_layout()
    return fig


def features_figure(models: dict, stats: dict, n: int = 16):
    """The encoder weights ``W[:, j]`` of the ``n`` most used units (highest mean activation
    first) as images: grey is 0, white positive, black negative, each unit on its own scale
    (+-2.5 standard deviations, clipped)."""
    fig, axes = plotting.subplots(1, len(models), figsize=(3.0 * len(models), 1.4))
    for ax, (name, model) in zip(np.atleast_1d(axes), models.items(), strict=True):
        order = np.argsort(stats[name]["unit_means"])[::-1][:n]
        w = model.encoder[1].params["W"].T[order].reshape(-1, 28, 28)  # (n, 28, 28)
        scale = 2.5 * np.maximum(w.std(axis=(1, 2), keepdims=True), 1e-12)
        w = np.clip(0.5 + 0.5 * w / scale, 0.0, 1.0)
        rows = 2
        cols = int(np.ceil(len(w) / rows))
        canvas = np.ones((rows * 29 + 1, cols * 29 + 1))
        for k, img in enumerate(w):
            r, c = divmod(k, cols)
            canvas[1 + r * 29:1 + r * 29 + 28, 1 + c * 29:1 + c * 29 + 28] = img
        ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    fig.suptitle(f"Encoder weights of the {n} most active code units (what makes each fire)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    parser = demo.make_parser("sparse_autoencoder", __doc__, epochs=50, quick_epochs=20,
                              lr=3e-3)  # --lr: Adam, all three models
    parser.add_argument("--l1", type=float, default=1e-5,
                        help="L1 activity weight lam, on Keras's per-pixel BCE scale "
                             "(default 1e-5, the tutorial's)")
    parser.add_argument("--rho", type=float, default=0.05,
                        help="KL target mean activation (default 0.05)")
    parser.add_argument("--beta", type=float, default=0.03,
                        help="KL penalty weight, on the per-pixel BCE scale (default 0.03)")
    parser.add_argument("--latent", type=int, default=32, help="code units (default 32)")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    if not args.l1 >= 0:
        parser.error(f"--l1 must be >= 0; got {args.l1}")
    if not 0 < args.rho < 1:
        parser.error(f"--rho must be in (0, 1); got {args.rho}")
    if not args.beta >= 0:
        parser.error(f"--beta must be >= 0; got {args.beta}")
    if args.latent < 1:
        parser.error(f"--latent must be a positive integer; got {args.latent}")
    train, test = demo.load_data(args, parser)

    # reduction="mean": the BCE per pixel Keras minimises, so lam = 1e-5 means what it
    # meant in the tutorial (next to BCE in nats per image it would be lam = 784e-5)
    specs = {
        "plain": ("relu", None),
        "L1": ("relu", L1Activity(args.l1)),
        "KL": ("sigmoid", KLSparsity(args.rho, args.beta)),
    }
    models, codes, stats, recons = {}, {}, {}, {}
    for name, (code, penalty) in specs.items():
        print(f"-- {name}: {code} code, penalty {penalty!r}")
        model = sparse_dense_autoencoder(args.latent, penalty, code=code, reduction="mean",
                                         rng=np.random.default_rng(args.seed))
        model.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
        demo.train(model, train.images, args=args, loss=None, what=f"training {name}",
                   optimizer=Adam(args.lr, eps=demo.LESSON_EPS))
        models[name] = model
        codes[name] = model.encode(test.images)
        stats[name] = code_stats(codes[name])
        logits = model.decode(codes[name])
        bce = metrics.bce_per_pixel(logits, test.images, logits=True)
        s = stats[name]
        print(f"{name}: test BCE {bce:.4f} per pixel; mean code activation {s['mean']:.3f}; "
              f"{100 * s['zeros']:.1f}% of code values exactly 0; {s['active']:.1f} of "
              f"{args.latent} units active per image (> 10% of the unit's max); Hoyer "
              f"sparsity {s['hoyer']:.3f}; {s['dead']} dead unit(s) (0 on every test image)")
        s["bce"] = bce
        w_dec = model.decoder[0].params["W"]
        print(f"{name}: code scale (RMS) {np.sqrt(np.mean(codes[name] ** 2)):.3f}, decoder "
              f"weight scale (RMS) {np.sqrt(np.mean(w_dec ** 2)):.3f}")
        recons[name] = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    print(f"BCE floor of these test images: {metrics.bce_floor_per_pixel(test.images):.4f} "
          "per pixel")

    demo.save(activations_figure(stats, args.rho), args, "sparse_activations.png")
    demo.save(histogram_figure(codes, stats), args, "sparse_histogram.png")
    idx = np.sort(np.random.default_rng(args.seed).choice(len(test.images),
                                                          min(10, len(test.images)),
                                                          replace=False))
    rows = [("original", test.images[idx])]
    rows += [(f"{name} (BCE {stats[name]['bce']:.4f} per pixel)", recons[name][idx])
             for name in specs]
    demo.save(plotting.image_rows(
        rows, title=f"{test.name} test images and the reconstructions of three 32-unit codes"),
        args, "sparse_reconstructions.png")
    demo.save(features_figure(models, stats), args, "sparse_features.png")


if __name__ == "__main__":
    raise SystemExit(main())
