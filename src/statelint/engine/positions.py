"""Source positions of CST nodes, for findings and facts.

libcst computes positions by generating the code of the whole module while
counting lines and columns, and ``MetadataWrapper(...).resolve(PositionProvider)``
first runs a batched visit over the whole tree (rebuilding every node, for no
provider at all): together they cost about as much as the parse. Rules ask for a
handful of positions per file, so :class:`LazyPositions` generates only the
top-level statements that hold the nodes asked about. Where a statement starts is
read from CPython's syntax tree (a tenth of libcst's cost) and checked against the
source text: the statement's generated code must be exactly what the file holds
there. Anything unusual (a node outside every statement, a file without a final
newline, libcst internals that moved) falls back to the whole module, so the ranges
are always exactly libcst's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

import libcst as cst

_NEWLINE = re.compile(r"\r\n?|\n")  # libcst's own definition of a line break


def _shifted(found: Any, lines: int) -> Any:
    from libcst._position import CodePosition, CodeRange

    if not lines:
        return found
    return CodeRange(
        CodePosition(found.start.line + lines, found.start.column),
        CodePosition(found.end.line + lines, found.end.column),
    )


def compute_positions(module: cst.Module) -> Mapping[cst.CSTNode, Any]:
    """Every node's ``CodeRange`` (what ``PositionProvider`` gives), in one pass."""
    computed, _ = _generate(module, module)
    return computed


def _generate(module: cst.Module, node: cst.CSTNode) -> tuple[dict[cst.CSTNode, Any], str]:
    """Positions (relative to the start of ``node``'s code) and the code of ``node``."""
    from libcst.metadata import PositionProvider

    try:
        from libcst.metadata.position_provider import PositionProvidingCodegenState

        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=provider,
        )
        codegen = node._codegen
        computed = provider._computed
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - a future libcst
        if node is not module:
            raise
        return dict(cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)), module.code
    codegen(state)
    return computed, "".join(state.tokens)


class LazyPositions:
    """``node -> CodeRange`` for one module, computed a top-level statement at a time."""

    def __init__(self, module: cst.Module, source: str) -> None:
        self.module = module
        self.source = source
        self._whole: Mapping[cst.CSTNode, Any] | None = None
        self._statements: dict[int, tuple[Mapping[cst.CSTNode, Any], int]] = {}  # index -> (relative, shift)
        self._owners: dict[int, int] = {}  # id(node) -> index of its top-level statement
        self._mapped = 0  # statements whose nodes are in _owners
        self._starts: list[int | None] | None = None  # first line of each top-level statement
        self._offsets: list[int] | None = None  # where each line begins in the source

    def __getitem__(self, node: cst.CSTNode) -> Any:
        if self._whole is None:
            index = self._owner(node)
            placed = self._statement(index) if index is not None else None
            if placed is not None:
                relative, shift = placed
                found = relative.get(node)
                if found is not None:
                    return _shifted(found, shift)
            self._whole = compute_positions(self.module)
        return self._whole[node]

    def _owner(self, node: cst.CSTNode) -> int | None:
        """The top-level statement holding ``node``, mapping statements in order only as far as needed."""
        found = self._owners.get(id(node))
        if found is not None:
            return found
        from statelint.engine.walker import children

        body = self.module.body
        while self._mapped < len(body):
            index = self._mapped
            self._mapped += 1
            pending: list[cst.CSTNode] = [body[index]]
            while pending:
                current = pending.pop()
                self._owners[id(current)] = index
                pending.extend(children(current))
            if id(node) in self._owners:
                return index
        return None

    def _statement(self, index: int) -> tuple[Mapping[cst.CSTNode, Any], int] | None:
        """Positions within top-level statement ``index`` and its line shift; None if it cannot be placed."""
        if index in self._statements:
            return self._statements[index]
        start = self._start_lines()[index]
        if start is None:
            return None
        relative, code = _generate(self.module, self.module.body[index])
        offset = self._line_offset(start)
        if offset is None or self.source[offset : offset + len(code)] != code:
            return None
        self._statements[index] = (relative, start - 1)
        return self._statements[index]

    def _start_lines(self) -> list[int | None]:
        """Where each top-level statement's code (its leading blank and comment lines included) begins."""
        if self._starts is None:
            body = self.module.body
            starts: list[int | None] = [None] * len(body)
            try:
                tree = compile(self.source, "<positions>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
            statements = tree.body if isinstance(tree, ast.Module) else []
            position = 0
            for index, statement in enumerate(body):
                if position >= len(statements):
                    break
                first = statements[position]
                line = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", ()))])
                starts[index] = line - len(statement.leading_lines)
                position += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
            self._starts = starts
        return self._starts

    def _line_offset(self, line: int) -> int | None:
        if self._offsets is None:
            self._offsets = [0, *(match.end() for match in _NEWLINE.finditer(self.source))]
        return self._offsets[line - 1] if 0 < line <= len(self._offsets) else None
