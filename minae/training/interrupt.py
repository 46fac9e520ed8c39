"""Ctrl-C during ``fit``: stop after the current batch, never in the middle of an update.

Parameters only change in ``optimizer.step``. So a Ctrl-C that arrives during a forward or
backward pass simply abandons that batch (its gradients are never used), and one that arrives
during ``optimizer.step`` is *held* until the step is complete: every parameter gets the
update, or none does. ``fit`` then records the batches finished and returns the history with
``interrupted=True``.
"""

from __future__ import annotations

import signal
import threading


class HoldCtrlC:
    """While active, a Ctrl-C (SIGINT) is remembered in ``pending`` instead of raised.

    Wrapped around ``optimizer.step`` so that an update is always applied to all parameters
    or to none; the loop raises ``KeyboardInterrupt`` itself once the step is done. Signal
    handlers can only be set from the main thread; elsewhere it does nothing (and Ctrl-C does
    not reach other threads anyway).
    """

    def __init__(self) -> None:
        self.pending = False
        self._installed = False
        self._previous = None

    def __enter__(self) -> HoldCtrlC:
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


def interrupted_message(epoch: int, batches_done: int, n_batches: int,
                        epoch_recorded: bool, epochs_recorded: int) -> str:
    """The one line ``fit`` prints after a Ctrl-C (``epoch`` from 0)."""
    where = (f"during epoch {epoch + 1}, after batch {batches_done}/{n_batches}"
             if not epoch_recorded else f"after epoch {epochs_recorded}")
    return (f"interrupted {where}: training stopped, the weights keep every update finished "
            "so far")
