"""Size arithmetic shared by every convolution and pooling kernel.

Conventions used by all of ``minae.kernels``
--------------------------------------------
* images are ``x: (N, C, H, W)`` (batch, channels, height, width);
* ``stride = (sh, sw)`` and ``dilation = (dh, dw)``: pairs of positive ints (an int means both);
* ``padding = (pt, pb, pl, pr)``: zero rows added on the top and bottom, zero columns added on
  the left and right; the four may differ (an int means all four, a pair ``(ph, pw)`` means
  ``(ph, ph, pw, pw)``).

A kernel of size ``k`` with dilation ``d`` spans ``d * (k - 1) + 1`` input pixels (its
*effective* size). Sliding it with stride ``s`` over ``n`` input pixels with ``pad_total`` zeros
added gives (PyTorch's formula)::

    out = floor((n + pad_total - d * (k - 1) - 1) / s) + 1

Output pixel ``i`` reads padded input pixels ``i * s + p * d`` for ``p = 0 .. k - 1``.
"""

from __future__ import annotations

import numpy as np

Pair = tuple[int, int]
Padding4 = tuple[int, int, int, int]


def _int(value, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if value < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be a {kind} integer; got {value}")
    return int(value)


def as_pair(value, name: str = "value", minimum: int = 1) -> Pair:
    """``3 -> (3, 3)``; ``(3, 2) -> (3, 2)``. Raises for non-integers and values < ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints; got {value!r}")
        return (_int(value[0], name, minimum), _int(value[1], name, minimum))
    v = _int(value, name, minimum)
    return (v, v)


def as_padding(value, name: str = "padding") -> Padding4:
    """Normalise zero padding to ``(top, bottom, left, right)``.

    ``p -> (p, p, p, p)``; ``(ph, pw) -> (ph, ph, pw, pw)``;
    ``((pt, pb), (pl, pr)) -> (pt, pb, pl, pr)``; a 4-tuple is returned as is.
    """
    if isinstance(value, (tuple, list)):
        if len(value) == 4:
            return tuple(_int(v, name, 0) for v in value)  # type: ignore[return-value]
        if len(value) == 2 and all(isinstance(v, (tuple, list)) for v in value):
            (pt, pb), (pl, pr) = as_pair(value[0], name, 0), as_pair(value[1], name, 0)
            return (pt, pb, pl, pr)
        ph, pw = as_pair(value, name, 0)
        return (ph, ph, pw, pw)
    p = _int(value, name, 0)
    return (p, p, p, p)


def effective_size(k: int, d: int) -> int:
    """Pixels spanned by a kernel of size ``k`` with dilation ``d``: ``d * (k - 1) + 1``."""
    return d * (k - 1) + 1


def conv_output_size(n: int, k: int, s: int = 1, pad_total: int = 0, d: int = 1) -> int:
    """``floor((n + pad_total - d * (k - 1) - 1) / s) + 1`` (<= 0 when the kernel does not fit)."""
    return (n + pad_total - effective_size(k, d)) // s + 1


def conv_transpose_output_size(n: int, k: int, s: int = 1, pad_total: int = 0, d: int = 1,
                               output_padding: int = 0) -> int:
    """``(n - 1) * s - pad_total + d * (k - 1) + output_padding + 1`` (PyTorch's formula).

    With ``pad_total = 2 * p`` this is PyTorch's ``(n-1)*s - 2p + d(k-1) + output_padding + 1``.
    It is the input size ``m`` of the convolution whose output size is ``n`` (for
    ``0 <= output_padding < s``, the ``output_padding`` rows are the ones the convolution's
    floor division drops).
    """
    return (n - 1) * s - pad_total + effective_size(k, d) + output_padding


def window_slice(offset: int, stride: int, count: int) -> slice:
    """The padded-input rows read by kernel tap ``offset`` for ``count`` outputs at ``stride``:
    ``offset, offset + stride, ..., offset + stride * (count - 1)``."""
    return slice(offset, offset + stride * (count - 1) + 1, stride)
