"""The lesson's VAEs, built: ``dense_vae``, ``conv_vae`` and ``conditional_vae``.

Each builder checks its sizes (positive integers: ``latent_dim=2.7`` is refused, not
truncated), its ``rng`` (a ``np.random.Generator`` or None, via ``checks.check_rng``) and
gives the model its ``input_shape``, so images of another size are refused at the model's
entry instead of coming back as outputs of the wrong size. ``rng`` initialises the weights
and is then the model's source of ``eps``.
"""

from __future__ import annotations

import numpy as np

from minae.layers.activations import ReLU
from minae.layers.base import Layer
from minae.layers.checks import check_positive_int, check_rng
from minae.layers.conv import Conv2D
from minae.layers.conv_transpose import ConvTranspose2D
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.layers.shape import Flatten, Reshape
from minae.layers.upsample import Upsample2D
from minae.vae.conditional import ConditionalVAE
from minae.vae.inputs import image_shape
from minae.vae.model import VAE


def _hidden_sizes(hidden) -> tuple[int, ...]:
    sizes = tuple(hidden) if isinstance(hidden, (tuple, list)) else (hidden,)
    if not sizes:
        raise ValueError("hidden must be a positive integer or a non-empty tuple of them; got ()")
    return tuple(check_positive_int(h, "hidden") for h in sizes)


def _mlp(sizes, init, rng, dtype, last_relu: bool) -> list[Layer]:
    layers: list[Layer] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Dense(a, b, init=init, rng=rng, dtype=dtype))
        if last_relu or i < len(sizes) - 2:
            layers.append(ReLU())
    return layers


def dense_vae(latent_dim: int = 2, hidden=512, input_shape: tuple[int, ...] = (1, 28, 28),
              likelihood: str = "bernoulli", beta: float = 1.0, *, sigma: float = 1.0,
              learn_sigma: bool = False, init: str = "glorot_uniform",
              rng: np.random.Generator | None = None, dtype=np.float32) -> VAE:
    """The lesson's dense VAE (with ``likelihood="sse"`` its loss too)::

        encoder  Flatten, Dense(784, 512), ReLU        heads  Dense(512, 2) x 2
        decoder  Dense(2, 512), ReLU, Dense(512, 784), Reshape(1, 28, 28)   (logits / means)

    ``hidden`` may be a tuple for several layers (the decoder mirrors it). ``hidden=400,
    latent_dim=20`` is the 784-400-20 model of the VAE benchmarks. Parameter count for one
    hidden layer: ``(D H + H) + 2 (H L + L) + (L H + H) + (H D + D)``: 807,700 for the
    lesson's (D = 784, H = 512, L = 2). ``rng`` initialises the weights and then draws ``eps``.
    """
    latent_dim = check_positive_int(latent_dim, "dense_vae latent_dim")
    input_shape = image_shape(input_shape, "dense_vae input_shape")
    d = int(np.prod(input_shape))
    hs = _hidden_sizes(hidden)
    rng = check_rng(rng, "dense_vae")
    encoder = Sequential(Flatten(), *_mlp((d, *hs), init, rng, dtype, last_relu=True))
    z_mean = Dense(hs[-1], latent_dim, init=init, rng=rng, dtype=dtype)
    z_log_sigma = Dense(hs[-1], latent_dim, init=init, rng=rng, dtype=dtype)
    decoder = Sequential(*_mlp((latent_dim, *hs[::-1], d), init, rng, dtype, last_relu=False),
                         Reshape(input_shape))
    return VAE(encoder, z_mean, z_log_sigma, decoder, likelihood, beta, sigma=sigma,
               learn_sigma=learn_sigma, input_shape=input_shape, rng=rng)


def conditional_vae(num_classes: int = 10, latent_dim: int = 2, hidden=512,
                    input_shape: tuple[int, ...] = (1, 28, 28), likelihood: str = "bernoulli",
                    beta: float = 1.0, *, sigma: float = 1.0, learn_sigma: bool = False,
                    init: str = "glorot_uniform", rng: np.random.Generator | None = None,
                    dtype=np.float32) -> ConditionalVAE:
    """A dense conditional VAE: ``dense_vae`` with the label joined in::

        encoder  [flatten(x), one_hot(y)] (D + C) -> Dense(D + C, H), ReLU
        heads    Dense(H, L) x 2
        decoder  [z, one_hot(y)] (L + C) -> Dense(L + C, H), ReLU, Dense(H, D), Reshape
    """
    latent_dim = check_positive_int(latent_dim, "conditional_vae latent_dim")
    num_classes = check_positive_int(num_classes, "conditional_vae num_classes")
    input_shape = image_shape(input_shape, "conditional_vae input_shape")
    d = int(np.prod(input_shape))
    hs = _hidden_sizes(hidden)
    rng = check_rng(rng, "conditional_vae")
    encoder = Sequential(*_mlp((d + num_classes, *hs), init, rng, dtype, last_relu=True))
    z_mean = Dense(hs[-1], latent_dim, init=init, rng=rng, dtype=dtype)
    z_log_sigma = Dense(hs[-1], latent_dim, init=init, rng=rng, dtype=dtype)
    decoder = Sequential(
        *_mlp((latent_dim + num_classes, *hs[::-1], d), init, rng, dtype, last_relu=False),
        Reshape(input_shape))
    return ConditionalVAE(encoder, z_mean, z_log_sigma, decoder, num_classes, likelihood, beta,
                          sigma=sigma, learn_sigma=learn_sigma, input_shape=input_shape, rng=rng)


def conv_vae(latent_dim: int = 2, channels: tuple[int, int] = (32, 64), hidden: int = 16,
             input_shape: tuple[int, ...] = (1, 28, 28), likelihood: str = "bernoulli",
             beta: float = 1.0, *, decoder: str = "transpose", sigma: float = 1.0,
             learn_sigma: bool = False, init: str = "glorot_uniform",
             rng: np.random.Generator | None = None, dtype=np.float32) -> VAE:
    """The assignment's convolutional VAE (defaults shown for a 1 x 28 x 28 input)::

        encoder  Conv2D(1, 32, 3, stride 2, "same"), ReLU        -> 32 x 14 x 14
                 Conv2D(32, 64, 3, stride 2, "same"), ReLU       -> 64 x 7 x 7
                 Flatten, Dense(3136, 16), ReLU                  -> 16
        heads    Dense(16, 2) x 2                                -> z_mean, z_log_sigma
        decoder  Dense(2, 3136), ReLU, Reshape(64, 7, 7)
          "transpose": ConvTranspose2D(64, 32, 4, stride 2, padding 1), ReLU   -> 32 x 14 x 14
                       ConvTranspose2D(32, 1, 4, stride 2, padding 1)          -> 1 x 28 x 28
          "upsample":  Upsample2D(2), Conv2D(64, 32, 3, "same"), ReLU          -> 32 x 14 x 14
                       Upsample2D(2), Conv2D(32, 1, 3, "same")                 -> 1 x 28 x 28

    The decoder ends in logits (bernoulli) or means, like ``dense_vae``'s. Parameters with the
    defaults (latent 2): encoder 320 + 18,496 + 50,192; heads 2 x 34; decoder 9,408 +
    32,800 + 513 ("transpose"; "upsample": 9,408 + 18,464 + 289): 111,797 in all
    ("upsample": 97,237), against the dense VAE's 807,700. ``H`` and ``W`` must be multiples
    of 4 (two stride-2 halvings and two doublings). ``channels=(c1, c2)``.
    """
    latent_dim = check_positive_int(latent_dim, "conv_vae latent_dim")
    hidden = check_positive_int(hidden, "conv_vae hidden")
    if not isinstance(channels, (tuple, list)) or len(channels) != 2:
        raise ValueError(f"conv_vae channels must be a pair (c1, c2) such as (32, 64); got "
                         f"{channels!r}")
    c1, c2 = (check_positive_int(c, "conv_vae channels") for c in channels)
    input_shape = image_shape(input_shape, "conv_vae input_shape")
    if len(input_shape) != 3 or input_shape[1] % 4 or input_shape[2] % 4:
        raise ValueError(f"conv_vae input_shape must be (C, H, W) with H and W multiples of 4; "
                         f"got {input_shape}")
    if decoder not in ("transpose", "upsample"):
        raise ValueError(f"conv_vae decoder must be 'transpose' or 'upsample'; got {decoder!r}")
    c_in, h, w = input_shape[0], input_shape[1] // 4, input_shape[2] // 4
    rng = check_rng(rng, "conv_vae")
    kw = {"init": init, "rng": rng, "dtype": dtype}
    encoder = Sequential(
        Conv2D(c_in, c1, 3, stride=2, padding="same", **kw), ReLU(),
        Conv2D(c1, c2, 3, stride=2, padding="same", **kw), ReLU(),
        Flatten(), Dense(c2 * h * w, hidden, **kw), ReLU())
    z_mean = Dense(hidden, latent_dim, **kw)
    z_log_sigma = Dense(hidden, latent_dim, **kw)
    if decoder == "transpose":
        up = [ConvTranspose2D(c2, c1, 4, stride=2, padding=1, **kw), ReLU(),
              ConvTranspose2D(c1, c_in, 4, stride=2, padding=1, **kw)]
    else:
        up = [Upsample2D(2), Conv2D(c2, c1, 3, padding="same", **kw), ReLU(),
              Upsample2D(2), Conv2D(c1, c_in, 3, padding="same", **kw)]
    dec = Sequential(Dense(latent_dim, c2 * h * w, **kw), ReLU(), Reshape((c2, h, w)), *up)
    return VAE(encoder, z_mean, z_log_sigma, dec, likelihood, beta, sigma=sigma,
               learn_sigma=learn_sigma, input_shape=input_shape, rng=rng)
