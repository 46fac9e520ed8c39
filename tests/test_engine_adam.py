"""minae.engine.adam.FastAdam computes bitwise what minae.optim.Adam computes.

Equality, not closeness: every operation is elementwise and runs in Adam's order, so a piece
of the array gives the same floats as the whole array would.
"""

import numpy as np
import pytest

from minae.engine.adam import FastAdam
from minae.optim import Adam


class Params:
    """The optimizer's view of a model: ``params`` and ``grads`` by name."""

    def __init__(self, shapes, dtype, rng):
        self.params = {f"p{i}": rng.standard_normal(s).astype(dtype) for i, s in
                       enumerate(shapes)}
        self.grads = {}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [{}, {"weight_decay": 0.01}, {"eps_hat": True, "eps": 1e-7},
                                    {"betas": (0.5, 0.9), "lr": 0.1}])
@pytest.mark.parametrize("piece", [7, 1000, 65536])
def test_fast_adam_equals_adam_bitwise_over_steps(dtype, kwargs, piece):
    """Shapes above and below a piece, a size that is no multiple of it; 5 steps."""
    shapes = [(784, 100), (40,), (3, 5, 7), (1,)]  # 78,400: more than one default piece
    rng = np.random.default_rng(0)
    a, b = Params(shapes, dtype, np.random.default_rng(1)), Params(shapes, dtype,
                                                                   np.random.default_rng(1))
    slow, fast = Adam(**kwargs), FastAdam(piece=piece, **kwargs)
    for _ in range(5):
        for name, p in a.params.items():
            g = rng.standard_normal(p.shape).astype(dtype)
            a.grads[name], b.grads[name] = g, g.copy()
        slow.step(a)
        fast.step(b)
        for name, p in a.params.items():
            assert b.params[name].dtype == p.dtype
            np.testing.assert_array_equal(b.params[name], p, err_msg=name)


def test_keras_form_and_repr():
    opt = FastAdam.keras()
    assert isinstance(opt, FastAdam) and opt.eps_hat and opt.eps == 1e-7
    assert repr(opt).startswith("FastAdam(lr=0.001") and repr(opt).endswith("piece=65536)")


@pytest.mark.parametrize("piece", [0, -3, 2.5, True])
def test_a_bad_piece_is_refused(piece):
    with pytest.raises(ValueError, match="FastAdam piece must be a positive integer"):
        FastAdam(piece=piece)
