"""``python -m minae.exercises``: start a workspace, list, check, hint (and generate).

::

    python -m minae.exercises start [DIR] [--force]   copy the exercises into DIR (yours to edit)
    python -m minae.exercises list [--dir DIR]        each exercise and its status
    python -m minae.exercises check NAME [--dir DIR]  check your file; exit 0 only if it passes
    python -m minae.exercises check all [--dir DIR]   check every exercise
    python -m minae.exercises hint NAME [LEVEL]       the next hint (1 nudges, 3 nearly tells)
    python -m minae.exercises generate [--check]      maintainers: regenerate the learner files

DIR defaults to ``$MINAE_WORK`` if set, else ``~/minae-work``. The installed package is never
edited: ``start`` copies, and ``check`` only reads your folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from minae.exercises import markers
from minae.exercises.catalogue import EXERCISES

HINTS_FILE = ".minae-hints.json"

WORKSPACE_README = """\
# Your minae exercises

Each file here is a piece of minae with its backward pass (or the key lines) cut out. Read the
docstring at the top, fill in the TODOs, then check:

    python -m minae.exercises check dense --dir {dir}
    python -m minae.exercises hint dense --dir {dir}     # 1 nudges, 3 nearly gives it away
    python -m minae.exercises list --dir {dir}           # what is done

Suggested order (the learning path):

{order}

These files are yours: `start` never overwrites them unless you pass --force.
"""


def default_dir() -> Path:
    return Path(os.environ.get("MINAE_WORK") or "~/minae-work").expanduser()


def _dir(args) -> Path:
    return Path(args.dir).expanduser() if args.dir else default_dir()


def _unknown(name: str) -> int:
    print(f"unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}",
          file=sys.stderr)
    return 2


def pristine(name: str) -> str:
    return markers.learner_path(name).read_text()


# --- start ------------------------------------------------------------------------------------

def cmd_start(args) -> int:
    work = Path(args.directory).expanduser() if args.directory else default_dir()
    if work.exists() and not work.is_dir():
        print(f"{work} exists and is not a folder", file=sys.stderr)
        return 2
    try:
        installed = markers.LEARNER_DIR.resolve()
        if work.resolve() == installed or installed in work.resolve().parents:
            print(f"{work} is inside the minae package; pick a folder of your own",
                  file=sys.stderr)
            return 2
    except OSError:
        pass
    work.mkdir(parents=True, exist_ok=True)
    copied, kept, same = [], [], []
    for name in EXERCISES:
        src = markers.learner_path(name)
        dst = work / f"{name}.py"
        if not src.exists():
            print(f"{name}: not generated in this installation (maintainers: run `python -m "
                  "minae.exercises generate`)", file=sys.stderr)
            continue
        if dst.exists():
            if dst.read_text() == src.read_text():
                same.append(dst.name)
                continue
            if not args.force:
                kept.append(dst.name)
                continue
            backup = dst.with_name(dst.name + ".bak")
            shutil.copyfile(dst, backup)
            print(f"overwrote {dst.name} (your version is in {backup.name})")
        shutil.copyfile(src, dst)
        copied.append(dst.name)
    readme = work / "README.md"
    if not readme.exists():
        order = markers.wrap(", ".join(EXERCISES) + ".", 92, "    ")
        readme.write_text(WORKSPACE_README.format(dir=work, order=order))
    print(f"workspace: {work}")
    if copied:
        print(f"copied {len(copied)} exercise(s): {', '.join(copied)}")
    if same:
        print(f"already there, untouched: {', '.join(same)}")
    if kept:
        print(f"kept your work in {', '.join(kept)} (start --force overwrites, keeping a .bak)")
    first = next(iter(EXERCISES))
    flag = "" if work == default_dir() else f" --dir {work}"
    print(f"\nNext: open {work / (first + '.py')}, fill in the TODO, then run\n"
          f"    python -m minae.exercises check {first}{flag}")
    return 0


# --- list -------------------------------------------------------------------------------------

def status_of(name: str, work: Path) -> str:
    from minae.exercises.checker import check

    path = work / f"{name}.py"
    if not path.exists():
        return "missing (run start)"
    if markers.learner_path(name).exists() and path.read_text() == pristine(name):
        return "not started"
    return check(name, path).status


def cmd_list(args) -> int:
    work = _dir(args)
    if not work.is_dir():
        print(f"no workspace at {work}; run `python -m minae.exercises start {work}` first")
        for name, ex in EXERCISES.items():
            print(f"  {name:<20} {ex.title}")
        return 1
    print(f"workspace: {work}")
    counts: dict[str, int] = {}
    for name, ex in EXERCISES.items():
        status = status_of(name, work)
        counts[status] = counts.get(status, 0) + 1
        print(f"  {name:<20} {status:<13} {ex.title}")
    done = counts.get("passing", 0)
    print(f"{done} of {len(EXERCISES)} passing")
    return 0


# --- check ------------------------------------------------------------------------------------

def cmd_check(args) -> int:
    from minae.exercises.checker import check, format_result

    work = _dir(args)
    names = list(EXERCISES) if args.name == "all" else [args.name]
    if args.name != "all" and args.name not in EXERCISES:
        return _unknown(args.name)
    ok = True
    for i, name in enumerate(names):
        res = check(name, work / f"{name}.py", seed=args.seed)
        if len(names) > 1:
            print(f"{name:<20} {res.status}")
        else:
            print(format_result(res))
        ok = ok and res.passed
        if len(names) > 1 and i == len(names) - 1:
            print("(run `check NAME` for the details of one exercise)")
    return 0 if ok else 1


# --- hint -------------------------------------------------------------------------------------

def _load_hints(work: Path) -> dict:
    try:
        return json.loads((work / HINTS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def cmd_hint(args) -> int:
    if args.name not in EXERCISES:
        return _unknown(args.name)
    ex = EXERCISES[args.name]
    work = _dir(args)
    seen = _load_hints(work) if work.is_dir() else {}
    shown = int(seen.get(ex.name, 0))
    if args.level is not None:
        if not 1 <= args.level <= len(ex.hints):
            print(f"hint levels are 1 to {len(ex.hints)}", file=sys.stderr)
            return 2
        level = args.level
    elif shown >= len(ex.hints):
        print(f"No more hints for {ex.name}: that was hint {len(ex.hints)}. The solution is "
              f"minae's own code, {ex.source} ({ex.where}); read it once you have tried.\n"
              f"(`hint {ex.name} 1` shows the first hint again.)")
        return 0
    else:
        level = shown + 1
    print(f"Hint {level} of {len(ex.hints)} for {ex.name}:")
    print(markers.wrap(ex.hints[level - 1], 92, "  "))
    if level < len(ex.hints):
        print(f"(run `hint {ex.name}` again for a bigger one)")
    if work.is_dir():
        seen[ex.name] = max(shown, level)
        try:
            (work / HINTS_FILE).write_text(json.dumps(seen, indent=1, sort_keys=True) + "\n")
        except OSError:
            pass
    return 0


# --- generate (maintainers) -------------------------------------------------------------------

def generated(errors: list[str] | None = None) -> dict[Path, str]:
    """Every learner file as the markers say it should be now.

    With ``errors``, an exercise whose markers are broken is reported there and left out;
    without, its ``MarkerError`` propagates.
    """
    out = {}
    for name, ex in EXERCISES.items():
        try:
            out[markers.learner_path(name)] = markers.render(ex.piece(), "learner")
        except markers.MarkerError as exc:
            if errors is None:
                raise
            errors.append(f"{name}: {exc}")
    return out


def stale_files() -> list[Path]:
    want = generated()
    stale = [p for p, text in want.items() if not p.exists() or p.read_text() != text]
    extra = [p for p in markers.LEARNER_DIR.glob("*.py")
             if p.name != "__init__.py" and p not in want]
    return stale + extra


def cmd_generate(args) -> int:
    if args.check:
        stale = stale_files()
        for p in stale:
            print(f"stale: {p}")
        if stale:
            print("run `python -m minae.exercises generate`")
        return 1 if stale else 0
    errors: list[str] = []
    want = generated(errors)
    markers.LEARNER_DIR.mkdir(exist_ok=True)
    for p, text in want.items():
        if not p.exists() or p.read_text() != text:
            p.write_text(text)
            print(f"wrote {p}")
    for err in errors:
        print(f"NOT generated: {err}", file=sys.stderr)
    if not errors:
        for p in markers.LEARNER_DIR.glob("*.py"):
            if p.name != "__init__.py" and p not in want:
                p.unlink()
                print(f"removed {p} (no such exercise)")
    return 1 if errors else 0


# --- main -------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m minae.exercises",
        description="minae's backward-pass exercises: start a workspace, check your code, "
                    "get hints.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start", help="copy the exercises into a folder of your own")
    s.add_argument("directory", nargs="?", help="default: $MINAE_WORK or ~/minae-work")
    s.add_argument("--force", action="store_true",
                   help="overwrite files you have changed (a .bak copy is kept)")
    s.set_defaults(func=cmd_start)
    s = sub.add_parser("list", help="each exercise and its status")
    s.add_argument("--dir", help="your workspace (default: $MINAE_WORK or ~/minae-work)")
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("check", help="check your file for an exercise")
    s.add_argument("name", help="the exercise, or 'all'")
    s.add_argument("--dir", help="your workspace (default: $MINAE_WORK or ~/minae-work)")
    s.add_argument("--seed", type=int, default=0, help="seed of the random cases (default 0)")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("hint", help="the next hint for an exercise")
    s.add_argument("name")
    s.add_argument("level", nargs="?", type=int, help="1, 2 or 3 (default: the next one)")
    s.add_argument("--dir", help="your workspace (remembers which hints you have seen)")
    s.set_defaults(func=cmd_hint)
    s = sub.add_parser("generate", help="(maintainers) regenerate minae/exercises/learner/")
    s.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    s.set_defaults(func=cmd_generate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
