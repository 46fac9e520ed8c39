"""Comparing a result with the right answer, and describing how a wrong one is wrong.

The relative error is ``max|yours - expected| / max(1e-12, max|yours| + max|expected|)`` (the
max-norm form of docs/conventions.md). A tensor passes below ``TOL`` in float64 and below
``TOL32`` in float32, where it is compared with minae's float64 answer and its dtype must be
float32 (a float32 layer that computes in float64 is twice as slow and twice as big).
"""

from __future__ import annotations

import numpy as np

from minae.exercises.results import Row
from minae.exercises.spec import Case
from minae.gradcheck import relative_error

TOL = 1e-7  # pass in float64: relative error below this (docs/conventions.md's layer tolerance)
TOL32 = 1e-4  # pass in float32 (float32 keeps about 7 digits; sums of many terms lose some)
MATCH_TOL = 1e-6  # a learner's output "is" a mutant's when this close
DISTINCT_TOL = 1e-4  # a mutant only explains a tensor it really changes


class Foreign:
    """A result that is not a number (kept as its type's name, so it pickles)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name


def portable(value):
    """A learner's result as something that pickles: an array, None, or a ``Foreign``."""
    if value is None or isinstance(value, np.ndarray):
        return value
    try:
        a = np.asarray(value)
    except Exception:  # any object a learner may return
        return Foreign(type(value).__name__)
    if a.dtype.kind not in "biuf":
        return Foreign(type(value).__name__)
    return value if isinstance(value, (float, int, np.generic)) else a


def as_array(value) -> np.ndarray | None:
    if value is None or isinstance(value, Foreign):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def compare(name: str, kind: str, yours, expected: np.ndarray, dtype=np.float64) -> Row:
    if yours is None:
        return Row(name, kind, False, problem="is None (not returned or not stored?)")
    a = as_array(yours)
    if a is None:
        type_name = yours.type_name if isinstance(yours, Foreign) else type(yours).__name__
        return Row(name, kind, False, problem=f"is a {type_name}, not an array")
    if a.shape != expected.shape:
        return Row(name, kind, False, problem=f"has shape {a.shape}; expected {expected.shape}")
    if not np.all(np.isfinite(a)):
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        return Row(name, kind, False, problem=f"has {bad} NaN or inf value(s) of {a.size}")
    got = getattr(yours, "dtype", None)
    if dtype == np.float32 and expected.ndim and got is not None and got != np.float32:
        return Row(name, kind, False, problem=f"is {got}; expected float32, the dtype of the "
                                              "inputs (did an array default to float64?)")
    err = relative_error(a, expected)
    worst = np.unravel_index(int(np.argmax(np.abs(a - expected))), a.shape) if a.size else ()
    worst = tuple(int(i) for i in worst)
    tol = TOL if dtype == np.float64 else TOL32
    return Row(name, kind, bool(err < tol), err, worst,
               float(a[worst]) if a.size else 0.0, float(expected[worst]) if a.size else 0.0)


def close(a, b) -> bool:
    a, b = as_array(a), as_array(b)
    if a is None or b is None or a.shape != b.shape:
        return False
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb):
        return False
    return relative_error(a[fa], b[fb]) < MATCH_TOL if fa.any() else True


def far(a, b) -> bool:
    a, b = as_array(a), as_array(b)
    if a is None or b is None or a.shape != b.shape:
        return True
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return not np.array_equal(np.isfinite(a), np.isfinite(b)) or \
            relative_error(np.nan_to_num(a), np.nan_to_num(b)) > DISTINCT_TOL
    return relative_error(a, b) > DISTINCT_TOL


def ratio(a, c) -> float | None:
    """k if ``a == k * c`` (to MATCH_TOL) and ``a`` is not all zeros, else None."""
    a, c = as_array(a), np.asarray(c, dtype=np.float64)
    if a is None or a.shape != c.shape or not np.all(np.isfinite(a)) or not np.any(a):
        return None
    cc = float(np.vdot(c, c))
    if cc == 0.0:
        return None
    k = float(np.vdot(a, c)) / cc
    return k if relative_error(a, k * c) < MATCH_TOL else None


def _shape_words(a: np.ndarray, c: np.ndarray) -> str:
    if a.ndim == 2 and a.shape == c.shape[::-1] and np.allclose(a.T, c, rtol=1e-5, atol=1e-9):
        return f"is transposed: it has the right numbers in shape {a.shape}; expected {c.shape}"
    if a.size == c.size and np.allclose(a.reshape(c.shape), c, rtol=1e-5, atol=1e-9):
        return f"has the right numbers in the wrong shape {a.shape}; expected {c.shape}"
    if a.shape == c.shape[1:]:
        return f"has shape {a.shape}, one example's shape, but expected {c.shape}: did you " \
               "reduce over the batch axis, or take one example?"
    if c.ndim and a.shape[1:] == c.shape[1:] and c.ndim == a.ndim:
        return f"has shape {a.shape}; expected {c.shape}"
    return f"has shape {a.shape}; expected {c.shape} (a gradient has the shape of what it is " \
           "the gradient of)"


def describe(a, c, case: Case) -> str:
    """The pattern of a wrong answer ``a`` against the right one ``c``, in words."""
    a = as_array(a)
    c = np.asarray(c, dtype=np.float64)
    if a is None:
        return "is not an array"
    if a.shape != c.shape:
        return _shape_words(a, c)
    finite = np.isfinite(a)
    if not finite.all():
        return f"has NaN or inf at {int((~finite).sum())} of {a.size} entries (an overflow, a " \
               "log of a negative number, or 0/0?)"
    scale = float(np.max(np.abs(c))) if c.size else 0.0
    if scale == 0.0:
        return "should be all zeros"
    if np.max(np.abs(a)) <= 1e-12 * scale:
        return "is all zeros"
    k = ratio(a, c)
    if k is not None:
        if abs(k + 1) < 1e-6:
            return "has the sign flipped (it is minus the right answer)"
        named = [label for label, v in list(case.factors.items())
                 + [("2 (a factor two)", 2.0), ("1/2 (a factor one half)", 0.5),
                    ("-2", -2.0), ("-1/2", -0.5)]
                 if abs(k - v) < 1e-6 * max(1.0, abs(v))]
        extra = f", that is {named[0]}" if named else ""
        return f"is off by a constant factor: it is {k:.6g} times the right answer{extra}"
    diff = a - c
    shift = float(np.mean(diff))
    if np.max(np.abs(diff - shift)) < MATCH_TOL * scale:
        return f"is off by a constant: every entry is {shift:+.6g} away from the right one"
    return _where_wrong(a, c, diff, scale)


def _where_wrong(a, c, diff, scale) -> str:
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
