"""Autoencoders: an encoder squeezes an image into a code, a decoder rebuilds the image from it.

::

    x --encoder--> z --decoder--> logits --sigmoid--> x_hat        (train: BCE(x_hat, x))

``AutoEncoder(encoder, decoder)`` is a ``Container``: its ``params`` / ``grads`` are the
encoder's and the decoder's under ``"encoder.0.W"``, ``"decoder.3.b"``, ... so ``fit`` and the
optimizers train it like any layer. ``forward`` / ``backward`` run the two halves in turn
(backward is just the chain rule twice: ``dz = decoder.backward(dlogits)``,
``dx = encoder.backward(dz)``).

Why every decoder here ends in *logits*, not in a sigmoid
----------------------------------------------------------
The lesson ends its decoder in ``sigmoid`` and trains with binary cross-entropy (BCE) on the
probabilities ``p = sigmoid(z)``::

    l(p, t) = -(t log p + (1 - t) log(1 - p))

Put ``p = 1 / (1 + e^-z)`` in: ``log p = -log(1 + e^-z)`` and ``log(1 - p) = -z - log(1 + e^-z)``,
so::

    l = t log(1 + e^-z) + (1 - t) (z + log(1 + e^-z)) = (1 - t) z + log(1 + e^-z)
      = max(z, 0) - z t + log(1 + e^-|z|)                        (BCE on logits)

The same number, so "sigmoid then BCE" *is* "BCE on logits". But the two are not equally good
to compute:

* value: ``log p`` of a saturated sigmoid is ``log 0 = -inf`` in floating point (float32's
  sigmoid is exactly 1.0 from z = 17 on), which is why Keras clips ``p`` to ``[1e-7, 1 - 1e-7]``;
  the logit form never takes the log of anything smaller than 1 and needs no clipping;
* gradient: through the sigmoid, ``dl/dz = dl/dp * dp/dz = (p - t) / (p (1 - p)) * p (1 - p)``.
  In exact arithmetic the ``p (1 - p)`` cancels and leaves ``p - t``; in floating point with
  clipping, a saturated-but-wrong output has ``dp/dz ~ 0`` and learns nothing. The logit form
  computes ``sigmoid(z) - t`` directly: a confident wrong pixel gets a gradient of about 1.

So minae's decoders output logits, training uses ``binary_cross_entropy_with_logits``, and
``reconstruct`` applies the sigmoid only when you want pictures.

The lesson's architectures (builders below)
-------------------------------------------
* ``conv_autoencoder`` (L1): 28x28x1 -> 4x4x8 code -> 28x28x1; 1,904 + 2,481 parameters.
* ``super_resolution_autoencoder`` (L4, L10): the same through its 4x4x8 code, from a 14x14
  (factor 2) or 7x7 (factor 4) input to the 28x28 original.
* ``super_resolution_network``: a better upscaler with no bottleneck (minae's design).
* ``dense_autoencoder`` / ``deep_autoencoder``: 784 -> latent -> 784, and 784-128-64-latent.
* ``conv_dense_autoencoder`` (L7, task 1): the L1 convolutions with a dense 2-D code between.

Every builder takes ``rng=`` (a ``np.random.Generator`` for the initial weights; ``None`` means a
fresh unseeded one), ``dtype=`` (float32 for training, float64 for gradient checks) and
``init=`` (``"glorot_uniform"``, Keras's default; ``"he_normal"``; ``"pytorch"``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minae.initializers import float_dtype
from minae.layers.activations import ReLU, sigmoid
from minae.layers.base import Container, Layer, print_or_return
from minae.layers.checks import as_float_array, check_finite, check_positive_int, check_rng
from minae.layers.conv import Conv2D
from minae.layers.conv_transpose import ConvTranspose2D
from minae.layers.dense import Dense
from minae.layers.pooling import MaxPool2D
from minae.layers.sequential import Sequential
from minae.layers.shape import Flatten, Reshape
from minae.layers.upsample import Upsample2D

POOLINGS = ("keras", "pytorch")
SR_FACTORS = (2, 4)
DEFAULT_BATCH = 500  # images per chunk in the inference helpers (keeps memory small)


class AutoEncoder(Container):
    """``logits = decoder(encoder(x))``: an encoder and a decoder trained as one model.

    Parameters
    ----------
    encoder, decoder : Layer
        Usually ``Sequential``. The decoder must end in logits (no sigmoid); see the module
        docstring for why. A ``Sequential`` part gets ``check_input = False``: the model
        checks its input once, at its own boundary.
    input_shape : tuple of int, optional
        One example's shape, e.g. ``(1, 28, 28)`` (every builder passes it). With it,
        ``forward`` and ``encode`` refuse inputs of another shape (a 32x32 image would
        otherwise come out as something else, or fail deep inside a layer), and ``decode``
        refuses codes of another shape than the encoder's. ``None`` skips those checks.

    Shapes
    ------
    For the lesson's conv autoencoder: ``x (N, 1, 28, 28) -> z (N, 8, 4, 4) ->
    logits (N, 1, 28, 28)``. For super-resolution the input is the low-resolution image and
    the output the full-size one.

    Methods
    -------
    forward(x) / backward(dlogits)
        Training: keeps the caches backward needs (``self.code`` is the last code).
    encode(x), decode(z), reconstruct(x), generate(z)
        Inference helpers: eval mode, in chunks of ``batch_size`` images, returning new arrays
        (of ``N = 0`` images too: ``encode`` of ``(0, 1, 28, 28)`` is ``(0, 8, 4, 4)``).
        ``decode`` gives logits; ``reconstruct`` and ``generate`` give images in [0, 1]. They
        overwrite the layers' caches, so do not call them between ``forward`` and ``backward``.
    """

    def __init__(self, encoder: Layer, decoder: Layer, *,
                 input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        for name, part in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(part, Layer):
                raise TypeError(f"AutoEncoder {name} must be a Layer; got {type(part).__name__}")
            if isinstance(part, Sequential):
                part.check_input = False  # checked once, here, at the model's boundary
        self.encoder = encoder
        self.decoder = decoder
        self.input_shape = None if input_shape is None else _shape(input_shape, "input_shape")
        self.code = None

    def children(self) -> list[tuple[str, Layer]]:
        return [("encoder", self.encoder), ("decoder", self.decoder)]

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the parameters (and so of the computation)."""
        for p in self.params.values():
            return p.dtype
        return np.dtype(np.float32)

    @property
    def code_shape(self) -> tuple[int, ...] | None:
        """One example's code shape (``(8, 4, 4)``), found by encoding one blank input; None
        without ``input_shape``. Like ``encode``, it overwrites the layers' caches."""
        if self.input_shape is None:
            return None
        return self._one_shape(self.encoder, self.input_shape)

    # -- the boundary ---------------------------------------------------------------------
    def _check(self, x, name: str, expected: tuple[int, ...] | None, what: str) -> np.ndarray:
        """``x`` as a float array of the model's dtype, finite, of shape ``(N, *expected)``."""
        x = as_float_array(x, name, self.dtype)
        check_finite(x, name)
        if expected is not None and x.shape[1:] != expected:
            want = "(N, " + ", ".join(str(s) for s in expected) + ")"
            raise ValueError(f"{name} must be {what} {want}, the shape this model was built "
                             f"for; got {x.shape}. Resize the data, or build a model for it")
        return x

    # -- training -------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x -> logits``; the model boundary, so it checks dtype, NaN/inf and shape here."""
        x = self._check(x, "AutoEncoder input", self.input_shape, "images")
        self.code = self.encoder.forward(x)
        return self.decoder.forward(self.code)

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """Chain rule through both halves: ``dz = decoder.backward(dlogits)``, then the encoder."""
        dz = self.decoder.backward(dlogits)
        return self.encoder.backward(dz)

    # -- inference ------------------------------------------------------------------------
    def _eval_forward(self, layer: Layer, x: np.ndarray, batch_size: int) -> np.ndarray:
        """``layer.forward`` in eval mode over chunks of ``x`` (checked), mode restored.

        Zero images give zero outputs of the right shape (found from one blank image)."""
        batch_size = check_positive_int(batch_size, "batch_size")
        if len(x) == 0:
            return np.zeros((0,) + self._one_shape(layer, x.shape[1:]), self.dtype)
        was_training = self.training
        self.eval()
        try:
            outs = [layer.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        finally:
            if was_training:
                self.train()
        return np.concatenate(outs)

    def _one_shape(self, layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape of ``layer`` for one example of ``shape`` (one blank forward)."""
        return self._eval_forward(layer, np.zeros((1,) + tuple(shape), self.dtype), 1).shape[1:]

    def encode(self, x: np.ndarray, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
        """The codes ``z = encoder(x)``, e.g. ``(N, 1, 28, 28) -> (N, 8, 4, 4)``."""
        x = self._check(x, "AutoEncoder.encode input", self.input_shape, "images")
        return self._eval_forward(self.encoder, x, batch_size)

    def decode(self, z: np.ndarray, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
        """The decoder's *logits* for codes ``z``; apply ``sigmoid`` (or use ``generate``)."""
        z = self._check(z, "AutoEncoder.decode input", self.code_shape, "codes")
        return self._eval_forward(self.decoder, z, batch_size)

    def generate(self, z: np.ndarray, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
        """Images in [0, 1] decoded from codes: ``sigmoid(decode(z))``."""
        return sigmoid(self.decode(z, batch_size))

    def reconstruct(self, x: np.ndarray, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
        """Images in [0, 1]: ``sigmoid(decoder(encoder(x)))``."""
        return self.generate(self.encode(x, batch_size), batch_size)

    def summary(self, input_shape: tuple[int, ...] | None = None, *,
                print_fn: Callable[[str], object] | None = print) -> str | None:
        """The encoder's and the decoder's layer tables and the code shape.

        ``input_shape`` is one example's shape without the batch axis, e.g. ``(1, 28, 28)``
        (default: the model's ``input_shape``). As ``Sequential.summary``: ``print_fn=print``
        prints and returns None (shown once in a notebook cell); ``print_fn=None`` returns the
        text.
        """
        shape = self.input_shape if input_shape is None else _shape(input_shape, "input_shape")
        if shape is None:
            raise ValueError("AutoEncoder.summary needs input_shape (one example's shape, "
                             "e.g. (1, 28, 28)): this model was built without one")
        lines = []
        shapes = {}
        for name, part in self.children():
            if isinstance(part, Sequential):
                lines += [f"{name}:", part.summary(shape, print_fn=None)]
            shape = self._one_shape(part, shape)
            shapes[name] = shape
        lines.append(f"code shape {shapes['encoder']}; parameters: encoder "
                     f"{self.encoder.num_parameters():,} + decoder "
                     f"{self.decoder.num_parameters():,} = {self.num_parameters():,}")
        return print_or_return(lines, print_fn)

    def __repr__(self) -> str:
        return f"AutoEncoder(encoder={self.encoder!r}, decoder={self.decoder!r})"


def _shape(shape, name: str) -> tuple[int, ...]:
    """``shape`` as a tuple of positive ints (one example's shape); else TypeError or ValueError."""
    if isinstance(shape, (int, np.integer)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{name} must be a tuple of positive integers such as (1, 28, 28); "
                        f"got {shape!r}")
    return tuple(check_positive_int(s, f"{name}[{i}]") for i, s in enumerate(shape))


# ---------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------
def _kw(rng, dtype, init) -> dict:
    return {"rng": rng, "dtype": dtype, "init": init}


def _start(builder: str, rng, dtype) -> tuple[np.random.Generator, np.dtype]:
    """Every builder's first line: ``rng`` a Generator (or None: a fresh one), ``dtype`` a float."""
    return check_rng(rng, builder), float_dtype(dtype, f"{builder} dtype")


def _check_pooling(pooling: str) -> None:
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}; got {pooling!r}")


def _odd_pool(pooling: str) -> MaxPool2D:
    """The pool that takes 7x7 to 4x4: Keras's ``"same"`` (pad bottom/right) or PyTorch's
    ``padding=1`` (pad all sides with -inf)."""
    return MaxPool2D(2, padding="same" if pooling == "keras" else 1)


def lesson_decoder(*, rng=None, dtype=np.float32, init="glorot_uniform") -> Sequential:
    """The lesson's decoder: 4x4x8 code -> 28x28x1 logits (2,481 parameters).

    ::

        (8, 4, 4)   conv3x3(8) same, ReLU, upsample x2   -> (8, 8, 8)
                    conv3x3(8) same, ReLU, upsample x2   -> (8, 16, 16)
                    conv3x3(16) valid (16 -> 14), ReLU, upsample x2 -> (16, 28, 28)
                    conv3x3(1) same                      -> (1, 28, 28) logits

    The one unpadded convolution is how 4 -> 8 -> 16 gets to 28 and not 32.
    """
    rng, dtype = _start("lesson_decoder", rng, dtype)
    kw = _kw(rng, dtype, init)
    return Sequential(
        Conv2D(8, 8, 3, padding="same", **kw), ReLU(), Upsample2D(2),
        Conv2D(8, 8, 3, padding="same", **kw), ReLU(), Upsample2D(2),
        Conv2D(8, 16, 3, padding="valid", **kw), ReLU(), Upsample2D(2),
        Conv2D(16, 1, 3, padding="same", **kw),
    )


def lesson_encoder(pools: int = 3, pooling: str = "keras", *, rng=None, dtype=np.float32,
                   init="glorot_uniform") -> Sequential:
    """The lesson's encoder: conv3x3(16), conv3x3(8), conv3x3(8), each ReLU (1,904 parameters).

    ``pools`` max-pools follow the *last* ``pools`` convolutions; the last one takes an odd
    7x7 map to 4x4 (``pooling="keras"``: padding "same"; ``"pytorch"``: ``padding=1``). With
    ``pools=3`` it is L1's ``28 -> 14 -> 7 -> 4``; super-resolution inputs that are already
    smaller (14x14, 7x7) use 2 or 1.
    """
    _check_pooling(pooling)
    if isinstance(pools, bool) or pools not in (1, 2, 3):
        raise ValueError(f"lesson_encoder pools must be 1, 2 or 3; got {pools!r}")
    rng, dtype = _start("lesson_encoder", rng, dtype)
    kw = _kw(rng, dtype, init)
    convs = [(1, 16), (16, 8), (8, 8)]
    layers: list[Layer] = []
    for i, (cin, cout) in enumerate(convs):
        layers += [Conv2D(cin, cout, 3, padding="same", **kw), ReLU()]
        if i >= len(convs) - pools:  # this conv is followed by a pool
            last = i == len(convs) - 1
            if last:
                layers.append(_odd_pool(pooling))
            else:
                layers.append(MaxPool2D(2, padding="same" if pooling == "keras" else 0))
    return Sequential(*layers)


def conv_autoencoder(pooling: str = "keras", *, rng=None, dtype=np.float32,
                     init="glorot_uniform") -> AutoEncoder:
    """The lesson's convolutional autoencoder (L1): 28x28x1 -> 4x4x8 -> 28x28x1 logits.

    ::

        encoder (1,904 params)                       decoder (2,481 params)
        (1, 28, 28) conv3x3(16) ReLU, pool -> 14   (8, 4, 4) conv3x3(8) ReLU, up -> 8
                    conv3x3(8)  ReLU, pool -> 7              conv3x3(8) ReLU, up -> 16
                    conv3x3(8)  ReLU, pool -> 4              conv3x3(16) valid ReLU -> 14, up -> 28
        code (8, 4, 4): 128 numbers for 784 pixels           conv3x3(1) -> (1, 28, 28) logits

    Parameters
    ----------
    pooling : "keras" | "pytorch"
        How the last pool takes 7 -> 4: Keras's ``padding="same"`` (one extra row/column of
        padding at the bottom/right) or the PyTorch notebook's ``padding=1`` (both sides).
        The two see different windows, so the codes differ; the parameter count does not.
    rng, dtype, init
        See the module docstring.
    """
    rng, dtype = _start("conv_autoencoder", rng, dtype)
    enc = lesson_encoder(3, pooling, rng=rng, dtype=dtype, init=init)
    dec = lesson_decoder(rng=rng, dtype=dtype, init=init)
    return AutoEncoder(enc, dec, input_shape=(1, 28, 28))


def _check_factor(factor) -> int:
    if isinstance(factor, bool) or factor not in SR_FACTORS:
        raise ValueError(f"super-resolution factor must be one of {SR_FACTORS} "
                         f"(28 / factor must be 14 or 7); got {factor!r}")
    return int(factor)


def super_resolution_autoencoder(factor: int = 2, pooling: str = "keras", *, rng=None,
                                 dtype=np.float32, init="glorot_uniform") -> AutoEncoder:
    """The lesson's super-resolution autoencoder (L4, L10): (28/f)x(28/f) -> 4x4x8 -> 28x28.

    The input is already ``factor`` times smaller, so the encoder leaves out its first
    ``log2(factor)`` pools (``14 -> 7 -> 4`` for factor 2, ``7 -> 4`` for factor 4); the
    decoder is L1's. Same 1,904 + 2,481 parameters as ``conv_autoencoder``.

    Everything the output has must pass through the 128-number code, so this network cannot
    keep the detail the low-resolution input does have: it lands near bicubic interpolation.
    ``super_resolution_network`` is the fix.
    """
    factor = _check_factor(factor)
    rng, dtype = _start("super_resolution_autoencoder", rng, dtype)
    pools = {2: 2, 4: 1}[factor]
    enc = lesson_encoder(pools, pooling, rng=rng, dtype=dtype, init=init)
    dec = lesson_decoder(rng=rng, dtype=dtype, init=init)
    return AutoEncoder(enc, dec, input_shape=(1, 28 // factor, 28 // factor))


def super_resolution_network(factor: int = 2, width: int = 32, *, rng=None, dtype=np.float32,
                             init="glorot_uniform") -> AutoEncoder:
    """A better upscaler: no bottleneck, features at low resolution, learned upsampling.

    ::

        encoder: (1, 28/f, 28/f) conv3x3(w) ReLU, conv3x3(w) ReLU, conv3x3(w) ReLU
        decoder: log2(f) x [ConvTranspose 4x4 stride 2 (w -> w/2 ... ) ReLU]  (doubles H, W)
                 conv3x3(1) -> (1, 28, 28) logits

    Why it does better than the lesson's: every layer keeps the input's full spatial grid (no
    pooling), so a pixel of the output is computed from the low-resolution pixels around it,
    not from a 128-number summary of the whole image. The 4x4 stride-2 transposed convolution
    is a learned interpolation (kernel divisible by stride, so no checkerboard from uneven
    overlap), and the heavy 3x3 convolutions run at low resolution where they are cheap.
    The "encoder"/"decoder" split is kept so the model works with the AutoEncoder helpers.

    Parameters
    ----------
    factor : 2 | 4
    width : int
        Channels of the low-resolution convolutions (32: 27,169 parameters at factor 2).
    """
    factor = _check_factor(factor)
    rng, dtype = _start("super_resolution_network", rng, dtype)
    kw = _kw(rng, dtype, init)
    w = check_positive_int(width, "super_resolution_network width")
    if w < 2:
        raise ValueError(f"super_resolution_network width must be >= 2; got {width!r}")
    enc = Sequential(
        Conv2D(1, w, 3, padding="same", **kw), ReLU(),
        Conv2D(w, w, 3, padding="same", **kw), ReLU(),
        Conv2D(w, w, 3, padding="same", **kw), ReLU(),
    )
    layers: list[Layer] = []
    c = w
    for _ in range({2: 1, 4: 2}[factor]):
        layers += [ConvTranspose2D(c, max(c // 2, 8), 4, stride=2, padding=1, **kw), ReLU()]
        c = max(c // 2, 8)
    layers.append(Conv2D(c, 1, 3, padding="same", **kw))
    return AutoEncoder(enc, Sequential(*layers), input_shape=(1, 28 // factor, 28 // factor))


def dense_autoencoder(latent: int = 32, hidden: tuple[int, ...] = (), *,
                      code_activation: str | None = None, input_shape=(1, 28, 28), rng=None,
                      dtype=np.float32, init="glorot_uniform") -> AutoEncoder:
    """A fully connected autoencoder: 784 -> hidden... -> latent -> ...hidden -> 784 logits.

    ::

        encoder: Flatten, [Dense(h) ReLU for h in hidden], Dense(latent) [code_activation]
        decoder: [Dense(h) ReLU for h in reversed(hidden)], Dense(784), Reshape(1, 28, 28)

    Parameters
    ----------
    latent : int
        Code size.
    hidden : tuple of int
        Hidden layer widths of the encoder (the decoder mirrors them). ``()`` is the classic
        one-layer autoencoder (784 * latent * 2 + latent + 784 parameters).
    code_activation : None | "relu"
        ``None`` (default) leaves the code linear, so a 2-D code can use the whole plane and the
        model can be compared with PCA; ``"relu"`` is the Keras blog's shallow autoencoder.
    input_shape : tuple
        One example's shape; the output is reshaped back to it.
    """
    if code_activation not in (None, "relu"):
        raise ValueError(f"code_activation must be None or 'relu'; got {code_activation!r}")
    rng, dtype = _start("dense_autoencoder", rng, dtype)
    kw = _kw(rng, dtype, init)
    latent = check_positive_int(latent, "dense_autoencoder latent")
    if isinstance(hidden, (int, np.integer)):
        raise TypeError(f"dense_autoencoder hidden must be a tuple of widths, e.g. (128, 64) "
                        f"or (); got {hidden!r}")
    widths = [check_positive_int(h, f"dense_autoencoder hidden[{i}]") for i, h in enumerate(hidden)]
    input_shape = _shape(input_shape, "dense_autoencoder input_shape")
    d = int(np.prod(input_shape))
    sizes = [d, *widths, latent]
    enc: list[Layer] = [Flatten()]
    for i in range(len(sizes) - 1):
        enc.append(Dense(sizes[i], sizes[i + 1], **kw))
        if i < len(sizes) - 2 or code_activation == "relu":
            enc.append(ReLU())
    dec: list[Layer] = []
    back = sizes[::-1]
    for i in range(len(back) - 1):
        dec.append(Dense(back[i], back[i + 1], **kw))
        if i < len(back) - 2:
            dec.append(ReLU())
    dec.append(Reshape(input_shape))
    return AutoEncoder(Sequential(*enc), Sequential(*dec), input_shape=input_shape)


def deep_autoencoder(latent: int = 32, *, code_activation: str | None = None, rng=None,
                     dtype=np.float32, init="glorot_uniform") -> AutoEncoder:
    """The deep fully connected autoencoder 784-128-64-latent-64-128-784 (latent 32 by default)."""
    return dense_autoencoder(latent, (128, 64), code_activation=code_activation, rng=rng,
                             dtype=dtype, init=init)


def conv_dense_autoencoder(latent: int = 2, pooling: str = "keras", *, rng=None,
                           dtype=np.float32, init="glorot_uniform") -> AutoEncoder:
    """The lesson's task 1 (L7): L1's convolutions with a dense ``latent``-D code between.

    ::

        encoder: L1 encoder -> (8, 4, 4) -> Flatten -> Dense(128, latent)        (linear code)
        decoder: Dense(latent, 128) ReLU -> Reshape(8, 4, 4) -> L1 decoder -> logits

    With ``latent=2`` each image becomes a point in the plane, to scatter by label.
    """
    rng, dtype = _start("conv_dense_autoencoder", rng, dtype)
    kw = _kw(rng, dtype, init)
    latent = check_positive_int(latent, "conv_dense_autoencoder latent")
    enc = lesson_encoder(3, pooling, rng=rng, dtype=dtype, init=init)
    enc.layers += [Flatten(), Dense(128, latent, **kw)]
    dec = lesson_decoder(rng=rng, dtype=dtype, init=init)
    dec.layers[:0] = [Dense(latent, 128, **kw), ReLU(), Reshape((8, 4, 4))]
    return AutoEncoder(enc, dec, input_shape=(1, 28, 28))


BUILDERS = {
    "conv": conv_autoencoder,
    "super_resolution": super_resolution_autoencoder,
    "super_resolution_network": super_resolution_network,
    "dense": dense_autoencoder,
    "deep": deep_autoencoder,
    "conv_dense": conv_dense_autoencoder,
}
