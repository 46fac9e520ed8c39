"""Generated learner versions of the exercises (``python -m minae.exercises generate``).

Do not edit these: ``python -m minae.exercises start DIR`` copies them into a folder of yours.
"""
