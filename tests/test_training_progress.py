"""fit's progress: one line per epoch off a terminal, redrawn on one, silent at verbose=0."""

import io
import itertools
import sys
import types

import pytest
from training_models import TTY, dense_ae, low_rank_data

from minae.losses import mse
from minae.optim import SGD, Adam
from minae.training import fit, progress


def test_progress_off_a_terminal_is_one_line_per_epoch(capsys):
    x = low_rank_data(n=90)
    fit(dense_ae(), x, loss=mse, optimizer=Adam(1e-3), epochs=3, batch_size=20,
        validation=(x[:10],), verbose=1)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 3 and "\r" not in out
    for e, line in enumerate(lines, 1):
        assert line.startswith(f"epoch {e}/3  loss ")
        assert "val_loss" in line and "samples/s" in line


def test_progress_on_a_terminal_redraws_the_line():
    x = low_rank_data(n=90)
    tty = TTY()
    fit(dense_ae(), x, loss=mse, optimizer=Adam(1e-3), epochs=2, batch_size=20, verbose=1,
        file=tty)
    out = tty.getvalue()
    assert out.count("\n") == 2 and "\r" in out
    assert "batch 5/5" in out and "ETA" in out
    assert out.splitlines()[-1].lstrip("\r").startswith("epoch 2/2  loss")


def test_verbose_zero_prints_nothing(capsys):
    fit(dense_ae(), low_rank_data(n=30), loss=mse, optimizer=SGD(0.01), verbose=0)
    assert capsys.readouterr().out == ""


class FakeHandle:
    """Stands in for IPython's DisplayHandle: keeps every text it was updated with."""

    def __init__(self):
        self.texts = []

    def update(self, data, raw=False):
        assert raw and set(data) == {"text/plain"}
        self.texts.append(data["text/plain"])


@pytest.fixture
def fake_kernel(monkeypatch):
    """A loaded ``IPython`` whose ``get_ipython()`` has a kernel, and whose ``display`` records
    the handles it returns (no IPython needed)."""
    handles = []

    def display(data, raw=False, display_id=False):
        assert display_id is True
        handles.append(FakeHandle())
        return handles[-1]

    shell = types.SimpleNamespace(kernel=object())
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    ipython_display = types.ModuleType("IPython.display")
    ipython_display.display = display
    ipython.display = ipython_display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    ticks = itertools.count()  # a clock that moves a second per reading: redraw every batch
    monkeypatch.setattr(progress, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks)))
    return handles


def test_in_a_notebook_the_epoch_is_redrawn_in_place_and_one_line_per_epoch_stays(
        fake_kernel, capsys):
    x = low_rank_data(n=90)
    fit(dense_ae(), x, loss=mse, optimizer=Adam(1e-3), epochs=3, batch_size=20, verbose=1)
    assert capsys.readouterr().out == ""  # nothing through the stream: all in the display
    (handle,) = fake_kernel  # one display for the whole fit, updated in place
    within = [t for t in handle.texts if "batch" in t.splitlines()[-1]]
    assert len(within) >= 3 * 5 - 2  # redrawn during each epoch (5 batches each)
    assert any(t.splitlines()[-1].startswith("epoch 2/3  batch 3/5") for t in within)
    final = handle.texts[-1].splitlines()
    assert len(final) == 3 and all(line.startswith(f"epoch {e}/3  loss ")
                                   for e, line in enumerate(final, 1))


def test_a_kernel_is_detected_only_when_ipython_is_already_loaded(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert not progress.running_kernel()
    assert "IPython" not in sys.modules  # asking did not import it
    monkeypatch.setitem(sys.modules, "IPython",
                        types.SimpleNamespace(get_ipython=lambda: None))  # plain python shell
    assert not progress.running_kernel()


def test_in_a_notebook_an_explicit_file_or_verbose_2_gets_plain_lines(fake_kernel, capsys):
    x = low_rank_data(n=40)
    log = io.StringIO()
    fit(dense_ae(), x, loss=mse, optimizer=Adam(1e-3), epochs=2, batch_size=20, file=log)
    fit(dense_ae(), x, loss=mse, optimizer=Adam(1e-3), epochs=2, batch_size=20, verbose=2)
    assert fake_kernel == []
    assert len(log.getvalue().splitlines()) == 2
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_time_and_value_formats():
    assert [progress.format_time(s) for s in (0.25, 12.34, 245, 7380)] == \
        ["250ms", "12.3s", "4m05s", "2h03m"]
    assert progress.format_value(0.123456) == "0.1235"
    assert progress.format_value(0.00012345) == "1.234e-04"


CELL = """
import numpy as np
from minae import Adam, Dense, ReLU, Sequential, fit, mse
rng = np.random.default_rng(0)
x = rng.normal(size=(200, 12))
m = Sequential(Dense(12, 8, rng=rng, dtype=np.float64), ReLU(),
               Dense(8, 12, rng=rng, dtype=np.float64))
h = fit(m, x, loss=mse, optimizer=Adam(1e-2), epochs=3, batch_size=10)
"""


def test_in_a_real_kernel_the_cell_keeps_one_line_per_epoch():
    nbformat = pytest.importorskip("nbformat", reason="needs the [notebooks] extra")
    nbclient = pytest.importorskip("nbclient", reason="needs the [notebooks] extra")
    pytest.importorskip("ipykernel", reason="needs the [notebooks] extra")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (output,) = nb.cells[0].outputs  # one display, redrawn in place; no stream of \r lines
    assert output["output_type"] == "display_data"
    lines = output["data"]["text/plain"].splitlines()
    assert len(lines) == 3 and all(line.startswith(f"epoch {e}/3  loss ")
                                   for e, line in enumerate(lines, 1))
