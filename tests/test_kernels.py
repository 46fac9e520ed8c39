"""minae.kernels: the taught passes agree with the loop definitions, and the sizes are right.

(The fast engine's roads have their own tests against the same loops: test_engine_roads.py.)

Hypothesis draws sizes, strides, paddings, dilations and a seed; the arrays are then built with
numpy from that seed (hypothesis-drawn floats would shrink onto zeros and ties).
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kernel_helpers import conv_arrays, conv_cases, fits

from minae.kernels import conv as taught
from minae.kernels import pool, upsample
from minae.kernels import reference as ref
from minae.kernels.geometry import (
    as_padding,
    conv_output_size,
    conv_transpose_output_size,
    effective_size,
)
from minae.kernels.im2col import col2im, im2col, pad_channels_last

TOL = 1e-10

cases = conv_cases()  # sizes up to 8, kernels up to 4, padding up to 2 a side


@settings(max_examples=150, deadline=None)
@given(cases)
def test_taught_conv_matches_reference_all_three_passes(c):
    """forward, dx and dw of the taught im2col passes == the loops, within TOL."""
    assume(fits(c))
    rng, x, w = conv_arrays(c)
    hyper = (c["stride"], c["padding"], c["dilation"])

    y = taught.conv2d_forward(x, w, *hyper)
    np.testing.assert_allclose(y, ref.conv2d_reference(x, w, *hyper), rtol=0, atol=TOL)

    dy = rng.standard_normal(y.shape)
    dx = taught.conv2d_input_grad(dy, w, x.shape, *hyper)
    np.testing.assert_allclose(dx, ref.conv2d_input_grad_reference(dy, w, x.shape, *hyper),
                               rtol=0, atol=TOL)
    dw = taught.conv2d_weight_grad(x, dy, (c["KH"], c["KW"]), *hyper)
    np.testing.assert_allclose(dw, ref.conv2d_weight_grad_reference(x, dy, (c["KH"], c["KW"]),
                                                                    *hyper), rtol=0, atol=TOL)


@settings(max_examples=100, deadline=None)
@given(cases)
def test_conv_and_its_transpose_are_adjoint(c):
    """<conv(x), y> == <x, conv_transpose(y)>, and the transposed conv's own backward passes."""
    assume(fits(c))
    rng, x, w = conv_arrays(c)
    hyper = (c["stride"], c["padding"], c["dilation"])
    conv_x = taught.conv2d_forward(x, w, *hyper)
    y = rng.standard_normal(conv_x.shape)
    # the transposed convolution of y, sized back to x (output_padding = the rows floor dropped)
    op = tuple((n + a + b - effective_size(k, d)) % s for n, a, b, k, d, s in zip(
        x.shape[2:], c["padding"][::2], c["padding"][1::2], w.shape[2:], c["dilation"],
        c["stride"], strict=True))
    y_shape = taught.conv_transpose2d_output_shape(y.shape, w.shape, *hyper, op)
    convT_y = taught.conv_transpose2d_forward(y, w, y_shape, *hyper)
    assert convT_y.shape == x.shape
    lhs, rhs = np.vdot(conv_x, y), np.vdot(x, convT_y)
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))
    # its input gradient is a convolution, its weight gradient conv's with roles swapped
    np.testing.assert_allclose(taught.conv_transpose2d_input_grad(x, w, *hyper),
                               ref.conv2d_reference(x, w, *hyper), atol=TOL, rtol=0)
    np.testing.assert_allclose(
        taught.conv_transpose2d_weight_grad(y, x, w.shape[2:], *hyper),
        ref.conv2d_weight_grad_reference(x, y, w.shape[2:], *hyper), atol=TOL, rtol=0)


@settings(max_examples=30, deadline=None)
@given(cases)
def test_col2im_is_the_adjoint_of_im2col(c):
    assume(fits(c))
    rng, x, _ = conv_arrays(c)
    xp = pad_channels_last(x, c["padding"])
    cols = im2col(xp, (c["KH"], c["KW"]), c["stride"], c["dilation"])  # (N, OH, OW, KH, KW, C)
    g = rng.standard_normal(cols.shape)
    back = col2im(np.ascontiguousarray(g.transpose(3, 4, 0, 1, 2, 5)), xp.shape, c["stride"],
                  c["dilation"])
    assert abs(np.vdot(cols, g) - np.vdot(xp, back)) <= 1e-10 * max(1.0, abs(np.vdot(cols, g)))


def test_im2col_rows_are_receptive_fields():
    x = np.arange(2 * 3 * 5 * 4, dtype=float).reshape(2, 3, 5, 4)
    xp = pad_channels_last(x, (1, 0, 2, 1))
    cols = im2col(xp, (2, 3), (2, 1), (1, 2))
    n, i, j, p, q, c = 1, 1, 2, 1, 2, 2
    assert cols[n, i, j, p, q, c] == xp[n, i * 2 + p * 1, j * 1 + q * 2, c]
    assert xp[1, 1, 2, 0] == x[1, 0, 0, 0] and xp[0, 0, 0, 0] == 0  # padding is zero


def test_float32_stays_float32_and_agrees_with_float64():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 4, 9, 9)), rng.standard_normal((5, 4, 3, 3))
    hyper = ((2, 2), (1, 1, 1, 1), (1, 1))
    y32 = taught.conv2d_forward(x.astype(np.float32), w.astype(np.float32), *hyper)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, taught.conv2d_forward(x, w, *hyper), rtol=1e-4, atol=1e-4)


def test_empty_batch():
    """N = 0 gives empty outputs of the right shape and a zero weight gradient."""
    w, hyper = np.ones((2, 3, 3, 3)), ((1, 1), (0, 0, 0, 0), (1, 1))
    assert taught.conv2d_forward(np.zeros((0, 3, 5, 5)), w, *hyper).shape == (0, 2, 3, 3)
    dx = taught.conv2d_input_grad(np.zeros((0, 2, 3, 3)), w, (0, 3, 5, 5), *hyper)
    assert dx.shape == (0, 3, 5, 5)
    np.testing.assert_array_equal(
        taught.conv2d_weight_grad(np.zeros((0, 3, 5, 5)), np.zeros((0, 2, 3, 3)), (3, 3),
                                  *hyper), 0 * w)


# ----------------------------------------------------------------------------------------------
# sizes
# ----------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 6), st.integers(1, 4), st.integers(0, 5),
       st.integers(1, 3))
def test_output_size_counts_the_window_positions(n, k, s, pad_total, d):
    # window starts 0, s, 2s, ... while the window still ends inside the padded input
    starts = [i for i in range(0, n + pad_total, s) if i + effective_size(k, d) <= n + pad_total]
    if starts:
        assert conv_output_size(n, k, s, pad_total, d) == len(starts)
    else:  # the kernel does not fit: the formula says so with a size <= 0
        assert conv_output_size(n, k, s, pad_total, d) <= 0


@pytest.mark.parametrize("n,k,s,p,d,expected", [
    (7, 3, 1, 0, 1, 5), (7, 3, 2, 0, 1, 3), (7, 3, 2, 2, 1, 4), (9, 4, 3, 2, 1, 3),
    (11, 3, 1, 0, 2, 7), (13, 5, 4, 2, 1, 3), (28, 4, 2, 2, 1, 14), (15, 2, 2, 0, 1, 7),
])
def test_output_size_on_odd_sizes(n, k, s, p, d, expected):
    assert conv_output_size(n, k, s, p, d) == expected  # p is the total padding
    assert conv_output_size(n, k, s, p, d) == (n + p - d * (k - 1) - 1) // s + 1


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3),
       st.integers(1, 2), st.data())
def test_transposed_size_inverts_the_conv_size(n, k, s, p, d, data):
    op = data.draw(st.integers(0, s - 1))
    m = conv_transpose_output_size(n, k, s, 2 * p, d, op)
    assume(m >= 1)
    assert m == (n - 1) * s - 2 * p + d * (k - 1) + op + 1  # PyTorch's formula
    assert conv_output_size(m, k, s, 2 * p, d) == n


def test_padding_normalisation():
    assert as_padding(1) == (1, 1, 1, 1)
    assert as_padding((1, 2)) == (1, 1, 2, 2)
    assert as_padding(((0, 1), (2, 3))) == (0, 1, 2, 3)
    assert as_padding((0, 1, 2, 3)) == (0, 1, 2, 3)
    with pytest.raises(ValueError):
        as_padding(-1)
    with pytest.raises(TypeError):
        as_padding(1.5)


# ----------------------------------------------------------------------------------------------
# pooling and upsampling kernels
# ----------------------------------------------------------------------------------------------

pool_cases = st.fixed_dictionaries({
    "N": st.integers(1, 2), "C": st.integers(1, 2), "H": st.integers(1, 8),
    "W": st.integers(1, 8), "KH": st.integers(1, 3), "KW": st.integers(1, 3),
    "stride": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "padding": st.tuples(*[st.integers(0, 1)] * 4),
    "ties": st.booleans(), "include_pad": st.booleans(), "seed": st.integers(0, 2**32 - 1),
})


@settings(max_examples=120, deadline=None)
@given(pool_cases)
def test_fast_pooling_matches_reference(c):
    k, s, pads = (c["KH"], c["KW"]), c["stride"], c["padding"]
    assume(pads[0] < k[0] and pads[1] < k[0] and pads[2] < k[1] and pads[3] < k[1])
    assume(k[0] <= c["H"] + pads[0] + pads[1] and k[1] <= c["W"] + pads[2] + pads[3])
    rng = np.random.default_rng(c["seed"])
    shape = (c["N"], c["C"], c["H"], c["W"])
    # with ties: small integers, so windows often hold equal maxima (first one must win)
    x = rng.integers(0, 3, shape).astype(float) if c["ties"] else rng.standard_normal(shape)
    y, winner = pool.max_pool2d_forward(x, k, s, pads)
    np.testing.assert_array_equal(y, ref.max_pool2d_reference(x, k, s, pads))
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(pool.max_pool2d_backward(dy, winner, x.shape, k, s, pads),
                               ref.max_pool2d_backward_reference(dy, x, k, s, pads),
                               atol=TOL, rtol=0)
    inc = c["include_pad"]
    ya = pool.avg_pool2d_forward(x, k, s, pads, inc)
    np.testing.assert_allclose(ya, ref.avg_pool2d_reference(x, k, s, pads, inc), atol=TOL,
                               rtol=0)
    np.testing.assert_allclose(pool.avg_pool2d_backward(dy, x.shape, k, s, pads, inc),
                               ref.avg_pool2d_backward_reference(dy, x.shape, k, s, pads, inc),
                               atol=TOL, rtol=0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 2), st.integers(1, 6), st.integers(1, 6), st.integers(1, 3),
       st.integers(1, 3), st.sampled_from(["nearest", "bilinear"]), st.integers(0, 2**32 - 1))
def test_upsample_matches_reference(C, H, W, sh, sw, mode, seed):
    """minae.kernels.upsample's forward and backward == the loops, both modes."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, C, H, W))
    y = upsample.upsample2d_forward(x, (sh, sw), mode)
    dy = rng.standard_normal(y.shape)
    if mode == "nearest":
        y_ref = ref.upsample_nearest_reference(x, (sh, sw))
        dx_ref = ref.upsample_nearest_backward_reference(dy, (sh, sw))
    else:
        y_ref = ref.upsample_bilinear_reference(x, (sh, sw))
        dx_ref = ref.upsample_bilinear_backward_reference(dy, (sh, sw))
    np.testing.assert_allclose(y, y_ref, atol=TOL, rtol=0)
    np.testing.assert_allclose(upsample.upsample2d_backward(dy, x.shape, (sh, sw), mode), dx_ref,
                               atol=TOL, rtol=0)
