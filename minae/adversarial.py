"""The adversarial autoencoder (Makhzani et al., 2015): a discriminator pushes the codes
toward a prior.

::

    x --encoder--> z --decoder--> logits            reconstruction: BCE(logits, x)
                   z --discriminator--> logit d      "is this code a prior sample or an encoder's?"
    z' ~ prior  --discriminator--> logit d'

A VAE pulls its codes toward the prior with a KL term it can write down. An AAE cannot write
the distance between "the codes of the data" and "the prior" at all, so it *learns* one: a
small network, the discriminator ``D``, is trained to tell prior samples from codes, and the
encoder is trained to fool it. When nothing can tell them apart, the codes are distributed as
the prior, and the decoder turns prior samples into images.

The three phases of one mini-batch
----------------------------------
Each phase has its *own* optimizer over its *own* parameters, and each runs its own forward
and backward pass just before its step, so the gradients it steps on are the ones it has just
written (minae's backward *replaces* gradients; nothing needs zeroing and nothing can leak):

1. **reconstruction** (encoder + decoder):  ``L_rec = BCE(decoder(encoder(x)), x)``.
2. **discriminator** (discriminator only): prior samples ``z'`` are "real" (label 1), the
   codes ``z = encoder(x)`` are "fake" (label 0)::

       L_D = mean(-log sigmoid(d')) + mean(-log(1 - sigmoid(d)))
           = mean(softplus(-d'))    + mean(softplus(d))

   The codes are *inputs* here: no gradient goes back into the encoder. Real and fake go
   through ``D`` as **one** batch: ``backward`` writes (not adds) gradients, so two
   forward/backward pairs would keep only the second's.
3. **generator** (encoder only): the encoder tries to make ``D`` call its codes real::

       L_G = mean(-log sigmoid(d)) = mean(softplus(-d))

   (the "non-saturating" loss of Goodfellow et al.; minimising ``-L_D`` instead gives the
   encoder almost no gradient while ``D`` wins easily). ``D.backward`` runs to carry the
   gradient to the codes, which also writes ``D``'s grads; ``D``'s optimizer is not stepped
   here, and the next discriminator phase overwrites them before it steps.

Why log-sigmoid and softplus
----------------------------
The discriminator outputs a *logit* ``d`` (no sigmoid layer). ``-log sigmoid(d) =
log(1 + exp(-d)) = softplus(-d)`` and ``-log(1 - sigmoid(d)) = softplus(d)``, and
``softplus(x) = max(x, 0) + log1p(exp(-|x|))`` never overflows; ``log(sigmoid(d))`` computed
literally is ``log(0) = -inf`` once ``sigmoid`` rounds to 0 (``d < -745`` in float64, ``-104``
in float32). The derivatives are just as simple: ``d softplus(x)/dx = sigmoid(x)``, so

    dL_D/dd' = (sigmoid(d') - 1) / n,   dL_D/dd = sigmoid(d) / n,   dL_G/dd = (sigmoid(d) - 1) / n.

What the numbers mean
---------------------
A discriminator that has learned nothing outputs ``sigmoid = 1/2`` for everything: then
``L_D = 2 ln 2 = 1.386``, ``L_G = ln 2 = 0.693`` and its accuracy is 0.5. These are exactly the
losses the lesson's PyTorch notebook prints from start to end: its discriminator never trains
(it steps the wrong optimizer, never zeroes PyTorch's accumulating gradients, and applies one
layer twice so ``D`` outputs 500 numbers, not one).

A working AAE *also* ends near those numbers: the game's balance point is a discriminator
that cannot tell codes from prior samples. So the losses alone do not show that anything
trained. What does: on the way there they move (in the first epochs ``D``'s accuracy leaves
0.5 and the losses swing while the codes are far from the prior), the distance between the
codes and the prior (``mmd2``, ``moment_distance``) falls, and the codes, plotted over the
prior's density, cover it. A loss that reads 1.386 to four digits on every step means
``D``'s output does not depend on its input at all.

The priors
----------
* ``NormalPrior(dim)``: ``N(0, I)``.
* ``GaussianMixturePrior``: 10 Gaussians on a circle, elongated along the radius (the paper's
  "flower"). With ``n_classes`` set, the model is the paper's label-conditioned version: the
  discriminator also sees the one-hot label, and the "real" sample for an image of class ``k``
  comes from component ``k``, so each digit gets its own petal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from minae.autoencoders import AutoEncoder, dense_autoencoder
from minae.layers.activations import LeakyReLU, sigmoid, softplus
from minae.layers.base import Container, Layer
from minae.layers.checks import as_float_array, check_finite
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.losses import binary_cross_entropy_with_logits
from minae.optim import Adam

LN2 = float(np.log(2.0))
CHANCE_D_LOSS = 2.0 * LN2  # 1.386: L_D of a discriminator stuck at sigmoid = 1/2
CHANCE_G_LOSS = LN2  # 0.693: L_G against that discriminator


# ---------------------------------------------------------------------------------------
# The adversarial losses, on logits
# ---------------------------------------------------------------------------------------
def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log sigmoid(z) = -softplus(-z)``, finite for every finite ``z``."""
    return -softplus(-np.asarray(z))


def _logits(z, name: str) -> np.ndarray:
    z = as_float_array(z, name)
    if z.ndim != 2 or z.shape[1] != 1 or z.shape[0] == 0:
        raise ValueError(f"{name} must be one logit per example, shape (N, 1) with N >= 1; "
                         f"got {z.shape}. (The lesson's discriminator returned (N, 500).)")
    return z


def discriminator_loss(real_logits: np.ndarray, fake_logits: np.ndarray):
    """``L_D = mean(softplus(-d_real)) + mean(softplus(d_fake))``, the BCE of a discriminator.

    Parameters
    ----------
    real_logits : (n_real, 1)
        ``D``'s logits on prior samples (target 1).
    fake_logits : (n_fake, 1)
        ``D``'s logits on the encoder's codes (target 0).

    Returns
    -------
    (value, grad_real, grad_fake)
        ``grad_real = (sigmoid(d_real) - 1) / n_real``, ``grad_fake = sigmoid(d_fake) / n_fake``.
        ``value = 2 ln 2`` when every logit is 0.
    """
    r = _logits(real_logits, "discriminator_loss real_logits")
    f = _logits(fake_logits, "discriminator_loss fake_logits")
    value = float(np.mean(softplus(-r)) + np.mean(softplus(f)))
    return value, (sigmoid(r) - 1.0) / len(r), sigmoid(f) / len(f)


def generator_loss(fake_logits: np.ndarray):
    """``L_G = mean(softplus(-d_fake)) = mean(-log sigmoid(d_fake))`` (non-saturating).

    ``fake_logits: (n, 1)``. Returns ``(value, grad)`` with ``grad = (sigmoid(d) - 1) / n``;
    ``value = ln 2`` when every logit is 0.
    """
    f = _logits(fake_logits, "generator_loss fake_logits")
    return float(np.mean(softplus(-f))), (sigmoid(f) - 1.0) / len(f)


def discriminator_accuracy(real_logits: np.ndarray, fake_logits: np.ndarray) -> float:
    """Fraction of examples ``D`` classifies right (``sigmoid >= 1/2`` means "prior sample")."""
    r, f = np.asarray(real_logits), np.asarray(fake_logits)
    return float((np.sum(r >= 0) + np.sum(f < 0)) / (r.size + f.size))


# ---------------------------------------------------------------------------------------
# Priors
# ---------------------------------------------------------------------------------------
class NormalPrior:
    """The standard normal ``N(0, I)`` in ``dim`` dimensions.

    ``sample(n, rng)`` -> ``(n, dim)``; ``log_density(z)`` -> ``(M,)``; ``mean``, ``cov``.
    """

    n_components = 1

    def __init__(self, dim: int = 2) -> None:
        self.dim = int(dim)
        if self.dim < 1:
            raise ValueError(f"NormalPrior dim must be >= 1; got {dim!r}")
        self.mean = np.zeros(self.dim)
        self.cov = np.eye(self.dim)

    def sample(self, n: int, rng: np.random.Generator, labels=None) -> np.ndarray:
        """``n`` draws, ``(n, dim)`` float64. ``labels`` is accepted and ignored."""
        return rng.standard_normal((int(n), self.dim))

    def log_density(self, z: np.ndarray) -> np.ndarray:
        """``log N(z; 0, I)`` for ``z: (M, dim)``, ``(M,)``."""
        z = np.asarray(z, dtype=np.float64)
        return -0.5 * np.sum(z * z, axis=1) - 0.5 * self.dim * np.log(2.0 * np.pi)

    def __repr__(self) -> str:
        return f"NormalPrior(dim={self.dim})"


class GaussianMixturePrior:
    """``n_components`` 2-D Gaussians, equal weights, their means evenly spaced on a circle.

    Component ``k`` is centred at ``radius * (cos a_k, sin a_k)``, ``a_k = 2 pi k / K``, with
    standard deviation ``radial_std`` along the radius and ``tangential_std`` across it (the
    petals of the paper's flower). ``sample(n, rng, labels)`` draws from component
    ``labels[i]`` for example ``i`` when labels are given (the label-conditioned AAE), else
    from a uniformly chosen component.

    Attributes: ``means (K, 2)``, ``covs (K, 2, 2)``, and the mixture's ``mean`` and ``cov``.
    """

    dim = 2

    def __init__(self, n_components: int = 10, radius: float = 4.0, radial_std: float = 1.0,
                 tangential_std: float = 0.3) -> None:
        self.n_components = int(n_components)
        if self.n_components < 1:
            raise ValueError(f"n_components must be >= 1; got {n_components!r}")
        if not (radial_std > 0 and tangential_std > 0 and radius >= 0):
            raise ValueError("GaussianMixturePrior needs radius >= 0 and positive stds; got "
                             f"radius={radius}, radial_std={radial_std}, "
                             f"tangential_std={tangential_std}")
        self.radius, self.radial_std, self.tangential_std = radius, radial_std, tangential_std
        a = 2.0 * np.pi * np.arange(self.n_components) / self.n_components
        u = np.stack([np.cos(a), np.sin(a)], axis=1)  # radial unit vectors (K, 2)
        v = np.stack([-np.sin(a), np.cos(a)], axis=1)  # tangential unit vectors
        self.means = radius * u
        # per component: C = sr^2 u u^T + st^2 v v^T; a square root is [sr u, st v]
        self._roots = np.stack([radial_std * u, tangential_std * v], axis=2)  # (K, 2, 2)
        self.covs = self._roots @ self._roots.transpose(0, 2, 1)
        self.mean = self.means.mean(axis=0)
        centred = self.means - self.mean
        self.cov = self.covs.mean(axis=0) + centred.T @ centred / self.n_components

    def sample(self, n: int, rng: np.random.Generator, labels=None) -> np.ndarray:
        """``(n, 2)`` draws; from component ``labels[i]`` if labels are given."""
        n = int(n)
        if labels is None:
            k = rng.integers(0, self.n_components, size=n)
        else:
            k = np.asarray(labels).astype(np.int64).ravel()
            if len(k) != n or k.min(initial=0) < 0 or k.max(initial=0) >= self.n_components:
                raise ValueError(f"GaussianMixturePrior.sample: labels must be {n} ints in "
                                 f"[0, {self.n_components}); got {np.asarray(labels)!r:.80}")
        e = rng.standard_normal((n, 2))
        return self.means[k] + np.einsum("nij,nj->ni", self._roots[k], e)

    def log_density(self, z: np.ndarray) -> np.ndarray:
        """``log p(z)`` of the mixture for ``z: (M, 2)`` (log-sum-exp over components)."""
        z = np.asarray(z, dtype=np.float64)
        inv = np.linalg.inv(self.covs)  # (K, 2, 2)
        d = z[:, None, :] - self.means[None]  # (M, K, 2)
        quad = np.einsum("mki,kij,mkj->mk", d, inv, d)
        logdet = np.log(np.linalg.det(self.covs))
        comp = -0.5 * quad - 0.5 * logdet - np.log(2.0 * np.pi) - np.log(self.n_components)
        top = comp.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(comp - top).sum(axis=1, keepdims=True)))[:, 0]

    def __repr__(self) -> str:
        return (f"GaussianMixturePrior(n_components={self.n_components}, radius={self.radius}, "
                f"radial_std={self.radial_std}, tangential_std={self.tangential_std})")


PRIORS = ("normal", "mixture")


def make_prior(name: str, dim: int = 2, n_components: int = 10):
    """``"normal"`` -> ``NormalPrior(dim)``; ``"mixture"`` -> ``GaussianMixturePrior`` (2-D)."""
    if name == "normal":
        return NormalPrior(dim)
    if name == "mixture":
        if dim != 2:
            raise ValueError(f"the mixture prior lives on a circle, so dim must be 2; got {dim}")
        return GaussianMixturePrior(n_components)
    raise ValueError(f"prior must be one of {PRIORS}; got {name!r}")


# ---------------------------------------------------------------------------------------
# How far the codes are from the prior
# ---------------------------------------------------------------------------------------
def moment_distance(codes: np.ndarray, prior) -> float:
    """``||mean(codes) - mean_p|| + ||cov(codes) - cov_p||_F``: 0 when the first two moments
    match the prior's (a necessary, not sufficient, sign of a match)."""
    z = np.asarray(codes, dtype=np.float64)
    mu = z.mean(axis=0)
    cov = np.cov(z, rowvar=False).reshape(z.shape[1], z.shape[1])
    return float(np.linalg.norm(mu - prior.mean) + np.linalg.norm(cov - prior.cov))


def mmd2(a: np.ndarray, b: np.ndarray, scales: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0), *,
         max_points: int | None = 2000, rng: np.random.Generator | None = None) -> float:
    """Squared maximum mean discrepancy between samples ``a (n, d)`` and ``b (m, d)``.

    With the kernel ``k(x, y) = sum_s exp(-|x - y|^2 / (2 s^2))`` over ``scales``::

        MMD^2 = mean k(a, a') + mean k(b, b') - 2 mean k(a, b)

    (the biased "V-statistic": never negative). Zero in expectation only when the two
    distributions are equal, unlike ``moment_distance``. The kernel matrices are ``n x m``, so
    each sample is first cut to a random ``max_points`` of its rows (from ``rng``, seed 0 by
    default; ``None``: use all).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if max_points is not None:
        rng = np.random.default_rng(0) if rng is None else rng
        if len(a) > max_points:
            a = a[rng.choice(len(a), max_points, replace=False)]
        if len(b) > max_points:
            b = b[rng.choice(len(b), max_points, replace=False)]

    def k(x, y):
        d2 = np.sum(x * x, 1)[:, None] + np.sum(y * y, 1)[None] - 2.0 * x @ y.T
        d2 = np.maximum(d2, 0.0)
        return sum(np.exp(-d2 / (2.0 * s * s)) for s in scales)

    return float(k(a, a).mean() + k(b, b).mean() - 2.0 * k(a, b).mean())


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------
@dataclass
class AAEOptimizers:
    """One optimizer per phase. Each keeps its own state for its own parameters."""

    reconstruction: object  # steps encoder + decoder
    discriminator: object  # steps the discriminator
    generator: object  # steps the encoder

    def __post_init__(self) -> None:
        # An optimizer keys its state by parameter name, and the encoder's "0.W" and the
        # discriminator's "0.W" are different arrays: one optimizer shared by two phases would
        # mix their momentum (or fail on a shape mismatch). Refuse it up front.
        opts = [self.reconstruction, self.discriminator, self.generator]
        if len({id(o) for o in opts}) != 3:
            raise ValueError("AAEOptimizers needs three distinct optimizer objects, one per "
                             "phase (each keeps state per parameter name); got a shared one")


class AdversarialAutoencoder(Container):
    """An autoencoder whose codes a discriminator pushes toward ``prior``.

    Parameters
    ----------
    encoder : Layer
        ``x (N, ...) -> z (N, latent)``.
    decoder : Layer
        ``z -> logits`` shaped like ``x`` (no sigmoid).
    discriminator : Layer
        ``(N, latent [+ n_classes]) -> (N, 1)`` logits.
    prior : NormalPrior | GaussianMixturePrior
        With ``prior.dim == latent``.
    n_classes : int, optional
        If set, the discriminator also sees the one-hot label of each code and each real
        sample is drawn from the prior's component for that label (the paper's
        label-conditioned AAE); every phase then needs ``labels``.

    Parameters are named ``"encoder.*"``, ``"decoder.*"``, ``"discriminator.*"``. The three
    optimizers step ``model.autoencoder`` (encoder + decoder), ``model.discriminator`` and
    ``model.encoder``.
    """

    def __init__(self, encoder: Layer, decoder: Layer, discriminator: Layer, prior, *,
                 n_classes: int | None = None) -> None:
        super().__init__()
        if not isinstance(discriminator, Layer):
            raise TypeError(f"AdversarialAutoencoder discriminator must be a Layer; got "
                            f"{type(discriminator).__name__}")
        self.autoencoder = AutoEncoder(encoder, decoder)
        self.encoder, self.decoder = encoder, decoder
        self.discriminator = discriminator
        self.prior = prior
        self.n_classes = None if n_classes is None else int(n_classes)
        if self.n_classes is not None and self.n_classes > prior.n_components > 1:
            raise ValueError(f"n_classes={n_classes} but the prior has only "
                             f"{prior.n_components} components")

    def children(self) -> list[tuple[str, Layer]]:
        return [("encoder", self.encoder), ("decoder", self.decoder),
                ("discriminator", self.discriminator)]

    @property
    def dtype(self) -> np.dtype:
        return self.autoencoder.dtype

    def train(self) -> AdversarialAutoencoder:
        super().train()
        self.autoencoder.training = True  # the inference helpers restore the mode they found
        return self

    def eval(self) -> AdversarialAutoencoder:
        super().eval()
        self.autoencoder.training = False
        return self

    # -- pieces ----------------------------------------------------------------------------
    def _input(self, x) -> np.ndarray:
        x = as_float_array(x, "AdversarialAutoencoder input", self.dtype)
        check_finite(x, "AdversarialAutoencoder input")
        return x

    def _labels(self, labels, n: int):
        if self.n_classes is None:
            return None
        if labels is None:
            raise ValueError("this AdversarialAutoencoder is label-conditioned (n_classes="
                             f"{self.n_classes}); pass labels=")
        y = np.asarray(labels)
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise ValueError(f"labels must be {n} integers; got shape {y.shape}, dtype {y.dtype}")
        return y

    def discriminator_input(self, z: np.ndarray, labels=None) -> np.ndarray:
        """``z``, with the one-hot ``labels`` appended when the model is label-conditioned."""
        z = np.asarray(z, dtype=self.dtype)
        if z.ndim != 2 or z.shape[1] != self.prior.dim:
            raise ValueError(f"codes must be (N, {self.prior.dim}) to match the prior; got "
                             f"{z.shape}. The encoder's output size and the prior's dim differ.")
        if self.n_classes is None:
            return z
        onehot = np.zeros((len(z), self.n_classes), dtype=z.dtype)
        onehot[np.arange(len(z)), labels] = 1.0
        return np.concatenate([z, onehot], axis=1)

    def discriminate(self, z: np.ndarray, labels=None) -> np.ndarray:
        """``D``'s logits ``(N, 1)`` for codes ``z`` (a training-mode forward pass)."""
        return self.discriminator.forward(self.discriminator_input(z, labels))

    # -- forward + backward of each phase (they write grads; they step nothing) -----------
    def reconstruction_pass(self, x: np.ndarray, target: np.ndarray | None = None) -> float:
        """``L_rec = BCE(decoder(encoder(x)), target)`` in nats per image; writes the encoder's
        and decoder's grads."""
        x = self._input(x)
        target = x if target is None else target
        logits = self.autoencoder.forward(x)
        value, dlogits = binary_cross_entropy_with_logits(logits, target)
        self.autoencoder.backward(dlogits)
        return value

    def discriminator_pass(self, x: np.ndarray, z_prior: np.ndarray, labels=None, *,
                           into_encoder: bool = False) -> tuple[float, float]:
        """``L_D`` on prior samples ``z_prior`` (real) and the codes of ``x`` (fake).

        Writes the discriminator's grads. The codes are treated as constants unless
        ``into_encoder=True`` (used by the gradient check, never by training), which also
        writes ``dL_D / d(encoder params)``. Returns ``(L_D, accuracy)``.
        """
        x = self._input(x)
        labels = self._labels(labels, len(x))
        z_fake = self.encoder.forward(x)
        n_real = len(z_prior)
        both = np.concatenate([self.discriminator_input(z_prior, labels),
                               self.discriminator_input(z_fake, labels)])
        logits = self.discriminator.forward(both)  # one batch: backward writes, not adds
        value, g_real, g_fake = discriminator_loss(logits[:n_real], logits[n_real:])
        dboth = self.discriminator.backward(np.concatenate([g_real, g_fake]))
        if into_encoder:  # the encoder still holds the cache of its forward above
            self.encoder.backward(dboth[n_real:, :self.prior.dim])
        return value, discriminator_accuracy(logits[:n_real], logits[n_real:])

    def generator_pass(self, x: np.ndarray, labels=None) -> float:
        """``L_G = mean(softplus(-D(encoder(x))))``; writes the encoder's grads (and, on the
        way, the discriminator's, which nothing steps on). Returns ``L_G``."""
        x = self._input(x)
        labels = self._labels(labels, len(x))
        z = self.encoder.forward(x)
        logits = self.discriminate(z, labels)
        value, dlogits = generator_loss(logits)
        dz = self.discriminator.backward(dlogits)[:, :self.prior.dim]
        self.encoder.backward(dz)
        return value

    # -- the three phases: pass, then step exactly one parameter group -------------------
    def reconstruction_step(self, x, optimizer, target=None) -> float:
        """Phase 1: steps the encoder and the decoder. Returns ``L_rec``."""
        value = self.reconstruction_pass(x, target)
        optimizer.step(self.autoencoder)
        return value

    def discriminator_step(self, x, optimizer, *, rng: np.random.Generator,
                           labels=None) -> tuple[float, float]:
        """Phase 2: draws ``len(x)`` prior samples, steps the discriminator only.
        Returns ``(L_D, accuracy)``."""
        y = self._labels(labels, len(x))
        z_prior = self.prior.sample(len(x), rng, y)
        value, acc = self.discriminator_pass(x, z_prior, y)
        optimizer.step(self.discriminator)
        return value, acc

    def generator_step(self, x, optimizer, labels=None) -> float:
        """Phase 3: steps the encoder only. Returns ``L_G``."""
        value = self.generator_pass(x, labels)
        optimizer.step(self.encoder)
        return value

    def train_step(self, x, optimizers: AAEOptimizers, *, rng: np.random.Generator,
                   labels=None) -> dict[str, float]:
        """All three phases on one mini-batch; returns the four numbers to log."""
        rec = self.reconstruction_step(x, optimizers.reconstruction)
        d_loss, d_acc = self.discriminator_step(x, optimizers.discriminator, rng=rng,
                                                labels=labels)
        g_loss = self.generator_step(x, optimizers.generator, labels)
        return {"reconstruction": rec, "d_loss": d_loss, "g_loss": g_loss, "d_accuracy": d_acc}

    # -- inference: the AutoEncoder's helpers ----------------------------------------------
    def encode(self, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Codes ``(N, latent)`` (eval mode, in chunks)."""
        return self.autoencoder.encode(x, batch_size)

    def decode(self, z: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Decoder logits for codes ``z``."""
        return self.autoencoder.decode(z, batch_size)

    def generate(self, z: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Images in [0, 1] decoded from codes (e.g. prior samples)."""
        return self.autoencoder.generate(z, batch_size)

    def reconstruct(self, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Images in [0, 1]: ``sigmoid(decoder(encoder(x)))``."""
        return self.autoencoder.reconstruct(x, batch_size)

    def sample(self, n: int, rng: np.random.Generator, labels=None) -> np.ndarray:
        """New images: decode ``n`` prior samples (from the labels' components if given)."""
        return self.generate(self.prior.sample(n, rng, labels).astype(self.dtype))

    def __repr__(self) -> str:
        return (f"AdversarialAutoencoder(encoder={self.encoder!r}, decoder={self.decoder!r}, "
                f"discriminator={self.discriminator!r}, prior={self.prior!r})")


# ---------------------------------------------------------------------------------------
# Builder and training loop
# ---------------------------------------------------------------------------------------
def dense_aae(latent: int = 2, hidden: tuple[int, ...] = (512, 256),
              disc_hidden: tuple[int, ...] = (128, 128), *, prior=None,
              n_classes: int | None = None, input_shape=(1, 28, 28), rng=None,
              dtype=np.float32, init: str = "glorot_uniform") -> AdversarialAutoencoder:
    """A fully connected AAE.

    ::

        encoder:       Flatten, [Dense(h) ReLU for h in hidden], Dense(latent)   (linear code)
        decoder:       [Dense(h) ReLU for h in reversed(hidden)], Dense(784), Reshape -> logits
        discriminator: [Dense(h) LeakyReLU(0.2) for h in disc_hidden], Dense(1)  -> logit

    The PyTorch notebook's networks are 784-1000-1000-latent and latent-500-500-1; these are
    smaller so a CPU epoch takes seconds. ``prior`` defaults to ``NormalPrior(latent)``.
    """
    rng = np.random.default_rng() if rng is None else rng
    kw = {"rng": rng, "dtype": dtype, "init": init}
    prior = NormalPrior(latent) if prior is None else prior
    # encoder and decoder: the same layers as the plain dense autoencoder with these sizes
    ae = dense_autoencoder(latent, hidden, input_shape=input_shape, **kw)
    dsizes = [int(latent) + (n_classes or 0), *[int(h) for h in disc_hidden], 1]
    disc: list[Layer] = []
    for i in range(len(dsizes) - 1):
        disc.append(Dense(dsizes[i], dsizes[i + 1], **kw))
        if i < len(dsizes) - 2:
            disc.append(LeakyReLU(0.2))
    return AdversarialAutoencoder(ae.encoder, ae.decoder, Sequential(*disc), prior,
                                  n_classes=n_classes)


def aae_optimizers(lr: float = 5e-4, adversarial_lr: float = 1e-3,
                   adversarial_betas: tuple[float, float] = (0.5, 0.999)) -> AAEOptimizers:
    """Three Adam optimizers: ``lr`` for reconstruction, ``adversarial_lr`` for the other two.

    The adversarial pair uses ``beta1 = 0.5`` (Radford et al.'s DCGAN setting): momentum
    averaged over fewer steps follows a moving opponent better, and overshoots less. Adam's
    steps are about ``lr`` in size whatever the loss's scale (nats per image for the
    reconstruction, a fraction of a nat for the adversarial losses), so it is the learning
    rates, not the losses' sizes, that balance the two pulls on the encoder.
    """
    return AAEOptimizers(Adam(lr), Adam(adversarial_lr, betas=adversarial_betas),
                         Adam(adversarial_lr, betas=adversarial_betas))


@dataclass
class AAEHistory:
    """Per-step and per-epoch logs of ``train_aae``."""

    steps: dict[str, list[float]] = field(default_factory=lambda: {
        "reconstruction": [], "d_loss": [], "g_loss": [], "d_accuracy": []})
    epochs: dict[str, list[float]] = field(default_factory=lambda: {
        "reconstruction": [], "d_loss": [], "g_loss": [], "d_accuracy": []})


def train_aae(model: AdversarialAutoencoder, x: np.ndarray, labels: np.ndarray | None = None, *,
              optimizers: AAEOptimizers, epochs: int, batch_size: int = 100,
              rng: np.random.Generator, anneal_to: float | None = 0.1,
              print_fn: Callable | None = print,
              history: AAEHistory | None = None) -> AAEHistory:
    """Train with the three phases on every mini-batch (``training.batches`` does the batching).

    ``labels`` are required when the model is label-conditioned, and ignored otherwise.
    ``rng`` shuffles and draws the prior samples. Prints one line per epoch unless
    ``print_fn`` is None. Returns the history (per step and per epoch means).

    ``anneal_to`` (default 0.1; ``None``: constant rates): every optimizer's learning rate
    falls along half a cosine, step by step, from its value at the start to ``anneal_to``
    times that value at the last step (and is restored afterwards). The adversarial game
    never settles: the encoder and the discriminator keep chasing each other, and the cloud
    of codes wanders around the prior with a step size set by the learning rates. Shrinking
    the steps at the end leaves the codes near the prior instead of wherever the chase
    happened to be (in our runs on 8,000 MNIST digits, held-out MMD^2 to the prior was
    0.01-0.05 after 10 annealed epochs, and 0.05-0.8 after 20 at constant rates).
    """
    # fit() steps one optimizer per batch; the AAE needs three, so it has its own loop, but it
    # batches with the project's one iterator. (Imported here: training sits above the models.)
    from minae.training import batches

    history = AAEHistory() if history is None else history
    x = model._input(x)
    use_labels = model.n_classes is not None
    if use_labels:
        model._labels(labels, len(x))
    model.train()
    phases = (optimizers.reconstruction, optimizers.discriminator, optimizers.generator)
    lr0 = [opt.lr for opt in phases]
    total = max(1, int(epochs) * -(-len(x) // int(batch_size)) - 1)  # steps, from 0
    step = 0
    data = (x, np.asarray(labels)) if use_labels else (x,)
    try:
        for epoch in range(int(epochs)):
            sums = {k: 0.0 for k in history.epochs}
            count = 0
            for batch in batches(data, batch_size, shuffle=True, rng=rng):
                xb, yb = (batch[0], batch[1]) if use_labels else (batch[0], None)
                if anneal_to is not None:
                    cos = (1.0 + np.cos(np.pi * min(step / total, 1.0))) / 2.0  # 1 -> 0
                    for opt, lr in zip(phases, lr0, strict=True):
                        opt.lr = lr * (anneal_to + (1.0 - anneal_to) * cos)
                logs = model.train_step(xb, optimizers, rng=rng, labels=yb)
                step += 1
                for k, v in logs.items():
                    history.steps[k].append(v)
                    sums[k] += v * len(xb)
                count += len(xb)
            for k in sums:
                history.epochs[k].append(sums[k] / max(count, 1))
            if print_fn is not None:
                e = {k: v[-1] for k, v in history.epochs.items()}
                print_fn(f"epoch {epoch + 1}/{epochs}: reconstruction {e['reconstruction']:.2f} "
                         f"nats/image, D loss {e['d_loss']:.3f} (chance {CHANCE_D_LOSS:.3f}), "
                         f"G loss {e['g_loss']:.3f} (chance {CHANCE_G_LOSS:.3f}), "
                         f"D accuracy {e['d_accuracy']:.3f}")
    finally:
        for opt, lr in zip(phases, lr0, strict=True):
            opt.lr = lr
    return history
