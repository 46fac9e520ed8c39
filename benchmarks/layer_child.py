"""The child process of ``benchmarks/conv.py``'s alternated rounds: one layer's three passes.

    python benchmarks/layer_child.py torch      # PyTorch's conv2d / conv_transpose2d passes
    python benchmarks/layer_child.py minae      # the minae found first on PYTHONPATH

It reads one JSON request a line on stdin::

    {"x": [N, C, H, W], "w": [F, C, KH, KW], "stride": s, "pad": [pt, pb, pl, pr],
     "transposed": false, "reps": 10}

(the *underlying convolution* ``y = conv(x, w)``: a transposed layer's forward pass is its input
gradient, see ``minae/kernels/conv.py``), runs the layer's forward pass and both gradients
``reps`` times, and answers one JSON line: ``{"seconds": per repetition, "cpu": CPU seconds
this process used meanwhile}``, so the parent can tell its own load from other processes'.

``minae`` runs what a layer runs with the fast engine: ``minae.engine.FastEngine``'s passes,
or, in a checkout from before the engine existed (e.g. commit 2a947c3, where the layers called
``minae.kernels.choose`` directly), those. This script does not put the repository on the path
itself: ``benchmarks/conv.py`` starts it with ``PYTHONPATH`` set to the checkout to time.
PyTorch runs in its own process because, imported into the timing process, its OpenMP runtime
was seen to slow NumPy's matrix products by up to 2.7x.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np


def minae_passes():
    """``(forward, input_grad, weight_grad)`` of the underlying convolution, as minae runs them."""
    try:
        from minae.engine import FastEngine
    except ImportError:  # before the engine: the layers called the roads directly
        from minae.kernels import choose

        return choose.conv2d, choose.conv2d_dx, choose.conv2d_dw
    engine = FastEngine()
    return engine.conv2d, engine.conv2d_dx, engine.conv2d_dw


class MinaeLayer:
    def __init__(self, req: dict) -> None:
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal(req["x"], dtype=np.float32)
        self.w = rng.standard_normal(req["w"], dtype=np.float32)
        pt, pb, pl, pr = req["pad"]
        s = req["stride"]
        self.h = ((s, s), (pt, pb, pl, pr), (1, 1))
        self.fwd, self.dx, self.dw = minae_passes()
        self.dy = rng.standard_normal(self.fwd(self.x, self.w, *self.h).shape,
                                      dtype=np.float32)

    def run(self) -> None:
        """The three passes of the layer = the three passes of its underlying convolution."""
        self.fwd(self.x, self.w, *self.h)
        self.dx(self.dy, self.w, self.x.shape, *self.h)
        self.dw(self.x, self.dy, self.w.shape[2:], *self.h)


class TorchLayer:
    def __init__(self, req: dict) -> None:
        import torch

        torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1)))
        self.torch = torch
        rng = np.random.default_rng(0)
        x = torch.from_numpy(rng.standard_normal(req["x"], dtype=np.float32))
        w = torch.from_numpy(rng.standard_normal(req["w"], dtype=np.float32))
        pt, _, pl, _ = req["pad"]
        self.s, self.p, self.transposed = [req["stride"]] * 2, [pt, pl], req["transposed"]
        y = torch.nn.functional.conv2d(x, w, None, self.s, self.p)
        dy = torch.from_numpy(rng.standard_normal(tuple(y.shape), dtype=np.float32))
        # a transposed layer: its input is the convolution's dy, its output the conv's x
        self.inp, self.w, self.grad = (dy, w, x) if self.transposed else (x, w, dy)

    def run(self) -> None:
        F = self.torch.nn.functional
        if self.transposed:
            F.conv_transpose2d(self.inp, self.w, None, self.s, self.p)
        else:
            F.conv2d(self.inp, self.w, None, self.s, self.p)
        self.torch.ops.aten.convolution_backward(
            self.grad, self.inp, self.w, None, self.s, self.p, [1, 1], self.transposed,
            [0, 0], 1, [True, True, False])


def serve(kind: str) -> None:
    make = TorchLayer if kind == "torch" else MinaeLayer
    layers: dict[str, object] = {}
    for line in sys.stdin:
        req = json.loads(line)
        key = json.dumps({k: v for k, v in req.items() if k != "reps"}, sort_keys=True)
        if key not in layers:
            layers[key] = make(req)
            layers[key].run()  # warm-up: buffers, primitives, caches
        layer, reps = layers[key], int(req["reps"])
        cpu, t = time.process_time(), time.perf_counter()
        for _ in range(reps):
            layer.run()
        seconds = (time.perf_counter() - t) / reps
        print(json.dumps({"seconds": seconds, "cpu": time.process_time() - cpu}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("torch", "minae"):
        raise SystemExit("usage: python benchmarks/layer_child.py torch|minae")
    serve(sys.argv[1])
