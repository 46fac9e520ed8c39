"""``compare(model, x)``: the minae model and its PyTorch twin on the same input, side by side.

Both run in float64 on the same ``x`` (and the same ``eps`` for a VAE), in eval mode (so
Dropout is the identity in both), and the table says, for every output and every gradient,
how far apart they are, as the max-norm relative difference of ``minae.gradcheck``::

    rel = max|a - t| / max(1e-12, max|a| + max|t|)        (a: minae's, t: PyTorch's)

Which gradients:

* a layer, a ``Sequential``, an ``AutoEncoder``: the gradient of ``sum(dy * output)`` for a
  random ``dy`` (random, not ones: ones hides errors, e.g. in anything that subtracts a mean),
  by minae's hand-written ``backward(dy)`` and by PyTorch's autograd. Rows: ``output``,
  ``d input`` and ``d <parameter>`` for each parameter.
* a ``VAE`` / ``ConditionalVAE``: its training objective, ``loss(x, eps)`` then
  ``backward()`` in minae, ``loss.backward()`` in PyTorch. Rows: the decoder's ``output``,
  ``z_mean``, ``z_log_sigma``, ``loss``, ``reconstruction``, ``kl``, ``d input`` (both paths:
  through the encoder and as the likelihood's target) and every parameter's gradient.
* an ``AdversarialAutoencoder``: the reconstruction (encoder and decoder, as an
  ``AutoEncoder``), then the discriminator on the encoder's codes (rows ``discriminator.*``).

Float64 only: float32 rounding (about 1e-7) would hide any disagreement smaller than that, so
a float32 model is refused, as the gradient checker refuses it. Build the model with
``dtype=np.float64``. Two correct implementations agree to about 1e-15; the tests ask 1e-10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from minae.adversarial import AdversarialAutoencoder
from minae.gradcheck import relative_error
from minae.layers.base import Layer
from minae.torch_bridge.convert import parameter_names, to_torch
from minae.vae import VAE, ConditionalVAE

TOLERANCE = 1e-10  # what the tests ask of every row (float64)


@dataclass(frozen=True)
class Difference:
    """One row of the comparison: a tensor computed by both frameworks.

    ``rel_difference`` is the max-norm relative difference; ``max_abs`` the largest
    ``|minae - torch|``; ``scale`` the largest ``|minae|``.
    """

    name: str
    shape: tuple
    rel_difference: float
    max_abs: float
    scale: float


def _row(name: str, ours, theirs) -> Difference:
    a = np.asarray(ours, dtype=np.float64)
    t = theirs.detach().cpu().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    t = np.asarray(t, dtype=np.float64).reshape(a.shape)
    gap = float(np.max(np.abs(a - t))) if a.size else 0.0
    return Difference(name, a.shape, relative_error(a, t), gap,
                      float(np.max(np.abs(a))) if a.size else 0.0)


def _grad(tensor: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(tensor) if tensor.grad is None else tensor.grad


def _parameter_rows(model: Layer, module: torch.nn.Module, prefix: str = "") -> list:
    """``d <name>`` rows: minae's ``model.grads`` against the module's ``.grad``s."""
    tensors = dict(module.named_parameters())
    grads = model.grads
    rows = []
    for name, torch_name, transposed in parameter_names(model):
        theirs = _grad(tensors[torch_name])
        rows.append(_row(f"d {prefix}{name}", grads[name], theirs.T if transposed else theirs))
    return rows


def _leaf(x: np.ndarray) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def _plain(model: Layer, module: torch.nn.Module, x: np.ndarray, rng: np.random.Generator,
           prefix: str = "") -> list:
    """Forward, then backward of ``sum(dy * y)`` for a random ``dy``, in both frameworks."""
    y = model.forward(x)
    dy = rng.standard_normal(y.shape)
    dx = model.backward(dy)
    xt = _leaf(x)
    module.zero_grad(set_to_none=True)
    yt = module(xt)
    yt.backward(torch.from_numpy(dy))
    rows = [_row(f"{prefix}output" if prefix else "output", y, yt)]
    if dx is not None:
        rows.append(_row(f"d {prefix}input", dx, _grad(xt)))
    return rows + _parameter_rows(model, module, prefix)


def _vae(model: VAE, module: torch.nn.Module, x: np.ndarray, labels, eps,
         rng: np.random.Generator) -> list:
    """The VAE's objective (``loss`` + ``backward()``) in both frameworks, the same ``eps``."""
    conditional = isinstance(model, ConditionalVAE)
    if conditional and labels is None:
        raise ValueError("compare: a ConditionalVAE needs labels= (N integer classes)")
    given = (labels,) if conditional else ()
    if eps is None:
        eps = rng.standard_normal((x.shape[0], model.latent_dim))
    out = model.forward(x, *given, eps=eps)
    value, parts = model.loss(x, *given, eps=eps)
    dx = model.backward()
    mu, log_s = model.encode(x, *given)  # after backward: encode overwrites the caches

    xt = _leaf(x)
    torch_given = (torch.as_tensor(np.asarray(labels)),) if conditional else ()
    module.zero_grad(set_to_none=True)
    out_t, mu_t, log_s_t = module(xt, *torch_given, torch.from_numpy(np.asarray(eps)))
    value_t, parts_t = module.objective(xt, out_t, mu_t, log_s_t)
    value_t.backward()
    rows = [_row("output", out, out_t), _row("z_mean", mu, mu_t),
            _row("z_log_sigma", log_s, log_s_t), _row("loss", value, value_t)]
    rows += [_row(k, parts[k], parts_t[k]) for k in ("reconstruction", "kl")]
    return rows + [_row("d input", dx, _grad(xt))] + _parameter_rows(model, module)


def _aae(model: AdversarialAutoencoder, module, x: np.ndarray, labels,
         rng: np.random.Generator) -> list:
    """The reconstruction, then the discriminator on the encoder's codes."""
    if model.n_classes is not None and labels is None:
        raise ValueError("compare: this AdversarialAutoencoder is label-conditioned; pass "
                         "labels=")
    rows = _plain(model.autoencoder, module, x, rng)
    codes = model.autoencoder.encode(x)
    d_in = model.discriminator_input(codes, labels)
    return rows + _plain(model.discriminator, module.discriminator, d_in, rng, "discriminator.")


def compare(model: Layer, x: np.ndarray, *, labels=None, eps: np.ndarray | None = None,
            seed: int = 0) -> list[Difference]:
    """Run ``model`` and ``to_torch(model)`` on ``x``; one ``Difference`` per tensor.

    Parameters
    ----------
    model : a float64 minae layer or model (see the module docstring for which gradients)
    x : ndarray, the model's input, e.g. ``(N, 1, 28, 28)``
    labels : ndarray (N,) of ints, for a ConditionalVAE or a label-conditioned AAE
    eps : ndarray (N, L), a VAE's noise; default drawn from ``seed``
    seed : int, seeds ``eps`` and the random upstream gradients

    Both frameworks run in eval mode; the model's mode is restored afterwards.
    ``report(compare(model, x))`` prints the table.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"compare expected a minae Layer or model; got {type(model).__name__}")
    dtypes = {np.dtype(p.dtype) for p in model.params.values()}
    if dtypes - {np.dtype(np.float64)}:
        raise TypeError(f"compare needs a float64 model (float32 rounding, about 1e-7, would "
                        f"hide smaller differences); got parameters of dtype "
                        f"{sorted(str(d) for d in dtypes)}. Build it with dtype=np.float64")
    x = np.asarray(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    module = to_torch(model).eval()
    was_training = model.training
    model.eval()
    try:
        if isinstance(model, VAE):
            return _vae(model, module, x, labels, eps, rng)
        if isinstance(model, AdversarialAutoencoder):
            return _aae(model, module, x, labels, rng)
        return _plain(model, module, x, rng)
    finally:
        if was_training:
            model.train()


def report(differences: list[Difference], tol: float | None = TOLERANCE) -> str:
    """The table a learner reads: each tensor, its shape, ok/DIFFERS and how far apart."""
    header = (f"{'tensor':<28} {'shape':<18} {'result':<8} {'rel.diff':>9}  "
              f"{'max|diff|':>9}  {'max|minae|':>10}")
    lines = [header, "-" * len(header)]
    for d in differences:
        result = "" if tol is None else ("ok" if d.rel_difference < tol else "DIFFERS")
        lines.append(f"{d.name:<28} {str(d.shape):<18} {result:<8} {d.rel_difference:>9.1e}  "
                     f"{d.max_abs:>9.1e}  {d.scale:>10.3g}")
    if tol is not None:
        lines.append(f"(ok: relative difference < {tol:.0e}; minae's backward vs PyTorch's "
                     "autograd, float64)")
    return "\n".join(lines)
