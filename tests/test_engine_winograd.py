"""minae.engine.winograd: F(2x2, 3x3) against the loops (float64 to 1e-10, hypothesis-drawn
sizes and padding, odd output sizes included), and its float32 error, stated."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minae.engine import FastEngine, winograd
from minae.gradcheck import relative_error
from minae.kernels import reference as ref

cases = st.fixed_dictionaries({
    "N": st.integers(1, 3), "C": st.integers(1, 3), "F": st.integers(1, 3),
    "H": st.integers(1, 9), "W": st.integers(1, 9),
    "padding": st.tuples(*[st.integers(0, 2)] * 4), "seed": st.integers(0, 2**32 - 1),
    "chunk_bytes": st.sampled_from([1, 2**22]),
})



@settings(max_examples=100, deadline=None)
@given(cases)
def test_forward_matches_the_loops(c):
    pt, pb, pl, pr = c["padding"]
    assume(c["H"] + pt + pb >= 3 and c["W"] + pl + pr >= 3)
    rng = np.random.default_rng(c["seed"])
    x = rng.standard_normal((c["N"], c["C"], c["H"], c["W"]))
    w = rng.standard_normal((c["F"], c["C"], 3, 3))
    y = ref.conv2d_reference(x, w, 1, c["padding"], 1)
    got = winograd.forward(FastEngine(chunk_bytes=c["chunk_bytes"]), x, w, c["padding"])
    assert relative_error(got, y) < 1e-10


def test_float32_error_on_a_lesson_layer():
    """16 -> 8 at 14x14, float32 against float64 loops: below 1e-5 (the transforms add a few
    roundings; measured 9e-8, the engine's rule 1.6e-7)."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 16, 14, 14)), rng.standard_normal((8, 16, 3, 3))
    y = ref.conv2d_reference(x, w, 1, (1, 1, 1, 1), 1)
    got = winograd.forward(FastEngine(), x.astype(np.float32), w.astype(np.float32),
                           (1, 1, 1, 1))
    assert got.dtype == np.float32 and relative_error(got, y) < 1e-5
