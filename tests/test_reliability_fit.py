"""Reliability of fit: no update is ever applied from non-finite numbers, and bad arguments
(learning rates, parameter-less models, validation sets) are refused before training.

Each divergence test records the parameters *and* the optimizer's state just before the bad
batch and asserts both are exactly what is left after the error, as fit's docstring promises.
"""

import copy
import math

import numpy as np
import pytest
from training_models import D, OwnLossAE, assert_params_equal, dense_ae, low_rank_data, snapshot

from minae.layers.activations import ReLU
from minae.layers.sequential import Sequential
from minae.losses import mse
from minae.optim import SGD, Adam, CosineLR
from minae.training import TrainingDivergedError, fit


def state_snapshot(opt):
    return copy.deepcopy(opt.state), opt.steps


def assert_state_equal(opt, snap):
    state, steps = snap
    assert opt.steps == steps and set(opt.state) == set(state)
    for name, s in state.items():
        for key, v in s.items():
            np.testing.assert_array_equal(opt.state[name][key], v, err_msg=f"{name} {key}")


def poisoned_loss(model, opt, at_call, grad_value, saved):
    """MSE, except that call ``at_call`` returns a finite loss with ``grad_value`` in its
    gradient; it records the parameters and the optimizer state just before."""
    calls = {"n": 0}

    def loss(out, target):
        calls["n"] += 1
        value, grad = mse(out, target)
        if calls["n"] == at_call:
            saved["params"], saved["state"] = snapshot(model), state_snapshot(opt)
            grad = grad.copy()
            grad[0, 0] = grad_value
        return value, grad
    return loss


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_finite_loss_with_a_nonfinite_gradient_never_reaches_the_optimizer(bad):
    x = low_rank_data(n=100)
    model, opt, saved = dense_ae(), Adam(1e-2), {}
    loss = poisoned_loss(model, opt, 4 + 2, bad, saved)  # epoch 2, batch 2
    with pytest.raises(TrainingDivergedError) as info:
        fit(model, x, loss=loss, optimizer=opt, epochs=3, batch_size=25, seed=0, verbose=0)
    err = info.value
    assert (err.epoch, err.batch) == (2, 2) and math.isfinite(err.value)
    # the first gradient in model.grads that the bad entry reached (an inf becomes NaN on
    # the way back, inf * 0), named with how many of its entries are not finite
    assert err.what == "gradient of '0.W'" and "epoch 2, batch 2/4" in str(err)
    assert "NaN of 96 entries" in str(err)
    assert len(err.history) == 1
    assert_params_equal(model, saved["params"])
    assert_state_equal(opt, saved["state"])


def test_a_model_with_its_own_loss_and_a_nan_gradient_is_caught_too():
    class NanGradAE(OwnLossAE):
        def backward(self):
            super().backward()
            self.net.layers[0].grads["W"][0, 0] = np.nan

    model, opt = NanGradAE(), Adam(1e-2)
    before = snapshot(model)
    with pytest.raises(TrainingDivergedError, match=r"gradient of 'net|gradient of '0.W'"):
        fit(model, low_rank_data(n=50), optimizer=opt, epochs=1, batch_size=25, verbose=0)
    assert_params_equal(model, before) and opt.steps == 0


def test_a_schedule_returning_nan_stops_before_the_epoch_and_keeps_the_rate():
    x = low_rank_data(n=50)
    model, opt = dense_ae(), SGD(0.01)
    saved = {}

    def schedule(epoch):
        if epoch == 2:
            saved["params"] = snapshot(model)
            return math.nan
        return 0.01

    with pytest.raises(TrainingDivergedError, match=r"epoch 3.*lr_schedule\(2\) returned nan") \
            as info:
        fit(model, x, loss=mse, optimizer=opt, epochs=4, batch_size=25, lr_schedule=schedule,
            verbose=0)
    assert info.value.what == "learning rate" and len(info.value.history) == 2
    assert opt.lr == 0.01
    assert_params_equal(model, saved["params"])


def test_a_callback_that_sets_a_nan_rate_is_caught_at_the_next_step():
    x = low_rank_data(n=50)
    model, opt = dense_ae(), Adam(1e-3)
    saved = {}

    def callback(epoch, history, m):
        opt.lr = math.nan
        saved["params"], saved["state"] = snapshot(m), state_snapshot(opt)

    with pytest.raises(TrainingDivergedError, match="epoch 2, batch 1/2: the learning rate is nan"):
        fit(model, x, loss=mse, optimizer=opt, epochs=3, batch_size=25, on_epoch_end=callback,
            verbose=0)
    assert_params_equal(model, saved["params"])
    assert_state_equal(opt, saved["state"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_an_update_that_overflows_is_named_and_said_to_be_kept():
    x = low_rank_data(n=20)

    def huge_gradient(out, target):
        value, grad = mse(out, target)
        return value, np.full_like(grad, 1e200)

    with pytest.raises(TrainingDivergedError, match="the update made parameter .* non-finite"
                       ".*overflowed") as info:
        fit(dense_ae(), x, loss=huge_gradient, optimizer=SGD(1e200), batch_size=20, verbose=0)
    assert info.value.what.startswith("parameter '") and "fit keeps no copy" in str(info.value)


@pytest.mark.parametrize("lr, message", [
    (-0.1, "must be a finite number > 0; got -0.1"),
    (0.0, "must be a finite number > 0; got 0.0"),
    (math.nan, "must be a finite number > 0; got nan"),
    (math.inf, "must be a finite number > 0; got inf"),
])
def test_fit_refuses_a_learning_rate_that_is_not_positive_and_finite(lr, message):
    opt = SGD(0.1)
    opt.lr = lr  # SGD(lr) itself refuses negatives: set it the way a schedule or a user would
    model = dense_ae()
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"the learning rate \(SGD.lr\) " + message):
        fit(model, low_rank_data(n=10), loss=mse, optimizer=opt, verbose=0)
    assert_params_equal(model, before)


def test_fit_refuses_a_schedule_that_starts_at_zero_or_goes_negative():
    x = low_rank_data(n=10)
    with pytest.raises(ValueError, match=r"lr_schedule\(0\) must be a finite number > 0; got 0"):
        fit(dense_ae(), x, loss=mse, optimizer=SGD(0.1), lr_schedule=lambda e: 0.0, verbose=0)
    with pytest.raises(ValueError, match=r"lr_schedule\(1\) returned -0.5"):
        fit(dense_ae(), x, loss=mse, optimizer=SGD(0.1), epochs=2,
            lr_schedule=lambda e: 0.1 - 0.6 * e, verbose=0)
    with pytest.raises(TypeError, match=r"lr_schedule\(0\) must be a number; got str"):
        fit(dense_ae(), x, loss=mse, optimizer=SGD(0.1), lr_schedule=lambda e: "fast", verbose=0)


def test_a_schedule_may_anneal_to_zero_after_the_first_epoch():
    h = fit(dense_ae(), low_rank_data(n=20), loss=mse, optimizer=SGD(0.1), epochs=3,
            lr_schedule=CosineLR(0.1, epochs=2), verbose=0)
    assert h.lr[0] == 0.1 and h.lr[2] == 0.0


def test_fit_refuses_a_model_with_no_parameters():
    with pytest.raises(ValueError, match="Sequential has no parameters to train"):
        fit(Sequential(ReLU()), low_rank_data(n=10), loss=mse, optimizer=SGD(0.1), verbose=0)


def counting_mse(calls):
    def loss(out, target):
        calls.append(1)
        return mse(out, target)
    return loss


@pytest.mark.parametrize("validation, y, message", [
    ((np.zeros((5, D + 1)),), None, r"validation x_val must hold samples shaped like x's "
                                    r"\(12,\); got shape \(5, 13\)"),
    (np.zeros((5, 3, 4)), None, r"validation x_val .* got shape \(5, 3, 4\)"),
    ((np.zeros((5, D)), np.zeros((5, 2))), None, r"validation y_val must hold samples shaped "
                                                 r"like x's \(12,\)"),
    ((np.zeros((5, D)), np.zeros((5, 2))), np.zeros((10, 3)), r"validation y_val .* like y's"),
    ((np.zeros((5, D)),), np.zeros((10, 3)), r"validation x_val \(the target when y_val is "
                                             r"not given\) must hold samples shaped like y's"),
])
def test_a_validation_set_of_the_wrong_shape_is_refused_before_training(validation, y, message):
    calls = []
    model = dense_ae()
    x = low_rank_data(n=10)
    if y is not None:
        y = np.zeros((10, 3))
    with pytest.raises(ValueError, match=message) as info:
        fit(model, x, y, loss=counting_mse(calls), optimizer=SGD(0.1), validation=validation,
            verbose=0)
    assert "validation" in str(info.value) and calls == []  # not one batch trained


def test_validation_extra_arrays_must_match_the_training_ones():
    calls = []
    model = OwnLossAE()
    x = low_rank_data(n=10)
    with pytest.raises(ValueError, match=r"validation extra\[0\] must hold samples shaped like "
                                         r"extra\[0\]'s \(\)"):
        fit(model, x, extra=(np.arange(10),), optimizer=SGD(0.1),
            validation=(x[:4], None, np.zeros((4, 2))), verbose=0)
    assert model.seen == [] and calls == []


def test_a_nonfinite_output_is_caught_before_the_loss_function_sees_it():
    x = low_rank_data(n=50)
    model, opt = dense_ae(), Adam(1e-3)
    forward, calls, saved = model.forward, {"n": 0}, {}

    def overflowing_forward(xb):
        out = forward(xb)
        calls["n"] += 1
        if calls["n"] == 2:
            saved["params"] = snapshot(model)
            out = out.copy()
            out[0] = np.inf
        return out

    model.forward = overflowing_forward
    seen_by_loss = []

    def recording_mse(out, target):
        seen_by_loss.append(np.isfinite(out).all())
        return mse(out, target)

    with pytest.raises(TrainingDivergedError, match=r"batch 2/2: the model's output has 12 inf "
                                                    r"of 300 entries") as info:
        fit(model, x, loss=recording_mse, optimizer=opt, batch_size=25, verbose=0)
    assert info.value.what == "output" and seen_by_loss == [True]
    assert_params_equal(model, saved["params"])


def test_a_model_whose_own_loss_refuses_its_nan_output_is_said_to_diverge():
    class Overflowing(OwnLossAE):
        def forward(self, x):
            return np.full_like(x, np.nan) if self.poisoned else self.net.forward(x)

        def loss(self, x, *extra):
            if self.poisoned:
                raise ValueError("mse: predictions contain NaN")
            self.poisoned = len(self.seen) == 0  # the second batch goes wrong
            return super().loss(x, *extra)

    model = Overflowing()
    model.poisoned = False
    with pytest.raises(TrainingDivergedError, match="batch 2/2: the model's output has") as info:
        fit(model, low_rank_data(n=50), optimizer=SGD(0.01), batch_size=25, verbose=0)
    assert isinstance(info.value.__cause__, ValueError)  # the loss's own message is kept


def test_a_loss_error_that_is_not_about_the_output_is_not_called_divergence():
    class Picky(OwnLossAE):
        def forward(self, x):
            return self.net.forward(x)

        def loss(self, x, *extra):
            raise ValueError("targets must be in [0, 1]")

    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]"):
        fit(Picky(), low_rank_data(n=50), optimizer=SGD(0.01), batch_size=25, verbose=0)
