"""The fast roads of the convolution, as an engine object a model opts into.

Without an engine every ``Conv2D`` / ``ConvTranspose2D`` runs the taught im2col passes of
``minae.kernels.conv``. One visible line switches a model to the fast roads::

    model.use_engine(FastEngine())

and training can run a model's convolutions, ReLUs and max pools fused, on that engine
(``minae.engine.fused``)::

    fit(Fused(model), x, ...)

and on every core, each batch split between this process and worker processes
(``minae.engine.processes``)::

    with SplitProcesses(Fused(model)) as split:
        fit(split, x, ...)

and ``FastAdam`` is ``minae.optim.Adam`` (bitwise) a cache-sized piece at a time
(``minae.engine.adam``).
"""

from minae.engine.adam import FastAdam
from minae.engine.fast import FastEngine
from minae.engine.fused import Fused
from minae.engine.processes import SplitProcesses

__all__ = ["FastAdam", "FastEngine", "Fused", "SplitProcesses"]
