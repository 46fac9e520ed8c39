"""to_torch / from_torch / parameter_names (minae/torch_bridge/convert.py): the names line up,
weights go across and back, what cannot be converted is named, and the package says
`pip install torch` in one line when PyTorch is missing."""

import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch)")

from minae import Conv2D, Dense, Layer, ReLU, Sequential  # noqa: E402
from minae.autoencoders import conv_autoencoder, dense_autoencoder  # noqa: E402
from minae.engine import FastEngine  # noqa: E402
from minae.sparse import sparse_dense_autoencoder  # noqa: E402
from minae.torch_bridge import compare, from_torch, parameter_names, report, to_torch  # noqa: E402
from minae.vae import dense_vae  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_model(seed=0, dtype=np.float64):
    return dense_autoencoder(3, (5,), input_shape=(1, 4, 4), rng=np.random.default_rng(seed),
                             dtype=dtype)


def test_names_are_minae_names_with_weight_and_bias():
    """'encoder.1.W' is 'encoder.1.weight'; Dense's W is transposed, Conv2D's is not."""
    model = conv_autoencoder(rng=np.random.default_rng(0), dtype=np.float64)
    module = to_torch(model)
    names = parameter_names(model)
    assert [n for n, _, _ in names] == list(model.params)
    assert {t for _, t, _ in names} == set(dict(module.named_parameters()))
    assert ("encoder.0.W", "encoder.0.weight", False) in names
    dense = parameter_names(small_model())
    assert ("encoder.1.W", "encoder.1.weight", True) in dense
    assert ("encoder.1.b", "encoder.1.bias", False) in dense


def test_to_torch_copies_the_weights_and_keeps_dtype_and_mode():
    model = small_model(dtype=np.float32).eval()
    module = to_torch(model)
    assert not module.training
    weight = module.encoder[1].weight
    assert weight.dtype == torch.float32
    np.testing.assert_array_equal(weight.detach().numpy(), model.params["encoder.1.W"].T)
    with torch.no_grad():
        weight += 1.0  # a copy: the minae array does not move
    assert not np.allclose(weight.detach().numpy(), model.params["encoder.1.W"].T)


def test_from_torch_copies_trained_weights_back_in_place():
    """Train the PyTorch twin a step; after from_torch minae computes what PyTorch does."""
    model = small_model(1)
    before = {k: v for k, v in model.params.items()}  # the same array objects, after too
    module = to_torch(model)
    x = torch.from_numpy(np.random.default_rng(2).random((6, 1, 4, 4)))
    opt = torch.optim.Adam(module.parameters(), lr=0.1)
    torch.nn.functional.binary_cross_entropy_with_logits(module(x), x).backward()
    opt.step()
    assert from_torch(module, model) is model
    assert all(model.params[k] is v for k, v in before.items())  # never rebound
    theirs = module(x).detach().numpy()
    np.testing.assert_allclose(model.forward(x.numpy()), theirs, rtol=0, atol=1e-12)
    assert np.max(np.abs(to_torch(small_model(1))(x).detach().numpy() - theirs)) > 1e-3


def test_from_torch_refuses_another_architecture_and_copies_nothing():
    model, other = small_model(3), dense_autoencoder(3, (6,), input_shape=(1, 4, 4),
                                                     rng=np.random.default_rng(4),
                                                     dtype=np.float64)
    saved = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(ValueError, match=r"encoder\.1\.weight.*\(6, 16\).*encoder\.1\.W"):
        from_torch(to_torch(other), model)
    assert all(np.array_equal(saved[k], v) for k, v in model.params.items())
    with pytest.raises(ValueError, match="to_torch"):
        from_torch(torch.nn.Linear(2, 2), model)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        from_torch(model, model)
    with pytest.raises(TypeError, match="minae Layer"):
        from_torch(to_torch(model), "model")


class Doubler(Layer):
    def forward(self, x):
        return 2 * x

    def backward(self, dy):
        return 2 * dy


class MyDense(Dense):
    """A subclass: its forward may differ, so it is not silently mapped to nn.Linear."""


@pytest.mark.parametrize("layer,name,where", [
    (Sequential(Dense(2, 2), ReLU(), Doubler()), "Doubler", "'2'"),
    (Sequential(Sequential(MyDense(2, 2))), "MyDense", "'0.0'"),
    (sparse_dense_autoencoder(4), "SparseAutoencoder", ""),
    (Doubler(), "Doubler", ""),
])
def test_unsupported_layers_are_named(layer, name, where):
    with pytest.raises(TypeError, match=f"no PyTorch equivalent for {name}") as info:
        to_torch(layer)
    assert where in str(info.value) and "supported:" in str(info.value)


def test_not_a_layer():
    with pytest.raises(TypeError, match="minae Layer"):
        to_torch(torch.nn.Linear(2, 2))


def test_a_model_on_the_fast_engine_maps_its_layers():
    """use_engine changes the road, not the layers: the same twin, the same numbers."""
    model = conv_autoencoder(rng=np.random.default_rng(5), dtype=np.float64)
    model.use_engine(FastEngine())
    rows = compare(model, np.random.default_rng(6).random((2, 1, 28, 28)))
    assert max(d.rel_difference for d in rows) < 1e-10, report(rows)


def test_vae_learned_log_sigma_goes_both_ways():
    model = dense_vae(2, 8, likelihood="gaussian", learn_sigma=True, sigma=0.5,
                      rng=np.random.default_rng(7), dtype=np.float64)
    module = to_torch(model)
    assert module.log_sigma.item() == pytest.approx(np.log(0.5), abs=1e-15)
    with torch.no_grad():
        module.log_sigma.fill_(0.25)
    from_torch(module, model)
    assert model.log_sigma == 0.25


def test_missing_torch_is_one_line_naming_pip_install():
    """Without PyTorch, importing the bridge raises ImportError: one line, the fix in it."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import minae.torch_bridge\n"
            "except ImportError as e:\n    print(e); sys.exit(3)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert run.returncode == 3, run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 1 and "pip install torch" in lines[0]


def test_importing_minae_does_not_import_torch():
    """PyTorch stays optional: `import minae` never loads it."""
    code = "import sys, minae; print('torch' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert run.stdout.strip() == "False", run.stderr


def test_one_conv_layer_alone():
    """A single layer converts to a single module (no container around it)."""
    layer = Conv2D(2, 3, 3, padding="same", rng=np.random.default_rng(8), dtype=np.float64)
    module = to_torch(layer)
    assert set(dict(module.named_parameters())) == {"weight", "bias"}
