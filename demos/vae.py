"""The lesson's variational autoencoder (L5, L6): a 2-D latent plane you can decode anywhere.

The model is the lesson's: 784 -> 512 ReLU -> two heads z_mean and z_log_sigma (latent 2);
z = z_mean + exp(z_log_sigma) * eps; decoder 2 -> 512 ReLU -> 784. The settings are the lesson's
too: loss = sum of squared errors + KL, 1:1 ("sse"), RMSprop with Keras's settings (lr 1e-3,
rho 0.9, eps 1e-7), batch 128, 25 epochs: about 2-4 minutes on 2 laptop cores with MNIST
(``--quick``: 3 epochs on 6,000 images, under a minute). MNIST is downloaded once when it can
be; otherwise synthetic digits are used, and the first line says so.

Printed: the test loss the lesson prints (SSE + KL per image), its two parts, the same model's
negative ELBO in true nats, and an importance-weighted estimate of -log p(x).

  Units. The SSE is not a log-likelihood: it is the Gaussian negative log-likelihood with
  sigma^2 = 1/2 *minus* the constant (784/2) ln(pi) = 448.7 nats per image. So "SSE + KL" is the
  negative ELBO minus 448.7; the demo prints both. With ``--likelihood bernoulli`` the loss is
  the negative ELBO in nats itself, printed beside its floor (grey pixels cannot cost 0).

Figures (``--out``, default out/vae):

  reconstructions.png   test images above their reconstructions (z_mean decoded)
  latent_scatter.png    z_mean of every test image, coloured by digit; the dashed squares are
                        the areas the two manifold grids below cover
  manifold.png          10x10 images decoded over the latent plane, evenly spaced in
                        probability: the normal's 5%, 15%, ..., 95% quantiles on each axis
  manifold_lesson.png   the lesson's grid: z evenly spaced in [-1, 1] on each axis
  generations.png       new images decoded from random z ~ N(0, I)
  interpolation.png     two test images, and the straight line between their z_mean decoded

    python demos/vae.py                       # the lesson, MNIST (or synthetic digits)
    python demos/vae.py --quick
    python demos/vae.py --dataset fashion-mnist --likelihood bernoulli
    python demos/vae.py --dataset mnist --data-dir /path/to/t10k-only --from-test-split 9000
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import time
from statistics import NormalDist

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from minae import demo, plotting
from minae.engine import FastEngine
from minae.layers.activations import sigmoid
from minae.optim import RMSprop
from minae.vae import SSE_CONSTANT_PER_PIXEL, dense_vae

GRID_N = 10
QUANTILES = (0.05, 0.95)  # the manifold's grid: these quantiles of N(0, 1), evenly spaced
LESSON_EXTENT = 1.0  # the lesson's grid: [-1, 1]
GALLERY = {"latent_scatter.png": "vae_scatter.png", "manifold.png": "vae_manifold.png",
           "interpolation.png": "vae_interpolation.png"}
GALLERY_MAX_BYTES = 150_000


# --------------------------------------------------------------------------- options and data
def add_vae_options(parser, *, likelihood: str = "sse", iw_k: int = 1000,
                    iw_images: int = 500) -> None:
    """The options every VAE demo shares (on top of ``minae.demo``'s)."""
    parser.add_argument("--likelihood", choices=["sse", "bernoulli"], default=likelihood,
                        help=f"the reconstruction term: sse (the lesson's sum of squared "
                             f"errors) or bernoulli (BCE, nats) (default {likelihood})")
    parser.add_argument("--iw-k", type=int, default=None, metavar="K",
                        help=f"samples per image of the importance-weighted estimate of "
                             f"-log p(x) (default {iw_k}; 100 with --quick; 0: skip it)")
    parser.add_argument("--iw-images", type=int, default=iw_images, metavar="N",
                        help=f"test images it is computed on (the first N; default {iw_images})")
    parser.set_defaults(_iw_k=iw_k)


def check_vae_options(parser, args) -> None:
    """Fill in ``--iw-k``'s default and refuse bad values (exit 2, before training)."""
    if args.iw_k is None:
        args.iw_k = min(args._iw_k, 100) if args.quick else args._iw_k
    if args.iw_k < 0:
        parser.error(f"--iw-k must be >= 0; got {args.iw_k}")
    if args.iw_images < 1:
        parser.error(f"--iw-images must be a positive integer; got {args.iw_images}")


def optimizer(args):
    """The lesson's optimizer: RMSprop with Keras's settings (rho 0.9, eps 1e-7 inside the root)."""
    return RMSprop.keras(args.lr)


def split_test_set(test, n_train: int):
    """Train on the first ``n_train`` test images, show the rest (when only the test set exists)."""
    head, tail = slice(0, n_train), slice(n_train, None)
    part = lambda s, what: dataclasses.replace(  # noqa: E731
        test, images=test.images[s], labels=test.labels[s], source=f"{test.source}, {what}")
    return (part(head, f"its first {n_train} images"),
            part(tail, f"its last {len(test) - n_train} images, held out"))


# --------------------------------------------------------------------------- numbers
def decode_images(vae, z, labels=None) -> np.ndarray:
    """Decode ``z`` to images in [0, 1]: probabilities (bernoulli) or means clipped to [0, 1]."""
    out = vae.decode(z) if labels is None else vae.decode(z, labels)
    return sigmoid(out) if vae.likelihood == "bernoulli" else np.clip(out, 0.0, 1.0)


def reconstruct(vae, x, labels=None) -> np.ndarray:
    rec = vae.reconstruct(x) if labels is None else vae.reconstruct(x, labels)
    return np.clip(rec, 0.0, 1.0)


def evaluate(vae, x, labels=None, *, iw_k: int = 0, iw_images: int = 500,
             seed: int = 0) -> dict:
    """The test numbers of a trained VAE, per image (``labels``: a conditional VAE's).

    Keys: ``loss`` (what training minimises with beta = 1: for "sse" the lesson's SSE + KL),
    ``reconstruction`` (SSE, or BCE nats), ``kl``, ``negative_elbo`` (true nats), ``floor``
    (Bernoulli only), and with ``iw_k > 0``: ``iw_nll`` (-log p(x) estimated with ``iw_k``
    samples on the first ``iw_images`` images), ``elbo_same`` (the negative ELBO of those
    images) and ``iw_n``.
    """
    cond = () if labels is None else (labels,)
    report = vae.evaluate_elbo(x, *cond, rng=np.random.default_rng(seed + 101))
    r = {"negative_elbo": report.negative_elbo, "kl": report.kl, "floor": report.bernoulli_floor,
         "images": len(x)}
    if vae.likelihood == "sse":
        r["reconstruction"] = report.reconstruction - sse_constant(x)
    else:
        r["reconstruction"] = report.reconstruction
    r["loss"] = r["reconstruction"] + r["kl"]
    if iw_k > 0:
        n = min(iw_images, len(x))
        first = (x[:n],) + tuple(c[:n] for c in cond)
        t0 = time.perf_counter()
        with demo.interruptible("the importance-weighted estimate"):
            log_px = vae.log_likelihood(*first, k=iw_k, rng=np.random.default_rng(seed + 102))
            r["iw_nll"] = float(-np.mean(log_px))
            r["elbo_same"] = vae.evaluate_elbo(
                *first, rng=np.random.default_rng(seed + 103)).negative_elbo
            r["iw_n"], r["iw_k"], r["iw_seconds"] = n, iw_k, time.perf_counter() - t0
    return r


def sse_constant(x) -> float:
    """(D/2) ln(pi): Gaussian NLL with sigma^2 = 1/2 minus the SSE, per image (448.7 for 784)."""
    return SSE_CONSTANT_PER_PIXEL * int(np.prod(x.shape[1:]))


def describe(r: dict, likelihood: str, what: str = "test", density: str = "p(x)") -> list[str]:
    """The numbers of ``evaluate`` as printed lines, with their units (``density``: what the
    importance-weighted estimate estimates, ``p(x | y)`` for a conditional VAE)."""
    lines = []
    if likelihood == "sse":
        c = SSE_CONSTANT_PER_PIXEL * 784
        lines.append(f"{what} loss (the lesson's number, SSE + KL): {r['loss']:.2f} per image = "
                     f"SSE {r['reconstruction']:.2f} + KL {r['kl']:.2f} nats "
                     f"({r['images']} images)")
        lines.append(f"  in true nats: negative ELBO {r['negative_elbo']:.1f} nats per image: "
                     f"the SSE is a Gaussian NLL with sigma^2 = 1/2 minus the constant "
                     f"392 ln(pi) = {c:.1f}, so a likelihood is SSE + {c:.1f}")
    else:
        lines.append(f"{what} negative ELBO: {r['negative_elbo']:.2f} nats per image = "
                     f"reconstruction (BCE) {r['reconstruction']:.2f} + KL {r['kl']:.2f} "
                     f"({r['images']} images)")
        lines.append(f"  Bernoulli floor of these grey pixels: {r['floor']:.2f} nats per image "
                     f"(no decoder scores below it: {r['reconstruction'] - r['floor']:.2f} "
                     f"above it)")
    if "iw_nll" in r:
        lines.append(f"importance-weighted estimate of -log {density}, K = {r['iw_k']} samples per "
                     f"image, first {r['iw_n']} {what} images: {r['iw_nll']:.2f} nats per image "
                     f"(their negative ELBO: {r['elbo_same']:.2f}; the importance-weighted bound "
                     f"is {r['elbo_same'] - r['iw_nll']:.2f} nats tighter) "
                     f"[{r['iw_seconds']:.0f} s]")
    return lines


def numbers_table(columns: dict[str, dict], likelihood: str) -> list[str]:
    """``evaluate``'s numbers of several models as printed lines, one column per model."""
    rows = [("loss (SSE + KL) per image" if likelihood == "sse" else "negative ELBO (nats)",
             "loss" if likelihood == "sse" else "negative_elbo"),
            ("  reconstruction (SSE)" if likelihood == "sse" else "  reconstruction (BCE, nats)",
             "reconstruction"),
            ("  KL (nats)", "kl")]
    if likelihood == "sse":
        rows.append(("negative ELBO (true nats)", "negative_elbo"))
    else:
        rows.append(("  Bernoulli floor (nats)", "floor"))
    rows += [("IW -log p(x) (nats)", "iw_nll"), ("  -ELBO, same images", "elbo_same"),
             ("parameters", "parameters"), ("seconds per epoch", "seconds_per_epoch")]
    width = max(12, *(len(c) for c in columns))
    lines = [f"{'':<28}" + "".join(f"{c:>{width + 2}}" for c in columns)]
    for label, key in rows:
        if not any(key in r for r in columns.values()):
            continue
        cells = []
        for r in columns.values():
            v = r.get(key)
            cells.append("-" if v is None else f"{v:,.0f}" if key == "parameters"
                         else f"{v:.2f}")
        lines.append(f"{label:<28}" + "".join(f"{c:>{width + 2}}" for c in cells))
    return lines


def seconds_per_epoch(history) -> float | None:
    """Median wall time of an epoch (None if no epoch was recorded)."""
    return float(np.median(history.seconds)) if history is not None and history.seconds \
        else None


def loss_title(r: dict, likelihood: str) -> str:
    """Short numbers for a figure title."""
    if likelihood == "sse":
        return (f"test SSE + KL = {r['reconstruction']:.1f} + {r['kl']:.2f} per image "
                f"(-ELBO {r['negative_elbo']:.0f} nats)")
    return (f"test -ELBO {r['negative_elbo']:.1f} = BCE {r['reconstruction']:.1f} + KL "
            f"{r['kl']:.2f} nats (floor {r['floor']:.1f})")


# --------------------------------------------------------------------------- pictures
def quantile_grid(n: int = GRID_N, lo: float = QUANTILES[0], hi: float = QUANTILES[1]):
    """``(n, n, 2)`` latent points evenly spaced in probability: N(0, 1)'s quantiles.

    Row 0 is the top (largest z[1]), as on a plot. Each cell covers the same prior mass, so
    the grid shows the plane as the prior (and ``generate``) sees it.
    """
    q = np.array([NormalDist().inv_cdf(p) for p in np.linspace(lo, hi, n)])
    return np.stack(np.meshgrid(q, q[::-1]), axis=-1)


def linear_grid(n: int = GRID_N, extent: float = LESSON_EXTENT):
    """``(n, n, 2)`` latent points evenly spaced in ``[-extent, extent]`` (the lesson's grid)."""
    v = np.linspace(-extent, extent, n)
    return np.stack(np.meshgrid(v, v[::-1]), axis=-1)


def scatter_figure(panels, labels, class_names, *, title: str,
                   squares: tuple[str, ...] = ("manifold.png", "manifold_lesson.png")):
    """``plotting.latent_scatter`` with the manifold grids' areas drawn as dashed squares
    (``squares``: which of ``manifold.png`` (the quantile grid) and ``manifold_lesson.png``)."""
    fig = plotting.latent_scatter(panels, labels, class_names=class_names, title=title)
    q = NormalDist().inv_cdf(QUANTILES[1])
    areas = {"manifold.png": (q, "--", f"manifold.png (|z| <= {q:.2f})"),
             "manifold_lesson.png": (LESSON_EXTENT, ":", "manifold_lesson.png (|z| <= 1)")}
    axes = fig.axes[:len(panels)]
    if len(axes) > 1:  # one scale for every panel, so their spreads can be compared
        lo = np.min([ax.get_xlim()[0] for ax in axes] + [ax.get_ylim()[0] for ax in axes])
        hi = np.max([ax.get_xlim()[1] for ax in axes] + [ax.get_ylim()[1] for ax in axes])
        for ax in axes:
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
    for ax in axes:
        for half, style, name in (areas[s] for s in squares):
            ax.plot([-half, half, half, -half, -half], [-half, -half, half, half, -half],
                    style, color="black", lw=0.8, label=name)
    if squares:
        fig.axes[0].legend(fontsize=6, loc="lower left", framealpha=0.7)
    return fig


def manifold_panels(panels, grid, *, title: str | None = None, cell: float = 0.42):
    """Several decoders over the same latent grid, side by side.

    ``panels``: ``[(title, decode)]`` with ``decode(z (M, 2)) -> images (M, 1, H, W)`` in
    [0, 1]; ``grid``: ``(rows, cols, 2)``. (``plotting.latent_manifold`` draws one.)
    """
    rows, cols = grid.shape[:2]
    k = len(panels)
    fig, axes = plotting.subplots(1, k, squeeze=False,
                             figsize=(k * (cols * cell + 0.45) + 0.2, rows * cell + 1.0))
    for ax, (name, decode) in zip(axes[0], panels, strict=True):
        imgs = plotting.as_images(decode(grid.reshape(-1, 2).astype(np.float32)))
        h, w = imgs.shape[1:]
        canvas = imgs.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)
        ax.imshow(canvas, cmap=plotting.CMAP, vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks((np.arange(cols) + 0.5) * w, [f"{v:.1f}" for v in grid[0, :, 0]],
                      fontsize=5)
        ax.set_yticks((np.arange(rows) + 0.5) * h, [f"{v:.1f}" for v in grid[:, 0, 1]],
                      fontsize=5)
        ax.set_xlabel("z[0]", fontsize=7)
        ax.set_ylabel("z[1]", fontsize=7)
        ax.set_title(name, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def interpolation_pairs(labels, n_pairs: int, seed: int) -> list[tuple[int, int]]:
    """``n_pairs`` pairs of test indices with different labels, picked reproducibly."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(100 * n_pairs):
        if len(pairs) == n_pairs:
            break
        i, j = rng.choice(len(labels), 2, replace=False)
        if labels[i] != labels[j]:
            pairs.append((int(i), int(j)))
    return pairs


def interpolation_rows(vae, images, labels, class_names, *, steps: int = 10, n_pairs: int = 3,
                       seed: int = 0, prefix: str = ""):
    """``image_rows`` rows: a test image, ``steps`` decodes along the line between the two
    images' ``z_mean`` (ends included), the other test image. ``prefix`` starts each title."""
    rows = []
    for i, j in interpolation_pairs(labels, n_pairs, seed):
        mu, _ = vae.encode(images[[i, j]])
        t = np.linspace(0.0, 1.0, steps)[:, None]
        z = (1 - t) * mu[0] + t * mu[1]
        line = decode_images(vae, z.astype(np.float32))
        rows.append((f"{prefix}{class_names[labels[i]]} (left) -> {class_names[labels[j]]} "
                     "(right): "
                     f"z = (1 - t) z_mean(left) + t z_mean(right), t = 0 .. 1 in {steps} steps",
                     np.concatenate([images[[i]], line, images[[j]]])))
    return rows


# --------------------------------------------------------------------------- the demo
def main(argv=None) -> int:
    parser = demo.make_parser("vae", __doc__, epochs=25, quick_epochs=3, quick_limit=6000)
    add_vae_options(parser)
    parser.add_argument("--from-test-split", type=int, default=None, metavar="N",
                        help="use only the test split: train on its first N images, show the "
                             "rest (for a folder holding only the 10,000 test images)")
    parser.add_argument("--gallery", default=None, metavar="DIR",
                        help="also copy the scatter, manifold and interpolation figures to "
                             "DIR/vae_*.png (docs/gallery)")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    check_vae_options(parser, args)
    if args.gallery:
        demo.check_out_dir(parser, args.gallery)
    if args.from_test_split is not None:
        if args.from_test_split < 1:
            parser.error(f"--from-test-split must be a positive integer; got "
                         f"{args.from_test_split}")
        _, whole = demo.load_data(args, parser, train=False)
        if args.from_test_split >= len(whole):
            parser.error(f"--from-test-split {args.from_test_split} leaves no test image: the "
                         f"test split has {len(whole)}")
        train, test = split_test_set(whole, args.from_test_split)
        print(f"training on {train.source}; showing {test.source}")
    else:
        train, test = demo.load_data(args, parser)
    name = train.name
    if args.from_test_split is not None:
        name = f"{name} (trained on {len(train)} of its test images)"

    vae = dense_vae(latent_dim=2, hidden=512, likelihood=args.likelihood,
                    rng=np.random.default_rng(args.seed))
    vae.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
    vae.summary()
    print(f"training: {args.epochs} epochs of {len(train)} {train.name} images, batch "
          f"{args.batch_size}, RMSprop (Keras's settings) lr {args.lr}; loss per image = "
          + ("SSE + KL (the lesson's)" if args.likelihood == "sse"
             else "BCE + KL = negative ELBO in nats"))
    history = demo.train(vae, train.images, args=args, loss=None, optimizer=optimizer(args))
    epochs_done = len(history) if history is not None else 0

    x_test, y_test = test.images, test.labels
    r = evaluate(vae, x_test, iw_k=args.iw_k, iw_images=args.iw_images, seed=args.seed)
    for line in describe(r, args.likelihood):
        print(line)
    kl_dims = vae.kl_per_dimension(x_test)
    print(f"KL per latent dimension: {', '.join(f'{v:.2f}' for v in kl_dims)} nats "
          "(a unit near 0 is unused)")

    where = f"{name}, {epochs_done} epochs"
    x = demo.sample(x_test, 10, seed=args.seed)
    demo.save(plotting.image_rows(
        [("test images", x), (f"reconstructions (z_mean decoded): {loss_title(r, args.likelihood)}",
                              reconstruct(vae, x))],
        title=f"VAE 784-512-2 ({args.likelihood}) on {where}"), args, "reconstructions.png")

    mu, _ = vae.encode(x_test)
    demo.save(scatter_figure(
        [(f"z_mean of {len(x_test)} {'held-out ' if args.from_test_split else ''}test images",
          mu)], y_test, test.class_names,
        title=f"The latent plane: z_mean of the test set by class\n({where})"),
        args, "latent_scatter.png")

    decode = lambda z: decode_images(vae, z)  # noqa: E731
    demo.save(plotting.latent_manifold(
        decode, grid=quantile_grid(),
        title=f"Decoded over the plane, evenly spaced in probability\n(N(0,1) quantiles "
              f"{QUANTILES[0]:.0%} .. {QUANTILES[1]:.0%} per axis; {where})"),
        args, "manifold.png")
    demo.save(plotting.latent_manifold(
        decode, grid=linear_grid(),
        title=f"Decoded over the lesson's grid\n(z evenly spaced in [-1, 1] per axis; {where})"),
        args, "manifold_lesson.png")

    demo.save(plotting.image_grid(
        np.clip(vae.generate(30, rng=np.random.default_rng(args.seed + 3)), 0, 1), ncols=10,
        title=f"New images: random z ~ N(0, I) decoded ({where})"), args, "generations.png")

    demo.save(plotting.image_rows(
        interpolation_rows(vae, x_test, y_test, test.class_names, seed=args.seed), n=12,
        title=f"Interpolation in the latent plane ({where})"), args, "interpolation.png")

    if args.gallery:
        for src, dst in GALLERY.items():
            path = shutil.copyfile(os.path.join(args.out, src), os.path.join(args.gallery, dst))
            size = os.path.getsize(path)
            note = "" if size <= GALLERY_MAX_BYTES else f" (over {GALLERY_MAX_BYTES:,} bytes!)"
            print(f"copied {path} ({size / 1000:.0f} KB){note}")


if __name__ == "__main__":
    raise SystemExit(main())
