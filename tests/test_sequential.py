"""Sequential: a whole-model gradient check, dotted names, train/eval passed down, summary."""

import numpy as np
import pytest

from minae import (
    Dense,
    Dropout,
    Flatten,
    ReLU,
    Reshape,
    Sequential,
    Tanh,
    check_model,
)


def test_sequential_model_gradient_and_names():
    rng = np.random.default_rng(1)
    model = Sequential(
        Flatten(), Dense(12, 8, rng=rng, dtype=np.float64), Tanh(),
        Dense(8, 12, rng=rng, dtype=np.float64), Reshape((3, 2, 2)),
    )
    assert sorted(model.params) == ["1.W", "1.b", "3.W", "3.b"]
    assert model.params["1.W"] is model.layers[1].params["W"]  # exposed, not copied
    check_model(model, rng.standard_normal((4, 3, 2, 2)), rng=rng)


def test_train_eval_propagates_and_summary(capsys):
    drop = Dropout(0.5)
    model = Sequential(Dense(4, 3), ReLU(), drop, Dense(3, 2))
    model.eval()
    assert not drop.training
    model.train()
    assert drop.training
    assert model.summary((4,)) is None  # printed, not returned: a notebook shows it once
    out = capsys.readouterr().out
    assert "Dense(4, 3)" in out and "total parameters: 23" in out and drop.training
    text = model.summary((4,), print_fn=None)  # the text, printed by nobody
    assert capsys.readouterr().out == "" and text + "\n" == out
    lines = []
    assert model.summary((4,), print_fn=lines.append) is None and lines == [text]
    with pytest.raises(TypeError, match="Sequential argument 1"):
        Sequential(Dense(2, 2), "relu")
