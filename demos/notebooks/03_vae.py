# %% [markdown]
# # 3. The variational autoencoder
#
# Notebook 1 ended on a disappointment: a plain autoencoder's random codes decode to blobs.
# A **variational autoencoder** (VAE) is trained so that its latent space can be sampled.
# Its encoder outputs not a code but a small Gaussian cloud of codes, one per image,
#
#     q(z | x) = N(z_mean, sigma^2),     sigma = exp(z_log_sigma),
#
# and its loss adds to the reconstruction error a **KL term** that pulls every cloud toward
# the prior N(0, I). Then the whole neighbourhood of the origin is covered by codes of real
# images, and a random `z ~ N(0, I)` decodes to something that looks like one.
#
# This notebook follows the lesson's VAE part and goes a little further:
#
# * **L5** the reparameterization trick, the KL term, and the lesson's `log sigma` pitfall,
#   each shown with numbers; then the lesson's dense VAE, built layer by layer;
# * **L6** its pictures: reconstructions, the latent scatter coloured by digit, the 10x10
#   manifold, new digits from random codes;
# * **L11** the assignment: a convolutional VAE;
# * **L13** from the reading list: a conditional VAE that draws the digit you ask for.

# %%
# On Colab: install minae first (skipped everywhere else).
import subprocess
import sys

if "google.colab" in sys.modules:
    MINAE_GIT = "git+https://github.com/OWNER/minae"  # the published repository's address
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", MINAE_GIT], check=True)

# %% [markdown]
# ## How much to train
#
# `"quick"` (default): a few minutes on a laptop; `"full"`: the lesson's settings (60,000
# images, 25 epochs per model); `"tiny"`: the automatic tests' size (seconds, poor pictures,
# no download tried). Change the default, or set `MINAE_NOTEBOOK_SIZE`.

# %%
import os

SIZE = os.environ.get("MINAE_NOTEBOOK_SIZE", "quick")  # "tiny", "quick" or "full"
SETTINGS = {
    "tiny": {"train": 400, "test": 400, "epochs": 1, "download": False},
    "quick": {"train": 10000, "test": 2000, "epochs": 4, "download": True},
    "full": {"train": None, "test": None, "epochs": 25, "download": True},  # None: all
}[SIZE]
SEED = 0
print(f"size {SIZE!r}: {SETTINGS}")

# %%
# ruff: noqa: E402  (in a notebook the imports come after the first cells)
import numpy as np
from scipy.stats import norm

from minae import (
    VAE,
    Dense,
    Flatten,
    ReLU,
    Reshape,
    RMSprop,
    Sequential,
    conditional_vae,
    conv_vae,
    fit,
    kl_divergence,
    load_dataset,
    plotting,
    sample,
    sample_backward,
)
from minae.engine import FastEngine
from minae.vae import SSE_CONSTANT_PER_PIXEL
from minae.variational import log_normal

# %% [markdown]
# ## L5: the reparameterization trick
#
# Training needs the gradient of the loss with respect to `z_mean` and `z_log_sigma`, but a
# random draw `z ~ N(z_mean, sigma^2)` has no derivative. The trick moves the randomness
# into an *input*: draw `eps ~ N(0, I)` first, then
#
#     z = z_mean + exp(z_log_sigma) * eps
#
# is an ordinary function, with `dz/dz_mean = 1` and `dz/dz_log_sigma = sigma * eps`
# (`minae.variational.sample` and `sample_backward`). Two checks with numbers: the draws
# have the mean and spread they should, and the derivative matches a finite difference.

# %%
rng = np.random.default_rng(SEED)
z_mean, z_log_sigma = np.array([[1.5, -0.5]]), np.array([[np.log(0.3), np.log(2.0)]])
eps = rng.standard_normal((200_000, 2))
z = sample(z_mean, z_log_sigma, eps)
print("z_mean", z_mean[0], "-> mean of the draws", z.mean(axis=0).round(3))
print("sigma ", np.exp(z_log_sigma[0]), "-> std of the draws ", z.std(axis=0).round(3))

e = eps[:1]
g_mean, g_log_sigma = sample_backward(np.ones((1, 2)), z_log_sigma, e)
h = 1e-6
numerical = (sample(z_mean, z_log_sigma + h, e) - sample(z_mean, z_log_sigma - h, e)) / (2 * h)
print("dz/dz_log_sigma: analytic", g_log_sigma[0].round(6), " numerical", numerical[0].round(6))

# %% [markdown]
# ## The KL term, and the lesson's pitfall
#
# For one latent dimension, with `sigma = exp(s)`, the KL from `q = N(mu, sigma^2)` to the
# prior `p = N(0, 1)` is
#
#     KL = E_q[log q(z) - log p(z)] = 0.5 (mu^2 + sigma^2 - 1) - s
#
# (the derivation is in the docstring of `minae.variational.kl_divergence`). It is zero only
# at `mu = 0, sigma = 1`. We check it against a Monte Carlo average of `log q - log p` over
# many draws.
#
# **The pitfall.** The lesson calls the head `z_log_sigma` and samples with
# `exp(z_log_sigma)`: a log standard deviation. But its KL is
# `-0.5 * sum(1 + z_log_sigma - z_mean^2 - exp(z_log_sigma))`, the formula for a log
# *variance*. The two halves of its loss disagree about the same number. The table shows, for
# `mu = 0` and several `s`, the true KL of the Gaussian the sampler draws from, its Monte
# Carlo check, and what the lesson's formula says.

# %%
def lesson_kl(mu, s):
    """The lesson's KL: the log-variance formula applied to a log standard deviation."""
    return -0.5 * np.sum(1 + s - mu**2 - np.exp(s), axis=-1)


s_values = np.array([-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0])
print(f"{'s = log sigma':>14} {'sigma':>7} {'true KL':>9} {'Monte Carlo':>12} "
      f"{'lesson KL':>10}")
for s in s_values:
    mu_, s_ = np.zeros((1, 1)), np.full((1, 1), s)
    draws = sample(mu_, s_, rng.standard_normal((100_000, 1)))
    mc = np.mean(log_normal(draws, mu_, s_) - log_normal(draws))  # E_q[log q - log p]
    print(f"{s:>14.1f} {np.exp(s):>7.3f} {kl_divergence(mu_, s_)[0]:>9.3f} {mc:>12.3f} "
          f"{lesson_kl(mu_, s_)[0] + 0.0:>10.3f}")

# %% [markdown]
# The lesson's formula is the KL of a Gaussian with standard deviation `exp(s / 2)`, not
# `exp(s)`: it is right only at `s = 0`, and it charges far too little for a narrow cloud
# (at `s = -3` it says 1.0 nat where the truth is 2.5). The network still trains, since both
# are smallest at `s = 0`, but the loss is no longer an ELBO, so its value is not a bound
# on `log p(x)` and cannot be reported in nats. minae uses `log sigma` in both places.

# %%
# figure
s_line = np.linspace(-3, 1.5, 91)[:, None]
plotting.curves({"true KL of N(0, exp(s)^2)": (s_line[:, 0], kl_divergence(0 * s_line, s_line)),
                 "the lesson's formula": (s_line[:, 0], lesson_kl(0 * s_line, s_line))},
                xlabel="s = z_log_sigma (mu = 0)", ylabel="KL (nats)",
                title="One latent dimension: the KL against log sigma")

# %% [markdown]
# ## The data

# %%
def load(name, split):
    return load_dataset(name, split, limit=SETTINGS[split], seed=SEED,
                        download=SETTINGS["download"])


train, test = load("mnist", "train"), load("mnist", "test")
print(f"training on {len(train)} {train.name} images ({train.source})")
print(f"testing on {len(test)} {test.name} images ({test.source})")

# %% [markdown]
# ## L5: the lesson's dense VAE, layer by layer
#
# 784 -> 512 (ReLU) -> two linear heads of size 2, `z_mean` and `z_log_sigma`; the decoder
# 2 -> 512 (ReLU) -> 784. `likelihood="sse"` is the lesson's reconstruction term, the sum of
# squared errors over the 784 pixels, added 1:1 to the KL. (A sum of squared errors is a
# Gaussian negative log-likelihood with `sigma^2 = 1/2`, minus the constant
# `392 ln(pi) = 448.7` nats; minae adds it back wherever it reports true nats.)
# `minae.dense_vae()` builds the same model in one call.

# %%
rng = np.random.default_rng(SEED)
encoder = Sequential(Flatten(), Dense(784, 512, rng=rng), ReLU())       # x -> h (N, 512)
z_mean_head = Dense(512, 2, rng=rng)                                    # h -> z_mean
z_log_sigma_head = Dense(512, 2, rng=rng)                               # h -> z_log_sigma
decoder = Sequential(Dense(2, 512, rng=rng), ReLU(), Dense(512, 784, rng=rng),
                     Reshape((1, 28, 28)))                              # z -> image means
vae = VAE(encoder, z_mean_head, z_log_sigma_head, decoder, likelihood="sse",
          input_shape=(1, 28, 28), rng=rng)  # rng draws eps in every forward pass
vae.summary()

# %% [markdown]
# ## Training
#
# The VAE computes its own loss (`vae.loss(x)`: reconstruction + KL, and the gradient), so
# `fit` is called with `loss=None`; each step is `vae.loss(x_batch)`, `vae.backward()`,
# `optimizer.step(vae)`. The optimizer is the lesson's: RMSprop with Keras's settings and
# learning rate 1e-3, batches of 128. The progress line shows the two parts of the loss.

# %%
optimizer = RMSprop.keras(lr=1e-3)
history = fit(vae, train.images, optimizer=optimizer, loss=None, epochs=SETTINGS["epochs"],
              batch_size=128, seed=SEED)

# %%
report = vae.evaluate_elbo(test.images, rng=np.random.default_rng(SEED + 1))
sse = report.reconstruction - SSE_CONSTANT_PER_PIXEL * 784
print(f"test, per image: the lesson's loss SSE + KL = {sse:.2f} + {report.kl:.2f} "
      f"= {sse + report.kl:.2f}")
print(f"in true nats: negative ELBO {report.negative_elbo:.1f} (SSE + 448.7 + KL), on "
      f"{len(test)} {test.name} test images")

# %% [markdown]
# ## L6: the pictures
#
# A reconstruction decodes each image's `z_mean` (no sampling). With only two numbers per
# image it is blurry; the point of a 2-D code is that we can draw the whole latent plane.

# %%
def images(out):
    """The decoder's means as pictures: clipped to [0, 1] (a Gaussian mean can overshoot)."""
    return np.clip(out, 0.0, 1.0)


# %%
# figure
plotting.image_rows([("test images", test.images[:10]),
                     ("reconstructions (z_mean decoded)",
                      images(vae.reconstruct(test.images[:10])))],
                    title=f"Dense VAE 784-512-2 on {test.name}")

# %% [markdown]
# The scatter: every test image's `z_mean`, coloured by its digit (labels are not used in
# training). The KL term keeps the cloud near the origin, roughly the size of N(0, I).

# %%
# figure
mu, _ = vae.encode(test.images)
plotting.latent_scatter([(f"z_mean of {len(test)} test images", mu)], test.labels,
                        class_names=test.class_names,
                        title="The VAE's latent plane, by digit")

# %% [markdown]
# The manifold: decode a regular 10x10 grid of the plane. The lesson's grid covers
# [-1, 1] in each direction; a grid evenly spaced in *probability* (the 5% to 95%
# quantiles of N(0, 1)) shows the plane as the prior, and so generation, sees it.

# %%
# figure
decode = lambda z: images(vae.decode(z))  # noqa: E731
plotting.latent_manifold(decode, n=10, extent=(-1, 1, -1, 1),
                         title="Decoded over the lesson's grid, z in [-1, 1]^2")

# %%
# figure
q = norm.ppf(np.linspace(0.05, 0.95, 10))
plotting.latent_manifold(decode, grid=np.stack(np.meshgrid(q, q[::-1]), axis=-1),
                         title="Decoded over N(0, 1) quantiles 5% .. 95%")

# %% [markdown]
# New digits: decode random codes `z ~ N(0, I)`. Unlike notebook 1's random codes, these
# land where the training codes are, so most decode to something digit-like.

# %%
# figure
plotting.image_grid(images(vae.generate(30, rng=np.random.default_rng(SEED + 2))), ncols=10,
                    title="New images from the dense VAE: z ~ N(0, I), decoded")

# %% [markdown]
# ## L11: a convolutional VAE
#
# The assignment: build the VAE from convolutions. `conv_vae` uses two stride-2
# convolutions (28 -> 14 -> 7, 32 and 64 channels) and a dense layer of 16 before the two
# heads; the decoder mirrors it with transposed convolutions. It has 112 thousand
# parameters against the dense VAE's 808 thousand.

# %%
cvae = conv_vae(latent_dim=2, likelihood="sse", rng=np.random.default_rng(SEED))
cvae.use_engine(FastEngine())  # the fast roads of minae.engine, for its convolutions
cvae.summary()

# %%
conv_history = fit(cvae, train.images, optimizer=RMSprop.keras(lr=1e-3), loss=None,
                   epochs=SETTINGS["epochs"], batch_size=128, seed=SEED)

# %%
conv_report = cvae.evaluate_elbo(test.images, rng=np.random.default_rng(SEED + 1))
print(f"test negative ELBO, nats per image: dense {report.negative_elbo:.1f}, "
      f"conv {conv_report.negative_elbo:.1f} (KL {report.kl:.2f} and {conv_report.kl:.2f})")

# %%
# figure
plotting.latent_scatter([("dense VAE", mu), ("conv VAE", cvae.encode(test.images)[0])],
                        test.labels, class_names=test.class_names,
                        title="z_mean of the test images, dense and convolutional")

# %%
# figure
z_new = np.random.default_rng(SEED + 3).standard_normal((10, 2)).astype(np.float32)
plotting.image_rows([("dense VAE", images(vae.decode(z_new))),
                     ("conv VAE", images(cvae.decode(z_new)))],
                    title="The same 10 random codes z ~ N(0, I), decoded by each")

# %% [markdown]
# ## L13: a conditional VAE
#
# Tell the encoder and the decoder the label too (a one-hot vector joined to their inputs).
# The code no longer has to say *which* digit; it is left to carry *how* it is written
# (slant, thickness). To draw a chosen digit, pick the label and a random `z`. In `fit`,
# the labels go through `extra`, sliced into the same batches as the images.

# %%
cond = conditional_vae(num_classes=10, latent_dim=2, hidden=512, likelihood="sse",
                       rng=np.random.default_rng(SEED))
cond_history = fit(cond, train.images, extra=(train.labels,), optimizer=RMSprop.keras(lr=1e-3),
                   loss=None, epochs=SETTINGS["epochs"], batch_size=128, seed=SEED)

# %%
# figure
wanted = np.tile(np.arange(10), 4)  # each column asks for one digit, each row a new z
plotting.image_grid(images(cond.generate(wanted, rng=np.random.default_rng(SEED + 4))),
                    ncols=10, title="Conditional VAE: column k asks for digit k")

# %% [markdown]
# ## What to take away
#
# * The reparameterization trick makes sampling differentiable: `z = mu + sigma * eps`.
# * The KL term is what makes the latent space usable for generation, and its formula must
#   use the same `sigma` as the sampler; the lesson's does not.
# * A 2-D latent space can be drawn whole: scatter, manifold, generation.
#
# Next: notebook 4 compares autoencoders with PCA and meets two other ways to shape a code.
