"""The plumbing every demo shares: options, data, a checked output folder, Ctrl-C-safe training,
saving figures.

A demo is a script in ``demos/`` with an importable ``main(argv) -> int``. Written with this
module it reads top to bottom as the lesson does::

    from minae import demo

    def main(argv=None) -> int:
        parser = demo.make_parser("conv_autoencoder", __doc__, epochs=25)
        parser.add_argument("--pooling", choices=["keras", "pytorch"], default="keras")
        args = demo.parse_args(parser, argv)       # bad input: one line, exit 2, before training
        train, test = demo.load_data(args, parser) # prints one line if it fell back to synthetic
        model = conv_autoencoder(rng=np.random.default_rng(args.seed))
        history = demo.train(model, train.images, args=args)  # Ctrl-C: stops, keeps the weights
        demo.save(plotting.image_rows(...), args, "reconstructions.png")  # prints the path
        return 0

    if __name__ == "__main__":
        raise SystemExit(main())

The standard options (docs/conventions.md)
--------------------------------
``--quick``      a run under a minute: ``quick_epochs`` epochs on ``quick_limit`` training
                 images (and a third as many test images)
``--epochs N``   training epochs (default: the lesson's, or the quick one with ``--quick``)
``--dataset``    ``mnist`` (default), ``fashion-mnist`` or ``synthetic-digits``
``--limit N``    use at most N training images and N test images
``--seed S``     seeds the weights, the batches and the noise (default 0)
``--out DIR``    where figures go (default ``out/<demo name>``); checked writable up front
``--data-dir``   a folder holding the IDX files (searched first; downloads go to the cache)
``--batch-size`` mini-batch size (default 128, the lesson's)

``--lr LR``      the learning rate (default: the lesson's for that demo)

Errors: one line, exit status 2
-------------------------------
Bad input (an unknown dataset, an ``--out`` that cannot be written, a demo's own checks through
``parser.error``) prints one line on stderr and exits with status 2 before any training starts.
Whatever goes wrong later does the same, through ``run``: a weights file that does not fit the
model or is corrupt (``load_weights``), a ``--limit`` too large for memory, a run that
diverges. A diverged run is the one that still draws its figures: ``train`` catches
``TrainingDivergedError``, whose parameters are those after the last good batch, says so on
stdout, and the demo goes on; ``run`` then ends with the one line on stderr and status 2.

Ctrl-C
------
``minae.training.fit`` stops after the current batch on Ctrl-C and keeps the weights
(``history.interrupted``). ``train`` below says so in one line and returns, so the demo goes on to
draw its figures of the model as it is; ``interruptible()`` does the same for any other stretch
of work (a custom loop, a second model).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable

import numpy as np

from minae import plotting
from minae.losses import binary_cross_entropy_with_logits

LESSON_LR = 1e-3  # Adam's learning rate in the lesson (Keras's default)
LESSON_EPS = 1e-7  # Keras's Adam epsilon (PyTorch uses 1e-8)
LESSON_BATCH = 128
LESSON_EPOCHS = 25

#: The lesson's loss: BCE per pixel (Keras's "mean" reduction), computed from logits.
bce_logits_mean = functools.partial(binary_cross_entropy_with_logits, reduction="mean")


class DemoParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (and exit status 2)."""

    def error(self, message: str):
        fail(self, message)


def one_line(message: str) -> str:
    """A message on one line: its lines joined with "; "."""
    return "; ".join(line.strip() for line in str(message).splitlines() if line.strip())


def fail(parser: argparse.ArgumentParser, message: str):
    """Print ``<prog>: error: <message>`` as one line on stderr and exit with status 2."""
    print(f"{parser.prog}: error: {one_line(message)}", file=sys.stderr)
    raise SystemExit(2)


def make_parser(name: str, description: str | None = None, *, epochs: int = LESSON_EPOCHS,
                quick_epochs: int = 2, quick_limit: int = 6000, dataset: str = "mnist",
                lr: float = LESSON_LR) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` with the standard demo options; add the demo's own to it.

    Parameters
    ----------
    name : str
        The demo's name: the program name and the default ``--out`` (``out/<name>``).
    description : str
        Shown by ``--help`` (a demo passes its module docstring).
    epochs, quick_epochs, quick_limit : int
        The default number of epochs, and what ``--quick`` means for this demo.
    dataset : str
        The default ``--dataset``.
    lr : float
        The default ``--lr``.
    """
    p = DemoParser(prog=f"python demos/{name}.py", description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help=f"a run under a minute: {quick_epochs} epoch(s) on {quick_limit} images")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"training epochs (default {epochs}; {quick_epochs} with --quick)")
    p.add_argument("--dataset", default=dataset,
                   help=f"mnist, fashion-mnist or synthetic-digits (default {dataset})")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="use at most N training and N test images")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"folder for the figures (default out/{name})")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder holding the IDX files, searched first "
                        "(downloads go to ~/.cache/minae)")
    p.add_argument("--batch-size", type=int, default=LESSON_BATCH,
                   help=f"mini-batch size (default {LESSON_BATCH})")
    p.add_argument("--lr", type=float, default=lr, help=f"learning rate (default {lr:g})")
    p.add_argument("--cores", "--threads", dest="threads", type=int, default=None, metavar="C",
                   help="train autoencoders on C cores, each batch split in C parts, one "
                        "process each (minae.engine.processes.SplitProcesses; 1 = no split; "
                        "default: one per core when BLAS can be held to one thread, else 1)")
    p.set_defaults(_name=name, _epochs=epochs, _quick_epochs=quick_epochs,
                   _quick_limit=quick_limit)
    return p


def parse_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse ``argv``, fill in the defaults ``--quick`` implies, and check ``--out`` can be written.

    Adds ``args.out`` (an existing, writable folder), ``args.epochs``, ``args.limit`` and
    ``args.test_limit`` (None = all) and ``args.rng`` (``np.random.default_rng(args.seed)``).
    Exits with status 2 on bad input.
    """
    args = parser.parse_args(argv)
    args.threads_chosen = args.threads is not None
    if args.threads is None:
        from minae.engine.parallel import auto_threads

        args.threads = auto_threads()
    if args.epochs is None:
        args.epochs = args._quick_epochs if args.quick else args._epochs
    args.test_limit = args.limit
    if args.limit is None and args.quick:
        args.limit = args._quick_limit
        args.test_limit = max(args._quick_limit // 3, 1)
    for opt, flag in (("epochs", "--epochs"), ("limit", "--limit"),
                      ("batch_size", "--batch-size"), ("threads", "--cores")):
        v = getattr(args, opt)
        if v is not None and v < 1:
            parser.error(f"{flag} must be a positive integer; got {v}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        parser.error(f"--lr must be a finite number > 0; got {args.lr}")
    _check_dataset_name(parser, args.dataset)
    args.out = check_out_dir(parser, args.out or os.path.join("out", args._name))
    args.rng = np.random.default_rng(args.seed)
    return args


def _check_dataset_name(parser: argparse.ArgumentParser, name: str) -> None:
    from minae.datasets import DATASET_NAMES

    if name not in DATASET_NAMES:
        parser.error(f"--dataset: unknown dataset {name!r}; choose one of "
                     f"{', '.join(DATASET_NAMES)}")


def check_out_dir(parser: argparse.ArgumentParser | None, out: str | os.PathLike) -> str:
    """Make ``out`` (and parents) and prove a file can be written there; else exit 2.

    Returns the folder as a string. With ``parser=None`` it raises ``ValueError`` instead.
    """
    out = os.fspath(out)
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as e:
        msg = f"--out {out!r} cannot be written: {e.strerror or e}"
        if parser is None:
            raise ValueError(msg) from None
        parser.error(msg)
    return out


def load_data(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None, *,
              dataset: str | None = None, train: bool = True, test: bool = True):
    """Load the train and/or test split of ``args.dataset`` (or ``dataset``), at most
    ``args.limit`` images each. Returns ``(train, test)`` Datasets (None for a split not
    asked for). ``load_dataset`` prints one line if it falls back to synthetic digits.
    A name the loader refuses exits 2 through ``parser.error`` (or raises without a parser).
    """
    from minae.datasets import load_dataset

    name = dataset or args.dataset
    kw = {"data_dir": args.data_dir, "seed": args.seed}
    train_set = test_set = None
    try:
        if train:
            train_set = load_dataset(name, "train", limit=args.limit, **kw)
            name = train_set.name  # after a fallback (one printed line), what was used
        if test:
            test_set = load_dataset(name, "test", limit=getattr(args, "test_limit", args.limit),
                                    **kw)
    except (ValueError, MemoryError) as e:
        if parser is None:
            raise
        parser.error(str(e) or f"not enough memory for {name} with --limit {args.limit}")
    parts = [f"{len(d)} {split}" for split, d in (("train", train_set), ("test", test_set))
             if d is not None]
    first = train_set or test_set
    src = f" ({first.source})" if first is not None else ""
    print(f"data: {first.name}{src}: {', '.join(parts)} images")
    return train_set, test_set


def lesson_optimizer(args: argparse.Namespace | None = None):
    """The lesson's optimizer: Adam, lr 1e-3 (or ``args.lr``), betas (0.9, 0.999), eps 1e-7
    (Keras's)."""
    from minae.optim import Adam

    return Adam(lr=getattr(args, "lr", LESSON_LR), eps=LESSON_EPS)


def split_batches(model, parts: int, loss):
    """The model ``fit`` should train: ``SplitProcesses(model, parts)`` when a loss function
    trains it (a model with its own loss, the VAE, is not split) and ``parts > 1``; else
    ``model`` itself. The one place this is decided."""
    from minae.engine.processes import SplitProcesses

    return SplitProcesses(model, parts) if loss is not None and parts > 1 else model


def train(model, x, y=None, *, args: argparse.Namespace, loss=bce_logits_mean, optimizer=None,
          epochs: int | None = None, what: str = "training", **fit_kwargs):
    """``minae.training.fit`` with the demo's settings, safe against Ctrl-C.

    Uses ``args.epochs``, ``args.batch_size`` and ``args.seed`` unless given; the lesson's
    optimizer and loss (BCE per pixel on logits) unless given. With a loss function (not a
    VAE's own loss) and ``args.threads > 1`` (``--cores``), each batch is split between that
    many processes (``minae.engine.processes.SplitProcesses``, stopped when training ends): the
    same arithmetic, on every core. On Ctrl-C ``fit``
    stops after the batch and keeps the weights; this prints one line saying the figures will
    show the model as it is, and returns the history (``None`` if the interrupt came before
    ``fit`` returned one). If training diverges, the parameters are those after the last good
    batch: this says so, records the error in ``args.diverged`` (``run`` ends the demo with it,
    status 2, after the figures) and returns the history of the epochs completed. Other ``fit``
    keywords (``transform=``, ``validation=``) pass through.
    """
    from minae.engine.parallel import one_blas_thread
    from minae.training import fit

    optimizer = lesson_optimizer(args) if optimizer is None else optimizer
    threads = getattr(args, "threads", 1)
    trained = split_batches(model, threads, loss)
    cores = os.cpu_count() or 1
    if trained is not model:
        print(f"{what}: each batch split between {threads} processes, one per core "
              "(--cores 1: no split)")
    elif loss is not None and cores > 1 and not getattr(args, "threads_chosen", True) \
            and one_blas_thread() is None:
        print(f"{what}: on one thread. `pip install threadpoolctl` (or OPENBLAS_NUM_THREADS=1) "
              f"lets it split each batch between the {cores} cores, about 1.5x faster")
    history = None
    t0 = time.perf_counter()
    with interruptible(what), diverges_gracefully(args, what) as run:
        try:
            history = fit(trained, x, y, loss=loss, optimizer=optimizer,
                          epochs=args.epochs if epochs is None else epochs,
                          batch_size=args.batch_size, seed=args.seed, **fit_kwargs)
        finally:
            if trained is not model:
                trained.close()  # the worker processes
        if history.interrupted:
            print(f"{what} interrupted: drawing the figures of the model as it is")
    if run.history is not None:  # diverged: the epochs completed
        history = run.history
    print(f"{what}: {time.perf_counter() - t0:.1f} s")
    return history


def run(lesson: Callable, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``lesson(args, parser)``, the demo's body; return its exit status.

    Any error it raises that a user can cause (a bad file, too little memory, numbers that
    went wrong) ends the demo with one line on stderr and status 2, no traceback; so does a
    run that diverged (``args.diverged``), once its figures are drawn. 0 otherwise. NumPy's
    floating-point ``RuntimeWarning``s are silenced meanwhile: the guard in ``fit`` reports
    non-finite numbers, once.
    """
    from minae.datasets import DatasetUnavailableError

    args.diverged = None
    try:
        # Overflow and NaN inside numpy (a diverging run, figures of its last good weights)
        # are reported once, by the divergence guard, not as a warning per operation.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lesson(args, parser)
    except MemoryError as e:
        fail(parser, _after_divergence(args, f"out of memory: {e}" if str(e) else
                                       "out of memory (try a smaller --limit or --batch-size)"))
    except (ValueError, TypeError, OSError, FloatingPointError, DatasetUnavailableError) as e:
        fail(parser, _after_divergence(args, str(e) or type(e).__name__))
    if args.diverged:
        fail(parser, f"{args.diverged} The figures show the last good weights.")
    return 0


def _after_divergence(args: argparse.Namespace, message: str) -> str:
    """An error's message, after the divergence that came first (if one did)."""
    if not getattr(args, "diverged", None):
        return message
    return f"{args.diverged} Drawing the figures from the last good weights then failed: {message}"


def load_weights(model, path: str, parser: argparse.ArgumentParser):
    """``serialization.load(model, path)``; a file that is missing, corrupt or does not fit the
    model ends the demo with one line (``--weights PATH: ...``) and status 2."""
    from minae import serialization

    try:
        serialization.load(model, path)
    except (OSError, ValueError) as e:
        lines = one_line(e).split("; ")
        detail = lines[0] if len(lines) < 4 else \
            f"{'; '.join(lines[:3])}; and {len(lines) - 3} more"
        parser.error(f"--weights {path!r}: {detail}")
    print(f"loaded {path}")
    return model


@contextlib.contextmanager
def diverges_gracefully(args: argparse.Namespace, what: str = "training"):
    """Run a block of training so that divergence ends the block, not the demo::

        with demo.diverges_gracefully(args) as run:
            ...train...
        # run.history: the error's history if it diverged (else None); figures drawn here

    On ``TrainingDivergedError`` (parameters: those after the last good batch) it prints one
    line, keeps the message in ``args.diverged`` for ``run`` (which exits 2 with it once the
    figures are drawn) and puts the error's history in ``run.history``.
    """
    from minae.training import TrainingDivergedError

    outcome = argparse.Namespace(history=None)
    try:
        yield outcome
    except TrainingDivergedError as e:
        args.diverged = f"{what}: {one_line(e)}" if what != "training" else one_line(e)
        print(f"{what} diverged (epoch {e.epoch}, batch {e.batch}): drawing the figures from the "
              "last good weights")
        outcome.history = e.history


@contextlib.contextmanager
def interruptible(what: str = "training"):
    """Run a block so that Ctrl-C ends the block, not the demo::

        with demo.interruptible("training the 4x model"):
            for epoch in ...: ...
        # figures are drawn here either way
    """
    try:
        yield
    except KeyboardInterrupt:
        print(f"\n{what} interrupted: drawing the figures of the model as it is")


def save(fig, args_or_out, filename: str) -> str:
    """Save ``fig`` as ``<out>/<filename>`` (PNG), close it, print and return the path."""
    out = args_or_out.out if hasattr(args_or_out, "out") else os.fspath(args_or_out)
    path = plotting.save_figure(fig, os.path.join(out, filename))
    print(f"saved {path}")
    return path


def sample(images: np.ndarray, n: int = 10, *, seed: int = 0) -> np.ndarray:
    """``n`` images picked at random but reproducibly (the same ones for every figure)."""
    idx = np.random.default_rng(seed).choice(len(images), size=min(n, len(images)), replace=False)
    return images[np.sort(idx)]
