"""Training: the one mini-batch iterator, the ``fit`` loop, its progress line and history.

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

The numbers in the history
--------------------------
A loss with ``reduction="batch"`` is an average over the batch, so the epoch's loss is the
average of the batch values weighted by batch size: the mean loss per sample over the epoch,
for the parameters as they were *while* training (Keras reports the same). The validation
loss is computed after the epoch, in ``eval()`` mode, with the same loss.

Stopping
--------
* ``on_epoch_end(epoch, history, model)`` returning ``True`` stops training after that epoch
  (early stopping). ``epoch`` counts from 0, like ``lr_schedule(epoch)``.
* Ctrl-C stops after the current batch: a batch whose forward or backward pass was cut short is
  skipped (parameters only change in ``optimizer.step``), and a Ctrl-C that arrives during
  ``optimizer.step`` is held until the step is complete, so the parameters are never half
  updated. ``fit`` then returns the history with ``interrupted=True``, weights kept.
* A NaN or infinite training loss raises ``TrainingDivergedError`` before that batch's update.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from minae.layers.checks import as_float_array, check_finite, check_positive_int
from minae.losses import binary_cross_entropy_with_logits


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite.

    Attributes
    ----------
    epoch, batch : int
        Where it happened, counted from 1 as the progress line counts.
    value : float
        The offending loss value.
    history : History
        The epochs completed before it; the parameters are those after the last good batch.
    """

    def __init__(self, message: str, epoch: int, batch: int, value: float, history: History):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.value = value
        self.history = history


# --------------------------------------------------------------------------- mini-batches

def batches(data, batch_size: int, *, shuffle: bool = True,
            rng: np.random.Generator | None = None, drop_last: bool = False) -> Iterator:
    """Split ``data`` into mini-batches: every sample exactly once per pass.

    Parameters
    ----------
    data : int, ndarray, or tuple/list of ndarrays
        ``n`` (yield index arrays into ``range(n)``), one array ``(N, ...)`` (yield batches of
        it), or several arrays sharing the first axis ``N`` (yield tuples of batches, sliced
        with the same indices: ``for xb, yb in batches((x, y), 64, rng=rng)``).
    batch_size : int
        Samples per batch; the last batch may be smaller.
    shuffle : bool
        Visit the samples in a random order (drawn from ``rng``) instead of ``0..N-1``.
    rng : np.random.Generator, optional
        Source of the order. ``None`` means a fresh unseeded generator. The permutation is
        drawn when ``batches`` is called, so calling it again with the same generator gives
        a new order (a new epoch), and the same seed gives the same sequence of epochs.
    drop_last : bool
        Drop the last batch if it has fewer than ``batch_size`` samples.

    Returns
    -------
    iterator
        Over index arrays ``(B,)``, arrays ``(B, ...)`` or tuples of them, with
        ``B = batch_size`` except perhaps for the last batch.
    """
    batch_size = check_positive_int(batch_size, "batches batch_size")
    n, arrays = _batch_source(data)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"batches rng must be a np.random.Generator or None; got "
                        f"{type(rng).__name__} (use np.random.default_rng(seed))")
    if shuffle:
        order = (np.random.default_rng() if rng is None else rng).permutation(n)
    stop = n - n % batch_size if drop_last else n

    def generate():
        for start in range(0, stop, batch_size):
            end = min(start + batch_size, n)
            # A shuffled batch is a gather (a copy); an ordered one is a slice (a view).
            sel = order[start:end] if shuffle else slice(start, end)
            if arrays is None:
                yield sel if shuffle else np.arange(start, end)
            elif isinstance(arrays, tuple):
                yield tuple(a[sel] for a in arrays)
            else:
                yield arrays[sel]

    return generate()


def _batch_source(data) -> tuple[int, np.ndarray | tuple | None]:
    """``(N, arrays)`` for ``batches``: arrays is None (indices), one array, or a tuple."""
    if isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        if data < 0:
            raise ValueError(f"batches data: a sample count must be >= 0; got {data}")
        return int(data), None
    if isinstance(data, np.ndarray):
        if data.ndim == 0:
            raise ValueError("batches data: expected an array with a batch axis (N, ...); "
                             "got a 0-d array")
        return len(data), data
    if isinstance(data, (tuple, list)) and data:
        arrays = tuple(np.asarray(a) for a in data)
        lengths = [len(a) if a.ndim else None for a in arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = [a.shape for a in arrays]
            raise ValueError(f"batches data: the arrays must share their first axis; "
                             f"got shapes {shapes}")
        return lengths[0], arrays
    raise TypeError(f"batches data must be a sample count, an array, or a tuple of arrays; "
                    f"got {type(data).__name__}")


def _num_batches(n: int, batch_size: int, drop_last: bool) -> int:
    return n // batch_size if drop_last else -(-n // batch_size)


# --------------------------------------------------------------------------- history

@dataclass
class History:
    """What ``fit`` returns: one entry per epoch in every list.

    Attributes
    ----------
    loss : list[float]
        Mean training loss per sample of each epoch.
    val_loss : list[float]
        Validation loss after each epoch (empty without validation data; NaN for an epoch
        cut short by Ctrl-C).
    parts, val_parts : dict[str, list[float]]
        The named parts a model's own ``loss`` returns (``{"recon": [...], "kl": [...]}``).
    lr : list[float]
        The optimizer's learning rate during each epoch.
    seconds : list[float]
        Wall time of each epoch, validation included.
    samples_per_second : list[float]
        Training throughput (forward + backward + update; validation excluded).
    interrupted : bool
        Ctrl-C stopped training. The last entry then covers only the batches finished.
    stopped_early : bool
        ``on_epoch_end`` returned True.

    Plot it with ``plt.plot(h.loss); plt.plot(h.val_loss)``, or every curve at once with
    ``for name, ys in h.as_dict().items(): plt.plot(ys, label=name)``.
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)
    val_parts: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    samples_per_second: list[float] = field(default_factory=list)
    interrupted: bool = False
    stopped_early: bool = False

    def __len__(self) -> int:
        """The number of epochs recorded."""
        return len(self.loss)

    def as_dict(self) -> dict[str, list[float]]:
        """Every per-epoch curve under a flat name: ``loss``, ``val_loss``, ``kl``, ``val_kl``..."""
        out = {"loss": self.loss}
        if self.val_loss:
            out["val_loss"] = self.val_loss
        out.update(self.parts)
        out.update({f"val_{k}": v for k, v in self.val_parts.items()})
        out.update(lr=self.lr, seconds=self.seconds, samples_per_second=self.samples_per_second)
        return out

    def _append(self, loss: float, parts: dict, val: tuple[float, dict] | None,
                has_validation: bool, lr: float, seconds: float, rate: float) -> None:
        epoch = len(self.loss)
        self.loss.append(loss)
        if has_validation:
            self.val_loss.append(val[0] if val is not None else math.nan)
        _append_parts(self.parts, parts, epoch)
        if has_validation:
            _append_parts(self.val_parts, val[1] if val is not None else {}, epoch)
        self.lr.append(lr)
        self.seconds.append(seconds)
        self.samples_per_second.append(rate)


def _append_parts(store: dict[str, list[float]], parts: dict[str, float], epoch: int) -> None:
    """Append one epoch's parts; a part missing this epoch (or before) is NaN there."""
    for name in parts:
        store.setdefault(name, [math.nan] * epoch)
    for name, values in store.items():
        values.append(parts.get(name, math.nan))


class _Mean:
    """Sample-weighted running mean of batch losses and of their named parts."""

    def __init__(self) -> None:
        self.samples = 0
        self.batches = 0
        self.total = 0.0
        self.part_totals: dict[str, float] = {}
        self.part_samples: dict[str, int] = {}

    def add(self, value: float, parts: dict[str, float], n: int) -> None:
        self.samples += n
        self.batches += 1
        self.total += value * n
        for name, v in parts.items():
            self.part_totals[name] = self.part_totals.get(name, 0.0) + v * n
            self.part_samples[name] = self.part_samples.get(name, 0) + n

    @property
    def value(self) -> float:
        return self.total / self.samples if self.samples else math.nan

    def parts(self) -> dict[str, float]:
        return {k: t / self.part_samples[k] for k, t in self.part_totals.items()}


# --------------------------------------------------------------------------- progress line

def _fmt(v: float) -> str:
    return f"{v:.4f}" if abs(v) >= 0.01 or v == 0 else f"{v:.3e}"


def _fmt_time(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


class _Progress:
    """Prints the progress of ``fit``.

    On a terminal (``verbose=1``) one line per epoch, redrawn with ``\\r`` during the epoch at
    most ten times a second; elsewhere (a file, a notebook's captured stream, ``verbose=2``)
    one line at the end of each epoch; nothing with ``verbose=0``.
    """

    def __init__(self, verbose: int, file, epochs: int, n_batches: int) -> None:
        self.file = sys.stdout if file is None else file
        self.on = verbose > 0
        isatty = getattr(self.file, "isatty", None)
        self.live = verbose == 1 and callable(isatty) and bool(isatty())
        self.epochs, self.n_batches = epochs, n_batches
        self.width = 0          # length of the line being redrawn (to blank leftovers)
        self.last_draw = -1.0

    def _write(self, text: str) -> None:
        self.file.write(text)
        self.file.flush()

    def batch(self, epoch: int, i: int, mean: _Mean, elapsed: float) -> None:
        now = time.perf_counter()
        if not self.live or (now - self.last_draw < 0.1 and 0 < i < self.n_batches - 1):
            return
        self.last_draw = now
        rate = mean.samples / elapsed if elapsed > 0 else math.nan
        eta = elapsed / (i + 1) * (self.n_batches - i - 1)
        width = len(str(self.n_batches))
        line = (f"epoch {epoch + 1}/{self.epochs}  batch {i + 1:>{width}}/{self.n_batches}  "
                f"loss {_fmt(mean.value)}  {rate:,.0f} samples/s  ETA {_fmt_time(eta)}")
        self._write("\r" + line.ljust(self.width))
        self.width = len(line)

    def epoch_end(self, epoch: int, history: History) -> None:
        if not self.on:
            return
        items = [f"loss {_fmt(history.loss[-1])}"]
        if history.val_loss:
            items.append(f"val_loss {_fmt(history.val_loss[-1])}")
        items += [f"{k} {_fmt(v[-1])}" for k, v in history.parts.items()]
        items += [f"val_{k} {_fmt(v[-1])}" for k, v in history.val_parts.items()]
        items += [_fmt_time(history.seconds[-1]),
                  f"{history.samples_per_second[-1]:,.0f} samples/s"]
        self.message(f"epoch {epoch + 1}/{self.epochs}  " + "  ".join(items))

    def message(self, text: str) -> None:
        if not self.on:
            return
        if self.live and self.width:
            self._write("\r" + text.ljust(self.width) + "\n")
        else:
            self._write(text + "\n")
        self.width = 0


# --------------------------------------------------------------------------- Ctrl-C

class _HoldCtrlC:
    """While active, a Ctrl-C (SIGINT) is remembered in ``pending`` instead of raised.

    Wrapped around ``optimizer.step`` so that an update is always applied to all parameters
    or to none. Signal handlers can only be set from the main thread; elsewhere it does
    nothing (and Ctrl-C does not reach other threads anyway).
    """

    def __init__(self) -> None:
        self.pending = False
        self._installed = False
        self._previous = None

    def __enter__(self) -> _HoldCtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._hold)
            self._installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self._installed:
            previous = signal.SIG_DFL if self._previous is None else self._previous
            signal.signal(signal.SIGINT, previous)
            self._installed = False

    def _hold(self, signum, frame) -> None:
        self.pending = True


# --------------------------------------------------------------------------- fit

_AUTO = "auto"


def fit(model, x, y=None, *, optimizer, loss=_AUTO, epochs: int = 1, batch_size: int = 128,
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
        ``backward()`` (see the module docstring). ``params`` / ``grads`` for the optimizer;
        ``train()`` / ``eval()`` are used when present.
    x : float array (N, ...)
        The inputs. Cast once to the dtype of the model's parameters.
    y : float array (N, ...), optional
        The targets for kind (a); ``None`` means ``y = x`` (an autoencoder). Not allowed
        with kind (b), whose model knows its own target.
    optimizer : Optimizer
        Anything with ``step(model)`` (and ``lr``, if ``lr_schedule`` is given).
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
        ``(x_val, y_val_or_None, *extra_val)``. Evaluated after each epoch in ``eval()`` mode
        with the same loss (no ``transform``: pass noisy ``x_val`` and clean ``y_val`` for a
        denoiser).
    on_epoch_end : callable or list of callables, optional
        ``f(epoch, history, model)``, called after each epoch (``epoch`` from 0; ``history``
        already holds that epoch). Returning ``True`` stops training (early stopping).
        For KL warm-up, schedules, checkpoints.
    lr_schedule : callable, optional
        ``lr_schedule(epoch) -> lr``, set as ``optimizer.lr`` before each epoch (``epoch``
        from 0): ``minae.optim.StepLR``, ``CosineLR``, or any function.
    rng, seed : optional
        The generator for shuffling and for ``transform`` (give one or the other; neither
        means a fresh unseeded generator).
    shuffle, drop_last : bool
        Passed to ``batches``.
    verbose : 0, 1 or 2
        0 silent; 1 one line per epoch, redrawn during the epoch on a terminal; 2 one line per
        epoch, never redrawn.
    file : text stream, optional
        Where progress goes; default ``sys.stdout``.

    Returns
    -------
    History
        Per-epoch losses, parts, learning rates and timings; ``interrupted`` after Ctrl-C,
        ``stopped_early`` after a callback returned True.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, before any training.
    TrainingDivergedError
        The training loss became NaN or inf (epoch and batch in the message).
    """
    own_loss, loss_fn = _resolve_loss(model, loss)
    x, y, extra, n, dtype = _check_data(model, x, y, extra, own_loss)
    epochs = check_positive_int(epochs, "fit epochs")
    batch_size = check_positive_int(batch_size, "fit batch_size")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"fit optimizer must have a step(model) method (e.g. minae.Adam()); "
                        f"got {type(optimizer).__name__}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit verbose must be 0, 1 or 2; got {verbose!r}")
    for name, f in (("transform", transform), ("lr_schedule", lr_schedule)):
        if f is not None and not callable(f):
            raise TypeError(f"fit {name} must be callable or None; got {type(f).__name__}")
    callbacks = _check_callbacks(on_epoch_end)
    if lr_schedule is not None and not hasattr(optimizer, "lr"):
        raise TypeError(f"fit lr_schedule sets optimizer.lr, but {type(optimizer).__name__} "
                        "has no lr attribute")
    if drop_last and n < batch_size:
        raise ValueError(f"fit: with drop_last=True and batch_size={batch_size}, the {n} "
                         "samples make no batch at all; lower batch_size")
    val = _check_validation(validation, len(extra), own_loss, dtype)
    if rng is not None and seed is not None:
        raise ValueError("fit: give rng or seed, not both")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"fit rng must be a np.random.Generator; got {type(rng).__name__}")
    rng = rng if rng is not None else np.random.default_rng(seed)

    def batch_loss(xb, yb, eb) -> tuple[float, dict, np.ndarray | None]:
        """Forward pass and loss of one batch: ``(value, parts, grad)``."""
        if own_loss:
            value, parts = _split_result(model.loss(xb, *eb), type(model).__name__)
            return value, parts, None
        value, grad = loss_fn(model.forward(xb, *eb), yb)
        return float(value), {}, grad

    n_batches = _num_batches(n, batch_size, drop_last)
    progress = _Progress(verbose, file, epochs, n_batches)
    history = History()
    hold = _HoldCtrlC()
    was_training = getattr(model, "training", True)
    arrays = (x, *extra) if y is None else (x, *extra, y)
    n_extra = len(extra)
    epoch, mean, recorded, start = 0, _Mean(), True, time.perf_counter()
    _set_mode(model, training=True)
    try:
        for epoch in range(epochs):
            if lr_schedule is not None:
                optimizer.lr = float(lr_schedule(epoch))
            mean, recorded = _Mean(), False
            start = time.perf_counter()
            for i, b in enumerate(batches(arrays, batch_size, shuffle=shuffle, rng=rng,
                                          drop_last=drop_last)):
                xb, eb = b[0], b[1:1 + n_extra]
                yb = xb if y is None else b[-1]
                x_in = xb if transform is None else transform(xb, rng)
                value, parts, grad = batch_loss(x_in, yb, eb)
                if not math.isfinite(value):
                    raise TrainingDivergedError(
                        f"the training loss became {value} at epoch {epoch + 1}, batch "
                        f"{i + 1}/{n_batches}; training stopped before that batch's update. "
                        f"Try a lower learning rate (it is {getattr(optimizer, 'lr', '?')}), "
                        "or check the data and the model's output layer.",
                        epoch + 1, i + 1, value, history)
                if own_loss:
                    model.backward()
                else:
                    model.backward(grad)
                with hold:  # a Ctrl-C here waits until every parameter is updated
                    optimizer.step(model)
                mean.add(value, parts, len(xb))
                progress.batch(epoch, i, mean, time.perf_counter() - start)
                if hold.pending:
                    raise KeyboardInterrupt
            train_seconds = time.perf_counter() - start
            val_result = None
            if val is not None:
                val_result = _evaluate(model, batch_loss, *val, batch_size)
            history._append(mean.value, mean.parts(), val_result, val is not None,
                            getattr(optimizer, "lr", math.nan), time.perf_counter() - start,
                            mean.samples / train_seconds if train_seconds > 0 else math.nan)
            recorded = True
            progress.epoch_end(epoch, history)
            stop = [bool(f(epoch, history, model)) for f in callbacks]
            if any(stop):
                history.stopped_early = True
                progress.message(f"stopped by on_epoch_end after epoch {epoch + 1}")
                break
    except KeyboardInterrupt:
        history.interrupted = True
        if not recorded and mean.batches:  # the epoch cut short: record the batches done
            seconds = time.perf_counter() - start
            history._append(mean.value, mean.parts(), None, val is not None,
                            getattr(optimizer, "lr", math.nan), seconds, mean.samples / seconds)
        where = (f"during epoch {epoch + 1}, after batch {mean.batches}/{n_batches}"
                 if not recorded else f"after epoch {len(history)}")
        progress.message(f"interrupted {where}: training stopped, the weights keep every "
                         "update finished so far")
    finally:
        _set_mode(model, training=was_training)
    return history


def _resolve_loss(model, loss) -> tuple[bool, Callable | None]:
    """Decide between kind (a) (``(False, loss_fn)``) and kind (b) (``(True, None)``)."""
    has_own = callable(getattr(model, "loss", None))
    if isinstance(loss, str):
        if loss != _AUTO:
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


def _model_dtype(model):
    params = getattr(model, "params", None)
    if params:
        return next(iter(params.values())).dtype
    return None


def _check_data(model, x, y, extra, own_loss):
    dtype = _model_dtype(model)
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


def _check_callbacks(on_epoch_end) -> list[Callable]:
    if on_epoch_end is None:
        return []
    callbacks = list(on_epoch_end) if isinstance(on_epoch_end, (list, tuple)) else [on_epoch_end]
    for f in callbacks:
        if not callable(f):
            raise TypeError(f"fit on_epoch_end must be a callable or a list of callables; got "
                            f"{type(f).__name__}")
    return callbacks


def _check_validation(validation, n_extra: int, own_loss: bool, dtype):
    """Return ``(x_val, y_val_or_None, extra_val)`` or None."""
    if validation is None:
        return None
    if isinstance(validation, np.ndarray):
        validation = (validation,)
    if not isinstance(validation, (tuple, list)):
        raise TypeError(f"fit validation must be x_val or a tuple (x_val, y_val, ...); got "
                        f"{type(validation).__name__}")
    expected = {1, 2} if n_extra == 0 else {2 + n_extra}
    if len(validation) not in expected:
        form = ("(x_val,) or (x_val, y_val)" if n_extra == 0
                else f"(x_val, y_val_or_None, {', '.join(['extra_val'] * n_extra)})")
        raise ValueError(f"fit validation must be {form}; got a tuple of {len(validation)}")
    xv = as_float_array(validation[0], "fit validation x_val", dtype)
    if xv.ndim == 0 or len(xv) == 0:
        raise ValueError(f"fit validation x_val must hold at least one sample; got shape "
                         f"{xv.shape}")
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
        check_finite(yv, "fit validation y_val")
    ev = tuple(np.asarray(e) for e in validation[2:])
    for k, e in enumerate(ev):
        if e.ndim == 0 or len(e) != len(xv):
            raise ValueError(f"fit validation extra[{k}] must have one entry per sample: "
                             f"x_val has {len(xv)}, it has shape {e.shape}")
    return xv, yv, ev


def _split_result(result, model_name: str) -> tuple[float, dict[str, float]]:
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


def _set_mode(model, training: bool) -> None:
    method = getattr(model, "train" if training else "eval", None)
    if callable(method):
        method()


def _evaluate(model, batch_loss, xv, yv, ev, batch_size) -> tuple[float, dict[str, float]]:
    """Mean validation loss and parts, in eval mode, without updating anything."""
    mean = _Mean()
    _set_mode(model, training=False)
    try:
        arrays = (xv, *ev) if yv is None else (xv, *ev, yv)
        for b in batches(arrays, batch_size, shuffle=False):
            xb, eb = b[0], b[1:1 + len(ev)]
            value, parts, _ = batch_loss(xb, xb if yv is None else b[-1], eb)
            mean.add(value, parts, len(xb))
    finally:
        _set_mode(model, training=True)
    return mean.value, mean.parts()
