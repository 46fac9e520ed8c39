"""The checker: run a learner's exercise file, compare it with the truth, say what is wrong.

For each exercise (see ``catalogue.py``) the checker

1. imports the learner's file (a syntax error or a failing import is one clear line);
2. runs it on a few seeded cases, in float64, with random upstream gradients;
3. compares every output with the truth: a gradient with the central-difference gradient of
   minae's *own* forward (so a slip in your forward cannot hide a right backward, or the
   reverse), a forward value or an optimizer step with minae's value. The relative error is
   ``max|yours - expected| / max(1e-12, max|yours| + max|expected|)`` (DESIGN.md's max-norm
   form); a tensor passes below ``1e-7``;
4. for a failure, names the mistake: it builds each known mistake (a mutant of the solution,
   see ``catalogue.Mistake``) and runs it on the same cases; when your numbers match a mutant's,
   that is the diagnosis. Otherwise it describes the pattern of the error (a constant factor,
   a flipped sign, a transpose, zeros where there should be none, errors only at the borders).

An exception in the learner's code is reported as one line (type, message, the line of the
learner's file), and ``NotImplementedError`` as "not started".
"""

from __future__ import annotations

import importlib.util
import linecache
import sys
import traceback
import types
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from minae.exercises import markers
from minae.exercises.catalogue import EXERCISES, Case, Exercise, LearnerError
from minae.gradcheck import relative_error

ERROR = "!error"  # key of the outputs dict that records the exception a run raised
TOL = 1e-7  # pass: relative error below this (DESIGN.md's layer tolerance)
MATCH_TOL = 1e-6  # a learner's output "is" a mutant's when this close
DISTINCT_TOL = 1e-4  # a mutant only explains a tensor it really changes


# --- results ----------------------------------------------------------------------------------

@dataclass
class ErrorInfo:
    """An exception from the learner's code, boiled down to one line."""

    kind: str
    message: str
    where: str  # "dense.py, line 57: self.grads['W'] = ..." or ""
    not_started: bool = False

    def line(self) -> str:
        where = f" at {self.where}" if self.where else ""
        return f"{self.kind}{where}: {self.message}" if self.kind else self.message


@dataclass
class Row:
    name: str
    kind: str  # "numerical" | "minae"
    passed: bool
    rel_error: float | None = None
    worst_index: tuple | None = None
    yours: float | None = None
    expected: float | None = None
    problem: str = ""


@dataclass
class CaseResult:
    index: int
    label: str
    rows: list[Row]
    error: ErrorInfo | None = None


@dataclass
class CheckResult:
    exercise: Exercise
    path: str
    status: str  # "passing" | "failing" | "not started" | "broken"
    cases: list[CaseResult] = field(default_factory=list)
    diagnosis: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passing"


# --- loading code -----------------------------------------------------------------------------

def _error_info(exc: BaseException, filename: str | None) -> ErrorInfo:
    """One line for an exception: the innermost frame in ``filename`` says where."""
    if isinstance(exc, NotImplementedError):
        return ErrorInfo("", "not started (a TODO still raises NotImplementedError)", "", True)
    if isinstance(exc, LearnerError):
        return ErrorInfo("", str(exc), "")
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        text = (exc.text or "").strip()
        where = f"{Path(filename).name}, line {exc.lineno}" + (f": {text}" if text else "")
        return ErrorInfo(type(exc).__name__, exc.msg, where)
    if filename:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        if frames:
            f = frames[-1]
            text = (f.line or linecache.getline(filename, f.lineno)).strip()
            where = f"{Path(filename).name}, line {f.lineno}" + (f": {text}" if text else "")
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else "(no message)"
    return ErrorInfo(type(exc).__name__, message, where)


def load_file(path: str | Path, name: str) -> tuple[types.ModuleType | None, ErrorInfo | None]:
    """Import a learner's file as a fresh module (never cached, never added to sys.modules)."""
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
        return None, _error_info(exc, str(path))
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
    for old, new in mistake.edits:
        count = text.count(old)
        if count != 1:
            raise ValueError(f"mistake {mistake.name!r} of exercise {ex.name!r}: {old!r} occurs "
                             f"{count} times in the solution source; it must occur once")
        text = text.replace(old, new)
    return text


@cache
def _solution_module(name: str) -> types.ModuleType:
    ex = EXERCISES[name]
    return module_from_source(markers.render(ex.piece(), "solution"), f"solution_{name}")


@cache
def _mutant_module(name: str, index: int) -> types.ModuleType:
    ex = EXERCISES[name]
    return module_from_source(mutant_source(ex, ex.mistakes[index]), f"mutant_{name}_{index}")


@cache
def _cases(name: str, seed: int) -> list[Case]:
    return EXERCISES[name].cases(seed)


@cache
def _expected(name: str, seed: int, index: int) -> dict:
    return EXERCISES[name].expected(_cases(name, seed)[index])


def run_case(ex: Exercise, mod, case: Case, filename: str | None):
    """Run a module's code on a case: (outputs so far, ErrorInfo or None)."""
    out: dict = {}
    try:
        with np.errstate(all="ignore"):
            ex.run(mod, case, out)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        info = _error_info(exc, filename)
        out[ERROR] = f"{info.kind}: {info.message}"
        return out, info
    return out, None


@cache
def _learner_module(name: str) -> types.ModuleType:
    ex = EXERCISES[name]
    return module_from_source(markers.render(ex.piece(), "learner"), f"learner_{name}")


SOLUTION, LEARNER = -1, -2


@cache
def _reference_outputs(name: str, seed: int, which: int) -> list[dict]:
    """Outputs on every case of the solution (``SOLUTION``), the untouched learner version
    (``LEARNER``) or mutant number ``which``."""
    ex = EXERCISES[name]
    mod = {SOLUTION: _solution_module, LEARNER: _learner_module}.get(
        which, lambda n: _mutant_module(n, which))(name)
    return [run_case(ex, mod, c, None)[0] for c in _cases(name, seed)]


# --- comparing --------------------------------------------------------------------------------

def _as_array(value) -> np.ndarray | None:
    if value is None:
        return None
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return a


def compare(name: str, kind: str, yours, expected: np.ndarray) -> Row:
    if yours is None:
        return Row(name, kind, False, problem="is None (not returned or not stored?)")
    a = _as_array(yours)
    if a is None:
        return Row(name, kind, False, problem=f"is a {type(yours).__name__}, not an array")
    if a.shape != expected.shape:
        return Row(name, kind, False, problem=f"has shape {a.shape}; expected {expected.shape}")
    if not np.all(np.isfinite(a)):
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        return Row(name, kind, False, problem=f"has {bad} NaN or inf value(s)")
    err = relative_error(a, expected)
    worst = np.unravel_index(int(np.argmax(np.abs(a - expected))), a.shape) if a.size else ()
    worst = tuple(int(i) for i in worst)
    return Row(name, kind, bool(err < TOL), err, worst,
               float(a[worst]) if a.size else 0.0, float(expected[worst]) if a.size else 0.0)


def _close(a, b) -> bool:
    a, b = _as_array(a), _as_array(b)
    if a is None or b is None or a.shape != b.shape:
        return False
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb):
        return False
    return relative_error(a[fa], b[fb]) < MATCH_TOL


# --- diagnosis --------------------------------------------------------------------------------

def _matches(tensor: str, learner: list[dict], mutant: list[dict], solution: list[dict]) -> bool:
    """Does the mutant explain the learner's ``tensor`` on every case, and differ from right?

    Case by case, either both computed the tensor and agree, or neither did and both raised
    the same exception (a shape error in a matrix product names the same shapes).
    """
    differs = False
    for lo, mo, so in zip(learner, mutant, solution, strict=True):
        a, m, s = lo.get(tensor), mo.get(tensor), so.get(tensor)
        if (a is None) != (m is None):
            return False
        if a is None:
            if lo.get(ERROR) is None or lo.get(ERROR) != mo.get(ERROR):
                return False
            differs = differs or s is not None
            continue
        if not _close(a, m):
            return False
        if s is None or _far(m, s):
            differs = True
    return differs


def _far(a, b) -> bool:
    a, b = _as_array(a), _as_array(b)
    if a is None or b is None or a.shape != b.shape:
        return True
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return not np.array_equal(np.isfinite(a), np.isfinite(b)) or \
            relative_error(np.nan_to_num(a), np.nan_to_num(b)) > DISTINCT_TOL
    return relative_error(a, b) > DISTINCT_TOL


def describe(a, c, case: Case) -> str:
    """The pattern of a wrong answer ``a`` against the right one ``c``, in words."""
    a = _as_array(a)
    c = np.asarray(c, dtype=np.float64)
    if a is None:
        return "is not an array"
    if a.shape != c.shape:
        if a.ndim == 2 and a.shape == c.shape[::-1] and np.allclose(a.T, c, rtol=1e-5, atol=1e-9):
            return f"is transposed: it has the right numbers in shape {a.shape}; expected " \
                   f"{c.shape}"
        if a.size == c.size and np.allclose(a.reshape(c.shape), c, rtol=1e-5, atol=1e-9):
            return f"has the right numbers in the wrong shape {a.shape}; expected {c.shape}"
        if a.shape == c.shape[1:]:
            return f"has shape {a.shape}, one example's shape, but expected {c.shape}: did you " \
                   "reduce over the batch axis, or take one example?"
        if c.ndim and a.shape[1:] == c.shape[1:] and c.ndim == a.ndim:
            return f"has shape {a.shape}; expected {c.shape}"
        return f"has shape {a.shape}; expected {c.shape} (a gradient has the shape of what it " \
               "is the gradient of)"
    finite = np.isfinite(a)
    if not finite.all():
        return f"has NaN or inf at {int((~finite).sum())} of {a.size} entries (a square root or " \
               "log of a negative number, or a division by zero?)"
    scale = float(np.max(np.abs(c))) if c.size else 0.0
    if scale == 0.0:
        return "should be all zeros"
    if np.max(np.abs(a)) <= 1e-12 * scale:
        return "is all zeros"
    cc = float(np.vdot(c, c))
    k = float(np.vdot(a, c)) / cc
    if relative_error(a, k * c) < MATCH_TOL:
        if abs(k + 1) < 1e-6:
            return "has the sign flipped (it is minus the right answer)"
        named = [f"{label}" for label, v in list(case.factors.items())
                 + [("2 (a factor two)", 2.0), ("1/2 (a factor one half)", 0.5),
                    ("-2", -2.0), ("-1/2", -0.5)]
                 if abs(k - v) < 1e-6 * max(1.0, abs(v))]
        extra = f", that is {named[0]}" if named else ""
        return f"is off by a constant factor: it is {k:.6g} times the right answer{extra}"
    diff = a - c
    shift = float(np.mean(diff))
    if np.max(np.abs(diff - shift)) < MATCH_TOL * scale:
        return f"is off by a constant: every entry is {shift:+.6g} away from the right one"
    wrong = np.abs(diff) > 1e-6 * scale
    nwrong = int(wrong.sum())
    parts = [f"is wrong at {nwrong} of {a.size} entries"]
    if np.all(a[wrong] == 0):
        parts.append("and zero at every one of them, where the right answer is not")
    elif np.all(np.abs(c[wrong]) <= 1e-12 * scale):
        parts.append("all of them where the right answer is zero")
    if c.ndim == 4 and nwrong < a.size:
        h, w = c.shape[2:]
        ii, jj = np.nonzero(wrong.any(axis=(0, 1)))
        band = max(1, min(h, w) // 4)
        if np.all((ii < band) | (ii >= h - band) | (jj < band) | (jj >= w - band)):
            parts.append("all of them near the image's borders (padding, or an off-by-one at "
                         "the edges?)")
    worst = np.unravel_index(int(np.argmax(np.abs(diff))), a.shape)
    worst = tuple(int(i) for i in worst)
    parts.append(f"worst at {worst}: yours {a[worst]:.6g}, expected {c[worst]:.6g}")
    return ", ".join(parts[:-1]) + "; " + parts[-1]


def diagnose(ex: Exercise, seed: int, learner: list[dict], failing: list[str]) -> list[str]:
    """Name the mistake behind each failing tensor, or describe its pattern."""
    solution = _reference_outputs(ex.name, seed, SOLUTION)
    named: dict[int, list[str]] = {}
    unexplained = []
    for tensor in failing:
        hits = [i for i in range(len(ex.mistakes))
                if _matches(tensor, learner, _reference_outputs(ex.name, seed, i), solution)]
        if hits:
            for i in hits:
                named.setdefault(i, []).append(tensor)
        else:
            unexplained.append(tensor)
    lines = []
    for i, tensors in named.items():
        m = ex.mistakes[i]
        which = ", ".join(tensors) if len(tensors) <= 3 else \
            f"{tensors[0]} ... {tensors[-1]} ({len(tensors)} outputs)"
        lines.append(f"{which}: {m.name}. {m.explanation}")
    cases = _cases(ex.name, seed)
    for tensor in unexplained:
        factor = _common_factor(tensor, learner, solution, cases)
        if factor:
            lines.append(f"{tensor} {factor}.")
            continue
        for k, (lo, so) in enumerate(zip(learner, solution, strict=True)):
            a, c = lo.get(tensor), so.get(tensor)
            if tensor in lo and a is None:
                lines.append(f"{tensor} is None (case {k + 1}): nothing was returned or stored "
                             "for it; did you forget a return, or to write it into grads?")
                break
            if a is None or c is None or not _far(a, c):
                continue
            line = f"{tensor} (case {k + 1}: {cases[k].label}) {describe(a, c, cases[k])}."
            right = [str(j + 1) for j, (lj, sj) in enumerate(zip(learner, solution, strict=True))
                     if lj.get(tensor) is not None and sj.get(tensor) is not None
                     and not _far(lj[tensor], sj[tensor])]
            if right:
                line += (f" It is right in case{'s' if len(right) > 1 else ''} "
                         f"{', '.join(right)}: what differs between those cases and this one?")
            lines.append(line)
            break
    return lines


CONSTANTS = {"-1 (the sign is flipped)": -1.0, "2": 2.0, "1/2": 0.5, "-2": -2.0, "-1/2": -0.5}


def _ratio(a, c) -> float | None:
    """k if ``a == k * c`` (to MATCH_TOL), else None."""
    a, c = _as_array(a), np.asarray(c, dtype=np.float64)
    if a is None or a.shape != c.shape or not np.all(np.isfinite(a)):
        return None
    cc = float(np.vdot(c, c))
    if cc == 0.0:
        return None
    k = float(np.vdot(a, c)) / cc
    return k if relative_error(a, k * c) < MATCH_TOL else None


def _common_factor(tensor: str, learner: list[dict], solution: list[dict],
                   cases: list[Case]) -> str:
    """'is k times the right answer' when that holds in every case (k constant or named)."""
    ks, used = [], []
    for lo, so, case in zip(learner, solution, cases, strict=True):
        a, c = lo.get(tensor), so.get(tensor)
        if a is None or c is None:
            continue
        k = _ratio(a, c)
        if k is None:
            return ""
        ks.append(k)
        used.append(case)
    if not ks or all(abs(k - 1) < 1e-6 for k in ks):
        return ""
    if all(abs(k - ks[0]) < 1e-6 * max(1.0, abs(ks[0])) for k in ks):
        named = [n for n, v in CONSTANTS.items() if abs(ks[0] - v) < 1e-6]
        if named and named[0].startswith("-1 "):
            return "has the sign flipped (it is minus the right answer) in every case"
        return f"is off by a constant factor: {ks[0]:.6g} times the right answer in every case"
    for label in used[0].factors:
        if all(label in c.factors and abs(k - c.factors[label]) < 1e-6 * max(1, c.factors[label])
               for k, c in zip(ks, used, strict=True)):
            return f"is off by a factor {label} (it is the right answer times that, in every case)"
    return ""


# --- the check --------------------------------------------------------------------------------

def check_module(ex: Exercise, mod, *, path: str = "", seed: int = 0,
                 filename: str | None = None) -> CheckResult:
    """Check an already loaded module (the learner's, or minae's own, or a mutant)."""
    result = CheckResult(ex, path, "passing")
    outputs = []
    for i, case in enumerate(_cases(ex.name, seed)):
        out, err = run_case(ex, mod, case, filename)
        if err is not None and err.not_started:
            pristine = _reference_outputs(ex.name, seed, LEARNER)[i]
            if set(out) <= set(pristine):  # nothing beyond what the untouched file computes
                return CheckResult(ex, path, "not started", message=err.message)
            err.message = "a TODO still raises NotImplementedError (not finished yet)"
        expected = _expected(ex.name, seed, i)
        rows = []
        for name, (value, kind) in expected.items():
            if name in out:
                row = compare(name, kind, out[name], value)
            else:
                why = "your code raised first" if err is not None else "missing"
                row = Row(name, kind, False, problem=f"not computed ({why})")
            rows.append(row)
        result.cases.append(CaseResult(i + 1, case.label, rows, err))
        outputs.append(out)
    failing = []
    for cr in result.cases:
        for r in cr.rows:
            if not r.passed and r.name not in failing:
                failing.append(r.name)
    if failing or any(cr.error for cr in result.cases):
        result.status = "failing"
        result.diagnosis = diagnose(ex, seed, outputs, failing)
    return result


def check(name: str, path: str | Path, seed: int = 0) -> CheckResult:
    """Load the learner's file for exercise ``name`` and check it."""
    ex = EXERCISES[name]
    path = Path(path)
    if not path.exists():
        return CheckResult(ex, str(path), "broken",
                           message=f"{path} does not exist; run `python -m minae.exercises start` "
                                   "first (or pass --dir)")
    mod, err = load_file(path, name)
    if err is not None:
        status = "not started" if err.not_started else "broken"
        return CheckResult(ex, str(path), status,
                           message=f"your file does not import: {err.line()}")
    return check_module(ex, mod, path=str(path), seed=seed, filename=str(path.resolve()))


# --- printing ---------------------------------------------------------------------------------

def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


def format_result(res: CheckResult, verbose: bool = True) -> str:
    ex = res.exercise
    lines = [f"Exercise {ex.name}: {ex.title}", f"file: {res.path}"]
    if res.status == "not started":
        lines += ["", f"NOT STARTED: {res.message}",
                  f"Fill in the TODO(s) in {Path(res.path).name}; the docstring at the top says "
                  f"what to derive. Stuck? python -m minae.exercises hint {ex.name}"]
        return "\n".join(lines)
    if res.status == "broken":
        lines += ["", f"ERROR: {res.message}"]
        return "\n".join(lines)
    lines += [
        f"{len(res.cases)} seeded cases in float64. 'expected' is the central-difference gradient "
        "of minae's forward",
        "(numerical, h=1e-6) or minae's own value (minae). A tensor passes when its relative "
        "error,",
        f"max|yours - expected| / (max|yours| + max|expected|), is below {TOL:.0e}.",
    ]
    header = f"  {'tensor':<18} {'result':<7} {'rel.error':>9}  {'worst index':<14} " \
             f"{'yours':>12} {'expected':>12}  vs"
    for cr in res.cases:
        lines += ["", f"case {cr.index}: {cr.label}"]
        if cr.error is not None:
            lines.append(f"  your code raised {cr.error.line()}")
        lines.append(header)
        for r in cr.rows:
            result = "ok" if r.passed else "FAILED"
            if r.problem:
                lines.append(f"  {r.name:<18} {result:<7} {r.problem}")
                continue
            lines.append(f"  {r.name:<18} {result:<7} {r.rel_error:>9.2e}  "
                         f"{str(r.worst_index):<14} {_num(r.yours):>12} {_num(r.expected):>12}"
                         f"  {r.kind}")
    if res.passed:
        lines += ["", f"PASSED: every tensor agrees in every case. Now compare your code with "
                      f"{ex.source} ({ex.where})."]
        if ex.next_step:
            lines.append(ex.next_step)
        return "\n".join(lines)
    names = []
    for cr in res.cases:
        for r in cr.rows:
            if not r.passed and r.name not in names:
                names.append(r.name)
    right = [r.name for r in res.cases[0].rows if r.name not in names] if res.cases else []
    lines += ["", "What went wrong"]
    lines += [markers.wrap(d, 96, "    ").replace("    ", "  - ", 1) for d in res.diagnosis] \
        or ["  (no known pattern; see the tables above)"]
    summary = f"FAILED: {', '.join(names)} wrong" if names else "FAILED: your code raised"
    if right:
        summary += f" ({', '.join(right)} right)"
    lines += ["", f"{summary}. Stuck? python -m minae.exercises hint {ex.name}"]
    return "\n".join(lines)
