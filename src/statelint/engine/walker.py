"""One traversal of a module that feeds every enabled rule.

libcst's own visitors rebuild each node as they go, which makes a read-only
visit cost as much as the parse. This walker reads the dataclass fields instead,
skips pure-syntax children (whitespace, commas, parentheses) and dispatches each
node to the ``visit_<Node>``/``leave_<Node>`` methods the rules define. It is
iterative, so deep expressions cannot overflow Python's stack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
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
_FIELDS: dict[type, tuple[str, ...]] = {}
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The semantic children of ``node`` in field order."""
    names = _FIELDS.get(type(node))
    if names is None:
        names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
    out: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if not isinstance(value, _SYNTAX):
                out.append(value)
        elif isinstance(value, (tuple, list)):
            out.extend(v for v in value if isinstance(v, cst.CSTNode) and not isinstance(v, _SYNTAX))
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
            if id(rule) in self.disabled:
                continue
            try:
                callback(node)
            except Exception as exc:  # a rule bug must not stop the other rules
                self.disabled.add(id(rule))
                self.on_error(rule, exc)


def _concrete_types(node_type: type) -> list[type]:
    """A visitor for a base class (``BaseExpression``) receives every subclass."""
    found: list[type] = []
    pending = [node_type]
    while pending:
        current = pending.pop()
        if not getattr(current, "__abstractmethods__", None):
            found.append(current)
        pending.extend(current.__subclasses__())
    return found


def walk(ctx: FileContext, dispatcher: Dispatcher) -> None:
    """Traverse ``ctx.module`` once, keeping ``ctx.scope`` current for name lookups."""
    resolver = ctx.resolver
    visit, leave = dispatcher.visit, dispatcher.leave
    stack: list[tuple[cst.CSTNode, bool]] = [(ctx.module, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            if isinstance(node, _SCOPES):
                ctx.scope = ctx.scope.parent or ctx.scope
            if type(node) in leave:
                dispatcher.call(leave, node)
            continue
        if type(node) in visit:
            dispatcher.call(visit, node)
        if isinstance(node, _SCOPES):
            ctx.scope = resolver.child_scope(node, ctx.scope)
        stack.append((node, True))
        kids = children(node)
        kids.reverse()
        stack.extend((kid, False) for kid in kids)
