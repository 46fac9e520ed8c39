"""The learner's folder: every earlier version kept, earlier minae's files found and updated."""

from __future__ import annotations

from minae.exercises import cli, markers, workspace
from minae.exercises.specs import EXERCISES


def learner(name: str) -> str:
    return markers.render(EXERCISES[name].piece(), "learner")


def test_backups_take_the_next_free_number(tmp_path):
    path = tmp_path / "dense.py"
    assert workspace.next_backup(path).name == "dense.py.bak1"
    (tmp_path / "dense.py.bak1").write_text("1")
    (tmp_path / "dense.py.bak2").write_text("2")
    assert workspace.next_backup(path).name == "dense.py.bak3"


def test_an_untouched_file_of_an_earlier_minae_is_updated_and_kept(tmp_path, capsys):
    cli.main(["start", str(tmp_path)])
    old = learner("dense").replace("Exercise dense:", "Exercise dense (an earlier minae):", 1)
    (tmp_path / "dense.py").write_text(old)
    answered = markers.render(EXERCISES["relu"].piece(), "solution")
    (tmp_path / "relu.py").write_text(answered)
    capsys.readouterr()
    assert cli.main(["start", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "updated dense.py, which you had not started" in out
    assert (tmp_path / "dense.py").read_text() == learner("dense")
    assert (tmp_path / "dense.py.bak1").read_text() == old
    assert "kept your work in relu.py" in out  # answers are never replaced without --force
    assert (tmp_path / "relu.py").read_text() == answered


def test_a_file_importing_what_minae_no_longer_has_is_outdated(tmp_path):
    path = tmp_path / "conv2d_im2col.py"
    path.write_text(learner("conv2d_im2col").replace(
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nfrom minae.kernels.conv import CHUNK_BYTES\n", 1))
    why = workspace.outdated(EXERCISES["conv2d_im2col"], path)
    assert "earlier minae" in why and "CHUNK_BYTES" in why
    path.write_text(learner("conv2d_im2col"))
    assert workspace.outdated(EXERCISES["conv2d_im2col"], path) == ""


def test_check_all_names_a_missing_exercise_once(tmp_path, capsys):
    cli.main(["start", str(tmp_path)])
    (tmp_path / "tanh.py").unlink()
    capsys.readouterr()
    assert cli.main(["check", "all", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.count("tanh") == 1 and "missing (run `python -m minae.exercises start" in out
