"""Layer by layer, in alternated rounds: the fast engine here, at an earlier commit, PyTorch.

``benchmarks/conv.py`` calls ``compare_layers``; each contender is a child process of
``benchmarks/layer_child.py`` that keeps its arrays between requests:

* ``fast``: this checkout's ``FastEngine`` (what ``model.use_engine(FastEngine())`` runs);
* ``REV`` (``--rev``): the same passes at commit ``REV``, from a git worktree in a temporary
  directory (before ``minae.engine`` existed, the layers ran ``minae.kernels.choose``);
* ``torch``: ``conv2d`` / ``conv_transpose2d`` and ``aten.convolution_backward``, same
  threads, when PyTorch is importable (never a dependency).

For each layer, a round asks every contender in turn for the forward pass and both gradients,
repeated until a round lasts about 0.2 s (so that 10 ms CPU ticks can tell a loaded round);
rounds during which other processes used more than 5% of the CPU are discarded (the
children's own CPU, BLAS threads still spinning after a product included, is read from
``/proc`` for all of them, so one contender's spin is not counted as another's load)
(``benchmarks/machine.py``), up to a cap; the ratios are medians over the kept rounds of the
ratio within each round.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

from benchmarks import machine
from benchmarks.compare import ROOT, Worktree

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layer_child.py")
ROUND_SECONDS = 0.2


class Child:
    """A running ``layer_child.py``: ``ask(request) -> {"seconds", "cpu"}``."""

    def __init__(self, kind: str, root: str, threads: int) -> None:
        env = dict(os.environ, PYTHONPATH=root, BENCH_THREADS=str(threads))
        self.proc = subprocess.Popen([sys.executable, CHILD, kind], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)

    def ask(self, request: dict) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark child failed: {self.proc.stderr.read()[-2000:]}")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _contender(child: Child, request: dict):
    def run(meter: machine.CpuMeter) -> float:
        return child.ask(request)["seconds"]  # its CPU: the meter reads every child's pid
    return run


def torch_importable() -> bool:
    done = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    return done.returncode == 0


def compare_layers(requests: dict[str, dict], rev: str | None, with_torch: bool, rounds: int,
                   max_rounds: int, threads: int, log=print) -> dict[str, dict]:
    """``{layer: {"ms": {contender: median}, "ratios": {...}, "note", "rounds"}}``.

    ``requests[layer]`` is ``layer_child.py``'s request without ``reps``.
    """
    tree = Worktree(rev) if rev else None
    roots = {"fast": ROOT}
    if tree:
        roots[rev] = tree.__enter__()
    children = {name: Child("minae", root, threads) for name, root in roots.items()}
    if with_torch:
        children["torch"] = Child("torch", ROOT, threads)
    out = {}
    try:
        for layer, req in requests.items():
            once = children["fast"].ask({**req, "reps": 1})["seconds"]
            reps = max(2, math.ceil(ROUND_SECONDS / max(once, 1e-6)))
            contenders = {n: _contender(c, {**req, "reps": reps}) for n, c in children.items()}
            pids = tuple(c.proc.pid for c in children.values())
            r = machine.alternated_rounds(contenders, rounds, max_rounds, pids=pids)
            ms = {n: 1e3 * r.median(n) for n in children}
            ratios = {f"fast / {n}": r.ratio("fast", n) for n in children if n != "fast"}
            out[layer] = {"ms": ms, "ratios": ratios, "note": r.note(), "reps": reps,
                          "rounds": r.as_dict()}
            log(f"  {layer:<9} " + "  ".join(f"{n} {v:7.2f} ms" for n, v in ms.items())
                + "  " + "  ".join(f"{k} {v:.2f}" for k, v in ratios.items())
                + f"  [{r.note()}]")
    finally:
        for c in children.values():
            c.close()
        if tree:
            tree.__exit__(None, None, None)
    return out
