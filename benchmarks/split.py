"""Two parts of a batch at once: in two threads (``SplitBatch``) or two processes
(``SplitProcesses``).

    python benchmarks/split.py                      # 7 clean alternated rounds
    python benchmarks/split.py --rounds 5 --json split.json

Both classes split each batch of the lesson's conv autoencoder in two and run the parts at
the same time; they differ in where (``minae.engine.parallel``, ``minae.engine.processes``).
This script shows why the processes win, in two tables, each from alternated rounds
(``benchmarks/machine.py``: a round during which other processes used more than 5% of the CPU
is discarded):

1. **Scaling.** ``Fused(model)`` forward + backward on 64 images (half a batch), BLAS on one
   thread, seconds per pass:

   * ``alone``: one copy, in this process;
   * ``2 threads``: two copies in two threads at once (the pair's time per pass);
   * ``2 processes``: two child processes of this script at once, each timing its own copy
     (the slower child's time per pass).

   A part that runs as fast beside another as alone scales perfectly: ``2 * alone / time``
   is the speed-up from the second core (2.0 at best).

2. **Whole batches.** A batch of 128, forward + backward, through ``Fused(model)`` on one
   thread, ``SplitBatch(Fused(model), 2)`` and ``SplitProcesses(Fused(model), 2)`` (whose
   worker gets the parameters and sends its gradients back every batch, as in training).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from benchmarks import machine
from minae.autoencoders import conv_autoencoder
from minae.engine import FastEngine, Fused, SplitProcesses
from minae.engine.parallel import SplitBatch, one_blas_thread

HALF = 64


def fused_model():
    return Fused(conv_autoencoder("keras", rng=np.random.default_rng(0)).use_engine(
        FastEngine()))


def images(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return (rng.random((n, 1, 28, 28), dtype=np.float32),
            rng.standard_normal((n, 1, 28, 28)).astype(np.float32))


def passes(model, x, dy, repeats: int) -> float:
    """Seconds per forward + backward, the mean of ``repeats`` after one warm-up."""
    model.forward(x)
    model.backward(dy)
    t = time.perf_counter()
    for _ in range(repeats):
        model.forward(x)
        model.backward(dy)
    return (time.perf_counter() - t) / repeats


# ----------------------------------------------------------------------- 1. scaling
def in_threads(models, x, dy, repeats: int) -> float:
    """Each model in its own thread, all at once: the time per pass of the group."""
    start = threading.Barrier(len(models) + 1)

    def work(m):
        start.wait()
        for _ in range(repeats):
            m.forward(x)
            m.backward(dy)

    threads = [threading.Thread(target=work, args=(m,)) for m in models]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return (time.perf_counter() - t0) / repeats


def in_processes(n: int, repeats: int, meter: machine.CpuMeter) -> float:
    """``n`` child processes at once, each timing its own model: the slowest's time/pass."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    children = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child",
                                  str(repeats)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, env=env)
                for _ in range(n)]
    for c in children:  # every child loaded and warmed up ...
        c.stdout.readline()
    for c in children:  # ... before any starts timing
        c.stdin.write("go\n")
        c.stdin.flush()
    outs = [c.communicate()[0] for c in children]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    meter.child((after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime))
    if any(c.returncode for c in children):
        raise RuntimeError("a child of benchmarks/split.py failed")
    return max(float(out) for out in outs)


def child(repeats: int) -> int:
    """A child of ``in_processes``: load and warm up, say so, wait for "go", then time."""
    x, dy = images(HALF)
    model = fused_model()
    passes(model, x, dy, 2)
    print("ready", flush=True)
    sys.stdin.readline()
    print(passes(model, x, dy, repeats))
    return 0


# ------------------------------------------------------------------------------ main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/split.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--repeats", type=int, default=20, help="passes timed per contender/round")
    p.add_argument("--json", default=None, metavar="PATH")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        return child(args.child)
    if min(args.rounds, args.repeats) < 1:
        p.error("--rounds and --repeats must be positive integers")
    described = machine.describe()
    for line in machine.machine_lines(described):
        print(line)
    limit = one_blas_thread()
    if limit is None:
        p.error("BLAS cannot be held to one thread here (no threadpoolctl, no OpenBLAS): "
                "set OPENBLAS_NUM_THREADS=1 and run again")
    x, dy = images(HALF)
    pair = [fused_model(), fused_model()]
    xb, dyb = images(2 * HALF)
    whole = {"one thread": fused_model(), "SplitBatch(2)": SplitBatch(fused_model(), 2),
             "SplitProcesses(2)": SplitProcesses(fused_model(), 2)}
    print("1. scaling (alone, 2 threads, 2 processes):")
    with limit():
        scaling = machine.alternated_rounds({
            "alone": lambda meter: passes(pair[0], x, dy, args.repeats),
            "2 threads": lambda meter: in_threads(pair, x, dy, args.repeats),
            "2 processes": lambda meter: in_processes(2, args.repeats, meter),
        }, args.rounds, 3 * args.rounds, log=print)
        print("2. whole batches (one thread, SplitBatch(2), SplitProcesses(2)):")
        whole["SplitProcesses(2)"].forward(xb)  # start its worker before timing
        pids = tuple(proc.pid for proc, _ in whole["SplitProcesses(2)"]._workers)
        batches = machine.alternated_rounds(
            {name: (lambda meter, m=m: passes(m, xb, dyb, args.repeats))
             for name, m in whole.items()}, args.rounds, 3 * args.rounds, log=print, pids=pids)
    whole["SplitProcesses(2)"].close()

    alone = scaling.median("alone")
    print(f"\n1. scaling: Fused(conv autoencoder), forward + backward on {HALF} images, one "
          f"BLAS thread; {scaling.note()}")
    print("| contender | ms per pass | speed-up from the second core (2 x alone / time) |")
    print("|---|---|---|")
    for name in ("alone", "2 threads", "2 processes"):
        ms = 1e3 * scaling.median(name)
        gain = "" if name == "alone" else f"{2 * scaling.ratio('alone', name):.2f}"
        print(f"| {name} | {ms:.2f} | {gain} |")
    print(f"\n2. whole batches of {2 * HALF}, forward + backward; {batches.note()}")
    print("| contender | ms per batch | one thread / it |")
    print("|---|---|---|")
    for name in whole:
        print(f"| {name} | {1e3 * batches.median(name):.2f} | "
              f"{batches.ratio('one thread', name):.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": described, "args": vars(args), "alone": alone,
                       "scaling": scaling.as_dict(), "batches": batches.as_dict()}, f,
                      indent=2)
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
