# %% [markdown]
# # 2. Denoising and super-resolution
#
# The autoencoder of notebook 1 copied an image to itself. Nothing forces the input and the
# target to be the same picture: give the network a **damaged** input and the **clean**
# original as its target, and it learns to repair. This notebook follows the lesson's second
# part:
#
# * **L3** a denoising autoencoder: noisy digits in, clean digits out;
# * **L9** the same denoiser on another data set (Fashion-MNIST), where it fails:
#   an autoencoder learns *its* data, not images in general;
# * **L4** a super-resolution autoencoder: 14x14 in (2x2 average pooling), 28x28 out;
# * **L10** the same at 4x (7x7 in), and what the 4x model makes of pure noise.

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
# and no download is tried). Change the default, or set `MINAE_NOTEBOOK_SIZE`.

# %%
import os

SIZE = os.environ.get("MINAE_NOTEBOOK_SIZE", "quick")  # "tiny", "quick" or "full"
SETTINGS = {
    "tiny": {"train": 400, "test": 400, "epochs": 1, "download": False},
    "quick": {"train": 10000, "test": 2000, "epochs": 3, "download": True},
    "full": {"train": None, "test": None, "epochs": 25, "download": True},  # None: all
}[SIZE]
SEED = 0
print(f"size {SIZE!r}: {SETTINGS}")

# %%
# ruff: noqa: E402  (in a notebook the imports come after the first cells)
import numpy as np

from minae import (
    Adam,
    DatasetUnavailableError,
    binary_cross_entropy_with_logits,
    conv_autoencoder,
    fit,
    load_dataset,
    metrics,
    plotting,
    super_resolution_autoencoder,
    transforms,
)
from minae.engine import FastEngine

# %% [markdown]
# ## The data
#
# MNIST if this machine has it or can download it; otherwise `load_dataset` says why and
# uses synthetic digits. The names printed are the data used below.

# %%
def load(name, split):
    return load_dataset(name, split, limit=SETTINGS[split], seed=SEED,
                        download=SETTINGS["download"])


train, test = load("mnist", "train"), load("mnist", "test")
print(f"training on {len(train)} {train.name} images ({train.source})")
print(f"testing on {len(test)} {test.name} images ({test.source})")

# %% [markdown]
# ## L3: the noise
#
# The lesson's noise is Gaussian with mean 0.5 and standard deviation 0.5, added to every
# pixel and clipped back to [0, 1]:
#
#     x_noisy = clip(x + n, 0, 1),     n ~ N(0.5, 0.5^2) per pixel
#
# A mean of 0.5 makes the whole picture lighter: most of the background becomes grey or
# white. PSNR (peak signal-to-noise ratio, in dB, higher is better) measures how far an
# image is from the clean one: `10 log10(1 / mean((x_hat - x)^2))`.

# %%
noise = transforms.make_noise("lesson")  # gaussian_noise(x, mean=0.5, std=0.5, clip=True)
print(noise)
noisy_test = noise(test.images, np.random.default_rng(SEED + 1))  # fixed, to score with
print(f"PSNR of the noisy test images against the clean ones: "
      f"{metrics.psnr(noisy_test, test.images):.2f} dB")

# %% [markdown]
# ## Training with fresh noise
#
# `fit(..., transform=noise)` applies the noise to each mini-batch's *input* as it is drawn,
# with `fit`'s own random generator, while the target stays the clean batch. Every epoch sees
# new noise on every image, so the network cannot memorise a particular noise pattern (the
# PyTorch notebook draws one noise tensor and reuses it for every batch).
#
# The model is notebook 1's architecture; `conv_autoencoder` builds it layer by layer.

# %%
denoiser = conv_autoencoder(rng=np.random.default_rng(SEED))
denoiser.use_engine(FastEngine())  # the fast roads of minae.engine
denoiser.summary()

# %%
history = fit(denoiser, train.images, train.images, optimizer=Adam(lr=1e-3),
              loss=binary_cross_entropy_with_logits, transform=noise,
              epochs=SETTINGS["epochs"], batch_size=128, seed=SEED)

# %%
denoised = denoiser.reconstruct(noisy_test)
psnr_noisy = metrics.psnr(noisy_test, test.images)
psnr_denoised = metrics.psnr(denoised, test.images)
print(f"{test.name} test: noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB "
      f"(+{psnr_denoised - psnr_noisy:.2f} dB)")

# %%
# figure
plotting.image_rows([(f"noisy input (PSNR {psnr_noisy:.1f} dB)", noisy_test[:10]),
                     (f"denoised (PSNR {psnr_denoised:.1f} dB)", denoised[:10]),
                     ("clean", test.images[:10])],
                    title=f"Denoising autoencoder trained on {train.name}")

# %% [markdown]
# ## L9: the denoiser on another data set
#
# The lesson's exercise: apply the digit denoiser to Fashion-MNIST (clothes, shoes, bags).
# If the network had learned "remove noise", it would work there too. It has learned "draw
# the digit this noisy picture most resembles", so it paints strokes over the clothes.
#
# Offline, Fashion-MNIST may not be on this machine. Then this cell says so and uses what is
# there instead: the test digits as **negatives** (`1 - x`, dark strokes on white), images
# the denoiser has never seen the like of, which makes the same point.

# %%
try:
    other = load_dataset("fashion-mnist", "test", limit=SETTINGS["test"], seed=SEED,
                         download=SETTINGS["download"], fallback=False)
    other_images, other_name = other.images, "Fashion-MNIST"
    print(f"the other data set: {len(other)} Fashion-MNIST test images ({other.source})")
except DatasetUnavailableError as err:  # not on this machine, and no download
    reason = err.reason
    other_images, other_name = 1.0 - test.images, f"negative {test.name}"
    print(f"Fashion-MNIST is not available here ({reason}); using what is there: the "
          f"{test.name} test images as negatives (1 - x)")

# %%
noisy_other = noise(other_images, np.random.default_rng(SEED + 1))
denoised_other = denoiser.reconstruct(noisy_other)
o_noisy = metrics.psnr(noisy_other, other_images)
o_denoised = metrics.psnr(denoised_other, other_images)
print(f"the {train.name} denoiser on {other_name}: {o_noisy:.2f} dB -> {o_denoised:.2f} dB "
      f"(+{o_denoised - o_noisy:.2f} dB, against +{psnr_denoised - psnr_noisy:.2f} dB on "
      f"its own data)")

# %%
# figure
plotting.image_rows([(f"noisy {other_name} (PSNR {o_noisy:.1f} dB)", noisy_other[:10]),
                     (f"denoised by the {train.name} model (PSNR {o_denoised:.1f} dB)",
                      denoised_other[:10]),
                     ("clean", other_images[:10])],
                    title=f"Autoencoders are data-specific: a {train.name} denoiser on "
                          f"{other_name}")

# %% [markdown]
# ## L4: super-resolution, 2x
#
# Now the damage is lost resolution. `transforms.downsample(x, 2)` averages each 2x2 block
# into one pixel (the lesson's 2x2 average pooling): 28x28 becomes 14x14. The network takes
# the 14x14 image and is trained against the 28x28 original.
#
# `super_resolution_autoencoder(2)` is notebook 1's network with the encoder's first pool
# left out (the input is already 14x14): 14 -> 7 -> 4, the same 4x4x8 code, the same
# decoder. The baseline to beat is **bicubic interpolation**, which needs no training.

# %%
def super_resolution(factor):
    """Train the lesson's model at ``factor``; return it and its test outputs and scores."""
    low_train = transforms.downsample(train.images, factor)
    low_test = transforms.downsample(test.images, factor)
    model = super_resolution_autoencoder(factor, rng=np.random.default_rng(SEED))
    model.use_engine(FastEngine())
    fit(model, low_train, train.images, optimizer=Adam(lr=1e-3),
        loss=binary_cross_entropy_with_logits, epochs=SETTINGS["epochs"], batch_size=128,
        seed=SEED)
    outputs = {"bicubic": transforms.upsample(low_test, factor, mode="bicubic"),
               "autoencoder": model.reconstruct(low_test)}
    scores = {k: metrics.psnr(v, test.images) for k, v in outputs.items()}
    print(f"{factor}x ({28 // factor}x{28 // factor} -> 28x28) on {len(test)} {test.name} "
          f"test images: " + ", ".join(f"{k} {v:.2f} dB" for k, v in scores.items()))
    return model, low_test, outputs, scores


sr2, low2, out2, psnr2 = super_resolution(2)

# %%
# figure
plotting.image_rows([("input 14x14 (2x2 average pooling)", low2[:10]),
                     (f"bicubic (PSNR {psnr2['bicubic']:.1f} dB)", out2["bicubic"][:10]),
                     (f"autoencoder (PSNR {psnr2['autoencoder']:.1f} dB)",
                      out2["autoencoder"][:10]),
                     ("original 28x28", test.images[:10])],
                    title=f"Super-resolution 2x on {test.name}")

# %% [markdown]
# Everything the output has must pass through the 128-number code, fewer numbers than the
# 196 pixels it was given, so this network cannot keep what the input already had. Trained
# for the lesson's 25 epochs (`SIZE = "full"`) it lands near bicubic, not above it; after the
# few epochs of the quick size it is still below (the numbers printed above). A network with
# no bottleneck does better (`minae.super_resolution_network`, in
# `demos/super_resolution.py`).
#
# ## L10: super-resolution, 4x, and noise in
#
# At 4x the input is 7x7: 49 numbers for a 784-pixel image, fewer than the code's 128, so
# the code is no longer the tightest squeeze. Bicubic interpolation can only blur those 49
# numbers; the autoencoder draws strokes, and with the lesson's 25 epochs it beats bicubic
# (by 2.7 dB in the 25-epoch run on Fashion-MNIST reported in docs/autoencoders.md).

# %%
sr4, low4, out4, psnr4 = super_resolution(4)

# %%
# figure
plotting.image_rows([("input 7x7 (4x4 average pooling)", low4[:10]),
                     (f"bicubic (PSNR {psnr4['bicubic']:.1f} dB)", out4["bicubic"][:10]),
                     (f"autoencoder (PSNR {psnr4['autoencoder']:.1f} dB)",
                      out4["autoencoder"][:10]),
                     ("original 28x28", test.images[:10])],
                    title=f"Super-resolution 4x on {test.name}")

# %% [markdown]
# The lesson's last exercise: feed the 4x model 7x7 images of uniform noise. It does not
# "enlarge" them; it draws digit-like strokes, because drawing digits is all it knows.

# %%
# figure
noise_in = np.random.default_rng(SEED + 2).random((10, 1, 7, 7)).astype(np.float32)
plotting.image_rows([("input: uniform noise, 7x7", noise_in),
                     ("the 4x model's output", sr4.reconstruct(noise_in))],
                    title=f"Noise into the 4x model: it draws {train.name}-like strokes")

# %% [markdown]
# ## What to take away
#
# * Input and target need not be the same image: damaged in, clean out, is a training signal
#   that needs no labels, only a way to damage images.
# * What is learned is the data, not the repair: the denoiser fails on another kind of
#   image (L9), and the 4x model turns noise into digits (L10).
#
# Next: notebook 3, the variational autoencoder, whose latent space *is* meant to be sampled.
