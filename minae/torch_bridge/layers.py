"""PyTorch twins of the minae layers that PyTorch has no single layer for.

Most minae layers *are* a PyTorch layer (``Dense`` is ``nn.Linear``, ``Conv2D(padding=1)`` is
``nn.Conv2d(padding=1)``, ...; ``convert.py`` builds those directly). Four cases need a
padding PyTorch's layers cannot express, so the modules here pad explicitly and then call
PyTorch's own convolution or pooling on the padded input:

* ``PaddedConv2d``: Keras's ``"same"`` (the odd row goes at the bottom/right; for stride > 1
  the amount depends on the input's size, so it is worked out at each forward pass, as minae
  does) or any ``(pt, pb, pl, pr)``::

      y = conv2d(pad(x, (pl, pr, pt, pb)), W) + b

* ``PaddedConvTranspose2d``: the transposed convolution's padding *removes* rows from its
  output, one amount per side; the full output is computed unpadded and then cut (``F.pad``
  with negative amounts crops), with ``output_padding`` rows added at the bottom/right::

      y = pad(conv_transpose2d(x, W), (-pl, opw - pr, -pt, oph - pb)) + b

  (bottom/right first: with a large top/left padding the cut can reach into the
  ``output_padding`` rows, as it does in minae.)

  (``"same"``: the padding of a ``"same"`` convolution whose input is ``(H sh, W sw)``, and an
  output of exactly ``(H sh, W sw)``.)
* ``SameMaxPool2d``: pad with ``-inf`` (bottom/right first), then ``max_pool2d``.
* ``SameAvgPool2d``: pad with zeros, then ``avg_pool2d``; Keras's divisor counts only the
  entries inside the image, which is the same average pool run on a padded image of ones::

      y = avg_pool2d(pad(x)) / avg_pool2d(pad(ones))        (count_include_pad=False)

Every amount of padding comes from ``minae.layers.padding.resolve_padding``, the function the
minae layers call, so the two frameworks cannot disagree about where "same" puts its rows.
``Reshape`` is minae's ``(N, ...) -> (N, *shape)``, which ``nn.Unflatten`` only does for 2-D
inputs.

Shapes: ``x: (N, C, H, W)`` as in minae; every module works in the dtype of its parameters
(float64 for the comparisons).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from minae.layers.padding import resolve_padding


def _sides(pads: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """minae's ``(top, bottom, left, right)`` as ``F.pad``'s ``(left, right, top, bottom)``."""
    pt, pb, pl, pr = pads
    return (pl, pr, pt, pb)


class PaddedConv2d(nn.Conv2d):
    """``nn.Conv2d`` after an explicit zero padding: ``"same"`` or ``(pt, pb, pl, pr)``.

    ``x: (N, C, H, W) -> (N, F, OH, OW)``; ``weight: (F, C, KH, KW)`` (minae's ``Conv2D.W``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, int],
                 stride: tuple[int, int], padding, dilation: tuple[int, int],
                 bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, 0, dilation, bias=bias)
        self.sides = padding  # "same" or (pt, pb, pl, pr): minae's Conv2D.padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = resolve_padding(self.sides, tuple(x.shape[2:]), self.kernel_size, self.stride,
                               self.dilation)
        return super().forward(F.pad(x, _sides(pads)))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, sides={self.sides!r}"


class PaddedConvTranspose2d(nn.ConvTranspose2d):
    """``nn.ConvTranspose2d`` with one padding per side (or ``"same"``), cut after the fact.

    ``x: (N, C_in, H, W) -> (N, C_out, OH, OW)``; ``weight: (C_in, C_out, KH, KW)``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, int],
                 stride: tuple[int, int], padding, output_padding: tuple[int, int],
                 dilation: tuple[int, int], bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, 0, 0, bias=bias,
                         dilation=dilation)
        self.sides = padding  # "same" or (pt, pb, pl, pr): minae's ConvTranspose2D.padding
        self.extra = output_padding  # (oph, opw): rows at the bottom, columns at the right

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        full = F.conv_transpose2d(x, self.weight, None, self.stride, 0, 0, 1, self.dilation)
        if self.sides == "same":  # output exactly (H sh, W sw)
            target = (x.shape[2] * self.stride[0], x.shape[3] * self.stride[1])
            pt, _, pl, _ = resolve_padding("same", target, self.kernel_size, self.stride,
                                           self.dilation)
            bottom, right = target[0] + pt - full.shape[2], target[1] + pl - full.shape[3]
        else:
            pt, pb, pl, pr = self.sides
            bottom, right = self.extra[0] - pb, self.extra[1] - pr
        # negative amounts crop: bottom/right first (output_padding may extend what the
        # top/left cut then reaches into), then top/left
        y = F.pad(F.pad(full, (0, right, 0, bottom)), (-pl, 0, -pt, 0))
        return y if self.bias is None else y + self.bias[:, None, None]

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, sides={self.sides!r}, extra={self.extra}"


class SameMaxPool2d(nn.Module):
    """Keras's ``MaxPooling2D(padding="same")``: pad with ``-inf``, then ``F.max_pool2d``."""

    def __init__(self, kernel_size: tuple[int, int], stride: tuple[int, int]) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = resolve_padding("same", tuple(x.shape[2:]), self.kernel_size, self.stride)
        return F.max_pool2d(F.pad(x, _sides(pads), value=float("-inf")), self.kernel_size,
                            self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding='same'"


class SameAvgPool2d(nn.Module):
    """Keras's ``AveragePooling2D(padding="same")``: zeros that count, or (Keras) do not."""

    def __init__(self, kernel_size: tuple[int, int], stride: tuple[int, int],
                 count_include_pad: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride
        self.count_include_pad = count_include_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sides = _sides(resolve_padding("same", tuple(x.shape[2:]), self.kernel_size,
                                       self.stride))
        y = F.avg_pool2d(F.pad(x, sides), self.kernel_size, self.stride)
        if self.count_include_pad:
            return y
        inside = F.pad(torch.ones_like(x[:1, :1]), sides)  # 1 inside the image, 0 in padding
        return y / F.avg_pool2d(inside, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding='same', "
                f"count_include_pad={self.count_include_pad}")


class Reshape(nn.Module):
    """minae's ``Reshape(shape)``: ``(N, ...) -> (N, *shape)``."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape((x.shape[0],) + self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"
