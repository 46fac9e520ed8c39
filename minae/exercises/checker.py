"""The checker: run a learner's exercise file, compare it with the truth, say what is wrong.

For each exercise (one spec per file in ``specs/``) the checker

1. imports the learner's file in a child process (``sandbox.py``: a syntax error or a failing
   import is one clear line; a case that runs past its time limit is stopped and the line it
   was on reported);
2. runs it on the exercise's seeded cases: every configuration the library's own function
   accepts, in float64 and (where the layer runs in float32) float32;
3. compares every output with the truth (``compare.py``): a gradient with the
   central-difference gradient of minae's *own* forward, or with minae's own value where a
   difference cannot give the documented answer (at a kink, a tie, on big images); a forward
   value or an optimizer step with minae's value;
4. for a failure, names the mistake (``diagnose.py``).

``report.py`` prints the result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from minae.exercises import running, sandbox
from minae.exercises.compare import compare
from minae.exercises.diagnose import diagnose
from minae.exercises.report import format_result
from minae.exercises.results import CaseResult, CheckResult, ErrorInfo, Row
from minae.exercises.spec import Exercise
from minae.exercises.specs import EXERCISES

__all__ = ["check", "check_module", "evaluate", "format_result"]


def _not_started(refs: running.References, outputs: list[dict],
                 errors: list[ErrorInfo | None]) -> bool:
    """Every case stopped at the exercise's own placeholder, with nothing computed beyond
    what the untouched learner file computes."""
    pristine = refs.outputs(running.LEARNER)
    return len(errors) == len(refs.cases) and all(
        e is not None and e.not_started for e in errors) and all(
        set(out) <= set(p) for out, p in zip(outputs, pristine, strict=False))


def _rows(refs: running.References, i: int, out: dict, err: ErrorInfo | None) -> list[Row]:
    rows = []
    for name, (value, kind) in refs.expected(i).items():
        if name in out:
            rows.append(compare(name, kind, out[name], value, refs.cases[i].dtype))
            continue
        why = "see the top" if err is not None and err.missing else \
            "your code raised first" if err is not None else "missing"
        rows.append(Row(name, kind, False, problem=f"not computed ({why})"))
    return rows


def evaluate(refs: running.References, outputs: list[dict], errors: list[ErrorInfo | None],
             path: str = "") -> CheckResult:
    """The verdict on a module's outputs (``outputs[k]``, ``errors[k]``: case k's)."""
    ex = refs.ex
    if _not_started(refs, outputs, errors):
        return CheckResult(ex, path, "not started",
                           message="a TODO still raises NotImplementedError")
    result = CheckResult(ex, path, "passing")
    result.missing = sorted({e.message for e in errors if e is not None and e.missing})
    for i, case in enumerate(refs.cases):
        err = errors[i] if i < len(errors) else None
        if i >= len(outputs):  # never ran: an earlier case did not finish
            rows = [Row(n, k, False, problem="not run (an earlier case did not finish)")
                    for n, (_, k) in refs.expected(i).items()]
        else:
            if err is not None and err.not_started:
                err.message = "a TODO still raises NotImplementedError (not finished yet)"
            rows = _rows(refs, i, outputs[i], err)
        result.cases.append(CaseResult(i + 1, case.label, rows, err, case.dtype.__name__))
    failing = []
    for cr in result.cases:
        for r in cr.rows:
            if not r.passed and r.name not in failing:
                failing.append(r.name)
    if failing or any(cr.error for cr in result.cases):
        result.status = "failing"
        result.diagnosis = diagnose(refs, outputs, failing, errors)
    return result


def check_module(ex: Exercise, mod, *, path: str = "", seed: int = 0,
                 filename: str | None = None,
                 refs: running.References | None = None) -> CheckResult:
    """Check an already loaded, trusted module (minae's own, the solution, or a mutant)."""
    refs = refs or running.References(ex, seed)
    outputs, errors = [], []
    for case in refs.cases:
        out, err = running.run_case(ex, mod, case, filename)
        outputs.append(out)
        errors.append(err)
    return evaluate(refs, outputs, errors, path)


def check(name: str, path: str | Path, seed: int = 0, *, limit: float = sandbox.TIME_LIMIT,
          on_case: Callable[[int, str], None] | None = None) -> CheckResult:
    """Load the learner's file for exercise ``name`` in a child process and check it."""
    ex = EXERCISES[name]
    path = Path(path)
    if not path.exists():
        return CheckResult(ex, str(path), "broken",
                           message=f"{path} does not exist; run `python -m minae.exercises start "
                                   f"{path.parent}` first")
    refs = running.References(ex, seed)
    run = sandbox.run_learner(ex, path, seed, [c.label for c in refs.cases], limit, on_case)
    if run.load_error is not None:
        err = run.load_error
        if err.not_started:
            return CheckResult(ex, str(path), "not started",
                               message=f"your file does not import: {err.line()}")
        prefix = "" if err.timeout else "your file does not import: "
        return CheckResult(ex, str(path), "broken", message=prefix + err.line())
    return evaluate(refs, run.outputs, run.errors, str(path))
