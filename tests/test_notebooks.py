"""The notebooks: each .ipynb is valid and fresh against its source, and each runs in a real kernel.

Needs the optional extra (``pip install -e ".[notebooks]"``); without it these tests skip.
Execution uses the "tiny" size (a few seconds of training per notebook) in a temporary folder,
offline: the notebooks fall back to synthetic digits when no data set is found.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

for package in ("jupytext", "nbclient", "nbformat", "ipykernel"):
    pytest.importorskip(package, reason=f'the notebook tests need {package}: '
                                        'pip install -e ".[notebooks]"')

import nbformat  # noqa: E402

BUILD = Path(__file__).resolve().parent.parent / "demos" / "notebooks" / "build.py"
spec = importlib.util.spec_from_file_location("notebook_build", BUILD)
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)

SOURCES = build.sources()


def test_there_are_notebooks():
    assert len(SOURCES) >= 4, f"expected at least 4 notebook sources in {BUILD.parent}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_ipynb_is_valid_and_fresh(source):
    assert build.problems(source) == []


def image_outputs(cell) -> int:
    """How many pictures a code cell shows (display_data and execute_result with image/png)."""
    return sum(1 for out in cell.get("outputs", [])
               if out.get("output_type") in ("display_data", "execute_result")
               and "image/png" in out.get("data", {}))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_its_figures(source, tmp_path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel picks its inline backend
    nb = build.from_source(source)
    build.execute(nb, "tiny", cwd=tmp_path)  # raises at the first failing cell
    nbformat.validate(nb)
    figure_cells = [c for c in nb.cells if c.cell_type == "code" and "# figure" in c.source]
    assert figure_cells, f"{source.name} has no cell marked '# figure'"
    for cell in figure_cells:
        # a cell marked "# figure" draws exactly one figure, shown once
        assert image_outputs(cell) == 1, (
            f"{source.name}: a figure cell showed {image_outputs(cell)} images, expected 1:\n"
            f"{cell.source[:200]}")
