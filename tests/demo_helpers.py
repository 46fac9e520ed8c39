"""Helpers for the demo tests: each demo runs in-process through ``main(argv)`` on a few
hundred synthetic digits for one epoch."""

import pytest

SMALL = ["--dataset", "synthetic-digits", "--limit", "300", "--epochs", "1"]


def exits_2(capsys, module, argv) -> tuple[str, str]:
    """Run ``module.main(argv)``; assert it exits with status 2; return (stderr, stdout)."""
    with pytest.raises(SystemExit) as e:
        module.main(argv)
    assert e.value.code == 2
    captured = capsys.readouterr()
    return captured.err, captured.out


def unwritable_folder(tmp_path) -> str:
    """A path for ``--out`` that cannot be made: a folder below a plain file."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    return str(blocker / "sub")


def assert_figures_saved(folder, out: str, names) -> None:
    """Each figure in ``names`` is a file in ``folder`` (not empty), and ``out`` names it."""
    for name in names:
        path = folder / name
        assert path.is_file() and path.stat().st_size > 1000, name
        assert str(path) in out  # the demo prints where each figure went
