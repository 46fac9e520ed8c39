"""Loading and running exercise code: the learner's file, the solution and its mutants.

``load_file`` imports a learner's file as a fresh module; ``run_case`` runs a module's code on
one case and boils an exception down to one line (``error_info``). The solution, the untouched
learner version and each planted mistake are built from ``markers.render`` and run on the same
cases (cached per process: they are minae's own code, the same on every call).
"""

from __future__ import annotations

import importlib.util
import linecache
import sys
import traceback
import types
from pathlib import Path

import numpy as np

from minae.exercises import markers, mutate
from minae.exercises.results import ErrorInfo
from minae.exercises.spec import Case, Exercise, LearnerError, MissingName

ERROR = "!error"  # key of the outputs dict that records the exception a run raised


def placeholder(name: str) -> str:
    """The message of the exercise's own ``raise NotImplementedError(...)`` line."""
    return f"exercise {name} not started"


def _where(exc: BaseException, filename: str | None) -> str:
    if not filename:
        return ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    if not frames:
        return ""
    f = frames[-1]
    text = (f.line or linecache.getline(filename, f.lineno)).strip()
    return f"{Path(filename).name}, line {f.lineno}" + (f": {text}" if text else "")


def error_info(exc: BaseException, filename: str | None, name: str = "") -> ErrorInfo:
    """One line for an exception: the innermost frame in ``filename`` says where."""
    if isinstance(exc, NotImplementedError) and str(exc) == placeholder(name):
        return ErrorInfo("", "not started (a TODO still raises NotImplementedError)",
                         _where(exc, filename), not_started=True)
    if isinstance(exc, MissingName):
        return ErrorInfo("", str(exc), "", missing=True)
    if isinstance(exc, LearnerError):
        return ErrorInfo("", str(exc), "")
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        text = (exc.text or "").strip()
        where = f"{Path(filename).name}, line {exc.lineno}" + (f": {text}" if text else "")
        return ErrorInfo(type(exc).__name__, exc.msg, where)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else "(no message)"
    return ErrorInfo(type(exc).__name__, message, _where(exc, filename))


def load_file(path: str | Path, name: str) -> tuple[types.ModuleType | None, ErrorInfo | None]:
    """Import a learner's file as a fresh module (never cached, never left in sys.modules)."""
    path = Path(path).resolve()
    modname = f"minae_learner_{name}"
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    linecache.checkcache(str(path))
    sys.modules[modname] = mod  # dataclasses and friends look their module up while importing
    try:
        spec.loader.exec_module(mod)
    except BaseException as exc:  # anything a learner's file can raise
        if isinstance(exc, KeyboardInterrupt):
            raise
        return None, error_info(exc, str(path), name)
    finally:
        sys.modules.pop(modname, None)
    return mod, None


def module_from_source(text: str, name: str) -> types.ModuleType:
    """Execute generated source as a module (the solution and its mutants)."""
    filename = f"<minae exercise {name}>"
    mod = types.ModuleType(name)
    mod.__file__ = filename
    sys.modules[name] = mod
    try:
        exec(compile(text, filename, "exec"), mod.__dict__)
    finally:
        sys.modules.pop(name, None)
    return mod


def mutant_source(ex: Exercise, mistake) -> str:
    """The solution source with one mistake's edits applied (each edit must match once)."""
    text = markers.render(ex.piece(), "solution")
    return mutate.apply_edits(text, mistake.edits,
                              f"mistake {mistake.name!r} of exercise {ex.name!r}")


def run_case(ex: Exercise, mod, case: Case, filename: str | None):
    """Run a module's code on a case: (outputs so far, ErrorInfo or None)."""
    out: dict = {}
    try:
        with np.errstate(all="ignore"):
            ex.run(mod, case, out)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        info = error_info(exc, filename, ex.name)
        out[ERROR] = f"{info.kind}: {info.message}"
        return out, info
    return out, None


SOLUTION, LEARNER = -1, -2  # ``References.outputs``: the solution, the untouched learner file


class References:
    """minae's side of one check of one exercise, each computed once and kept on the object.

    The cases (from ``seed``), the right answer of each, and the outputs on every case of the
    solution (``SOLUTION``), of the untouched learner file (``LEARNER``) and of each planted
    mistake (its index). A check makes one; tests may share one across many checks.
    """

    def __init__(self, ex: Exercise, seed: int = 0) -> None:
        self.ex, self.seed = ex, seed
        self.cases = ex.cases(seed)
        self._expected: dict[int, dict] = {}
        self._modules: dict[int, types.ModuleType] = {}
        self._outputs: dict[int, list[dict]] = {}

    def expected(self, index: int) -> dict:
        if index not in self._expected:
            with np.errstate(all="ignore"):
                self._expected[index] = self.ex.expected(self.cases[index])
        return self._expected[index]

    def module(self, which: int) -> types.ModuleType:
        """The solution, the untouched learner version or mutant ``which``, as a module."""
        if which not in self._modules:
            ex = self.ex
            if which == SOLUTION:
                text, tag = markers.render(ex.piece(), "solution"), "solution"
            elif which == LEARNER:
                text, tag = markers.render(ex.piece(), "learner"), "learner"
            else:
                text, tag = mutant_source(ex, ex.mistakes[which]), f"mutant_{which}"
            self._modules[which] = module_from_source(text, f"{tag}_{ex.name}")
        return self._modules[which]

    def outputs(self, which: int) -> list[dict]:
        """Outputs on every case of ``module(which)``."""
        if which not in self._outputs:
            mod = self.module(which)
            self._outputs[which] = [run_case(self.ex, mod, c, None)[0] for c in self.cases]
        return self._outputs[which]
