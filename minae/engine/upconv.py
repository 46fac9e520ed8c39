"""Nearest upsampling followed by a stride-1 convolution, as one convolution of the small image.

The lesson's decoder upsamples by 2 (nearest) and then convolves. The upsampled image repeats
every pixel ``sh x sw`` times, so each output pixel's window reads only a few *distinct* input
pixels, and the products can be summed before they are made. Write the output row as
``i = sh*I + a`` (its phase ``a``, ``0 <= a < sh``); tap ``p`` of that row reads upsampled row
``i + p - pt``, which is small-image row ``floor((sh*I + a + p - pt) / sh) = I + d(a, p)`` with
``d(a, p) = floor((a + p - pt) / sh)``. So, with ``z`` the small image and ``u = up(z)``::

    y[n, f, sh*I + a, sw*J + b] = sum_{c, p, q} u[n, c, sh*I + a + p - pt, sw*J + b + q - pl]
                                                * w[f, c, p, q]
                                = sum_{c, d, e} z[n, c, I + d, J + e] * Wz[(a, b, f), c, d, e]

    Wz[(a, b, f), c, d, e] = sum of w[f, c, p, q] over the taps with d(a, p) = d, e(b, q) = e

a stride-1 convolution of ``z`` with ``sh*sw*F`` output channels (one per phase and output
channel) and a kernel spanning ``d = d_min .. d_max`` (for 3x3 'same' and a factor 2: 3x3,
with zeros). Its outputs, interleaved (``y[..., sh*I + a, sw*J + b] = Y[..., (a, b, f), I, J]``),
are the convolution of the upsampled image, which is never made. It reads ``sh*sw`` times fewer
input pixels (its columns are that much smaller), and the upsampling's backward pass (a sum
over each block) disappears into the products.

Padding: zero rows of ``u`` are zero rows of ``z`` (``z`` padded by ``-d_min`` on top and as
much as the last phase reads at the bottom). The gradients follow from the same identity::

    dY[n, (a, b, f), I, J] = dy[n, f, sh*I + a, sw*J + b]       (zero past the output's edge)
    dz = conv2d_dx(dY, Wz),   dWz = conv2d_dw(z, dY)
    dw[f, c, p, q] = sum_{a, b} dWz[(a, b, f), c, d(a, p) - d_min, e(b, q) - e_min]

Shapes: ``z: (N, C, H, W)``, ``w: (F, C, KH, KW)``, ``y: (N, F, OH, OW)`` with
``OH = sh*H + pt + pb - KH + 1``; ``Y: (N, sh*sw*F, ceil(OH/sh), ceil(OW/sw))``.
Stride 1 and dilation 1 only (what ``minae.engine.fused`` checks before using it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Phases:
    """The geometry of the identity above for one axis pair (rows, columns)."""

    scale: tuple[int, int]      # (sh, sw)
    kernel: tuple[int, int]     # (KH, KW) of w
    d_min: tuple[int, int]      # the smallest offset d (rows), e (columns)
    size: tuple[int, int]       # (KZH, KZW), the span of Wz
    out: tuple[int, int]        # (OH, OW) of y
    phase_out: tuple[int, int]  # (ceil(OH/sh), ceil(OW/sw)) of Y
    z_pads: tuple[int, int, int, int]

    def offset(self, axis: int, a: int, p: int, pad: int) -> int:
        """``d(a, p) - d_min``: where tap ``p`` of phase ``a`` lands in ``Wz``."""
        return (a + p - pad) // self.scale[axis] - self.d_min[axis]


def phases(z_shape: tuple, w_shape: tuple, scale, padding) -> Phases:
    """The ``Phases`` of ``conv(up(z), w)`` with ``padding = (pt, pb, pl, pr)`` on ``up(z)``."""
    (_, _, H, W), (_, _, KH, KW), (sh, sw), (pt, pb, pl, pr) = z_shape, w_shape, scale, padding
    OH, OW = sh * H + pt + pb - KH + 1, sw * W + pl + pr - KW + 1
    IH, IW = math.ceil(OH / sh), math.ceil(OW / sw)
    dh = ((0 - pt) // sh, (sh - 1 + KH - 1 - pt) // sh)
    dw = ((0 - pl) // sw, (sw - 1 + KW - 1 - pl) // sw)
    z_pads = (-dh[0], max(0, IH - 1 + dh[1] - (H - 1)), -dw[0], max(0, IW - 1 + dw[1] - (W - 1)))
    return Phases((sh, sw), (KH, KW), (dh[0], dw[0]), (dh[1] - dh[0] + 1, dw[1] - dw[0] + 1),
                  (OH, OW), (IH, IW), z_pads)


def phase_map(g: Phases, padding) -> np.ndarray:
    """``T: (sh*sw*KZH*KZW, KH*KW)``, 1 where tap ``(p, q)`` lands in phase ``(a, b)`` at
    ``(d, e)``: so ``Wz = w @ T.T`` (taps summed per phase) and ``dw = dWz @ T`` (its
    adjoint), each one product instead of a loop over phases and taps."""
    (sh, sw), (KH, KW), (pt, _, pl, _), (KZH, KZW) = g.scale, g.kernel, padding, g.size
    a, b, p, q = np.meshgrid(np.arange(sh), np.arange(sw), np.arange(KH), np.arange(KW),
                             indexing="ij")
    T = np.zeros((sh, sw, KZH, KZW, KH, KW))
    T[a, b, g.offset(0, a, p, pt), g.offset(1, b, q, pl), p, q] = 1.0  # offset works on arrays
    return T.reshape(sh * sw * KZH * KZW, KH * KW)


def phase_kernel(w: np.ndarray, g: Phases, padding) -> np.ndarray:
    """``Wz: (sh*sw*F, C, KZH, KZW)``, the taps of ``w`` summed per phase (see above)."""
    (F, C, KH, KW), (sh, sw) = w.shape, g.scale
    T = phase_map(g, padding).astype(w.dtype)
    Wz = (w.reshape(F * C, KH * KW) @ T.T).reshape(F, C, sh, sw, *g.size)
    return np.ascontiguousarray(Wz.transpose(2, 3, 0, 1, 4, 5)).reshape(sh * sw * F, C,
                                                                         *g.size)


def kernel_grad(dWz: np.ndarray, g: Phases, padding, F: int) -> np.ndarray:
    """``dw: (F, C, KH, KW)`` from ``dWz``: the adjoint of ``phase_kernel``."""
    (sh, sw), (KH, KW) = g.scale, g.kernel
    C = dWz.shape[1]
    T = phase_map(g, padding).astype(dWz.dtype)
    by_phase = dWz.reshape(sh, sw, F, C, *g.size).transpose(2, 3, 0, 1, 4, 5)
    return (by_phase.reshape(F * C, -1) @ T).reshape(F, C, KH, KW)


def interleave(Y: np.ndarray, g: Phases, out: np.ndarray) -> np.ndarray:
    """``out[n, f, sh*I + a, sw*J + b] = Y[n, (a, b, f), I, J]`` (cropped to ``out``)."""
    sh, sw = g.scale
    N, F = out.shape[:2]
    Y = Y.reshape(N, sh, sw, F, *g.phase_out)
    for a in range(sh):
        for b in range(sw):
            block = out[:, :, a::sh, b::sw]
            block[...] = Y[:, a, b, :, :block.shape[2], :block.shape[3]]
    return out


def deinterleave(dy: np.ndarray, g: Phases) -> np.ndarray:
    """``dY[n, (a, b, f), I, J] = dy[n, f, sh*I + a, sw*J + b]``, zero past the edge."""
    (sh, sw), (N, F) = g.scale, dy.shape[:2]
    dY = np.zeros((N, sh, sw, F, *g.phase_out), dtype=dy.dtype)
    for a in range(sh):
        for b in range(sw):
            block = dy[:, :, a::sh, b::sw]
            dY[:, a, b, :, :block.shape[2], :block.shape[3]] = block
    return dY.reshape(N, sh * sw * F, *g.phase_out)


def forward(engine, z: np.ndarray, w: np.ndarray, scale, padding) -> np.ndarray:
    """``y = conv2d(upsample_nearest(z, scale), w)`` (stride 1): ``(N, C, H, W) -> (N, F, OH,
    OW)``, without making the upsampled image."""
    g = phases(z.shape, w.shape, scale, padding)
    Y = engine.conv2d(z, phase_kernel(w, g, padding), (1, 1), g.z_pads, (1, 1))
    Y = Y[:, :, :g.phase_out[0], :g.phase_out[1]]
    return interleave(Y, g, np.empty((z.shape[0], w.shape[0], *g.out), dtype=Y.dtype))


def backward(engine, z: np.ndarray, w: np.ndarray, dy: np.ndarray, scale, padding,
             input_grad: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
    """``(dz, dw)`` of ``forward``: ``dy: (N, F, OH, OW)`` -> ``dz: z.shape``,
    ``dw: w.shape`` (``dz`` None when ``input_grad`` is False)."""
    g = phases(z.shape, w.shape, scale, padding)
    Wz = phase_kernel(w, g, padding)
    dY = deinterleave(dy, g)
    # the convolution of z gave more rows than Y keeps when z's padding was not needed: the
    # dropped rows get zero gradient
    full = (z.shape[2] + g.z_pads[0] + g.z_pads[1] - g.size[0] + 1,
            z.shape[3] + g.z_pads[2] + g.z_pads[3] - g.size[1] + 1)
    if full != g.phase_out:
        padded = np.zeros(dY.shape[:2] + full, dtype=dY.dtype)
        padded[:, :, :g.phase_out[0], :g.phase_out[1]] = dY
        dY = padded
    dWz = engine.conv2d_dw(z, dY, g.size, (1, 1), g.z_pads, (1, 1))
    dw = kernel_grad(dWz, g, padding, w.shape[0])
    dz = engine.conv2d_dx(dY, Wz, z.shape, (1, 1), g.z_pads, (1, 1)) if input_grad else None
    return dz, dw
