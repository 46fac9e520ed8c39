"""Optimizers: SGD (with momentum), RMSprop and Adam, plus two learning-rate schedules.

How an optimizer is used
------------------------
::

    opt = Adam(lr=1e-3)
    out = model.forward(x); value, grad = loss(out, x); model.backward(grad)
    opt.step(model)          # reads model.params / model.grads, updates params in place

``step`` walks ``model.params`` by name. Everything an optimizer remembers between steps
(momentum buffers, running averages, the step count ``t``) lives in ``opt.state[name]``, one
small dict per parameter name (``"encoder.0.W"``). So two parameters never share state, and an
optimizer belongs to one model: give each model its own.

Parameters are updated *in place* (``p -= ...``), never rebound, so any reference to
``model.params["0.W"]`` stays valid (docs/conventions.md). The arithmetic runs in the
parameter's dtype.

Symbols used in every update rule below: ``p`` the parameter, ``g`` its gradient, ``lr`` the
learning rate, ``t`` the step number (1 on the first step). Each rule follows PyTorch
(``torch.optim``), with PyTorch's defaults; where Keras does something different the class
docstring says what, and how to get Keras's behaviour.

Learning-rate schedules
-----------------------
A schedule is any callable ``epoch -> lr`` (epochs counted from 0). ``fit(..., lr_schedule=s)``
sets ``optimizer.lr = s(epoch)`` before each epoch; outside ``fit`` do the same by hand.
``StepLR`` and ``CosineLR`` follow ``torch.optim.lr_scheduler.StepLR`` / ``CosineAnnealingLR``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def _check_nonnegative(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number; got {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0; got {value}")
    return float(value)


def _check_fraction(value, name: str) -> float:
    """A decay rate: a number in [0, 1)."""
    value = _check_nonnegative(value, name)
    if value >= 1.0:
        raise ValueError(f"{name} must be in [0, 1); got {value}")
    return value


class Optimizer:
    """Base class: walks the model's parameters by name and applies ``_update`` to each.

    Attributes
    ----------
    lr : float
        The learning rate. Plain attribute: a schedule may set it between steps.
    state : dict[str, dict]
        Per-parameter memory, keyed by the parameter's dotted name.
    steps : int
        How many times ``step`` has run.
    """

    def __init__(self, lr: float) -> None:
        self.lr = _check_nonnegative(lr, f"{type(self).__name__} lr")
        self.state: dict[str, dict] = {}
        self.steps = 0

    def step(self, model) -> None:
        """Update every array in ``model.params`` in place from ``model.grads``.

        Raises ``KeyError`` if a parameter has no gradient and ``ValueError`` if a gradient's
        shape differs from its parameter's, before anything is updated.
        """
        params, grads = model.params, model.grads
        for name, p in params.items():
            if name not in grads:
                raise KeyError(f"{type(self).__name__}.step: parameter {name!r} has no gradient "
                               f"in model.grads (keys: {sorted(grads)})")
            if np.shape(grads[name]) != p.shape:
                raise ValueError(f"{type(self).__name__}.step: gradient of {name!r} has shape "
                                 f"{np.shape(grads[name])}; expected the parameter's {p.shape}")
        for name, p in params.items():
            state = self.state.get(name)
            if state is None:
                state = self.state[name] = self._init_state(p)
            else:
                for key, value in state.items():
                    if isinstance(value, np.ndarray) and value.shape != p.shape:
                        raise ValueError(
                            f"{type(self).__name__}: state {key!r} of parameter {name!r} has "
                            f"shape {value.shape} but the parameter now has shape {p.shape}; "
                            "use a fresh optimizer for a different model")
            self._update(p, np.asarray(grads[name], dtype=p.dtype), state)
        self.steps += 1

    def _init_state(self, p: np.ndarray) -> dict:
        return {}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    Update rule (``b`` is the momentum buffer, zero before the first step)::

        g = g + weight_decay * p                       (L2 penalty; skipped when 0)
        b = momentum * b + g                           (skipped when momentum == 0)
        g = g + momentum * b   if nesterov,   else  g = b
        p = p - lr * g

    Parameters
    ----------
    lr : float
        Learning rate (PyTorch has no default; neither does minae).
    momentum : float in [0, 1)
        0 gives plain SGD.
    nesterov : bool
        Nesterov momentum; needs ``momentum > 0``.
    weight_decay : float
        L2 penalty coefficient.

    Keras
    -----
    ``keras.optimizers.SGD(learning_rate, momentum, nesterov)`` keeps ``v = momentum*v - lr*g``
    and adds it to ``p``. With a constant learning rate that is ``v = -lr * b``: the same steps.
    (They differ only when ``lr`` changes mid-training.)
    """

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr)
        self.momentum = _check_fraction(momentum, "SGD momentum")
        self.weight_decay = _check_nonnegative(weight_decay, "SGD weight_decay")
        if nesterov and self.momentum == 0:
            raise ValueError("SGD nesterov=True needs momentum > 0; got momentum=0")
        self.nesterov = bool(nesterov)

    def _init_state(self, p: np.ndarray) -> dict:
        return {"b": np.zeros_like(p)} if self.momentum else {}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            b = state["b"]
            b *= self.momentum
            b += g
            g = g + self.momentum * b if self.nesterov else b
        p -= self.lr * g

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, "
                f"weight_decay={self.weight_decay})")


class RMSprop(Optimizer):
    """RMSprop: divide each step by a running root-mean-square of the gradient.

    Update rule (``v`` is the running average of ``g**2``, zero before the first step)::

        g = g + weight_decay * p                       (L2 penalty; skipped when 0)
        v = alpha * v + (1 - alpha) * g**2
        p = p - lr * g / (sqrt(v) + eps)               PyTorch (default)
        p = p - lr * g / sqrt(v + eps)                 Keras   (eps_inside_sqrt=True)

    Parameters
    ----------
    lr, alpha, eps : float
        PyTorch's defaults: ``1e-2``, ``0.99``, ``1e-8``.
    weight_decay : float
        L2 penalty coefficient.
    eps_inside_sqrt : bool
        Put ``eps`` under the square root, as Keras (tf.keras 2 and Keras 3) does.

    Keras
    -----
    ``keras.optimizers.RMSprop`` calls ``alpha`` *rho* and defaults to ``learning_rate=1e-3``,
    ``rho=0.9``, ``epsilon=1e-7``, with ``eps`` inside the square root. ``RMSprop.keras()``
    builds exactly that. The two placements differ most on the first steps, where ``v`` is
    tiny: ``sqrt(v + 1e-7)`` is at least ``3.2e-4``, while ``sqrt(v) + 1e-8`` can be ~1e-8.
    (PyTorch's and Keras's ``momentum`` and ``centered`` options are not implemented.)
    """

    def __init__(self, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, eps_inside_sqrt: bool = False) -> None:
        super().__init__(lr)
        self.alpha = _check_fraction(alpha, "RMSprop alpha")
        self.eps = _check_nonnegative(eps, "RMSprop eps")
        self.weight_decay = _check_nonnegative(weight_decay, "RMSprop weight_decay")
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

    @classmethod
    def keras(cls, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-7) -> RMSprop:
        """Keras's RMSprop: ``RMSprop(lr, alpha=rho, eps=eps, eps_inside_sqrt=True)``."""
        return cls(lr=lr, alpha=rho, eps=eps, eps_inside_sqrt=True)

    def _init_state(self, p: np.ndarray) -> dict:
        return {"v": np.zeros_like(p)}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * p
        v = state["v"]
        v *= self.alpha
        v += (1.0 - self.alpha) * g**2
        if self.eps_inside_sqrt:
            p -= self.lr * g / np.sqrt(v + self.eps)
        else:
            p -= self.lr * g / (np.sqrt(v) + self.eps)

    def __repr__(self) -> str:
        return (f"RMSprop(lr={self.lr}, alpha={self.alpha}, eps={self.eps}, "
                f"weight_decay={self.weight_decay}, eps_inside_sqrt={self.eps_inside_sqrt})")


class Adam(Optimizer):
    """Adam: momentum on the gradient and RMSprop's scaling, both bias-corrected.

    Update rule (``m`` and ``v`` are zero before the first step; ``t`` counts this
    parameter's steps, from 1)::

        g = g + weight_decay * p                       (L2 penalty, as torch.optim.Adam; not AdamW)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)                     (bias correction: m, v start at 0)
        v_hat = v / (1 - beta2**t)
        e = eps / sqrt(1 - beta2**t)   if eps_hat,   else  e = eps
        p = p - lr * m_hat / (sqrt(v_hat) + e)

    On the first step ``m_hat = g`` and ``v_hat = g**2``, so every parameter moves by about
    ``lr * sign(g)``, whatever the gradient's scale.

    Parameters
    ----------
    lr, betas, eps : PyTorch's defaults ``1e-3``, ``(0.9, 0.999)``, ``1e-8``.
    weight_decay : float
        L2 penalty added to the gradient (``torch.optim.Adam``'s meaning).
    eps_hat : bool
        Keras's placement of ``eps``: added to ``sqrt(v)`` before the bias correction.

    Keras
    -----
    ``keras.optimizers.Adam`` defaults to ``epsilon=1e-7`` and computes
    ``p -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps)``, the "epsilon hat"
    form of Kingma & Ba's paper, which is the rule above with ``eps_hat=True``.
    ``Adam.keras()`` builds that. Keras's ``weight_decay`` is decoupled (AdamW-style), not L2;
    it is not implemented here.
    """

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, eps_hat: bool = False) -> None:
        super().__init__(lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam betas must be a pair (beta1, beta2); got {betas!r}")
        self.beta1 = _check_fraction(betas[0], "Adam betas[0]")
        self.beta2 = _check_fraction(betas[1], "Adam betas[1]")
        self.eps = _check_nonnegative(eps, "Adam eps")
        self.weight_decay = _check_nonnegative(weight_decay, "Adam weight_decay")
        self.eps_hat = bool(eps_hat)

    @classmethod
    def keras(cls, lr: float = 1e-3, beta_1: float = 0.9, beta_2: float = 0.999,
              eps: float = 1e-7) -> Adam:
        """Keras's Adam with Keras's defaults (``eps=1e-7``, ``eps_hat=True``)."""
        return cls(lr=lr, betas=(beta_1, beta_2), eps=eps, eps_hat=True)

    def _init_state(self, p: np.ndarray) -> dict:
        return {"t": 0, "m": np.zeros_like(p), "v": np.zeros_like(p)}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        beta1, beta2 = self.beta1, self.beta2
        if self.weight_decay:
            g = g + self.weight_decay * p
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        # EXERCISE adam_step: update m and v in place, then compute m_hat and v_hat
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * g**2
        m_hat = m / (1.0 - beta1**t)
        v_hat = v / (1.0 - beta2**t)
        # END EXERCISE
        e = self.eps / math.sqrt(1.0 - beta2**t) if self.eps_hat else self.eps
        # EXERCISE adam_step: update the parameter p in place
        p -= self.lr * m_hat / (np.sqrt(v_hat) + e)
        # END EXERCISE

    def __repr__(self) -> str:
        return (f"Adam(lr={self.lr}, betas=({self.beta1}, {self.beta2}), eps={self.eps}, "
                f"weight_decay={self.weight_decay}, eps_hat={self.eps_hat})")


@dataclass(frozen=True)
class StepLR:
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    ``lr(epoch) = lr * gamma ** (epoch // step_size)``, epochs counted from 0
    (``torch.optim.lr_scheduler.StepLR``).
    """

    lr: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        _check_nonnegative(self.lr, "StepLR lr")
        _check_nonnegative(self.gamma, "StepLR gamma")
        if isinstance(self.step_size, bool) or not isinstance(self.step_size, int) \
                or self.step_size <= 0:
            raise ValueError(f"StepLR step_size must be a positive integer; got {self.step_size!r}")

    def __call__(self, epoch: int) -> float:
        return self.lr * self.gamma ** (epoch // self.step_size)


@dataclass(frozen=True)
class CosineLR:
    """Anneal the learning rate from ``lr`` to ``lr_min`` along half a cosine over ``epochs``.

    ``lr(epoch) = lr_min + (lr - lr_min) * (1 + cos(pi * epoch / epochs)) / 2``, epochs counted
    from 0; it stays at ``lr_min`` after ``epochs`` (``CosineAnnealingLR`` without restarts).
    """

    lr: float
    epochs: int
    lr_min: float = 0.0

    def __post_init__(self) -> None:
        _check_nonnegative(self.lr, "CosineLR lr")
        _check_nonnegative(self.lr_min, "CosineLR lr_min")
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs <= 0:
            raise ValueError(f"CosineLR epochs must be a positive integer; got {self.epochs!r}")

    def __call__(self, epoch: int) -> float:
        frac = min(epoch, self.epochs) / self.epochs
        return self.lr_min + (self.lr - self.lr_min) * (1.0 + math.cos(math.pi * frac)) / 2.0
