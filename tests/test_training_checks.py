"""fit checks its arguments before training and leaves the model untouched."""

import numpy as np
import pytest
from training_models import D, OwnLossAE, assert_params_equal, dense_ae, snapshot

from minae.optim import SGD
from minae.training import fit


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(x=np.zeros((4, D), dtype=int)), TypeError, "fit x must be a floating-point array"),
    (dict(x=np.full((4, D), np.nan)), ValueError, "fit x contains 48 NaN"),
    (dict(y=np.zeros((3, D))), ValueError, "x has 4 samples, y has shape \\(3, 12\\)"),
    (dict(epochs=0), ValueError, "fit epochs must be a positive integer; got 0"),
    (dict(batch_size=2.5), TypeError, "fit batch_size must be a positive integer; got 2.5"),
    (dict(extra=(np.zeros(3),)), ValueError, "extra\\[0\\] must have one entry per sample"),
    (dict(extra=np.zeros(4)), TypeError, "extra=\\(labels,\\)"),
    (dict(validation=(np.zeros((2, D)),) * 3), ValueError, "\\(x_val,\\) or \\(x_val, y_val\\)"),
    (dict(drop_last=True, batch_size=8), ValueError, "make no batch at all"),
    (dict(loss=None), TypeError, "Sequential has no loss method"),
    (dict(loss="mse"), ValueError, "got 'mse'"),
    (dict(seed=1, rng=np.random.default_rng(1)), ValueError, "rng or seed, not both"),
    (dict(verbose=3), ValueError, "verbose must be 0, 1 or 2; got 3"),
    (dict(optimizer=None), TypeError, "step\\(model\\)"),
])
def test_fit_checks_its_arguments_before_training(kwargs, error, message):
    model = dense_ae()
    snap = snapshot(model)
    args = dict(x=np.ones((4, D)), optimizer=SGD(0.1), verbose=0)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        fit(model, **args)
    assert_params_equal(model, snap)


def test_own_loss_model_rejects_y():
    with pytest.raises(ValueError, match="y is not used when the model computes its own loss"):
        fit(OwnLossAE(), np.ones((4, D)), np.ones((4, D)), optimizer=SGD(0.1), verbose=0)
