"""minae's Adam against torch.optim.Adam through the bridge: the same parameters after one
step (and a few) to 1e-10 in float64, eps placed where PyTorch places it; the Keras placement
(eps_hat) is a different optimizer, and the test can tell."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch)")

import torch.nn.functional as F  # noqa: E402

from minae import Adam, Conv2D, Dense, Flatten, ReLU, Sequential  # noqa: E402
from minae.autoencoders import conv_autoencoder  # noqa: E402
from minae.gradcheck import relative_error  # noqa: E402
from minae.losses import binary_cross_entropy_with_logits  # noqa: E402
from minae.torch_bridge import parameter_names, to_torch  # noqa: E402

TOL = 1e-10


def small(seed):
    rng = np.random.default_rng(seed)
    kw = {"rng": rng, "dtype": np.float64}
    return Sequential(Conv2D(1, 3, 3, padding="same", **kw), ReLU(), Flatten(),
                      Dense(3 * 5 * 5, 4, **kw))


def worst_update_gap(model, module, before):
    """Max over parameters of the relative difference between the two frameworks' updates
    (``p_after - p_before``: stricter than comparing the parameters themselves)."""
    tensors = dict(module.named_parameters())
    gaps = []
    for name, torch_name, transposed in parameter_names(model):
        theirs = tensors[torch_name].detach().numpy()
        theirs = theirs.T if transposed else theirs
        gaps.append(relative_error(model.params[name] - before[name], theirs - before[name]))
    return max(gaps)


def step_both(model, module, grads, minae_opt, torch_opt):
    """One step in each framework from the same gradients (``grads``: minae names)."""
    tensors = dict(module.named_parameters())
    for name, torch_name, transposed in parameter_names(model):
        g = grads[name]
        tensors[torch_name].grad = torch.from_numpy(np.ascontiguousarray(g.T if transposed
                                                                         else g))
    model_grads = model.grads
    for name in grads:
        model_grads[name][...] = grads[name]
    minae_opt.step(model)
    torch_opt.step()


@settings(max_examples=40, deadline=None)
@given(st.floats(1e-4, 1e-1), st.floats(0.0, 0.99), st.floats(0.9, 0.9999),
       st.sampled_from([1e-8, 1e-6, 1e-3]), st.sampled_from([0.0, 1e-2]),
       st.sampled_from([1.0, 1e-7]), st.integers(1, 3), st.integers(0, 2**16))
def test_adam_steps_equal_torch(lr, beta1, beta2, eps, weight_decay, scale, steps, seed):
    """Same gradients in, same parameters out, step after step, for any hyperparameters;
    ``scale=1e-7`` makes the gradients as small as eps, where eps's placement shows."""
    model = small(seed)
    module = to_torch(model)
    ours = Adam(lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    theirs = torch.optim.Adam(module.parameters(), lr=lr, betas=(beta1, beta2), eps=eps,
                              weight_decay=weight_decay)
    rng = np.random.default_rng(seed + 1)
    for _ in range(steps):
        before = {k: v.copy() for k, v in model.params.items()}
        grads = {k: scale * rng.standard_normal(v.shape) for k, v in model.params.items()}
        step_both(model, module, grads, ours, theirs)
        assert worst_update_gap(model, module, before) < TOL


def test_keras_eps_placement_is_another_optimizer():
    """The test can fail: Adam.keras()'s eps_hat, with PyTorch's eps, moves differently
    when the gradients are as small as eps."""
    model = small(0)
    module = to_torch(model)
    ours = Adam(1e-3, eps=1e-8, eps_hat=True)
    theirs = torch.optim.Adam(module.parameters(), lr=1e-3, eps=1e-8)
    rng = np.random.default_rng(1)
    for _ in range(2):  # on step 1 the two placements differ by sqrt(1 - beta2) in eps
        before = {k: v.copy() for k, v in model.params.items()}
        grads = {k: 1e-8 * rng.standard_normal(v.shape) for k, v in model.params.items()}
        step_both(model, module, grads, ours, theirs)
    assert worst_update_gap(model, module, before) > 1e-3


def test_one_training_step_of_the_lesson_model():
    """End to end: each framework computes its own BCE gradient and takes one Adam step."""
    model = conv_autoencoder(rng=np.random.default_rng(2), dtype=np.float64)
    module = to_torch(model)
    x = np.random.default_rng(3).random((4, 1, 28, 28))
    before = {k: v.copy() for k, v in model.params.items()}

    ours = Adam(1e-3)
    _, dlogits = binary_cross_entropy_with_logits(model.forward(x), x, reduction="mean")
    model.backward(dlogits)
    ours.step(model)

    theirs = torch.optim.Adam(module.parameters(), lr=1e-3)
    xt = torch.from_numpy(x)
    theirs.zero_grad()
    F.binary_cross_entropy_with_logits(module(xt), xt).backward()  # reduction "mean"
    theirs.step()

    assert worst_update_gap(model, module, before) < TOL
