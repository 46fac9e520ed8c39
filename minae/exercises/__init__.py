"""Exercises: pieces of minae with their backward pass cut out, and a checker that says why.

A learner's workflow::

    python -m minae.exercises start ~/minae-work     # copies the exercises; yours to edit
    python -m minae.exercises list                   # status of each: not started/failing/passing
    python -m minae.exercises check dense            # per-tensor errors and the likely mistake
    python -m minae.exercises hint dense             # hint 1, then 2, then 3

How it is built (one source of truth): the solutions are minae's own code, marked with
``# EXERCISE <name>: <task>`` ... ``# END EXERCISE`` comments (the syntax is documented in
``markers.py``); ``catalogue.py`` holds one entry per exercise (the math, the hints, the check,
the known mistakes); ``checker.py`` runs and diagnoses; ``cli.py`` is the command line;
``learner/`` holds the generated learner files (``python -m minae.exercises generate``).
"""

from minae.exercises.catalogue import EXERCISES, Exercise, Mistake

__all__ = ["EXERCISES", "Exercise", "Mistake"]
