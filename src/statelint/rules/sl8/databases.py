"""SL801: databases kept in a local file.

Three shapes: a call that opens a file database (``knowledge.databases``), a
SQLite URL string (SQLAlchemy, ``databases``, dj-database-url), and a Django
database setting whose ENGINE is SQLite. Anything that keeps the data in memory,
in a temporary file, or opens the file read-only is not state and stays quiet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import libcst as cst

from statelint.analyses.files import (
    ABSENT,
    UNKNOWN,
    PathResolver,
    PathValue,
    argument,
    dict_items,
    in_test_code,
    is_none,
    string_value,
)
from statelint.engine.requirements import Requires
from statelint.rules.base import Rule


def needles_from_calls(entries: list[Mapping[str, Any]]) -> set[str]:
    """A call can only resolve through an import of its top-level module."""
    return {call.split(".")[0] for entry in entries for call in entry["calls"]}


def _path_text(where: PathValue | None) -> str:
    return where.text if where is not None else ""


class LocalDatabaseFile(Rule):
    code = "SL801"
    # A file database opened, a string holding a SQLite URL, or a SQLite Django engine named.
    requires = Requires(
        calls=["databases.calls"], patterns=["sqlite_url_scheme"], strings=["django_sqlite_engines"], outside=["tests"]
    )

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(sorted(needles_from_calls(knowledge["databases"]) | {"sqlite", "spatialite"}))

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls = {call: entry for entry in self.knowledge["databases"] for call in entry["calls"]}
        self.url = re.compile(f"^(?:{self.knowledge['sqlite_url_scheme']})(?P<file>.*)$")
        self.memory_markers = tuple(self.knowledge["sqlite_memory_markers"])
        self.read_only_markers = tuple(self.knowledge["sqlite_read_only_markers"])
        self.engines = frozenset(self.knowledge["django_sqlite_engines"])
        self.docstrings: set[int] = set()

    def _quiet(self) -> bool:
        return in_test_code(self.ctx, self.ctx.scope, self.knowledge)

    # -- calls -----------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.match(node.func, self.calls)
        if name is None:
            return
        entry = self.calls[name]
        path = argument(node, entry["path"])
        if path is ABSENT or path is UNKNOWN or is_none(path) or self._quiet():
            return
        text = string_value(self.ctx, path, self.ctx.scope)
        if text is not None and (text in entry.get("memory", ()) or self._sqlite_not_state(entry, text)):
            return
        if self._read_only(node, entry) or not self._file_storage(node, entry):
            return
        where = text or _path_text(PathResolver(self.ctx).resolve(path, self.ctx.scope))
        shown = f" in {where!r}" if where else ""
        self.report(node, f"{entry['name']} keeps data on the local disk{shown}")

    def _sqlite_not_state(self, entry: Mapping[str, Any], text: str) -> bool:
        if not entry.get("sqlite_uri") or not text.startswith("file:"):
            return False
        return any(marker in text for marker in (*self.memory_markers, *self.read_only_markers))

    def _read_only(self, node: cst.Call, entry: Mapping[str, Any]) -> bool:
        spec = entry.get("read_only")
        if spec is None:
            return False
        value = argument(node, spec)
        if value is UNKNOWN:
            return True  # the flag may be in **kwargs: do not guess
        flag = spec.get("default") if value is ABSENT else string_value(self.ctx, value, self.ctx.scope)
        if flag is None:
            return True
        return flag in spec["values"]

    def _file_storage(self, node: cst.Call, entry: Mapping[str, Any]) -> bool:
        """TinyDB keeps a file only with its default JSONStorage (possibly wrapped in a middleware)."""
        spec = entry.get("storage")
        if spec is None:
            return True
        storage = argument(node, {"keyword": spec["keyword"]})
        if storage is ABSENT:
            return True
        while isinstance(storage, cst.Call) and storage.args:
            storage = storage.args[0].value
        return isinstance(storage, cst.CSTNode) and self.ctx.match(storage, spec["file_backed"]) is not None

    # -- URLs ------------------------------------------------------------------------
    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            self.docstrings.add(id(node.value))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if isinstance(value, str) and "sqlite" in value:
            self._url(node, value)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        first = node.parts[0] if node.parts else None
        if isinstance(first, cst.FormattedStringText) and "sqlite" in first.value:
            text = "".join(p.value if isinstance(p, cst.FormattedStringText) else "…" for p in node.parts)
            self._url(node, text)

    def _url(self, node: cst.BaseExpression, text: str) -> None:
        match = self.url.match(text.strip())
        if match is None or id(node) in self.docstrings or self._quiet():
            return
        file = match.group("file")
        if not file.strip() or any(marker in file for marker in (*self.memory_markers, *self.read_only_markers)):
            return
        self.report(node, f"database URL {text!r} keeps data in a local SQLite file")

    # -- Django ----------------------------------------------------------------------
    def visit_Dict(self, node: cst.Dict) -> None:
        items = {key: (value, entry) for key, value, entry in dict_items(node)}
        if "ENGINE" not in items or "NAME" not in items:
            return
        engine = string_value(self.ctx, items["ENGINE"][0], self.ctx.scope)
        if engine not in self.engines or self._quiet():
            return
        name = string_value(self.ctx, items["NAME"][0], self.ctx.scope)
        if name is not None and (name in (":memory:", "") or "mode=memory" in name):
            return
        self.report(items["ENGINE"][1], f"Django database uses {engine}, a local SQLite file")
