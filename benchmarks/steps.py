"""One training batch of the lesson's conv autoencoder: layer by layer against fused steps.

    python benchmarks/steps.py                    # one BLAS thread, batch 128, 7 rounds
    python benchmarks/steps.py --threads 2 --split 2 --json steps.json

Times forward + backward of one batch (Fashion-MNIST-sized random images, float32) for

* ``layers``: ``SplitBatch(model, split)`` on the fast engine, every layer on its own (what
  ``benchmarks/quality.py --no-fuse`` trains);
* ``fused``: ``SplitBatch(Fused(model), split)`` (what ``benchmarks/quality.py`` trains:
  ``Conv2D -> ReLU [-> MaxPool2D]`` in the convolution's write, ``Upsample2D -> Conv2D`` as one
  convolution of the small image; ``minae.engine.fused``);

in alternated rounds (``benchmarks/machine.py``: a round during which other processes used
more than 5% of the CPU is discarded, up to a cap), each round the best of ``--repeats``
batches; then the time of each fused step (forward, backward; best of the repeats). Both
contenders skip the first layer's input gradient, as training does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from benchmarks import machine
from minae.autoencoders import conv_autoencoder
from minae.engine import FastEngine, Fused
from minae.engine.parallel import SplitBatch


def contenders(split: int) -> dict:
    def build():
        return conv_autoencoder("keras", rng=np.random.default_rng(0)).use_engine(FastEngine())
    return {"layers": SplitBatch(build(), split), "fused": SplitBatch(Fused(build()), split)}


def best_batch(model, x, dy, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        model.forward(x)
        model.backward(dy)
        times.append(time.perf_counter() - t)
    return min(times)


def step_times(x, repeats: int) -> list[tuple[str, float, float]]:
    """``(step, forward ms, backward ms)`` of each step of ``Fused(model)``, best of repeats."""
    fused = Fused(conv_autoencoder("keras", rng=np.random.default_rng(0)).use_engine(
        FastEngine()))
    fwd: dict[int, list] = {}
    bwd: dict[int, list] = {}
    for _ in range(repeats):
        h = x
        for i, s in enumerate(fused.steps):
            t = time.perf_counter()
            h = s.forward(h)
            fwd.setdefault(i, []).append(time.perf_counter() - t)
        g = np.ones_like(h)
        for i in reversed(range(len(fused.steps))):
            t = time.perf_counter()
            g = fused.steps[i].backward(g)
            bwd.setdefault(i, []).append(time.perf_counter() - t)
            if g is None:
                break
    names = [f"{type(s).__name__}: {getattr(s, 'conv', s)!r}" for s in fused.steps]
    return [(n, 1e3 * min(fwd[i]), 1e3 * min(bwd.get(i, [0.0]))) for i, n in enumerate(names)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/steps.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (threadpoolctl)")
    p.add_argument("--split", type=int, default=1, help="SplitBatch threads")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", default=None, metavar="PATH")
    args = p.parse_args(argv)
    if min(args.threads, args.split, args.batch, args.rounds, args.repeats) < 1:
        p.error("--threads, --split, --batch, --rounds and --repeats must be positive")
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    except ImportError:
        print("threadpoolctl is not installed: --threads ignored")
    described = machine.describe()
    for line in machine.machine_lines(described):
        print(line)
    rng = np.random.default_rng(1)
    x = rng.random((args.batch, 1, 28, 28), dtype=np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    models = contenders(args.split)
    for m in models.values():
        best_batch(m, x, dy, 1)  # warm-up: scratch, caches
    runs = {name: (lambda meter, m=m: best_batch(m, x, dy, args.repeats))
            for name, m in models.items()}
    r = machine.alternated_rounds(runs, args.rounds, 3 * args.rounds)
    print(f"\none batch of {args.batch}, forward + backward, {args.threads} BLAS thread(s), "
          f"SplitBatch({args.split}); {r.note()}")
    print(f"  layer by layer {1e3 * r.median('layers'):7.1f} ms   fused "
          f"{1e3 * r.median('fused'):7.1f} ms   layers / fused {r.ratio('layers', 'fused'):.2f}")
    steps = step_times(x, args.repeats)
    print("\nfused steps (ms, best of the repeats; one thread of the split):")
    for name, f, b in steps:
        print(f"  {name:<80.80} forward {f:6.2f}  backward {b:6.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": described, "args": vars(args), "rounds": r.as_dict(),
                       "ratio layers / fused": r.ratio("layers", "fused"),
                       "steps": steps}, fh, indent=2)
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
