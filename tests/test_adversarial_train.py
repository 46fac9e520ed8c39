"""train_aae: the codes move toward the prior; the guard and the cosine anneal."""

import contextlib

import numpy as np
import pytest

from minae.adversarial import (
    NormalPrior,
    aae_optimizers,
    dense_aae,
    mmd2,
    moment_distance,
    train_aae,
)
from minae.optim import CosineLR
from minae.training import TrainingDivergedError


def one_blas_thread():
    """Small matrix products run ~10x slower when a multithreaded BLAS shares busy cores;
    use one thread where threadpoolctl is installed (it is optional)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)


# --- it works: the codes move toward the prior -----------------------------------------------
def test_aae_moves_codes_toward_the_prior():
    """Trained on 600 synthetic digits, an AAE's 2-D codes end far closer to N(0, I) than they
    started, and than the codes of the same autoencoder trained without the adversary."""
    from minae.datasets import load_dataset

    x = load_dataset("synthetic-digits", "train", limit=600, seed=0, log=None).images
    prior = NormalPrior(2)

    def distances(model):
        z = model.encode(x)
        return mmd2(z, prior.sample(len(z), np.random.default_rng(0))), moment_distance(z, prior)

    def train(adversarial):
        model = dense_aae(2, (128,), (64, 64), rng=np.random.default_rng(0), prior=prior)
        start = distances(model)
        opts = aae_optimizers()
        if not adversarial:  # the same model and loop, with the adversary switched off
            opts.discriminator.lr = opts.generator.lr = 0.0
        history = train_aae(model, x, optimizers=opts, epochs=40, batch_size=50,
                            rng=np.random.default_rng(1), print_fn=None)
        return start, distances(model), history

    with one_blas_thread():
        (mmd_0, mom_0), (mmd_aae, mom_aae), h = train(adversarial=True)
        _, (mmd_ae, mom_ae), _ = train(adversarial=False)
    # stated margins (seed 0: MMD^2 0.81 -> 0.008, plain AE 2.3; moment distance 1.7 -> 0.38,
    # plain AE 78; seeds 0-5 all within 0.006-0.016 and 0.29-0.47): MMD^2 at least 10x below
    # its start and 50x below the plain AE's; the moment distance at least 2x below its start
    # and 50x below the plain AE's
    assert mmd_aae < mmd_0 / 10 and mmd_aae < mmd_ae / 50, (mmd_0, mmd_aae, mmd_ae)
    assert mom_aae < mom_0 / 2 and mom_aae < mom_ae / 50, (mom_0, mom_aae, mom_ae)
    # the discriminator really played: better than chance at some point, and logged per step
    assert max(h.epochs["d_accuracy"]) > 0.55
    assert len(h.steps["d_loss"]) == 40 * 12


def test_the_anneal_is_optim_cosine_lr_over_steps():
    """Every phase's rate follows CosineLR(lr, last_step, anneal_to * lr)(step), and is
    restored afterwards."""
    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 28, 28)).astype(np.float32)
    model = dense_aae(2, (16,), (8,), rng=np.random.default_rng(0))
    opts = aae_optimizers(lr=2e-3, adversarial_lr=1e-3)
    seen = []
    step = opts.reconstruction.step

    def recording_step(m):
        seen.append((opts.reconstruction.lr, opts.discriminator.lr, opts.generator.lr))
        step(m)

    opts.reconstruction.step = recording_step
    train_aae(model, x, optimizers=opts, epochs=3, batch_size=10, rng=rng, anneal_to=0.25,
              print_fn=None)
    last = 3 * 4 - 1
    for s, (r, d, g) in enumerate(seen):
        assert r == CosineLR(2e-3, last, 0.25 * 2e-3)(s)
        assert d == g == CosineLR(1e-3, last, 0.25 * 1e-3)(s)
    assert seen[0][0] == 2e-3 and seen[-1][0] == pytest.approx(0.25 * 2e-3)
    assert (opts.reconstruction.lr, opts.discriminator.lr) == (2e-3, 1e-3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_nan_in_a_phase_stops_before_that_phase_steps():
    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 28, 28)).astype(np.float32)
    model = dense_aae(2, (16,), (8,), rng=np.random.default_rng(0))
    opts = aae_optimizers()
    real_pass, calls, saved = model.generator_pass, {"n": 0}, {}

    def poisoned_generator_pass(xb, labels=None):
        value = real_pass(xb, labels)
        calls["n"] += 1
        if calls["n"] == 3:  # epoch 1, batch 3
            saved["encoder"] = {k: v.copy() for k, v in model.encoder.params.items()}
            first = next(layer for layer in model.encoder.layers if layer.params)
            first.grads["W"][...] = np.nan  # the generator phase's gradient, poisoned
        return value

    model.generator_pass = poisoned_generator_pass
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, batch 3/4: the gradient of "
                                                    r"'1.W' has \d+ NaN"):
        train_aae(model, x, optimizers=opts, epochs=2, batch_size=10, rng=rng, print_fn=None)
    for k, v in model.encoder.params.items():
        np.testing.assert_array_equal(v, saved["encoder"][k], err_msg=k)
    assert opts.generator.steps == 2 and opts.reconstruction.steps == 3
