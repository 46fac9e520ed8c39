"""``python -m minae.exercises``: see ``cli.py``."""

import sys

from minae.exercises.cli import main

if __name__ == "__main__":  # not when a child process of the checker imports this module
    sys.exit(main())
