"""Plotting: every figure function draws, saves a small PNG, and refuses bad shapes; importing
it leaves matplotlib's backend alone, and its figures are not pyplot's (a notebook shows each
once)."""

import os
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

from minae import demo, plotting


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _png_bytes(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) < 150_000
    return data


def _png(path):
    return _png_bytes(open(path, "rb").read())


@pytest.mark.parametrize("backend", ["svg", "pdf"])
def test_import_keeps_the_backend(backend):
    """Property: whatever backend the user chose, importing minae (and minae.plotting, and the
    demo helpers) leaves it. A fresh interpreter, since this one has imported them already."""
    code = ("import matplotlib, minae, minae.plotting, minae.demo; "
            "print(matplotlib.get_backend())")
    env = dict(os.environ, MPLBACKEND=backend)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.strip().lower() == backend


def _all_figures(rng):
    x = rng.random((6, 1, 28, 28)).astype(np.float32)
    return {
        "rows.png": plotting.image_rows(
            [("low-res", rng.random((6, 1, 14, 14))), ("out (PSNR 20.0 dB)", x),
             ("flat", x.reshape(6, -1))], title="rows"),
        "grid.png": plotting.image_grid(x[:, 0], ncols=4, title="grid"),
        "codes.png": plotting.code_heatmaps(x[:3], rng.random((3, 8, 4, 4)), title="codes"),
        "scatter.png": plotting.latent_scatter(
            [("a", rng.standard_normal((100, 2))), ("b", rng.standard_normal((100, 2)))],
            rng.integers(0, 10, 100), class_names=[str(i) for i in range(10)], title="s"),
        "manifold.png": plotting.latent_manifold(
            lambda z: np.tile(z[:, :1, None, None], (1, 1, 8, 8)) % 1.0, n=4, title="m"),
        "curves.png": plotting.curves({"pca": ([2, 4], [0.1, 0.05]), "ae": ([2, 4], [0.08, 0.04])},
                                      xlabel="code size", ylabel="MSE", logx=True, annotate=True),
    }


def test_figures_are_not_pyplots(rng, tmp_path):
    """pyplot's list of open figures is unchanged by every figure function (so pyplot's inline
    display cannot show them a second time), each figure draws itself as a PNG for a notebook,
    and ``fig.savefig(path)`` works as the demos use it."""
    before = plt.get_fignums()
    for name, fig in _all_figures(rng).items():
        assert plt.get_fignums() == before, name
        _png_bytes(fig._repr_png_())
        fig.savefig(tmp_path / name)
        _png(tmp_path / name)


def test_all_figures_save(tmp_path, rng):
    for name, fig in _all_figures(rng).items():
        path = plotting.save_figure(fig, tmp_path / "sub" / name)
        _png(path)


def test_save_figure_closes_a_pyplot_figure(tmp_path):
    fig, ax = plt.subplots()  # a demo's own pyplot drawing
    ax.plot([0, 1])
    _png(plotting.save_figure(fig, tmp_path / "own.png"))
    assert fig.number not in plt.get_fignums()


def test_demo_save_prints_path(tmp_path, capsys):
    path = demo.save(plotting.image_grid(np.zeros((2, 4, 4))), tmp_path, "g.png")
    assert path in capsys.readouterr().out
    _png(path)


def test_bad_shapes():
    with pytest.raises(ValueError, match="one-channel"):
        plotting.as_images(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="square"):
        plotting.as_images(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="codes"):
        plotting.code_heatmaps(np.zeros((2, 1, 4, 4)), np.zeros((2, 8)))
    with pytest.raises(ValueError, match="expected codes"):
        plotting.latent_scatter([("a", np.zeros((3, 3)))], np.zeros(3, int))
    with pytest.raises(ValueError, match="at least one"):
        plotting.image_rows([])


def test_montage_tiles_with_nan_gaps():
    x = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    m = plotting.montage(x, 3, gap=1)
    assert m.shape == (2 * 2 + 1, 3 * 3 + 2)
    assert np.array_equal(m[0:2, 4:7], x[1])  # row 0, column 1
    assert np.array_equal(m[3:5, 4:7], x[4])  # row 1, column 1
    assert np.isnan(m[2]).all() and np.isnan(m[3:5, 8:]).all()  # gap row, missing tile


def test_a_notebook_shows_each_figure_and_summary_once(tmp_path, monkeypatch):
    """In a real kernel: a cell ending in a minae figure shows one picture (before and after
    pyplot has drawn something, which loads the inline backend), and a cell calling
    ``summary()`` shows its table once, as printed text, with no result after it."""
    for package in ("nbclient", "nbformat", "ipykernel"):
        pytest.importorskip(package)
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel picks its inline backend
    cells = [
        "import numpy as np\nimport minae\nfrom minae import plotting",
        "plotting.image_grid(np.zeros((4, 8, 8)))",
        "import matplotlib.pyplot as plt\nplt.plot([0, 1]);",
        "plotting.curves({'a': ([1, 2], [1.0, 0.5])})",
        "minae.Sequential(minae.Dense(3, 2)).summary((3,))",
        "minae.dense_autoencoder(2, rng=np.random.default_rng(0)).summary()",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = [sum("image/png" in out.get("data", {}) for out in c.outputs) for c in nb.cells]
    assert images == [0, 1, 1, 1, 0, 0]
    for cell in nb.cells[4:]:
        kinds = [out.output_type for out in cell.outputs]
        assert kinds == ["stream"], kinds
        assert "total parameters" in cell.outputs[0].text or "parameters: encoder" in (
            cell.outputs[0].text)


def test_subplots_builds_a_figure_pyplot_does_not_know():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig, axes = plotting.subplots(1, 2, figsize=(4, 2), sharey=True)
    assert isinstance(fig, plotting.NotebookFigure) and len(axes) == 2
    assert tuple(fig.get_size_inches()) == (4.0, 2.0)
    assert plt.get_fignums() == before
