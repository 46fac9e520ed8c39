"""Printing a check's result: a table per case, then what went wrong, in words."""

from __future__ import annotations

from pathlib import Path

from minae.exercises import markers
from minae.exercises.compare import TOL, TOL32
from minae.exercises.lessons import LESSONS
from minae.exercises.results import CheckResult


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


def _header(res: CheckResult) -> list[str]:
    n32 = sum(cr.dtype == "float32" for cr in res.cases)
    dtypes = f"{len(res.cases) - n32} in float64, {n32} in float32" if n32 else "in float64"
    text = (f"{len(res.cases)} seeded cases ({dtypes}). 'expected' is the central-difference "
            "gradient of minae's forward (numerical, h=1e-6) or minae's own value (minae). A "
            "tensor passes when its relative error, max|yours - expected| / (max|yours| + "
            f"max|expected|), is below {TOL:.0e} ({TOL32:.0e} in float32).")
    return markers.wrap(text, 96).splitlines()


def _tables(res: CheckResult) -> list[str]:
    lines = []
    header = f"  {'tensor':<18} {'result':<7} {'rel.error':>9}  {'worst index':<14} " \
             f"{'yours':>12} {'expected':>12}  vs"
    for cr in res.cases:
        lines += ["", f"case {cr.index}: {cr.label}"]
        if cr.error is not None and not cr.error.missing:
            said = cr.error.message if cr.error.timeout else f"your code raised {cr.error.line()}"
            lines.append(f"  {said}")
        lines.append(header)
        for r in cr.rows:
            result = "ok" if r.passed else "FAILED"
            if r.problem:
                lines.append(f"  {r.name:<18} {result:<7} {r.problem}")
                continue
            lines.append(f"  {r.name:<18} {result:<7} {r.rel_error:>9.2e}  "
                         f"{str(r.worst_index):<14} {_num(r.yours):>12} {_num(r.expected):>12}"
                         f"  {r.kind}")
    return lines


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
    for message in res.missing:
        lines += ["", f"MISSING: {message}"]
    lines += _header(res) if not res.missing else ["", *_header(res)]
    lines += _tables(res)
    if res.passed:
        lines += ["", markers.wrap(f"PASSED: every tensor agrees in every case. Now read "
                                   f"minae's solution, {ex.source} ({ex.where}), and compare "
                                   "it with yours.", 96)]
        models = [m for m, names in LESSONS.items() if ex.name in names]
        if models:
            lines.append(f"Your {ex.name} now trains the lesson's model: python -m "
                         f"minae.exercises train {models[0]} --quick")
        if ex.next_step:
            lines.append(markers.wrap(ex.next_step, 96))
        return "\n".join(lines)
    names = []
    for cr in res.cases:
        for r in cr.rows:
            if not r.passed and r.name not in names:
                names.append(r.name)
    right = [r.name for r in res.cases[0].rows if r.name not in names] if res.cases else []
    lines += ["", "What went wrong"]
    said = list(res.missing) + list(res.diagnosis)
    lines += [markers.wrap(d, 96, "    ").replace("    ", "  - ", 1) for d in said] \
        or ["  the tables above show where; no known mistake matches these numbers"]
    summary = f"FAILED: {', '.join(names)} wrong" if names else "FAILED: your code raised"
    if right:
        summary += f" ({', '.join(right)} right)"
    lines += ["", f"{summary}. Stuck? python -m minae.exercises hint {ex.name}"]
    return "\n".join(lines)
