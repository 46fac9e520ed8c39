"""Bias, ReLU and max pooling fused into the convolution's output write (and their backward).

Every road of the engine ends each chunk of images by copying its result out of scratch into
``y`` (``minae.engine.choose.conv2d``'s ``write``). The layers after a convolution then read
``y`` back from memory, each making arrays of its own: in the lesson's encoder,
``Conv2D -> ReLU -> MaxPool2D`` passes over the 28x28x16 output six times (add the bias,
compare, multiply by the mask, copy four taps) and keeps the output, the ReLU mask and the
pooled winners. Done in the write, while the chunk is still in cache, one pass suffices.

Bias + ReLU
-----------
With ``v = conv(x, w)`` the chunk's result::

    u = v + b[f]                         (the bias, one per output channel)
    y = max(u, 0)                        forward, written once
    du = dy * (y > 0)                    backward: ``y > 0`` exactly where ``u > 0``

so the mask is not kept: ``y`` itself says where the ReLU passed the gradient.

Bias + ReLU + max pooling
-------------------------
ReLU is monotone and the bias is one number per channel, so the maximum can be taken first::

    pooled[n, f, i, j] = max(max_{p, q} u[n, f, i*sh + p, j*sw + q], 0)
    winner[n, f, i, j] = the first tap (row-major) holding max_{p, q} u[...]

(``u`` padded with -inf, as ``minae.kernels.pool`` pads). Neither ``u``, ``y`` nor the mask
is ever stored: only ``pooled`` and the winners (int8). The backward pass is the pooling's
(each window's gradient goes to its winner) times the ReLU's (zero where the window's maximum
was not positive)::

    g = dpooled * (pooled > 0)
    du[n, f, i*sh + p, j*sw + q] += g[n, f, i, j] * (winner[n, f, i, j] == p*KW + q)

The same numbers as the layers one after the other: when the window's maximum is positive,
the first maximum of ``u`` is the first maximum of ``relu(u)``; when it is not, both paths
send zero (the ReLU's mask is zero at every tap).

Shapes: ``v, u, du: (N, F, OH, OW)``, ``pooled, winner, g: (N, F, PH, PW)``.
"""

from __future__ import annotations

import numpy as np


class BiasReLU:
    """``write(a, b, v)`` for ``choose.conv2d``: ``y[a:b] = max(v + bias, 0)``.

    Parameters
    ----------
    y : (N, F, OH, OW), the new output array, filled chunk by chunk
    bias : (F,) or None
    """

    def __init__(self, y: np.ndarray, bias: np.ndarray | None) -> None:
        self.y = y
        self.bias = None if bias is None else bias.astype(y.dtype, copy=False)[:, None, None]

    def __call__(self, a: int, b: int, v: np.ndarray) -> None:
        out = self.y[a:b]
        if self.bias is None:
            np.maximum(v, 0, out=out)
        else:
            np.add(v, self.bias, out=out)
            np.maximum(out, 0, out=out)


def relu_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``du = dy * (y > 0)``, ``y`` the ReLU's output: ``(N, F, OH, OW)``, a new array."""
    return np.multiply(dy, y > 0)


def pooled_shape(v_shape: tuple, kernel: tuple, stride: tuple, pads: tuple) -> tuple:
    """``(N, F, PH, PW)``, ``PH = (OH + pt + pb - KH) // sh + 1`` (and so ``PW``)."""
    (N, F, OH, OW), (KH, KW), (sh, sw), (pt, pb, pl, pr) = v_shape, kernel, stride, pads
    return (N, F, (OH + pt + pb - KH) // sh + 1, (OW + pl + pr - KW) // sw + 1)


def _window(up: np.ndarray, p: int, q: int, stride, PH: int, PW: int) -> np.ndarray:
    """Tap ``(p, q)`` of every window: ``up[..., i*sh + p, j*sw + q]`` for ``i < PH, j < PW``."""
    sh, sw = stride
    return up[:, :, p:p + (PH - 1) * sh + 1:sh, q:q + (PW - 1) * sw + 1:sw]


class BiasReLUMaxPool:
    """``write(a, b, v)``: ``pooled[a:b]``, ``winner[a:b]`` of ``max_pool(relu(v + bias))``.

    Parameters
    ----------
    engine : FastEngine (scratch for the padded chunk and the running maximum)
    v_shape : (N, F, OH, OW), the convolution's output shape
    bias : (F,) or None
    kernel, stride : (KH, KW), (sh, sw) of the pooling
    pads : (pt, pb, pl, pr) of the pooling, worked out (``"same"`` resolved)
    dtype : the computation's dtype

    Attributes
    ----------
    pooled : (N, F, PH, PW), new
    winner : (N, F, PH, PW) int8, new
    """

    def __init__(self, engine, v_shape: tuple, bias, kernel, stride, pads, dtype) -> None:
        self.engine, self.kernel, self.stride, self.pads = engine, kernel, stride, pads
        self.bias = None if bias is None else bias.astype(dtype, copy=False)[:, None, None]
        shape = pooled_shape(v_shape, kernel, stride, pads)
        self.pooled = np.empty(shape, dtype=dtype)
        self.winner = np.empty(shape, dtype=np.int8)

    def _padded(self, v: np.ndarray) -> np.ndarray:
        """``u = v + bias`` with its -inf border, or ``v`` itself (no padding, no bias)."""
        (pt, pb, pl, pr), (m, F, OH, OW) = self.pads, v.shape
        if not (pt or pb or pl or pr) and self.bias is None:
            return v
        up = self.engine.scratch.get("epilogue.u", (m, F, OH + pt + pb, OW + pl + pr), v.dtype)
        if pt or pb or pl or pr:  # the border: -inf never wins a window
            up[...] = -np.inf
        inner = up[:, :, pt:pt + OH, pl:pl + OW]
        if self.bias is None:
            np.copyto(inner, v)
        else:
            np.add(v, self.bias, out=inner)
        return up

    def __call__(self, a: int, b: int, v: np.ndarray) -> None:
        KH, KW = self.kernel
        m, F = v.shape[:2]
        PH, PW = self.pooled.shape[2:]
        scratch = self.engine.scratch
        # without padding the bias is added tap by tap into a contiguous buffer (u_t = v_t + b,
        # the same sums): no padded copy of the whole chunk, and contiguous comparisons
        direct = not any(self.pads) and self.bias is not None
        up = v if direct else self._padded(v)
        best = scratch.get("epilogue.best", (m, F, PH, PW), v.dtype)
        tap = scratch.get("epilogue.tap", (m, F, PH, PW), v.dtype) if direct else None
        larger = scratch.get("epilogue.larger", (m, F, PH, PW), np.bool_)
        step = scratch.get("epilogue.step", (m, F, PH, PW), np.int8)
        win = self.winner[a:b]
        if direct:
            np.add(_window(v, 0, 0, self.stride, PH, PW), self.bias, out=best)
        else:
            np.copyto(best, _window(up, 0, 0, self.stride, PH, PW))
        win[...] = 0
        for t in range(1, KH * KW):
            if direct:
                np.add(_window(v, t // KW, t % KW, self.stride, PH, PW), self.bias, out=tap)
            else:
                tap = _window(up, t // KW, t % KW, self.stride, PH, PW)
            np.greater(tap, best, out=larger)  # strictly: ties stay with the first maximum
            np.maximum(best, tap, out=best)
            # win = t where larger, by arithmetic: a masked copy (np.copyto(where=)) measured
            # 20-40 times slower here, one mispredicted branch per element
            np.subtract(np.int8(t), win, out=step)
            np.multiply(step, larger, out=step)
            win += step
        np.maximum(best, 0, out=self.pooled[a:b])


def relu_max_pool_backward(dpooled: np.ndarray, pooled: np.ndarray, winner: np.ndarray,
                           v_shape: tuple, kernel, stride, pads) -> np.ndarray:
    """``du``: each window's ``dpooled * (pooled > 0)`` sent to its winning tap.

    Shapes: ``dpooled, pooled, winner: (N, F, PH, PW)`` -> ``du: v_shape = (N, F, OH, OW)``, a
    new array.
    """
    (pt, pb, pl, pr), (KH, KW), (sh, sw) = pads, kernel, stride
    N, F, OH, OW = v_shape
    PH, PW = pooled.shape[2:]
    g = np.multiply(dpooled, pooled > 0)
    Hp, Wp = OH + pt + pb, OW + pl + pr
    apart = sh >= KH and sw >= KW  # windows do not overlap: each position gets one tap
    tiled = apart and (PH * sh, PW * sw, KH, KW) == (Hp, Wp, sh, sw)  # ... exactly one
    dup = (np.empty if tiled else np.zeros)((N, F, Hp, Wp), dtype=g.dtype)
    for t in range(KH * KW):
        view = _window(dup, t // KW, t % KW, stride, PH, PW)
        if apart:
            np.multiply(g, winner == t, out=view)
        else:
            view += g * (winner == t)
    return dup[:, :, pt:pt + OH, pl:pl + OW]
