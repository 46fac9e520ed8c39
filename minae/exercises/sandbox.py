"""Running a learner's file in a child process, with a time limit per case.

The learner's code runs in a child process (``multiprocessing``, so it works the same on
Windows, where there is no ``SIGALRM``). The child reports each case before it runs it (the
parent prints its label, so a hang shows where it is) and its results after; a watchdog thread
in the child notes the line of the learner's file the main thread is on when a case runs past
its limit, reports it and ends the child; the parent kills a child that stops answering
altogether. Ctrl-C reaches the parent only (the child ignores it) and ends the child too.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from minae.exercises import running
from minae.exercises.compare import portable
from minae.exercises.results import ErrorInfo
from minae.exercises.spec import Exercise
from minae.exercises.specs import EXERCISES

TIME_LIMIT = 10.0  # seconds per case: plain Python loops over the biggest case take about 1 s
GRACE = 5.0  # seconds the parent waits beyond the limit before it kills a silent child


@dataclass
class LearnerRun:
    """What the learner's code did: outputs and error per case that ran, or a load error."""

    load_error: ErrorInfo | None = None
    outputs: list[dict] = field(default_factory=list)
    errors: list[ErrorInfo | None] = field(default_factory=list)


def _line_in(frame, filename: str) -> str:
    """``name.py, line 12: text`` for the innermost frame of ``filename`` on the stack."""
    import linecache

    first = None
    while frame is not None:
        code = frame.f_code
        first = first or (code.co_filename, frame.f_lineno)
        if code.co_filename == filename:
            text = linecache.getline(filename, frame.f_lineno).strip()
            return f"{Path(filename).name}, line {frame.f_lineno}" + (f": {text}" if text else "")
        frame = frame.f_back
    return f"{Path(first[0]).name}, line {first[1]}" if first else ""


def _child(conn, name: str, path: str, seed: int, limit: float) -> None:
    ex = EXERCISES[name]  # looked up here: an Exercise holds functions, which do not pickle
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    main = threading.get_ident()
    filename = str(Path(path).resolve())

    def watchdog(index: int) -> None:
        where = _line_in(sys._current_frames().get(main), filename)
        conn.send(("timeout", index, where))
        os._exit(3)

    def guarded(index: int, work):
        timer = threading.Timer(limit, watchdog, args=(index,))
        timer.daemon = True
        timer.start()
        try:
            return work()
        finally:
            timer.cancel()

    mod, err = guarded(0, lambda: running.load_file(path, ex.name))
    conn.send(("loaded", err))
    if err is not None:
        return
    for i, case in enumerate(ex.cases(seed)):
        conn.send(("start", i))
        out, err = guarded(i + 1, lambda c=case: running.run_case(ex, mod, c, filename))
        conn.send(("done", i, {k: portable(v) for k, v in out.items()}, err))
    conn.send(("end",))


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def timed_out(index: int, limit: float, where: str) -> ErrorInfo:
    what = "importing your file" if index == 0 else f"case {index}"
    at = f"; it was at {where}" if where else ""
    return ErrorInfo("", f"{what} did not finish in {limit:g} s{at} (an endless loop?)", "",
                     timeout=True)


def run_learner(ex: Exercise, path: str | Path, seed: int, labels: list[str],
                limit: float = TIME_LIMIT,
                on_case: Callable[[int, str], None] | None = None) -> LearnerRun:
    """Run the learner's file on every case of ``ex`` (``labels``: theirs) in a child process."""
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, ex.name, str(path), seed, limit),
                       daemon=True)
    result = LearnerRun()
    proc.start()
    child.close()
    current = 0
    try:
        while True:
            if not parent.poll(limit + GRACE):
                result.errors.append(timed_out(current, limit, ""))
                break
            try:
                msg = parent.recv()
            except EOFError:
                code = proc.exitcode
                result.errors.append(ErrorInfo("", f"your code ended the checker's process "
                                                   f"(exit code {code}) in case {current}", ""))
                break
            if msg[0] == "loaded":
                result.load_error = msg[1]
                if msg[1] is not None:
                    break
            elif msg[0] == "start":
                current = msg[1] + 1
                if on_case:
                    on_case(current, labels[msg[1]])
            elif msg[0] == "done":
                result.outputs.append(msg[2])
                result.errors.append(msg[3])
            elif msg[0] == "timeout":
                info = timed_out(msg[1], limit, msg[2])
                if msg[1] == 0:
                    result.load_error = info
                else:
                    result.errors.append(info)
                break
            else:
                break
    finally:
        parent.close()
        proc.join(0.5)
        if proc.is_alive():
            proc.kill()
            proc.join()
    return result
