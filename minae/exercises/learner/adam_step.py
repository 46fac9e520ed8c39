"""Exercise adam_step: one step of Adam.

Write the core of Adam._update: update the running averages m and v *in place* (they are the
state kept between steps), bias-correct them, and update the parameter p *in place*. The
weight decay, the step count t and the eps placement e are done for you.

The math to derive
------------------
Nothing to differentiate here: implement the rule (Kingma & Ba, as torch.optim.Adam), with t
= 1 on the first step and m, v starting at 0:

    m = beta1 m + (1 - beta1) g
    v = beta2 v + (1 - beta2) g**2
    m_hat = m / (1 - beta1**t)          v_hat = v / (1 - beta2**t)
    p = p - lr m_hat / (sqrt(v_hat) + e)

Why the bias correction: after one step m = (1 - beta1) g, ten times too small; divided by
(1 - beta1**1) it is exactly g. So the first step moves every parameter by about lr.

Shapes
------
p, g, m, v, m_hat, v_hat: all the parameter's shape; t is an int.

How it is checked
-----------------
Not by finite differences (an update rule has nothing to differentiate): your Adam and
minae's run side by side for 4 steps on the same random gradients under 5 settings (default,
tiny gradients where eps matters, weight decay and large eps, Keras's eps_hat, and float32
like the layers' parameters, compared with minae's float64 steps at a float32 tolerance,
dtype checked), and each step's update of p is compared with minae's.

Commands
--------
    python -m minae.exercises check adam_step     # after filling in the TODOs
    python -m minae.exercises hint adam_step      # a nudge; run again for more

Generated from minae/optim.py (Adam._update) by `python -m minae.exercises generate`; edit
your copy, not the one inside the minae package. Read minae's solution, minae/optim.py,
after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import math

import numpy as np

from minae.optim import Optimizer, _check_fraction, _check_nonnegative


class Adam(Optimizer):
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
        # TODO (adam_step): update m and v in place, then compute m_hat and v_hat
        raise NotImplementedError("exercise adam_step not started")
        e = self.eps / math.sqrt(1.0 - beta2**t) if self.eps_hat else self.eps
        # TODO (adam_step): update the parameter p in place
        raise NotImplementedError("exercise adam_step not started")

    def __repr__(self) -> str:
        return (f"Adam(lr={self.lr}, betas=({self.beta1}, {self.beta2}), eps={self.eps}, "
                f"weight_decay={self.weight_decay}, eps_hat={self.eps_hat})")
