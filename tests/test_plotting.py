"""Plotting: every figure function draws, saves a small PNG, and refuses bad shapes."""

import numpy as np
import pytest

from minae import demo, plotting


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) < 150_000
    return data


def test_backend_is_agg():
    import matplotlib

    assert matplotlib.get_backend().lower() == "agg"


def test_all_figures_save(tmp_path, rng):
    x = rng.random((6, 1, 28, 28)).astype(np.float32)
    figs = {
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
    for name, fig in figs.items():
        path = plotting.save_figure(fig, tmp_path / "sub" / name)
        _png(path)


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
