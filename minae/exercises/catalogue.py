"""The exercises, by name (kept for ``from minae.exercises.catalogue import EXERCISES``).

The specs themselves are one file per exercise in ``minae/exercises/specs/``; what an
exercise is, in ``spec.py``.
"""

from minae.exercises.spec import Case, Exercise, LearnerError, Mistake
from minae.exercises.specs import EXERCISES

__all__ = ["EXERCISES", "Case", "Exercise", "LearnerError", "Mistake"]
