"""``to_torch(model)`` and ``from_torch(module, model)``: one architecture in two frameworks.

The map, layer by layer (every argument read from the minae layer's public attributes)::

    minae                                   PyTorch
    Dense(i, o)                             nn.Linear(i, o)          weight = W.T (o, i)
    Conv2D, symmetric padding               nn.Conv2d(padding=(ph, pw))          weight = W
      (and "same" with stride 1, odd k)
    Conv2D, other "same", asymmetric        PaddedConv2d  (pad, then the conv)
    ConvTranspose2D, symmetric padding      nn.ConvTranspose2d(padding, output_padding)
    ConvTranspose2D, other "same", asym.    PaddedConvTranspose2d (the conv, then the cut)
    MaxPool2D(padding=p)                    nn.MaxPool2d(padding=p)       (-inf padding)
    MaxPool2D(padding="same")               SameMaxPool2d
    AvgPool2D(padding=p, count_include_pad) nn.AvgPool2d(padding=p, count_include_pad)
    AvgPool2D(padding="same")               SameAvgPool2d
    Upsample2D(s, mode)                     nn.Upsample(scale_factor=s, mode,
                                                        align_corners=False if bilinear)
    ReLU, LeakyReLU(a), Sigmoid, Tanh       nn.ReLU, nn.LeakyReLU(a), nn.Sigmoid, nn.Tanh
    Softplus                                nn.Softplus (beyond x = 20 it returns x: off
                                                         from minae's by < 2.1e-9)
    Dropout(p)                              nn.Dropout(p)    (equal in eval mode only: the
                                                             masks come from different RNGs)
    Flatten, Reshape(shape)                 nn.Flatten, Reshape(shape)
    Sequential                              nn.Sequential        ("0.W" -> "0.weight")
    AutoEncoder, VAE, ConditionalVAE,       TorchAutoEncoder, TorchVAE, TorchConditionalVAE,
    AdversarialAutoencoder                  TorchAdversarialAutoencoder        (models.py)

A layer type not in this map (a subclass too: its forward may differ) raises ``TypeError``
naming it and where it sits in the model. If the model runs on a fast engine
(``model.use_engine(...)``), the map is the same: it reads the layer objects, whatever road
their arithmetic takes.

Parameter names: minae's dotted name with its last part ``W`` -> ``weight``, ``b`` -> ``bias``
(the VAE's learned ``log_sigma`` keeps its name); ``parameter_names(model)`` lists them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from minae.adversarial import AdversarialAutoencoder
from minae.autoencoders import AutoEncoder
from minae.layers.activations import LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from minae.layers.base import Container, Layer
from minae.layers.conv import Conv2D
from minae.layers.conv_transpose import ConvTranspose2D
from minae.layers.dense import Dense
from minae.layers.dropout import Dropout
from minae.layers.padding import resolve_padding
from minae.layers.pooling import AvgPool2D, MaxPool2D
from minae.layers.sequential import Sequential
from minae.layers.shape import Flatten, Reshape
from minae.layers.upsample import Upsample2D
from minae.torch_bridge import layers as twins
from minae.torch_bridge import models
from minae.vae import VAE, ConditionalVAE

TORCH_NAMES = (("W", "weight"), ("b", "bias"))


def _symmetric(padding) -> tuple[int, int] | None:
    """``(ph, pw)`` if ``padding`` (minae's ``(pt, pb, pl, pr)`` or ``"same"``) is symmetric."""
    if padding == "same":
        return None
    pt, pb, pl, pr = padding
    return (pt, pl) if pt == pb and pl == pr else None


def _concrete(layer):
    """A convolution's padding as ``(pt, pb, pl, pr)`` when it does not depend on the input's
    size: anything but ``"same"`` with a stride > 1 (for stride 1, ``"same"`` pads
    ``(k - 1) * d`` in all, whatever the size; ``minae.layers.padding``)."""
    if layer.padding == "same" and layer.stride == (1, 1):
        return resolve_padding("same", (1, 1), layer.kernel_size, layer.stride, layer.dilation)
    return layer.padding


def _conv(layer: Conv2D) -> nn.Module:
    args = (layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride)
    bias = "b" in layer.params
    padding = _concrete(layer)
    both = _symmetric(padding)
    if both is not None:  # the lesson's 3x3 "same": nn.Conv2d(padding=(1, 1))
        return nn.Conv2d(*args, padding=both, dilation=layer.dilation, bias=bias)
    return twins.PaddedConv2d(*args, padding, layer.dilation, bias=bias)


def _conv_transpose(layer: ConvTranspose2D) -> nn.Module:
    """(For stride 1, ``"same"``'s output padding is 0: the output is ``H`` already.)"""
    args = (layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride)
    bias = "b" in layer.params
    padding = _concrete(layer)
    both = _symmetric(padding)
    if both is not None:
        return nn.ConvTranspose2d(*args, padding=both, output_padding=layer.output_padding,
                                  bias=bias, dilation=layer.dilation)
    return twins.PaddedConvTranspose2d(*args, padding, layer.output_padding,
                                       layer.dilation, bias=bias)


def _max_pool(layer: MaxPool2D) -> nn.Module:
    both = _symmetric(layer.padding)
    if both is None:
        return twins.SameMaxPool2d(layer.kernel_size, layer.stride)
    return nn.MaxPool2d(layer.kernel_size, layer.stride, both)


def _avg_pool(layer: AvgPool2D) -> nn.Module:
    both = _symmetric(layer.padding)
    if both is None:
        return twins.SameAvgPool2d(layer.kernel_size, layer.stride, layer.count_include_pad)
    return nn.AvgPool2d(layer.kernel_size, layer.stride, both,
                        count_include_pad=layer.count_include_pad)


def _upsample(layer: Upsample2D) -> nn.Module:
    scale = tuple(float(s) for s in layer.scale_factor)
    if layer.mode == "nearest":
        return nn.Upsample(scale_factor=scale, mode="nearest")
    return nn.Upsample(scale_factor=scale, mode="bilinear", align_corners=False)


#: One converter per leaf layer type (exact types: a subclass may compute something else).
LEAVES = (
    (Dense, lambda layer: nn.Linear(layer.in_features, layer.out_features)),
    (Conv2D, _conv),
    (ConvTranspose2D, _conv_transpose),
    (MaxPool2D, _max_pool),
    (AvgPool2D, _avg_pool),
    (Upsample2D, _upsample),
    (ReLU, lambda layer: nn.ReLU()),
    (LeakyReLU, lambda layer: nn.LeakyReLU(layer.negative_slope)),
    (Sigmoid, lambda layer: nn.Sigmoid()),
    (Tanh, lambda layer: nn.Tanh()),
    (Softplus, lambda layer: nn.Softplus()),
    (Dropout, lambda layer: nn.Dropout(layer.p)),
    (Flatten, lambda layer: nn.Flatten()),
    (Reshape, lambda layer: twins.Reshape(layer.shape)),
)
MODELS = (Sequential, AutoEncoder, VAE, ConditionalVAE, AdversarialAutoencoder)


def _unsupported(layer, where: str) -> TypeError:
    supported = ", ".join(t.__name__ for t, _ in LEAVES) + ", " + ", ".join(
        t.__name__ for t in MODELS)
    at = f" at {where!r}" if where else ""
    return TypeError(f"to_torch: no PyTorch equivalent for {type(layer).__name__}{at} "
                     f"({layer!r}); supported: {supported}. Build the model from these, or "
                     "convert its supported parts one by one")


def _vae_parts(model: VAE, where: str) -> tuple:
    parts = tuple(_build(part, f"{where}{name}.") for name, part in model.children())
    return parts, {"likelihood": model.likelihood, "beta": model.beta,
                   "log_sigma": model.log_sigma, "learn_sigma": model.learn_sigma}


def _build(layer: Layer, where: str = "") -> nn.Module:
    """The PyTorch module for ``layer`` (no weights copied yet); ``where``: its dotted name."""
    kind = type(layer)
    if kind is Sequential:
        return nn.Sequential(*[_build(child, f"{where}{name}.")
                               for name, child in layer.children()])
    if kind is AutoEncoder:
        return models.TorchAutoEncoder(_build(layer.encoder, f"{where}encoder."),
                                       _build(layer.decoder, f"{where}decoder."))
    if kind is ConditionalVAE:
        parts, options = _vae_parts(layer, where)
        return models.TorchConditionalVAE(*parts, num_classes=layer.num_classes, **options)
    if kind is VAE:
        parts, options = _vae_parts(layer, where)
        return models.TorchVAE(*parts, **options)
    if kind is AdversarialAutoencoder:
        return models.TorchAdversarialAutoencoder(
            _build(layer.encoder, f"{where}encoder."), _build(layer.decoder, f"{where}decoder."),
            _build(layer.discriminator, f"{where}discriminator."), layer.n_classes)
    for leaf_type, make in LEAVES:
        if kind is leaf_type:
            return make(layer)
    raise _unsupported(layer, where.rstrip("."))


def _leaves(layer: Layer, prefix: str = ""):
    """``(dotted prefix, leaf layer)`` for every non-container layer inside ``layer``."""
    if isinstance(layer, Container):
        for name, child in layer.children():
            yield from _leaves(child, f"{prefix}{name}.")
    else:
        yield prefix, layer


def parameter_names(model: Layer) -> list[tuple[str, str, bool]]:
    """``(minae name, torch name, transposed)`` for every parameter of ``model``.

    ``transposed`` is True for ``Dense.W`` (``(in, out)`` in minae, ``(out, in)`` in
    ``nn.Linear``). ``[("encoder.0.W", "encoder.0.weight", False), ...]``.
    """
    rename = dict(TORCH_NAMES)
    names = []
    for prefix, leaf in _leaves(model):
        for key in leaf.params:
            transposed = type(leaf) is Dense and key == "W"
            names.append((prefix + key, prefix + rename.get(key, key), transposed))
    covered = {n for n, _, _ in names}
    names += [(n, n, False) for n in model.params if n not in covered]  # e.g. "log_sigma"
    return names


def _dtype(model: Layer) -> torch.dtype:
    for p in model.params.values():
        return getattr(torch, np.dtype(p.dtype).name)
    return torch.float64


def to_torch(model: Layer) -> nn.Module:
    """A ``torch.nn.Module`` with ``model``'s architecture and a copy of its weights.

    The module is in the model's dtype (float64 for comparisons) and mode (``train()`` /
    ``eval()``). See the module docstring for the map; unsupported layers raise ``TypeError``
    naming the layer.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"to_torch expected a minae Layer or model; got {type(model).__name__}")
    module = _build(model).to(_dtype(model))
    tensors = dict(module.named_parameters())
    with torch.no_grad():
        for name, torch_name, transposed in parameter_names(model):
            value = model.params[name]
            tensors[torch_name].copy_(torch.from_numpy(np.ascontiguousarray(
                value.T if transposed else value)))
    return module.train(model.training)


def from_torch(module: nn.Module, model: Layer) -> Layer:
    """Copy ``module``'s weights into ``model`` (in place) and return ``model``.

    ``module`` must have ``model``'s architecture (``to_torch(model)``, trained or not).
    Every name and shape is checked before anything is copied; a mismatch raises
    ``ValueError`` naming the parameter.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"from_torch module must be a torch.nn.Module; got "
                        f"{type(module).__name__}")
    if not isinstance(model, Layer):
        raise TypeError(f"from_torch model must be a minae Layer or model; got "
                        f"{type(model).__name__}")
    tensors = dict(module.named_parameters())
    names = parameter_names(model)
    expected = {torch_name for _, torch_name, _ in names}
    if set(tensors) != expected:
        raise ValueError(f"from_torch: the module's parameters {sorted(set(tensors) - expected)} "
                         f"are not in the model, and the model's {sorted(expected - set(tensors))}"
                         " are not in the module; expected a module built by to_torch(model)")
    values = {}
    for name, torch_name, transposed in names:
        theirs = tensors[torch_name].detach().cpu().numpy()
        value = theirs.T if transposed else theirs
        if value.shape != model.params[name].shape:
            raise ValueError(f"from_torch: the module's {torch_name!r} has shape "
                             f"{tuple(theirs.shape)} but the model's {name!r} is "
                             f"{model.params[name].shape}"
                             + (" (nn.Linear's weight is (out, in), Dense's W (in, out))"
                                if transposed else "")
                             + "; expected a module built by to_torch(model)")
        values[name] = value
    params = model.params
    for name, value in values.items():
        params[name][...] = value  # in place: parameter arrays are never rebound
    return model
