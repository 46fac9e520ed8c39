"""Reliability of the demos: every error ends in one line on stderr and exit status 2, with no
traceback: weights that do not fit or are corrupt, a run that diverges (which still draws its
figures from the last good weights), a --limit too large for memory, memory running out while
training, and a bad --lr. Each runs in-process through ``main(argv)``.
"""

import os
import sys

import numpy as np
import pytest
from demo_helpers import exits_2

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # demos/

from demos import conv_autoencoder, denoising, latent_noise, vae  # noqa: E402
from minae import demo, serialization  # noqa: E402
from minae.layers.dense import Dense  # noqa: E402
from minae.layers.sequential import Sequential  # noqa: E402

#: No test depends on the data this machine has (conftest.machine_data_hidden).
pytestmark = pytest.mark.usefixtures("machine_data_hidden")

SMALL = ["--dataset", "synthetic-digits", "--limit", "120", "--epochs", "1", "--threads", "1"]


def exits_2_with_one_line(capsys, module, argv):
    """Run ``module.main(argv)``; assert exit status 2 and one line on stderr; return it."""
    err, out = exits_2(capsys, module, argv)
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err.strip(), out


def test_weights_that_do_not_fit_the_model(tmp_path, capsys):
    path = tmp_path / "dense.npz"
    serialization.save(Sequential(Dense(3, 2, rng=np.random.default_rng(0))), path, log=None)
    line, out = exits_2_with_one_line(capsys, latent_noise,
                                      SMALL + ["--weights", str(path), "--out", str(tmp_path)])
    assert f"--weights '{path}'" in line and "do not fit" in line and "nothing was loaded" in line
    assert "epoch" not in out  # it never trained


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04 cut short"])
def test_a_corrupt_weights_file(tmp_path, capsys, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    line, _ = exits_2_with_one_line(capsys, latent_noise,
                                    SMALL + ["--weights", str(path), "--out", str(tmp_path)])
    assert f"--weights '{path}'" in line and "not a readable .npz file" in line


def test_a_diverging_run_draws_its_figures_from_the_last_good_weights(tmp_path, capsys):
    argv = SMALL + ["--batch-size", "16", "--lr", "1e9", "--out", str(tmp_path)]
    line, out = exits_2_with_one_line(capsys, conv_autoencoder, argv)
    assert "training diverged at epoch 1, batch" in line
    assert "The figures show the last good weights" in line
    assert "drawing the figures from the last good weights" in out
    for name in ["reconstructions.png", "codes.png", "random_codes.png"]:
        assert (tmp_path / name).is_file() and str(tmp_path / name) in out
    # the saved weights are the last good ones: finite (the guard stopped before the NaN step)
    weights = np.load(tmp_path / "model.npz")
    assert all(np.isfinite(weights[k]).all() for k in weights.files)


def test_a_diverging_vae_says_so_too(tmp_path, capsys):
    argv = SMALL + ["--lr", "1e9", "--batch-size", "16", "--iw-k", "0", "--out", str(tmp_path)]
    line, out = exits_2_with_one_line(capsys, vae, argv)
    assert "diverged at epoch 1" in line and "diverged" in out


def test_a_limit_too_large_for_memory(tmp_path, capsys):
    argv = ["--dataset", "synthetic-digits", "--limit", str(10**12), "--out", str(tmp_path)]
    line, _ = exits_2_with_one_line(capsys, conv_autoencoder, argv)
    assert "--limit" in line or "limit=" in line
    assert "PiB" in line or "TiB" in line  # the size it would need, named


def test_memory_running_out_while_training(tmp_path, capsys, monkeypatch):
    import minae.training

    def no_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 3.1 GiB for an array with shape (128, 16, 28, 28)")

    monkeypatch.setattr(minae.training, "fit", no_memory)
    line, _ = exits_2_with_one_line(capsys, denoising, SMALL + ["--out", str(tmp_path)])
    assert "out of memory: Unable to allocate 3.1 GiB" in line


@pytest.mark.parametrize("lr", ["0", "-1e-3", "nan", "inf"])
@pytest.mark.usefixtures("training_refused")
def test_a_bad_learning_rate_is_refused_before_training(tmp_path, capsys, lr):
    line, _ = exits_2_with_one_line(capsys, conv_autoencoder,
                                    SMALL + [f"--lr={lr}", "--out", str(tmp_path)])
    assert "--lr must be a finite number > 0" in line


def test_an_argparse_error_is_one_line_too(tmp_path, capsys):
    line, _ = exits_2_with_one_line(capsys, conv_autoencoder, ["--no-such-option"])
    assert "unrecognized arguments: --no-such-option" in line


def test_run_turns_a_multi_line_error_into_one_line(capsys):
    parser = demo.make_parser("x")

    def lesson(args, parser):
        raise ValueError("first line\n  second line\n")

    with pytest.raises(SystemExit) as e:
        demo.run(lesson, demo.argparse.Namespace(), parser)
    assert e.value.code == 2
    assert capsys.readouterr().err == "python demos/x.py: error: first line; second line\n"


def test_a_diverging_adversarial_autoencoder_still_draws(tmp_path, capsys):
    from demos import adversarial_autoencoder

    argv = SMALL + ["--batch-size", "32", "--lr", "1e9", "--adversarial-lr", "1e9",
                    "--out", str(tmp_path)]
    line, out = exits_2_with_one_line(capsys, adversarial_autoencoder, argv)
    assert "training diverged at epoch 1" in line and "The figures show" in line
    assert (tmp_path / "aae_codes_normal.png").is_file()
