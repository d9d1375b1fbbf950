"""SL203: file handlers declared in a logging dictConfig mapping written in code.

A mapping is a logging configuration when it carries the dictConfig schema's
``version`` and ``handlers`` keys, when it is passed to a dictConfig consumer, or
when it is a setting such as Django's ``LOGGING``. Handlers added to such a
mapping later in the module (``LOGGING["handlers"]["file"] = {...}``) are joined
once the whole module has been seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from statelint.analyses.files import (
    PathResolver,
    argument,
    assigned_value,
    dict_items,
    in_test_code,
    literal_string,
    string_value,
)
from statelint.engine.names import Scope
from statelint.engine.requirements import Requires
from statelint.rules.sl2._optin import Guard, opted_in
from statelint.rules.sl2.handlers import HandlerRule

_CLASS_KEYS = ("class", "()")


@dataclass
class _Later:
    """``ROOT[k1][k2] = value`` or ``ROOT[k1].update(value)``, judged at the end of the module."""

    root: str
    keys: tuple[str, ...]
    value: cst.BaseExpression
    scope: Scope
    guards: tuple[Guard, ...]


def subscript_path(node: cst.BaseExpression) -> tuple[str, tuple[str, ...]] | None:
    """``LOGGING["handlers"]["file"]`` -> ("LOGGING", ("handlers", "file"))."""
    keys: list[str] = []
    while isinstance(node, cst.Subscript):
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        key = literal_string(node.slice[0].slice.value)
        if key is None:
            return None
        keys.append(key)
        node = node.value
    if isinstance(node, cst.Name) and keys:
        return node.value, tuple(reversed(keys))
    return None


def is_config_mapping(node: cst.CSTNode) -> bool:
    keys = {key for key, _, _ in dict_items(node)}
    return "version" in keys and "handlers" in keys


class DictConfigFileHandler(HandlerRule):
    code = "SL203"
    # a "handlers" key, and a file handler class named in a string or in code
    requires = Requires(words=["handlers"], mentions=["file_handlers.class"])

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.consumers = {entry["call"]: entry for entry in self.knowledge["dict_config_consumers"]}
        self.config_names: set[str] = set(self.knowledge["dict_config_settings"])
        self.later: list[_Later] = []
        self.seen: set[int] = set()

    # -- collection ------------------------------------------------------------------
    def visit_Dict(self, node: cst.Dict) -> None:
        if is_config_mapping(node):
            self._config(node, self.ctx.scope, self.guards(node))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "dict" and is_config_mapping(node):
            self._config(node, self.ctx.scope, self.guards(node))
            return
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "update" and len(node.args) == 1:
            found = subscript_path(node.func.value)
            if found is not None:
                self._later(found[0], found[1], node.args[0].value, node)
            return
        name = self.ctx.match(node.func, self.consumers)
        if name is not None:
            value = argument(node, self.consumers[name])
            if isinstance(value, cst.Name):
                self.config_names.add(value.value)
                found_value = assigned_value(self.ctx, value, self.ctx.scope)
                if found_value is not None:
                    self._config(found_value[0], found_value[1], ())
            elif isinstance(value, cst.CSTNode):
                self._config(value, self.ctx.scope, self.guards(node))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                if is_config_mapping(node.value):
                    self.config_names.add(target.target.value)
                elif target.target.value in self.config_names and self.ctx.scope.kind == "module":
                    self._config(node.value, self.ctx.scope, self.guards(node))
            else:
                found = subscript_path(target.target)
                if found is not None:
                    self._later(found[0], found[1], node.value, node)

    def _later(self, root: str, keys: tuple[str, ...], value: cst.BaseExpression, site: cst.CSTNode) -> None:
        if keys[0] == "handlers" and len(keys) <= 2 and not in_test_code(self.ctx, self.ctx.scope, self.knowledge):
            self.later.append(_Later(root, keys, value, self.ctx.scope, self.guards(site)))

    def leave_Module(self, node: cst.Module) -> None:
        for item in self.later:
            if item.root not in self.config_names:
                continue
            if len(item.keys) == 2:
                self._handler(item.keys[1], item.value, item.scope, item.guards)
            else:
                self._handlers(item.value, item.scope, item.guards)

    # -- checks ----------------------------------------------------------------------
    def _config(self, mapping: cst.CSTNode, scope: Scope, guards: tuple[Guard, ...]) -> None:
        if in_test_code(self.ctx, scope, self.knowledge):
            return
        for key, value, _ in dict_items(mapping):
            if key == "handlers":
                self._handlers(value, scope, guards)

    def _handlers(self, value: cst.BaseExpression, scope: Scope, guards: tuple[Guard, ...]) -> None:
        if isinstance(value, cst.Name):
            found = assigned_value(self.ctx, value, scope)
            if found is None:
                return
            value, scope = found
        for name, handler, _ in dict_items(value):
            self._handler(name, handler, scope, guards)

    def _handler(self, name: str, handler: cst.BaseExpression, scope: Scope, guards: tuple[Guard, ...]) -> None:
        items = {key: (value, entry) for key, value, entry in dict_items(handler)}
        for key in _CLASS_KEYS:
            if key not in items or id(items[key][1]) in self.seen:
                continue
            value, entry = items[key]
            self.seen.add(id(entry))
            cls = self._class_name(value, scope)
            if cls is None or self._streams_to_console(items, scope) or opted_in(guards, handler, self.on_by_default):
                continue
            self.report(
                entry,
                f"logging handler {name!r} uses {cls}, which writes logs to a local file",
            )

    def _class_name(self, value: cst.BaseExpression, scope: Scope) -> str | None:
        text = string_value(self.ctx, value, scope)
        if text is not None:
            return text if text in self.classes else None
        return self.ctx.match(value, self.classes, scope)

    def _streams_to_console(self, items: Mapping[str, Any], scope: Scope) -> bool:
        if "filename" not in items:
            return False
        where = PathResolver(self.ctx, self.streams).resolve(items["filename"][0], scope)
        return where is not None and where.kind == "stream"
