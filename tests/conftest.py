"""Shared test settings: a derandomized hypothesis profile for CI (docs/conventions.md), and
fixtures."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def ctrl_c_after_an_epoch(monkeypatch):
    """Make every ``minae.training.fit`` behave as if Ctrl-C came at the end of its first epoch
    (the way a demo sees it: ``fit`` returns with ``history.interrupted``)."""
    import minae.training

    real_fit = minae.training.fit

    def interrupted_fit(*args, **kwargs):
        def ctrl_c(*_):
            raise KeyboardInterrupt
        return real_fit(*args, on_epoch_end=ctrl_c, **kwargs)

    monkeypatch.setattr(minae.training, "fit", interrupted_fit)
