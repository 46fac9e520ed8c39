"""minae -> PyTorch and back: the same model, the same weights, the same numbers.

minae already uses PyTorch's layouts (images ``(N, C, H, W)``, ``Conv2D.W: (out, in, kh, kw)``,
``ConvTranspose2D.W: (in, out, kh, kw)``), so every minae model has an exact PyTorch twin::

    from minae.torch_bridge import compare, from_torch, report, to_torch

    module = to_torch(model)          # a torch.nn.Module: same architecture, copied weights
    ...                               # train it with torch.optim.Adam
    from_torch(module, model)         # copy the trained weights back into the minae model
    print(report(compare(model, x)))  # outputs and every gradient, side by side (float64)

The names line up: minae's ``"encoder.0.W"`` is the module's ``"encoder.0.weight"`` (``b`` is
``bias``); ``Dense.W`` is ``(in, out)`` where ``nn.Linear.weight`` is ``(out, in)``, so that one
is transposed on the way. Where PyTorch has no single layer for what minae does (Keras's
asymmetric ``"same"`` padding, an average that leaves the padding out), a small module pads
first and then calls PyTorch's own convolution or pooling (``minae/torch_bridge/layers.py``).

Read in this order: ``layers.py`` (the padded twins), ``models.py`` (the AutoEncoder, the VAEs
and the AAE in PyTorch), ``convert.py`` (``to_torch``, ``from_torch``, the name map),
``compare.py`` (the side-by-side check).

PyTorch is never a dependency of minae: this package needs it (``pip install torch``, or
``pip install minae[torch]``) and says so in one line when it is missing.
"""

try:
    import torch  # noqa: F401
except ImportError as err:  # one line, naming the fix
    raise ImportError("minae.torch_bridge needs PyTorch, which is not installed: "
                      "pip install torch (or pip install 'minae[torch]')") from err

from minae.torch_bridge.compare import Difference, compare, report
from minae.torch_bridge.convert import from_torch, parameter_names, to_torch

__all__ = ["Difference", "compare", "from_torch", "parameter_names", "report", "to_torch"]
