"""``python -m minae.exercises``: start a workspace, list, check, hint, train (and generate).

::

    python -m minae.exercises start [DIR] [--force]   copy the exercises into DIR (yours to edit)
    python -m minae.exercises list [--dir DIR]        progress over every exercise
    python -m minae.exercises check NAME [--dir DIR]  check your file; exit 0 only if it passes
    python -m minae.exercises check all [--dir DIR]   check every exercise
    python -m minae.exercises hint NAME [LEVEL]       the next hint (1 nudges, 3 nearly tells)
    python -m minae.exercises train MODEL [--quick]   train a lesson's model with your pieces
    python -m minae.exercises generate [--check]      maintainers: regenerate the learner files

DIR defaults to ``$MINAE_WORK`` if set, else ``~/minae-work``. The installed package is never
edited: ``start`` copies, and ``check`` only reads your folder. Every way a command can fail
(a missing or read-only folder, Ctrl-C) ends in one line that says what to do.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from minae.exercises import markers, workspace
from minae.exercises.sandbox import TIME_LIMIT
from minae.exercises.specs import EXERCISES
from minae.exercises.workspace import HINTS_FILE, default_dir, pristine

__all__ = ["HINTS_FILE", "default_dir", "main", "pristine", "stale_files"]


def _dir(args) -> Path:
    return Path(args.dir).expanduser() if args.dir else default_dir()


def _flag(work: Path) -> str:
    return "" if work == default_dir() else f" {work}"


def _unknown(name: str) -> int:
    print(f"unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}",
          file=sys.stderr)
    return 2


def _no_workspace(work: Path) -> str:
    return f"no workspace at {work}; run `python -m minae.exercises start{_flag(work)}` first"


def cmd_start(args) -> int:
    work = Path(args.directory).expanduser() if args.directory else default_dir()
    return workspace.start(work, args.force, print, lambda line: print(line, file=sys.stderr))


def status_of(name: str, work: Path, seed: int = 0) -> str:
    from minae.exercises.checker import check

    path = work / f"{name}.py"
    if not path.exists():
        return "missing (run start)"
    if markers.learner_path(name).exists() and path.read_text() == pristine(name):
        return "not started"
    if workspace.outdated(EXERCISES[name], path):
        return "earlier layout (run start)"
    return check(name, path, seed).status


def cmd_list(args) -> int:
    work = _dir(args)
    if not work.is_dir():
        for name, ex in EXERCISES.items():
            print(f"  {name:<20} {ex.title}")
        print(_no_workspace(work))
        return 1
    print(f"workspace: {work}")
    counts: dict[str, int] = {}
    for name, ex in EXERCISES.items():
        status = status_of(name, work)
        counts[status] = counts.get(status, 0) + 1
        mark = {"passing": "[x]", "failing": "[!]"}.get(status, "[ ]")
        print(f"  {mark} {name:<20} {status:<13} {ex.title}")
    done, total = counts.get("passing", 0), len(EXERCISES)
    bar = "#" * round(20 * done / total) + "-" * (20 - round(20 * done / total))
    rest = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s != "passing")
    print(f"progress [{bar}] {done} of {total} passing" + (f"; {rest}" if rest else ""))
    return 0


def cmd_check(args) -> int:
    from minae.exercises.checker import check, format_result

    work = _dir(args)
    if args.name != "all" and args.name not in EXERCISES:
        return _unknown(args.name)
    if not work.is_dir():
        print(_no_workspace(work))
        return 1
    names = list(EXERCISES) if args.name == "all" else [args.name]
    ok = True
    for name in names:
        path = work / f"{name}.py"
        why = workspace.outdated(EXERCISES[name], path) if path.exists() else ""
        if why:
            print(f"{why}; run `python -m minae.exercises start{_flag(work)}` to keep your "
                  f"version as {workspace.next_backup(path).name} and get the new file")
            ok = False
            continue
        if len(names) > 1 and not path.exists():
            print(f"{name:<20} missing (run `python -m minae.exercises start{_flag(work)}` to "
                  "add it)")
            ok = False
            continue
        if len(names) > 1:
            res = check(name, path, seed=args.seed, limit=args.time_limit)
            print(f"{name:<20} {res.status}")
        else:
            res = check(name, path, seed=args.seed, limit=args.time_limit,
                        on_case=lambda k, label: print(f"running case {k}: {label}", flush=True))
            print()
            print(format_result(res))
        ok = ok and res.passed
    if len(names) > 1:
        print("(run `check NAME` for the details of one exercise)")
    return 0 if ok else 1


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
    if not work.is_dir():
        print(f"(no workspace at {work}, so hints are not remembered and this stays hint 1: run "
              f"`python -m minae.exercises start{_flag(work)}`, or pass the level: hint "
              f"{ex.name} {min(level + 1, len(ex.hints))})")
        return 0
    if level < len(ex.hints):
        print(f"(run `hint {ex.name}` again for a bigger one)")
    seen[ex.name] = max(shown, level)
    try:
        (work / HINTS_FILE).write_text(json.dumps(seen, indent=1, sort_keys=True) + "\n")
    except OSError:
        print(f"(cannot write {work / HINTS_FILE}, so this hint is not remembered; pass the "
              f"level instead: hint {ex.name} {min(level + 1, len(ex.hints))})")
    return 0


def cmd_train(args) -> int:
    from minae.exercises.train import train

    return train(args.model, _dir(args), quick=not args.full, epochs=args.epochs,
                 limit=args.limit, out=args.out, seed=args.seed)


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
                    "get hints, train a lesson's model with your code.")
    sub = p.add_subparsers(dest="command", required=True)
    work_help = "your workspace (default: $MINAE_WORK or ~/minae-work)"
    s = sub.add_parser("start", help="copy the exercises into a folder of your own")
    s.add_argument("directory", nargs="?", help="default: $MINAE_WORK or ~/minae-work")
    s.add_argument("--force", action="store_true",
                   help="replace files you have changed (each kept as NAME.py.bak1, .bak2, ...)")
    s.set_defaults(func=cmd_start)
    s = sub.add_parser("list", help="progress over every exercise")
    s.add_argument("--dir", help=work_help)
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("check", help="check your file for an exercise")
    s.add_argument("name", help="the exercise, or 'all'")
    s.add_argument("--dir", help=work_help)
    s.add_argument("--seed", type=int, default=0, help="seed of the random cases (default 0)")
    s.add_argument("--time-limit", type=float, default=TIME_LIMIT,
                   help=f"seconds per case before it is stopped (default {TIME_LIMIT:g})")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("hint", help="the next hint for an exercise")
    s.add_argument("name")
    s.add_argument("level", nargs="?", type=int, help="1, 2 or 3 (default: the next one)")
    s.add_argument("--dir", help="your workspace (remembers which hints you have seen)")
    s.set_defaults(func=cmd_hint)
    s = sub.add_parser("train", help="train a lesson's model with your passing exercises")
    s.add_argument("model", choices=["conv_autoencoder", "dense_vae"])
    s.add_argument("--dir", help=work_help)
    s.add_argument("--quick", action="store_true",
                   help="the default: 2 epochs of 2000 images, about half a minute")
    s.add_argument("--full", action="store_true", help="10 epochs of 10000 images")
    s.add_argument("--epochs", type=int, default=None, help="epochs (overrides the above)")
    s.add_argument("--limit", type=int, default=None, help="training images (overrides)")
    s.add_argument("--out", default=None,
                   help="folder for the figures (default: DIR/figures/MODEL)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("generate", help="(maintainers) regenerate minae/exercises/learner/")
    s.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    s.set_defaults(func=cmd_generate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("\ninterrupted (Ctrl-C); your files are as they were: run the command again to "
              "go on", file=sys.stderr)
        return 130
