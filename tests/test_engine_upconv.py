"""minae.engine.upconv: conv(upsample_nearest(z)) as one convolution of z, against the loops.

Float64 to 1e-10: the output against the reference upsampling then the reference convolution,
``dz`` and ``dw`` against the loops' gradients (the upsampling's backward, a sum over each
block, after the convolution's input gradient), over hypothesis-drawn scales, kernels, padding
on each side and sizes; then float32 on the lesson's last layer, stated.
"""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minae.engine import FastEngine, upconv
from minae.gradcheck import relative_error
from minae.kernels import reference as ref

TOL = 1e-10

cases = st.fixed_dictionaries({
    "N": st.integers(1, 2), "C": st.integers(1, 3), "F": st.integers(1, 3),
    "H": st.integers(1, 5), "W": st.integers(1, 5),
    "KH": st.integers(1, 4), "KW": st.integers(1, 4),
    "scale": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "padding": st.tuples(*[st.integers(0, 2)] * 4),
    "seed": st.integers(0, 2**32 - 1),
})



@settings(max_examples=150, deadline=None)
@given(cases)
def test_output_and_both_gradients_match_upsample_then_convolve(c):
    (sh, sw), (pt, pb, pl, pr) = c["scale"], c["padding"]
    assume(c["KH"] <= sh * c["H"] + pt + pb and c["KW"] <= sw * c["W"] + pl + pr)
    rng = np.random.default_rng(c["seed"])
    z = rng.standard_normal((c["N"], c["C"], c["H"], c["W"]))
    w = rng.standard_normal((c["F"], c["C"], c["KH"], c["KW"]))
    u = ref.upsample_nearest_reference(z, (sh, sw))
    y = ref.conv2d_reference(u, w, 1, c["padding"], 1)
    dy = rng.standard_normal(y.shape)
    e = FastEngine()
    assert relative_error(upconv.forward(e, z, w, (sh, sw), c["padding"]), y) < TOL
    du = ref.conv2d_input_grad_reference(dy, w, u.shape, 1, c["padding"], 1)
    dz = ref.upsample_nearest_backward_reference(du, (sh, sw))
    dw = ref.conv2d_weight_grad_reference(u, dy, w.shape[2:], 1, c["padding"], 1)
    got_dz, got_dw = upconv.backward(e, z, w, dy, (sh, sw), c["padding"])
    assert relative_error(got_dz, dz) < TOL and relative_error(got_dw, dw) < TOL
    assert upconv.backward(e, z, w, dy, (sh, sw), c["padding"], input_grad=False)[0] is None


def test_float32_on_the_lesson_last_layer():
    """Upsample 14 -> 28 then 16 -> 1, 3x3 'same', float32 against float64 loops: < 1e-5."""
    rng = np.random.default_rng(0)
    z, w = rng.standard_normal((2, 16, 14, 14)), rng.standard_normal((1, 16, 3, 3))
    y = ref.conv2d_reference(ref.upsample_nearest_reference(z, (2, 2)), w, 1, (1, 1, 1, 1), 1)
    got = upconv.forward(FastEngine(), z.astype(np.float32), w.astype(np.float32), (2, 2),
                         (1, 1, 1, 1))
    assert got.dtype == np.float32 and relative_error(got, y) < 1e-5
