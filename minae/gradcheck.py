"""Gradient checking: is a hand-written backward pass right?

The recipe (cs231n's, with the numbers of docs/conventions.md)
--------------------------------------------------------------
1. Work in float64. A central difference with step ``h`` has truncation error O(h^2) and
   round-off error about ``eps_machine * |L| / h``. With ``h = 1e-6`` in float64
   (``eps_machine ~ 1e-16``) both are ~1e-10; in float32 (``eps_machine ~ 1e-7``) the round-off
   alone is ~0.1, so the check would be meaningless. That is why float32 is refused.
2. Turn the layer's vector output into a scalar with a *random* upstream gradient ``g``::

       L(x) = sum(forward(x) * g)      so that   dL/dy = g

   (``g = ones`` hides bugs: a layer that wrongly subtracts a mean gets dL/dx = 0 both ways.)
3. Numerical gradient of ``L`` by central differences, one entry at a time::

       dL/dx[i] ~ (L(x + h e_i) - L(x - h e_i)) / (2 h)

4. Compare with the analytic gradient by the max-norm relative error::

       rel = max|a - n| / max(1e-12, max|a| + max|n|)

   A layer or loss passes below 1e-7, a whole model below 1e-6. (The element-wise form
   ``|a_i - n_i| / (|a_i| + |n_i|)`` blows up where both are ~0.)

A failed check raises ``GradientCheckError`` naming the tensor, the worst index, the analytic
and numerical values there, and the relative error. ``report(results)`` formats the per-tensor
table for a learner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from minae.layers.checks import check_rng

LAYER_TOL = 1e-7
MODEL_TOL = 1e-6


class GradientCheckError(AssertionError):
    """An analytic gradient disagrees with finite differences. ``.results`` has the table."""

    def __init__(self, message: str, results: list[TensorCheck]):
        super().__init__(message)
        self.results = results


@dataclass(frozen=True)
class TensorCheck:
    """The outcome of checking one tensor's gradient."""

    name: str
    passed: bool
    rel_error: float
    worst_index: tuple
    analytic: float
    numerical: float
    checked: int  # how many entries were compared
    size: int  # how many entries the tensor has


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> float:
    """``max|a - n| / max(1e-12, max|a| + max|n|)``: the max-norm relative error."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numerical, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {n.shape}")
    if a.size == 0:
        return 0.0
    denom = max(1e-12, float(np.max(np.abs(a)) + np.max(np.abs(n))))
    return float(np.max(np.abs(a - n)) / denom)


def numerical_gradient(
    f: Callable[[], float], x: np.ndarray, h: float = 1e-6, indices=None
) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``x`` is perturbed *in place* (and restored), so ``f`` must read the very array ``x``,
    as a layer reads its ``params``.

    Parameters
    ----------
    f : callable
        ``f()`` -> float, the scalar objective.
    x : ndarray, float64
        The tensor to differentiate with respect to.
    h : float
        Step size.
    indices : sequence of tuples, optional
        Only these entries are computed (the others stay 0); default all.

    Returns
    -------
    ndarray, the shape of ``x``: ``(f(x + h e_i) - f(x - h e_i)) / (2 h)`` at each index.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    if indices is None:
        indices = list(np.ndindex(x.shape))
    for i in indices:
        old = x[i]
        x[i] = old + h
        f_plus = float(f())
        x[i] = old - h
        f_minus = float(f())
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def _require_float64(name: str, x: np.ndarray) -> None:
    if x.dtype != np.float64:
        raise TypeError(
            f"gradient check of {name!r} needs float64, got {x.dtype}. In float32 a central "
            "difference with h=1e-6 has round-off error ~0.1, so the check would say nothing. "
            "Build the layer with dtype=np.float64 and pass float64 inputs."
        )


def _sample_indices(shape: tuple, max_entries: int | None, rng: np.random.Generator) -> list:
    size = int(np.prod(shape))
    if max_entries is None or size <= max_entries:
        return list(np.ndindex(shape))
    flat = rng.choice(size, size=max_entries, replace=False)
    return [np.unravel_index(int(i), shape) for i in np.sort(flat)]


def check_gradients(
    objective: Callable[[], float],
    tensors: dict[str, np.ndarray],
    analytic: dict[str, np.ndarray],
    *,
    tol: float,
    h: float = 1e-6,
    max_entries: int | None = None,
    rng: np.random.Generator | None = None,
    raise_on_failure: bool = True,
) -> list[TensorCheck]:
    """Compare ``analytic[name]`` with the numerical gradient of ``objective`` for each tensor.

    This is the core every other check uses; call it directly for objectives that are not a
    single layer's output (a VAE's negative ELBO, an adversarial loss).

    Parameters
    ----------
    objective : callable
        ``objective()`` -> float, reading the arrays in ``tensors`` (perturbed in place).
    tensors : dict[str, ndarray]
        The float64 arrays to check, by name.
    analytic : dict[str, ndarray]
        The analytic gradient of ``objective`` for each name, already computed.
    tol : float
        Pass when ``relative_error < tol``.
    max_entries : int, optional
        Check at most this many randomly chosen entries per tensor (big tensors).
    """
    rng = np.random.default_rng(0) if rng is None else check_rng(rng, "check_gradients")
    results = []
    for name, x in tensors.items():
        _require_float64(name, x)
        a = np.asarray(analytic[name], dtype=np.float64)
        if a.shape != x.shape:
            raise ValueError(
                f"gradient of {name!r} has shape {a.shape}, but the tensor has shape {x.shape}"
            )
        idx = _sample_indices(x.shape, max_entries, rng)
        n = numerical_gradient(objective, x, h=h, indices=idx)
        if len(idx) < x.size:  # compare only where we computed
            rows = tuple(np.array(k) for k in zip(*idx, strict=True)) if x.ndim else ()
            a_cmp, n_cmp = a[rows], n[rows]
        else:
            a_cmp, n_cmp = a.ravel(), n.ravel()
        err = relative_error(a_cmp, n_cmp)
        worst = int(np.argmax(np.abs(a_cmp - n_cmp))) if a_cmp.size else 0
        worst_index = tuple(int(v) for v in idx[worst]) if idx else ()
        results.append(
            TensorCheck(
                name=name,
                passed=bool(err < tol),
                rel_error=err,
                worst_index=worst_index,
                analytic=float(a[worst_index]) if a.size else 0.0,
                numerical=float(n[worst_index]) if n.size else 0.0,
                checked=len(idx),
                size=int(x.size),
            )
        )
    if raise_on_failure and not all(r.passed for r in results):
        bad = [r for r in results if not r.passed]
        lines = [
            f"gradient of {r.name!r} is wrong: relative error {r.rel_error:.2e} >= tol {tol:.0e}; "
            f"worst at index {r.worst_index}: analytic {r.analytic:.6g}, "
            f"numerical {r.numerical:.6g}"
            for r in bad
        ]
        raise GradientCheckError("\n".join(lines) + "\n\n" + report(results, tol), results)
    return results


def check_layer(
    layer,
    x: np.ndarray,
    *,
    rng: np.random.Generator,
    tol: float = LAYER_TOL,
    h: float = 1e-6,
    max_entries: int | None = None,
    forward_kwargs: dict | None = None,
    raise_on_failure: bool = True,
) -> list[TensorCheck]:
    """Gradient-check a layer's input gradient and every parameter gradient.

    ``L = sum(layer.forward(x, **forward_kwargs) * g)`` with ``g`` drawn from ``rng``; the
    analytic gradients come from one ``layer.backward(g)``. Pass fixed random draws through
    ``forward_kwargs`` (Dropout's ``mask``, a VAE's ``eps``), so every forward is the same
    function.

    Parameters
    ----------
    layer : anything with the Layer contract, parameters in float64
    x : ndarray, float64, the input
    rng : np.random.Generator, for the upstream gradient and sampled indices
    """
    rng = check_rng(rng, "check_layer")
    kwargs = forward_kwargs or {}
    x = np.array(x, copy=True)
    _require_float64("input", x)
    y = layer.forward(x, **kwargs)
    g = rng.standard_normal(np.shape(y))
    dx = layer.backward(g.copy())
    analytic = {"input": dx}
    analytic.update({k: v.copy() for k, v in layer.grads.items()})
    tensors = {"input": x}
    tensors.update(layer.params)

    def objective() -> float:
        return float(np.sum(layer.forward(x, **kwargs) * g))

    return check_gradients(
        objective, tensors, analytic, tol=tol, h=h, max_entries=max_entries, rng=rng,
        raise_on_failure=raise_on_failure,
    )


def check_model(model, x: np.ndarray, *, rng: np.random.Generator, tol: float = MODEL_TOL,
                **kwargs) -> list[TensorCheck]:
    """``check_layer`` for a whole model (any Container), with the model tolerance 1e-6."""
    return check_layer(model, x, rng=rng, tol=tol, **kwargs)


def check_loss(
    loss_fn: Callable,
    prediction: np.ndarray,
    target: np.ndarray,
    *,
    tol: float = LAYER_TOL,
    h: float = 1e-6,
    raise_on_failure: bool = True,
    **loss_kwargs,
) -> list[TensorCheck]:
    """Gradient-check ``loss_fn(prediction, target, **loss_kwargs) -> (value, grad, ...)``.

    Checks the gradient with respect to ``prediction`` (the second item returned).
    """
    prediction = np.array(prediction, copy=True)
    value, grad = loss_fn(prediction, target, **loss_kwargs)[:2]
    return check_gradients(
        lambda: float(loss_fn(prediction, target, **loss_kwargs)[0]),
        {"prediction": prediction},
        {"prediction": np.asarray(grad)},
        tol=tol, h=h, raise_on_failure=raise_on_failure,
    )


def report(results: list[TensorCheck], tol: float | None = None) -> str:
    """The per-tensor table a learner reads: passed/failed, error, worst index, values."""
    header = f"{'tensor':<22} {'result':<7} {'rel.error':>10}  {'worst index':<16} " \
             f"{'analytic':>12} {'numerical':>12}"
    lines = [header, "-" * len(header)]
    for r in results:
        sampled = "" if r.checked == r.size else f" ({r.checked}/{r.size} entries)"
        lines.append(
            f"{r.name:<22} {'ok' if r.passed else 'FAILED':<7} {r.rel_error:>10.2e}  "
            f"{str(r.worst_index):<16} {r.analytic:>12.6g} {r.numerical:>12.6g}{sampled}"
        )
    if tol is not None:
        lines.append(f"(pass: relative error < {tol:.0e})")
    return "\n".join(lines)
