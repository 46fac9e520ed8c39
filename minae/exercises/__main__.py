"""``python -m minae.exercises``: see ``cli.py``."""

import sys

from minae.exercises.cli import main

sys.exit(main())
