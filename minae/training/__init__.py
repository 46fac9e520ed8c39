"""Training: the mini-batch iterator, the ``fit`` loop, and what surrounds it.

Read ``loop.py`` first: ``fit`` in one screen. Around it, one idea per file:

* ``batches.py``   the one mini-batch iterator (every sample once per pass);
* ``checks.py``    ``fit``'s argument checks, all before the first batch;
* ``guard.py``     the divergence guard: no update from a non-finite loss, gradient or
                   learning rate (``TrainingDivergedError``);
* ``interrupt.py`` Ctrl-C stops after the current batch, never mid-update;
* ``progress.py``  the progress line on a terminal, in a notebook, in a log;
* ``history.py``   what ``fit`` returns (``History``).
"""

from minae.training.batches import batches, num_batches
from minae.training.guard import TrainingDivergedError
from minae.training.history import History, RunningMean
from minae.training.loop import fit

__all__ = ["History", "RunningMean", "TrainingDivergedError", "batches", "fit", "num_batches"]
