"""im2col and col2im: turning a convolution into one matrix product, and back.

A convolution is a matrix product in disguise. Unroll every receptive field (the ``KH x KW x C``
input values one output pixel reads) into a row of a *column matrix*::

    cols[n, i, j, p, q, c] = xp[n, i*sh + p*dh, j*sw + q*dw, c]        (im2col)

then, with the weights unrolled the same way into ``w_mat[(p, q, c), f] = w[f, c, p, q]``::

    y[(n, i, j), f] = sum_{(p, q, c)} cols[(n, i, j), (p, q, c)] * w_mat[(p, q, c), f]
                    = (cols @ w_mat)[(n, i, j), f]

``col2im`` is the adjoint of ``im2col``: where im2col *copies* each padded input value into every
row that reads it, col2im *adds* each row's entries back to the value they came from. It runs
as one strided ``+=`` per kernel tap ``(p, q)`` (``KH * KW`` of them), never as a scatter with
``np.add.at`` (which is tens of times slower).

Why channels-last (``N, H, W, C``) inside, when the layers speak ``(N, C, H, W)``
------------------------------------------------------------------------------------
The copy that builds ``cols`` costs as much as the matrix product if it is done carelessly.
Ordering each row as ``(p, q, c)`` over a channels-last image makes every row a few long runs
of contiguous memory: for a 3x3 kernel with stride 1, the ``KW * C`` values of one kernel row
are adjacent in ``xp`` (``KW * C`` floats, 192 bytes for ``C = 16``). With ``(c, p, q)`` rows
over ``(N, C, H, W)`` the runs are single floats. Converting ``x`` to channels-last costs one
copy of ``x``, which is ``KH * KW`` times smaller than ``cols``.

For col2im the column matrix is stored *tap-major*, ``dcols[p, q, (n, i, j), c]``, so that each
tap's block is contiguous and its ``+=`` into the padded image streams through memory.

All functions take an optional ``out=`` buffer, so the fast engine (``minae.engine``) can reuse
memory between calls; the taught passes (``minae.kernels.conv``) leave it out.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minae.kernels.geometry import conv_output_size, effective_size, window_slice


def pad_channels_last(x: np.ndarray, padding: tuple[int, int, int, int],
                      out: np.ndarray | None = None) -> np.ndarray:
    """Zero-pad an ``(N, C, H, W)`` batch and move channels last.

    ::

        xp[n, pt + r, pl + s, c] = x[n, c, r, s]         (every other entry of xp is 0)

    Parameters
    ----------
    x : (N, C, H, W)
    padding : (pt, pb, pl, pr)
    out : (N, pt + H + pb, pl + W + pr, C), optional
        A buffer whose border is *already zero* (only the interior is written, so a buffer
        reused between calls keeps its zero border for free).

    Returns
    -------
    xp : (N, pt + H + pb, pl + W + pr, C)
    """
    pt, pb, pl, pr = padding
    N, C, H, W = x.shape
    if out is None:
        out = np.zeros((N, pt + H + pb, pl + W + pr, C), dtype=x.dtype)
    out[:, pt:pt + H, pl:pl + W, :] = x.transpose(0, 2, 3, 1)
    return out


def im2col(xp: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
    """Unroll the receptive fields of a padded channels-last batch into rows.

    ::

        cols[n, i, j, p, q, c] = xp[n, i*sh + p*dh, j*sw + q*dw, c]

    The right-hand side is built as a *view* (``sliding_window_view``: no copy, just strides),
    and the only copy is the one ``np.copyto`` makes into ``out``.

    Parameters
    ----------
    xp : (N, Hp, Wp, C), padded and channels-last (see ``pad_channels_last``)
    kernel_size, stride, dilation : (KH, KW), (sh, sw), (dh, dw)
    out : (N, OH, OW, KH, KW, C), optional

    Returns
    -------
    cols : (N, OH, OW, KH, KW, C); ``cols.reshape(N * OH * OW, KH * KW * C)`` is the column
        matrix (one row per output pixel).
    """
    (KH, KW), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    # windows[n, i', j', c, a, b] = xp[n, i' + a, j' + b, c], for every window position (i', j')
    windows = sliding_window_view(xp, (effective_size(KH, dh), effective_size(KW, dw)),
                                  axis=(1, 2))
    # keep every sh-th position and every dh-th tap; put the taps before the channels
    view = windows[:, ::sh, ::sw, :, ::dh, ::dw].transpose(0, 1, 2, 4, 5, 3)
    if out is None:
        return np.ascontiguousarray(view)
    np.copyto(out, view)
    return out


def col2im(dcols: np.ndarray, padded_shape: tuple[int, int, int, int], stride: tuple[int, int],
           dilation: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
    """Add tap-major columns back into a padded channels-last batch (the adjoint of im2col).

    ::

        dxp[n, i*sh + p*dh, j*sw + q*dw, c] += dcols[p, q, n, i, j, c]   for every p, q, n, i, j, c

    One strided ``+=`` per tap ``(p, q)``; the taps of one output pixel overlap with those of
    its neighbours, which is why this is a sum and not a copy.

    Parameters
    ----------
    dcols : (KH, KW, N, OH, OW, C)
    padded_shape : (N, Hp, Wp, C)
    stride, dilation : (sh, sw), (dh, dw)
    out : (N, Hp, Wp, C), optional; overwritten (zeroed first).

    Returns
    -------
    dxp : (N, Hp, Wp, C)
    """
    KH, KW, _, OH, OW, _ = dcols.shape
    (sh, sw), (dh, dw) = stride, dilation
    if out is None:
        out = np.zeros(padded_shape, dtype=dcols.dtype)
    else:
        out[...] = 0
    for p in range(KH):
        rows = window_slice(p * dh, sh, OH)
        for q in range(KW):
            out[:, rows, window_slice(q * dw, sw, OW), :] += dcols[p, q]
    return out


def output_shape(x_shape: tuple, w_shape: tuple, stride, padding, dilation) -> tuple:
    """``(N, F, OH, OW)`` of a convolution of ``x: (N, C, H, W)`` with ``w: (F, C, KH, KW)``."""
    (sh, sw), (dh, dw), (pt, pb, pl, pr) = stride, dilation, padding
    return (x_shape[0], w_shape[0],
            conv_output_size(x_shape[2], w_shape[2], sh, pt + pb, dh),
            conv_output_size(x_shape[3], w_shape[3], sw, pl + pr, dw))
