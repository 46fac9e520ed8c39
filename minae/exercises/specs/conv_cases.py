"""Cases shared by the convolution exercises: every geometry ``Conv2D`` accepts.

Non-square kernels, strides and dilations, asymmetric paddings (Keras's "same" with an even
kernel puts the extra row at the bottom), batches of 1 and several, float32, and (for the
matrix-product passes) a 28x28 image like the lesson's first layer. Small cases are compared
with central differences of minae's forward; the big one (too big to difference) with minae's
fast engine, a different road to the same sums.
"""

import numpy as np

from minae.exercises.harness import library, numerical
from minae.exercises.spec import Case

# (N, C, H, W, F, (KH, KW), (sh, sw), padding (pt, pb, pl, pr), (dh, dw), dtype)
SMALL = [
    (2, 2, 5, 5, 3, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), np.float64),
    (3, 1, 6, 5, 2, (3, 2), (2, 2), (0, 0, 0, 0), (1, 1), np.float64),
    (3, 3, 4, 4, 2, (2, 2), (1, 1), (0, 1, 0, 1), (1, 1), np.float64),   # "same", even kernel
    (2, 2, 7, 6, 2, (3, 3), (2, 1), (1, 2, 0, 1), (1, 1), np.float64),   # strides (2, 1)
    (1, 1, 7, 8, 2, (3, 2), (1, 2), (2, 1, 0, 2), (2, 1), np.float64),   # dilation (2, 1)
    (2, 2, 6, 6, 3, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), np.float32),
]
BIG = [(2, 2, 28, 28, 3, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), np.float64),
       (3, 1, 28, 28, 2, (3, 3), (2, 2), (0, 1, 0, 1), (1, 1), np.float32)]


def label(x_shape, w_shape, stride, pad, dil, dtype) -> str:
    text = f"x {x_shape}, w {w_shape}, stride {stride}, padding {pad}"
    if dil != (1, 1):
        text += f", dilation {dil}"
    return text + ("" if dtype == np.float64 else ", float32")


def conv_cases(rng, big: bool) -> list[Case]:
    conv = library("minae.kernels.conv")
    cases = []
    for n, c, h, w, f, k, s, pad, d, dtype in SMALL + (BIG if big else []):
        x = rng.standard_normal((n, c, h, w))
        wt = rng.standard_normal((f, c) + k)
        y_shape = conv.conv2d_forward(x, wt, s, pad, d).shape
        cases.append(Case(label(x.shape, wt.shape, s, pad, d, dtype),
                          {"x": x, "w": wt, "stride": s, "padding": pad, "dilation": d,
                           "dy": rng.standard_normal(y_shape), "exact": h * w > 100},
                          {}, dtype))
    return cases


def conv_expected(case: Case) -> dict:
    """dx and dw of L = sum(conv2d_forward(x, w) * dy)."""
    d = case.data
    geo = (d["stride"], d["padding"], d["dilation"])
    x, w = d["x"].copy(), d["w"].copy()
    if d["exact"]:
        engine = library("minae.engine").FastEngine()
        return {"dx": (engine.conv2d_dx(d["dy"], w, x.shape, *geo), "minae"),
                "dw": (engine.conv2d_dw(x, d["dy"], w.shape[2:], *geo), "minae")}
    conv = library("minae.kernels.conv")
    grads = numerical(lambda: float(np.sum(conv.conv2d_forward(x, w, *geo) * d["dy"])),
                      {"dx": x, "dw": w})
    return {k: (v, "numerical") for k, v in grads.items()}


CONV_MATH = """
    The forward pass (read it first, it is in this file) is a sum of products:

        y[n, f, i, j] = sum_{c, p, q} xp[n, c, i*sh + p*dh, j*sw + q*dw] * w[f, c, p, q]

    where xp is x with pt, pb zero rows on top and bottom and pl, pr zero columns left and
    right. L = sum(y * dy), so each term of that sum contributes to two gradients. Derive

        dL/dw[f, c, p, q] = ?             dL/dxp[n, c, r, s] = ?

    and then dx from dxp: the padding is not part of x.
    """
