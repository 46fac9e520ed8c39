# %% [markdown]
# # 1. The convolutional autoencoder
#
# An autoencoder learns to copy its input through a narrow middle. The **encoder** squeezes a
# 28x28 image (784 numbers) into a **code** of 4x4x8 = 128 numbers; the **decoder** rebuilds
# the image from the code alone. Nobody tells it which features to keep: the only signal is
# "make the output look like the input".
#
# This notebook follows the lesson's first part:
#
# * **L1** the lesson's convolutional autoencoder, built layer by layer and trained with
#   binary cross-entropy and Adam;
# * **L2** what its latent space is: decoded *random* codes are blobs, not digits;
# * **L7** task 1: a 2-D code, each image a point in the plane, coloured by digit;
# * **L8** task 2: noise added to the codes of real digits, then decoded.
#
# Everything runs on minae's own NumPy layers: each `forward` and `backward` is a short
# function you can open and read (`minae/layers/conv.py`, `minae/layers/pooling.py`, ...).

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
# `SIZE` picks how long this notebook trains. `"quick"` (the default) runs top to bottom in a
# few minutes on a laptop; `"full"` is the lesson's settings (all 60,000 training images,
# 25 epochs); `"tiny"` is what the automatic tests run (seconds; the pictures are poor).
# Change the default below, or set the environment variable `MINAE_NOTEBOOK_SIZE`.

# %%
import os

SIZE = os.environ.get("MINAE_NOTEBOOK_SIZE", "quick")  # "tiny", "quick" or "full"
SETTINGS = {
    "tiny": {"train": 500, "test": 500, "epochs": 1},
    "quick": {"train": 12000, "test": 2000, "epochs": 4},
    "full": {"train": None, "test": None, "epochs": 25},  # None: every image
}[SIZE]
SEED = 0
print(f"size {SIZE!r}: {SETTINGS}")

# %%
# ruff: noqa: E402  (in a notebook the imports come after the first cells)
import numpy as np

from minae import (
    Adam,
    AutoEncoder,
    Conv2D,
    MaxPool2D,
    ReLU,
    Sequential,
    Upsample2D,
    binary_cross_entropy_with_logits,
    conv_dense_autoencoder,
    fit,
    load_dataset,
    metrics,
    plotting,
)
from minae.engine import FastEngine

# %% [markdown]
# ## The data
#
# `load_dataset` returns float32 images `(N, 1, 28, 28)` scaled to [0, 1] (the lesson's
# `x / 255`) and integer labels. It looks for MNIST on this machine and downloads it when it
# can; offline, it says why in one line and falls back to **synthetic digits** (digits drawn
# from fonts, with random shifts and strokes), so every cell below still runs. The name it
# prints is the data this notebook used.

# %%
train = load_dataset("mnist", "train", limit=SETTINGS["train"], seed=SEED)
test = load_dataset("mnist", "test", limit=SETTINGS["test"], seed=SEED)
print(f"training on {len(train)} images of {train.name} ({train.source})")
print(f"testing on {len(test)} images of {test.name} ({test.source})")
print("images", train.images.shape, train.images.dtype, "labels", train.labels.shape)

# %%
# figure
plotting.image_grid(train.images[:20], ncols=10,
                    title=f"The first 20 training images ({train.name})")

# %% [markdown]
# ## L1: the model, layer by layer
#
# The encoder is three rounds of *convolution, ReLU, max-pool*: 28 -> 14 -> 7 -> 4. The last
# pool takes an odd 7x7 map to 4x4 with `padding="same"` (Keras's rule: one extra row and
# column of padding at the bottom right). The decoder mirrors it with *convolution, ReLU,
# upsample*: 4 -> 8 -> 16, then one **unpadded** 3x3 convolution takes 16 to 14, and a last
# upsample reaches 28.
#
# The decoder ends in a convolution with no sigmoid: its outputs are **logits**. Training uses
# binary cross-entropy *on logits*, which is the same number as "sigmoid, then BCE" but never
# takes the log of zero (the reasoning is in the docstring of `minae/autoencoders.py`).
# `reconstruct` applies the sigmoid when we want pictures.

# %%
rng = np.random.default_rng(SEED)  # every weight below is drawn from this generator

encoder = Sequential(
    Conv2D(1, 16, 3, padding="same", rng=rng), ReLU(), MaxPool2D(2, padding="same"),  # 16x14x14
    Conv2D(16, 8, 3, padding="same", rng=rng), ReLU(), MaxPool2D(2, padding="same"),  # 8x7x7
    Conv2D(8, 8, 3, padding="same", rng=rng), ReLU(), MaxPool2D(2, padding="same"),   # 8x4x4
)
decoder = Sequential(
    Conv2D(8, 8, 3, padding="same", rng=rng), ReLU(), Upsample2D(2),    # 8x8x8
    Conv2D(8, 8, 3, padding="same", rng=rng), ReLU(), Upsample2D(2),    # 8x16x16
    Conv2D(8, 16, 3, padding="valid", rng=rng), ReLU(), Upsample2D(2),  # 16x28x28
    Conv2D(16, 1, 3, padding="same", rng=rng),                          # 1x28x28 logits
)
model = AutoEncoder(encoder, decoder, input_shape=(1, 28, 28))
model.summary()

# %% [markdown]
# (`minae.conv_autoencoder()` builds exactly this model in one call.)
#
# Each `Conv2D` computes its output with **im2col** (every 3x3 patch becomes a row of a
# matrix, and the convolution one matrix product): the path `minae/layers/conv.py` calls,
# in `minae/kernels/conv.py`. The same arithmetic has faster roads (fewer copies, bigger
# products), kept apart in `minae.engine`. One line switches every convolution, pooling and
# upsampling layer of the model onto them; remove it and the model runs the taught path, with
# the same results to float32 rounding.

# %%
model.use_engine(FastEngine())  # the fast roads of minae.engine, on for this model
print("engine:", type(model.encoder[0].engine).__name__)

# %% [markdown]
# ## Training
#
# `fit` runs the loop you would write by hand: for each mini-batch of 128 images,
# `logits = model.forward(x)`, `loss, grad = binary_cross_entropy_with_logits(logits, x)`,
# `model.backward(grad)`, `optimizer.step(model)`. The optimizer and the loss are in view:
# Adam with learning rate 1e-3, as in the lesson. The target is the input itself (no `y`).
# The line below the cell is redrawn during each epoch and keeps one line per epoch.

# %%
optimizer = Adam(lr=1e-3)
history = fit(model, train.images, optimizer=optimizer,
              loss=binary_cross_entropy_with_logits, epochs=SETTINGS["epochs"],
              batch_size=128, validation=test.images, seed=SEED)

# %% [markdown]
# The loss is BCE in nats per image (summed over the 784 pixels, averaged over the batch).
# The lesson reports it per pixel; divide by 784. Grey pixels cannot cost zero: a pixel of
# value 0.3 is best predicted as 0.3, which still costs its entropy. So the number to
# compare with is the **floor**, the BCE of a perfect reconstruction.

# %%
logits = model.decode(model.encode(test.images))
bce = metrics.bce_per_pixel(logits, test.images, logits=True)
floor = metrics.bce_floor_per_pixel(test.images)
reconstructions = model.reconstruct(test.images)
psnr = metrics.psnr(reconstructions, test.images)
print(f"test BCE per pixel {bce:.4f} (floor for these images {floor:.4f}); "
      f"PSNR {psnr:.1f} dB on {len(test)} {test.name} test images")

# %%
# figure
plotting.curves({"training": (np.arange(1, len(history) + 1), np.array(history.loss) / 784),
                 "test": (np.arange(1, len(history) + 1), np.array(history.val_loss) / 784)},
                xlabel="epoch", ylabel="BCE per pixel", title="Learning curves")

# %%
# figure
plotting.image_rows([("test images", test.images[:10]),
                     (f"reconstructions (PSNR {psnr:.1f} dB)", reconstructions[:10])],
                    title=f"Conv autoencoder 28x28 -> 4x4x8 -> 28x28 ({test.name})")

# %% [markdown]
# ## The codes
#
# Each image's code is 8 channels of 4x4. Drawn as heat maps, a channel lights up where its
# feature is found; compare the rows: images of the same digit tend to light up alike.

# %%
codes = model.encode(test.images)
print("codes", codes.shape, f"(128 numbers for 784 pixels); mean {codes.mean():.2f}, "
      f"std {codes.std():.2f}, {100 * np.mean(codes == 0):.0f}% exactly 0 (ReLU)")

# %%
# figure
pairs = np.concatenate([np.flatnonzero(test.labels == d)[:2] for d in (0, 1, 7)])  # 2 each
plotting.code_heatmaps(test.images[pairs], codes[pairs],
                       title="The 4x4x8 codes of two 0s, two 1s and two 7s (white = strongest)")

# %% [markdown]
# ## L2: is the latent space generative?
#
# If the decoder had learned "what digits look like", any code would decode to a digit. The
# lesson decodes random codes `7 * rand(8, 4, 4)`. They decode to blobs: the decoder has only
# ever seen the codes of real images, a thin set inside the 128-dimensional space, and
# nothing in training asks the rest of the space to mean anything. (A VAE, in notebook 3, is
# trained so that it does.)

# %%
noise_rng = np.random.default_rng(SEED + 1)
random_codes = (7 * noise_rng.random((20,) + codes.shape[1:])).astype(np.float32)
print(f"random codes: uniform in [0, 7]; real codes range {codes.min():.2f} .. "
      f"{codes.max():.2f}")

# %%
# figure
plotting.image_grid(model.generate(random_codes), ncols=10,
                    title="Decoded random codes (7 * rand): blobs, not digits")

# %% [markdown]
# ## L7 (task 1): a 2-D code
#
# Put a dense layer after the convolutions so that the code is two numbers; then every image
# is a point in the plane and we can look at the whole test set at once. Labels are never
# used in training, yet images of one class end up near each other. The builder adds
# `Flatten, Dense(128, 2)` to the encoder and `Dense(2, 128), ReLU, Reshape(8, 4, 4)` to the
# decoder; its table shows every layer.

# %%
model2d = conv_dense_autoencoder(2, rng=np.random.default_rng(SEED))
model2d.use_engine(FastEngine())
model2d.summary()

# %%
history2d = fit(model2d, train.images, optimizer=Adam(lr=1e-3),
                loss=binary_cross_entropy_with_logits, epochs=SETTINGS["epochs"],
                batch_size=128, seed=SEED)

# %%
# figure
codes2d = model2d.encode(test.images)
rec2d = model2d.reconstruct(test.images)
plotting.latent_scatter(
    [(f"2-D codes (PSNR {metrics.psnr(rec2d, test.images):.1f} dB; 128-D: {psnr:.1f} dB)",
      codes2d)], test.labels, class_names=test.class_names,
    title=f"Task 1: the 2-D codes of {len(test)} {test.name} test images, by label")

# %% [markdown]
# ## L8 (task 2): noise in the latent space
#
# Take the codes of ten real test images, add Gaussian noise of growing size (in units of the
# codes' own standard deviation) and decode. Small steps away from a real code still decode
# to that digit, slightly changed; large steps leave the region the decoder knows.

# %%
x = test.images[:10]
z = model.encode(x)
spread = float(codes.std())
eps = np.random.default_rng(SEED + 2).standard_normal(z.shape).astype(np.float32)
rows = [("original", x)]
for scale in (0.25, 0.5, 1.0, 2.0):
    out = model.generate(z + scale * spread * eps)
    rows.append((f"code + noise of std {scale:g} x {spread:.2f} "
                 f"(PSNR {metrics.psnr(out, x):.1f} dB)", out))

# %%
# figure
plotting.image_rows(rows, title="Noise added to the 4x4x8 codes of real digits, then decoded")

# %% [markdown]
# ## What to take away
#
# * An autoencoder is trained with no labels: the input is its own target.
# * The 4x4x8 code keeps enough to redraw a digit, but the space of codes is not a space of
#   digits: random codes decode to blobs (L2), and noise pushes real codes off the digits (L8).
# * With a 2-D code the classes separate in the plane without ever being named (L7).
#
# Next: notebook 2 trains the same architecture to *remove* noise and to *add* resolution.
