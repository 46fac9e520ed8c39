"""Build the lesson's notebooks: plain-text sources in, executed ``.ipynb`` files out.

Each notebook is written as a plain Python file in jupytext's ``py:percent`` format
(``demos/notebooks/NN_name.py``: ``# %%`` starts a code cell, ``# %% [markdown]`` a text cell),
which diffs and reviews like any other source. This script turns each source into
``NN_name.ipynb`` and runs it top to bottom in a real Jupyter kernel, so the committed notebook
shows the outputs and figures of a real run::

    python demos/notebooks/build.py                # every notebook, at the "quick" size
    python demos/notebooks/build.py 03_vae         # one notebook
    python demos/notebooks/build.py --size tiny    # the size the tests use (seconds each)
    python demos/notebooks/build.py --check        # exit 1 if an .ipynb is stale or invalid

It needs the optional extra: ``pip install -e ".[notebooks]"``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = ("tiny", "quick", "full")
SIZE_VARIABLE = "MINAE_NOTEBOOK_SIZE"  # each notebook reads its size from this
KERNEL = "python3"
TIMEOUT = 1800  # seconds a single cell may take (the "full" size trains for minutes)


def sources() -> list[Path]:
    """The notebook sources: every ``NN_*.py`` beside this script, in order."""
    return sorted(p for p in HERE.glob("[0-9][0-9]_*.py"))


def from_source(path: Path):
    """The notebook (an ``nbformat`` node, no outputs) that the source file ``path`` describes."""
    import jupytext

    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)
    return nb


def cell_sources(nb) -> list[tuple[str, str]]:
    """``(cell_type, source)`` of every cell: what must agree between a source and its .ipynb."""
    return [(cell.cell_type, cell.source.strip()) for cell in nb.cells]


def problems(source: Path) -> list[str]:
    """Why ``source``'s .ipynb is not what the source says (empty when it is up to date)."""
    import nbformat

    target = source.with_suffix(".ipynb")
    if not target.exists():
        return [f"{target.name} is missing"]
    try:
        nb = nbformat.read(target, as_version=4)
    except (ValueError, TypeError, KeyError, AttributeError) as err:  # not JSON, not a notebook
        return [f"{target.name} cannot be read as a notebook ({type(err).__name__}: {err})"]
    found = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        found.append(f"{target.name} is not a valid notebook: {err.message}")
    if cell_sources(nb) != cell_sources(from_source(source)):
        found.append(f"{target.name} is stale: its cells differ from {source.name}")
    return found


def execute(nb, size: str, cwd: Path) -> None:
    """Run every cell of ``nb`` in a fresh kernel at ``size``, outputs stored in ``nb``.

    Raises ``nbclient.exceptions.CellExecutionError`` at the first cell that fails.
    """
    from nbclient import NotebookClient

    env = {**os.environ, SIZE_VARIABLE: size}  # the kernel's environment: ours, and the size
    NotebookClient(nb, timeout=TIMEOUT, kernel_name=KERNEL,
                   resources={"metadata": {"path": str(cwd)}}).execute(env=env)


def build(source: Path, size: str) -> float:
    """Convert and execute ``source``, write its .ipynb; return the seconds it took."""
    import nbformat

    nb = from_source(source)
    start = time.perf_counter()
    execute(nb, size, cwd=HERE)
    seconds = time.perf_counter() - start
    nbformat.validate(nb)
    nbformat.write(nb, source.with_suffix(".ipynb"))
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*",
                        help="notebooks to build (default: all), e.g. 03_vae or 03")
    parser.add_argument("--size", choices=SIZES, default="quick",
                        help="how much each notebook trains (default quick)")
    parser.add_argument("--check", action="store_true",
                        help="only check that every .ipynb is valid and matches its source")
    args = parser.parse_args(argv)
    try:
        import jupytext  # noqa: F401
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as err:
        print(f"build.py needs the notebook packages ({err.name} is missing): "
              'pip install -e ".[notebooks]"', file=sys.stderr)
        return 2
    chosen = sources()
    if args.names:
        known = {p.stem: p for p in chosen}
        known.update({p.stem[:2]: p for p in chosen})  # "02" names 02_denoising_...
        unknown = [n for n in args.names if n.removesuffix(".py") not in known]
        if unknown:
            parser.error(f"no notebook named {unknown}; known: {[p.stem for p in chosen]}")
        chosen = [known[n.removesuffix(".py")] for n in args.names]
    if args.check:
        found = [msg for p in chosen for msg in problems(p)]
        for msg in found:
            print(msg, file=sys.stderr)
        if found:
            print("rebuild with: python demos/notebooks/build.py", file=sys.stderr)
        return 1 if found else 0
    for path in chosen:
        print(f"{path.stem}: running at size {args.size} ...", flush=True)
        print(f"{path.stem}: wrote {path.with_suffix('.ipynb').name} "
              f"({build(path, args.size):.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
