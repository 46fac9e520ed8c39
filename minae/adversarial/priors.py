"""The priors an adversarial autoencoder pushes its codes toward.

* ``NormalPrior(dim)``: ``N(0, I)``.
* ``GaussianMixturePrior``: 10 Gaussians on a circle, elongated along the radius (the paper's
  "flower"). With ``n_classes`` set, the model is the paper's label-conditioned version: the
  discriminator also sees the one-hot label, and the "real" sample for an image of class ``k``
  comes from component ``k``, so each digit gets its own petal.
"""

from __future__ import annotations

import numpy as np


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
