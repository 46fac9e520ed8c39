"""The adversarial and sparse autoencoder demos run in-process through ``main(argv)`` on a few
hundred synthetic digits for one epoch, print their numbers and write their figures."""

import os
import sys

import pytest
from demo_helpers import SMALL, assert_figures_saved, exits_2

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # demos/

from demos import adversarial_autoencoder, sparse_autoencoder  # noqa: E402

#: No test depends on the data this machine has (conftest.machine_data_hidden).
pytestmark = pytest.mark.usefixtures("machine_data_hidden")


@pytest.mark.parametrize("extra, figures", [
    ([], ["aae_codes_normal.png", "aae_training_normal.png", "aae_generations_normal.png",
          "aae_manifold_normal.png"]),
    (["--prior", "mixture"], ["aae_codes_mixture.png", "aae_training_mixture.png",
                              "aae_generations_mixture.png"]),
    (["--prior", "mixture", "--no-labels", "--no-adversary"],
     ["aae_codes_mixture-unlabelled-no-adversary.png"]),
], ids=["normal", "mixture", "control"])
def test_adversarial_demo(extra, figures, tmp_path, capsys):
    assert adversarial_autoencoder.main(SMALL + extra + ["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert_figures_saved(tmp_path, out, figures)
    for text in ("test reconstruction: BCE", "MMD^2", "discriminator accuracy", "D loss"):
        assert text in out, text


def test_sparse_demo(tmp_path, capsys):
    assert sparse_autoencoder.main(SMALL + ["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert_figures_saved(tmp_path, out, ["sparse_activations.png", "sparse_histogram.png",
                           "sparse_reconstructions.png", "sparse_features.png"])
    for name in ("plain:", "L1:", "KL:"):
        assert name in out and "mean code activation" in out, name


@pytest.mark.parametrize("module, args, message", [
    (adversarial_autoencoder, ["--prior", "uniform"], "--prior"),
    (adversarial_autoencoder, ["--no-labels"], "--no-labels"),
    (sparse_autoencoder, ["--rho", "1.5"], "--rho"),
    (sparse_autoencoder, ["--dataset", "cifar"], "unknown dataset"),
])
@pytest.mark.usefixtures("training_refused")
def test_bad_options_exit_2_before_training(module, args, message, tmp_path, capsys):
    err, _ = exits_2(capsys, module, args + ["--out", str(tmp_path)])
    assert message in err
