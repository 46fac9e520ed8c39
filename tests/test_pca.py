"""PCA by the SVD against a direct eigen-decomposition of the covariance."""

import numpy as np
import pytest

from minae.pca import PCA


def _data(n=200, d=12, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.linspace(3.0, 0.2, d)  # distinct variances: a well-defined order
    mixing = np.linalg.qr(rng.standard_normal((d, d)))[0]
    return (rng.standard_normal((n, d)) * scales) @ mixing.T + rng.standard_normal(d)


def test_matches_eigendecomposition():
    x = _data()
    k = 5
    pca = PCA(k).fit(x)
    cov = np.cov(x, rowvar=False)  # (D, D), divides by N - 1
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:k]
    assert pca.explained_variance_ == pytest.approx(vals[order], rel=1e-10)
    assert pca.explained_variance_ratio_ == pytest.approx(vals[order] / vals.sum(), rel=1e-10)
    # same directions up to sign
    overlap = np.abs(np.sum(pca.components_ * vecs[:, order].T, axis=1))
    assert overlap == pytest.approx(np.ones(k), abs=1e-10)
    assert pca.components_ @ pca.components_.T == pytest.approx(np.eye(k), abs=1e-12)
    assert pca.mean_ == pytest.approx(x.mean(axis=0))


def test_transform_inverse_and_images():
    rng = np.random.default_rng(2)
    x = rng.random((50, 1, 4, 4))
    pca = PCA(16).fit(x)
    z = pca.transform(x)
    assert z.shape == (50, 16)
    # all 16 components of 16-pixel images: exact reconstruction, in the input's shape
    assert pca.inverse_transform(z) == pytest.approx(x, abs=1e-10)
    # fewer components: the error shrinks as k grows, and equals the dropped variance
    errs = [np.sum((pca.reconstruct(x, k) - x) ** 2) / (len(x) - 1) for k in (2, 4, 8, 16)]
    assert errs == sorted(errs, reverse=True)
    assert errs[1] == pytest.approx(pca.explained_variance_[4:].sum(), rel=1e-8)
    assert pca.transform(x, n_components=3) == pytest.approx(z[:, :3])


def test_sign_is_deterministic_and_dtype_kept():
    x = _data().astype(np.float32)
    a, b = PCA(3).fit(x), PCA(3).fit(x[::-1].copy())
    assert a.components_ == pytest.approx(b.components_, abs=1e-5)
    assert a.transform(x).dtype == np.float32


def test_errors():
    with pytest.raises(ValueError, match="n_components"):
        PCA(0)
    with pytest.raises(ValueError, match="exceeds"):
        PCA(20).fit(np.random.default_rng(0).random((10, 5)))
    with pytest.raises(RuntimeError, match="fit"):
        PCA(2).transform(np.zeros((3, 4)))
    pca = PCA(2).fit(np.random.default_rng(0).random((10, 5)))
    with pytest.raises(ValueError, match="5 values"):
        pca.transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="n_components"):
        pca.transform(np.zeros((3, 5)), n_components=3)
