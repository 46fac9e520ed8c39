"""minae.engine.polyphase: a strided convolution as a stride-1 one of its components.

Float64 against the loops of minae.kernels.reference to 1e-10 (all three passes), on shapes
hypothesis draws: strides 1 to 3 on each axis, kernels 1 to 5, padding on each side, sizes
where the last window leaves rows unused. Then float32 on conv_vae's first layer, stated.
"""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minae.engine import FastEngine, polyphase
from minae.gradcheck import relative_error
from minae.kernels import reference as ref

TOL = 1e-10

cases = st.fixed_dictionaries({
    "N": st.integers(1, 3), "C": st.integers(1, 3), "F": st.integers(1, 3),
    "H": st.integers(1, 9), "W": st.integers(1, 9),
    "KH": st.integers(1, 5), "KW": st.integers(1, 5),
    "stride": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "padding": st.tuples(*[st.integers(0, 2)] * 4),
    "seed": st.integers(0, 2**32 - 1),
})



@settings(max_examples=150, deadline=None)
@given(cases)
def test_all_three_passes_match_the_loops(c):
    pt, pb, pl, pr = c["padding"]
    assume(c["KH"] <= c["H"] + pt + pb and c["KW"] <= c["W"] + pl + pr)
    rng = np.random.default_rng(c["seed"])
    x = rng.standard_normal((c["N"], c["C"], c["H"], c["W"]))
    w = rng.standard_normal((c["F"], c["C"], c["KH"], c["KW"]))
    s, pads, e = c["stride"], c["padding"], FastEngine()
    y = ref.conv2d_reference(x, w, s, pads, 1)
    dy = rng.standard_normal(y.shape)
    assert relative_error(polyphase.forward(e, x, w, s, pads), y) < TOL
    dx = ref.conv2d_input_grad_reference(dy, w, x.shape, s, pads, 1)
    assert relative_error(polyphase.input_grad(e, dy, w, x.shape, s, pads), dx) < TOL
    dw = ref.conv2d_weight_grad_reference(x, dy, w.shape[2:], s, pads, 1)
    assert relative_error(polyphase.weight_grad(e, x, dy, w.shape[2:], s, pads), dw) < TOL


def test_float32_on_the_conv_vae_first_layer():
    """1 -> 32, 4x4, stride 2, padding 1 at 28x28 in float32, against float64 loops: < 1e-5."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 1, 28, 28)), rng.standard_normal((32, 1, 4, 4))
    pads = (1, 1, 1, 1)
    y = ref.conv2d_reference(x, w, 2, pads, 1)
    got = polyphase.forward(FastEngine(), x.astype(np.float32), w.astype(np.float32), (2, 2),
                            pads)
    assert got.dtype == np.float32 and relative_error(got, y) < 1e-5


def test_the_rule_sends_few_channel_strided_passes_here(monkeypatch):
    """sh*sw*C <= polyphase_max_channels: all three passes polyphase; 0 turns it off."""
    ran = []
    for name in ("forward", "input_grad", "weight_grad"):
        real = getattr(polyphase, name)
        monkeypatch.setattr(polyphase, name,
                            lambda *a, _real=real, _name=name: ran.append(_name) or _real(*a))
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 1, 8, 8)), rng.standard_normal((3, 1, 4, 4))
    h = ((2, 2), (1, 1, 1, 1), (1, 1))
    for engine, expected in ((FastEngine(), 3), (FastEngine(polyphase_max_channels=0), 0),
                             (FastEngine(polyphase_max_channels=3), 0)):
        ran.clear()
        y = engine.conv2d(x, w, *h)
        engine.conv2d_dx(y, w, x.shape, *h)
        engine.conv2d_dw(x, y, (4, 4), *h)
        assert len(ran) == expected
