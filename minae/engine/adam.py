"""FastAdam: Adam's update (``minae.optim.Adam``) a cache-sized piece at a time.

The taught update, ``Adam._update``, is one line per formula::

    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t),   v_hat = v / (1 - beta2**t)
    p = p - lr * m_hat / (sqrt(v_hat) + e)

and NumPy runs each line as passes over the whole array, most of them writing a new temporary
of the parameter's size. For a large layer (the VAE's 784 x 400 weights: 1.25 MB in float32)
that is about fifteen trips through main memory per step, and new temporaries each time.

``FastAdam`` runs *the same operations in the same order* on pieces of ``piece`` elements
(a slice of ``p``, ``g``, ``m`` and ``v`` at a time; two scratch buffers reused for the
temporaries, a third for ``g`` with weight decay), so a piece stays in the CPU's cache
through all of them. Each operation is elementwise, so a piece computes exactly what the
whole array would at those elements: the result is bitwise the same as ``Adam``'s
(``tests/test_engine_adam.py`` checks equality, not closeness). Parameters smaller than a
piece are updated by ``Adam._update`` itself.

Use it where ``Adam`` is used: ``fit(model, x, optimizer=FastAdam(lr=1e-3))``. One step for
the 784-400-20 VAE's 807,700 parameters, ``python benchmarks/optim.py``: see
docs/benchmarks.md (about 3x faster than ``Adam`` there).
"""

from __future__ import annotations

import math

import numpy as np

from minae.optim import Adam

PIECE = 65536  # elements per piece (256 KiB in float32): the best of 16K-256K measured by
# benchmarks/optim.py on the 784-400-20 VAE (1.34 ms a step against Adam's 4.55 ms)


class FastAdam(Adam):
    """``Adam`` (same arguments, same numbers), updated a cache-sized piece at a time.

    Parameters
    ----------
    lr, betas, eps, weight_decay, eps_hat : as ``minae.optim.Adam``
    piece : int
        Elements per piece (default 65536).
    """

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, eps_hat: bool = False,
                 piece: int = PIECE) -> None:
        super().__init__(lr, betas, eps, weight_decay, eps_hat)
        if isinstance(piece, bool) or not isinstance(piece, int) or piece < 1:
            raise ValueError(f"FastAdam piece must be a positive integer; got {piece!r}")
        self.piece = piece

    @classmethod
    def keras(cls, lr: float = 1e-3, beta_1: float = 0.9, beta_2: float = 0.999,
              eps: float = 1e-7) -> FastAdam:
        """Keras's Adam with Keras's defaults (``eps=1e-7``, ``eps_hat=True``)."""
        return cls(lr=lr, betas=(beta_1, beta_2), eps=eps, eps_hat=True)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        if p.size <= self.piece or not (p.flags.c_contiguous and g.flags.c_contiguous):
            super()._update(p, g, state)
            return
        beta1, beta2 = self.beta1, self.beta2
        state["t"] += 1
        t = state["t"]
        c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t  # the same scalars as Adam._update's
        e = self.eps / math.sqrt(c2) if self.eps_hat else self.eps
        flat = [a.reshape(-1) for a in (p, g, state["m"], state["v"])]
        dtype = np.result_type(p, g)
        a_buf, b_buf = np.empty(self.piece, dtype=dtype), np.empty(self.piece, dtype=dtype)
        g_buf = np.empty(self.piece, dtype=dtype) if self.weight_decay else None
        for lo in range(0, p.size, self.piece):
            hi = min(lo + self.piece, p.size)
            pc, gc, m, v = (a[lo:hi] for a in flat)
            a, b = a_buf[:hi - lo], b_buf[:hi - lo]
            if self.weight_decay:  # g = g + weight_decay * p
                np.multiply(self.weight_decay, pc, out=a)
                gc = np.add(gc, a, out=g_buf[:hi - lo])
            m *= beta1  # m = beta1 * m + (1 - beta1) * g
            np.multiply(1.0 - beta1, gc, out=a)
            m += a
            v *= beta2  # v = beta2 * v + (1 - beta2) * g**2
            np.square(gc, out=a)  # what g**2 computes
            np.multiply(1.0 - beta2, a, out=a)
            v += a
            np.divide(m, c1, out=a)  # m_hat
            np.divide(v, c2, out=b)  # v_hat
            np.multiply(self.lr, a, out=a)  # lr * m_hat / (sqrt(v_hat) + e)
            np.sqrt(b, out=b)
            np.add(b, e, out=b)
            np.divide(a, b, out=a)
            pc -= a

    def __repr__(self) -> str:
        return super().__repr__().replace("Adam(", "FastAdam(", 1)[:-1] + \
            f", piece={self.piece})"
