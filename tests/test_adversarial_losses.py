"""The adversarial losses on logits: chance values, stability, gradients."""


import numpy as np
import pytest

from minae.adversarial import (
    CHANCE_D_LOSS,
    CHANCE_G_LOSS,
    discriminator_accuracy,
    discriminator_loss,
    generator_loss,
    log_sigmoid,
)
from minae.gradcheck import check_gradients


def test_chance_values_are_the_lessons_printed_losses():
    """A discriminator stuck at sigmoid = 1/2 gives exactly the numbers the lesson printed."""
    z = np.zeros((7, 1))
    d, _, _ = discriminator_loss(z, z)
    g, _ = generator_loss(z)
    assert d == pytest.approx(2 * np.log(2)) == CHANCE_D_LOSS
    assert g == pytest.approx(np.log(2)) == CHANCE_G_LOSS
    assert discriminator_accuracy(z, z) == 0.5


def test_losses_are_stable_and_refuse_the_lessons_500_outputs():
    big = np.array([[1000.0], [-1000.0]])
    d, gr, gf = discriminator_loss(big, -big)
    g, gg = generator_loss(big)
    for v in (d, g, *gr.ravel(), *gf.ravel(), *gg.ravel()):
        assert np.isfinite(v)
    assert d == pytest.approx(1000.0)  # one real and one fake sample wrong by 1000 nats each
    assert np.all(np.isfinite(log_sigmoid(np.array([-1e4, 0.0, 1e4]))))
    with pytest.raises(ValueError, match="500"):
        discriminator_loss(np.zeros((4, 500)), np.zeros((4, 1)))


@pytest.mark.parametrize("n_real,n_fake", [(5, 5), (3, 8)])
def test_adversarial_loss_gradients_wrt_logits(n_real, n_fake):
    rng = np.random.default_rng(1)
    r, f = 3 * rng.standard_normal((n_real, 1)), 3 * rng.standard_normal((n_fake, 1))
    _, gr, gf = discriminator_loss(r, f)
    check_gradients(lambda: discriminator_loss(r, f)[0], {"real": r, "fake": f},
                    {"real": gr, "fake": gf}, tol=1e-7)
    _, gg = generator_loss(f)
    check_gradients(lambda: generator_loss(f)[0], {"fake": f}, {"fake": gg}, tol=1e-7)
