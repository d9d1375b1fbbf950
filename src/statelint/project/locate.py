"""Where a project function is defined: the line a path step of a finding points at.

The summaries hold no line numbers (an edit that only moves code must leave them, and
the model, as they were), so the few findings that show a path look the lines up
here, once per file and process, from CPython's tree of the file.
"""

from __future__ import annotations

import ast
from collections import deque

from statelint.engine.source import SourceError, decode_python, read_bytes

_LINES: dict[str, dict[str, int]] = {}  # path -> local qualified name -> line of its def


def definition_line(path: str, local: str) -> int:
    """The line of the ``def`` of ``local`` (``cart``, ``Store.add``, ``make.<locals>.inner``) in the
    file at ``path``; 0 when the file cannot be read or parsed, or defines no such function."""
    lines = _LINES.get(path)
    if lines is None:
        lines = _LINES[path] = _definitions(path)
    return lines.get(local, 0)


def _definitions(path: str) -> dict[str, int]:
    try:
        tree = ast.parse(decode_python(read_bytes(path)))
    except (SourceError, SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    found: dict[str, int] = {}
    pending: deque[tuple[str, list[ast.stmt]]] = deque([("", tree.body)])
    while pending:  # in source order: the first of two defs of a name is the one named
        prefix, body = pending.popleft()
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{node.name}"
                if not isinstance(node, ast.ClassDef):
                    found.setdefault(name, node.lineno)
                    pending.append((f"{name}.<locals>.", node.body))
                else:
                    pending.append((f"{name}.", node.body))
            else:  # a def under an if, a try, a with or a loop belongs to the same scope
                for field in ("body", "orelse", "finalbody"):
                    pending.append((prefix, getattr(node, field, None) or []))
                for clause in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
                    pending.append((prefix, clause.body))
    return found
