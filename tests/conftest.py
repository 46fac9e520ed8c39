"""Shared test settings: a derandomized hypothesis profile for CI (docs/conventions.md), and
fixtures."""

import os

import pytest
from data_helpers import isolate, unused_url
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def isolated_data_home(tmp_path, monkeypatch):
    """Keep a test away from the real cache, MINAE_DATA and the user's home. The data test
    modules ask for it in every test with ``pytestmark = pytest.mark.usefixtures(...)``."""
    isolate(tmp_path, monkeypatch)


@pytest.fixture
def dead_url():
    """A URL on a port nobody listens on: the connection is refused at once."""
    return unused_url()


@pytest.fixture
def training_refused(monkeypatch):
    """Make every ``minae.training.fit`` fail the test: what a demo refuses, it must refuse
    before it trains."""
    import minae.training

    monkeypatch.setattr(minae.training, "fit", lambda *a, **k: pytest.fail("trained"))


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


def _stand_in_images(n: int, seed: int):
    """``n`` uint8 28x28 images (soft random blobs) and labels 0..9: IDX-file stand-ins for a
    data set the tests must not depend on the machine having."""
    import numpy as np

    rng = np.random.default_rng(seed)
    coarse = rng.random((n, 7, 7))
    images = np.kron(coarse, np.ones((4, 4)))  # 7x7 -> 28x28 blocks
    return (255 * images).astype(np.uint8), (np.arange(n) % 10).astype(np.uint8)


@pytest.fixture(scope="session")
def stand_in_data_folder(tmp_path_factory):
    """A folder laid out like ``$MINAE_DATA``: ``fashion-mnist/`` holding a test split (10,000
    images, the count the loader checks) of stand-in images, written once per session."""
    from minae.datasets import write_idx

    root = tmp_path_factory.mktemp("minae_data")
    folder = root / "fashion-mnist"
    folder.mkdir()
    images, labels = _stand_in_images(10_000, seed=0)
    write_idx(folder / "t10k-images-idx3-ubyte", images)
    write_idx(folder / "t10k-labels-idx1-ubyte", labels)
    return root


@pytest.fixture
def machine_data_hidden(monkeypatch, tmp_path_factory, stand_in_data_folder):
    """Make the tests independent of the data this machine has: ``MINAE_DATA`` points to the
    stand-in folder, the download cache is an empty folder, the system folder
    (``/usr/share/datasets``) is an empty folder, and downloads fail at once (offline)."""
    import minae.data.mnist
    import minae.data.search
    from minae.data.download import FetchError

    empty = tmp_path_factory.mktemp("empty")
    monkeypatch.setenv("MINAE_DATA", str(stand_in_data_folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(empty / "cache"))
    monkeypatch.setattr(minae.data.search, "SYSTEM_DATASETS_DIR", empty / "system")

    def offline(*args, **kwargs):
        raise FetchError("offline (tests never download)", "offline")

    monkeypatch.setattr(minae.data.mnist, "download_split", offline)
    return stand_in_data_folder
