"""The adversarial autoencoder's training loop: three optimizers per batch, so its own loop
(``fit`` steps one), batched with the project's one iterator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from minae.adversarial.losses import CHANCE_D_LOSS, CHANCE_G_LOSS
from minae.adversarial.model import AAEOptimizers, AdversarialAutoencoder
from minae.optim import CosineLR
from minae.training import guard
from minae.training.batches import batches, num_batches


@dataclass
class AAEHistory:
    """Per-step and per-epoch logs of ``train_aae``."""

    steps: dict[str, list[float]] = field(default_factory=lambda: {
        "reconstruction": [], "d_loss": [], "g_loss": [], "d_accuracy": []})
    epochs: dict[str, list[float]] = field(default_factory=lambda: {
        "reconstruction": [], "d_loss": [], "g_loss": [], "d_accuracy": []})


def train_aae(model: AdversarialAutoencoder, x: np.ndarray, labels: np.ndarray | None = None, *,
              optimizers: AAEOptimizers, epochs: int, batch_size: int = 100,
              rng: np.random.Generator, anneal_to: float | None = 0.1,
              print_fn: Callable | None = print,
              history: AAEHistory | None = None) -> AAEHistory:
    """Train with the three phases on every mini-batch (``training.batches`` does the batching).

    ``labels`` are required when the model is label-conditioned, and ignored otherwise.
    ``rng`` shuffles and draws the prior samples. Prints one line per epoch unless
    ``print_fn`` is None. Returns the history (per step and per epoch means).

    Each phase checks its loss, learning rate and gradients are finite before it steps, and
    raises ``minae.training.TrainingDivergedError`` (epoch, batch, what) otherwise: the
    parameters are then those after the last good *phase* (a batch whose discriminator phase
    diverged keeps its reconstruction update), and ``err.history`` is this history.

    ``anneal_to`` (default 0.1; ``None``: constant rates): every optimizer's learning rate
    falls along half a cosine, step by step, from its value at the start to ``anneal_to``
    times that value at the last step (and is restored afterwards): ``minae.optim.CosineLR``
    with steps in place of epochs, ``CosineLR(lr, last_step, anneal_to * lr)(step)``.

    The adversarial game never settles: the encoder and the discriminator keep chasing each
    other, and the cloud of codes wanders around the prior with a step size set by the learning
    rates. Shrinking the steps at the end leaves the codes near the prior instead of wherever
    the chase happened to be (in our runs on 8,000 MNIST digits, held-out MMD^2 to the prior was
    0.01-0.05 after 10 annealed epochs, and 0.05-0.8 after 20 at constant rates).
    """
    history = AAEHistory() if history is None else history
    x = model._input(x)
    use_labels = model.n_classes is not None
    if use_labels:
        model._labels(labels, len(x))
    model.train()
    phases = (optimizers.reconstruction, optimizers.discriminator, optimizers.generator)
    lr0 = [opt.lr for opt in phases]
    n_batches = num_batches(len(x), int(batch_size), False)
    last_step = max(1, int(epochs) * n_batches - 1)
    schedules = [CosineLR(lr, last_step, anneal_to * lr) for lr in lr0] \
        if anneal_to is not None else None
    step = 0
    data = (x, np.asarray(labels)) if use_labels else (x,)
    try:
        for epoch in range(int(epochs)):
            sums = {k: 0.0 for k in history.epochs}
            count = step_in_epoch = 0
            for batch in batches(data, batch_size, shuffle=True, rng=rng):
                xb, yb = (batch[0], batch[1]) if use_labels else (batch[0], None)
                if schedules is not None:
                    for opt, schedule in zip(phases, schedules, strict=True):
                        opt.lr = schedule(step)
                where = (epoch + 1, step_in_epoch + 1, n_batches)
                try:
                    logs = model.train_step(xb, optimizers, rng=rng, labels=yb,
                                            before_step=finite_before_step(where, history))
                except ValueError as e:  # a loss refused non-finite numbers: did it diverge?
                    guard.check_output(model.autoencoder.forward(xb), where,
                                       optimizers.reconstruction.lr, history, cause=e)
                    raise
                step_in_epoch += 1
                step += 1
                for k, v in logs.items():
                    history.steps[k].append(v)
                    sums[k] += v * len(xb)
                count += len(xb)
            for k in sums:
                history.epochs[k].append(sums[k] / max(count, 1))
            if print_fn is not None:
                e = {k: v[-1] for k, v in history.epochs.items()}
                print_fn(f"epoch {epoch + 1}/{epochs}: reconstruction {e['reconstruction']:.2f} "
                         f"nats/image, D loss {e['d_loss']:.3f} (chance {CHANCE_D_LOSS:.3f}), "
                         f"G loss {e['g_loss']:.3f} (chance {CHANCE_G_LOSS:.3f}), "
                         f"D accuracy {e['d_accuracy']:.3f}")
    finally:
        for opt, lr in zip(phases, lr0, strict=True):
            opt.lr = lr
    return history


def finite_before_step(where: tuple[int, int, int], history: AAEHistory) -> Callable:
    """The check each phase runs before its step: its loss, its optimizer's learning rate and
    its parameter group's gradients must be finite (``minae.training.guard``)."""
    def check(phase: str, value: float, group, optimizer) -> None:
        lr = getattr(optimizer, "lr", None)
        guard.check_loss(value, where, lr, history, name=f"{phase} loss")
        guard.check_step(group.grads, lr, value, where, history)
    return check
