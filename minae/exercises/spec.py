"""What an exercise is: where its solution lives, what to tell the learner, how to check it.

An ``Exercise`` (one per file in ``minae/exercises/specs/``) says

* where the solution lives: a library module and the top-level objects the learner's file
  copies (``markers.py`` cuts the marked blocks out of them);
* what to tell the learner: the task, the math to derive, the shapes, three hints (each a
  bigger step than the last). The shapes default to the ``name : shape`` lines of the copied
  functions' own docstrings (``markers.docstring_shapes``), so they are not written twice;
* how to check it: seeded cases (``Case``), how to run a module's code on a case, and what the
  right answer is;
* which mistakes to recognise (``Mistake``: token edits of the solution, see ``mutate.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from minae.exercises.markers import Piece, docstring_shapes, relative_source, wrap


class LearnerError(Exception):
    """The learner's code is not shaped as the exercise expects (a message for the learner)."""


class MissingName(LearnerError):
    """The learner's file lacks a name the exercise calls (said once, at the top)."""


@dataclass(frozen=True)
class Mistake:
    """A common mistake, as edits ``(old, new)`` of the solution source (see ``mutate.py``)."""

    name: str
    explanation: str
    edits: tuple[tuple[str, str], ...]


@dataclass
class Case:
    """One seeded check case.

    ``data`` holds the float64 inputs; ``dtype`` is what the learner's code is run in (float32
    cases are compared with minae's float64 answer at a float32 tolerance, and the dtype of
    every array result is checked). ``factors``: named numbers a wrong answer may be off by.
    """

    label: str
    data: dict
    factors: dict[str, float] = field(default_factory=dict)
    dtype: type = np.float64


@dataclass(frozen=True)
class Exercise:
    name: str
    title: str
    module: str                    # the library module holding the solution
    objects: tuple[str, ...]       # its top-level classes/functions the learner's file copies
    task: str                      # what to write, in a sentence or two
    math: str                      # the math to derive
    hints: tuple[str, str, str]
    checked_by: str                # how the checker decides
    mistakes: tuple[Mistake, ...]
    make_cases: Callable[[np.random.Generator], list[Case]]
    run: Callable[[ModuleType, Case, dict], None]    # fills outputs into the dict as it goes
    expected: Callable[[Case], dict[str, tuple[np.ndarray, str]]]  # name -> (value, kind)
    where: str                     # which function(s) of the solution to read afterwards
    next_step: str = ""
    shapes: str = ""               # empty: taken from the copied functions' docstrings
    calls: tuple[str, ...] = ()    # names the checker calls (default: ``objects``)
    old_names: tuple[str, ...] = ()  # what an earlier minae's file of this exercise defined

    @property
    def source(self) -> str:
        return relative_source(self.module)

    @property
    def called(self) -> tuple[str, ...]:
        return self.calls or self.objects

    def docstring(self) -> str:
        rule = "-" * 18
        shapes = wrap(self.shapes) if self.shapes else docstring_shapes(self.module, self.objects)
        parts = [
            f"Exercise {self.name}: {self.title}.",
            wrap(self.task),
            "The math to derive\n" + rule + "\n" + wrap(self.math),
            "Shapes\n------\n" + shapes,
            "How it is checked\n-----------------\n" + wrap(self.checked_by),
            "Commands\n--------\n"
            f"    python -m minae.exercises check {self.name}     # after filling in the TODOs\n"
            f"    python -m minae.exercises hint {self.name}      # a nudge; run again for more",
            wrap(f"Generated from {self.source} ({self.where}) by `python -m minae.exercises "
                 "generate`; edit your copy, not the one inside the minae package. Read "
                 f"minae's solution, {self.source}, after your check passes."),
        ]
        return "\n\n".join(parts)

    def piece(self) -> Piece:
        return Piece(self.name, self.module, self.objects, self.docstring())

    def cases(self, seed: int = 0) -> list[Case]:
        return self.make_cases(np.random.default_rng(seed))
