"""The autoencoder demos run in-process through ``main(argv)`` on a few hundred synthetic
digits for one epoch and write their figures; bad input exits 2 before training; Ctrl-C still
draws the figures."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # demos/

from demos import (  # noqa: E402
    conv_autoencoder,
    denoising,
    latent_noise,
    pca_vs_autoencoder,
    super_resolution,
)

SMALL = ["--dataset", "synthetic-digits", "--limit", "300", "--epochs", "1"]

FIGURES = {
    conv_autoencoder: ["reconstructions.png", "codes.png", "random_codes.png"],
    denoising: ["denoising.png", "other_dataset.png"],
    super_resolution: ["super_resolution_2x.png", "super_resolution_4x.png", "noise_4x.png"],
    pca_vs_autoencoder: ["codes_2d.png", "mse_vs_code.png"],
    latent_noise: ["latent_noise.png"],
}


@pytest.mark.parametrize("module", list(FIGURES), ids=lambda m: m.__name__.split(".")[-1])
def test_demo_runs_and_saves_its_figures(module, tmp_path, capsys):
    extra = {pca_vs_autoencoder: ["--sizes", "2", "4"], super_resolution: ["--width", "8"]}.get(
        module, [])
    assert module.main(SMALL + extra + ["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in FIGURES[module]:
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 1000, name
        assert str(path) in out  # the demo prints where each figure went
    if module is conv_autoencoder:
        assert "test BCE per pixel" in out and "PSNR" in out
        assert (tmp_path / "model.npz").is_file()


def test_latent_noise_loads_saved_weights(tmp_path, capsys):
    assert conv_autoencoder.main(SMALL + ["--out", str(tmp_path / "a")]) == 0
    weights = tmp_path / "a" / "model.npz"
    args = SMALL + ["--weights", str(weights), "--out", str(tmp_path / "b")]
    assert latent_noise.main(args) == 0
    assert f"loaded {weights}" in capsys.readouterr().out


@pytest.mark.parametrize("module, args, message", [
    (conv_autoencoder, ["--dataset", "cifar"], "unknown dataset"),
    (denoising, ["--noise", "purple"], "--noise"),
    (super_resolution, ["--factor", "3"], "--factor 3"),
    (pca_vs_autoencoder, ["--sizes", "0"], "--sizes"),
    (latent_noise, ["--weights", "/nonexistent/model.npz"], "no such file"),
    (conv_autoencoder, ["--epochs", "0"], "--epochs"),
])
def test_bad_input_exits_2_before_training(module, args, message, tmp_path, capsys,
                                            monkeypatch):
    import minae.training

    monkeypatch.setattr(minae.training, "fit", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(SystemExit) as e:
        module.main(args + ["--out", str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]


def test_unwritable_out_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as e:
        conv_autoencoder.main(SMALL + ["--out", str(blocker / "sub")])
    assert e.value.code == 2
    assert "cannot be written" in capsys.readouterr().err


def test_ctrl_c_still_draws_the_figures(tmp_path, capsys, monkeypatch):
    import minae.training

    real_fit = minae.training.fit

    def interrupted_fit(*args, **kwargs):
        def ctrl_c(*_):
            raise KeyboardInterrupt
        return real_fit(*args, on_epoch_end=ctrl_c, **kwargs)

    monkeypatch.setattr(minae.training, "fit", interrupted_fit)
    assert conv_autoencoder.main(SMALL + ["--epochs", "3", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "interrupted" in out
    assert (tmp_path / "reconstructions.png").is_file()


def test_quick_defaults(tmp_path):
    from minae import demo

    p = demo.make_parser("x", epochs=25, quick_epochs=2, quick_limit=600)
    args = demo.parse_args(p, ["--quick", "--out", str(tmp_path)])
    assert (args.epochs, args.limit, args.test_limit) == (2, 600, 200)
    args = demo.parse_args(p, ["--quick", "--epochs", "5", "--limit", "50",
                               "--out", str(tmp_path)])
    assert (args.epochs, args.limit, args.test_limit) == (5, 50, 50)
    args = demo.parse_args(p, ["--out", str(tmp_path)])
    assert (args.epochs, args.limit) == (25, None)
