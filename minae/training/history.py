"""What ``fit`` records: one entry per epoch, and the running mean it averages batches with.

The epoch's loss is the average of the batch values weighted by batch size: the mean loss per
sample over the epoch, for the parameters as they were *while* training (Keras reports the
same). A model's own ``loss`` may return named parts (``{"recon": .., "kl": ..}``); they are
averaged the same way, each under its own name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class History:
    """What ``fit`` returns: one entry per epoch in every list.

    Attributes
    ----------
    loss : list[float]
        Mean training loss per sample of each epoch.
    val_loss : list[float]
        Validation loss after each epoch (empty without validation data; NaN for an epoch
        cut short by Ctrl-C).
    parts, val_parts : dict[str, list[float]]
        The named parts a model's own ``loss`` returns (``{"recon": [...], "kl": [...]}``).
    lr : list[float]
        The optimizer's learning rate during each epoch.
    seconds : list[float]
        Wall time of each epoch, validation included.
    samples_per_second : list[float]
        Training throughput (forward + backward + update; validation excluded).
    interrupted : bool
        Ctrl-C stopped training. The last entry then covers only the batches finished.
    stopped_early : bool
        ``on_epoch_end`` returned True.

    Plot it with ``plt.plot(h.loss); plt.plot(h.val_loss)``, or every curve at once with
    ``for name, ys in h.as_dict().items(): plt.plot(ys, label=name)``.
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)
    val_parts: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    samples_per_second: list[float] = field(default_factory=list)
    interrupted: bool = False
    stopped_early: bool = False

    def __len__(self) -> int:
        """The number of epochs recorded."""
        return len(self.loss)

    def as_dict(self) -> dict[str, list[float]]:
        """Every per-epoch curve under a flat name: ``loss``, ``val_loss``, ``kl``, ``val_kl``..."""
        out = {"loss": self.loss}
        if self.val_loss:
            out["val_loss"] = self.val_loss
        out.update(self.parts)
        out.update({f"val_{k}": v for k, v in self.val_parts.items()})
        out.update(lr=self.lr, seconds=self.seconds, samples_per_second=self.samples_per_second)
        return out

    def record(self, mean: RunningMean, val: tuple[float, dict] | None, has_validation: bool,
               lr: float, seconds: float, train_seconds: float) -> None:
        """Append one epoch: its running mean, its validation result (None: not computed),
        the learning rate, its wall time and the time spent training."""
        epoch = len(self.loss)
        self.loss.append(mean.value)
        if has_validation:
            self.val_loss.append(val[0] if val is not None else math.nan)
        _append_parts(self.parts, mean.parts(), epoch)
        if has_validation:
            _append_parts(self.val_parts, val[1] if val is not None else {}, epoch)
        self.lr.append(lr)
        self.seconds.append(seconds)
        self.samples_per_second.append(mean.samples / train_seconds if train_seconds > 0
                                       else math.nan)


def _append_parts(store: dict[str, list[float]], parts: dict[str, float], epoch: int) -> None:
    """Append one epoch's parts; a part missing this epoch (or before) is NaN there."""
    for name in parts:
        store.setdefault(name, [math.nan] * epoch)
    for name, values in store.items():
        values.append(parts.get(name, math.nan))


class RunningMean:
    """Sample-weighted running mean of batch losses and of their named parts.

    ``add(value, parts, n)`` for a batch of ``n`` samples; ``value`` is
    ``sum(value_b * n_b) / sum(n_b)`` over the batches added (NaN before the first).
    """

    def __init__(self) -> None:
        self.samples = 0
        self.batches = 0
        self.total = 0.0
        self.part_totals: dict[str, float] = {}
        self.part_samples: dict[str, int] = {}

    def add(self, value: float, parts: dict[str, float], n: int) -> None:
        """Add one batch of ``n`` samples whose mean loss is ``value``."""
        self.samples += n
        self.batches += 1
        self.total += value * n
        for name, v in parts.items():
            self.part_totals[name] = self.part_totals.get(name, 0.0) + v * n
            self.part_samples[name] = self.part_samples.get(name, 0) + n

    @property
    def value(self) -> float:
        """The mean loss per sample so far."""
        return self.total / self.samples if self.samples else math.nan

    def parts(self) -> dict[str, float]:
        """The mean of each named part so far."""
        return {k: t / self.part_samples[k] for k, t in self.part_totals.items()}
