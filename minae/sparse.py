"""Sparse autoencoders: a penalty that keeps most code units quiet for most images.

A plain autoencoder with a 32-unit code uses all 32 units on every image. A *sparse* one is
charged for activity, so each image is described by a few active units, and each unit comes to
mean something more specific. Two classic penalties on the code ``h`` (``N`` examples by ``D``
units):

L1 activity penalty (Keras's ``activity_regularizer=l1(lam)``)
--------------------------------------------------------------
::

    P = lam * (1/N) sum_n sum_j |h[n, j]|          dP/dh[n, j] = lam * sign(h[n, j]) / N

``lam`` times the sum of absolute activations *per example*, averaged over the batch (Keras
divides its activity penalties by the batch size). On a ReLU code ``|h| = h`` and ``sign(h)``
is 1 where the unit is on and 0 where it is off, so the penalty pushes every active unit down
with the same force, and units that are not needed switch off completely.

KL sparsity penalty (the UFLDL / Ng lecture notes version)
----------------------------------------------------------
For codes in (0, 1) (a sigmoid code), let ``rho_hat_j = (1/N) sum_n h[n, j]``, unit ``j``'s mean
activation over the batch, and ``rho`` the target (e.g. 0.05: "on for one image in twenty")::

    P = beta * sum_j KL(rho || rho_hat_j)
      = beta * sum_j [rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j))]

    dP/dh[n, j] = dP/drho_hat_j * drho_hat_j/dh[n, j]
                = beta * (-rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j)) / N

KL(rho || rho_hat) is the KL divergence between two coins, one with P(heads) = rho and one
with P(heads) = rho_hat: zero when ``rho_hat_j = rho``, growing without bound as ``rho_hat_j``
goes to 0 or 1. It constrains each unit's *average*, not each activation: a unit may fire
strongly on a few images as long as it is quiet on the rest. The gradient is the same for every
example of the batch (it depends on ``n`` only through ``1/N``), which is why a gradient check
with a random upstream gradient, not ones, is needed to test it.

Why losses, not layers
----------------------
Keras hangs the penalty on a layer (``activity_regularizer=``) and adds it to the loss behind
the scenes. minae writes them as *losses*: ``penalty(h) -> (value, grad)``, the convention of
``minae.losses``, with no target. Three reasons: (1) a penalty has a value that belongs in the
reported loss, and a layer would have to smuggle it out to the training loop; (2) the KL penalty
is a function of the whole batch (its mean), not an element-wise map of a layer's input;
(3) the one place where the penalty's gradient meets the network is then visible in
``SparseAutoencoder.backward``: at the code, ``dh = decoder.backward(dlogits) + dP/dh``.

Weighting
---------
``lam`` and ``beta`` are relative to the reconstruction loss's scale. Keras's binary
cross-entropy is a mean over the 784 pixels, so ``l1(1e-5)`` there equals ``lam = 784e-5``
next to minae's default "batch" reduction (nats per image, a sum over pixels). To reproduce
Keras's objective exactly, use ``SparseAutoencoder(..., reduction="mean")`` with ``lam=1e-5``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minae.autoencoders import AutoEncoder
from minae.layers.activations import ReLU, Sigmoid
from minae.layers.base import Layer
from minae.layers.checks import as_float_array
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.layers.shape import Flatten, Reshape
from minae.losses import binary_cross_entropy_with_logits

RHO_EPS = 1e-7  # rho_hat is clipped to [1e-7, 1 - 1e-7] so the logs stay finite


def _codes(h, name: str) -> np.ndarray:
    h = as_float_array(h, name)
    if h.ndim < 2 or h.shape[0] == 0:
        raise ValueError(f"{name} must be a batch of codes (N, ...) with N >= 1; got {h.shape}")
    return h


def l1_activity(h: np.ndarray, lam: float) -> tuple[float, np.ndarray]:
    """``P = lam * sum|h| / N`` (per example, averaged over the batch) and ``dP/dh``.

    ``h: (N, ...)``, any code shape; the sum runs over every unit. ``dP/dh = lam sign(h) / N``
    (0 where ``h == 0``, the subgradient a ReLU code sits on when a unit is off).
    """
    h = _codes(h, "l1_activity codes")
    n = h.shape[0]
    return float(lam * np.sum(np.abs(h)) / n), (lam / n) * np.sign(h)


def kl_sparsity(h: np.ndarray, rho: float, beta: float = 1.0) -> tuple[float, np.ndarray]:
    """``P = beta * sum_j KL(rho || rho_hat_j)`` with ``rho_hat`` the batch mean, and ``dP/dh``.

    Parameters
    ----------
    h : (N, ...) array in (0, 1)
        Sigmoid codes; every non-batch position is a unit.
    rho : float in (0, 1)
        The target mean activation.
    beta : float
        The weight.

    Returns
    -------
    (value, grad)
        ``grad[n, j] = beta * (-rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j)) / N``, the same
        for every example. ``rho_hat`` is clipped to ``[1e-7, 1 - 1e-7]`` first.
    """
    h = _codes(h, "kl_sparsity codes")
    if not 0.0 < rho < 1.0:
        raise ValueError(f"kl_sparsity rho must be in (0, 1); got {rho!r}")
    if h.min() < 0.0 or h.max() > 1.0:
        raise ValueError("kl_sparsity needs codes in [0, 1] (a sigmoid code); got values in "
                         f"[{h.min():.3g}, {h.max():.3g}]")
    n = h.shape[0]
    rho_hat = np.clip(h.mean(axis=0), RHO_EPS, 1.0 - RHO_EPS)
    kl = rho * np.log(rho / rho_hat) + (1.0 - rho) * np.log((1.0 - rho) / (1.0 - rho_hat))
    # EXERCISE kl_sparsity: grad = dP/dh, the same for every example (through rho_hat)
    d_rho_hat = beta * (-rho / rho_hat + (1.0 - rho) / (1.0 - rho_hat))
    grad = np.broadcast_to(d_rho_hat / n, h.shape).astype(h.dtype)
    # END EXERCISE
    return float(beta * np.sum(kl)), grad


class L1Activity:
    """The L1 activity penalty as an object: ``L1Activity(lam)(h) -> (value, grad)``."""

    def __init__(self, lam: float) -> None:
        if not (np.isfinite(lam) and lam >= 0):
            raise ValueError(f"L1Activity lam must be a finite number >= 0; got {lam!r}")
        self.lam = float(lam)

    def __call__(self, h: np.ndarray) -> tuple[float, np.ndarray]:
        return l1_activity(h, self.lam)

    def __repr__(self) -> str:
        return f"L1Activity(lam={self.lam:g})"


class KLSparsity:
    """The KL sparsity penalty as an object: ``KLSparsity(rho, beta)(h) -> (value, grad)``."""

    def __init__(self, rho: float = 0.05, beta: float = 1.0) -> None:
        if not 0.0 < rho < 1.0:
            raise ValueError(f"KLSparsity rho must be in (0, 1); got {rho!r}")
        if not (np.isfinite(beta) and beta >= 0):
            raise ValueError(f"KLSparsity beta must be a finite number >= 0; got {beta!r}")
        self.rho, self.beta = float(rho), float(beta)

    def __call__(self, h: np.ndarray) -> tuple[float, np.ndarray]:
        return kl_sparsity(h, self.rho, self.beta)

    def __repr__(self) -> str:
        return f"KLSparsity(rho={self.rho:g}, beta={self.beta:g})"


class SparseAutoencoder(AutoEncoder):
    """An ``AutoEncoder`` whose loss adds ``penalty(code)`` to the reconstruction loss.

    ::

        h = encoder(x);  logits = decoder(h)
        L = BCE(logits, x; reduction) + P(h)
        backward: dh = decoder.backward(dL/dlogits) + dP/dh;  encoder.backward(dh)

    Parameters
    ----------
    encoder, decoder : Layer
        As for ``AutoEncoder``; the decoder ends in logits.
    penalty : callable or None
        ``penalty(h) -> (value, grad)``: ``L1Activity``, ``KLSparsity``, or ``None`` for a plain
        autoencoder trained by the very same code (a fair comparison).
    reduction : "batch" | "mean"
        The reconstruction BCE's reduction: nats per image, or Keras's per-pixel mean.
    reconstruction_loss : callable
        ``f(logits, target, reduction=...) -> (value, grad)``; BCE on logits by default.

    Training
    --------
    ``loss(x)`` runs the forward pass and returns ``(total, {"reconstruction": ..,
    "penalty": ..})``; ``backward()`` then writes every gradient. ``fit`` uses this pair for
    models that carry their own loss (``loss="auto"`` or ``None``), and logs both parts. The plain
    ``forward(x)`` / ``backward(dlogits)`` of ``AutoEncoder`` still work and still add the
    penalty's gradient at the code (so a generic loop trains the same objective, though it
    would report only its own loss).
    """

    def __init__(self, encoder: Layer, decoder: Layer,
                 penalty: Callable[[np.ndarray], tuple[float, np.ndarray]] | None = None, *,
                 reduction: str = "batch",
                 reconstruction_loss: Callable = binary_cross_entropy_with_logits) -> None:
        super().__init__(encoder, decoder)
        if penalty is not None and not callable(penalty):
            raise TypeError(f"penalty must be callable (h -> (value, grad)) or None; got "
                            f"{type(penalty).__name__}")
        self.penalty = penalty
        self.reduction = reduction
        self.reconstruction_loss = reconstruction_loss
        self.last_terms: dict[str, float] = {}
        self._penalty_grad = None
        self._dlogits = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x -> logits``; also evaluates the penalty on the code for ``backward``."""
        logits = super().forward(x)
        if self.penalty is None:
            self.last_terms["penalty"], self._penalty_grad = 0.0, None
        else:
            self.last_terms["penalty"], self._penalty_grad = self.penalty(self.code)
        return logits

    def backward(self, dlogits: np.ndarray | None = None) -> np.ndarray:
        """Write every gradient; the penalty's joins the decoder's at the code.

        With no argument, uses the gradient of the reconstruction loss from the last
        ``loss(x)`` call.
        """
        if dlogits is None:
            if self._dlogits is None:
                raise RuntimeError("SparseAutoencoder.backward() without dlogits needs a "
                                   "loss(x) call first")
            dlogits = self._dlogits
        dh = self.decoder.backward(dlogits)
        if self._penalty_grad is not None:
            dh = dh + self._penalty_grad
        return self.encoder.backward(dh)

    def loss(self, x: np.ndarray) -> tuple[float, dict[str, float]]:
        """Forward pass; returns ``(reconstruction + penalty, {"reconstruction": ..,
        "penalty": ..})`` (``fit`` logs the two parts per epoch). Then call ``backward()``."""
        logits = self.forward(x)
        rec, self._dlogits = self.reconstruction_loss(logits, np.asarray(x, logits.dtype),
                                                      reduction=self.reduction)
        self.last_terms["reconstruction"] = float(rec)
        return float(rec) + self.last_terms["penalty"], dict(self.last_terms)

    def __repr__(self) -> str:
        return (f"SparseAutoencoder(encoder={self.encoder!r}, decoder={self.decoder!r}, "
                f"penalty={self.penalty!r})")


def hoyer_sparsity(h: np.ndarray) -> np.ndarray:
    """Hoyer's sparsity of each code, ``(N, ...) -> (N,)``, in [0, 1].

    With ``d`` units: ``(sqrt(d) - |h|_1 / |h|_2) / (sqrt(d) - 1)``: 0 when every unit has the
    same magnitude, 1 when one unit carries everything (and 0 for an all-zero code). Unlike
    the mean activation it ignores scale: halving every code and doubling the decoder's
    weights (which an L1 penalty rewards) leaves it unchanged.
    """
    h = np.abs(np.asarray(h, dtype=np.float64).reshape(len(h), -1))
    d = h.shape[1]
    if d < 2:
        raise ValueError(f"hoyer_sparsity needs codes of at least 2 units; got {d}")
    l1, l2 = h.sum(axis=1), np.sqrt((h * h).sum(axis=1))
    ratio = np.divide(l1, l2, out=np.full_like(l1, np.sqrt(d)), where=l2 > 0)
    return (np.sqrt(d) - ratio) / (np.sqrt(d) - 1.0)


CODES = ("relu", "sigmoid")


def sparse_dense_autoencoder(latent: int = 32, penalty=None, *, code: str = "relu",
                             reduction: str = "batch", input_shape=(1, 28, 28), rng=None,
                             dtype=np.float32,
                             init: str = "glorot_uniform") -> SparseAutoencoder:
    """The Keras tutorial's shallow autoencoder, 784 -> ``latent`` -> 784, with a penalty.

    ::

        encoder: Flatten, Dense(784, latent), ReLU | Sigmoid      (the code h)
        decoder: Dense(latent, 784), Reshape(1, 28, 28)           (logits)

    ``code="relu"`` with ``L1Activity`` is the tutorial's sparse model; ``code="sigmoid"`` with
    ``KLSparsity`` is the UFLDL one (its penalty needs codes in (0, 1)).
    """
    if code not in CODES:
        raise ValueError(f"code must be one of {CODES}; got {code!r}")
    rng = np.random.default_rng() if rng is None else rng
    kw = {"rng": rng, "dtype": dtype, "init": init}
    d = int(np.prod(input_shape))
    act = ReLU() if code == "relu" else Sigmoid()
    encoder = Sequential(Flatten(), Dense(d, int(latent), **kw), act)
    decoder = Sequential(Dense(int(latent), d, **kw), Reshape(tuple(input_shape)))
    return SparseAutoencoder(encoder, decoder, penalty, reduction=reduction)
