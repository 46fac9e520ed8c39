"""What a check finds: one row per tensor per case, the case's error, the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

from minae.exercises.spec import Exercise


@dataclass
class ErrorInfo:
    """An exception from the learner's code (or a case that did not finish), in one line."""

    kind: str
    message: str
    where: str  # "dense.py, line 57: self.grads['W'] = ..." or ""
    not_started: bool = False  # the exercise's own placeholder raised
    missing: bool = False      # the file lacks a name the exercise calls
    timeout: bool = False

    def line(self) -> str:
        where = f" at {self.where}" if self.where else ""
        return f"{self.kind}{where}: {self.message}" if self.kind else self.message + where


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
    dtype: str = "float64"


@dataclass
class CheckResult:
    exercise: Exercise
    path: str
    status: str  # "passing" | "failing" | "not started" | "broken"
    cases: list[CaseResult] = field(default_factory=list)
    diagnosis: list[str] = field(default_factory=list)
    message: str = ""
    missing: list[str] = field(default_factory=list)  # said once, at the top

    @property
    def passed(self) -> bool:
        return self.status == "passing"
