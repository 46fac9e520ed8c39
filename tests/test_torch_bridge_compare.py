"""compare / report (minae/torch_bridge/compare.py): one row per output and gradient, float64
only, both frameworks in eval mode with the model's mode restored, and a difference shows."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch)")

from minae import Dense, Dropout, ReLU, Sequential  # noqa: E402
from minae.autoencoders import conv_autoencoder  # noqa: E402
from minae.torch_bridge import Difference, compare, report  # noqa: E402
from minae.vae import dense_vae  # noqa: E402


def mlp(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return Sequential(Dense(4, 6, rng=rng, dtype=dtype), ReLU(), Dropout(0.5),
                      Dense(6, 2, rng=rng, dtype=dtype))


def test_one_row_per_output_input_and_parameter():
    model = mlp()
    rows = compare(model, np.random.default_rng(1).standard_normal((5, 4)))
    assert [d.name for d in rows] == ["output", "d input", "d 0.W", "d 0.b", "d 3.W", "d 3.b"]
    assert rows[0].shape == (5, 2) and rows[2].shape == (4, 6)
    assert all(d.rel_difference < 1e-10 for d in rows)
    assert all(d.scale > 0 for d in rows)  # real gradients, not zeros


def test_float32_is_refused_with_the_fix():
    with pytest.raises(TypeError, match="float64.*dtype=np.float64"):
        compare(mlp(dtype=np.float32), np.zeros((2, 4)))
    with pytest.raises(TypeError, match="minae Layer"):
        compare(torch.nn.Linear(2, 2), np.zeros((2, 2)))


def test_eval_mode_for_both_and_the_mode_restored():
    """Dropout is the identity in both (so they agree); a training model stays training."""
    model = mlp().train()
    rows = compare(model, np.random.default_rng(2).standard_normal((5, 4)))
    assert max(d.rel_difference for d in rows) < 1e-10
    assert model.training and model.layers[2].training
    assert not compare(mlp().eval(), np.ones((1, 4)))[0].rel_difference > 1e-10


def test_the_vae_uses_the_given_eps():
    """The same eps for both; rows for the heads, the loss and its parts."""
    model = dense_vae(2, 8, rng=np.random.default_rng(3), dtype=np.float64)
    x = np.random.default_rng(4).random((3, 1, 28, 28))
    eps = np.random.default_rng(5).standard_normal((3, 2))
    rows = {d.name: d for d in compare(model, x, eps=eps)}
    assert rows["loss"].scale == pytest.approx(model.loss(x, eps=eps)[0], rel=1e-12)
    assert {"output", "z_mean", "z_log_sigma", "reconstruction", "kl"} <= set(rows)


def test_report_is_a_table_and_shows_a_difference():
    rows = compare(conv_autoencoder(rng=np.random.default_rng(6), dtype=np.float64),
                   np.random.default_rng(7).random((2, 1, 28, 28)))
    text = report(rows)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["tensor", "shape", "result"]
    assert len(lines) == len(rows) + 3 and "DIFFERS" not in text
    bad = Difference("d encoder.0.W", (16, 1, 3, 3), 3e-4, 1e-3, 2.0)
    assert "DIFFERS" in report(rows + [bad])
    assert "ok" not in report([bad], tol=None).splitlines()[2]
