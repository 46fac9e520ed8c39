"""The learner's folder: copying the exercises in, keeping every earlier version, and files
made by an earlier minae.

``start`` copies each generated learner file into the folder. A file the learner changed is
kept unless ``--force``, and then it is first moved to ``NAME.py.bak1`` (``.bak2``, ... the
next free number: no version is ever overwritten). A file made by an earlier minae, whose
functions the exercise no longer calls (the upsampling exercise moved from the layer to
``minae/kernels/upsample.py``), is detected by ``check`` and moved aside by ``start`` in the
same way, with a line saying what to copy across.
"""

from __future__ import annotations

import ast
import importlib
import os
import shutil
from pathlib import Path

from minae.exercises import markers
from minae.exercises.spec import Exercise
from minae.exercises.specs import EXERCISES

HINTS_FILE = ".minae-hints.json"

WORKSPACE_README = """\
# Your minae exercises

Each file here is a piece of minae with its backward pass (or the key lines) cut out. Read the
docstring at the top, fill in the TODOs, then check:

    python -m minae.exercises check dense --dir {dir}
    python -m minae.exercises hint dense --dir {dir}     # 1 nudges, 3 nearly gives it away
    python -m minae.exercises list --dir {dir}           # what is done
    python -m minae.exercises train conv_autoencoder --dir {dir} --quick   # your code trains

Suggested order (the learning path):

{order}

These files are yours: `start` never overwrites them unless you pass --force, and then it
keeps your version as NAME.py.bak1 (then .bak2, ...).
"""


def default_dir() -> Path:
    return Path(os.environ.get("MINAE_WORK") or "~/minae-work").expanduser()


def pristine(name: str) -> str:
    return markers.learner_path(name).read_text()


def next_backup(path: Path) -> Path:
    """``NAME.py.bakN`` with the smallest N not taken."""
    n = 1
    while path.with_name(f"{path.name}.bak{n}").exists():
        n += 1
    return path.with_name(f"{path.name}.bak{n}")


def defined_names(path: Path) -> set[str] | None:
    """Top-level names a file defines, or None when it does not parse."""
    try:
        tree = ast.parse(path.read_text())
    except (SyntaxError, ValueError, OSError):
        return None
    return {n.name for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _gone_imports(path: Path) -> list[str]:
    """``name (from module)`` for each minae name the file imports that minae no longer has."""
    try:
        tree = ast.parse(path.read_text())
    except (SyntaxError, ValueError, OSError):
        return []
    gone = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "minae":
            try:
                mod = importlib.import_module(node.module)
            except ImportError:
                gone.append(node.module)
                continue
            gone += [f"{a.name} (from {node.module})" for a in node.names
                     if not hasattr(mod, a.name)]
    return gone


def outdated(ex: Exercise, path: Path) -> str:
    """Why ``path`` is from an earlier minae (it lacks what the exercise calls, or imports
    what minae no longer has), or ''."""
    gone = _gone_imports(path)
    if gone:
        return (f"{path.name} was made by an earlier minae: it imports {', '.join(gone)}, "
                "which this minae no longer has")
    names = defined_names(path)
    if names is None or all(n in names for n in ex.called):
        return ""
    old = sorted(names & set(ex.old_names)) if ex.old_names else []
    if not old:
        return ""
    return (f"{path.name} was made by an earlier minae: it defines {', '.join(old)}, but the "
            f"exercise is now {', '.join(ex.called)} in {ex.source}")


def _not_started(name: str, path: Path) -> bool:
    """The file (an earlier minae's copy) still stops at the exercise's placeholder."""
    from minae.exercises.checker import check

    return check(name, path).status == "not started"


def start(work: Path, force: bool, say, complain) -> int:
    """Copy the exercises into ``work``; ``say`` prints a line, ``complain`` an error line.
    Returns an exit code."""
    if work.exists() and not work.is_dir():
        complain(f"{work} exists and is not a folder; pick another: python -m "
                 "minae.exercises start DIR")
        return 2
    installed = markers.LEARNER_DIR.resolve()
    if work.resolve() == installed or installed in work.resolve().parents:
        complain(f"{work} is inside the minae package; pick a folder of your own: python -m "
            "minae.exercises start ~/minae-work")
        return 2
    try:
        return _copy_all(work, force, say)
    except OSError as exc:
        complain(f"cannot write to {work} ({exc.strerror or exc}); pick a folder you can write to: "
            "python -m minae.exercises start DIR")
        return 2


def _copy_all(work: Path, force: bool, say) -> int:
    work.mkdir(parents=True, exist_ok=True)
    copied, kept, same = [], [], []
    for name, ex in EXERCISES.items():
        src, dst = markers.learner_path(name), work / f"{name}.py"
        if not src.exists():
            say(f"{name}: not generated in this installation (maintainers: python -m "
                "minae.exercises generate)")
            continue
        if dst.exists():
            if dst.read_text() == src.read_text():
                same.append(dst.name)
                continue
            why = outdated(ex, dst)
            fresh = not why and not force and _not_started(name, dst)
            if not force and not why and not fresh:
                kept.append(dst.name)
                continue
            backup = next_backup(dst)
            shutil.move(dst, backup)
            if why:
                say(f"{why}; your version is now {backup.name}: copy your answer across into "
                    f"the new {dst.name}")
            elif fresh:
                say(f"updated {dst.name}, which you had not started, to this minae's version "
                    f"(the old one is {backup.name})")
            else:
                say(f"overwrote {dst.name} (your version is in {backup.name})")
        shutil.copyfile(src, dst)
        copied.append(dst.name)
    readme = work / "README.md"
    if not readme.exists():
        order = markers.wrap(", ".join(EXERCISES) + ".", 92, "    ")
        readme.write_text(WORKSPACE_README.format(dir=work, order=order))
    say(f"workspace: {work}")
    if copied:
        say(f"copied {len(copied)} exercise(s): {', '.join(copied)}")
    if same:
        say(f"already there, untouched: {', '.join(same)}")
    if kept:
        say(f"kept your work in {', '.join(kept)} (start --force replaces them, keeping "
            "each as NAME.py.bak1, .bak2, ...)")
    first = next(iter(EXERCISES))
    flag = "" if work == default_dir() else f" --dir {work}"
    say(f"\nNext: open {work / (first + '.py')}, fill in the TODO, then run\n"
        f"    python -m minae.exercises check {first}{flag}")
    return 0
