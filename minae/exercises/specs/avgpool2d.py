"""Exercise avgpool2d: average pooling's backward pass (``minae/kernels/pool.py``)."""

from types import ModuleType

import numpy as np

from minae.exercises.harness import cast, get, library, numerical
from minae.exercises.spec import Case, Exercise, Mistake
from minae.exercises.specs.pool_cases import pool_cases


def make_cases(rng: np.random.Generator) -> list[Case]:
    cases = pool_cases(rng, ties=False)
    for c in cases:
        c.data["include"] = True
    extra = [c for c in pool_cases(rng, ties=False) if any(c.data["pad"])]
    for c in extra:
        c.data["include"] = False
        c.label += ", count_include_pad=False"
    return cases + extra


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    args = (d["k"], d["s"], d["pad"])
    out["y"] = get(mod, "avg_pool2d_forward")(cast(case, d["x"]), *args,
                                              count_include_pad=d["include"])
    out["dx"] = get(mod, "avg_pool2d_backward")(cast(case, d["dy"]), d["x"].shape, *args,
                                                count_include_pad=d["include"])


def expected(case: Case) -> dict:
    d = case.data
    pool = library("minae.kernels.pool")
    x = d["x"].copy()
    args = (d["k"], d["s"], d["pad"])

    def forward():
        return pool.avg_pool2d_forward(x, *args, count_include_pad=d["include"])

    y = forward()
    if d["exact"]:
        dx = pool.avg_pool2d_backward(d["dy"], x.shape, *args, count_include_pad=d["include"])
        return {"y": (y, "minae"), "dx": (dx, "minae")}
    dx = numerical(lambda: float(np.sum(forward() * d["dy"])), {"dx": x})["dx"]
    return {"y": (y, "minae"), "dx": (dx, "numerical")}


EXERCISE = Exercise(
    name="avgpool2d",
    title="average pooling's backward pass",
    module="minae.kernels.pool",
    objects=("avg_pool2d_forward", "avg_pool2d_backward"),
    where="avg_pool2d_backward",
    task="""
        Write the body of avg_pool2d_backward: every entry of window (i, j) gets its share of
        dy[.., i, j]; add the shares into the padded gradient dxp, then take the padding off.
        Read avg_pool2d_forward first (in this file): it divides each window's sum by
        _divisor(...), KH * KW or (count_include_pad=False) the entries inside the image.
        """,
    math="""
        y[n, c, i, j] = sum_{p, q} xp[n, c, i*sh + p, j*sw + q] / count[i, j], a linear map.

            dy[n, c, i, j] / dxp[n, c, i*sh + p, j*sw + q] = ?    (for every tap p, q)

        Windows overlap when the stride is smaller than the kernel: an entry then collects the
        shares of every window it is in.
        """,
    hints=(
        "Each entry of a window contributes 1/count of itself to the window's output, so it "
        "gets dy / count back, from every window it belongs to.",
        "share = dy / _divisor(...) (the same divisor forward used); then, tap by tap as the "
        "forward loops, add share into the strided slice of a zero dxp that tap reads (+=); "
        "the image is dxp[:, :, pt:pt + H, pl:pl + W].",
        "share = dy / _divisor(x_shape, kernel_size, stride, padding, count_include_pad, "
        "dy.dtype); dxp = np.zeros((N, C, pt + H + pb, pl + W + pr), dtype=dy.dtype); for _, p, "
        "q in _taps(kernel_size): dxp[:, :, window_slice(p, sh, OH), window_slice(q, sw, OW)] "
        "+= share; return dxp[:, :, pt:pt + H, pl:pl + W]",
    ),
    checked_by="""
        The pooling cases of maxpool2d without ties (2x2 windows with stride 2, Keras's "same"
        on 7 -> 4, overlapping 3x3 windows, a 3x2 window with strides (2, 1) and uneven
        padding, float32 compared at a float32 tolerance with its dtype checked, a 28x28
        image), and the padded ones again with count_include_pad=False. dx is compared with
        the central-difference gradient of L = sum(avg_pool2d_forward(x) * dy) (minae's
        backward for the 28x28 image).
        """,
    mistakes=(
        Mistake("forgot to divide dy by the window's count",
                "y is the window's sum divided by count, so each entry gets dy / count.",
                (("share = dy / _divisor(x_shape, kernel_size, stride, padding, "
                  "count_include_pad, dy.dtype)", "share = dy"),)),
        Mistake("overwrote the gradient where windows overlap (= where += accumulates)",
                "An entry in several windows collects the share of each.",
                (("window_slice(q, sw, OW)] += share", "window_slice(q, sw, OW)] = share"),)),
        Mistake("divided by KH * KW even when the padding does not count",
                "With count_include_pad=False a border window averages fewer entries; the share "
                "is dy divided by the same count forward divided by.",
                (("count_include_pad, dy.dtype)", "True, dy.dtype)"),)),
        Mistake("off-by-one in the padding",
                "dx is the interior of dxp: it starts pt rows and pl columns in.",
                (("dxp[:, :, pt:pt + H, pl:pl + W]", "dxp[:, :, pb:pb + H, pr:pr + W]"),)),
    ),
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="AvgPool2D (minae/layers/pooling.py) calls these two functions.",
)
