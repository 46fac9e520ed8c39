"""The autoencoder demos run in-process through ``main(argv)`` on a few hundred synthetic
digits for one epoch and write their figures; bad input exits 2 before training; Ctrl-C still
draws the figures."""

import os
import sys

import pytest
from demo_helpers import SMALL, assert_figures_saved, exits_2, unwritable_folder

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # demos/

from demos import (  # noqa: E402
    conv_autoencoder,
    denoising,
    latent_noise,
    pca_vs_autoencoder,
    super_resolution,
)

#: No test depends on the data this machine has (conftest.machine_data_hidden).
pytestmark = pytest.mark.usefixtures("machine_data_hidden")

FIGURES = {
    conv_autoencoder: ["reconstructions.png", "codes.png", "random_codes.png"],
    denoising: ["denoising.png", "other_dataset.png"],
    super_resolution: ["super_resolution_2x.png", "super_resolution_4x.png", "noise_4x.png"],
    pca_vs_autoencoder: ["codes_2d.png", "mse_vs_code.png"],
    latent_noise: ["latent_noise.png"],
}


#: What each demo adds to SMALL to keep the test fast.
EXTRA = {pca_vs_autoencoder: ["--sizes", "2", "4"],
         super_resolution: ["--width", "8", "--limit", "200"]}


@pytest.fixture(scope="module")
def trained_conv_ae(tmp_path_factory):
    """conv_autoencoder's run, shared: its folder and printed output."""
    import contextlib
    import io

    out_dir = tmp_path_factory.mktemp("conv_autoencoder")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert conv_autoencoder.main(SMALL + ["--out", str(out_dir)]) == 0
    return out_dir, buf.getvalue()


@pytest.mark.parametrize("module", list(FIGURES), ids=lambda m: m.__name__.split(".")[-1])
def test_demo_runs_and_saves_its_figures(module, tmp_path, capsys, request):
    if module is conv_autoencoder:
        tmp_path, out = request.getfixturevalue("trained_conv_ae")
    else:
        assert module.main(SMALL + EXTRA.get(module, []) + ["--out", str(tmp_path)]) == 0
        out = capsys.readouterr().out
    assert_figures_saved(tmp_path, out, FIGURES[module])
    if module is conv_autoencoder:
        assert "test BCE per pixel" in out and "PSNR" in out
        assert (tmp_path / "model.npz").is_file()
    if module is denoising:  # L9's other data set: the stand-in Fashion-MNIST, not the machine's
        assert f"data: fashion-mnist ({request.getfixturevalue('machine_data_hidden')}" in out


def test_latent_noise_loads_saved_weights(trained_conv_ae, tmp_path, capsys):
    weights = trained_conv_ae[0] / "model.npz"
    args = SMALL + ["--weights", str(weights), "--out", str(tmp_path)]
    assert latent_noise.main(args) == 0
    out = capsys.readouterr().out
    assert f"loaded {weights}" in out and "epoch" not in out  # nothing trained
    assert (tmp_path / "latent_noise.png").is_file()


@pytest.mark.parametrize("module, args, message", [
    (conv_autoencoder, ["--dataset", "cifar"], "unknown dataset"),
    (denoising, ["--noise", "purple"], "--noise"),
    (super_resolution, ["--factor", "3"], "--factor 3"),
    (pca_vs_autoencoder, ["--sizes", "0"], "--sizes"),
    (latent_noise, ["--weights", "/nonexistent/model.npz"], "no such file"),
    (conv_autoencoder, ["--epochs", "0"], "--epochs"),
    (denoising, ["--cores", "0"], "--cores"),
    (denoising, ["--threads", "0"], "--cores"),  # the older name of the option
])
@pytest.mark.usefixtures("training_refused")
def test_bad_input_exits_2_before_training(module, args, message, tmp_path, capsys):
    err, _ = exits_2(capsys, module, args + ["--out", str(tmp_path)])
    assert message in err.strip().splitlines()[-1]


def test_split_training_says_so_and_cores_1_turns_it_off(tmp_path, capsys, monkeypatch):
    """--cores 2 trains in two processes (minae.engine.processes), stopped afterwards."""
    import multiprocessing

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")  # BLAS "held to one thread": no warning
    args = SMALL + ["--limit", "64", "--out", str(tmp_path)]
    assert conv_autoencoder.main(args + ["--cores", "2"]) == 0
    assert "each batch split between 2 processes" in capsys.readouterr().out
    assert not [p for p in multiprocessing.active_children()
                if p.name.startswith("minae-SplitProcesses")]
    assert conv_autoencoder.main(args + ["--cores", "1"]) == 0
    assert "each batch split" not in capsys.readouterr().out


def test_when_blas_cannot_be_held_the_default_is_one_thread_and_it_says_how_to_split(
        tmp_path, capsys, monkeypatch):
    """No threadpoolctl and no OpenBLAS that minae.engine.blas can set: nothing holds BLAS to
    one thread, so the demo trains on one and says what would let it split."""
    from minae.engine import blas, parallel

    for name in parallel.ONE_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # as in a fresh venv
    monkeypatch.setattr(blas, "openblas_libraries", lambda: [])  # another BLAS
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert conv_autoencoder.main(SMALL + ["--limit", "64", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "each batch split" not in out and "pip install threadpoolctl" in out


def test_unwritable_out_exits_2(tmp_path, capsys):
    err, _ = exits_2(capsys, conv_autoencoder, SMALL + ["--out", unwritable_folder(tmp_path)])
    assert "cannot be written" in err


def test_ctrl_c_still_draws_the_figures(tmp_path, capsys, ctrl_c_after_an_epoch):
    args = ["--dataset", "synthetic-digits", "--limit", "150", "--epochs", "3"]
    assert conv_autoencoder.main(args + ["--out", str(tmp_path)]) == 0
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


def test_quality_benchmark_smoke(tmp_path, capsys):
    import json

    from benchmarks import quality

    path = tmp_path / "q.json"
    argv = ["--dataset", "synthetic-digits", "--limit", "200", "--epochs", "1",
            "--only", "pca_vs_ae", "--json", str(path)]
    assert quality.main(argv) == 0
    out = capsys.readouterr().out
    assert "| pca_vs_ae | PCA MSE k=2 |" in out and "synthetic-digits" in out
    data = json.loads(path.read_text())
    assert data["data"]["dataset"] == "synthetic-digits" and data["data"]["train images"] == 200
    assert set(data["results"]["pca_vs_ae"]) >= {"PCA MSE k=32", "AE MSE k=32"}
    with pytest.raises(SystemExit) as e:
        quality.main(["--only", "nonsense"])
    assert e.value.code == 2


DEMO_FILES = sorted(f for f in os.listdir(os.path.join(os.path.dirname(__file__), "..", "demos"))
                    if f.endswith(".py") and f != "__init__.py")
# every demo trains a minae model (through demo.train, train_aae, or a loop written out)
TRAINS = ("demo.train(", "train_aae(", ".step(")


@pytest.mark.parametrize("filename", DEMO_FILES)
def test_every_demo_that_trains_turns_the_fast_engine_on_visibly(filename):
    path = os.path.join(os.path.dirname(__file__), "..", "demos", filename)
    with open(path) as f:
        source = f.read()
    assert any(call in source for call in TRAINS), f"{filename} trains no minae model"
    assert "from minae.engine import FastEngine" in source
    assert ".use_engine(FastEngine())" in source


def test_the_conv_autoencoder_trains_on_the_fast_engine(tmp_path, monkeypatch):
    import minae.training
    from minae.engine import FastEngine
    from minae.engine.parallel import leaves

    real_fit, engines = minae.training.fit, []

    def recording_fit(model, *args, **kwargs):
        engines.extend((type(layer).__name__, getattr(layer, "engine", None))
                       for layer in leaves(model) if getattr(layer, "has_kernels", False))
        return real_fit(model, *args, **kwargs)

    monkeypatch.setattr(minae.training, "fit", recording_fit)
    argv = SMALL + ["--limit", "64", "--threads", "1", "--out", str(tmp_path)]
    assert conv_autoencoder.main(argv) == 0
    kinds = sorted(name for name, _ in engines)  # 7 convolutions, 3 pools, 3 upsamplings
    assert kinds == sorted(["Conv2D"] * 7 + ["MaxPool2D"] * 3 + ["Upsample2D"] * 3)
    assert all(isinstance(e, FastEngine) for _, e in engines)


def test_split_batches_splits_only_models_trained_with_a_loss_function_on_several_cores():
    import numpy as np

    from minae import demo
    from minae.autoencoders import dense_autoencoder
    from minae.engine.processes import SplitProcesses

    model = dense_autoencoder(2, (8,), rng=np.random.default_rng(0))
    assert isinstance(demo.split_batches(model, 2, demo.bce_logits_mean), SplitProcesses)
    assert demo.split_batches(model, 1, demo.bce_logits_mean) is model
    assert demo.split_batches(model, 2, None) is model  # its own loss (a VAE): never split
