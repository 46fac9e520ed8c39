"""Planted mistakes that survive a reformat: edits matched token by token.

A ``Mistake`` is a list of edits ``(old, new)`` of the solution source. ``old`` is matched as a
sequence of Python *tokens* (``tokenize``), so spacing, line breaks inside brackets, comments
and the quote style of strings do not matter: ``self.grads["W"] = self.x.T @ dy`` matches

    self.grads['W'] = (self.x.T
                       @ dy)   # a comment

except for the brackets added. The matched text, from its first token to its last, is replaced
by ``new``; when ``new`` has several lines, the later ones are indented like the line the match
starts on. Every edit must match exactly once: a refactoring of the library that removes or
duplicates the code a mistake edits makes ``apply_edits`` raise (and the test that plants every
mistake fails), instead of the mistake being silently dropped.
"""

from __future__ import annotations

import ast
import io
import tokenize

SKIP = {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
        tokenize.ENCODING, tokenize.ENDMARKER}


class MutantError(ValueError):
    """An edit of a planted mistake does not match the solution source exactly once."""


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    """The significant tokens of ``text`` (a fragment may be unbalanced: tolerated at its end)."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type not in SKIP:
                out.append(tok)
    except (tokenize.TokenError, IndentationError):
        pass  # an unclosed bracket at the end of a fragment: the tokens so far are the fragment
    return out


def _key(tok: tokenize.TokenInfo) -> str:
    """What a token means: strings by their value (so ' and \" are the same), others as written."""
    if tok.type == tokenize.STRING:
        try:
            return "s:" + repr(ast.literal_eval(tok.string))
        except (ValueError, SyntaxError):
            return tok.string
    return tok.string


def _offsets(text: str) -> list[int]:
    """Character offset of the start of each (1-based) line."""
    starts, pos = [0, 0], 0
    for line in text.splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def find(text: str, old: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of ``text`` whose tokens are ``old``'s tokens."""
    pattern = [_key(t) for t in _tokens(old)]
    if not pattern:
        raise MutantError(f"edit {old!r} has no tokens")
    toks = _tokens(text)
    keys = [_key(t) for t in toks]
    starts = _offsets(text)
    spans = []
    n = len(pattern)
    for i in range(len(keys) - n + 1):
        if keys[i:i + n] == pattern:
            first, last = toks[i], toks[i + n - 1]
            spans.append((starts[first.start[0]] + first.start[1],
                          starts[last.end[0]] + last.end[1]))
    return spans


def apply_edits(text: str, edits, where: str = "the solution") -> str:
    """``text`` with each ``(old, new)`` applied; each ``old`` must match exactly once."""
    for old, new in edits:
        spans = find(text, old)
        if len(spans) != 1:
            raise MutantError(f"{where}: the edit {old!r} matches {len(spans)} times (it must "
                              "match once); the library's code changed under this mistake, so "
                              "update the mistake's edit in its spec")
        start, end = spans[0]
        line_start = text.rfind("\n", 0, start) + 1
        line = text[line_start:start]
        indent = line[:len(line) - len(line.lstrip())]
        new = new.replace("\n", "\n" + indent)
        text = text[:start] + new + text[end:]
    return text
