"""`train`: the lesson's model built from the learner's passing pieces, and trained."""

from __future__ import annotations

import numpy as np

from minae.datasets import load_dataset
from minae.exercises import cli, markers, running, train
from minae.exercises.specs import EXERCISES
from minae.vae import dense_vae

PIECES = train.LESSONS["conv_autoencoder"]


def solution(name: str) -> str:
    return markers.render(EXERCISES[name].piece(), "solution")


def images(n: int = 48) -> np.ndarray:
    return load_dataset("synthetic-digits", "train", limit=n, seed=0, log=None).images


def test_learner_solutions_reproduce_minaes_loss(tmp_path):
    """Every piece the learner's (minae's solutions): the same losses as minae's own, to 1e-6."""
    mods = {}
    for name in PIECES:
        (tmp_path / f"{name}.py").write_text(solution(name))
        mods[name], err = running.load_file(tmp_path / f"{name}.py", name)
        assert err is None
    x = images()
    theirs = train.fit(train.build("conv_autoencoder", mods, 0), x, mods, epochs=1,
                       batch_size=16, seed=0, max_batches=3)
    ours = train.fit(train.build("conv_autoencoder", {}, 0), x, {}, epochs=1, batch_size=16,
                     seed=0, max_batches=3)
    assert len(theirs) == len(ours) == 3
    np.testing.assert_allclose(theirs, ours, rtol=1e-6)


def test_train_runs_the_learners_code(tmp_path, capsys):
    """A learner relu.py that counts its calls is called by the training, and named as theirs."""
    cli.main(["start", str(tmp_path)])
    counted = solution("relu") + (
        "\n\nCALLS = []\n_forward = ReLU.forward\n\n\n"
        "def _counted(self, x):\n    CALLS.append(1)\n    return _forward(self, x)\n\n\n"
        "ReLU.forward = _counted\n")
    (tmp_path / "relu.py").write_text(counted)
    lines = []
    mods = train.gather("conv_autoencoder", tmp_path, lines.append)
    assert any(line.split()[:2] == ["relu", "yours"] for line in lines), lines
    assert any(line.split()[:2] == ["adam_step", "minae's"] for line in lines), lines
    net = train.build("conv_autoencoder", mods, 0)
    train.fit(net, images(32), mods, epochs=1, batch_size=16, seed=0, max_batches=2)
    assert len(mods["relu"].CALLS) == 2 * 6  # six ReLUs in the model, two batches


def test_train_refuses_a_failing_piece(tmp_path, capsys):
    cli.main(["start", str(tmp_path)])
    (tmp_path / "relu.py").write_text(running.mutant_source(EXERCISES["relu"],
                                                            EXERCISES["relu"].mistakes[0]))
    capsys.readouterr()
    code = cli.main(["train", "conv_autoencoder", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "refused: your relu.py does not pass its check (failing)" in out
    assert "check relu" in out


def test_dense_vae_with_learner_solutions_reproduces_minaes_loss(tmp_path):
    mods = {}
    for name in train.LESSONS["dense_vae"]:
        (tmp_path / f"{name}.py").write_text(solution(name))
        mods[name], err = running.load_file(tmp_path / f"{name}.py", name)
        assert err is None
    x = images(32)
    theirs = train.fit(train.build("dense_vae", mods, 0), x, mods, epochs=1, batch_size=16,
                       seed=0, max_batches=2)
    ours = train.fit(dense_vae(likelihood="sse", rng=np.random.default_rng(0)), x, {}, epochs=1,
                     batch_size=16, seed=0, max_batches=2)  # minae's own VAE class
    np.testing.assert_allclose(theirs, ours, rtol=1e-6)


def test_the_conv_layers_run_the_learners_passes(tmp_path):
    """A counting conv2d_im2col.py: every Conv2D's forward and backward go through it."""
    counted = solution("conv2d_im2col") + (
        "\n\nCALLS = []\n_plain = {f.__name__: f for f in (conv2d_forward, conv2d_input_grad, "
        "conv2d_weight_grad)}\n\n\n"
        "def _count(name):\n"
        "    def run(*args):\n        CALLS.append(name)\n        return _plain[name](*args)\n"
        "    return run\n\n\n"
        "conv2d_forward = _count('conv2d_forward')\n"
        "conv2d_input_grad = _count('conv2d_input_grad')\n"
        "conv2d_weight_grad = _count('conv2d_weight_grad')\n")
    (tmp_path / "conv2d_im2col.py").write_text(counted)
    mod, err = running.load_file(tmp_path / "conv2d_im2col.py", "conv2d_im2col")
    assert err is None
    mods = {"conv2d_im2col": mod}
    net = train.build("conv_autoencoder", mods, 0)
    train.fit(net, images(16), mods, epochs=1, batch_size=16, seed=0, max_batches=1)
    # seven convolutions: one forward and one weight gradient each, an input gradient for
    # every one but the first (its input is the data)
    assert mod.CALLS.count("conv2d_forward") == 7
    assert mod.CALLS.count("conv2d_weight_grad") == 7
    assert mod.CALLS.count("conv2d_input_grad") in (6, 7)


def test_a_piece_that_fails_only_in_training_is_one_line(tmp_path, capsys):
    """A relu.py that passes its check but breaks on the model's 4-D batches of 32."""
    cli.main(["start", str(tmp_path)])
    broken = solution("relu").replace(
        "        return dy * self.mask",
        "        if dy.shape[0] == 32:\n            raise ValueError('not for batches of 32')\n"
        "        return dy * self.mask")
    assert broken != solution("relu")
    (tmp_path / "relu.py").write_text(broken)
    capsys.readouterr()
    code = cli.main(["train", "conv_autoencoder", "--dir", str(tmp_path), "--limit", "64"])
    out = capsys.readouterr().out
    assert code == 1 and "Traceback" not in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("training stopped: your code raised ValueError at relu.py, line")
