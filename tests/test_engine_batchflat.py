"""minae.engine.batchflat: a chunk of images as one flat image, against the loops.

Float64 to 1e-10 against minae.kernels.reference, on shapes hypothesis draws (sizes, padding on
each side, dilation, channels) with arrays built by numpy from a drawn seed; one image per
chunk (``chunk_bytes=1``) and the whole batch in one chunk both run. Then float32 against the
float64 loops, with the tolerance stated.
"""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minae.engine import FastEngine, batchflat
from minae.gradcheck import relative_error
from minae.kernels import reference as ref
from minae.kernels.flip import flip_kernel, flip_padding
from minae.kernels.geometry import effective_size

TOL = 1e-10
F32_TOL = 1e-5  # float32 road vs float64 loops: max-norm relative error, sums of <= 144 terms

cases = st.fixed_dictionaries({
    "N": st.integers(1, 4), "C": st.integers(1, 3), "F": st.integers(1, 3),
    "H": st.integers(1, 7), "W": st.integers(1, 7),
    "KH": st.integers(1, 4), "KW": st.integers(1, 4),
    "padding": st.tuples(*[st.integers(0, 3)] * 4),
    "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "seed": st.integers(0, 2**32 - 1),
    "chunk_bytes": st.sampled_from([1, 2**22]),
})


def _fits(c) -> bool:
    pt, pb, pl, pr = c["padding"]
    return (effective_size(c["KH"], c["dilation"][0]) <= c["H"] + pt + pb
            and effective_size(c["KW"], c["dilation"][1]) <= c["W"] + pl + pr)



@settings(max_examples=150, deadline=None)
@given(cases)
def test_forward_input_grad_and_weight_grad_match_the_loops(c):
    assume(_fits(c))
    rng = np.random.default_rng(c["seed"])
    x = rng.standard_normal((c["N"], c["C"], c["H"], c["W"]))
    w = rng.standard_normal((c["F"], c["C"], c["KH"], c["KW"]))
    pads, dil = c["padding"], c["dilation"]
    engine = FastEngine(chunk_bytes=c["chunk_bytes"])
    y = ref.conv2d_reference(x, w, 1, pads, dil)
    dy = rng.standard_normal(y.shape)
    assert relative_error(batchflat.forward(engine, x, w, pads, dil), y) < TOL
    dw = ref.conv2d_weight_grad_reference(x, dy, w.shape[2:], 1, pads, dil)
    assert relative_error(batchflat.weight_grad(engine, x, dy, w.shape[2:], pads, dil), dw) < TOL
    flipped = flip_padding(pads, w.shape[2:], dil)
    if flipped is not None:  # the input gradient: forward with the flipped kernel
        dx = ref.conv2d_input_grad_reference(dy, w, x.shape, 1, pads, dil)
        assert relative_error(batchflat.forward(engine, dy, flip_kernel(w), flipped, dil), dx) < TOL


def test_returned_arrays_are_fresh_and_scratch_is_bounded_by_the_chunk():
    """A later call never overwrites an earlier result; scratch does not grow with N."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    engine = FastEngine(chunk_bytes=2 ** 16)
    sizes = {}
    for N in (16, 64, 256):
        x = rng.standard_normal((N, 8, 7, 7)).astype(np.float32)
        y1 = batchflat.forward(engine, x, w, (1, 1, 1, 1), (1, 1))
        keep = y1.copy()
        batchflat.forward(engine, -x, w, (1, 1, 1, 1), (1, 1))
        np.testing.assert_array_equal(y1, keep)
        sizes[N] = engine.scratch_bytes()
    assert sizes[16] == sizes[64] == sizes[256] <= 4 * 2 ** 16


def test_float32_error_against_the_float64_loops():
    """The lesson's 8 -> 8 layer at 7x7, float32 in, against float64 loops: below 1e-5."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8, 7, 7))
    w = rng.standard_normal((8, 8, 3, 3))
    y = ref.conv2d_reference(x, w, 1, (1, 1, 1, 1), (1, 1))
    dy = rng.standard_normal(y.shape)
    dw = ref.conv2d_weight_grad_reference(x, dy, (3, 3), 1, (1, 1, 1, 1), (1, 1))
    engine = FastEngine()
    x32, w32, dy32 = (a.astype(np.float32) for a in (x, w, dy))
    y32 = batchflat.forward(engine, x32, w32, (1, 1, 1, 1), (1, 1))
    dw32 = batchflat.weight_grad(engine, x32, dy32, (3, 3), (1, 1, 1, 1), (1, 1))
    assert y32.dtype == dw32.dtype == np.float32
    assert relative_error(y32, y) < F32_TOL and relative_error(dw32, dw) < F32_TOL
