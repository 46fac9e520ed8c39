"""The fast roads of the convolution, as an engine object a model opts into.

Without an engine every ``Conv2D`` / ``ConvTranspose2D`` runs the taught im2col passes of
``minae.kernels.conv``. One visible line switches a model to the fast roads::

    model.use_engine(FastEngine())

and training can run a model's convolutions, ReLUs and max pools fused, on that engine
(``minae.engine.fused``)::

    fit(Fused(model), x, ...)
"""

from minae.engine.fast import FastEngine
from minae.engine.fused import Fused

__all__ = ["FastEngine", "Fused"]
