"""``train MODEL``: a lesson's model trained with the learner's own passing exercises.

The model is minae's builder's; every part an exercise covers comes from the learner's file
when that file passes its check (``pieces.py`` says how each kind of part is swapped in), and
stays minae's when the exercise is not started. A file that fails its check is refused, with
the reason. The training loop is written out here, as in the demos: forward, loss, backward,
step. The figures are the demo's.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from minae import losses, metrics, optim, plotting
from minae.exercises import markers, running, workspace
from minae.exercises.lessons import LESSONS
from minae.exercises.pieces import LearnerEngine, swap_layers
from minae.exercises.specs import EXERCISES


class Refused(Exception):
    """A learner file that does not pass its check (the message says why and what to do)."""


def gather(model: str, work: Path, say) -> dict:
    """The learner's module for each of ``model``'s pieces that passes; minae's otherwise."""
    from minae.exercises.checker import check

    mods = {}
    for name in LESSONS[model]:
        path = work / f"{name}.py"
        if not path.exists() or path.read_text() == workspace.pristine(name):
            say(f"  {name:<18} minae's (your {name}.py is not started)")
            continue
        res = check(name, path)
        if res.status == "not started":
            say(f"  {name:<18} minae's (your {name}.py is not started)")
            continue
        if not res.passed:
            raise Refused(f"your {name}.py does not pass its check ({res.status}); run `python -m "
                          f"minae.exercises check {name}` and fix it (or move it away), then "
                          "train again")
        mods[name], err = running.load_file(path, name)
        if err is not None:
            raise Refused(f"your {name}.py passed its check but does not import here: "
                          f"{err.line()}")
        say(f"  {name:<18} yours ({path})")
    return mods


def build(model: str, mods: dict, seed: int):
    """The lesson's model from minae's builder, with the learner's pieces swapped in."""
    rng = np.random.default_rng(seed)
    if model == "conv_autoencoder":
        from minae.autoencoders import conv_autoencoder

        net = conv_autoencoder(rng=rng)
    else:
        from minae.vae import dense_vae

        net = dense_vae(likelihood="sse", rng=rng)  # the lesson's: SSE + KL
    swap_layers(net, mods)
    if model == "dense_vae":
        net = learner_vae(net, mods)
    if "conv2d_im2col" in mods:
        net.use_engine(LearnerEngine(mods["conv2d_im2col"]))  # Conv2D runs the learner's passes
    return net


def learner_vae(net, mods: dict):
    """``net``'s parts in the learner's VAE class (``vae_loss``), or in a private copy of
    minae's; that module's sampler and KL gradients are the learner's where they pass."""
    vae_mod = mods.get("vae_loss") or running.module_from_source(
        markers.render(EXERCISES["vae_loss"].piece(), "solution"), "minae_vae_for_training")
    if "reparameterization" in mods:
        vae_mod.sample_backward = mods["reparameterization"].sample_backward
    if "kl_gradient" in mods:
        vae_mod.kl_divergence_grad = mods["kl_gradient"].kl_divergence_grad
    return vae_mod.VAE(net.encoder, net.z_mean, net.z_log_sigma, net.decoder, net.likelihood,
                       net.beta, input_shape=net.input_shape, rng=net.rng)


def fit(net, images: np.ndarray, mods: dict, *, epochs: int, batch_size: int, seed: int,
        say=print, max_batches: int | None = None) -> list[float]:
    """The training loop: each batch's loss (BCE on logits for the autoencoder, the VAE's
    own loss for the VAE), with the learner's loss function and Adam where they pass."""
    bce = mods["bce_with_logits"].binary_cross_entropy_with_logits \
        if "bce_with_logits" in mods else losses.binary_cross_entropy_with_logits
    adam = mods["adam_step"].Adam if "adam_step" in mods else optim.Adam
    opt = adam(lr=1e-3)
    rng = np.random.default_rng(seed)
    history: list[float] = []
    net.train()
    for epoch in range(epochs):
        first = len(history)
        order = rng.permutation(len(images))
        for start in range(0, len(images), batch_size):
            x = images[order[start:start + batch_size]]
            if hasattr(net, "z_mean"):               # the VAE: its loss prepares backward()
                loss, _ = net.loss(x, rng=rng)
                net.backward()
            else:                                    # the autoencoder: BCE of x on its logits
                logits = net.forward(x)
                loss, dlogits = bce(logits, x)
                net.backward(dlogits)
            opt.step(net)
            history.append(float(loss))
            if max_batches is not None and len(history) >= max_batches:
                return history
        what = "loss (nats per image)" if hasattr(net, "z_mean") else "BCE (nats per image)"
        say(f"epoch {epoch + 1}/{epochs}: mean training {what} {np.mean(history[first:]):.2f}")
    return history


def figures(model: str, net, test: np.ndarray, labels: np.ndarray, out: str, seed: int,
            say) -> list[str]:
    """The demo's figures for ``model``, written into ``out``."""
    os.makedirs(out, exist_ok=True)
    x = test[:10]
    paths = []
    if model == "conv_autoencoder":
        rec = net.reconstruct(x)
        figs = [("reconstructions.png", plotting.image_rows(
            [("original", x), ("reconstruction (your pieces)", rec)],
            title="Conv autoencoder trained with your exercises")),
                ("codes.png", plotting.code_heatmaps(x[:6], net.encode(x[:6]),
                                                      title="Each image's 4x4x8 code"))]
        codes = net.encode(test[:500])
        lo, hi = codes.min(axis=0), codes.max(axis=0)
        z = (lo + (hi - lo) * np.random.default_rng(seed + 1).random((20,) + codes.shape[1:]))
        figs.append(("random_codes.png", plotting.image_grid(
            net.generate(z.astype(codes.dtype)), ncols=10, title="Decoded random codes")))
    else:
        rec = np.clip(net.reconstruct(x), 0.0, 1.0)
        mu, _ = net.encode(test)
        figs = [("reconstructions.png", plotting.image_rows(
            [("original", x), ("reconstruction (your pieces)", rec)],
            title="Dense VAE trained with your exercises (z_mean decoded)")),
                ("latent_scatter.png", plotting.latent_scatter(
                    [("z_mean of the test images", mu)], labels, title="The latent plane")),
                ("manifold.png", plotting.latent_manifold(
                    lambda z: np.clip(net.decode(z), 0.0, 1.0), title="Decodes over the plane")),
                ("generations.png", plotting.image_grid(
                    np.clip(net.generate(20, np.random.default_rng(seed + 1)), 0.0, 1.0),
                    ncols=10, title="Decodes of z ~ N(0, I)"))]
    for name, fig in figs:
        path = plotting.save_figure(fig, os.path.join(out, name))
        say(f"saved {path}")
        paths.append(path)
    return paths


def _run(model: str, mods: dict, data, test, quick: bool, epochs: int, seed: int, out: str,
         say) -> None:
    """Build, train, report and draw (``train``'s work once the pieces are chosen)."""
    net = build(model, mods, seed)
    batch = 32 if quick else 128  # quick: more, smaller steps in the same time
    say(f"training on {len(data)} {data.name} images, {epochs} epoch(s) of batches of {batch}")
    fit(net, data.images, mods, epochs=epochs, batch_size=batch, seed=seed, say=say)
    if model == "conv_autoencoder":
        logits = net.forward(test.images)
        say(f"test BCE per pixel: {metrics.bce_per_pixel(logits, test.images, logits=True):.4f} "
            f"(floor for these grey images: {metrics.bce_floor_per_pixel(test.images):.4f}; "
            f"{len(test)} test images)")
    figures(model, net, test.images, test.labels, out, seed, say)


def _where(exc: BaseException, mods: dict) -> str:
    """One line for an exception during training, at the learner's line if it was theirs."""
    files = {str(Path(m.__file__).resolve()) for m in mods.values() if getattr(m, "__file__", "")}
    for filename in files:
        info = running.error_info(exc, filename)
        if info.where:
            return f"your code raised {info.line()}"
    return f"{type(exc).__name__}: {exc}"


def train(model: str, work: Path, *, quick: bool = True, epochs: int | None = None,
          limit: int | None = None, out: str | None = None, seed: int = 0, say=print) -> int:
    """``python -m minae.exercises train MODEL``: returns the exit code."""
    from minae.datasets import load_dataset

    if not work.is_dir():
        say(f"no workspace at {work}; run `python -m minae.exercises start {work}` first")
        return 1
    say(f"{model}: whose piece is whose")
    try:
        mods = gather(model, work, say)
    except Refused as exc:
        say(f"refused: {exc}")
        return 1
    epochs = epochs or (2 if quick else 10)
    limit = limit or (2000 if quick else 10000)
    data = load_dataset("synthetic-digits", "train", limit=limit, seed=seed, log=say)
    test = load_dataset("synthetic-digits", "test", limit=500, seed=seed, log=None)
    try:
        _run(model, mods, data, test, quick, epochs, seed, out or str(work / "figures" / model),
             say)
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
        say(f"training stopped: {_where(exc, mods)}; fix it (the check's cases did not reach "
            "it), then train again")
        return 1
    except OSError as exc:
        say(f"cannot write the figures ({exc.strerror or exc}: {exc.filename}); pass --out DIR "
            "with a folder you can write to")
        return 1
    return 0
