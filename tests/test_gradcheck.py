"""The gradient checker must pass right backward passes and catch wrong ones."""

import numpy as np
import pytest

from minae import (
    Dense,
    GradientCheckError,
    Sequential,
    check_layer,
    numerical_gradient,
    relative_error,
    report,
)


class MissingBiasSum(Dense):
    """A planted bug: db = dy[0] (only the first example), not the sum over the batch."""

    def backward(self, dy):
        dx = super().backward(dy)
        self.grads["b"] = dy[0].copy()
        return dx


def test_numerical_gradient_of_known_function():
    x = np.array([1.0, -2.0, 3.0])
    g = numerical_gradient(lambda: float(np.sum(x**3)), x)
    assert np.allclose(g, 3 * x**2, rtol=1e-8)
    assert np.array_equal(x, [1.0, -2.0, 3.0])  # restored


def test_relative_error_max_norm():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert np.isclose(relative_error(np.array([1.0, 0.0]), np.array([1.0, 1e-9])), 1e-9 / 2)
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.zeros(2), np.zeros(3))


def test_checker_passes_correct_layer():
    rng = np.random.default_rng(0)
    results = check_layer(Dense(4, 3, rng=rng, dtype=np.float64), rng.standard_normal((5, 4)),
                          rng=rng)
    assert [r.name for r in results] == ["input", "W", "b"] and all(r.passed for r in results)


@pytest.mark.parametrize("bad, tensor", [(MissingBiasSum, "b")])
def test_checker_catches_planted_bugs(bad, tensor):
    rng = np.random.default_rng(0)
    with pytest.raises(GradientCheckError) as info:
        check_layer(bad(4, 3, rng=rng, dtype=np.float64), rng.standard_normal((5, 4)), rng=rng)
    message = str(info.value)
    assert f"gradient of {tensor!r} is wrong" in message and "worst at index" in message
    failed = [r.name for r in info.value.results if not r.passed]
    assert failed == [tensor]


def test_checker_catches_transposed_w_on_square_layer():
    # On a square W the transposed gradient has the right shape, so only the values betray it.
    class SquareTransposed(Dense):
        def backward(self, dy):
            dx = super().backward(dy)
            self.grads["W"] = self.grads["W"].T.copy()
            return dx

    rng = np.random.default_rng(0)
    with pytest.raises(GradientCheckError, match="'W'"):
        check_layer(SquareTransposed(4, 4, rng=rng, dtype=np.float64),
                    rng.standard_normal((5, 4)), rng=rng)


def test_checker_refuses_float32():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="needs float64"):
        check_layer(Dense(3, 2, rng=rng), rng.standard_normal((2, 3)).astype(np.float32), rng=rng)


def test_report_table_and_sampling():
    rng = np.random.default_rng(0)
    model = Sequential(Dense(30, 20, rng=rng, dtype=np.float64))
    results = check_layer(model, rng.standard_normal((3, 30)), rng=rng, max_entries=25)
    w = next(r for r in results if r.name == "0.W")
    assert w.checked == 25 and w.size == 600
    text = report(results, tol=1e-7)
    assert "0.W" in text and "(25/600 entries)" in text and "ok" in text
