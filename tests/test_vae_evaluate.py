"""vae/evaluate.py: the IW estimator against an exact likelihood, the ELBO, the KL per unit,
the Bernoulli floor."""

import numpy as np
import pytest
import scipy.stats
from vae_helpers import IMAGE, LIKELIHOODS, images

from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.vae import VAE, bernoulli_floor, dense_vae
from minae.variational import kl_divergence, log_normal, sample

# --- the importance-weighted estimate ----------------------------------------------------------

@pytest.mark.parametrize("likelihood,learn_sigma", LIKELIHOODS)
def test_one_sample_iw_estimate_is_the_one_sample_elbo(likelihood, learn_sigma):
    """K = 1 with the same eps: log w = -reconstruction + log p(z) - log q(z|x), per image."""
    rng = np.random.default_rng(6)
    model = dense_vae(latent_dim=2, hidden=5, input_shape=IMAGE, likelihood=likelihood,
                      sigma=0.4, learn_sigma=learn_sigma, rng=rng, dtype=np.float64)
    x = images(rng, 5)
    eps = rng.standard_normal((5, 1, 2))
    estimate = model.log_likelihood(x, k=1, eps=eps)
    z_mean, z_log_sigma = model.encode(x)
    z = sample(z_mean, z_log_sigma, eps[:, 0])
    log_ratio = log_normal(z) - log_normal(z, z_mean, z_log_sigma)
    _, parts = model.loss(x, eps=eps[:, 0])
    # the loss reports the lesson's SSE; in nats it is SSE + (D/2) ln(pi)
    constant = 0.5 * x[0].size * np.log(np.pi) if likelihood == "sse" else 0.0
    assert np.isclose(estimate.mean(), -(parts["reconstruction"] + constant) + log_ratio.mean(),
                      rtol=1e-12, atol=1e-12)
    # and per image, against the loss on each image alone
    for i in range(5):
        _, parts_i = model.loss(x[i:i + 1], eps=eps[i:i + 1, 0])
        assert np.isclose(estimate[i], -(parts_i["reconstruction"] + constant) + log_ratio[i],
                          rtol=1e-12, atol=1e-12)
    # the same draws in different chunks give the same answer
    eps8 = rng.standard_normal((5, 8, 2))
    a = model.log_likelihood(x, k=8, eps=eps8)
    b = model.log_likelihood(x, k=8, eps=eps8, batch_size=2, max_rows=3)
    assert np.allclose(a, b, rtol=1e-12)


def linear_gaussian(rng, d=5, latent=2, sigma=0.5):
    """x = z W + b + sigma * noise, z ~ N(0, I); W's rows orthogonal, so the true posterior is
    a diagonal Gaussian that the VAE's encoder can represent exactly."""
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    w = q[:latent] * np.array([2.0, 0.7])[:, None]  # (latent, d), W W^T = diag(4, 0.49)
    b = rng.standard_normal(d)
    decoder = Dense(latent, d, rng=rng, dtype=np.float64)
    decoder.params["W"][:] = w
    decoder.params["b"][:] = b
    # posterior: precision I + W W^T / sigma^2 (diagonal); mean = (x - b) W^T Sigma / sigma^2
    post_var = 1.0 / (1.0 + np.sum(w * w, axis=1) / sigma**2)
    z_mean, z_log_sigma = Dense(d, latent, dtype=np.float64), Dense(d, latent, dtype=np.float64)
    z_mean.params["W"][:] = w.T * post_var / sigma**2
    z_mean.params["b"][:] = -b @ w.T * post_var / sigma**2
    z_log_sigma.params["W"][:] = 0.0
    z_log_sigma.params["b"][:] = 0.5 * np.log(post_var)
    model = VAE(Sequential(), z_mean, z_log_sigma, Sequential(decoder), "gaussian", sigma=sigma,
                input_shape=(d,), rng=np.random.default_rng(0))
    exact = scipy.stats.multivariate_normal(b, w.T @ w + sigma**2 * np.eye(d))
    return model, exact


def test_iw_estimate_is_exact_with_the_true_posterior():
    """With q(z|x) = p(z|x) every weight p(x|z) p(z) / q(z|x) equals p(x): any K is exact."""
    rng = np.random.default_rng(7)
    model, exact = linear_gaussian(rng)
    x = exact.rvs(size=6, random_state=rng)
    truth = exact.logpdf(x)
    for k in (1, 3):
        assert np.allclose(model.log_likelihood(x, k=k, rng=rng), truth, rtol=0, atol=1e-9)
    # and the ELBO is tight: -negative_elbo = log p(x) in expectation, up to MC error
    report = model.evaluate_elbo(np.repeat(x, 2000, axis=0), rng=rng)
    assert abs(-report.negative_elbo - truth.mean()) < 0.05


def test_iw_estimate_converges_to_the_exact_log_likelihood():
    """A wrong posterior: the K-sample estimate is within Monte-Carlo error of log p(x), above
    the ELBO; the tolerance is 4 standard errors of the log of a mean of K weights (delta
    method: se = std(w) / (mean(w) sqrt(K)))."""
    rng = np.random.default_rng(8)
    model, exact = linear_gaussian(rng)
    model.z_mean.params["W"] += 0.05 * rng.standard_normal(model.z_mean.params["W"].shape)
    model.z_log_sigma.params["b"] += 0.3
    x = exact.rvs(size=4, random_state=rng)
    truth = exact.logpdf(x)
    k = 4000
    eps = rng.standard_normal((4, k, 2))
    estimate = model.log_likelihood(x, k=k, eps=eps)
    # independent weights from scipy, from the same draws
    z_mean, z_log_sigma = model.encode(x)
    z = z_mean[:, None] + np.exp(z_log_sigma)[:, None] * eps
    dec = model.decoder[0]
    log_w = (scipy.stats.norm.logpdf(x[:, None], z @ dec.params["W"] + dec.params["b"],
                                     0.5).sum(-1)
             + scipy.stats.norm.logpdf(z).sum(-1)
             - scipy.stats.norm.logpdf(z, z_mean[:, None], np.exp(z_log_sigma)[:, None]).sum(-1))
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    assert np.allclose(estimate, np.log(w.mean(1)) + log_w.max(1), rtol=1e-10)
    se = w.std(axis=1) / (w.mean(axis=1) * np.sqrt(k))
    assert np.all(se < 0.05)  # the test has teeth
    assert np.all(np.abs(estimate - truth) < 4 * se + 1e-9)
    # the ELBO (K = 1 on average) is a strictly lower bound here
    elbo = -model.evaluate_elbo(np.repeat(x, 500, axis=0), rng=rng).negative_elbo
    assert elbo < truth.mean() - 0.05


# --- evaluation helpers --------------------------------------------------------------------

def test_bernoulli_floor():
    assert np.array_equal(bernoulli_floor(np.array([[0.0, 1.0, 1.0, 0.0]])), [0.0])
    half = bernoulli_floor(np.full((2, 1, 28, 28), 0.5))
    assert np.allclose(half, 784 * np.log(2))
    # it is the BCE at the best logits, log(t / (1 - t)): nothing can score below it
    from minae.losses import binary_cross_entropy_with_logits

    rng = np.random.default_rng(9)
    t = rng.uniform(0.01, 0.99, (3, 10))
    best, _ = binary_cross_entropy_with_logits(np.log(t / (1 - t)), t, "sum")
    assert np.isclose(bernoulli_floor(t).sum(), best)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bernoulli_floor(np.array([[1.5]]))


def test_bernoulli_floor_of_mnist_is_45_5_nats():
    """The floor quoted in the docs, on the real MNIST test set (skipped where it is absent)."""
    from minae.datasets import DatasetUnavailableError, load_mnist

    try:
        raw, _ = load_mnist("test", download=False)
    except DatasetUnavailableError:
        pytest.skip("MNIST test images not available locally")
    x = raw.reshape(len(raw), -1) / 255.0
    assert abs(bernoulli_floor(x).mean() - 45.5) < 0.05


def test_evaluate_elbo_and_kl_per_dimension_agree():
    rng = np.random.default_rng(10)
    model = dense_vae(latent_dim=3, hidden=8, input_shape=IMAGE, rng=rng, dtype=np.float64)
    x = images(rng, 7)
    report = model.evaluate_elbo(x, batch_size=3, rng=np.random.default_rng(1))
    z_mean, z_log_sigma = model.encode(x)
    assert np.isclose(report.kl, kl_divergence(z_mean, z_log_sigma).mean())
    per_dim = model.kl_per_dimension(x, batch_size=2)
    assert per_dim.shape == (3,) and np.all(per_dim > 0)
    assert np.isclose(per_dim.sum(), report.kl)
    assert np.isclose(report.negative_elbo, report.reconstruction + report.kl)
    assert np.isclose(report.bernoulli_floor, bernoulli_floor(x).mean())
    assert report.reconstruction > report.bernoulli_floor
    assert "nats/image" in str(report)
    # a unit whose head outputs the prior (mu = 0, log sigma = 0) has KL 0: collapsed
    for head in (model.z_mean, model.z_log_sigma):
        head.params["W"][:, 1] = 0.0
        head.params["b"][1] = 0.0
    assert model.kl_per_dimension(x)[1] == 0.0


def test_sse_evaluation_is_in_true_nats():
    rng = np.random.default_rng(11)
    model = dense_vae(latent_dim=2, hidden=4, input_shape=IMAGE, likelihood="sse", rng=rng,
                      dtype=np.float64)
    x = images(rng, 3)
    report = model.evaluate_elbo(x, rng=np.random.default_rng(0))
    model.rng = np.random.default_rng(0)
    _, parts = model.loss(x)  # the same draw as evaluate_elbo's
    assert np.isclose(report.reconstruction, parts["reconstruction"] + 6 * np.log(np.pi))
    assert report.bernoulli_floor is None
