"""Train on every core: split each batch, one copy of the model per thread (data parallelism).

NumPy runs most of a small convolutional network on *one* core. Only the matrix products use
BLAS's threads; the copies that build them, ReLU, pooling and upsampling are single-threaded,
and on the lesson's autoencoder they are most of the time. NumPy releases Python's lock (the
GIL) inside those operations, so two Python threads can run them at once, each on its own part
of the batch:

    forward(x):   x = [x_0; x_1]   ->   y = [replica_0.forward(x_0); replica_1.forward(x_1)]
    backward(dy): dy = [dy_0; dy_1] ->  replica_k.backward(dy_k), in parallel
                  grads = replica_0.grads + replica_1.grads

The replicas are copies of the model that share its parameter arrays (an optimizer step
updates all of them at once) and keep their own activations and gradients. Why the gradients
simply add up: the loss is computed on the *joined* output ``y``, so ``dy`` already carries
the whole batch's scaling (``1/N`` for a mean), and ``dL/dW = sum over samples`` splits into a
sum over the parts. The result equals the unsplit model's up to the order of floating-point
additions.

BLAS must then run one thread per product, or its threads and ours fight over the cores: on 2
cores, one epoch of the lesson's conv autoencoder took 18.4 s unsplit, 12.4 s split with BLAS
at one thread, and 20.9 s split with BLAS left at two (``benchmarks/quality.py --only conv_ae``).
``SplitBatch`` limits BLAS to one thread during its calls: through ``threadpoolctl`` when it is
importable (optional, not a dependency), else through OpenBLAS's own C function
``openblas_set_num_threads`` (``minae.engine.blas``: the OpenBLAS that NumPy's and SciPy's
wheels ship), or relies on ``OPENBLAS_NUM_THREADS=1`` / ``OMP_NUM_THREADS=1`` set before Python
started. With none of these (another BLAS and no threadpoolctl) it still computes the right
thing, but more slowly than no split, and says so with a warning; ``auto_threads()`` is the
thread count to ask for: one per core when BLAS can be held to one thread, else 1.

Use it for training only, with models that take a loss function (``forward``/``backward``):
``fit(SplitBatch(model), x, ...)``; evaluate and save ``model`` itself, which holds the
trained parameters. Training needs no gradient with respect to the data, so when the model's
first layer is a ``Conv2D`` the copies skip it (``input_grad = False``) and ``backward``
returns ``None``. A model given an engine (``model.use_engine(FastEngine())``) keeps it: the
copies share that one engine, whose scratch buffers are per thread, so no two threads ever
write the same buffer. Dropout is refused: each replica would draw its masks from a copy of the
same random generator, so the parts would share masks.
"""

from __future__ import annotations

import copy
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import partial

import numpy as np

from minae.engine import blas
from minae.layers.base import Container, Layer
from minae.layers.conv import Conv2D
from minae.layers.dropout import Dropout


def leaves(layer: Layer) -> list[Layer]:
    """The non-container layers inside ``layer``, in ``children()`` order."""
    if isinstance(layer, Container):
        return [leaf for _, child in layer.children() for leaf in leaves(child)]
    return [layer]


ONE_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread():
    """A function returning a context manager that holds BLAS to one thread, or ``None``.

    ``nullcontext`` when an environment variable already set BLAS to one thread; threadpoolctl's
    ``limit`` when it is importable; else ``minae.engine.blas.one_thread`` when an OpenBLAS is
    loaded; else ``None`` (BLAS keeps its threads).
    """
    if any(os.environ.get(v, "").strip() == "1" for v in ONE_THREAD_VARIABLES):
        return nullcontext
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        libraries = blas.openblas_libraries()
        return partial(blas.one_thread, libraries) if libraries else None
    controller = ThreadpoolController()
    return lambda: controller.limit(limits=1, user_api="blas")


def auto_threads() -> int:
    """How many threads to split into: one per core if BLAS can run one thread, else 1."""
    return (os.cpu_count() or 1) if one_blas_thread() is not None else 1


def check_splittable(model, parts, who: str, what: str, own_loss: bool = False) -> None:
    """The checks of ``SplitBatch`` and ``SplitProcesses``: a model made of layers, trained
    with a loss function (or, with ``own_loss``, one whose own loss the caller splits), without
    Dropout; ``parts`` a positive integer (``what`` names it)."""
    if not isinstance(model, Container):
        raise TypeError(f"{who} needs a model made of layers (a Container such as "
                        f"AutoEncoder or Sequential); got {type(model).__name__}")
    if callable(getattr(model, "loss", None)) and not own_loss:
        raise TypeError(f"{who}: {type(model).__name__} computes its own loss; "
                        "split-batch training is for models trained with a loss function")
    if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
        raise ValueError(f"{who} {what} must be a positive integer; got {parts!r}")
    if any(isinstance(leaf, Dropout) for leaf in leaves(model)):
        raise ValueError(f"{who}: the model has Dropout, whose replicas would share "
                         f"their random masks; train it without {who}")


def replica(model: Container, skip_input_grad: bool = True) -> Container:
    """A copy of ``model`` with its own activations and gradients that shares its parameter
    arrays; with ``skip_input_grad``, a first ``Conv2D`` skips its input gradient (training
    never uses it; a VAE's ``backward`` adds to it, so it keeps it)."""
    copied = copy.deepcopy(model)
    for mine, theirs in zip(leaves(copied), leaves(model), strict=True):
        mine.params = theirs.params  # the same dict: the same arrays, always
    first = leaves(copied)[0]
    if isinstance(first, Conv2D) and skip_input_grad:
        first.input_grad = False
    return copied


def part_sizes(n: int, parts: int) -> list[int]:
    """Sizes of ``min(parts, n)`` consecutive parts of ``n`` rows, as equal as can be."""
    return [len(p) for p in np.array_split(np.arange(n), max(1, min(parts, n)))]


def split_rows(arrays, sizes: list[int]) -> list[tuple]:
    """``[(a[rows of part k] for a in arrays) for each part k]``, parts of ``sizes`` rows."""
    bounds = np.cumsum([0] + sizes)
    return [tuple(a[lo:hi] for a in arrays) for lo, hi in zip(bounds[:-1], bounds[1:],
                                                                strict=True)]


class Split:
    """What ``SplitBatch`` and ``SplitProcesses`` share: what ``fit`` and the optimizers read
    (the model's ``params``, the parts' summed ``grads``, ``training``), and holding BLAS to
    one thread while the parts run."""

    model: Container

    def _init_split(self, parts: int, what: str) -> None:
        """No parts run yet (no sizes, no gradients); find how to hold BLAS to one thread,
        and warn if nothing can (``what`` names the argument that turns the split off)."""
        self._one_blas_thread = one_blas_thread()
        self._sizes: list[int] = []
        self._grads: dict[str, np.ndarray] = {}
        if parts > 1 and self._one_blas_thread is None:
            name = type(self).__name__
            warnings.warn(f"{name}: BLAS cannot be held to one thread here (threadpoolctl is "
                          "not installed, no OpenBLAS is loaded and OPENBLAS_NUM_THREADS is "
                          "not 1), so its threads will compete with the split and training "
                          "will be slower than without it; pip install threadpoolctl, or use "
                          f"{what}=1", RuntimeWarning, stacklevel=3)

    def _blas_limit(self):
        """A context manager: BLAS at one thread during the parts (if that can be done)."""
        return self._one_blas_thread() if self._one_blas_thread else nullcontext()

    @property
    def params(self) -> dict[str, np.ndarray]:
        return self.model.params

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return self._grads

    @property
    def training(self) -> bool:
        return self.model.training


class SplitBatch(Split):
    """``model`` trained on ``threads`` parts of each batch at once (see the module docstring).

    Parameters
    ----------
    model : Container
        An ``AutoEncoder``, ``Sequential`` or other container with ``forward``/``backward``.
    threads : int
        How many parts (and threads): ``auto_threads()`` gives one per core when BLAS can be
        held to one thread.

    Attributes
    ----------
    model : the model itself (untouched but for its parameters, which training updates):
        evaluate, save and plot this one.
    params : ``model.params`` (shared by every replica).
    grads : the sum of the replicas' gradients after ``backward``.
    """

    def __init__(self, model: Container, threads: int = 2) -> None:
        check_splittable(model, threads, "SplitBatch", "threads")
        self.model = model
        self.replicas = [replica(model) for _ in range(threads)]
        self.pool = ThreadPoolExecutor(max_workers=threads - 1) if threads > 1 else None
        self._init_split(threads, "threads")

    def use_engine(self, engine) -> SplitBatch:
        """Run the model and every replica on ``engine`` (shared; its scratch is per thread)."""
        for r in [self.model, *self.replicas]:
            r.use_engine(engine)
        return self

    def train(self) -> SplitBatch:
        for r in [self.model, *self.replicas]:
            r.train()
        return self

    def eval(self) -> SplitBatch:
        for r in [self.model, *self.replicas]:
            r.eval()
        return self

    # -- the split passes -----------------------------------------------------------------
    def _run(self, method: str, parts: list[tuple]) -> list:
        """``replica_k.method(*parts[k])`` for every part: part 0 here, the others in threads."""
        with self._blas_limit():
            futures = [self.pool.submit(getattr(r, method), *p)
                       for r, p in zip(self.replicas[1:], parts[1:], strict=False)]
            first = getattr(self.replicas[0], method)(*parts[0])
            return [first] + [f.result() for f in futures]

    def forward(self, x: np.ndarray, *extra) -> np.ndarray:
        """``y = [replica_k.forward(x_k)]``, the parts as equal as ``len(x)`` allows.

        Shapes: ``x: (N, ...)`` (and each of ``extra``) -> the model's output ``(N, ...)``.
        """
        x = np.asarray(x)
        self._sizes = part_sizes(len(x), len(self.replicas))
        return np.concatenate(self._run("forward", split_rows((x, *extra), self._sizes)))

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        """Each replica's backward on its part of ``dy``; ``grads`` becomes their sum.

        Returns ``dx`` joined, like the model's ``backward``, or ``None`` when the first layer
        skips it (a ``Conv2D``: see the module docstring).
        """
        if not self._sizes or sum(self._sizes) != len(dy):
            raise RuntimeError(f"SplitBatch.backward: dy has {len(dy)} rows; the last forward "
                               f"had {sum(self._sizes)} (call forward first, on the same batch)")
        dxs = self._run("backward", split_rows((dy,), self._sizes))
        used = self.replicas[:len(self._sizes)]
        self._grads = {name: np.sum([r.grads[name] for r in used], axis=0)
                       for name in self.model.grads}
        return None if dxs[0] is None else np.concatenate(dxs)

    def __repr__(self) -> str:
        return f"SplitBatch({type(self.model).__name__}, threads={len(self.replicas)})"
