# %% [markdown]
# # 4. Beyond the lesson
#
# Three more things about autoencoders, and one about minae itself:
#
# * **L12** the lesson's claims, checked: autoencoders against **PCA** for drawing data in
#   two dimensions and for compressing it; they are lossy; they learn from unlabelled data;
# * **L14** an **adversarial autoencoder**: a discriminator, not a KL formula, pulls the codes
#   toward a prior (the lesson's PyTorch notebook has one whose losses never move);
# * a **sparse autoencoder**: a penalty that keeps most code units at zero;
# * a **gradient check** on a layer whose source you read in a cell above it: the test that
#   every hand-written backward pass in minae passes, and that fails loudly on a wrong one.

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
# `"quick"` (default): a few minutes on a laptop; `"full"`: 60,000 images and the demos'
# full epochs; `"tiny"`: the automatic tests' size (seconds, poor pictures, no download
# tried). Change the default, or set `MINAE_NOTEBOOK_SIZE`.

# %%
import os

SIZE = os.environ.get("MINAE_NOTEBOOK_SIZE", "quick")  # "tiny", "quick" or "full"
SETTINGS = {
    "tiny": {"train": 400, "test": 400, "epochs": 1, "codes": (2, 8), "download": False},
    "quick": {"train": 10000, "test": 2000, "epochs": 5, "codes": (2, 8, 32),
              "download": True},
    "full": {"train": None, "test": None, "epochs": 20, "codes": (2, 4, 8, 16, 32, 64),
             "download": True},  # None: every image
}[SIZE]
SEED = 0
print(f"size {SIZE!r}: {SETTINGS}")

# %%
# ruff: noqa: E402  (in a notebook the imports come after the first cells)
import inspect

import numpy as np

from minae import (
    PCA,
    Adam,
    Dense,
    GradientCheckError,
    check_layer,
    deep_autoencoder,
    dense_aae,
    fit,
    load_dataset,
    metrics,
    plotting,
    report,
    train_aae,
)
from minae.adversarial import CHANCE_D_LOSS, CHANCE_G_LOSS, aae_optimizers, mmd2
from minae.sparse import L1Activity, hoyer_sparsity, sparse_dense_autoencoder

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
# ## L12: autoencoders against PCA
#
# PCA is the best *linear* code: it projects the images onto the `k` directions along which
# they vary most, and reconstructs from those `k` numbers with the least squared error any
# linear map can reach. An autoencoder with ReLUs between its layers is not limited to
# straight lines. Neither uses the labels: both learn from the images alone.
#
# First, two dimensions, to draw. The autoencoder is the deep dense one,
# 784-128-64-2-64-128-784, trained with BCE and Adam. (Every model in this notebook is
# dense: no convolutions, so the fast engine of notebooks 1 to 3 has nothing to speed up.)

# %%
pca = PCA(max(SETTINGS["codes"])).fit(train.images)
ae2 = deep_autoencoder(2, rng=np.random.default_rng(SEED))
ae2.summary()

# %%
history2 = fit(ae2, train.images, optimizer=Adam(lr=1e-3), epochs=SETTINGS["epochs"],
               batch_size=128, seed=SEED)  # loss: BCE on logits, fit's default

# %%
# figure
pca_mse2 = metrics.mse_per_pixel(pca.reconstruct(test.images, 2), test.images)
ae_mse2 = metrics.mse_per_pixel(ae2.reconstruct(test.images), test.images)
plotting.latent_scatter([(f"PCA, 2 components (MSE {pca_mse2:.4f})",
                          pca.transform(test.images, 2)),
                         (f"autoencoder, 2-D code (MSE {ae_mse2:.4f})", ae2.encode(test.images))],
                        test.labels, class_names=test.class_names,
                        title=f"{len(test)} {test.name} test images in two dimensions "
                              "(labels only colour the points)")

# %% [markdown]
# Then compression: the test error against the code size `k`. Both are **lossy**: no code
# smaller than the image gives it back exactly. Which one wins depends on the code size and
# on how long the autoencoder trained: PCA is exact after one SVD, the autoencoder only as
# good as its epochs. After a few epochs (the quick size) it matches or beats PCA at small
# codes and may trail at large ones; after 25 epochs on Fashion-MNIST (the quality table in
# docs/autoencoders.md) it beat PCA at every size from 2 to 32.

# %%
pca_curve, ae_curve, models = [], [], {2: ae2}
for k in SETTINGS["codes"]:
    if k not in models:
        models[k] = deep_autoencoder(k, rng=np.random.default_rng(SEED))
        fit(models[k], train.images, optimizer=Adam(lr=1e-3), epochs=SETTINGS["epochs"],
            batch_size=128, seed=SEED, verbose=0)
    pca_curve.append(metrics.mse_per_pixel(pca.reconstruct(test.images, k), test.images))
    ae_curve.append(metrics.mse_per_pixel(models[k].reconstruct(test.images), test.images))
    print(f"code size {k:>3}: test MSE per pixel  PCA {pca_curve[-1]:.4f}   "
          f"autoencoder {ae_curve[-1]:.4f}")

# %%
# figure
codes = list(SETTINGS["codes"])
plotting.curves({"PCA": (codes, pca_curve), "autoencoder 784-128-64-k": (codes, ae_curve)},
                xlabel="code size k", ylabel="test MSE per pixel", logx=True, xticks=codes,
                annotate=True, title="Reconstruction error against code size")

# %%
# figure
k = codes[1]
plotting.image_rows([("test images", test.images[:10]),
                     (f"PCA, {k} components", np.clip(pca.reconstruct(test.images[:10], k), 0, 1)),
                     (f"autoencoder, {k}-D code", models[k].reconstruct(test.images[:10]))],
                    title=f"Both are lossy: reconstructions from {k} numbers per image")

# %% [markdown]
# ## L14: an adversarial autoencoder
#
# A VAE pulls its codes toward the prior with a KL term it can write down. An adversarial
# autoencoder (AAE) learns the pull instead: a small network, the **discriminator**, is
# trained to tell samples of the prior N(0, I) from the encoder's codes, and the encoder is
# trained to fool it. Each mini-batch has three steps, each with its own Adam: reconstruct,
# train the discriminator, train the encoder against it (`minae/adversarial/model.py`).
#
# When the discriminator cannot tell, its loss sits at `2 ln 2 = 1.386` and the encoder's at
# `ln 2 = 0.693`. The PyTorch notebook prints exactly those numbers from start to end: its
# discriminator never learned anything. Here they *move* and come back toward them, and the
# codes' distance to the prior (MMD^2, 0 when indistinguishable) falls.

# %%
aae = dense_aae(2, (256,), (64, 64), rng=np.random.default_rng(SEED))
prior_rng = np.random.default_rng(SEED + 1)
mmd_before = mmd2(aae.encode(test.images), aae.prior.sample(len(test), prior_rng))
print(f"parameters: encoder {aae.encoder.num_parameters():,}, decoder "
      f"{aae.decoder.num_parameters():,}, discriminator {aae.discriminator.num_parameters():,}")

# %%
optimizers = aae_optimizers(lr=5e-4, adversarial_lr=1e-3)  # three Adams
aae_history = train_aae(aae, train.images, optimizers=optimizers, epochs=SETTINGS["epochs"],
                        batch_size=100, rng=np.random.default_rng(SEED))
aae_codes = aae.encode(test.images)
mmd_after = mmd2(aae_codes, aae.prior.sample(len(test), prior_rng))
print(f"the discriminator at chance would give D loss {CHANCE_D_LOSS:.3f}, G loss "
      f"{CHANCE_G_LOSS:.3f}; test codes' MMD^2 to the prior {mmd_before:.3f} -> {mmd_after:.3f}")

# %%
# figure
plotting.latent_scatter([("AAE codes of the test images", aae_codes),
                         ("samples of the prior N(0, I)",
                          aae.prior.sample(len(test), prior_rng))],
                        test.labels, class_names=test.class_names,
                        title="Codes pushed toward the prior (the prior's points have no "
                              "digit: their colours mean nothing)")

# %%
# figure
plotting.image_grid(aae.generate(aae.prior.sample(30, prior_rng).astype(np.float32)), ncols=10,
                    title="New images from the AAE: prior samples, decoded")

# %% [markdown]
# ## A sparse autoencoder
#
# Another way to shape a code: make it wide (32 units) but **sparse**, most units zero for
# any one image, by adding an L1 penalty on the code to the loss,
#
#     loss = BCE per pixel + lam * mean over the batch of sum_j |h_j|,
#
# so each image is described by a few active features. `sparse_dense_autoencoder` is
# 784 -> 32 (ReLU) -> 784; it computes its own loss, so `fit` gets `loss=None`. We compare it
# with the same model without the penalty (`lam = 0`). (The Keras tutorial uses
# `lam = 1e-5` over 50 epochs; with fewer epochs here we use a stronger `1e-4`.)

# %%
sparse_models = {}
for name, lam in (("plain", 0.0), ("L1", 1e-4)):
    model = sparse_dense_autoencoder(32, L1Activity(lam), reduction="mean",
                                     rng=np.random.default_rng(SEED))
    fit(model, train.images, optimizer=Adam(lr=1e-3), loss=None, epochs=SETTINGS["epochs"],
        batch_size=128, seed=SEED, verbose=0)
    h = model.encode(test.images)
    bce = metrics.bce_per_pixel(model.decode(h), test.images, logits=True)
    print(f"{name:>5}: test BCE per pixel {bce:.4f}; {100 * np.mean(h == 0):4.1f}% of code "
          f"values exactly 0; Hoyer sparsity {np.mean(hoyer_sparsity(h)):.3f} (0 dense .. 1 "
          "one unit)")
    sparse_models[name] = model

# %%
# figure
features = sparse_models["L1"].decoder[0].params["W"]  # (32, 784): what each unit draws
features = (features - features.min(axis=1, keepdims=True)) / np.ptp(features, axis=1,
                                                                        keepdims=True)
plotting.image_grid(features, ncols=16,
                    title="The sparse model's 32 features: each code unit's decoder weights")

# %% [markdown]
# ## A gradient check on a layer you have just read
#
# Every layer in minae writes its backward pass by hand, and every one is tested the same
# way. Here is `Dense`, the layer of every model above; its backward is three lines, one per
# gradient:

# %%
print(inspect.getsource(Dense.forward))
print(inspect.getsource(Dense.backward))

# %% [markdown]
# `check_layer` compares those gradients with **finite differences**: it takes the scalar
# `L = sum(layer.forward(x) * g)` for a random `g` (random, not ones: ones would hide a
# wrong sign or a missing transpose), nudges each input and weight by `h = 1e-6` up and
# down, and measures `(L(+h) - L(-h)) / 2h`. The relative error
# `max|analytic - numerical| / (max|analytic| + max|numerical|)` must be below `1e-7`. It runs
# in float64: float32's rounding (1e-7) would drown the difference.

# %%
rng = np.random.default_rng(SEED)
layer = Dense(5, 3, rng=rng, dtype=np.float64)
results = check_layer(layer, rng.standard_normal((4, 5)), rng=rng)
print(report(results, 1e-7))

# %% [markdown]
# And the check fails loudly when a backward is wrong. A common slip: averaging the bias
# gradient over the batch instead of summing it (the loss sums the examples' terms, so the
# gradient sums too).

# %%
class DenseWithAMistake(Dense):
    def backward(self, dy):
        dx = super().backward(dy)
        self.grads["b"] = dy.mean(axis=0)  # wrong: should be dy.sum(axis=0)
        return dx


try:
    check_layer(DenseWithAMistake(5, 3, rng=rng, dtype=np.float64),
                rng.standard_normal((4, 5)), rng=rng)
except GradientCheckError as err:
    print("GradientCheckError:\n" + str(err).split("\n\n")[0])

# %% [markdown]
# ## What to take away
#
# * Autoencoders draw data in 2-D better than PCA, compress better at small code sizes, and
#   are lossy like any code smaller than the data; they need no labels (L12).
# * The pull toward a prior can be learned by a discriminator instead of written as a KL
#   (L14); a penalty can make codes sparse instead of small.
# * Every backward pass can be checked against finite differences, and in minae it is:
#   `minae.check_layer`, `check_model` and `check_loss` are what the tests call.
