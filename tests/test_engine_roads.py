"""The roads of the fast engine (minae.engine): chunked, flat, flipped, and the rule.

Each road is checked against the loop definitions of minae.kernels.reference in float64 to
1e-10, on shapes hypothesis draws (sizes, strides, padding, dilation, channel counts on both
sides of each threshold of the rule) and arrays built with numpy from a drawn seed. The
engine's settings are constructor arguments: one image per chunk (``chunk_bytes=1``) makes the
chunk loop, and a last shorter chunk, run.
"""

import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minae.engine import FastEngine, choose, chunked, flat
from minae.kernels import reference as ref
from minae.kernels.flip import flip_kernel, flip_padding
from minae.kernels.geometry import effective_size

TOL = 1e-10

cases = st.fixed_dictionaries({
    "N": st.integers(1, 3), "C": st.integers(1, 3), "F": st.integers(1, 3),
    "H": st.integers(1, 7), "W": st.integers(1, 7),
    "KH": st.integers(1, 4), "KW": st.integers(1, 4),
    "stride": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "padding": st.tuples(*[st.integers(0, 3)] * 4),
    "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "seed": st.integers(0, 2**32 - 1),
    "chunk_bytes": st.sampled_from([1, 2**22]),
    "flat_rows_waste": st.sampled_from([-1.0, 1e9]),
})


def _fits(c) -> bool:
    pt, pb, pl, pr = c["padding"]
    return (effective_size(c["KH"], c["dilation"][0]) <= c["H"] + pt + pb
            and effective_size(c["KW"], c["dilation"][1]) <= c["W"] + pl + pr)


def _arrays(c, stride):
    rng = np.random.default_rng(c["seed"])
    x = rng.standard_normal((c["N"], c["C"], c["H"], c["W"]))
    w = rng.standard_normal((c["F"], c["C"], c["KH"], c["KW"]))
    y = ref.conv2d_reference(x, w, stride, c["padding"], c["dilation"])
    return x, w, y, rng.standard_normal(y.shape)


def _engine(c) -> FastEngine:
    return FastEngine(chunk_bytes=c["chunk_bytes"], flat_rows_waste=c["flat_rows_waste"])


@settings(max_examples=120, deadline=None)
@given(cases)
def test_chunked_road_matches_the_loops(c):
    """chunked.forward / input_grad / weight_grad == the loops, any stride, any chunking,
    col2im on plain or flat rows."""
    assume(_fits(c))
    engine, hyper = _engine(c), (c["stride"], c["padding"], c["dilation"])
    x, w, y, dy = _arrays(c, c["stride"])
    np.testing.assert_allclose(chunked.forward(engine, x, w, *hyper), y, rtol=0, atol=TOL)
    np.testing.assert_allclose(chunked.input_grad(engine, dy, w, x.shape, *hyper),
                               ref.conv2d_input_grad_reference(dy, w, x.shape, *hyper),
                               rtol=0, atol=TOL)
    np.testing.assert_allclose(chunked.weight_grad(engine, x, dy, w.shape[2:], *hyper),
                               ref.conv2d_weight_grad_reference(x, dy, w.shape[2:], *hyper),
                               rtol=0, atol=TOL)


@settings(max_examples=120, deadline=None)
@given(cases)
def test_flat_road_matches_the_loops(c):
    """flat.forward and flat.weight_grad (stride 1) == the loops."""
    assume(_fits(c))
    engine, pad, dil = _engine(c), c["padding"], c["dilation"]
    x, w, y, dy = _arrays(c, (1, 1))
    np.testing.assert_allclose(flat.forward(engine, x, w, pad, dil), y, rtol=0, atol=TOL)
    np.testing.assert_allclose(
        flat.weight_grad(engine, x, dy, (c["KH"], c["KW"]), pad, dil),
        ref.conv2d_weight_grad_reference(x, dy, (c["KH"], c["KW"]), 1, pad, dil),
        rtol=0, atol=TOL)


@settings(max_examples=120, deadline=None)
@given(cases)
def test_flip_identity_both_ways(c):
    """conv_input_grad(dy, w, pad) == conv(dy, w_flip, pad_flip), and the other way round;
    pad_flip exists exactly when no padding is wider than the kernel's span."""
    assume(_fits(c))
    x, w, y, dy = _arrays(c, (1, 1))
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


# channel counts on both sides of flip_ratio and flat_max_channels (4 and 16)
channels = st.sampled_from([1, 2, 4, 5, 16, 17])


@settings(max_examples=40, deadline=None)
@given(c=cases, C=channels, F=channels, stride=st.sampled_from([(1, 1), (1, 1), (2, 1)]))
def test_every_road_the_rule_picks_matches_the_loops(c, C, F, stride):
    """FastEngine's three passes == the loops, whichever road the rule takes."""
    c = dict(c, C=C, F=F, N=1, H=min(c["H"], 5), W=min(c["W"], 5))
    assume(_fits(c))
    engine, hyper = _engine(c), (stride, c["padding"], c["dilation"])
    x, w, y, dy = _arrays(c, stride)
    np.testing.assert_allclose(engine.conv2d(x, w, *hyper), y, rtol=0, atol=TOL)
    np.testing.assert_allclose(engine.conv2d_dx(dy, w, x.shape, *hyper),
                               ref.conv2d_input_grad_reference(dy, w, x.shape, *hyper),
                               rtol=0, atol=TOL)
    np.testing.assert_allclose(engine.conv2d_dw(x, dy, w.shape[2:], *hyper),
                               ref.conv2d_weight_grad_reference(x, dy, w.shape[2:], *hyper),
                               rtol=0, atol=TOL)


def _functions_run(call) -> set[str]:
    """Names of the functions in minae/engine/ that ``call()`` ran (traced, not patched)."""
    seen = set()

    def profile(frame, event, arg):
        if event == "call" and "minae/engine/" in frame.f_code.co_filename.replace("\\", "/"):
            module = frame.f_code.co_filename.replace("\\", "/").rsplit("/", 1)[-1][:-3]
            seen.add(f"{module}.{frame.f_code.co_name}")

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return seen


@pytest.mark.parametrize("C, F, size, road, ran", [
    (16, 1, 8, "flipped", "chunked.input_grad"),   # rule 1: C >= 4 F
    (8, 8, 8, "flat", "flat.forward"),             # rule 2: C <= 16
    (8, 8, 7, "flat", "flat.forward"),             # rule 2: batch-flat off by default
    (32, 32, 8, "chunked", "chunked.forward"),     # rule 3
])
def test_the_rule_picks_the_road_it_says(C, F, size, road, ran):
    """road_for names the road, and a forward pass runs that road's function only."""
    engine = FastEngine()
    if road == "flat" and size == 7:  # batch-flat when switched on
        check = FastEngine(batchflat_max_pixels=49)
        x, w = np.ones((2, C, size, size)), np.ones((F, C, 3, 3))
        seen = _functions_run(lambda: check.conv2d(x, w, (1, 1), (1, 1, 1, 1), (1, 1)))
        assert "batchflat.forward" in seen and "flat.forward" not in seen
    assert choose.road_for(engine, C, F, flippable=True, pixels=size * size) == road
    x, w = np.ones((2, C, size, size)), np.ones((F, C, 3, 3))
    seen = _functions_run(lambda: engine.conv2d(x, w, (1, 1), (1, 1, 1, 1), (1, 1)))
    roads = {"chunked.forward", "chunked.input_grad", "flat.forward", "batchflat.forward"}
    assert seen & roads == {ran}


def test_the_rule_follows_the_engine_settings():
    """The thresholds are the engine's constructor settings, not module constants."""
    assert choose.road_for(FastEngine(), 8, 8, True) == "flat"
    assert choose.road_for(FastEngine(flat_max_channels=4), 8, 8, True) == "chunked"
    assert choose.road_for(FastEngine(flip_ratio=1), 8, 8, True) == "flipped"
    assert choose.road_for(FastEngine(flip_ratio=1), 8, 8, False) == "flat"
    assert choose.road_for(FastEngine(batchflat_max_pixels=49), 8, 8, True, pixels=49) == \
        "batchflat"
    assert choose.road_for(FastEngine(), 8, 8, True, pixels=16) == "flat"


def test_float32_stays_float32_on_every_road():
    """Every road computes in float32 for float32 inputs, within 1e-4 of float64."""
    rng = np.random.default_rng(0)
    engine, hyper = FastEngine(), ((1, 1), (1, 1, 1, 1), (1, 1))
    for C, F in [(16, 1), (8, 8), (32, 32)]:
        x = rng.standard_normal((2, C, 9, 9)).astype(np.float32)
        w = rng.standard_normal((F, C, 3, 3)).astype(np.float32)
        y = engine.conv2d(x, w, *hyper)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, ref.conv2d_reference(x.astype(np.float64), w, *hyper),
                                   rtol=1e-4, atol=1e-4)
        assert engine.conv2d_dx(y, w, x.shape, *hyper).dtype == np.float32
        assert engine.conv2d_dw(x, y, (3, 3), *hyper).dtype == np.float32


def test_empty_batch_on_every_road():
    """N = 0 through each road: empty outputs of the right shape, zero weight gradients."""
    engine, hyper = FastEngine(), ((1, 1), (1, 1, 1, 1), (1, 1))
    for C, F in [(16, 1), (8, 8), (32, 32)]:
        x, w = np.zeros((0, C, 6, 6)), np.ones((F, C, 3, 3))
        y = engine.conv2d(x, w, *hyper)
        assert y.shape == (0, F, 6, 6)
        assert engine.conv2d_dx(y, w, x.shape, *hyper).shape == x.shape
        np.testing.assert_array_equal(engine.conv2d_dw(x, y, (3, 3), *hyper), 0 * w)
