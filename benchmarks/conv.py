"""Convolution kernels: how fast, against what ceiling, and where the time goes.

    python benchmarks/conv.py                       # full run (~2-3 minutes on 2 cores)
    python benchmarks/conv.py --quick               # a smoke run (~30 s)
    python benchmarks/conv.py --json conv.json --out bench_out
    python benchmarks/conv.py --rev 2a947c3 --rounds 5 --skip-variants   # torch, 2a947c3, here

For the layers of the lesson's two convolutional models (batch 128, float32), each pass
(forward, input gradient, weight gradient) is timed for

* ``plain``: what the layers run without an engine: the taught passes of
  ``minae.kernels.conv`` (whole-batch im2col / col2im, one matrix product);
* ``fast``: what the layers run after ``model.use_engine(FastEngine())``: the engine's rule
  (``minae.engine.choose``) picks a road per pass (flat images for few channels, the flipped
  kernel for far fewer outputs, chunked channels-last otherwise). This is the column the
  headline figures (GFLOP/s, fraction of the ceiling, speed-ups) are about;
* the engine's roads and variants on their own, each an engine configured by its constructor
  settings: ``chunked`` (``minae.engine.chunked`` alone: im2col / col2im a chunk of images at
  a time, one matrix product per chunk, flat col2im rows where the stride is 1), ``flat``
  (``minae.engine.flat`` for all three passes; stride 1 only), ``whole`` (the chunked road
  with one chunk of the whole batch and row-by-row col2im), ``row col2im`` (chunked without
  the flat col2im rows), ``no polyphase`` (the rule without ``minae.engine.polyphase`` for
  strided layers with few channels), ``winograd`` (F(2x2, 3x3), ``minae.engine.winograd``,
  forward and input gradient of the 3x3 stride-1 layers), ``2 threads`` (chunked on each
  half of the batch in two threads, BLAS at one thread each if threadpoolctl is
  importable), ``einsum``
  (``np.tensordot`` on a strided window view of the NCHW input, no layout tricks);
* ``reference``: the plain loops of ``minae.kernels.reference`` on one image and one output
  channel, scaled up per output element (so "speed-up" is per unit of work);
* ``matmul``: the bare NumPy matrix product of the same im2col sizes, ``(M, K) @ (K, F)`` and
  its transposed orientation, whichever is faster, on ready-made contiguous arrays. This is the
  practical ceiling: everything else a convolution does is copying.
* ``torch`` and ``--rev REV``: PyTorch (when importable; never a dependency) and the fast
  passes at an earlier commit, each in a child process, against ``fast`` in alternated rounds
  (``benchmarks/alternated.py``): the forward pass and both gradients of each layer, medians of
  at least ``--rounds`` rounds (default 5); a round during which other processes used more
  than 5% of the CPU is discarded and the count said, up to ``--max-rounds`` tries. Imported
  into the timing process, torch's OpenMP runtime was seen to slow NumPy's matrix products by
  up to 2.7x (vae.c32's weight gradient, 7 -> 19 ms) even with torch itself idle.

Repetitions are interleaved (all variants of one pass, then again) and the best is kept, so a
burst of load from another process hits every variant alike. The table reports milliseconds,
GFLOP/s (``2 * M * K * F`` per pass), the fraction of the matmul ceiling reached, the speed-up
over the loops. Then the peak extra memory of each pass (tracemalloc: NumPy
reports its allocations to it), and a PNG of time against batch size (8 to 512).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks import alternated, machine
from minae.engine import FastEngine, chunked, flat, winograd
from minae.kernels import conv as taught
from minae.kernels import flip
from minae.kernels import reference as ref
from minae.kernels.geometry import effective_size, window_slice
from minae.kernels.im2col import output_shape

# ----------------------------------------------------------------------------------------------
# the layers
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One layer: a convolution ``c_in -> c_out`` (or a transposed one) on ``size x size``."""

    name: str
    model: str
    c_in: int
    c_out: int
    k: int
    size: int
    stride: int = 1
    pad: tuple = (1, 1, 1, 1)  # (top, bottom, left, right), already worked out
    transposed: bool = False

    @property
    def target(self) -> bool:
        """The 40%-of-ceiling target applies to 3x3/4x4 layers with >= 16 channels each side."""
        return self.c_in >= 16 and self.c_out >= 16

    def conv(self):
        """The underlying convolution: ``(x_shape, w_shape)`` of ``conv2d`` (for a transposed
        layer, the convolution it is the adjoint of: its ``y`` is our input)."""
        if not self.transposed:
            return (self.c_in, self.size), (self.c_out, self.c_in, self.k, self.k)
        pt, pb, _, _ = self.pad
        out = (self.size - 1) * self.stride - pt - pb + effective_size(self.k, 1)
        return (self.c_out, out), (self.c_in, self.c_out, self.k, self.k)

    def label(self) -> str:
        kind = "convT" if self.transposed else "conv"
        s = f" s{self.stride}" if self.stride > 1 else ""
        return f"{kind} {self.c_in}->{self.c_out} {self.k}x{self.k}{s} @{self.size}"


SAME3 = (1, 1, 1, 1)
CASES = [
    # the lesson's convolutional autoencoder (Keras: padding="same", one "valid")
    Case("ae.enc1", "conv AE", 1, 16, 3, 28),
    Case("ae.enc2", "conv AE", 16, 8, 3, 14),
    Case("ae.enc3", "conv AE", 8, 8, 3, 7),
    Case("ae.dec1", "conv AE", 8, 8, 3, 4),
    Case("ae.dec2", "conv AE", 8, 8, 3, 8),
    Case("ae.dec3", "conv AE", 8, 16, 3, 16, pad=(0, 0, 0, 0)),
    Case("ae.dec4", "conv AE", 16, 1, 3, 28),
    # a strided convolutional VAE
    Case("vae.enc1", "conv VAE", 1, 32, 4, 28, 2),
    Case("vae.enc2", "conv VAE", 32, 64, 4, 14, 2),
    Case("vae.dec1", "conv VAE", 64, 32, 4, 7, 2, transposed=True),
    Case("vae.dec2", "conv VAE", 32, 1, 4, 14, 2, transposed=True),
    Case("vae.c16", "conv VAE", 16, 16, 3, 28),
    Case("vae.c32", "conv VAE", 32, 32, 3, 14),
    Case("vae.c64", "conv VAE", 64, 64, 3, 7),
]
PASSES = ("forward", "input grad", "weight grad")


class Problem:
    """Arrays for one case at one batch size, and every way of running its three passes.

    Everything is phrased through the underlying convolution ``y = conv(x, w)``; for a
    transposed layer, its forward pass is the convolution's input gradient, its input gradient
    the convolution's forward pass, and its weight gradient the convolution's with x and y
    swapped (see minae/kernels/conv.py).
    """

    def __init__(self, case: Case, batch: int, rng: np.random.Generator):
        self.case = case
        (c, n), w_shape = case.conv()
        s, pad = case.stride, case.pad
        self.hyper = ((s, s), pad, (1, 1))
        self.x = rng.standard_normal((batch, c, n, n), dtype=np.float32)
        self.w = rng.standard_normal(w_shape, dtype=np.float32)
        self.y_shape = output_shape(self.x.shape, self.w.shape, *self.hyper)
        self.dy = rng.standard_normal(self.y_shape, dtype=np.float32)
        N, F, OH, OW = self.y_shape
        self.M, self.K, self.F = N * OH * OW, c * case.k * case.k, F
        self.flops = 2.0 * self.M * self.K * self.F

    # the underlying convolution's three passes, by any implementation ``impl``
    def conv_pass(self, which: str, impl) -> np.ndarray:
        x, w, dy, h = self.x, self.w, self.dy, self.hyper
        if which == "conv forward":
            return impl.forward(x, w, h)
        if which == "conv input grad":
            return impl.input_grad(dy, w, x.shape, h)
        return impl.weight_grad(x, dy, w.shape, h)

    def layer_pass(self, name: str) -> str:
        """Which pass of the underlying convolution computes this pass of the layer."""
        if not self.case.transposed:
            return {"forward": "conv forward", "input grad": "conv input grad",
                    "weight grad": "conv weight grad"}[name]
        return {"forward": "conv input grad", "input grad": "conv forward",
                "weight grad": "conv weight grad"}[name]


# ----------------------------------------------------------------------------------------------
# implementations
# ----------------------------------------------------------------------------------------------

class Plain:
    """The taught passes of minae.kernels.conv: what the layers run without an engine."""

    def forward(self, x, w, h):
        return taught.conv2d_forward(x, w, *h)

    def input_grad(self, dy, w, x_shape, h):
        return taught.conv2d_input_grad(dy, w, x_shape, *h)

    def weight_grad(self, x, dy, w_shape, h):
        return taught.conv2d_weight_grad(x, dy, w_shape[2:], *h)


class Fast:
    """A FastEngine's passes: what the layers run after ``model.use_engine(engine)``."""

    def __init__(self, engine: FastEngine):
        self.engine = engine

    def forward(self, x, w, h):
        return self.engine.conv2d(x, w, *h)

    def input_grad(self, dy, w, x_shape, h):
        return self.engine.conv2d_dx(dy, w, x_shape, *h)

    def weight_grad(self, x, dy, w_shape, h):
        return self.engine.conv2d_dw(x, dy, w_shape[2:], *h)


class Chunked:
    """The engine's chunked road alone, on an engine with the given settings."""

    def __init__(self, engine: FastEngine):
        self.engine = engine

    def forward(self, x, w, h):
        return chunked.forward(self.engine, x, w, *h)

    def input_grad(self, dy, w, x_shape, h):
        return chunked.input_grad(self.engine, dy, w, x_shape, *h)

    def weight_grad(self, x, dy, w_shape, h):
        return chunked.weight_grad(self.engine, x, dy, w_shape[2:], *h)


class Flat:
    """The engine's flat road for every pass (the input gradient by the flip identity)."""

    def __init__(self, engine: FastEngine):
        self.engine = engine

    @staticmethod
    def applies(case: Case) -> bool:
        return case.stride == 1 and not case.transposed

    def forward(self, x, w, h):
        return flat.forward(self.engine, x, w, h[1], h[2])

    def input_grad(self, dy, w, x_shape, h):
        flipped = flip.flip_padding(h[1], w.shape[2:], h[2])
        return flat.forward(self.engine, dy, flip.flip_kernel(w), flipped, h[2])

    def weight_grad(self, x, dy, w_shape, h):
        return flat.weight_grad(self.engine, x, dy, w_shape[2:], h[1], h[2])


class Winograd:
    """The Winograd F(2x2, 3x3) experiment (``minae.engine.winograd``), for 3x3 stride-1
    layers: forward, and the input gradient by the flip identity; the weight gradient is the
    engine's."""

    def __init__(self, engine: FastEngine):
        self.engine = engine

    @staticmethod
    def applies(case: Case) -> bool:
        return case.stride == 1 and case.k == 3 and not case.transposed

    def forward(self, x, w, h):
        return winograd.forward(self.engine, x, w, h[1])

    def input_grad(self, dy, w, x_shape, h):
        flipped = flip.flip_padding(h[1], w.shape[2:], h[2])
        return winograd.forward(self.engine, dy, flip.flip_kernel(w), flipped)

    def weight_grad(self, x, dy, w_shape, h):
        return self.engine.conv2d_dw(x, dy, w_shape[2:], *h)


class TwoThreads:
    """The idea tried and dropped: the chunked road on each half of the batch in two threads
    (NumPy releases the GIL in copies and products), with BLAS limited to one thread per call
    when threadpoolctl is importable (else BLAS keeps its own threads: oversubscribed). The
    two threads share one engine, whose scratch buffers are per thread."""

    def __init__(self, engine: FastEngine):
        self.road = Chunked(engine)
        self.pool = ThreadPoolExecutor(max_workers=2)
        try:
            from threadpoolctl import ThreadpoolController
            self.control = ThreadpoolController()
        except ImportError:
            self.control = None

    def _halves(self, fn, n):
        h = (n + 1) // 2
        limit = (self.control.limit(limits=1, user_api="blas") if self.control
                 else contextlib.nullcontext())
        with limit:
            return [f.result() for f in [self.pool.submit(fn, 0, h), self.pool.submit(fn, h, n)]]

    def forward(self, x, w, h):
        return np.concatenate(self._halves(lambda a, b: self.road.forward(x[a:b], w, h),
                                           len(x)))

    def input_grad(self, dy, w, x_shape, h):
        return np.concatenate(self._halves(
            lambda a, b: self.road.input_grad(dy[a:b], w, (b - a,) + x_shape[1:], h),
            len(dy)))

    def weight_grad(self, x, dy, w_shape, h):
        return sum(self._halves(
            lambda a, b: self.road.weight_grad(x[a:b], dy[a:b], w_shape, h), len(x)))


class Einsum:
    """The obvious vectorisation: a strided window view of the NCHW input and ``tensordot``
    (which copies the view into a matrix itself); col2im by tap, in NCHW."""

    @staticmethod
    def _windows(x, k, h):
        (sh, sw), (pt, pb, pl, pr), _ = h
        xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
        return sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::sh, ::sw]  # N C OH OW k k

    def forward(self, x, w, h):
        y = np.tensordot(self._windows(x, w.shape[2], h), w, axes=([1, 4, 5], [1, 2, 3]))
        return np.ascontiguousarray(y.transpose(0, 3, 1, 2))

    def input_grad(self, dy, w, x_shape, h):
        (sh, sw), (pt, pb, pl, pr), _ = h
        N, C, H, W = x_shape
        OH, OW = dy.shape[2:]
        dcols = np.tensordot(dy, w, axes=([1], [0]))  # (N, OH, OW, C, k, k)
        dxp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=dy.dtype)
        for p in range(w.shape[2]):
            for q in range(w.shape[3]):
                dxp[:, :, window_slice(p, sh, OH), window_slice(q, sw, OW)] += \
                    dcols[..., p, q].transpose(0, 3, 1, 2)
        return dxp[:, :, pt:pt + H, pl:pl + W]

    def weight_grad(self, x, dy, w_shape, h):
        return np.tensordot(dy, self._windows(x, w_shape[2], h), axes=([0, 2, 3], [0, 2, 3]))


# ----------------------------------------------------------------------------------------------
# measuring
# ----------------------------------------------------------------------------------------------

def interleaved_best(funcs: dict, repeats: int) -> dict:
    """Best wall time (seconds) of each function, repetitions interleaved across functions.

    A repetition counts as *clean* when no other process was charged a CPU tick while it ran
    (``cpu_seconds``; ticks are 10 ms, so this filters rather than proves). The best clean
    time is kept when there is one, else the best of all.
    """
    best = {k: float("inf") for k in funcs}
    best_clean = dict(best)
    for f in funcs.values():  # warm-up: buffers, thread pool, caches
        f()
    for _ in range(repeats):
        for k, f in funcs.items():
            all0, ours0 = cpu_seconds()
            t = time.perf_counter()
            f()
            dt = time.perf_counter() - t
            all1, ours1 = cpu_seconds()
            best[k] = min(best[k], dt)
            if (all1 - all0) - (ours1 - ours0) <= 0:
                best_clean[k] = min(best_clean[k], dt)
    return {k: best_clean[k] if best_clean[k] < float("inf") else best[k] for k in funcs}


def matmul_ceiling(p: Problem, which: str, repeats: int) -> float:
    """Best time of the bare matrix product of this pass's sizes (either orientation)."""
    rng = np.random.default_rng(0)
    M, K, F = p.M, p.K, p.F
    dims = {"conv forward": (M, K, F), "conv input grad": (M, F, K),
            "conv weight grad": (K, M, F)}[which]  # (rows, inner, cols)
    a, i, b = dims
    A = rng.standard_normal((a, i), dtype=np.float32)
    B = rng.standard_normal((i, b), dtype=np.float32)
    At, Bt = np.ascontiguousarray(A.T), np.ascontiguousarray(B.T)
    C, Ct = np.empty((a, b), np.float32), np.empty((b, a), np.float32)
    t = interleaved_best({"ab": lambda: np.matmul(A, B, out=C),
                          "ba": lambda: np.matmul(Bt, At, out=Ct)}, repeats)
    return min(t.values())


def reference_time(p: Problem, which: str) -> float:
    """The loops on one image and one output channel, scaled to the whole pass."""
    x, w, h = p.x[:1], p.w[:1], p.hyper
    y = ref.conv2d_reference(x, w, *h)
    dy = np.ones_like(y)
    t = time.perf_counter()
    if which == "conv forward":
        ref.conv2d_reference(x, w, *h)
    elif which == "conv input grad":
        ref.conv2d_input_grad_reference(dy, w, x.shape, *h)
    else:
        ref.conv2d_weight_grad_reference(x, dy, w.shape[2:], *h)
    return (time.perf_counter() - t) * p.x.shape[0] * p.w.shape[0]


def peak_extra_bytes(fn, engine: FastEngine) -> tuple[int, int]:
    """(peak bytes a pass allocates beyond what it returns, bytes it returns).

    The fast engine's scratch buffers are released first, so the peak includes them: this is
    the memory a pass needs, which the engine then keeps for the next call.
    """
    engine.release_scratch()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        now, peak = tracemalloc.get_traced_memory()
        kept = now - base - engine.scratch_bytes()
    finally:
        tracemalloc.stop()
    del out
    return peak - base - kept, kept


def cpu_seconds() -> tuple[float, float]:
    """(CPU seconds used by the whole machine, by this process) so far; Linux, else (0, 0).

    Sampled before and after a run, their difference says how busy *other* processes kept
    the cores: our timings are only clean when that is close to zero.
    """
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        with open("/proc/self/stat") as f:
            mine = f.read().rsplit(")", 1)[1].split()
        hz = os.sysconf("SC_CLK_TCK")
        busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
        return busy / hz, (int(mine[11]) + int(mine[12])) / hz
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0, 0.0


def blas_info() -> str:
    """The BLAS library and its thread count (threadpoolctl if importable, else numpy's config)."""
    try:
        from threadpoolctl import threadpool_info
        libs = [f"{d.get('internal_api')} {d.get('version')} ({d.get('architecture')}), "
                f"{d.get('num_threads')} threads" for d in threadpool_info()
                if d.get("user_api") == "blas"]
        if libs:
            return "; ".join(libs) + " [threadpoolctl]"
    except ImportError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')} (threads: see OPENBLAS_NUM_THREADS, " \
               f"default = cores) [numpy config]"
    except Exception:  # older numpy
        return "unknown (np.show_config() prints it)"


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
        counts = [d["num_threads"] for d in threadpool_info() if d.get("user_api") == "blas"]
        if counts:
            return counts[0]
    except ImportError:
        pass
    return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))


# ----------------------------------------------------------------------------------------------
# the run
# ----------------------------------------------------------------------------------------------

def make_variants(fast: FastEngine) -> dict:
    """Every implementation timed, by column name; ``fast`` is the engine of the "fast" column.
    Each road is configured by an engine's constructor settings, never a module's."""
    return {
        "fast": Fast(fast),
        "plain": Plain(),
        "chunked": Chunked(FastEngine()),
        "flat": Flat(FastEngine()),
        "whole": Chunked(FastEngine(chunk_bytes=2 ** 62, flat_rows_waste=-1.0)),
        "row col2im": Chunked(FastEngine(flat_rows_waste=-1.0)),
        "no polyphase": Fast(FastEngine(polyphase_max_channels=0)),
        "winograd": Winograd(FastEngine()),
        "2 threads": TwoThreads(FastEngine()),
        "einsum": Einsum(),
    }


def run_table(cases, batch: int, repeats: int, variants, rounds: int = 2) -> list[dict]:
    """Every case and pass: NumPy variants, ceiling, loops, memory.

    The NumPy timings go round all the cases ``rounds`` times and keep each figure's best:
    on a shared machine a slow spell can last seconds, longer than one pass's repetitions.
    """
    rng = np.random.default_rng(0)
    problems = [Problem(case, batch, rng) for case in cases]
    best: dict = {}
    for _ in range(rounds):
        for p in problems:
            for layer_pass in PASSES:
                which = p.layer_pass(layer_pass)
                funcs = {name: partial(p.conv_pass, which, impl)
                         for name, impl in variants.items()
                         if getattr(impl, "applies", lambda case: True)(p.case)}
                times = interleaved_best(funcs, repeats)
                times["matmul"] = matmul_ceiling(p, which, repeats)
                old = best.setdefault((p.case.name, layer_pass), times)
                for k, v in times.items():
                    old[k] = min(old[k], v)
    rows = []
    for p in problems:
        for layer_pass in PASSES:
            which = p.layer_pass(layer_pass)
            times = dict(best[(p.case.name, layer_pass)])
            ceiling = times.pop("matmul")
            ref_t = reference_time(p, which)
            t = times["fast"]
            fast = variants["fast"]
            extra, kept = peak_extra_bytes(partial(p.conv_pass, which, fast), fast.engine)
            rows.append({
                "layer": p.case.name, "model": p.case.model, "shape": p.case.label(),
                "pass": layer_pass, "computed_as": which, "target": p.case.target,
                "batch": batch, "M": p.M, "K": p.K, "F": p.F, "gflop": p.flops / 1e9,
                "ms": {k: v * 1e3 for k, v in times.items()},
                "gflops": p.flops / t / 1e9,
                "matmul_ms": ceiling * 1e3, "matmul_gflops": p.flops / ceiling / 1e9,
                "fraction_of_matmul": ceiling / t,
                "reference_ms": ref_t * 1e3, "speedup_over_reference": ref_t / t,
                "peak_extra_bytes": extra, "output_bytes": kept,
                "im2col_bytes": p.M * p.K * 4,
            })
    for row in rows:
        print(_row_line(row), flush=True)
    return rows


def _row_line(r: dict) -> str:
    mark = "*" if r["target"] else " "
    return (f"{r['layer']:<9}{mark}{r['shape']:<24} {r['pass']:<11} {r['ms']['fast']:8.2f} "
            f"{r['gflops']:7.1f} {r['matmul_ms']:8.2f} {r['fraction_of_matmul']:6.0%} "
            f"{r['speedup_over_reference']:9.0f}x {r['ms']['plain']:8.2f}")


HEADER = (f"{'layer':<10}{'shape':<24} {'pass':<11} {'ms':>8} {'GFLOP/s':>7} {'matmul':>8} "
          f"{'%ceil':>6} {'vs loops':>10} {'plain ms':>8}")


def run_scaling(cases, batches, repeats, fast: Fast, rounds: int = 2) -> dict:
    """Forward + both gradients on the fast engine, per batch size, per case (milliseconds).

    Like the table, the sweep goes round ``rounds`` times and keeps each figure's best.
    """
    rng = np.random.default_rng(1)
    problems = {(c.name, b): Problem(c, b, rng) for c in cases for b in batches}
    out = {c.name: {b: float("inf") for b in batches} for c in cases}
    for _ in range(rounds):
        for (name, batch), p in problems.items():
            fns = {ps: partial(p.conv_pass, p.layer_pass(ps), fast) for ps in PASSES}
            t = interleaved_best(fns, repeats)
            out[name][batch] = min(out[name][batch], 1e3 * sum(t.values()))
    base = 32 if 32 in batches else batches[0]
    for name, times in out.items():
        growth = (times[batches[-1]] / batches[-1]) / (times[base] / base)
        print(f"  {name:<9} " + " ".join(f"{b}:{ms:7.2f}" for b, ms in times.items())
              + f"   per-image time at {batches[-1]} / at {base}: {growth:.2f}", flush=True)
    return out


def plot_scaling(scaling: dict, batches, path: str) -> None:
    """Left: time against batch size (log-log). Right: time per image relative to batch 32."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    colors = plt.get_cmap("tab20").colors
    base = 32 if 32 in batches else batches[0]
    for k, (name, times) in enumerate(scaling.items()):
        b = np.array(list(times), float)
        ms = np.array(list(times.values()))
        style = dict(color=colors[k % len(colors)], ms=3, label=name,
                     ls="-" if name.startswith("ae.") else "--")
        ax.loglog(b, ms, marker="o", **style)
        ax2.semilogx(b, (ms / b) / (times[base] / base), marker="o", **style)
    b = np.array(batches, float)
    ax.loglog(b, b / b[0] * 0.5, "k:", lw=1, label="slope 1 (linear)")
    ax.set(xlabel="batch size", ylabel="forward + both gradients (ms)",
           title="time against batch size (float32)")
    ax2.axhline(1.0, color="k", lw=0.8, ls=":")
    ax2.set(xlabel="batch size", ylabel=f"time per image / time per image at {base}",
            title="growth: 1 = linear, above 1 = superlinear")
    ax2.set_ylim(0, max(2.0, ax2.get_ylim()[1]))
    ax.legend(fontsize=7, ncol=2)
    for a in (ax, ax2):
        a.grid(True, which="both", lw=0.3)
        a.set_xticks(batches, [str(v) for v in batches])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def print_plain_against_fast(rows: list[dict]) -> None:
    """Per layer, forward + both gradients: the taught passes (no engine) and the engine."""
    print("\nplain path (the taught passes, no engine) against the fast engine, per layer "
          "(forward + both gradients, ms):")
    for name in dict.fromkeys(r["layer"] for r in rows):
        rs = [r for r in rows if r["layer"] == name]
        plain, fast_ms = (sum(r["ms"][k] for r in rs) for k in ("plain", "fast"))
        print(f"  {name:<9} plain {plain:8.2f}   fast {fast_ms:8.2f}   plain / fast "
              f"{plain / fast_ms:5.2f}")


def print_variants_and_memory(rows: list[dict], names: list[str], batch: int) -> None:
    """The variants table (ms of every column) and each pass's peak extra memory."""
    print("\nvariants (ms; '*' marks layers with >= 16 channels in and out):")
    print(f"{'layer':<10}{'pass':<12}" + "".join(f"{n:>11}" for n in names)
          + f"{'matmul':>10}{'loops':>12}")
    for r in rows:
        print(f"{r['layer']:<9}{'*' if r['target'] else ' '}{r['pass']:<12}"
              + "".join(f"{r['ms'][n]:11.2f}" if n in r["ms"] else f"{'-':>11}"
                        for n in names)
              + f"{r['matmul_ms']:10.2f}{r['reference_ms']:12.0f}")

    print("\npeak extra memory per pass (tracemalloc), batch "
          f"{batch}: scratch and temporaries beyond the returned array, MiB")
    for r in rows:
        if r["pass"] == "forward":
            print(f"  {r['layer']:<9} full im2col would be {r['im2col_bytes'] / 2**20:6.1f} MiB;",
                  end="")
        print(f"  {r['pass']}: {r['peak_extra_bytes'] / 2**20:5.1f}", end="")
        if r["pass"] == "weight grad":
            print(" MiB")


def print_targets(rows: list[dict], against: dict[str, dict]) -> dict:
    """The target layers' fraction of the matmul ceiling (and torch ratio); returns them."""
    summary = {}
    targets = sorted({r["layer"] for r in rows if r["target"]},
                     key=[c.name for c in CASES].index)
    if targets:
        print("\ntarget layers (>= 16 channels in and out): forward + both gradients")
        for name in targets:
            rs = [r for r in rows if r["layer"] == name]
            frac = sum(r["matmul_ms"] for r in rs) / sum(r["ms"]["fast"] for r in rs)
            worst = min(r["fraction_of_matmul"] for r in rs)
            summary[name] = {"fraction_of_matmul": frac, "worst_pass_fraction": worst}
            line = (f"  {name:<9} {rs[0]['shape']:<24} {frac:5.0%} of the matmul ceiling "
                    f"(worst pass {worst:.0%})")
            ratio = against.get(name, {}).get("ratios", {}).get("fast / torch")
            if ratio is not None:
                summary[name]["torch_ratio"] = ratio
                line += f", {ratio:.2f}x torch's time (alternated rounds)"
            print(line)

    return summary


def layer_requests(cases, batch: int) -> dict[str, dict]:
    """``benchmarks/layer_child.py``'s request for each case (its underlying convolution)."""
    out = {}
    for case in cases:
        (c, n), w_shape = case.conv()
        out[case.name] = {"x": [batch, c, n, n], "w": list(w_shape), "stride": case.stride,
                          "pad": list(case.pad), "transposed": case.transposed}
    return out


def print_against(cases, against: dict, rev: str | None) -> None:
    """The alternated table: each layer's forward + both gradients, fast here vs the others."""
    if not against:
        return
    others = [n for n in next(iter(against.values()))["ms"] if n != "fast"]
    print("\nforward + both gradients per layer, alternated rounds (ms, medians; ratios are "
          "medians of per-round ratios):")
    print("| layer | shape | fast ms | " + " | ".join(f"{n} ms" for n in others) + " | "
          + " | ".join(f"fast / {n}" for n in others) + " | rounds |")
    print("|---|---|---|" + "---|" * (2 * len(others) + 1))
    for case in cases:
        r = against[case.name]
        print(f"| {case.name} | {case.label()} | {r['ms']['fast']:.2f} | "
              + " | ".join(f"{r['ms'][n]:.2f}" for n in others) + " | "
              + " | ".join(f"{r['ratios'][f'fast / {n}']:.2f}" for n in others)
              + f" | {r['note']} |")


def parse(argv):
    p = argparse.ArgumentParser(prog="python benchmarks/conv.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer repeats and batch sizes")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON")
    p.add_argument("--out", metavar="DIR", default="benchmark_output",
                   help="where the PNG goes (default: benchmark_output)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--repeats", type=int, default=None,
                   help="best of this many, in each of 2 rounds (default 15)")
    p.add_argument("--only", nargs="+", metavar="LAYER", help="only these layers (e.g. vae.c16)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if importable")
    p.add_argument("--rev", default=None, help="also time the fast passes at this commit")
    p.add_argument("--rounds", type=int, default=5, help="clean alternated rounds wanted")
    p.add_argument("--max-rounds", type=int, default=None, help="cap (default 3 x --rounds)")
    p.add_argument("--skip-variants", action="store_true",
                   help="only the alternated table (no variants, scaling, memory)")
    args = p.parse_args(argv)
    if min(args.batch, args.rounds) < 1:
        p.error("--batch and --rounds must be positive integers")
    args.max_rounds = args.max_rounds or 3 * args.rounds
    return args


def main(argv=None) -> int:
    args = parse(argv)
    repeats = args.repeats or (3 if args.quick else 15)
    cases = [c for c in CASES if not args.only or c.name in args.only]
    batches = [8, 32, 128] if args.quick else [8, 16, 32, 64, 128, 256, 512]
    engine = FastEngine()  # the "fast" column: what model.use_engine(FastEngine()) runs
    variants = make_variants(engine)
    described = machine.describe()
    print(f"minae convolution benchmark: batch {args.batch}, float32; fast engine {engine!r}")
    for line in machine.machine_lines(described):
        print(line)
    with_torch = not args.no_torch and alternated.torch_importable()
    print("torch: " + ("timed in a child process, alternated" if with_torch
                       else "not importable or --no-torch (skipped)"))
    t0, (all0, ours0) = time.perf_counter(), cpu_seconds()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours0 += before.ru_utime + before.ru_stime
    against = {}
    if with_torch or args.rev:
        print(f"\nalternated rounds ({args.rounds} clean wanted, at most {args.max_rounds}):")
        against = alternated.compare_layers(layer_requests(cases, args.batch), args.rev,
                                            with_torch, args.rounds, args.max_rounds,
                                            blas_threads())
        print_against(cases, against, args.rev)
    rows, scaling, summary = [], {}, {}
    if not args.skip_variants:
        rows, scaling, summary = run_variants(args, cases, batches, repeats, variants, against)
    (all1, ours1), cores = cpu_seconds(), os.cpu_count() or 1
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the children, once they ended
    ours1 += children.ru_utime + children.ru_stime
    others = ((all1 - all0) - (ours1 - ours0)) / ((time.perf_counter() - t0) * cores)
    print(f"\nother processes used about {others:.0%} of the cores during the run; total "
          f"{time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": described, "numpy": np.__version__,
                       "engine": {"chunk_bytes": engine.chunk_bytes,
                                  "flat_rows_waste": engine.flat_rows_waste,
                                  "flip_ratio": engine.flip_ratio,
                                  "flat_max_channels": engine.flat_max_channels,
                                  "polyphase_max_channels": engine.polyphase_max_channels,
                                  "batchflat_max_channels": engine.batchflat_max_channels,
                                  "batchflat_max_pixels": engine.batchflat_max_pixels},
                       "rev": args.rev, "alternated": against, "others_cpu_share": others,
                       "batch": args.batch, "repeats": repeats, "rows": rows,
                       "targets": summary,
                       "scaling_ms": {k: {str(b): v for b, v in d.items()}
                                      for k, d in scaling.items()}}, f, indent=1)
        print(f"wrote {args.json}")
    return 0


def run_variants(args, cases, batches, repeats, variants, against):
    """The variants table, the batch-size sweep and its PNG, memory and targets."""
    print(f"\ntime against batch size {batches} (ms, forward + both gradients):")
    scaling = run_scaling(cases, batches, max(3, repeats // 3), variants["fast"],
                          1 if args.quick else 2)
    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(args.out, "conv_batch_scaling.png")
    plot_scaling(scaling, batches, png)
    print(f"wrote {png}")
    print(f"\nbest of {repeats} (interleaved; the best repetition no other process "
          "interrupted):\n" + HEADER)
    rows = run_table(cases, args.batch, repeats, variants, 1 if args.quick else 2)
    print_plain_against_fast(rows)
    print_variants_and_memory(rows, list(variants), args.batch)
    summary = print_targets(rows, against)
    return rows, scaling, summary


if __name__ == "__main__":
    sys.exit(main())
