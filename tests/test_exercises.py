"""Exercises: generated from the markers, checked by the checker, planted mistakes caught."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest

from minae.exercises import checker, cli, compare, markers, mutate, running
from minae.exercises.spec import Case
from minae.exercises.specs import EXERCISES

NAMES = list(EXERCISES)
MUTANTS = [(name, i) for name, ex in EXERCISES.items() for i in range(len(ex.mistakes))]
MINAE = Path(markers.__file__).resolve().parents[1]

# The mistakes the issue asks the checker to recognise by name.
COMMON = {
    "dense": ["forgot to sum the bias gradient over the batch", "transposed W's gradient"],
    "relu": ["multiplied dy by the output y instead of by the 0/1 mask"],
    "kl_gradient": ["sigma instead of sigma squared in the KL gradient"],
    "adam_step": ["no bias correction", "eps inside the square root"],
    "conv2d_loops": ["off-by-one in the padding"],
    "conv2d_im2col": ["off-by-one in the padding"],
}
REQUIRED = ["dense", "relu", "sigmoid", "bce_with_logits", "mse", "conv2d_loops",
            "conv2d_im2col", "maxpool2d", "upsample2d", "reparameterization", "kl_gradient",
            "adam_step", "conv_transpose2d", "avgpool2d", "tanh", "leaky_relu", "softplus"]


SHARED: dict[str, running.References] = {}  # minae's side of each check, computed once here


def refs(name: str) -> running.References:
    if name not in SHARED:
        SHARED[name] = running.References(EXERCISES[name])
    return SHARED[name]


def solution_text(name: str) -> str:
    return markers.render(EXERCISES[name].piece(), "solution")


def learner_text(name: str) -> str:
    return markers.render(EXERCISES[name].piece(), "learner")


def run_cli(capsys, *argv) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


# --- generation -----------------------------------------------------------------------------

def test_generated_learner_files_are_not_stale():
    stale = cli.stale_files()
    assert not stale, (f"stale generated exercise files: {[str(p) for p in stale]}; "
                       "run `python -m minae.exercises generate`")


def test_every_marker_in_minae_belongs_to_a_catalogued_exercise():
    found: dict[str, set[str]] = {}
    for path in MINAE.rglob("*.py"):
        if "exercises" in path.relative_to(MINAE).parts:
            continue
        for block in markers.find_blocks(path.read_text(), str(path)):
            found.setdefault(block.name, set()).add(
                ".".join(path.relative_to(MINAE.parent).with_suffix("").parts))
    unknown = set(found) - set(EXERCISES)
    assert not unknown, f"markers of unknown exercises: {unknown}"
    for name, ex in EXERCISES.items():
        assert found.get(name) == {ex.module}, f"exercise {name}: blocks in {found.get(name)}"


@pytest.mark.parametrize("bad, message", [
    ("    # EXERCISE x: a\n    y = 1\n", "never closed"),
    ("    y = 1\n    # END EXERCISE\n", "without an EXERCISE"),
    ("# EXERCISE x: a\n# EXERCISE y: b\n1\n# END EXERCISE\n", "do not nest"),
    ("# EXERCISE x: a\n# END EXERCISE\n", "empty"),
    ("# EXERCISE Bad Name\n1\n# END EXERCISE\n", "malformed"),
])
def test_malformed_markers_are_refused(bad, message):
    with pytest.raises(markers.MarkerError, match=message):
        markers.find_blocks(bad)


@pytest.mark.parametrize("name", NAMES)
def test_learner_version_cuts_out_the_solution(name):
    ex = EXERCISES[name]
    source = markers.source_path(ex.module).read_text()
    text = learner_text(name)
    assert f'raise NotImplementedError("exercise {name} not started")' in text
    assert f"python -m minae.exercises hint {name}" in text
    assert "EXERCISE" not in text.replace(f"TODO ({name})", "")  # no marker lines left
    solution = solution_text(name)
    lines = source.splitlines()
    for b in markers.find_blocks(source):
        if b.name != name:
            continue
        for line in lines[b.start:b.end - 1]:
            code = line.split("#")[0].strip()
            if code:  # each line of the block is gone (it may also appear outside the block)
                assert text.count(code) < solution.count(code), \
                    f"the learner version of {name} still holds {code!r}"
    assert max(len(line) for line in text.splitlines()) <= 100
    compile(text, f"{name}.py", "exec")


def test_required_exercises_are_catalogued():
    assert not set(REQUIRED) - set(EXERCISES), f"missing: {set(REQUIRED) - set(EXERCISES)}"
    for ex in EXERCISES.values():
        assert len(ex.hints) == 3 and all(ex.hints)
        assert len(ex.mistakes) >= 2


# --- the checker on the solution, the learner versions and the mutants ------------------------

@pytest.mark.parametrize("name", NAMES)
def test_solution_passes(name):
    ex = EXERCISES[name]
    res = checker.check_module(ex, running.module_from_source(solution_text(name), f"s_{name}"),
                               refs=refs(name))
    assert res.passed, checker.format_result(res)
    # and so does the library module itself
    assert checker.check_module(ex, importlib.import_module(ex.module), refs=refs(name)).passed


@pytest.mark.parametrize("name", NAMES)
def test_generated_learner_version_imports_and_reports_not_started(name):
    mod = importlib.import_module(f"minae.exercises.learner.{name}")
    res = checker.check_module(EXERCISES[name], mod, refs=refs(name))
    assert res.status == "not started"
    assert "not started" in checker.format_result(res).lower()


@pytest.mark.parametrize("name, index", MUTANTS, ids=[f"{n}-{i}" for n, i in MUTANTS])
def test_planted_mistake_fails_and_is_named(name, index):
    ex = EXERCISES[name]
    mistake = ex.mistakes[index]
    mod = running.module_from_source(running.mutant_source(ex, mistake), f"m_{name}_{index}")
    res = checker.check_module(ex, mod, refs=refs(name))
    assert res.status == "failing", f"mutant {mistake.name!r} passed the checker"
    assert any(mistake.name in d for d in res.diagnosis), (mistake.name, res.diagnosis)


@pytest.mark.parametrize("name", sorted(COMMON))
def test_common_mistakes_are_known_by_name(name):
    if name not in EXERCISES:
        pytest.fail(f"exercise {name} is missing")
    names = [m.name for m in EXERCISES[name].mistakes]
    for wanted in COMMON[name]:
        assert wanted in names


# --- the command line: start, list, check, hint -------------------------------------------------

def write_solution_into(work: Path, name: str, mistake=None) -> None:
    ex = EXERCISES[name]
    text = running.mutant_source(ex, mistake) if mistake else solution_text(name)
    (work / f"{name}.py").write_text(text)


def test_start_copies_and_never_overwrites_without_force(tmp_path, capsys):
    work = tmp_path / "w"
    code, out = run_cli(capsys, "start", str(work))
    assert code == 0 and "copied" in out
    for name in NAMES:
        assert (work / f"{name}.py").read_text() == learner_text(name)
    mine = work / "dense.py"
    mine.write_text("# my work\n")
    code, out = run_cli(capsys, "start", str(work))
    assert code == 0 and "kept your work in dense.py" in out
    assert mine.read_text() == "# my work\n"
    code, out = run_cli(capsys, "start", str(work), "--force")
    assert code == 0
    assert mine.read_text() == learner_text("dense")
    assert (work / "dense.py.bak1").read_text() == "# my work\n"
    mine.write_text("# my second try\n")
    run_cli(capsys, "start", str(work), "--force")
    assert (work / "dense.py.bak1").read_text() == "# my work\n"  # every version is kept
    assert (work / "dense.py.bak2").read_text() == "# my second try\n"
    assert markers.learner_path("dense").read_text() == learner_text("dense")  # package untouched


def test_start_refuses_the_package_folder(capsys):
    code = cli.main(["start", str(markers.LEARNER_DIR)])
    assert code == 2
    assert "inside the minae package" in capsys.readouterr().err


def test_check_exit_status_and_report(tmp_path, capsys):
    run_cli(capsys, "start", str(tmp_path))
    code, out = run_cli(capsys, "check", "dense", "--dir", str(tmp_path))
    assert code == 1 and "NOT STARTED" in out and "Traceback" not in out

    write_solution_into(tmp_path, "dense")
    code, out = run_cli(capsys, "check", "dense", "--dir", str(tmp_path))
    assert code == 0 and "PASSED" in out
    for tensor in ("dx", "dW", "db"):
        assert re.search(rf"^\s+{tensor}\s+ok\s", out, re.M)

    bias = next(m for m in EXERCISES["dense"].mistakes if "sum the bias" in m.name)
    write_solution_into(tmp_path, "dense", bias)
    code, out = run_cli(capsys, "check", "dense", "--dir", str(tmp_path))
    assert code == 1
    assert re.search(r"^\s+db\s+FAILED\s+\d\.\d+e[+-]\d+\s+\(\d+,\)\s+\S+\s+\S+\s+numerical", out,
                     re.M), out
    assert re.search(r"^\s+dW\s+ok\s", out, re.M)
    assert "db: forgot to sum the bias gradient over the batch" in out
    assert "hint dense" in out


def test_check_reports_a_crash_in_one_line(tmp_path, capsys):
    bad = '        self.grads["W"] = self.x @ dy  # wrong shapes: raises'
    todo = '        raise NotImplementedError("exercise dense not started")'
    text = learner_text("dense").replace(todo, bad + "\n        return dy")
    (tmp_path / "dense.py").write_text(text)
    code, out = run_cli(capsys, "check", "dense", "--dir", str(tmp_path))
    lineno = text.splitlines().index(bad)
    assert code == 1 and "Traceback" not in out
    assert f"raised ValueError at dense.py, line {lineno + 1}" in out


def test_check_reports_a_syntax_error_and_a_wrong_shape(tmp_path, capsys):
    todo = '        raise NotImplementedError("exercise dense not started")'
    (tmp_path / "dense.py").write_text(learner_text("dense").replace(todo, "        return (("))
    code, out = run_cli(capsys, "check", "dense", "--dir", str(tmp_path))
    assert code == 1 and "does not import: SyntaxError at dense.py, line" in out
    assert "Traceback" not in out

    wrong = ('        self.grads["W"] = self.x.T @ dy\n        self.grads["b"] = dy.sum(axis=0)\n'
             '        return dy')  # dx has dy's shape
    (tmp_path / "dense.py").write_text(learner_text("dense").replace(todo, wrong))
    code, out = run_cli(capsys, "check", "dense", "--dir", str(tmp_path))
    assert code == 1 and "has shape (3, 5); expected (3, 4)" in out


def test_check_unknown_name_and_missing_file(tmp_path, capsys):
    assert cli.main(["check", "nope", "--dir", str(tmp_path)]) == 2
    code, out = run_cli(capsys, "check", "dense", "--dir", str(tmp_path))
    assert code == 1 and "does not exist" in out and "start" in out


def test_list_shows_each_status(tmp_path, capsys):
    run_cli(capsys, "start", str(tmp_path))
    write_solution_into(tmp_path, "dense")
    write_solution_into(tmp_path, "relu", EXERCISES["relu"].mistakes[0])
    code, out = run_cli(capsys, "list", "--dir", str(tmp_path))
    assert code == 0
    status = {line.split("]")[1].split()[0]: line for line in out.splitlines()
              if line.startswith("  [")}
    assert "passing" in status["dense"]
    assert "failing" in status["relu"]
    assert "not started" in status["sigmoid"]
    assert "1 of" in out and "progress" in out


def test_hint_walks_up_the_ladder(tmp_path, capsys):
    run_cli(capsys, "start", str(tmp_path))
    hints = EXERCISES["dense"].hints
    for level in (1, 2, 3):
        code, out = run_cli(capsys, "hint", "dense", "--dir", str(tmp_path))
        assert code == 0 and f"Hint {level} of 3" in out
        assert hints[level - 1].split()[0] in out
    code, out = run_cli(capsys, "hint", "dense", "--dir", str(tmp_path))
    assert "No more hints" in out and "minae/layers/dense.py" in out
    code, out = run_cli(capsys, "hint", "dense", "2", "--dir", str(tmp_path))
    assert "Hint 2 of 3" in out
    assert cli.main(["hint", "dense", "7", "--dir", str(tmp_path)]) == 2


# --- the pattern descriptions ---------------------------------------------------------------------

def test_describe_patterns():
    rng = np.random.default_rng(0)
    c = rng.standard_normal((4, 3))
    case = Case("", {}, {"N (the batch size)": 4.0})
    assert "sign flipped" in compare.describe(-c, c, case)
    assert "N (the batch size)" in compare.describe(4 * c, c, case)
    assert "transposed" in compare.describe(c.T, c, case)
    assert "all zeros" in compare.describe(0 * c, c, case)
    assert "off by a constant" in compare.describe(c + 0.5, c, case)
    img = rng.standard_normal((2, 1, 8, 8))
    bad = img.copy()
    bad[:, :, 0, 3] = 0.0
    assert "border" in compare.describe(bad, img, case)
    assert "NaN" in compare.describe(np.full_like(c, np.nan), c, case)


# --- robust mutants ---------------------------------------------------------------------------

def test_an_edit_matches_across_a_reformat():
    """Spacing, line breaks inside brackets, comments and quote style do not stop an edit."""
    source = "def f(self, dy):\n    self.grads['W'] = (self.x.T   # comment\n        @ dy)\n"
    out = mutate.apply_edits(source, (('self.grads["W"] = (self.x.T @ dy)', "pass"),))
    assert "pass" in out and "grads" not in out
    compile(out, "f", "exec")


def test_an_edit_that_no_longer_applies_is_an_error():
    """A refactoring that removes (or duplicates) a mutant's code fails loudly."""
    with pytest.raises(mutate.MutantError, match="matches 0 times"):
        mutate.apply_edits("y = a + b\n", (("a * b", "a"),))
    with pytest.raises(mutate.MutantError, match="matches 2 times"):
        mutate.apply_edits("y = a + b\nz = a + b\n", (("a + b", "a"),))


def test_a_multiline_replacement_takes_the_indentation_of_its_line():
    out = mutate.apply_edits("def f():\n    return g(x)\n", (("return g(x)", "y = 1\nreturn y"),))
    assert out == "def f():\n    y = 1\n    return y\n"
