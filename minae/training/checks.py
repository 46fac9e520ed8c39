"""``fit``'s argument checks: every bad argument is refused before the first batch.

``check_fit`` runs them all and returns a ``FitPlan``: the data cast to the model's dtype, the
kind of step (a loss function, or the model's own loss), the validation set, the callbacks,
the generator. Each error names the argument, what was given and what was expected. A
validation set is checked here too (its sample shape against the training data's), so a wrong
one fails at once, not after an epoch of training.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from minae.layers.checks import as_float_array, check_finite, check_positive_int, check_rng
from minae.losses import binary_cross_entropy_with_logits
from minae.training.batches import num_batches

AUTO = "auto"


@dataclass
class FitPlan:
    """Everything ``fit`` needs, checked.

    ``own_loss``: kind (b), the model computes its loss; else ``loss_fn(out, target)``.
    ``arrays``: ``(x, *extra)`` or ``(x, *extra, y)`` for ``batches``; ``n_extra``;
    ``y_is_x``: the target is the input batch itself. ``val``: ``(x_val, y_val_or_None,
    extra_val)`` or None. ``callbacks``, ``rng``, ``n_batches``.
    """

    own_loss: bool
    loss_fn: Callable | None
    arrays: tuple
    n_extra: int
    y_is_x: bool
    val: tuple | None
    callbacks: list[Callable]
    rng: np.random.Generator
    n_batches: int


def check_fit(model, x, y, *, optimizer, loss, epochs, batch_size, extra, transform,
              validation, on_epoch_end, lr_schedule, rng, seed, drop_last,
              verbose) -> FitPlan:
    """Check every argument of ``fit`` (see there); raise ``TypeError``/``ValueError``."""
    own_loss, loss_fn = resolve_loss(model, loss)
    params = check_model_params(model)
    x, y, extra, n, dtype = check_data(model, x, y, extra, own_loss, params)
    check_positive_int(epochs, "fit epochs")
    batch_size = check_positive_int(batch_size, "fit batch_size")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"fit optimizer must have a step(model) method (e.g. minae.Adam()); "
                        f"got {type(optimizer).__name__}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit verbose must be 0, 1 or 2; got {verbose!r}")
    for name, f in (("transform", transform), ("lr_schedule", lr_schedule)):
        if f is not None and not callable(f):
            raise TypeError(f"fit {name} must be callable or None; got {type(f).__name__}")
    callbacks = check_callbacks(on_epoch_end)
    check_learning_rate(optimizer, lr_schedule)
    if drop_last and n < batch_size:
        raise ValueError(f"fit: with drop_last=True and batch_size={batch_size}, the {n} "
                         "samples make no batch at all; lower batch_size")
    val = check_validation(validation, x, y, extra, own_loss, dtype)
    if rng is not None and seed is not None:
        raise ValueError("fit: give rng or seed, not both")
    rng = check_rng(rng, "fit") if rng is not None else np.random.default_rng(seed)
    arrays = (x, *extra) if y is None else (x, *extra, y)
    return FitPlan(own_loss, loss_fn, arrays, len(extra), y is None, val, callbacks, rng,
                   num_batches(n, batch_size, drop_last))


def resolve_loss(model, loss) -> tuple[bool, Callable | None]:
    """Decide between kind (a) (``(False, loss_fn)``) and kind (b) (``(True, None)``)."""
    has_own = callable(getattr(model, "loss", None))
    if isinstance(loss, str):
        if loss != AUTO:
            raise ValueError(f"fit loss must be a loss function, None or 'auto'; got {loss!r}")
        loss = None if has_own else binary_cross_entropy_with_logits
    if loss is None:
        if not has_own:
            raise TypeError(f"fit loss=None means the model computes its own loss, but "
                            f"{type(model).__name__} has no loss method; pass a loss "
                            "function, e.g. loss=minae.mse")
        if not callable(getattr(model, "backward", None)):
            raise TypeError(f"fit: {type(model).__name__} has a loss method but no backward()")
        return True, None
    if not callable(loss):
        raise TypeError(f"fit loss must be callable, None or 'auto'; got {type(loss).__name__}")
    for method in ("forward", "backward"):
        if not callable(getattr(model, method, None)):
            raise TypeError(f"fit: with a loss function the model needs forward() and "
                            f"backward(); {type(model).__name__} has no {method}()")
    return False, loss


def check_model_params(model) -> dict:
    """The model's ``params``: a non-empty dict (an optimizer has nothing to do otherwise)."""
    params = getattr(model, "params", None)
    if not isinstance(params, dict):
        raise TypeError(f"fit: the model needs a params dict for the optimizer; "
                        f"{type(model).__name__}.params is {type(params).__name__}")
    if not params:
        raise ValueError(f"fit: {type(model).__name__} has no parameters to train "
                         "(model.params is empty); add a layer with weights, e.g. Dense")
    return params


def check_learning_rate(optimizer, lr_schedule) -> None:
    """The first learning rate (``optimizer.lr``, or ``lr_schedule(0)``) must be finite, > 0."""
    if lr_schedule is not None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"fit lr_schedule sets optimizer.lr, but "
                            f"{type(optimizer).__name__} has no lr attribute")
        lr, name = lr_schedule(0), "lr_schedule(0)"
    elif hasattr(optimizer, "lr"):
        lr, name = optimizer.lr, f"the learning rate ({type(optimizer).__name__}.lr)"
    else:
        return
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        raise TypeError(f"fit: {name} must be a number; got {type(lr).__name__} {lr!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"fit: {name} must be a finite number > 0; got {lr} (a negative rate "
                         "climbs the loss, zero trains nothing)")


def check_epoch_lr(lr, epoch: int) -> float:
    """``lr_schedule(epoch)`` as a float; negative is refused (NaN is the guard's case)."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        raise TypeError(f"fit: lr_schedule({epoch}) must return a number; got "
                        f"{type(lr).__name__} {lr!r}")
    if lr < 0:
        raise ValueError(f"fit: lr_schedule({epoch}) returned {lr}; a learning rate must be "
                         ">= 0")
    return float(lr)


def check_data(model, x, y, extra, own_loss: bool, params: dict):
    """``x``, ``y`` cast to the parameters' dtype and checked finite; ``extra`` aligned."""
    dtype = next(iter(params.values())).dtype
    x = as_float_array(x, "fit x", dtype)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"fit x must hold at least one sample (N, ...); got shape {x.shape}")
    check_finite(x, "fit x")
    n = len(x)
    if y is not None:
        if own_loss:
            raise ValueError(f"fit y is not used when the model computes its own loss "
                             f"({type(model).__name__}.loss); leave y=None")
        y = as_float_array(y, "fit y", dtype)
        if y.ndim == 0 or len(y) != n:
            raise ValueError(f"fit y must have one target per sample of x: x has {n} samples, "
                             f"y has shape {y.shape}")
        check_finite(y, "fit y")
    if isinstance(extra, np.ndarray) or not isinstance(extra, (tuple, list)):
        raise TypeError(f"fit extra must be a tuple of arrays, e.g. extra=(labels,); got "
                        f"{type(extra).__name__}")
    extra = tuple(np.asarray(e) for e in extra)
    for k, e in enumerate(extra):
        if e.ndim == 0 or len(e) != n:
            raise ValueError(f"fit extra[{k}] must have one entry per sample of x: x has {n} "
                             f"samples, extra[{k}] has shape {e.shape}")
    return x, y, extra, n, dtype


def check_callbacks(on_epoch_end) -> list[Callable]:
    """``on_epoch_end`` as a list of callables."""
    if on_epoch_end is None:
        return []
    callbacks = list(on_epoch_end) if isinstance(on_epoch_end, (list, tuple)) else [on_epoch_end]
    for f in callbacks:
        if not callable(f):
            raise TypeError(f"fit on_epoch_end must be a callable or a list of callables; got "
                            f"{type(f).__name__}")
    return callbacks


def _same_samples(a: np.ndarray, like: np.ndarray, what: str, like_name: str) -> None:
    if a.shape[1:] != like.shape[1:]:
        raise ValueError(f"fit validation {what} must hold samples shaped like {like_name}'s "
                         f"{like.shape[1:]}; got shape {a.shape}. The validation set is "
                         "checked before training: pass data shaped like the training data")


def check_validation(validation, x, y, extra, own_loss: bool, dtype):
    """``(x_val, y_val_or_None, extra_val)`` or None; each shaped like its training array."""
    if validation is None:
        return None
    if isinstance(validation, np.ndarray):
        validation = (validation,)
    if not isinstance(validation, (tuple, list)):
        raise TypeError(f"fit validation must be x_val or a tuple (x_val, y_val, ...); got "
                        f"{type(validation).__name__}")
    n_extra = len(extra)
    if len(validation) not in ({1, 2} if n_extra == 0 else {2 + n_extra}):
        form = ("(x_val,) or (x_val, y_val)" if n_extra == 0
                else f"(x_val, y_val_or_None, {', '.join(['extra_val'] * n_extra)})")
        raise ValueError(f"fit validation must be {form}; got a tuple of {len(validation)}")
    xv = as_float_array(validation[0], "fit validation x_val", dtype)
    if xv.ndim == 0 or len(xv) == 0:
        raise ValueError(f"fit validation x_val must hold at least one sample; got shape "
                         f"{xv.shape}")
    _same_samples(xv, x, "x_val", "x")
    check_finite(xv, "fit validation x_val")
    yv = validation[1] if len(validation) > 1 else None
    if yv is not None:
        if own_loss:
            raise ValueError("fit validation y_val is not used when the model computes its own "
                             "loss; pass (x_val,) or (x_val, None, ...)")
        yv = as_float_array(yv, "fit validation y_val", dtype)
        if yv.ndim == 0 or len(yv) != len(xv):
            raise ValueError(f"fit validation y_val must have one target per sample: x_val "
                             f"has {len(xv)}, y_val has shape {yv.shape}")
        _same_samples(yv, x if y is None else y, "y_val", "x" if y is None else "y")
        check_finite(yv, "fit validation y_val")
    elif y is not None and not own_loss:
        _same_samples(xv, y, "x_val (the target when y_val is not given)", "y")
    ev = tuple(np.asarray(e) for e in validation[2:])
    for k, (e, e_train) in enumerate(zip(ev, extra, strict=True)):
        if e.ndim == 0 or len(e) != len(xv):
            raise ValueError(f"fit validation extra[{k}] must have one entry per sample: "
                             f"x_val has {len(xv)}, it has shape {e.shape}")
        _same_samples(e, e_train, f"extra[{k}]", f"extra[{k}]")
    return xv, yv, ev
