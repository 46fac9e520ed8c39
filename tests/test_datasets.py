"""minae.datasets, the old import path: the same objects as minae.data, name for name."""

import minae.data
import minae.datasets


def test_the_shim_re_exports_every_public_name_of_the_package():
    assert sorted(minae.datasets.__all__) == sorted(minae.data.__all__)
    for name in minae.data.__all__:
        assert getattr(minae.datasets, name) is getattr(minae.data, name), name
