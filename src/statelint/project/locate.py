"""Where a project function is defined: the line a path step of a finding points at.

The summaries hold no line numbers (an edit that only moves code must leave them, and
the model, as they were), and a cached result must not keep the lines of other files
(they move while it stays valid). So the few findings that show a path get their lines
here, when a format that links them (SARIF, JSON) reports, once per file, from CPython's
tree of the file (:meth:`statelint.reporters.base.Report.located_findings`).
"""

from __future__ import annotations

import ast
import os
from collections import deque
from collections.abc import Iterable

from statelint.engine.source import SourceError, decode_python, read_bytes
from statelint.model import Finding, Related


def place(findings: Iterable[Finding], base: str | None = None) -> list[Finding]:
    """``findings`` with the line of each related step's ``def`` filled in (a step whose function is
    not found any more keeps no place). Each file is read once per call, never remembered longer;
    paths are as displayed, relative to ``base`` (default: the working directory)."""
    lines: dict[str, dict[str, int]] = {}  # path -> local qualified name -> line of its def
    out = []
    for finding in findings:
        if finding.related:
            steps = []
            for step in finding.related:
                if step.path and step.name and step.path not in lines:
                    lines[step.path] = _definitions(os.path.join(base, step.path) if base else step.path)
                line = lines[step.path].get(step.name, 0) if step.path and step.name else 0
                steps.append(step._replace(line=line) if line else Related(step.label))
            finding = finding._replace(related=tuple(steps))
        out.append(finding)
    return out


def _definitions(path: str) -> dict[str, int]:
    """Each function of the file at ``path`` by its local qualified name (``cart``, ``Store.add``,
    ``make.<locals>.inner``) -> the line of its ``def``; empty when the file cannot be read or parsed."""
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
