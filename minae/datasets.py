"""The data sets, under the import path minae has always had: a re-export of ``minae.data``.

``from minae.datasets import load_dataset`` (and every other public name of ``minae.data``)
keeps working; the code lives in the ``minae.data`` package, one idea per file (see its
docstring).
"""

# A star import is usually a smell; here it is the whole point of the module. It copies exactly
# the names in ``minae.data.__all__``, so the list of public names is written once, there.
from minae.data import *  # noqa: F403
from minae.data import __all__  # noqa: F401  (re-exported: the same public names)
