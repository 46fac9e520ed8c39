"""Taught == run: one training batch of the lesson's conv autoencoder, traced.

``sys.setprofile`` records every Python function that runs (nothing is patched). Without an
engine the batch must run the taught passes of minae/kernels/conv.py and im2col.py and nothing
in minae/engine/; with ``use_engine(FastEngine())`` it must run the engine's roads and none of
the taught convolution passes.
"""

import sys

import numpy as np

from minae.autoencoders import conv_autoencoder
from minae.engine import FastEngine
from minae.losses import binary_cross_entropy_with_logits
from minae.optim import Adam

TAUGHT = {"kernels/conv.py:conv2d_forward", "kernels/conv.py:conv2d_input_grad",
          "kernels/conv.py:conv2d_weight_grad", "kernels/im2col.py:im2col",
          "kernels/im2col.py:col2im"}
TAUGHT_PASSES = {name for name in TAUGHT if name.startswith("kernels/conv.py")}


def _traced_batch(model) -> set[str]:
    """``"package/file.py:function"`` for every minae function one batch ran: forward, loss,
    backward, Adam step."""
    rng = np.random.default_rng(0)
    x = rng.random((4, 1, 28, 28)).astype(np.float32)
    optimizer = Adam(lr=1e-3)
    seen = set()

    def profile(frame, event, arg):
        path = frame.f_code.co_filename.replace("\\", "/")
        if event == "call" and "/minae/" in path:
            seen.add("/".join(path.rsplit("/", 2)[-2:]) + ":" + frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        logits = model.forward(x)
        loss, grad = binary_cross_entropy_with_logits(logits, x)
        model.backward(grad)
        optimizer.step(model)
    finally:
        sys.setprofile(None)
    assert np.isfinite(loss)
    return seen


def test_plain_path_runs_the_taught_passes_and_no_engine_code():
    seen = _traced_batch(conv_autoencoder(rng=np.random.default_rng(1)))
    assert TAUGHT <= seen, f"taught functions that did not run: {TAUGHT - seen}"
    engine_code = {name for name in seen if name.startswith("engine/")}
    assert not engine_code, f"engine functions ran on the plain path: {engine_code}"


def test_fast_path_runs_the_engine_and_not_the_taught_passes():
    model = conv_autoencoder(rng=np.random.default_rng(1)).use_engine(FastEngine())
    seen = _traced_batch(model)
    assert {"engine/fast.py:conv2d", "engine/fast.py:conv2d_dx",
            "engine/fast.py:conv2d_dw"} <= seen
    assert any(name.startswith(("engine/chunked.py:", "engine/flat.py:")) for name in seen)
    assert not TAUGHT_PASSES & seen, f"taught passes ran on the fast path: {TAUGHT_PASSES & seen}"
