"""Principal component analysis: the linear baseline every autoencoder should beat.

PCA finds the ``k`` orthonormal directions along which centred data vary most, and codes each
example by its coordinates along them. Among all linear codes of size ``k`` it has the smallest
squared reconstruction error, so it is exactly what a *linear* autoencoder with a squared-error
loss can at best learn. An autoencoder earns its non-linearities by beating it.

By the SVD
----------
Flatten the ``N`` examples into rows of ``X: (N, D)``, subtract the mean row ``mu``, and take the
thin SVD ``X - mu = U S V^T`` (``U: (N, r)``, ``S: (r,)``, ``V^T: (r, D)``, ``r = min(N, D)``)::

    components      = V^T[:k]                      (k, D)   orthonormal rows
    transform(x)    = (x - mu) @ components.T      (N, k)   the codes
    inverse(z)      = z @ components + mu          (N, D)   the reconstructions
    explained_var_i = S_i^2 / (N - 1)                       the variance along component i

The columns of ``V`` are the eigenvectors of the covariance ``C = (X - mu)^T (X - mu) / (N - 1)``
with eigenvalues ``S^2 / (N - 1)``: the SVD gets them without forming ``C`` (and so without
squaring the condition number). The tests check against ``np.linalg.eigh(C)``.

Each component's sign is arbitrary; it is fixed so the entry of largest magnitude is positive
(scikit-learn's convention), so fits are reproducible.
"""

from __future__ import annotations

import numpy as np

from minae.layers.checks import as_float_array, check_finite


class PCA:
    """PCA by the SVD, fitted on images or vectors.

    Parameters
    ----------
    n_components : int
        How many components to keep (``k``); at most ``min(N, D)``.

    Attributes (after ``fit``)
    --------------------------
    mean_ : (D,)
    components_ : (k, D), orthonormal rows, in order of decreasing variance
    singular_values_ : (k,)
    explained_variance_ : (k,), ``S^2 / (N - 1)``
    explained_variance_ratio_ : (k,), the fraction of the total variance each explains
    sample_shape_ : the shape of one fitted example (``(1, 28, 28)``); ``inverse_transform``
        returns this shape.

    Example
    -------
    >>> pca = PCA(32).fit(train_images)               # (N, 1, 28, 28)
    >>> z = pca.transform(test_images, n_components=8)  # (N, 8): the first 8 components
    >>> x_hat = pca.inverse_transform(z)               # (N, 1, 28, 28)
    """

    def __init__(self, n_components: int) -> None:
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
                or n_components < 1:
            raise ValueError(f"PCA n_components must be a positive integer; got {n_components!r}")
        self.n_components = int(n_components)
        self.components_ = None

    def fit(self, x: np.ndarray) -> PCA:
        """Fit on ``x: (N, ...)``, each example flattened to ``D`` numbers. Returns ``self``."""
        x = as_float_array(x, "PCA.fit input")
        check_finite(x, "PCA.fit input")
        if x.ndim < 2 or len(x) < 2:
            raise ValueError(f"PCA.fit expected at least 2 examples (N, ...); got {x.shape}")
        n = len(x)
        flat = x.reshape(n, -1).astype(np.float64)
        k_max = min(flat.shape)
        if self.n_components > k_max:
            raise ValueError(f"PCA n_components={self.n_components} exceeds min(N, D) = {k_max} "
                             f"for input of shape {x.shape}")
        self.sample_shape_ = x.shape[1:]
        self.dtype_ = x.dtype
        self.mean_ = flat.mean(axis=0)
        centred = flat - self.mean_
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        k = self.n_components
        vt = vt[:k]
        # fix each component's sign: largest-magnitude entry positive
        signs = np.sign(vt[np.arange(k), np.argmax(np.abs(vt), axis=1)])
        signs[signs == 0] = 1.0
        self.components_ = vt * signs[:, None]
        self.singular_values_ = s[:k]
        total_var = float(np.sum(s**2) / (n - 1))
        self.explained_variance_ = s[:k] ** 2 / (n - 1)
        self.explained_variance_ratio_ = self.explained_variance_ / max(total_var, 1e-300)
        return self

    def _check_fitted(self) -> None:
        if self.components_ is None:
            raise RuntimeError("PCA is not fitted yet; call fit(x) first")

    def _k(self, n_components: int | None) -> int:
        if n_components is None:
            return self.n_components
        if not 1 <= int(n_components) <= self.n_components:
            raise ValueError(f"n_components must be in 1..{self.n_components} (the fitted "
                             f"number); got {n_components!r}")
        return int(n_components)

    def transform(self, x: np.ndarray, n_components: int | None = None) -> np.ndarray:
        """Codes ``(N, k)``: coordinates along the first ``k`` components (all by default)."""
        self._check_fitted()
        x = as_float_array(x, "PCA.transform input")
        flat = x.reshape(len(x), -1).astype(np.float64)
        if flat.shape[1] != self.mean_.size:
            raise ValueError(f"PCA.transform expected examples of {self.mean_.size} values "
                             f"(shape {self.sample_shape_}); got {x.shape}")
        k = self._k(n_components)
        return ((flat - self.mean_) @ self.components_[:k].T).astype(self.dtype_)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """Reconstructions ``(N, *sample_shape)`` from codes ``z: (N, k)`` (any ``k`` fitted)."""
        self._check_fitted()
        z = as_float_array(z, "PCA.inverse_transform input")
        if z.ndim != 2:
            raise ValueError(f"PCA.inverse_transform expected codes (N, k); got {z.shape}")
        k = self._k(z.shape[1])
        flat = z.astype(np.float64) @ self.components_[:k] + self.mean_
        return flat.reshape((len(z),) + tuple(self.sample_shape_)).astype(self.dtype_)

    def reconstruct(self, x: np.ndarray, n_components: int | None = None) -> np.ndarray:
        """``inverse_transform(transform(x, k))``: the best rank-``k`` linear reconstruction."""
        return self.inverse_transform(self.transform(x, n_components))

    def __repr__(self) -> str:
        return f"PCA(n_components={self.n_components})"
