"""The divergence guard: no update is ever applied from non-finite numbers.

Before ``optimizer.step`` runs on a batch, ``fit`` checks three things, in this order:

1. the model's output and the batch's loss are finite (``check_output``, ``check_loss``);
2. the learning rate the step will use is finite (``check_step``);
3. every gradient in ``model.grads`` is finite (``check_step``).

The first failure raises ``TrainingDivergedError`` naming the epoch, the batch and what was
not finite, *before* the step: the parameters (and the optimizer's state) are exactly as the
last good batch's update left them. After the step, ``check_params`` confirms that the update
did not overflow (a finite gradient times a finite learning rate can still leave the float
range); if it did, the error says so, and then the parameters hold that overflowed update,
because ``fit`` keeps no copy of them.

Why it is cheap: the sum of an array is finite only if every element is (a NaN or an inf
makes the sum NaN or inf), and a sum reads each number once without allocating; only when the
sum is not finite (a NaN, an inf, or finite values whose sum overflows) are the elements
looked at one by one, to be sure and to say how many. So the guard costs two reads of the
parameters' size per step (gradients before, parameters after), small beside the forward and
backward passes, which read every weight several times.
"""

from __future__ import annotations

import math

import numpy as np

from minae.training.history import History


class TrainingDivergedError(FloatingPointError):
    """Training produced a non-finite loss, gradient or learning rate.

    Attributes
    ----------
    epoch, batch : int
        Where it happened, counted from 1 as the progress line counts.
    value : float
        That batch's loss (NaN if the loss was not computed).
    what : str
        What was not finite: ``"output"``, ``"loss"``, ``"learning rate"``,
        ``"gradient of 'encoder.0.W'"``
        or ``"parameter 'encoder.0.W' after the update"``.
    history : History
        The epochs completed before it. The parameters are those after the last good batch
        (see ``minae.training.guard`` for the one exception, an update that overflows).
    """

    def __init__(self, message: str, epoch: int, batch: int, value: float, history: History,
                 what: str = "loss"):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.value = value
        self.history = history
        self.what = what


def all_finite(a: np.ndarray) -> bool:
    """True when every element of ``a`` is finite (one sum; counts only on failure)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(float(np.sum(a))):
            return True
    return bool(np.isfinite(a).all())


def describe_nonfinite(a: np.ndarray) -> str:
    """``"3 NaN and 1 inf of 120 entries"``."""
    a = np.asarray(a)
    nan, inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    found = " and ".join(f"{k} {w}" for k, w in ((nan, "NaN"), (inf, "inf")) if k)
    return f"{found} of {a.size} entries"


def _diverged(what: str, detail: str, where: tuple[int, int, int], value: float,
              lr, history: History, kept: str) -> TrainingDivergedError:
    epoch, batch, n_batches = where
    return TrainingDivergedError(
        f"training diverged at epoch {epoch}, batch {batch}/{n_batches}: {detail}; {kept}. "
        f"Try a lower learning rate (it is {lr}), or check the data and the model's output "
        "layer.", epoch, batch, value, history, what)


KEPT = "training stopped before that batch's update, the parameters are those after the last " \
       "good batch"


def check_loss(value: float, where: tuple[int, int, int], lr, history: History,
               name: str = "training loss") -> None:
    """Raise if the loss of batch ``where = (epoch, batch, n_batches)`` (from 1) is not finite.
    ``name`` says which loss (``train_aae`` has one per phase)."""
    if not math.isfinite(value):
        raise _diverged("loss", f"the {name} became {value}", where, value, lr, history, KEPT)


def check_output(out, where: tuple[int, int, int], lr, history: History,
                 cause: BaseException | None = None) -> None:
    """Raise if the model's output ``out`` on batch ``where`` is not finite.

    ``fit`` checks the output before the loss function sees it (losses refuse NaN
    predictions with a ``ValueError``); ``cause`` is such an error, raised by a model's own
    loss, that this check explains."""
    out = np.asarray(out)
    if out.dtype.kind == "f" and not all_finite(out):
        err = _diverged("output", f"the model's output has {describe_nonfinite(out)}", where,
                        math.nan, lr, history, KEPT)
        raise err from cause


def check_step(grads: dict[str, np.ndarray], lr, value: float, where: tuple[int, int, int],
               history: History) -> None:
    """Raise if the learning rate ``lr`` (None: the optimizer has none) or a gradient is not
    finite. Called after ``backward``, before ``optimizer.step``."""
    if lr is not None and not math.isfinite(lr):
        raise _diverged("learning rate", f"the learning rate is {lr}", where, value, lr,
                        history, KEPT)
    for name, g in grads.items():
        if not all_finite(g):
            raise _diverged(f"gradient of {name!r}", f"the gradient of {name!r} has "
                            f"{describe_nonfinite(g)} (the loss was {value})", where, value,
                            lr, history, KEPT)


def check_params(params: dict[str, np.ndarray], lr, value: float,
                 where: tuple[int, int, int], history: History) -> None:
    """Raise if the update just applied made a parameter non-finite (an overflow)."""
    for name, p in params.items():
        if not all_finite(p):
            raise _diverged(f"parameter {name!r} after the update",
                            f"the update made parameter {name!r} non-finite "
                            f"({describe_nonfinite(p)}: finite gradients times the learning "
                            "rate overflowed)", where, value, lr, history,
                            "the parameters hold that overflowed update (fit keeps no copy)")
