"""What machine a benchmark ran on, how busy it was, and timings that survive a busy machine.

Used by ``benchmarks/conv.py``, ``benchmarks/quality.py`` and ``benchmarks/compare.py``::

    python benchmarks/machine.py          # print this machine's description (and --json)

* ``describe()``: CPU model (``/proc/cpuinfo``), cores, BLAS library, its kernel
  (architecture) and threads (threadpoolctl when importable, else OpenBLAS's own
  ``openblas_get_config`` / ``get_num_threads`` through ``minae.engine.blas``, else
  ``numpy.show_config``), NumPy, Python, the load average.
* ``CpuMeter``: CPU seconds used by *other* processes while a block ran (``/proc/stat`` for the
  whole machine, minus this process's own ``/proc/self/stat``, minus any child processes whose
  usage is reported to it). A round during which others used more than 5% of the machine's
  CPU is *loaded*.
* ``alternated_rounds``: run several contenders one after another, round after round; keep the
  rounds in which no contender was loaded, until ``rounds`` clean ones or ``max_rounds`` tries
  (the cap, so that a run on a busy machine ends); medians of the kept rounds, and the count
  of discarded ones, said in the output.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

LOADED = 0.05  # a round is loaded when other processes used more than this share of the CPU


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _openblas_config(path: str) -> str | None:
    import ctypes

    lib = ctypes.CDLL(path)
    for name in ("scipy_openblas_get_config64_", "scipy_openblas_get_config",
                 "openblas_get_config64_", "openblas_get_config"):
        if hasattr(lib, name):
            fn = getattr(lib, name)
            fn.restype = ctypes.c_char_p
            return fn().decode(errors="replace")
    return None


def blas() -> list[dict]:
    """The BLAS libraries loaded: ``{"library", "version", "kernel", "threads", "source"}``."""
    import scipy.linalg  # noqa: F401  (SciPy's BLAS counts too once loaded)

    try:
        from threadpoolctl import threadpool_info
        found = [{"library": d.get("internal_api"), "version": d.get("version"),
                  "kernel": d.get("architecture"), "threads": d.get("num_threads"),
                  "path": d.get("filepath"), "source": "threadpoolctl"}
                 for d in threadpool_info() if d.get("user_api") == "blas"]
        if found:
            return found
    except ImportError:
        pass
    from minae.engine import blas as engine_blas

    found = []
    for lib in engine_blas.openblas_libraries():
        words = (_openblas_config(lib.path) or "").split()  # "OpenBLAS 0.3.30 ... SkylakeX
        kernel = [w for w in words[2:] if w.isalnum() and not w.isupper()]  # MAX_THREADS=64"
        found.append({"library": "openblas", "version": words[1] if len(words) > 1 else None,
                      "kernel": kernel[-1] if kernel else None,
                      "threads": lib.threads, "path": lib.path, "source": "openblas C API"})
    if found:
        return found
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return [{"library": info.get("name"), "version": info.get("version"), "kernel": None,
                 "threads": None, "path": None, "source": "numpy.show_config"}]
    except Exception:  # an older NumPy
        return [{"library": "unknown", "version": None, "kernel": None, "threads": None,
                 "path": None, "source": "np.show_config() prints it"}]


def describe() -> dict:
    """This machine, as a dict (``machine_lines`` prints it)."""
    try:
        load = [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        load = None
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "blas": blas(),
            "numpy": np.__version__, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "load average": load,
            "env threads": {v: os.environ[v] for v in ("OPENBLAS_NUM_THREADS",
                                                       "OMP_NUM_THREADS") if v in os.environ}}


def machine_lines(m: dict) -> list[str]:
    """``describe()``'s dict as a few printable lines."""
    libs = "; ".join(f"{b['library']} {b['version']} (kernel {b['kernel']}), {b['threads']} "
                     f"threads [{b['source']}]" for b in m["blas"])
    return [f"machine: {m['cpu']}, {m['cores']} cores, {m['system']}",
            f"BLAS: {libs}",
            f"numpy {m['numpy']}, python {m['python']}, load average {m['load average']}"
            + (f", {m['env threads']}" if m["env threads"] else "")]


# ---------------------------------------------------------------------------- busy or not
def cpu_seconds() -> tuple[float, float]:
    """(CPU seconds the whole machine has used, this process has used) so far; Linux, else
    (0, 0). This process's own count includes its threads (BLAS's, SplitBatch's)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        with open("/proc/self/stat") as f:
            mine = f.read().rsplit(")", 1)[1].split()
        hz = os.sysconf("SC_CLK_TCK")
        busy = sum(ticks[:3]) + sum(ticks[5:8])  # user nice system, irq softirq steal
        return busy / hz, (int(mine[11]) + int(mine[12])) / hz
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0, 0.0


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds process ``pid`` has used (all its threads), from ``/proc/PID/stat``; 0 if
    it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


class CpuMeter:
    """``with CpuMeter() as m: ...``; then ``m.others`` = the share of the machine's CPU that
    *other* processes used during the block (0.0 to 1.0), ``m.wall`` its seconds.

    Child processes count as ours: an ended one when its CPU seconds are given to ``child()``
    (``benchmarks/compare.py`` reads them from ``getrusage``), a running one when its pid is
    in ``pids`` (read from ``/proc``, all its threads: BLAS threads that keep spinning after a
    product are ours too, even when they spin into another contender's round).
    """

    def __init__(self, pids: tuple[int, ...] = ()) -> None:
        self.wall = self.others = 0.0
        self._child = 0.0
        self.pids = tuple(pids)

    def child(self, cpu: float) -> None:
        self._child += cpu

    def _children(self) -> float:
        return sum(process_cpu_seconds(pid) for pid in self.pids)

    def __enter__(self) -> CpuMeter:
        self._all, self._mine = cpu_seconds()
        self._kids = self._children()
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._t
        everyone, mine = cpu_seconds()
        kids = self._children() - self._kids
        other = (everyone - self._all) - (mine - self._mine) - self._child - kids
        self.others = min(1.0, max(0.0, other) / max(1e-9, self.wall * (os.cpu_count() or 1)))


@dataclass
class Rounds:
    """What ``alternated_rounds`` found: every round's seconds per contender, which were kept."""

    times: dict[str, list[float]] = field(default_factory=dict)  # kept rounds only
    loads: list[dict[str, float]] = field(default_factory=list)  # every round tried
    discarded: int = 0
    capped: bool = False  # max_rounds reached before enough clean rounds: loaded ones kept

    def median(self, name: str) -> float:
        return float(np.median(self.times[name])) if self.times.get(name) else float("nan")

    def ratio(self, a: str, b: str) -> float:
        """Median over the kept rounds of (a's time / b's time) within each round."""
        pairs = [x / y for x, y in zip(self.times.get(a, []), self.times.get(b, []),
                                       strict=True) if y > 0]
        return float(np.median(pairs)) if pairs else float("nan")

    def note(self) -> str:
        kept = len(next(iter(self.times.values()), []))
        loaded = sum(max(load.values()) > LOADED for load in self.loads)
        if not self.capped:
            return (f"{kept} clean rounds kept, {self.discarded} loaded rounds discarded "
                    f"(others > {LOADED:.0%} CPU)")
        return (f"{kept} rounds kept of {len(self.loads)} tried, {loaded} of those tried loaded "
                f"(others > {LOADED:.0%} CPU): the cap was reached, so the least loaded were "
                "kept: a busy machine, figures uncertain")

    def as_dict(self) -> dict:
        return {"times": self.times, "loads": self.loads, "discarded": self.discarded,
                "capped": self.capped, "medians": {k: self.median(k) for k in self.times}}


def alternated_rounds(contenders: dict[str, Callable[[CpuMeter], float | None]], rounds: int,
                      max_rounds: int, log: Callable[[str], object] | None = None,
                      pids: tuple[int, ...] = ()) -> Rounds:
    """Run every contender once per round, in turn; keep the rounds in which none was loaded.

    ``contenders[name](meter)`` runs once inside ``meter`` and returns its seconds (``None``:
    the wall time of the block); ``pids`` are running child processes of ours (see
    ``CpuMeter``). At most ``max_rounds`` rounds are run; if fewer than
    ``rounds`` were clean by then, the ``rounds`` least loaded are kept (``capped``).
    """
    tried: list[tuple[float, dict[str, float]]] = []
    loads: list[dict[str, float]] = []
    clean = 0
    for r in range(max_rounds):
        times, load = {}, {}
        for name, run in contenders.items():
            with CpuMeter(pids) as meter:
                seconds = run(meter)
            times[name] = meter.wall if seconds is None else seconds
            load[name] = round(meter.others, 3)
        worst = max(load.values())
        tried.append((worst, times))
        loads.append(load)
        clean += worst <= LOADED
        if log:
            log(f"  round {r + 1}: " + ", ".join(f"{k} {v:.4g} s" for k, v in times.items())
                + f"; others used {worst:.0%} CPU" + (" (discarded)" if worst > LOADED else ""))
        if clean >= rounds:
            break
    kept = [t for w, t in tried if w <= LOADED]
    capped = len(kept) < rounds
    if capped:
        kept = [t for _, t in sorted(tried, key=lambda wt: wt[0])[:rounds]]
    out = Rounds(loads=loads, discarded=len(tried) - len(kept), capped=capped)
    out.times = {name: [t[name] for t in kept] for name in contenders}
    return out


def main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python benchmarks/machine.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print JSON instead of lines")
    args = p.parse_args(argv)
    m = describe()
    print(json.dumps(m, indent=2) if args.json else "\n".join(machine_lines(m)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
