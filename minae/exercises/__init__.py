"""Exercises: pieces of minae with their backward pass cut out, and a checker that says why.

A learner's workflow::

    python -m minae.exercises start ~/minae-work     # copies the exercises; yours to edit
    python -m minae.exercises list                   # progress over every exercise
    python -m minae.exercises check dense            # per-tensor errors and the likely mistake
    python -m minae.exercises hint dense             # hint 1, then 2, then 3
    python -m minae.exercises train conv_autoencoder --quick   # the lesson's model, your code

How it is built (one source of truth): the solutions are minae's own code, marked with
``# EXERCISE <name>: <task>`` ... ``# END EXERCISE`` comments (the syntax is documented in
``markers.py``). ``spec.py`` says what an exercise is and ``specs/`` holds one per exercise
(the math, the hints, the cases, the known mistakes); ``mutate.py`` plants the mistakes;
``checker.py`` checks (running the learner's code in ``sandbox.py``, comparing in
``compare.py``, naming mistakes in ``diagnose.py``, printing in ``report.py``);
``workspace.py`` and ``cli.py`` are the learner's folder and the command line; ``train.py``
trains a lesson's model with the learner's pieces; ``learner/`` holds the generated learner
files (``python -m minae.exercises generate``).
"""

from minae.exercises.spec import Exercise, Mistake
from minae.exercises.specs import EXERCISES

__all__ = ["EXERCISES", "Exercise", "Mistake"]
