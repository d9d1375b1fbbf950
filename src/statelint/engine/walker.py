"""One traversal of a module that feeds every enabled rule.

libcst's own visitors rebuild each node as they go, which makes a read-only
visit cost as much as the parse. This walker reads the dataclass fields instead,
skips pure-syntax children (whitespace, commas, parentheses) and dispatches each
node to the ``visit_<Node>``/``leave_<Node>`` methods the rules define. It is
iterative, so deep expressions cannot overflow Python's stack.

Speed matters here (every parsed node passes through :func:`children`), so the
questions asked per node are answered once per *type* and kept in dictionaries:
``isinstance`` against libcst's abstract base classes goes through ``abc`` and
costs more than the rest of the walk together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

import libcst as cst

from statelint.engine.context import FileContext

Callback = Callable[[cst.CSTNode], None]

_SYNTAX = (
    cst.BaseParenthesizableWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.Colon,
    cst.Semicolon,
    cst.Dot,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.AssignEqual,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.ImportStar,
)
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)

_SKIP, _NODE, _SEQUENCE = 0, 1, 2
#: What a field value of a given type is to the walk: syntax/other (skip), a child, a sequence.
_KIND: dict[type, int] = {}
#: Per node type: a function returning its field values, in field order, as a tuple.
_FIELDS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _kind(value_type: type) -> int:
    if issubclass(value_type, cst.CSTNode):
        kind = _SKIP if issubclass(value_type, _SYNTAX) else _NODE
    elif issubclass(value_type, (tuple, list)):
        kind = _SEQUENCE
    else:
        kind = _SKIP
    _KIND[value_type] = kind
    return kind


def _fields(node_type: type) -> Callable[[Any], tuple[Any, ...]]:
    getter = _FIELDS[node_type] = _field_getter(node_type)
    return getter


def _field_getter(node_type: type) -> Callable[[Any], tuple[Any, ...]]:
    names = tuple(f.name for f in dataclasses.fields(node_type))
    if len(names) > 1:
        return attrgetter(*names)

    def getter(node: Any) -> tuple[Any, ...]:  # attrgetter gives a bare value for one name
        return tuple(getattr(node, name) for name in names)

    return getter


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The semantic children of ``node`` in field order."""
    node_type = type(node)
    getter = _FIELDS.get(node_type) or _fields(node_type)
    kinds = _KIND
    out: list[cst.CSTNode] = []
    for value in getter(node):
        kind = kinds.get(type(value))
        if kind is None:
            kind = _kind(type(value))
        if kind == _NODE:
            out.append(value)
        elif kind == _SEQUENCE:
            for item in value:
                item_kind = kinds.get(type(item))
                if item_kind is None:
                    item_kind = _kind(type(item))
                if item_kind == _NODE:
                    out.append(item)
    return out


class Dispatcher:
    """Maps node types to the rule callbacks that want them."""

    def __init__(self, rules: Iterable[Any], on_error: Callable[[Any, BaseException], None]) -> None:
        self.visit: dict[type, list[tuple[Any, Callback]]] = {}
        self.leave: dict[type, list[tuple[Any, Callback]]] = {}
        self.on_error = on_error
        self.disabled: set[int] = set()
        for rule in rules:
            for attr in dir(type(rule)):
                prefix, _, node_name = attr.partition("_")
                if prefix not in ("visit", "leave") or not node_name:
                    continue
                node_type = getattr(cst, node_name, None)
                if not isinstance(node_type, type):
                    continue
                table = self.visit if prefix == "visit" else self.leave
                for concrete in _concrete_types(node_type):
                    table.setdefault(concrete, []).append((rule, getattr(rule, attr)))

    def call(self, table: dict[type, list[tuple[Any, Callback]]], node: cst.CSTNode) -> None:
        for rule, callback in table.get(type(node), ()):
            if self.disabled and id(rule) in self.disabled:
                continue
            try:
                callback(node)
            except Exception as exc:  # a rule bug must not stop the other rules
                self.disabled.add(id(rule))
                self.on_error(rule, exc)


def _concrete_types(node_type: type) -> list[type]:
    """A visitor for a base class (``BaseExpression``) receives every subclass, once:
    ``Name`` is reached through two bases and must not be dispatched twice."""
    found: dict[type, None] = {}
    pending = [node_type]
    while pending:
        current = pending.pop()
        if not getattr(current, "__abstractmethods__", None):
            found[current] = None
        pending.extend(current.__subclasses__())
    return list(found)


def walk(ctx: FileContext, dispatcher: Dispatcher) -> None:
    """Traverse ``ctx.module`` once, keeping ``ctx.scope`` current for name lookups.

    The stack holds nodes to enter and, as 1-tuples, nodes to leave; a leave entry is
    pushed only for scopes and for node types some rule has a ``leave_`` method for.
    """
    resolver = ctx.resolver
    visit, leave = dispatcher.visit, dispatcher.leave
    scopes = frozenset(_SCOPES)
    call = dispatcher.call
    stack: list[Any] = [ctx.module]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        if type(item) is tuple:
            node = item[0]
            node_type = type(node)
            if node_type in scopes:
                ctx.scope = ctx.scope.parent or ctx.scope
            if node_type in leave:
                call(leave, node)
            continue
        node_type = type(item)
        if node_type in visit:
            call(visit, item)
        if node_type in scopes:
            ctx.scope = resolver.child_scope(item, ctx.scope)
            push((item,))
        elif node_type in leave:
            push((item,))
        kids = children(item)
        if kids:
            kids.reverse()
            extend(kids)
