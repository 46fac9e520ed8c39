"""A conditional VAE (L13, the reading list): tell the model the digit, and ask for one.

The dense VAE of ``demos/vae.py`` with the label joined in (``minae.vae.conditional_vae``)::

    encoder  [flatten(x), one_hot(y)] (784 + 10) -> Dense 512, ReLU -> heads z_mean, z_log_sigma
    decoder  [z, one_hot(y)] (2 + 10) -> Dense 512, ReLU -> Dense 784

Because the decoder is told the class, z no longer has to say which digit it is, only how it
is written (slant, width, thickness). So a chosen digit can be generated on request (decode
any z with the label you want), and a digit's style can be moved to every other digit (encode
it with its own label, decode its z with each of the others).

Trained with the lesson's loss and optimizer (SSE + KL, RMSprop with Keras's settings, batch
128; ``--likelihood bernoulli`` for nats), 10 epochs by default (about 1-2 minutes on 2 cores
with MNIST); ``--quick``: 3 epochs on 6,000 images.

Printed: the test loss and its parts for log p(x | label), the negative ELBO in true nats (the
SSE is a Gaussian NLL with sigma^2 = 1/2 minus 448.7 nats per image) and the importance-weighted
estimate of -log p(x | label).

Figures (``--out``, default out/conditional_vae):

  generated.png        generated on request: column k asks for class k; each row decodes one
                       random z ~ N(0, I) with every label, so a row shares one style
  style_transfer.png   a test image (left), then its z (encoded with its own label) decoded
                       with every label 0-9
  latent_scatter.png   z_mean of the test set by class: with the label given, the classes
                       overlap (z carries the style, not the class)

    python demos/conditional_vae.py --quick
    python demos/conditional_vae.py --dataset fashion-mnist
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
from minae.vae import conditional_vae


def generated_rows(cvae, class_names, n_rows: int, seed: int):
    """Rows for ``image_rows``: each row one random z decoded with every label."""
    c = cvae.num_classes
    z = np.random.default_rng(seed).standard_normal((n_rows, cvae.latent_dim))
    rows = []
    for i in range(n_rows):
        zi = np.repeat(z[i:i + 1], c, axis=0).astype(np.float32)
        rows.append((f"z = ({z[i, 0]:+.2f}, {z[i, 1]:+.2f}) decoded with labels 0 .. {c - 1}",
                     vd.decode_images(cvae, zi, np.arange(c))))
    return rows


def style_rows(cvae, images, labels, class_names, n_rows: int, seed: int):
    """Rows for ``image_rows``: a test image, then its ``z_mean`` decoded with every label."""
    c = cvae.num_classes
    idx = []
    for k in np.random.default_rng(seed).permutation(c):  # different classes, if there are
        hits = np.flatnonzero(labels == k)
        if len(hits):
            idx.append(int(hits[0]))
        if len(idx) == n_rows:
            break
    rows = []
    for i in idx:
        mu, _ = cvae.encode(images[[i]], labels[[i]])
        as_each = vd.decode_images(cvae, np.repeat(mu, c, axis=0), np.arange(c))
        rows.append((f"a test {class_names[labels[i]]} (left); its z decoded with labels "
                     f"0 .. {c - 1}", np.concatenate([images[[i]], as_each])))
    return rows


def main(argv=None) -> int:
    parser = demo.make_parser("conditional_vae", __doc__, epochs=10, quick_epochs=3,
                              quick_limit=6000)
    vd.add_vae_options(parser)
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    vd.check_vae_options(parser, args)
    train, test = demo.load_data(args, parser)
    name = train.name
    classes = len(train.class_names)

    cvae = conditional_vae(num_classes=classes, latent_dim=2, hidden=512,
                           likelihood=args.likelihood, rng=np.random.default_rng(args.seed))
    cvae.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
    cvae.summary()
    print(f"training: {args.epochs} epochs of {len(train)} {name} images with their labels")
    history = demo.train(cvae, train.images, args=args, loss=None, optimizer=vd.optimizer(args),
                         extra=(train.labels,))
    epochs_done = len(history) if history is not None else 0

    x_test, y_test = test.images, test.labels
    r = vd.evaluate(cvae, x_test, y_test, iw_k=args.iw_k, iw_images=args.iw_images,
                    seed=args.seed)
    print("(each image given its label: the ELBO bounds log p(x | y))")
    for line in vd.describe(r, args.likelihood, density="p(x | y)"):
        print(line)

    where = f"{name}, {epochs_done} epochs"
    demo.save(plotting.image_rows(
        generated_rows(cvae, train.class_names, 5, args.seed + 3), n=classes,
        title=f"Generated on request: column k asks for class k; one random z per row "
              f"({where})"), args, "generated.png")
    demo.save(plotting.image_rows(
        style_rows(cvae, x_test, y_test, test.class_names, 5, args.seed), n=classes + 1,
        title=f"Style transfer: encode a test image with its label, decode with every label "
              f"({where})"), args, "style_transfer.png")
    mu, _ = cvae.encode(x_test, y_test)
    demo.save(vd.scatter_figure(
        [(f"z_mean of {len(x_test)} test images", mu)], y_test, test.class_names,
        title=f"Conditional VAE: z given the label carries style, not class\n({where}; "
              f"{vd.loss_title(r, args.likelihood)})", squares=()),
        args, "latent_scatter.png")


if __name__ == "__main__":
    raise SystemExit(main())
