"""vae/use.py: encode / decode / reconstruct / generate, shapes, ranges and determinism."""

import numpy as np
from vae_helpers import IMAGE, images

from minae.vae import conditional_vae, dense_vae


def test_reconstruct_decode_generate_shapes_and_ranges():
    rng = np.random.default_rng(12)
    model = dense_vae(latent_dim=2, hidden=6, input_shape=IMAGE, rng=rng)
    x = images(rng, 5).astype(np.float32)
    out = model.reconstruct(x, batch_size=2)
    assert out.shape == x.shape and out.dtype == np.float32
    assert np.all((out > 0) & (out < 1))  # probabilities
    z_mean, _ = model.encode(x)
    assert np.allclose(model.decode(z_mean), np.log(out / (1 - out)), atol=1e-4)  # logits
    assert model.reconstruct(x).tolist() == model.reconstruct(x).tolist()  # deterministic
    g = model.generate(4, rng=np.random.default_rng(0))
    assert g.shape == (4, *IMAGE) and np.array_equal(g, model.generate(4, np.random.default_rng(0)))
    cvae = conditional_vae(num_classes=3, latent_dim=2, hidden=6, input_shape=IMAGE, rng=rng)
    assert cvae.generate(np.array([0, 2, 2]), rng).shape == (3, *IMAGE)
    assert cvae.reconstruct(x, np.array([0, 1, 2, 0, 1])).shape == x.shape
    assert cvae.decode(np.zeros((2, 2)), np.array([0, 1])).shape == (2, *IMAGE)
    assert cvae.log_likelihood(x, np.zeros(5, dtype=int), k=4, rng=rng).shape == (5,)
    # the decoder is told the class: the same z with different labels decodes differently
    a, b = cvae.decode(np.zeros((1, 2)), [0]), cvae.decode(np.zeros((1, 2)), [1])
    assert not np.allclose(a, b)




def test_summary_prints_once_or_returns_the_text(capsys):
    model = dense_vae(latent_dim=2, hidden=6, input_shape=IMAGE, rng=np.random.default_rng(0))
    assert model.summary() is None  # printed, and nothing for a notebook cell to show again
    printed = capsys.readouterr().out
    assert "total parameters" in printed
    assert model.summary(print_fn=None) == printed.rstrip("\n")


def test_parts_do_not_check_again_what_the_vae_checked_at_its_entry():
    # a part's own input check would turn a diverging run's overflow into a "bad input" error
    model = dense_vae(latent_dim=2, hidden=6, input_shape=IMAGE, rng=np.random.default_rng(0))
    assert model.encoder.check_input is False and model.decoder.check_input is False
    with np.errstate(all="ignore"):
        out = model.decoder.forward(np.full((1, 2), np.inf, dtype=np.float32))
    assert out.shape == (1, *IMAGE)
