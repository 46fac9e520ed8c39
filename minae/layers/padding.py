"""Padding arguments of the convolution and pooling layers, and Keras's ``"same"``.

A layer's ``padding=`` may be

* an int ``p``: ``p`` rows/columns on every side (PyTorch);
* a pair ``(ph, pw)``: ``ph`` rows on top and bottom, ``pw`` columns left and right (PyTorch);
* a pair of pairs ``((pt, pb), (pl, pr))``: each side its own (Keras's ``ZeroPadding2D``);
* ``"valid"``: no padding (Keras), the same as ``0``;
* ``"same"``: as much as Keras adds so that ``out = ceil(n / s)`` (``= n`` for stride 1).

Keras's ``"same"``, per axis, for input size ``n``, kernel ``k``, stride ``s``, dilation ``d``::

    total  = max((ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
    before = total // 2            (top / left)
    after  = total - before        (bottom / right: the odd one goes here)

For stride 1 this is ``total = (k - 1) * d`` whatever ``n`` is, so an even kernel (``k = 4``:
total 3) pads 1 on top and 2 at the bottom. For stride > 1 the amount depends on ``n``, so it
is worked out at each forward pass. PyTorch's ``padding="same"`` is only defined for stride 1
and puts the odd one at the bottom too, so the two agree where both exist.
"""

from __future__ import annotations

from minae.kernels.geometry import as_padding, as_pair

Padding = tuple[int, int, int, int] | str


def same_padding(n: int, k: int, s: int = 1, d: int = 1) -> tuple[int, int]:
    """Keras's ``"same"`` padding ``(before, after)`` for one axis (see the module docstring)."""
    out = -(-n // s)  # ceil(n / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def parse_padding(padding, layer: str) -> Padding:
    """Check a ``padding=`` argument: returns ``"same"`` or ``(pt, pb, pl, pr)``.

    Raises ``TypeError`` / ``ValueError`` naming ``layer`` (``"Conv2D"``), what was given and
    what is accepted.
    """
    if isinstance(padding, str):
        if padding == "same":
            return "same"
        if padding == "valid":
            return (0, 0, 0, 0)
        raise ValueError(f"{layer} padding must be 'same', 'valid', an int, a pair or a pair of "
                         f"pairs; got {padding!r}")
    try:
        return as_padding(padding, f"{layer} padding")
    except (TypeError, ValueError) as err:
        raise type(err)(f"{err} (expected 'same', 'valid', an int >= 0, (ph, pw) or "
                        "((pt, pb), (pl, pr)))") from None


def resolve_padding(padding: Padding, size: tuple[int, int], kernel: tuple[int, int],
                    stride: tuple[int, int], dilation: tuple[int, int] = (1, 1),
                    ) -> tuple[int, int, int, int]:
    """``(pt, pb, pl, pr)`` for an input of spatial ``size = (H, W)``: works out ``"same"``."""
    if padding != "same":
        return padding  # type: ignore[return-value]
    top, bottom = same_padding(size[0], kernel[0], stride[0], dilation[0])
    left, right = same_padding(size[1], kernel[1], stride[1], dilation[1])
    return (top, bottom, left, right)


def describe(padding: Padding) -> str:
    """``padding`` as a constructor argument, for ``__repr__``: ``'same'``, ``1``, ``(1, 2)``."""
    if padding == "same":
        return "'same'"
    pt, pb, pl, pr = padding
    if pt == pb == pl == pr:
        return str(pt)
    if pt == pb and pl == pr:
        return f"({pt}, {pl})"
    return f"(({pt}, {pb}), ({pl}, {pr}))"


def conv_geometry(kernel_size, stride, dilation, padding, layer: str
                  ) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], Padding]:
    """Check a convolution's size arguments: ``kernel_size``, ``stride``, ``dilation`` as pairs
    of positive ints, and ``padding`` as ``parse_padding`` returns it.

    ``"same"`` with a stride and a dilation both above 1 is refused: the output size
    ``ceil(n / s)`` then leaves the padding undefined, and Keras refuses it too.
    """
    kernel_size = as_pair(kernel_size, f"{layer} kernel_size")
    stride = as_pair(stride, f"{layer} stride")
    dilation = as_pair(dilation, f"{layer} dilation")
    padding = parse_padding(padding, layer)
    if padding == "same" and max(stride) > 1 and max(dilation) > 1:
        raise ValueError(f"{layer} padding='same' with stride {stride} and dilation "
                         f"{dilation}: a stride and a dilation both > 1 are not defined for "
                         "'same' (Keras refuses them too)")
    return kernel_size, stride, dilation, padding
