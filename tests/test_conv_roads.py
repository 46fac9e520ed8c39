"""The roads of minae.kernels.choose: flat images (wide), the flip identity, and the rule.

Each road is checked against the loop definitions of minae.kernels.reference in float64 to
1e-10, on shapes hypothesis draws (sizes, padding, dilation, channel counts on both sides of
each threshold of the rule) and arrays built with numpy from a drawn seed.
"""

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minae.kernels import choose, wide
from minae.kernels import conv as channels_last
from minae.kernels import reference as ref
from minae.kernels.flip import flip_kernel, flip_padding
from minae.kernels.geometry import effective_size

TOL = 1e-10

stride1_cases = st.fixed_dictionaries({
    "N": st.integers(1, 3), "C": st.integers(1, 3), "F": st.integers(1, 3),
    "H": st.integers(1, 7), "W": st.integers(1, 7),
    "KH": st.integers(1, 4), "KW": st.integers(1, 4),
    "padding": st.tuples(*[st.integers(0, 3)] * 4),
    "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "seed": st.integers(0, 2**32 - 1),
    "chunked": st.booleans(),
})


def _fits(c) -> bool:
    pt, pb, pl, pr = c["padding"]
    return (effective_size(c["KH"], c["dilation"][0]) <= c["H"] + pt + pb
            and effective_size(c["KW"], c["dilation"][1]) <= c["W"] + pl + pr)


def _arrays(c):
    rng = np.random.default_rng(c["seed"])
    x = rng.standard_normal((c["N"], c["C"], c["H"], c["W"]))
    w = rng.standard_normal((c["F"], c["C"], c["KH"], c["KW"]))
    y = ref.conv2d_reference(x, w, 1, c["padding"], c["dilation"])
    return x, w, y, rng.standard_normal(y.shape)


@contextmanager
def one_image_per_chunk(on: bool):
    """Every image its own chunk (so the chunk loop, and a last shorter chunk, run)."""
    saved = channels_last.CHUNK_BYTES  # the one chunk size every kernel uses
    channels_last.CHUNK_BYTES = 1 if on else saved
    try:
        yield
    finally:
        channels_last.CHUNK_BYTES = saved


@settings(max_examples=120, deadline=None)
@given(stride1_cases)
def test_flat_image_kernels_match_the_loops(c):
    assume(_fits(c))
    x, w, y, dy = _arrays(c)
    pad, dil = c["padding"], c["dilation"]
    with one_image_per_chunk(c["chunked"]):
        np.testing.assert_allclose(wide.conv2d_wide_forward(x, w, pad, dil), y, rtol=0, atol=TOL)
        np.testing.assert_allclose(
            wide.conv2d_wide_weight_grad(x, dy, (c["KH"], c["KW"]), pad, dil),
            ref.conv2d_weight_grad_reference(x, dy, (c["KH"], c["KW"]), 1, pad, dil),
            rtol=0, atol=TOL)


@settings(max_examples=120, deadline=None)
@given(stride1_cases)
def test_flip_identity_both_ways(c):
    """conv_input_grad(dy, w, pad) == conv(dy, w_flip, pad_flip), and the other way round;
    pad_flip exists exactly when no padding is wider than the kernel's span."""
    assume(_fits(c))
    x, w, y, dy = _arrays(c)
    pad, dil = c["padding"], c["dilation"]
    flipped = flip_padding(pad, (c["KH"], c["KW"]), dil)
    spans = [(c["KH"] - 1) * dil[0]] * 2 + [(c["KW"] - 1) * dil[1]] * 2
    assert (flipped is None) == any(p > s for p, s in zip(pad, spans, strict=True))
    assume(flipped is not None)
    np.testing.assert_allclose(
        ref.conv2d_reference(dy, flip_kernel(w), 1, flipped, dil),
        ref.conv2d_input_grad_reference(dy, w, x.shape, 1, pad, dil), rtol=0, atol=TOL)
    np.testing.assert_allclose(
        ref.conv2d_input_grad_reference(x, flip_kernel(w), y.shape, 1, flipped, dil),
        y, rtol=0, atol=TOL)
    np.testing.assert_array_equal(flip_kernel(flip_kernel(w)), w)


# channel counts on both sides of FLIP_RATIO and WIDE_MAX_CHANNELS (4 and 16)
channels = st.sampled_from([1, 2, 4, 5, 16, 17])


@settings(max_examples=40, deadline=None)
@given(c=stride1_cases, C=channels, F=channels, stride=st.sampled_from([1, 1, 2]))
def test_every_road_the_rule_picks_matches_the_loops(c, C, F, stride):
    c = dict(c, C=C, F=F, N=1, H=min(c["H"], 5), W=min(c["W"], 5))
    assume(_fits(c))
    rng = np.random.default_rng(c["seed"])
    x = rng.standard_normal((1, C, c["H"], c["W"]))
    w = rng.standard_normal((F, C, c["KH"], c["KW"]))
    hyper = (stride, c["padding"], c["dilation"])
    y = choose.conv2d(x, w, *hyper)
    np.testing.assert_allclose(y, ref.conv2d_reference(x, w, *hyper), rtol=0, atol=TOL)
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(choose.conv2d_dx(dy, w, x.shape, *hyper),
                               ref.conv2d_input_grad_reference(dy, w, x.shape, *hyper),
                               rtol=0, atol=TOL)
    np.testing.assert_allclose(choose.conv2d_dw(x, dy, w.shape[2:], *hyper),
                               ref.conv2d_weight_grad_reference(x, dy, w.shape[2:], *hyper),
                               rtol=0, atol=TOL)


@pytest.mark.parametrize("C, F, road", [
    (16, 1, "scatter"),   # rule 1: C >= 4 F
    (8, 8, "wide"),       # rule 2: C <= 16
    (32, 32, "gather"),   # rule 3
])
def test_the_rule_picks_the_road_it_says(C, F, road, monkeypatch):
    """Which function runs for each rule (the roads are swapped for recorders)."""
    calls = []
    for name, label in [("conv2d_input_grad", "scatter"), ("conv2d_wide_forward", "wide"),
                        ("conv2d_forward", "gather")]:
        real = getattr(choose, name)
        monkeypatch.setattr(choose, name, lambda *a, _r=real, _l=label, **k: (
            calls.append(_l), _r(*a, **k))[1])
    x = np.ones((2, C, 6, 6))
    w = np.ones((F, C, 3, 3))
    choose.conv2d(x, w, 1, 1)
    assert calls == [road]


def test_wrong_shapes_get_the_clear_errors():
    x, w = np.ones((2, 3, 6, 6)), np.ones((4, 3, 3, 3))
    with pytest.raises(ValueError, match="must share C"):
        choose.conv2d(np.ones((2, 2, 6, 6)), w)
    with pytest.raises(ValueError, match="dy has shape"):
        choose.conv2d_dx(np.ones((2, 4, 5, 5)), w, x.shape)
    with pytest.raises(ValueError, match="dy has shape"):
        choose.conv2d_dw(x, np.ones((2, 4, 5, 5)), 3)
    with pytest.raises(ValueError, match="more than the padded input"):
        wide.conv2d_wide_forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)))


def test_float32_stays_float32_on_every_road():
    rng = np.random.default_rng(0)
    for C, F in [(16, 1), (8, 8), (32, 32)]:
        x = rng.standard_normal((2, C, 9, 9)).astype(np.float32)
        w = rng.standard_normal((F, C, 3, 3)).astype(np.float32)
        y = choose.conv2d(x, w, 1, 1)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, ref.conv2d_reference(x.astype(np.float64), w, 1, 1),
                                   rtol=1e-4, atol=1e-4)
        assert choose.conv2d_dx(y, w, x.shape, 1, 1).dtype == np.float32
        assert choose.conv2d_dw(x, y, 3, 1, 1).dtype == np.float32
