"""Helpers for the kernel tests: convolution cases drawn by hypothesis, and their arrays.

A case is a dict of sizes, a stride, a padding ``(pt, pb, pl, pr)``, a dilation and a seed;
the arrays are then built with numpy from the seed (hypothesis-drawn floats would shrink onto
zeros and ties).
"""

import numpy as np
from hypothesis import strategies as st

from minae.kernels.geometry import effective_size


def conv_cases(size: int = 8, kernel: int = 4, pad: int = 2, **extra) -> st.SearchStrategy:
    """Cases with ``N, C, F`` in 1..3, ``H, W`` in 1..size, ``KH, KW`` in 1..kernel, strides
    1..3, each side's padding 0..pad, dilations 1..2 and a seed; ``extra`` adds more fields."""
    return st.fixed_dictionaries({
        "N": st.integers(1, 3), "C": st.integers(1, 3), "F": st.integers(1, 3),
        "H": st.integers(1, size), "W": st.integers(1, size),
        "KH": st.integers(1, kernel), "KW": st.integers(1, kernel),
        "stride": st.tuples(st.integers(1, 3), st.integers(1, 3)),
        "padding": st.tuples(*[st.integers(0, pad)] * 4),
        "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)),
        "seed": st.integers(0, 2**32 - 1),
        **extra,
    })


def fits(c) -> bool:
    """Whether the (dilated) kernel fits the padded input, so the output is not empty."""
    pt, pb, pl, pr = c["padding"]
    dh, dw = c.get("dilation", (1, 1))
    return (effective_size(c["KH"], dh) <= c["H"] + pt + pb
            and effective_size(c["KW"], dw) <= c["W"] + pl + pr)


def conv_arrays(c):
    """The case's generator, ``x: (N, C, H, W)`` and ``w: (F, C, KH, KW)`` (standard normal)."""
    rng = np.random.default_rng(c["seed"])
    x = rng.standard_normal((c["N"], c["C"], c["H"], c["W"]))
    w = rng.standard_normal((c["F"], c["C"], c["KH"], c["KW"]))
    return rng, x, w
