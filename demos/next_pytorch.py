"""Next: PyTorch. The lesson's conv autoencoder in minae and in PyTorch: the same model, the
same weights, the same numbers.

1. builds the lesson's conv autoencoder in minae (in float64, so the two can agree to 1e-10
   and not only to float32's 1e-7), converts it (``to_torch``) and prints the comparison
   table: every output and every gradient, minae's hand-written backward against autograd;
2. trains it for a few batches in PyTorch with ``torch.optim.Adam``, copies the weights back
   (``from_torch``) and shows that minae reconstructs what PyTorch does;
3. the reverse: goes on training that model for as many batches in minae, with minae's Adam,
   converts it back to PyTorch, and shows that PyTorch reconstructs what minae does.

Both training loops are written out below, side by side: forward, loss, backward, step. It
saves one figure:

  same_reconstructions.png   test images; after PyTorch's batches, the model run in minae
                             and in PyTorch; after minae's batches too, the same

Needs PyTorch (``pip install torch``; without it: one line and exit status 2). ``--batches``
sets how many mini-batches each framework trains (``--epochs`` is not used here); the
reconstructions are blurry after so few, and the same in both frameworks.

    python demos/next_pytorch.py --quick
    python demos/next_pytorch.py --batches 200 --pooling pytorch
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from minae import demo, plotting
from minae.autoencoders import conv_autoencoder
from minae.engine import FastEngine
from minae.training import batches


def main(argv=None) -> int:
    parser = demo.make_parser("next_pytorch", __doc__, epochs=1, quick_epochs=1,
                              quick_limit=1000)
    parser.add_argument("--pooling", choices=["keras", "pytorch"], default="keras",
                        help="how the last pool takes 7 -> 4 (default keras: padding 'same')")
    parser.add_argument("--batches", type=int, default=None, metavar="N",
                        help="mini-batches trained in each framework (default 100; 8 with "
                             "--quick)")
    args = demo.parse_args(parser, argv)
    if args.batches is None:
        args.batches = 8 if args.quick else 100
    if args.batches < 1:
        parser.error(f"--batches must be a positive integer; got {args.batches}")
    try:
        import minae.torch_bridge  # noqa: F401  (PyTorch is optional for minae)
    except ImportError as err:
        demo.fail(parser, str(err))
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def first_batches(images: np.ndarray, args) -> list[np.ndarray]:
    """The first ``args.batches`` shuffled mini-batches (as many passes as it takes)."""
    rng = np.random.default_rng(args.seed)
    out: list[np.ndarray] = []
    while len(out) < args.batches:
        out += list(batches(images, args.batch_size, rng=rng))
    return out[:args.batches]


def train_in_pytorch(module, xs: list[np.ndarray], args) -> float:
    """PyTorch's loop: forward, loss, backward, step. Returns the last batch's loss."""
    import torch
    import torch.nn.functional as F

    optimizer = torch.optim.Adam(module.parameters(), lr=args.lr, eps=demo.LESSON_EPS)
    module.train()
    for xb in xs:
        x = torch.from_numpy(xb)
        loss = F.binary_cross_entropy_with_logits(module(x), x)  # BCE per pixel (mean)
        optimizer.zero_grad()  # PyTorch adds gradients up; minae's backward replaces them
        loss.backward()
        optimizer.step()
    return loss.item()


def train_in_minae(model, xs: list[np.ndarray], args) -> float:
    """minae's loop: the same four steps. Returns the last batch's loss."""
    optimizer = demo.lesson_optimizer(args)  # Adam, lr, eps 1e-7 placed as PyTorch does
    model.train()
    for xb in xs:
        value, dlogits = demo.bce_logits_mean(model.forward(xb), xb)  # BCE per pixel (mean)
        model.backward(dlogits)
        optimizer.step(model)
    return value


def both_reconstruct(model, module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(minae's reconstructions, PyTorch's, max |difference|)`` of the images ``x``."""
    import torch

    ours = model.reconstruct(x)
    with torch.no_grad():
        theirs = module.eval().reconstruct(torch.from_numpy(x)).numpy()
    return ours, theirs, float(np.max(np.abs(ours - theirs)))


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    import torch

    from minae.torch_bridge import compare, from_torch, report, to_torch

    train, test = demo.load_data(args, parser)
    images = train.images.astype(np.float64)
    x = demo.sample(test.images, 10, seed=args.seed).astype(np.float64)
    xs = first_batches(images, args)
    print(f"PyTorch {torch.__version__}; {len(xs)} batches of {args.batch_size} in each "
          f"framework")

    # 1. the same model in both frameworks
    model = conv_autoencoder(args.pooling, rng=np.random.default_rng(args.seed),
                             dtype=np.float64)
    model.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on; the
    module = to_torch(model)        # bridge maps the layers, whatever road they take
    print(module)
    print(report(compare(model, x[:4], seed=args.seed)))

    # 2. train in PyTorch, copy back: minae reconstructs what PyTorch does
    loss = train_in_pytorch(module, xs, args)
    from_torch(module, model)
    torch_trained = both_reconstruct(model, module, x)
    print(f"trained in PyTorch (last batch BCE {loss:.4f}), copied back with from_torch: "
          f"max |minae - PyTorch| over {len(x)} reconstructions = {torch_trained[2]:.1e}")

    # 3. the reverse: go on training in minae, convert: PyTorch reconstructs what minae does
    loss = train_in_minae(model, xs, args)
    minae_trained = both_reconstruct(model, to_torch(model), x)
    print(f"then trained in minae (last batch BCE {loss:.4f}), converted with to_torch: "
          f"max |minae - PyTorch| over {len(x)} reconstructions = {minae_trained[2]:.1e}")

    demo.save(plotting.image_rows(
        [("original", x),
         (f"{len(xs)} batches in PyTorch, then run in minae", torch_trained[0]),
         (f"... and in PyTorch (max difference {torch_trained[2]:.0e})", torch_trained[1]),
         (f"{len(xs)} more in minae, then run in minae", minae_trained[0]),
         (f"... and in PyTorch (max difference {minae_trained[2]:.0e})", minae_trained[1])],
        title=f"The lesson's conv autoencoder in minae and in PyTorch {torch.__version__}"),
        args, "same_reconstructions.png")


if __name__ == "__main__":
    raise SystemExit(main())
