"""The notebooks: each .ipynb is valid and fresh against its source, and each runs in a real kernel.

Needs the optional extra (``pip install -e ".[notebooks]"``); without it these tests skip.
Execution uses the "tiny" size (a few seconds of training per notebook, and no download is
tried) in a temporary folder, offline: the notebooks fall back to synthetic digits when MNIST
is not on the machine. All four notebooks take about 70-90 s together on 2 busy cores (most of
it kernel start-up, imports and the conv VAE's one epoch).
"""

from __future__ import annotations

import importlib.util
import os
import sys
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


def test_kernel_is_this_python_and_minae_keeps_its_backend(tmp_path, monkeypatch):
    """The kernel runs the interpreter running the tests (so it imports this minae), and
    importing minae.plotting there leaves the notebook's inline backend alone."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import sys, matplotlib\nbefore = matplotlib.get_backend()"),
        nbformat.v4.new_code_cell("import minae, minae.plotting\n"
                                  "print(sys.executable)\nprint(minae.__file__)\n"
                                  "print(before)\nprint(matplotlib.get_backend())"),
    ])
    build.execute(nb, "tiny", cwd=tmp_path)
    executable, minae_file, before, after = nb.cells[1].outputs[0]["text"].split()
    assert os.path.realpath(executable) == os.path.realpath(sys.executable)
    here = Path(__file__).resolve().parent.parent / "minae"
    assert Path(minae_file).resolve().parent == here, f"the kernel imported {minae_file}"
    assert "inline" in before.lower(), f"the kernel's backend is {before!r}, not inline"
    assert after == before, f"importing minae.plotting changed the backend to {after!r}"


def test_fit_redraws_its_progress_in_place_in_a_kernel(tmp_path):
    """In a kernel, fit's progress line is one display updated during the epoch (several
    update_display_data messages), and the cell keeps one line per epoch."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np, minae\n"
        "model = minae.dense_autoencoder(8, rng=np.random.default_rng(0))\n"
        "x = np.random.default_rng(0).random((6000, 1, 28, 28)).astype(np.float32)\n"
        "history = minae.fit(model, x, optimizer=minae.Adam(1e-3), epochs=2, batch_size=16,"
        " seed=0)")])
    kinds = []

    class Recording(NotebookClient):
        def process_message(self, msg, cell, cell_index):
            kinds.append(msg["msg_type"])
            return super().process_message(msg, cell, cell_index)

    Recording(nb, timeout=600, kernel_name=build.KERNEL,
              resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs
    lines = outputs[0]["data"]["text/plain"].splitlines()
    assert [line.split("  ")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"], lines
    # each epoch redraws at its first and last batch (and up to ten times a second between)
    # and then writes its line: at least 3 updates per epoch; printing lines gives none
    assert kinds.count("update_display_data") >= 2 * 3, kinds


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
    for cell in nb.cells:
        if cell.cell_type != "code" or "# figure" in cell.source:
            continue
        # any other cell shows no picture (a figure shown twice would land here too)
        assert image_outputs(cell) == 0, (
            f"{source.name}: a cell not marked '# figure' showed {image_outputs(cell)} "
            f"images:\n{cell.source[:200]}")
        # fit's progress is redrawn in place, not printed as carriage-return text
        streams = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "\r" not in streams, f"{source.name}: a cell printed \\r progress:\n" \
                                    f"{cell.source[:200]}"
