"""Triage: the second prefilter stage, over CPython's own syntax tree.

A rule's needles (substrings) are the first stage; most files of a large tree
still contain ``= [`` or ``http``. Triage asks, for the files that pass them,
whether the rule *could* fire, on :mod:`ast`'s tree: CPython's C parser builds it
ten times faster than libcst builds its own, and it checks the file's syntax on
the way (the SL001 check of a file no rule needs). Only files that some rule's
triage accepts are parsed with libcst and walked.

A triage predicate must be *sound*: when it returns False, the rule reports
nothing and records no fact for that file. It may say True too often; that only
costs a parse. The test suite runs every fixture with and without the prefilter
and requires the same findings.

Nothing here imports libcst or a rule module: a run whose files all fail triage
never pays for them. Predicates take ``(source, knowledge, options)`` and return
a bool; the per-file facts every predicate may share are computed once, lazily,
on :class:`Source`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from statelint.project.syntax import _CHILD_FIELDS, walk

Triage = Callable[["Source", Mapping[str, Any], Mapping[str, Any]], bool]

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
SCOPES = (*DEFS, ast.Lambda)


def terminal(node: ast.AST) -> str | None:
    """``c`` for ``a.b.c`` or ``a.b.c(...)``; the name itself for a bare name."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def children(node: ast.AST) -> list[ast.AST]:
    """The direct children of ``node`` (as :func:`ast.iter_child_nodes`, three times faster and
    without the context markers)."""
    kind = node.__class__
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        names = _child_fields(kind)
    out: list[ast.AST] = []
    for name in names:
        value = getattr(node, name, None)
        if value.__class__ is list:
            out.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def _child_fields(kind: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS[kind] = tuple(name for name in kind._fields if name != "ctx")
    return names


class Index:
    """What one walk over the whole tree collects, for the simple predicates.

    Triage's records are plain classes: a pre-commit run imports them, and defining
    a dataclass costs half a millisecond.
    """

    __slots__ = ("called", "names", "keywords", "functions")

    def __init__(self) -> None:
        self.called: set[str] = set()  # terminal names of called expressions
        self.names: set[str] = set()  # every name and attribute name used in code
        self.keywords: set[str] = set()  # keyword argument names of calls
        self.functions: list[ast.AST] = []  # every def and lambda


def calls_of(entries: Iterable[Mapping[str, Any]]) -> set[str]:
    """The qualified names listed under ``calls`` by catalog entries (``{calls: [...], ...}``)."""
    return {call for entry in entries for call in entry["calls"]}


def _strings(source: Source) -> frozenset[str]:
    return frozenset(n.value for n in source.nodes if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _walk_split(source: Source) -> tuple[list[ast.AST], list[list[ast.AST]]]:
    """All the tree's nodes, and those of each outermost function: one walk serves both."""
    roots: list[ast.AST] = []
    nodes = walk(source.tree, roots)
    outermost = [walk(root) for root in roots]
    for function in outermost:
        nodes.extend(function)
    return nodes, outermost


def _build_index(nodes: list[ast.AST]) -> Index:
    index = Index()
    called, names, keywords, functions = index.called, index.names, index.keywords, index.functions
    for node in nodes:
        kind = type(node)
        if kind is ast.Name:
            names.add(node.id)  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            names.add(node.attr)  # type: ignore[attr-defined]
        elif kind is ast.Call:
            tail = terminal(node.func)  # type: ignore[attr-defined]
            if tail is not None:
                called.add(tail)
            keywords.update(k.arg for k in node.keywords if k.arg)  # type: ignore[attr-defined]
        elif kind in SCOPES:
            functions.append(node)
    return index


def _imports(source: Source) -> dict[str, set[str]]:
    """Every import of the file, from its statements alone: an import is a statement, and
    statements only ever sit in other statements' bodies (never in an expression), so
    this skips the expressions that make up most of a tree."""
    imports: dict[str, set[str]] = {}
    pending: list[ast.AST] = [source.tree]
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is ast.Import:
            for alias in node.names:  # type: ignore[attr-defined]
                if alias.asname:
                    imports.setdefault(alias.asname, set()).add(alias.name)
                else:  # `import a.b` binds `a`, through which any `a.x` may be reached
                    head = alias.name.split(".")[0]
                    imports.setdefault(head, set()).update({head, alias.name})
        elif kind is ast.ImportFrom:
            base = "." * node.level + (node.module or "")  # type: ignore[attr-defined]
            for alias in node.names:  # type: ignore[attr-defined]
                if alias.name != "*":
                    target = f"{base}.{alias.name}" if base and not base.endswith(".") else base + alias.name
                    imports.setdefault(alias.asname or alias.name, set()).add(target)
        else:
            for name in statement_fields(kind):
                pending.extend(getattr(node, name))
    return imports


_STATEMENT_FIELDS: dict[type, tuple[str, ...]] = {}  # node class -> its fields that list statements


def statement_fields(kind: type) -> tuple[str, ...]:
    """The fields of an ``ast`` node class that hold statements (or ``except`` clauses and ``match``
    cases, which hold them): what a walk over statements alone follows."""
    found = _STATEMENT_FIELDS.get(kind)
    if found is None:
        # The fields ast's grammar types as statement lists (body, orelse, finalbody, handlers, cases).
        probe = {"body", "orelse", "finalbody", "handlers", "cases"}
        found = _STATEMENT_FIELDS[kind] = tuple(name for name in kind._fields if name in probe)
    return found


class Source:
    """One Python file as triage sees it: its text and CPython's tree of it."""

    __slots__ = ("path", "text", "tree", "module", "_memo")

    def __init__(self, path: str, text: str, tree: ast.Module, module: str = "") -> None:
        self.path = path
        self.text = text
        self.tree = tree
        self.module = module  # dotted module name, from the package folders around the file
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, build: Callable[[Source], Any]) -> Any:
        """``build(self)``, computed once per file whichever predicate asks first."""
        if key not in self._memo:
            self._memo[key] = build(self)
        return self._memo[key]

    @property
    def nodes(self) -> list[ast.AST]:
        """Every node of the tree (see :func:`walk`), listed once per file: first those outside
        any function, then each of :attr:`outermost`'s lists."""
        nodes: list[ast.AST] = self.memo("walk", _walk_split)[0]
        return nodes

    @property
    def outermost(self) -> list[list[ast.AST]]:
        """For each function or lambda not nested in another, its nodes (nested ones included), itself first."""
        found: list[list[ast.AST]] = self.memo("walk", _walk_split)[1]
        return found

    @property
    def strings(self) -> frozenset[str]:
        """Every string constant of the file (docstrings and f-string pieces included), escapes decoded."""
        found: frozenset[str] = self.memo("strings", _strings)
        return found

    @property
    def imports(self) -> dict[str, set[str]]:
        """Local name -> the dotted names it is imported as, from any import in the file (relative
        imports keep their leading dots: ``from .a import b`` gives ``.a.b``). No full walk."""
        found: dict[str, set[str]] = self.memo("imports", _imports)
        return found

    @property
    def index(self) -> Index:
        index: Index = self.memo("index", lambda source: _build_index(source.nodes))
        return index
