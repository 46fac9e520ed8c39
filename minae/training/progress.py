"""How ``fit`` shows its progress: on a terminal, in a notebook, and in a log file.

Three places, one line of text per epoch in each:

* **a terminal** (``verbose=1`` and the stream is a tty): the current epoch's line is redrawn
  in place with ``\\r`` (batch, running loss, samples per second, time left), at most ten
  times a second; at the end of the epoch it becomes that epoch's summary line.
* **a Jupyter notebook** (``verbose=1``, the default stream, and a kernel running): the same
  line, redrawn in place in the cell's output through ``IPython.display`` (a ``\\r`` does not
  redraw there); the cell keeps one line per epoch. The kernel is detected without importing
  IPython: only when ``IPython`` is already in ``sys.modules`` (a kernel imports it first) is
  it asked whether a kernel is running.
* **anything else** (a file, a pipe, captured output, or ``verbose=2``): one line at the end of
  each epoch, never redrawn.

``verbose=0`` shows nothing.
"""

from __future__ import annotations

import math
import sys
import time

from minae.training.history import History, RunningMean

REDRAW_SECONDS = 0.1  # at most ten redraws a second


def format_value(v: float) -> str:
    """A loss for a progress line: 4 decimals, or 4 significant digits when small."""
    return f"{v:.4f}" if abs(v) >= 0.01 or v == 0 else f"{v:.3e}"


def format_time(seconds: float) -> str:
    """``850ms``, ``12.3s``, ``4m05s``, ``2h03m``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


def running_kernel() -> bool:
    """True inside a Jupyter (IPython) kernel; never imports IPython itself."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return getattr(shell, "kernel", None) is not None


class NotebookLines:
    """The lines of one ``fit`` in a notebook cell: one display, updated in place.

    ``show(done, current)`` displays the finished lines and, below them, the line being
    redrawn (``""`` for none). IPython is imported here only, and only inside a kernel.
    """

    def __init__(self) -> None:
        from IPython.display import display

        self.handle = display({"text/plain": ""}, raw=True, display_id=True)

    def show(self, done: list[str], current: str) -> None:
        text = "\n".join(done + ([current] if current else []))
        self.handle.update({"text/plain": text}, raw=True)


class Progress:
    """Prints the progress of ``fit``: ``batch`` during an epoch, ``epoch_end`` after it,
    ``message`` for a line of its own (interrupted, stopped early)."""

    def __init__(self, verbose: int, file, epochs: int, n_batches: int) -> None:
        self.on = verbose > 0
        self.notebook = None
        if self.on and verbose == 1 and file is None and running_kernel():
            self.notebook = NotebookLines()
        self.file = sys.stdout if file is None else file
        isatty = getattr(self.file, "isatty", None)
        self.tty = verbose == 1 and self.notebook is None and callable(isatty) and bool(isatty())
        self.epochs, self.n_batches = epochs, n_batches
        self.done: list[str] = []    # the notebook's finished lines
        self.width = 0               # length of the terminal line being redrawn
        self.last_draw = -math.inf

    def batch(self, epoch: int, i: int, mean: RunningMean, elapsed: float) -> None:
        """After batch ``i`` (from 0) of ``epoch`` (from 0): redraw the live line if due."""
        now = time.perf_counter()
        live = self.tty or self.notebook is not None
        last = i == self.n_batches - 1
        if not live or (now - self.last_draw < REDRAW_SECONDS and 0 < i and not last):
            return
        self.last_draw = now
        rate = mean.samples / elapsed if elapsed > 0 else math.nan
        eta = elapsed / (i + 1) * (self.n_batches - i - 1)
        width = len(str(self.n_batches))
        self._redraw(f"epoch {epoch + 1}/{self.epochs}  batch {i + 1:>{width}}/"
                     f"{self.n_batches}  loss {format_value(mean.value)}  "
                     f"{rate:,.0f} samples/s  ETA {format_time(eta)}")

    def epoch_end(self, epoch: int, history: History) -> None:
        """The summary line of the epoch just recorded in ``history``."""
        items = [f"loss {format_value(history.loss[-1])}"]
        if history.val_loss:
            items.append(f"val_loss {format_value(history.val_loss[-1])}")
        items += [f"{k} {format_value(v[-1])}" for k, v in history.parts.items()]
        items += [f"val_{k} {format_value(v[-1])}" for k, v in history.val_parts.items()]
        items += [format_time(history.seconds[-1]),
                  f"{history.samples_per_second[-1]:,.0f} samples/s"]
        self.message(f"epoch {epoch + 1}/{self.epochs}  " + "  ".join(items))

    def message(self, text: str) -> None:
        """A finished line: replaces the live line (if any) and stays."""
        if not self.on:
            return
        if self.notebook is not None:
            self.done.append(text)
            self.notebook.show(self.done, "")
        elif self.tty and self.width:
            self._write("\r" + text.ljust(self.width) + "\n")
        else:
            self._write(text + "\n")
        self.width = 0

    def _redraw(self, line: str) -> None:
        if self.notebook is not None:
            self.notebook.show(self.done, line)
            return
        self._write("\r" + line.ljust(self.width))
        self.width = len(line)

    def _write(self, text: str) -> None:
        self.file.write(text)
        self.file.flush()
