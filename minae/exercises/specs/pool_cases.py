"""Cases shared by the pooling exercises: windows, strides and paddings ``MaxPool2D`` and
``AvgPool2D`` accept, ties, a batch of 1, float32 and a 28x28 image."""

import numpy as np

from minae.exercises.harness import library
from minae.exercises.spec import Case

# (N, C, H, W, (KH, KW), (sh, sw), padding (pt, pb, pl, pr), dtype)
SHAPES = [
    (2, 2, 4, 6, (2, 2), (2, 2), (0, 0, 0, 0), np.float64),
    (1, 2, 7, 7, (2, 2), (2, 2), (0, 1, 0, 1), np.float64),   # Keras "same": 7 -> 4
    (2, 1, 5, 5, (3, 3), (1, 1), (1, 1, 1, 1), np.float64),   # overlapping windows
    (1, 2, 6, 5, (3, 2), (2, 1), (1, 1, 0, 1), np.float64),   # non-square, uneven padding
    (3, 2, 6, 6, (2, 2), (2, 2), (0, 0, 0, 0), np.float32),
    (2, 3, 28, 28, (2, 2), (2, 2), (0, 0, 0, 0), np.float64),  # the lesson's first pool
]


def label(shape, k, s, pad, dtype, extra="") -> str:
    return (f"x {shape}, kernel {k}, stride {s}, padding {pad}{extra}"
            + ("" if dtype == np.float64 else ", float32"))


def pool_cases(rng, ties: bool) -> list[Case]:
    """Distinct values at least 0.1 apart (no ties: h = 1e-6 never changes a winner), and
    with ``ties`` two more cases of small integers (ties everywhere, minae's convention)."""
    pool = library("minae.kernels.pool")
    cases = []
    for n, c, h, w, k, s, pad, dtype in SHAPES:
        size = n * c * h * w
        x = (rng.permutation(size) * 0.1 - size * 0.05).reshape(n, c, h, w)
        y_shape = pool.pool_output_shape(x.shape, k, s, pad)
        cases.append(Case(label(x.shape, k, s, pad, dtype),
                          {"x": x, "k": k, "s": s, "pad": pad, "exact": h * w > 100,
                           "dy": rng.standard_normal(y_shape)}, {}, dtype))
    if ties:
        for shape, k, s, pad in [((2, 2, 6, 6), (2, 2), (2, 2), (0, 0, 0, 0)),
                                 ((1, 2, 5, 5), (3, 3), (1, 1), (1, 1, 1, 1))]:
            x = rng.integers(0, 3, shape).astype(np.float64)
            y_shape = pool.pool_output_shape(shape, k, s, pad)
            cases.append(Case(label(shape, k, s, pad, np.float64,
                                    ", values 0, 1, 2 (ties: the first maximum wins)"),
                              {"x": x, "k": k, "s": s, "pad": pad, "exact": True,
                               "dy": rng.standard_normal(y_shape)}))
    return cases
