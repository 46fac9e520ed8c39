"""The data figures the README quotes: synthetic digits against MNIST, and upsampling baselines.

    python benchmarks/data.py --data-dir DIR [--gallery docs/gallery] [--json PATH] [--quick]

``DIR`` must hold MNIST's test files (``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-...``);
only the 10,000 test images are used. It prints

1. how fast ``make_digits`` is, and how the synthetic digits compare with MNIST (mean
   intensity, share of lit pixels, centring, and a nearest-class-mean classifier trained on one
   set and tested on another);
2. the PSNR of nearest / bilinear / bicubic upsampling of 2x2 and 4x4 average-pooled test
   images, with ``scipy.ndimage.zoom``'s ``grid_mode=True`` (what minae uses) and ``False``.

``--quick`` times ``make_digits`` on 1,000 and 2,000 images instead of 10,000 and 60,000 and
uses the first 2,000 MNIST test images (a functional check, not the README's figures).
``--gallery DIR`` also writes ``DIR/synthetic_digits.png``, 20 synthetic digits of each class.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from minae import plotting
from minae.data import load_mnist, make_digits, to_float_images
from minae.metrics import psnr
from minae.transforms import downsample, upsample


def image_stats(images: np.ndarray) -> dict:
    """Mean intensity, lit-pixel shares and the centre of mass's distance from the centre."""
    x = images.astype(np.float64)
    mass = x.sum(axis=(1, 2))
    g = np.arange(x.shape[1])
    offset = np.hypot(x.sum(2) @ g / mass - 13.5, x.sum(1) @ g / mass - 13.5)
    return {"mean": x.mean() / 255, "nonzero": float(np.mean(x > 0)),
            "saturated": float(np.mean(x >= 250)), "centre_offset_px": float(offset.mean())}


def nearest_class_mean(train, train_labels, test, test_labels) -> float:
    """Accuracy of classifying each test image by the nearest class-mean image."""
    a = train.reshape(len(train), -1) / 255.0
    b = test.reshape(len(test), -1) / 255.0
    means = np.stack([a[train_labels == k].mean(0) for k in range(10)])
    dist = (b**2).sum(1)[:, None] - 2 * b @ means.T + (means**2).sum(1)[None]
    return float(np.mean(dist.argmin(1) == test_labels))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="folder with MNIST's t10k files")
    parser.add_argument("--gallery", help="write synthetic_digits.png into this folder")
    parser.add_argument("--json", help="also write the figures as JSON to this path")
    parser.add_argument("--quick", action="store_true", help="small sizes: a functional check")
    args = parser.parse_args(argv)
    mnist, mnist_labels = load_mnist("test", data_dir=args.data_dir, download=False)
    sizes, n_syn = ((1_000, 2_000), 2_000) if args.quick else ((10_000, 60_000), 10_000)
    mnist, mnist_labels = mnist[:n_syn], mnist_labels[:n_syn]
    out: dict = {}

    t = time.perf_counter()
    make_digits(10)  # builds the glyph outlines once
    print(f"first call (fonts, 10 images): {time.perf_counter() - t:.2f} s")
    for n in sizes:
        t = time.perf_counter()
        make_digits(n, seed=0)
        out[f"make_digits_{n}_s"] = time.perf_counter() - t
        print(f"make_digits({n}): {out[f'make_digits_{n}_s']:.2f} s")

    syn, syn_labels = make_digits(n_syn, seed=0)
    for name, images in (("synthetic (seed 0)", syn), ("MNIST test", mnist)):
        s = out[name] = image_stats(images)
        print(f"{name:<19} mean {s['mean']:.3f}  nonzero {s['nonzero']:.3f}  >=250 "
              f"{s['saturated']:.3f}  centre-of-mass offset {s['centre_offset_px']:.2f} px")
    s1, l1 = make_digits(2000, seed=1)
    half = n_syn // 2
    cases = {
        "2000 seed-0 -> 2000 seed-1 synthetic": (syn[:2000], syn_labels[:2000], s1, l1),
        f"MNIST test[:{half}] -> test[{half}:{half + n_syn // 5}]": (
            mnist[:half], mnist_labels[:half], mnist[half:half + n_syn // 5],
            mnist_labels[half:half + n_syn // 5]),
        f"{n_syn} synthetic -> MNIST test": (syn, syn_labels, mnist, mnist_labels),
    }
    for name, case in cases.items():
        out[f"ncm {name}"] = nearest_class_mean(*case)
        print(f"nearest class mean, {name}: {out[f'ncm {name}']:.3f}")

    x = to_float_images(mnist)
    print(f"\n{'factor':>6} {'mode':>9} {'grid_mode=True':>15} {'grid_mode=False':>16} {'diff':>6}")
    for factor in (2, 4):
        small = downsample(x, factor)
        for mode in ("nearest", "bilinear", "bicubic"):
            a = psnr(upsample(small, factor, mode), x)
            b = psnr(upsample(small, factor, mode, grid_mode=False), x)
            out[f"psnr {factor}x {mode}"] = {"grid_mode_true": a, "grid_mode_false": b}
            print(f"{factor:>6} {mode:>9} {a:>12.2f} dB {b:>13.2f} dB {a - b:>6.2f}")

    if args.gallery:
        order = np.argsort(syn_labels[:200], kind="stable")
        fig = plotting.image_grid(to_float_images(syn[:200][order]), ncols=20,
                                  title="minae's synthetic digits (make_digits(200, seed=0))")
        print("wrote", plotting.save_figure(fig, f"{args.gallery}/synthetic_digits.png"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
