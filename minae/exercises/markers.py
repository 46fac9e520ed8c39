"""Exercise markers, and the generator that turns minae's own code into exercises.

One source of truth: every exercise's solution *is* the library's code. The learner's version
is generated from it, never written by hand, and a test fails when a generated file is stale.

The marker syntax (the one place it is documented)
--------------------------------------------------
Inside a function of a library file, two comment lines around the solution::

    def backward(self, dy):
        # EXERCISE dense: set self.grads["W"] and self.grads["b"], and return dx
        self.grads["W"] = self.x.T @ dy
        self.grads["b"] = dy.sum(axis=0)
        return dy @ self.params["W"].T
        # END EXERCISE

* ``# EXERCISE <name>: <one-line task>`` opens a block; ``<name>`` is an exercise of the
  catalogue (one spec per exercise in ``minae/exercises/specs/``), the task is what the
  learner's TODO will say.
* ``# END EXERCISE`` closes it, at any indentation. Blocks do not nest.
* The block's lines are whole statements at the marker's indentation (or deeper).
* An exercise may have several blocks, in one or several of the objects it copies.
* Comments only: the markers never change what the library does.

What ``generate`` makes of it
-----------------------------
For an exercise, its spec names the library module and the top-level classes/functions to
copy. The generator finds them with ``ast``, copies their source text, and then

* in the **learner** version replaces each of the exercise's blocks (markers included) by::

      # TODO (<name>): <task>
      raise NotImplementedError("exercise <name> not started")

  at the marker's indentation, and drops the docstrings of the functions and classes that
  enclose a block (they tend to state the answer; the exercise's own docstring states the math
  to derive instead);
* in the **solution** version keeps the code and drops only the marker lines (the checker
  builds its reference and its "planted mistake" mutants from this text);
* drops the marker lines of any *other* exercise in the copied code (their code stays);
* prepends a module docstring (title, task, the math to derive, shapes, how it is checked, the
  hint command) and the imports the copied code needs: the library module's own imports that
  the code uses, and ``from <module> import <name>`` for the module-level helpers it calls.

``python -m minae.exercises generate`` writes ``minae/exercises/learner/<name>.py``;
``generate --check`` (and ``tests/test_exercises.py``) fail when one of them is stale.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

OPEN = re.compile(r"^(?P<indent>[ \t]*)# EXERCISE (?P<name>[a-z0-9_]+): (?P<task>\S.*?)\s*$")
CLOSE = re.compile(r"^[ \t]*# END EXERCISE\s*$")
LOOSE = re.compile(r"^\s*#\s*(END\s+)?EXERCISE\b")  # anything that looks like a marker
LEARNER_DIR = Path(__file__).resolve().parent / "learner"
RUFF_LINE = "# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)"


class MarkerError(ValueError):
    """A marker is malformed, unclosed, nested, or not where the catalogue says."""


@dataclass(frozen=True)
class Block:
    """One marked block: lines ``start`` (the EXERCISE line) to ``end`` (END), 1-based."""

    name: str
    task: str
    indent: str
    start: int
    end: int


def source_path(module: str) -> Path:
    """The file of a library module (``"minae.layers.dense"`` -> ``.../minae/layers/dense.py``)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise MarkerError(f"cannot find the library module {module!r}")
    return Path(spec.origin)


def relative_source(module: str) -> str:
    """``"minae.layers.dense"`` -> ``"minae/layers/dense.py"`` (for messages and docstrings)."""
    return module.replace(".", "/") + ".py"


def find_blocks(text: str, filename: str = "<source>") -> list[Block]:
    """All marked blocks of a source text, in order. Raises ``MarkerError`` on bad markers."""
    blocks: list[Block] = []
    open_: tuple[int, re.Match] | None = None
    for i, line in enumerate(text.splitlines(), start=1):
        m = OPEN.match(line)
        if m:
            if open_ is not None:
                raise MarkerError(f"{filename}:{i}: EXERCISE block opened inside the block "
                                  f"opened at line {open_[0]} (blocks do not nest)")
            open_ = (i, m)
        elif CLOSE.match(line):
            if open_ is None:
                raise MarkerError(f"{filename}:{i}: END EXERCISE without an EXERCISE line")
            j, m0 = open_
            if i == j + 1:
                raise MarkerError(f"{filename}:{j}: empty EXERCISE block")
            blocks.append(Block(m0["name"], m0["task"], m0["indent"], j, i))
            open_ = None
        elif LOOSE.match(line):
            raise MarkerError(f"{filename}:{i}: malformed marker {line.strip()!r}; expected "
                              "'# EXERCISE <name>: <task>' or '# END EXERCISE'")
    if open_ is not None:
        raise MarkerError(f"{filename}:{open_[0]}: EXERCISE block is never closed")
    return blocks


def _top_level_objects(tree: ast.Module) -> dict[str, ast.AST]:
    return {node.name: node for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _span(node: ast.AST, lines: list[str] | None = None) -> tuple[int, int]:
    """First and last line of a def/class, decorators included (1-based, inclusive).

    With ``lines``, the span also takes in the comment lines (an ``END EXERCISE``) that follow
    the last statement, indented deeper than the ``def``/``class`` itself.
    """
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    last = node.end_lineno
    if lines is not None:
        i = last  # 0-based index of the line after the last one
        while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
            line = lines[i]
            if line.strip() and len(line) - len(line.lstrip()) > node.col_offset:
                last = i + 1
            elif line.strip():
                break
            i += 1
    return first, last


def _docstring_span(node: ast.AST) -> tuple[int, int] | None:
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0].lineno, body[0].end_lineno
    return None


def _enclosing(node: ast.AST, line: int, lines: list[str]) -> list[ast.AST]:
    """The chain of defs/classes (outermost first) whose span holds ``line``."""
    chain = []
    for child in ast.walk(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            lo, hi = _span(child, lines)
            if lo <= line <= hi:
                chain.append(child)
    return chain


@dataclass(frozen=True)
class Piece:
    """What the generator needs to know about one exercise (the catalogue supplies it)."""

    name: str
    module: str
    objects: tuple[str, ...]
    docstring: str


def _module_imports(tree: ast.Module) -> dict[str, tuple[str, str | None, str | None]]:
    """Bound name -> (kind, module, original name) for the module's top-level imports."""
    bound: dict[str, tuple[str, str | None, str | None]] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                bound[a.asname or a.name.split(".")[0]] = ("import", a.name, a.asname)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for a in node.names:
                bound[a.asname or a.name] = ("from", node.module, a.name)
    return bound


def _module_definitions(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
    return names


def _names_used(code: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}


def _sort_key(name: str) -> tuple[int, str]:
    """ruff/isort's order-by-type: CONSTANTS, then Classes, then functions."""
    if name.isupper() and len(name) > 1:
        return 0, name
    if name[:1].isupper():
        return 1, name
    return 2, name


def _import_lines(code: str, module: str, tree: ast.Module, copied: set[str]) -> list[str]:
    """The import section (isort-style groups) for ``code`` copied out of ``module``."""
    used = _names_used(code)
    bound = _module_imports(tree)
    defined = _module_definitions(tree) - copied
    plain: dict[str, set[str]] = {}  # module -> {"import x" / "import x as y"}
    froms: dict[str, set[str]] = {}  # module -> {names}
    for name in sorted(used):
        if name in bound:
            kind, mod, orig = bound[name]
            if kind == "import":
                plain.setdefault(mod, set()).add(f"import {mod}" + (f" as {orig}" if orig else ""))
            else:
                froms.setdefault(mod, set()).add(orig if orig == name else f"{orig} as {name}")
        elif name in defined and not hasattr(builtins, name):
            froms.setdefault(module, set()).add(name)

    def group(mod: str) -> int:
        top = mod.split(".")[0]
        if top == "minae":
            return 2
        return 0 if top in sys.stdlib_module_names else 1

    sections: list[list[str]] = [[], [], []]
    for mod in sorted(plain):
        sections[group(mod)].extend(sorted(plain[mod]))
    for mod in sorted(froms):
        names = sorted(froms[mod], key=_sort_key)
        line = f"from {mod} import {', '.join(names)}"
        if len(line) > 99:
            line = f"from {mod} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
        sections[group(mod)].append(line)
    out: list[str] = []
    for section in sections:
        if section:
            out.extend(section)
            out.append("")
    return out


def render(piece: Piece, variant: str) -> str:
    """The text of the ``"learner"`` or ``"solution"`` version of an exercise."""
    if variant not in ("learner", "solution"):
        raise ValueError(f"variant must be 'learner' or 'solution'; got {variant!r}")
    path = source_path(piece.module)
    text = path.read_text()
    rel = relative_source(piece.module)
    lines = text.splitlines()
    tree = ast.parse(text)
    blocks = find_blocks(text, rel)
    objects = _top_level_objects(tree)
    missing = [o for o in piece.objects if o not in objects]
    if missing:
        raise MarkerError(f"{rel} has no top-level {', '.join(missing)} (exercise {piece.name})")
    spans = {o: _span(objects[o], lines) for o in piece.objects}
    mine = [b for b in blocks if b.name == piece.name]
    if not mine:
        raise MarkerError(f"{rel} has no '# EXERCISE {piece.name}: ...' block")
    for b in mine:
        if not any(lo < b.start and b.end <= hi for lo, hi in spans.values()):
            raise MarkerError(f"{rel}:{b.start}: the block of exercise {piece.name!r} is not "
                              f"inside the objects it copies ({', '.join(piece.objects)})")

    drop: set[int] = set()  # 1-based lines to leave out
    for b in blocks:
        if b.name != piece.name or variant == "solution":
            drop.update((b.start, b.end))
    if variant == "learner":
        for b in mine:
            for node in _enclosing(tree, b.start, lines):
                span = _docstring_span(node)
                if span:
                    drop.update(range(span[0], span[1] + 1))
                    after = span[1] + 1  # and the blank lines after it
                    while after <= len(lines) and not lines[after - 1].strip():
                        drop.add(after)
                        after += 1
    starts = {b.start: b for b in mine} if variant == "learner" else {}
    inside: set[int] = set()
    for b in starts.values():
        inside.update(range(b.start + 1, b.end + 1))

    chunks = []
    for obj in piece.objects:
        lo, hi = spans[obj]
        out = []
        for i in range(lo, hi + 1):
            if i in starts:
                b = starts[i]
                out.append(f"{b.indent}# TODO ({piece.name}): {b.task}")
                out.append(f'{b.indent}raise NotImplementedError("exercise {piece.name} '
                           'not started")')
            elif i in inside or i in drop:
                continue
            else:
                out.append(lines[i - 1])
        chunks.append("\n".join(out))
    code = "\n\n\n".join(chunks) + "\n"

    # imports: what the *solution* needs, so the learner has every name it will use
    solution_code = "\n\n\n".join(
        "\n".join(lines[lo - 1:hi]) for lo, hi in (spans[o] for o in piece.objects))
    imports = _import_lines(solution_code, piece.module, tree, set(piece.objects))
    doc = piece.docstring.strip("\n")
    header = ['"""' + doc + "\n" + '"""', ""]
    if variant == "learner":
        header += [RUFF_LINE, ""]
    header += ["from __future__ import annotations", ""]
    return "\n".join(header + imports).rstrip("\n") + "\n\n\n" + code


def learner_path(name: str) -> Path:
    return LEARNER_DIR / f"{name}.py"


def wrap(text: str, width: int = 92, indent: str = "") -> str:
    """Re-flow each paragraph of ``text`` (blank-line separated), keeping indented lines as is."""
    out = []
    for para in textwrap.dedent(text).strip("\n").split("\n\n"):
        if any(line.startswith(" ") for line in para.splitlines()):
            out.append(textwrap.indent(para, indent))
        else:
            out.append(textwrap.fill(" ".join(para.split()), width, initial_indent=indent,
                                     subsequent_indent=indent, break_on_hyphens=False))
    return "\n\n".join(out)


def _shape_lines(doc: str) -> list[str]:
    """The ``name : shape`` entries of a numpy-style docstring (with the first line of their
    description when the entry's line ends inside brackets), and its ``Shapes`` lines."""
    out, section, base = [], "", _indent_of(doc.splitlines())
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        text = line.strip().replace("``", "")
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if text and nxt and set(nxt) == {"-"}:
            section = text
            continue
        if set(text) == {"-"}:
            continue
        if text.startswith("Shapes:") or text.startswith("Shapes (") or \
                (section == "Shapes" and text):
            out.append(text)
        elif section in ("Parameters", "Returns") and re.match(r"^[\w, ()]+ : \S", text) \
                and line[:len(line) - len(line.lstrip())] == base:
            if text.count("(") > text.count(")") and nxt:  # the entry goes on below
                text += " " + nxt.replace("``", "")
            out.append(text)
    return out


def _indent_of(lines: list[str]) -> str:
    """The indentation of a docstring's body (its second non-blank line)."""
    body = [line for line in lines[1:] if line.strip()]
    return body[0][:len(body[0]) - len(body[0].lstrip())] if body else ""


def docstring_shapes(module: str, objects: tuple[str, ...]) -> str:
    """The shapes the library's own docstrings give for ``objects`` (and their methods)."""
    tree = ast.parse(source_path(module).read_text())
    found = _top_level_objects(tree)
    parts = []
    for name in objects:
        node = found.get(name)
        if node is None:
            continue
        nodes = [node] + [n for n in node.body if isinstance(n, ast.FunctionDef)] \
            if isinstance(node, ast.ClassDef) else [node]
        for n in nodes:
            doc = ast.get_docstring(n, clean=False) or ""
            lines = _shape_lines(doc)
            if lines:
                label = name if n is node else f"{name}.{n.name}"
                parts.append(f"{label}:\n" + "\n".join(
                    textwrap.fill(line, 92, initial_indent="    ", subsequent_indent="        ",
                                  break_on_hyphens=False) for line in lines))
    return "\n".join(parts) if parts else "See the function signatures below."
