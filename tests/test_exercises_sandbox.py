"""The learner's code in a child process: a time limit per case, and honest verdicts."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minae.exercises import checker, cli, markers, sandbox
from minae.exercises.specs import EXERCISES

TODO = '        raise NotImplementedError("exercise dense not started")'


def learner(name: str) -> str:
    return markers.render(EXERCISES[name].piece(), "learner")


@pytest.mark.parametrize("hang, last", [
    ("        while True:\n            pass", "            pass"),
    ("        import time\n        time.sleep(10 ** 6)", "        time.sleep(10 ** 6)"),
], ids=["endless loop", "sleeps forever"])
def test_a_hanging_case_is_stopped_and_its_line_named(tmp_path, capsys, hang, last):
    text = learner("dense").replace(TODO, hang)
    (tmp_path / "dense.py").write_text(text)
    line = text.splitlines().index(last) + 1
    code = cli.main(["check", "dense", "--dir", str(tmp_path), "--time-limit", "1"])
    out = capsys.readouterr().out
    assert code == 1 and "Traceback" not in out
    assert "running case 1:" in out  # the label is printed before the case runs
    assert "case 1 did not finish in 1 s" in out
    assert f"dense.py, line {line}" in out or f"dense.py, line {line - 1}" in out


def test_a_half_done_file_is_not_reported_as_not_started(tmp_path):
    text = learner("dense").replace(TODO, '        self.grads["W"] = self.x.T @ dy\n' + TODO)
    (tmp_path / "dense.py").write_text(text)
    res = checker.check("dense", tmp_path / "dense.py")
    assert res.status == "failing"
    assert "not finished yet" in checker.format_result(res)


def test_a_learners_own_not_implemented_is_an_error_not_not_started(tmp_path):
    text = learner("dense").replace(TODO, '        raise NotImplementedError("later")')
    (tmp_path / "dense.py").write_text(text)
    res = checker.check("dense", tmp_path / "dense.py")
    assert res.status == "failing"
    report = checker.format_result(res)
    what = report.split("What went wrong")[1]
    assert "your code raised NotImplementedError at dense.py" in what and "later" in what


def test_a_missing_function_is_said_once_at_the_top(tmp_path):
    text = learner("maxpool2d").replace("def max_pool2d_backward(", "def renamed(")
    (tmp_path / "maxpool2d.py").write_text(text)
    report = checker.format_result(checker.check("maxpool2d", tmp_path / "maxpool2d.py"))
    assert report.count("has no 'max_pool2d_backward'") == 2  # the top, and what went wrong
    assert report.index("MISSING") < report.index("case 1:")


def test_all_zero_and_nan_results_are_said_as_such(tmp_path):
    zeros = ('        self.grads["W"] = 0 * self.x.T @ dy\n'
             '        self.grads["b"] = dy.sum(axis=0)\n'
             '        return dy @ self.params["W"].T')
    (tmp_path / "dense.py").write_text(learner("dense").replace(TODO, zeros))
    report = checker.format_result(checker.check("dense", tmp_path / "dense.py"))
    assert "dW (case 1" in report and "is all zeros" in report
    assert "times the right answer" not in report.split("What went wrong")[1]
    nan = zeros.replace("0 * self.x.T", "np.nan * self.x.T")
    (tmp_path / "dense.py").write_text(learner("dense").replace(TODO, nan))
    report = checker.format_result(checker.check("dense", tmp_path / "dense.py"))
    assert "NaN" in report


def test_cli_paths_end_in_one_line_with_the_way_out(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert cli.main(["check", "dense", "--dir", str(missing)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "run `python -m minae.exercises start" in out[0]
    assert cli.main(["hint", "dense", "--dir", str(missing)]) == 0
    out = capsys.readouterr().out
    assert "hints are not remembered" in out and "start" in out


def test_a_read_only_folder_is_one_line(tmp_path, capsys, monkeypatch):
    """(Simulated: the tests may run as root, who can write anywhere.)"""
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)
    code = cli.main(["start", str(tmp_path / "w")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "cannot write to" in err[0]
    assert "Permission denied" in err[0] and "start DIR" in err[0]


def test_an_earlier_layout_is_detected_and_moved_aside(tmp_path, capsys):
    cli.main(["start", str(tmp_path)])
    old = "class Upsample2D:\n    def backward(self, dy):\n        return dy  # my answer\n"
    (tmp_path / "upsample2d.py").write_text(old)
    capsys.readouterr()
    assert cli.main(["check", "upsample2d", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "earlier minae" in out[0] and "start" in out[0]
    cli.main(["start", str(tmp_path)])
    assert "earlier minae" in capsys.readouterr().out
    assert (tmp_path / "upsample2d.py.bak1").read_text() == old
    assert (tmp_path / "upsample2d.py").read_text() == learner("upsample2d")


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a process group")
def test_ctrl_c_during_a_hanging_check_prints_one_line(tmp_path):
    """A real Ctrl-C (SIGINT to the process group) while the learner's code hangs."""
    text = learner("dense").replace(TODO, "        while True:\n            pass")
    (tmp_path / "dense.py").write_text(text)
    # Ctrl-C as in a terminal: SIGINT at its default in the command, even when this test runs
    # in a background job (a shell starts those with SIGINT ignored, and children inherit it)
    proc = subprocess.Popen([sys.executable, "-m", "minae.exercises", "check", "dense", "--dir",
                             str(tmp_path), "--time-limit", "60"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout.readline().startswith("running case 1:")
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)  # generous: a loaded machine is slow to start
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, (proc.returncode, out[-2000:], err[-2000:])
    assert "Traceback" not in err and "Traceback" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0]


def test_the_spawn_start_method_works_too(tmp_path, monkeypatch):
    """Windows has no fork: the child is a fresh interpreter that imports what it needs."""
    monkeypatch.setattr(sandbox, "_context", lambda: multiprocessing.get_context("spawn"))
    (tmp_path / "relu.py").write_text(markers.render(EXERCISES["relu"].piece(), "solution"))
    assert checker.check("relu", tmp_path / "relu.py").status == "passing"
    text = learner("dense").replace(TODO, "        while True:\n            pass")
    (tmp_path / "dense.py").write_text(text)
    res = checker.check("dense", tmp_path / "dense.py", limit=1)
    assert "case 1 did not finish in 1 s" in checker.format_result(res)
