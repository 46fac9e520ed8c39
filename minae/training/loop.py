"""The training loop: ``fit``, one screen, top to bottom.

One training step, for every kind of model
------------------------------------------
``fit`` runs, for each mini-batch, one of two steps. Which one depends on ``loss``:

(a) the model maps an input to an output and ``fit`` applies a loss function
    (autoencoders; ``loss=binary_cross_entropy_with_logits`` unless told otherwise)::

        out = model.forward(x_in, *extra_b)
        value, grad = loss(out, target)          # target = y_b, or the clean x_b when y is None
        model.backward(grad)
        optimizer.step(model)

(b) the model computes its own loss and gradients (the VAE: reconstruction + KL)::

        result = model.loss(x_in, *extra_b)     # a float, or (float, {"recon": .., "kl": ..})
        model.backward()                        # no argument: the model knows its loss
        optimizer.step(model)

    This is used when ``loss=None``, or when ``loss`` is left at ``"auto"`` and the model has
    a ``loss`` method. The named parts are averaged over the epoch into the history too.

``x_in`` is the batch ``x_b`` itself, or ``transform(x_b, rng)`` when a per-batch
``transform`` is given (denoising: fresh noise every time a sample is seen, while the target
stays the clean ``x_b``). ``extra`` holds further per-sample arrays (class labels for a
conditional VAE) that are sliced with the same indices and passed after the input.

Around the step: the arguments are checked before anything trains (``checks.py``), the loss,
the gradients and the learning rate are checked finite before the update (``guard.py``), a
Ctrl-C waits for the update to finish (``interrupt.py``), and the progress line is drawn
(``progress.py``). The numbers recorded are described in ``history.py``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from minae.training import guard
from minae.training.batches import batches
from minae.training.checks import AUTO, FitPlan, check_epoch_lr, check_fit
from minae.training.history import History, RunningMean
from minae.training.interrupt import HoldCtrlC, interrupted_message
from minae.training.progress import Progress


def fit(model, x, y=None, *, optimizer, loss=AUTO, epochs: int = 1, batch_size: int = 128,
        extra: Sequence[np.ndarray] = (), transform: Callable | None = None,
        validation=None, on_epoch_end: Callable | Sequence[Callable] | None = None,
        lr_schedule: Callable[[int], float] | None = None,
        rng: np.random.Generator | None = None, seed: int | None = None,
        shuffle: bool = True, drop_last: bool = False, verbose: int = 1,
        file=None) -> History:
    """Train ``model`` with mini-batches of ``x`` for ``epochs`` passes; return the history.

    Parameters
    ----------
    model : Layer-like
        (a) ``forward(x, *extra)`` / ``backward(grad)``, or (b) ``loss(x, *extra)`` /
        ``backward()`` (see the module docstring). A non-empty ``params`` dict and ``grads``
        for the optimizer; ``train()`` / ``eval()`` are used when present.
    x : float array (N, ...)
        The inputs. Cast once to the dtype of the model's parameters.
    y : float array (N, ...), optional
        The targets for kind (a); ``None`` means ``y = x`` (an autoencoder). Not allowed
        with kind (b), whose model knows its own target.
    optimizer : Optimizer
        Anything with ``step(model)`` (and ``lr``, if ``lr_schedule`` is given). Its
        learning rate must be a finite number > 0.
    loss : callable, None or "auto"
        ``loss(out, target) -> (value, grad)`` for kind (a); ``None`` for kind (b);
        ``"auto"`` (default): kind (b) if the model has a ``loss`` method, otherwise kind (a)
        with ``binary_cross_entropy_with_logits``.
    epochs, batch_size : int
        Positive integers.
    extra : tuple of arrays (N, ...)
        Per-sample arrays (e.g. labels) passed after the input: ``model.loss(xb, *extra_b)``
        or ``model.forward(xb, *extra_b)``. Any dtype.
    transform : callable, optional
        ``transform(x_b, rng) -> x_in``, applied to each training batch's input only (not to
        the target, not to validation data), with ``fit``'s generator.
    validation : array, or tuple
        ``x_val``, ``(x_val,)``, ``(x_val, y_val)``; with ``extra``, also the extra arrays:
        ``(x_val, y_val_or_None, *extra_val)``, each shaped like its training array (checked
        before training). Evaluated after each epoch in ``eval()`` mode with the same loss
        (no ``transform``: pass noisy ``x_val`` and clean ``y_val`` for a denoiser).
    on_epoch_end : callable or list of callables, optional
        ``f(epoch, history, model)``, called after each epoch (``epoch`` from 0; ``history``
        already holds that epoch). Returning ``True`` stops training (early stopping).
    lr_schedule : callable, optional
        ``lr_schedule(epoch) -> lr``, set as ``optimizer.lr`` before each epoch (``epoch``
        from 0): ``minae.optim.StepLR``, ``CosineLR``, or any function. ``lr_schedule(0)``
        must be > 0; later values >= 0.
    rng, seed : optional
        The generator for shuffling and for ``transform`` (give one or the other; neither
        means a fresh unseeded generator).
    shuffle, drop_last : bool
        Passed to ``batches``.
    verbose : 0, 1 or 2
        0 silent; 1 one line per epoch, redrawn during the epoch on a terminal or in a
        notebook; 2 one line per epoch, never redrawn.
    file : text stream, optional
        Where progress goes; default ``sys.stdout`` (or the notebook cell, in a kernel).

    Returns
    -------
    History
        Per-epoch losses, parts, learning rates and timings; ``interrupted`` after Ctrl-C
        (training stops after the current batch, the finished updates kept),
        ``stopped_early`` after a callback returned True.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, before any training.
    TrainingDivergedError
        A batch's output, its loss, one of its gradients, or the learning rate was NaN or
        infinite (epoch, batch and what in the message). It is raised before that batch's update,
        so what is kept is exactly the state after the last good batch: every parameter
        array, the optimizer's state (its moments and step count) and ``err.history`` (the
        epochs completed). Only an update that itself overflows (finite numbers whose step
        leaves the float range) is detected after it is applied, and then said so.
    """
    plan = check_fit(model, x, y, optimizer=optimizer, loss=loss, epochs=epochs,
                     batch_size=batch_size, extra=extra, transform=transform,
                     validation=validation, on_epoch_end=on_epoch_end,
                     lr_schedule=lr_schedule, rng=rng, seed=seed, drop_last=drop_last,
                     verbose=verbose)
    rng, n_batches = plan.rng, plan.n_batches
    history, hold = History(), HoldCtrlC()
    progress = Progress(verbose, file, epochs, n_batches)
    was_training = getattr(model, "training", True)
    epoch, mean, recorded, start = 0, RunningMean(), True, time.perf_counter()
    set_mode(model, training=True)
    try:
        for epoch in range(epochs):
            set_epoch_lr(optimizer, lr_schedule, epoch, n_batches, history)
            mean, recorded, start = RunningMean(), False, time.perf_counter()
            for i, b in enumerate(batches(plan.arrays, batch_size, shuffle=shuffle, rng=rng,
                                          drop_last=drop_last)):
                xb, eb = b[0], b[1:1 + plan.n_extra]
                yb = xb if plan.y_is_x else b[-1]
                x_in = xb if transform is None else transform(xb, rng)
                where = (epoch + 1, i + 1, n_batches)
                value, parts, grad = batch_loss(model, plan, x_in, yb, eb, where, history,
                                                learning_rate(optimizer))
                guard.check_loss(value, where, learning_rate(optimizer), history)
                model.backward() if plan.own_loss else model.backward(grad)
                guard.check_step(model.grads, learning_rate(optimizer), value, where, history)
                with hold:  # a Ctrl-C here waits until every parameter is updated
                    optimizer.step(model)
                guard.check_params(model.params, learning_rate(optimizer), value, where,
                                   history)
                mean.add(value, parts, len(xb))
                progress.batch(epoch, i, mean, time.perf_counter() - start)
                if hold.pending:
                    raise KeyboardInterrupt
            train_seconds = time.perf_counter() - start
            val = None if plan.val is None else evaluate(model, plan, batch_size)
            history.record(mean, val, plan.val is not None, learning_rate(optimizer, math.nan),
                           time.perf_counter() - start, train_seconds)
            recorded = True
            progress.epoch_end(epoch, history)
            if any([bool(f(epoch, history, model)) for f in plan.callbacks]):
                history.stopped_early = True
                progress.message(f"stopped by on_epoch_end after epoch {epoch + 1}")
                break
    except KeyboardInterrupt:
        history.interrupted = True
        if not recorded and mean.batches:  # the epoch cut short: record the batches done
            seconds = time.perf_counter() - start
            history.record(mean, None, plan.val is not None, learning_rate(optimizer, math.nan),
                           seconds, seconds)
        progress.message(interrupted_message(epoch, mean.batches, n_batches, recorded,
                                             len(history)))
    finally:
        set_mode(model, training=was_training)
    return history


def batch_loss(model, plan: FitPlan, xb, yb, eb, where=None, history=None,
               lr=None) -> tuple[float, dict, np.ndarray | None]:
    """Forward pass and loss of one batch: ``(value, parts, grad)`` (grad None for kind (b)).

    With ``where`` (a training batch), a non-finite output raises ``TrainingDivergedError``
    (``guard.check_output``): before the loss function for kind (a); for kind (b), when the
    model's own loss refused its numbers, by looking at ``model.forward``'s output.
    """
    if plan.own_loss:
        try:
            result = model.loss(xb, *eb)
        except ValueError as e:
            if where is not None and callable(getattr(model, "forward", None)):
                guard.check_output(model.forward(xb, *eb), where, lr, history, cause=e)
            raise
        value, parts = split_result(result, type(model).__name__)
        return value, parts, None
    out = model.forward(xb, *eb)
    if where is not None:
        guard.check_output(out, where, lr, history)
    value, grad = plan.loss_fn(out, yb)
    return float(value), {}, grad


def learning_rate(optimizer, default=None):
    """``optimizer.lr``, or ``default`` for an optimizer without one."""
    return getattr(optimizer, "lr", default)


def set_epoch_lr(optimizer, lr_schedule, epoch: int, n_batches: int, history: History) -> None:
    """Set ``optimizer.lr = lr_schedule(epoch)``; a NaN or inf is refused before it is set."""
    if lr_schedule is None:
        return
    lr = check_epoch_lr(lr_schedule(epoch), epoch)
    if not math.isfinite(lr):
        raise guard.TrainingDivergedError(
            f"training diverged at epoch {epoch + 1}, batch 1/{n_batches}: lr_schedule({epoch}) "
            f"returned {lr}; training stopped before that epoch, the parameters are those "
            "after the last good batch and optimizer.lr is unchanged", epoch + 1, 1, math.nan,
            history, "learning rate")
    optimizer.lr = lr


def split_result(result, model_name: str) -> tuple[float, dict[str, float]]:
    """``model.loss`` returns a float or ``(float, {name: float})``."""
    if isinstance(result, tuple):
        if len(result) != 2 or not isinstance(result[1], dict):
            raise TypeError(f"{model_name}.loss must return a float or (float, dict of named "
                            f"parts); got a tuple of {len(result)}")
        value, parts = result
        return float(value), {str(k): float(v) for k, v in parts.items()}
    try:
        return float(result), {}
    except (TypeError, ValueError):
        raise TypeError(f"{model_name}.loss must return a float or (float, dict of named parts); "
                        f"got {type(result).__name__}") from None


def set_mode(model, training: bool) -> None:
    """``model.train()`` or ``model.eval()``, when the model has them."""
    method = getattr(model, "train" if training else "eval", None)
    if callable(method):
        method()


def evaluate(model, plan: FitPlan, batch_size: int) -> tuple[float, dict[str, float]]:
    """Mean validation loss and parts, in eval mode, without updating anything."""
    xv, yv, ev = plan.val
    mean = RunningMean()
    set_mode(model, training=False)
    try:
        arrays = (xv, *ev) if yv is None else (xv, *ev, yv)
        for b in batches(arrays, batch_size, shuffle=False):
            xb, eb = b[0], b[1:1 + len(ev)]
            value, parts, _ = batch_loss(model, plan, xb, xb if yv is None else b[-1], eb)
            mean.add(value, parts, len(xb))
    finally:
        set_mode(model, training=True)
    return mean.value, mean.parts()
