"""Naming the mistake behind a failing check.

For each failing tensor, every planted mistake of the exercise (a mutant of the solution, see
``mutate.py``) is run on the same cases; when the learner's numbers match a mutant's (and the
mutant really differs from the solution there), the mistake's name and explanation are the
diagnosis. Otherwise the pattern of the error is described (``compare.describe``: all zeros, a
constant factor, a flipped sign, NaN, a wrong shape, errors only at the borders). An exception
the learner's code raised is repeated here, once, with the cases it happened in.
"""

from __future__ import annotations

from minae.exercises import running
from minae.exercises.compare import close, describe, far, ratio
from minae.exercises.results import ErrorInfo
from minae.exercises.spec import Case

CONSTANTS = {"-1 (the sign is flipped)": -1.0, "2": 2.0, "1/2": 0.5, "-2": -2.0, "-1/2": -0.5}


def matches(tensor: str, learner: list[dict], mutant: list[dict], solution: list[dict]) -> bool:
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
            if lo.get(running.ERROR) is None or lo.get(running.ERROR) != mo.get(running.ERROR):
                return False
            differs = differs or s is not None
            continue
        if not close(a, m):
            return False
        if s is None or far(m, s):
            differs = True
    return differs


def common_factor(tensor: str, learner: list[dict], solution: list[dict],
                  cases: list[Case]) -> str:
    """'is k times the right answer' when that holds in every case (k constant or named)."""
    ks, used = [], []
    for lo, so, case in zip(learner, solution, cases, strict=True):
        a, c = lo.get(tensor), so.get(tensor)
        if a is None or c is None:
            continue
        k = ratio(a, c)
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


def _pattern(tensor: str, learner: list[dict], solution: list[dict], cases: list[Case]) -> str:
    factor = common_factor(tensor, learner, solution, cases)
    if factor:
        return f"{tensor} {factor}."
    for k, (lo, so) in enumerate(zip(learner, solution, strict=True)):
        a, c = lo.get(tensor), so.get(tensor)
        if tensor in lo and a is None:
            return (f"{tensor} is None (case {k + 1}): nothing was returned or stored for it; "
                    "did you forget a return, or to write it into grads?")
        if a is None or c is None or not far(a, c):
            continue
        line = f"{tensor} (case {k + 1}: {cases[k].label}) {describe(a, c, cases[k])}."
        right = [str(j + 1) for j, (lj, sj) in enumerate(zip(learner, solution, strict=True))
                 if lj.get(tensor) is not None and sj.get(tensor) is not None
                 and not far(lj[tensor], sj[tensor])]
        if right:
            line += (f" It is right in case{'s' if len(right) > 1 else ''} "
                     f"{', '.join(right)}: what differs between those cases and this one?")
        return line
    return ""


def _raised(errors: list[ErrorInfo | None]) -> list[str]:
    """Each distinct exception, once, with the cases it was raised in."""
    seen: dict[str, list[int]] = {}
    lines = []
    for k, err in enumerate(errors):
        if err is not None and err.timeout:
            lines.append(err.message + ".")
        elif err is not None and not (err.missing or err.not_started):
            seen.setdefault(err.line(), []).append(k + 1)
    for text, ks in seen.items():
        where = f"case {ks[0]}" if len(ks) == 1 else f"cases {', '.join(map(str, ks))}"
        lines.append(f"your code raised {text} (in {where}).")
    return lines


def diagnose(refs: running.References, learner: list[dict], failing: list[str],
             errors: list[ErrorInfo | None]) -> list[str]:
    """Name the mistake behind each failing tensor, or describe its pattern."""
    ex = refs.ex
    solution = refs.outputs(running.SOLUTION)
    learner = learner + [{}] * (len(solution) - len(learner))  # cases that never ran
    named: dict[int, list[str]] = {}
    unexplained = []
    for tensor in failing:
        hits = [i for i in range(len(ex.mistakes))
                if matches(tensor, learner, refs.outputs(i), solution)]
        for i in hits:
            named.setdefault(i, []).append(tensor)
        if not hits:
            unexplained.append(tensor)
    lines = []
    for i, tensors in named.items():
        m = ex.mistakes[i]
        which = ", ".join(tensors) if len(tensors) <= 3 else \
            f"{tensors[0]} ... {tensors[-1]} ({len(tensors)} outputs)"
        lines.append(f"{which}: {m.name}. {m.explanation}")
    lines += _raised(errors)
    cases = refs.cases
    for tensor in unexplained:
        text = _pattern(tensor, learner, solution, cases)
        if text:
            lines.append(text)
    return lines
