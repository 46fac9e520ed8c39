"""The VAE demos run in-process through ``main(argv)`` on a few hundred synthetic digits for one
epoch, write their figures and print finite numbers; bad input exits 2 before training; Ctrl-C
still draws the figures. Also the quality benchmark's VAE rows, on a smoke run."""

import math
import os
import re
import sys

import numpy as np
import pytest
from demo_helpers import SMALL, assert_figures_saved, exits_2, unwritable_folder

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # demos/

from demos import beta_vae, conditional_vae, conv_vae, vae  # noqa: E402

#: No test depends on the data this machine has (conftest.machine_data_hidden).
pytestmark = pytest.mark.usefixtures("machine_data_hidden")

FIGURES = {
    vae: ["reconstructions.png", "latent_scatter.png", "manifold.png", "manifold_lesson.png",
          "generations.png", "interpolation.png"],
    conv_vae: ["reconstructions.png", "latent_scatter.png", "manifold.png",
               "manifold_lesson.png", "generations.png", "interpolation.png"],
    conditional_vae: ["generated.png", "style_transfer.png", "latent_scatter.png"],
    beta_vae: ["latent_scatter.png", "manifold.png", "reconstructions.png", "generations.png",
               "kl_vs_reconstruction.png"],
}

NUMBER = re.compile(r"[-+]?(?:\d[\d,]*\.?\d*(?:e[-+]?\d+)?|nan|inf)", re.IGNORECASE)


def numbers_after(label: str, text: str) -> list[float]:
    """The numbers on every line that contains ``label``, after it."""
    found = []
    for line in text.splitlines():
        if label in line:
            found += [float(s.replace(",", "")) for s in NUMBER.findall(line.split(label, 1)[1])]
    return found


@pytest.mark.parametrize("module", list(FIGURES), ids=lambda m: m.__name__.split(".")[-1])
def test_demo_runs_and_saves_its_figures(module, tmp_path, capsys):
    extra = ["--iw-k", "5", "--iw-images", "50"] if module is not beta_vae else []
    assert module.main(SMALL + extra + ["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert_figures_saved(tmp_path, out, FIGURES[module])
    assert "nan" not in out.lower() and "inf " not in out.lower()
    if module in (vae, conditional_vae):
        values = numbers_after("test loss (the lesson's number, SSE + KL):", out)
        assert len(values) >= 3 and all(math.isfinite(v) for v in values)
        loss, sse, kl = values[:3]
        assert loss == pytest.approx(sse + kl, abs=0.02) and kl >= 0
        assert all(math.isfinite(v) for v in numbers_after("negative ELBO", out))
        iw = numbers_after("importance-weighted estimate", out)
        assert iw and all(math.isfinite(v) for v in iw)
    if module in (conv_vae, beta_vae):
        rows = [numbers_after(label, out) for label in ("  KL (nats)", "negative ELBO (true")]
        columns = 2 if module is conv_vae else 3
        assert all(len(r) == columns and all(math.isfinite(v) for v in r) for r in rows)


def test_vae_bernoulli_prints_the_floor(tmp_path, capsys):
    assert vae.main(SMALL + ["--likelihood", "bernoulli", "--iw-k", "0",
                             "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    elbo, recon, kl = numbers_after("test negative ELBO:", out)[:3]
    floor = numbers_after("Bernoulli floor of these grey pixels:", out)[0]
    assert elbo == pytest.approx(recon + kl, abs=0.02)
    assert 0 < floor < recon  # no decoder scores below the floor
    assert "importance-weighted" not in out  # --iw-k 0 skips it


def test_vae_from_test_split_and_gallery(tmp_path, capsys):
    """The gallery's recipe: only a test split, trained on its head, shown its tail."""
    gallery = tmp_path / "gallery"
    args = ["--dataset", "synthetic-digits", "--limit", "250", "--epochs", "1",
            "--from-test-split", "200", "--iw-k", "0", "--gallery", str(gallery),
            "--out", str(tmp_path / "out")]
    assert vae.main(args) == 0
    out = capsys.readouterr().out
    assert "its first 200 images" in out and "its last 50 images, held out" in out
    assert "(50 images)" in out
    for name in vae.GALLERY.values():
        path = gallery / name
        assert path.is_file() and 1000 < path.stat().st_size < vae.GALLERY_MAX_BYTES


def test_grids():
    q = vae.quantile_grid()
    assert q.shape == (10, 10, 2)
    assert q[0, 0, 0] == pytest.approx(-1.6449, abs=1e-4)  # the 5% quantile
    assert q[0, 0, 1] == pytest.approx(1.6449, abs=1e-4)   # row 0 is the top
    assert np.allclose(q[:, :, 0], q[0, :, 0]) and np.allclose(q[0, :, 0], -q[0, ::-1, 0])
    g = vae.linear_grid()
    assert g[0, 0].tolist() == [-1.0, 1.0] and g[-1, -1].tolist() == [1.0, -1.0]


@pytest.mark.parametrize("module, args, message", [
    (vae, ["--dataset", "cifar"], "unknown dataset"),
    (vae, ["--iw-k", "-1"], "--iw-k"),
    (vae, ["--dataset", "synthetic-digits", "--limit", "100", "--from-test-split", "100"],
     "--from-test-split"),
    (conv_vae, ["--decoder", "pixelshuffle"], "--decoder"),
    (conditional_vae, ["--lr", "0"], "--lr"),
    (beta_vae, ["--betas", "1", "-2"], "--betas"),
    (beta_vae, ["--epochs", "0"], "--epochs"),
])
@pytest.mark.usefixtures("training_refused")
def test_bad_input_exits_2_before_training(module, args, message, tmp_path, capsys):
    err, _ = exits_2(capsys, module, args + ["--out", str(tmp_path)])
    assert message in err.strip().splitlines()[-1]


@pytest.mark.parametrize("module", [vae, conditional_vae],
                         ids=lambda m: m.__name__.split(".")[-1])
def test_unwritable_out_exits_2(module, tmp_path, capsys):
    err, _ = exits_2(capsys, module, SMALL + ["--out", unwritable_folder(tmp_path)])
    assert "cannot be written" in err


def test_ctrl_c_still_draws_the_figures(tmp_path, capsys, ctrl_c_after_an_epoch):
    assert vae.main(SMALL + ["--epochs", "3", "--iw-k", "0", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "interrupted" in out
    for name in FIGURES[vae]:
        assert (tmp_path / name).is_file()


def test_quality_vae_smoke(tmp_path, capsys):
    """The benchmark's rows on a smoke run: every figure a finite number, the table printed."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "benchmarks"))
    import quality_vae

    monkey = quality_vae.BERNOULLI
    old = dict(monkey)
    monkey.update(iw_k=10, iw_images=20)
    try:
        path = tmp_path / "vae.json"
        assert quality_vae.main(["--dataset", "synthetic-digits", "--limit", "200",
                                 "--epochs", "1", "--verbose", "0", "--json", str(path)]) == 0
    finally:
        monkey.clear()
        monkey.update(old)
    out = capsys.readouterr().out
    assert "| vae_bernoulli | epochs | 1 |" in out and "vae_lesson" in out
    import json

    results = json.loads(path.read_text())["results"]
    for figures in results.values():
        for name, v in figures.items():
            assert math.isfinite(v) or name == "BLAS threads", name
    assert set(results) == {"vae_bernoulli", "vae_lesson"}
