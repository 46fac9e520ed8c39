"""Small models and data the training tests share (not a test file)."""

import io

import numpy as np

from minae.layers.activations import ReLU
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.losses import mse

D = 12


def low_rank_data(n=256, seed=0, dtype=np.float64):
    """``n`` samples in R^12 that lie near a 3-dimensional subspace."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    a = rng.normal(size=(3, D)) / np.sqrt(3)
    return (z @ a + 0.01 * rng.normal(size=(n, D))).astype(dtype)


def dense_ae(seed=0, dtype=np.float64, hidden=8, code=3):
    rng = np.random.default_rng(seed)
    return Sequential(Dense(D, hidden, rng=rng, dtype=dtype), ReLU(),
                      Dense(hidden, code, rng=rng, dtype=dtype),
                      Dense(code, hidden, rng=rng, dtype=dtype), ReLU(),
                      Dense(hidden, D, rng=rng, dtype=dtype))


def snapshot(model):
    return {k: v.copy() for k, v in model.params.items()}


def assert_params_equal(model, snap):
    assert set(model.params) == set(snap)
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, snap[k], err_msg=k)


class OwnLossAE:
    """Kind (b): a linear autoencoder that computes its own loss (MSE + an L2 penalty).

    ``loss(x, *extra)`` returns ``(value, {"recon": .., "l2": ..})``; ``backward()`` takes no
    argument. ``seen_extra`` records the extra arrays it was given.
    """

    def __init__(self, seed=0, wd=1e-3):
        rng = np.random.default_rng(seed)
        self.net = Sequential(Dense(D, 3, rng=rng, dtype=np.float64),
                              Dense(3, D, rng=rng, dtype=np.float64))
        self.wd = wd
        self.training = True
        self.seen = []  # (x_batch, extra_batches) per call

    @property
    def params(self):
        return self.net.params

    @property
    def grads(self):
        return self.net.grads

    def train(self):
        self.training = True

    def eval(self):
        self.training = False

    def loss(self, x, *extra):
        self.seen.append((x.copy(), tuple(e.copy() for e in extra)))
        recon, self._grad = mse(self.net.forward(x), x)
        w = self.net.layers[1].params["W"]
        l2 = 0.5 * self.wd * float(np.sum(w * w))
        return recon + l2, {"recon": recon, "l2": l2}

    def backward(self):
        self.net.backward(self._grad)
        dec = self.net.layers[1]
        dec.grads["W"] = dec.grads["W"] + self.wd * dec.params["W"]

class TTY(io.StringIO):
    def isatty(self):
        return True


