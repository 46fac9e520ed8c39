"""How far the codes are from the prior: the first two moments, and the MMD."""

from __future__ import annotations

import numpy as np


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
