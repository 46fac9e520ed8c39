"""demos/next_pytorch.py in-process through main(argv): the comparison table, training in
each framework, the same reconstructions both ways, the figure; without PyTorch one line
naming `pip install torch` and exit status 2."""

import os
import re
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # demos/

from demos import next_pytorch  # noqa: E402

pytestmark = pytest.mark.usefixtures("machine_data_hidden")

SMALL = ["--dataset", "synthetic-digits", "--limit", "200", "--batches", "3",
         "--batch-size", "32"]


@pytest.mark.parametrize("pooling", ["keras", "pytorch"])
def test_demo_same_numbers_both_ways(pooling, tmp_path, capsys):
    assert next_pytorch.main(SMALL + ["--pooling", pooling, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "same_reconstructions.png").stat().st_size > 0
    assert "DIFFERS" not in out and "d encoder.0.W" in out
    gaps = [float(g) for g in re.findall(r"reconstructions = ([0-9.e+-]+)", out)]
    assert len(gaps) == 2 and max(gaps) < 1e-10, out  # trained in torch; trained in minae
    assert f"PyTorch {torch.__version__}" in out


def test_demo_bad_batches_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        next_pytorch.main(SMALL + ["--batches", "0", "--out", str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--batches" in err[0]


def test_demo_without_torch_says_pip_install_torch(tmp_path):
    code = ("import sys; sys.modules['torch'] = None\n"
            "from demos import next_pytorch\n"
            f"sys.exit(next_pytorch.main(['--out', {str(tmp_path)!r}, '--quick']))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install torch" in lines[0], run.stderr
