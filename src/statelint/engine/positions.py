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
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

_NEWLINE = re.compile(r"\r\n?|\n")  # libcst's own definition of a line break


def _range(found: tuple[tuple[int, int], tuple[int, int]], lines: int) -> Any:
    """A ``CodeRange`` from (line, column) pairs relative to a statement starting ``lines`` lines down."""
    from libcst._position import CodePosition, CodeRange

    (start_line, start_column), (end_line, end_column) = found
    return CodeRange(CodePosition(start_line + lines, start_column), CodePosition(end_line + lines, end_column))


def compute_positions(module: cst.Module) -> Mapping[cst.CSTNode, Any]:
    """Every node's ``CodeRange`` (what ``PositionProvider`` gives), in one code generation.

    ``MetadataWrapper(...).resolve(PositionProvider)`` gives the same after a batched
    visit that rebuilds every node for nothing; it is the fallback if libcst's
    internals move.
    """
    from libcst.metadata import PositionProvider

    try:
        from libcst.metadata.position_provider import PositionProvidingCodegenState

        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent, default_newline=module.default_newline, provider=provider
        )
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - a future libcst
        return dict(cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    module._codegen(state)
    return provider._computed


class _SelectiveState(CodegenState):
    """libcst's codegen state, recording the ranges of the ``wanted`` nodes only.

    Ranges follow :class:`libcst.metadata.PositionProvider`: a node's syntactic range
    (``record_syntactic_position``, with the ends it hoists from children) wins over
    the range of its whole code. Lines and columns are counted per token with
    libcst's own newline pattern, lazily: only when a wanted node needs them.
    """

    def __init__(self, module: cst.Module, wanted: Collection[cst.CSTNode]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.wanted = {id(node) for node in wanted}
        self.found: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
        self._starts: list[tuple[int, int] | None] = []
        self._line, self._column, self._counted = 1, 0, 0

    def _here(self) -> tuple[int, int]:
        tokens = self.tokens
        for token in tokens[self._counted :]:
            segments = _NEWLINE.split(token)
            if len(segments) == 1:
                self._column += len(token)
            else:
                self._line += len(segments) - 1
                self._column = len(segments[-1])
        self._counted = len(tokens)
        return self._line, self._column

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append(self._here() if id(node) in self.wanted else None)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        if start is not None and id(node) not in self.found:
            self.found[id(node)] = (start, self._here())

    @contextmanager
    def record_syntactic_position(
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> Iterator[None]:
        if id(node) not in self.wanted:
            yield
            return
        for hoisted in (start_node, end_node):  # their ranges are generated inside this block
            if hoisted is not None:
                self.wanted.add(id(hoisted))
        start = self._here()
        try:
            yield
        finally:
            end = self._here()
            if start_node is not None:
                start = self.found[id(start_node)][0]
            if end_node is not None:
                end = self.found[id(end_node)][1]
            self.found[id(node)] = (start, end)


class LazyPositions:
    """``node -> CodeRange`` for one module, computed a top-level statement at a time."""

    def __init__(self, module: cst.Module, source: str, tree: ast.Module | None = None) -> None:
        self.module = module
        self.source = source
        self._tree = tree  # CPython's tree of ``source``, if the caller has one
        self._whole: Mapping[cst.CSTNode, Any] | None = None
        #: top-level statement index -> (ranges of the nodes asked about by id, line shift, those nodes)
        self._statements: dict[int, tuple[dict[int, tuple[tuple[int, int], tuple[int, int]]], int, list[cst.CSTNode]]] = {}
        self._owners: dict[int, int] = {}  # id(node) -> index of its top-level statement
        self._mapped = 0  # statements whose nodes are in _owners
        self._starts: list[int | None] | None = None  # first line of each top-level statement
        self._offsets: list[int] | None = None  # where each line begins in the source

    def __getitem__(self, node: cst.CSTNode) -> Any:
        self.prefetch((node,))
        if self._whole is None:
            index = self._owners.get(id(node))
            placed = self._statements.get(index) if index is not None else None
            if placed is not None:
                found = placed[0].get(id(node))
                if found is not None:
                    return _range(found, placed[1])
            self._whole = compute_positions(self.module)
        return self._whole[node]

    def prefetch(self, nodes: Collection[cst.CSTNode]) -> None:
        """Generate, once per top-level statement, the positions of all of ``nodes`` in it."""
        if self._whole is not None:
            return
        pending: dict[int, list[cst.CSTNode]] = {}
        for node in nodes:
            index = self._owner(node)
            known = self._statements.get(index) if index is not None else None
            if index is not None and (known is None or id(node) not in known[0]):
                pending.setdefault(index, []).append(node)
        for index, wanted in pending.items():
            self._statement(index, wanted)

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

    def _statement(self, index: int, wanted: list[cst.CSTNode]) -> None:
        """Positions of ``wanted`` (and of those asked before) within top-level statement ``index``."""
        start = self._start_lines()[index]
        if start is None:
            return
        known = self._statements.get(index)
        if known is not None:
            wanted = [*wanted, *known[2]]
        state = _SelectiveState(self.module, wanted)
        statement = self.module.body[index]
        statement._codegen(state)
        code = "".join(state.tokens)
        offset = self._line_offset(start)
        if offset is None or self.source[offset : offset + len(code)] != code:
            return
        self._statements[index] = (state.found, start - 1, wanted)

    def _start_lines(self) -> list[int | None]:
        """Where each top-level statement's code (its leading blank and comment lines included) begins."""
        if self._starts is None:
            body = self.module.body
            starts: list[int | None] = [None] * len(body)
            tree = self._tree
            if tree is None:
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
