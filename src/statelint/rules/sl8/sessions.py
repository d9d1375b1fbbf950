"""SL802: sessions, caches and uploads kept on the local disk.

Settings are matched by key wherever they are written (a constant, a config
subscript, a dict entry, a keyword argument), with their value followed through
constants. Uploads are ``.save(dst)`` calls on items of ``request.files`` whose
destination resolves to a relative or application-local directory; they are
judged at the end of the module, so an ``app.config["UPLOAD_FOLDER"]`` set after
the view still counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from statelint.analyses.files import (
    MAX_DEPTH,
    PathResolver,
    argument,
    dict_items,
    in_test_code,
    literal_string,
    string_value,
)
from statelint.engine.names import Scope
from statelint.engine.requirements import Requires
from statelint.rules.base import Rule


@dataclass
class _Upload:
    node: cst.Call
    destination: cst.BaseExpression
    scope: Scope


class LocalSessionsCachesUploads(Rule):
    code = "SL802"
    # A file store made, a file-backed setting value written, or an upload's save() called.
    requires = Requires(
        calls=["stores.calls"], strings=["settings.values"], methods=["upload_save.method"], outside=["tests"]
    )

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        keys = {setting["key"] for setting in knowledge["settings"]}
        tails = {call.rsplit(".", 1)[-1] for entry in knowledge["stores"] for call in entry["calls"]}
        uploads = {".".join(name.split(".")[-2:]) for name in knowledge["upload_collections"]}  # request.files
        return tuple(sorted(keys | tails | uploads))

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.settings = {setting["key"]: setting for setting in self.knowledge["settings"]}
        self.stores = {call: entry for entry in self.knowledge["stores"] for call in entry["calls"]}
        self.collections = frozenset(self.knowledge["upload_collections"])
        self.save = self.knowledge["upload_save"]
        self.config_keys: dict[str, tuple[cst.BaseExpression, Scope]] = {}
        self.uploads: list[_Upload] = []

    def _quiet(self) -> bool:
        return in_test_code(self.ctx, self.ctx.scope, self.knowledge)

    # -- settings --------------------------------------------------------------------
    def _setting(self, key: str, value: cst.BaseExpression, where: cst.CSTNode) -> None:
        setting = self.settings.get(key)
        if setting is None:
            return
        text = string_value(self.ctx, value, self.ctx.scope)
        if text in setting["values"] and not self._quiet():
            self.report(where, f"{key} = {text!r}: {setting['what']}")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            key = _target_key(target.target)
            if key is None:
                continue
            if self.ctx.scope.kind == "module":
                self.config_keys.setdefault(key, (node.value, self.ctx.scope))
            if isinstance(target.target, cst.Subscript) or self.ctx.scope.kind in ("module", "class"):
                self._setting(key, node.value, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        key = _target_key(node.target)
        if key is not None and node.value is not None and self.ctx.scope.kind in ("module", "class"):
            self._setting(key, node.value, node.value)

    def visit_Dict(self, node: cst.Dict) -> None:
        for key, value, _ in dict_items(node):
            self._setting(key, value, value)

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is not None:
                self._setting(arg.keyword.value, arg.value, arg.value)
        name = self.ctx.match(node.func, self.stores)
        if name is not None:
            self._store(node, self.stores[name])
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == self.save["method"]:
            destination = argument(node, self.save["path"])
            if isinstance(destination, cst.CSTNode) and self._is_upload(node.func.value, self.ctx.scope, 0) and not self._quiet():
                self.uploads.append(_Upload(node, destination, self.ctx.scope))

    # -- stores ----------------------------------------------------------------------
    def _store(self, node: cst.Call, entry: Mapping[str, Any]) -> None:
        if self._quiet():
            return
        detail = ""
        if entry["local_only"]:
            path = argument(node, entry["path"])
            where = PathResolver(self.ctx).resolve(path, self.ctx.scope) if isinstance(path, cst.CSTNode) else None
            if where is None or not where.local:
                return
            detail = f" in {where.text!r}"
        self.report(node, f"{entry['name']} keeps its files on the local disk{detail}")

    # -- uploads ---------------------------------------------------------------------
    def _is_upload(self, node: cst.CSTNode, scope: Scope, depth: int) -> bool:
        """An uploaded file: request.files[...], .get(...), an element of .getlist(...) or of the collection."""
        if depth > MAX_DEPTH:
            return False
        if isinstance(node, cst.Subscript):
            return self._is_collection(node.value, scope)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get":
            return self._is_collection(node.func.value, scope)
        if isinstance(node, cst.Name):
            for binding in self.ctx.resolver.lookup(node.value, scope):
                if binding.kind == "assign" and binding.value is not None:
                    found = self._is_upload(binding.value, binding.scope, depth + 1)
                else:
                    found = isinstance(binding.node, cst.For) and self._iterates_uploads(binding.node.iter, binding.scope, depth + 1)
                if found:
                    return True
        return False

    def _iterates_uploads(self, node: cst.CSTNode, scope: Scope, depth: int) -> bool:
        """``request.files``, ``request.files.getlist(...)`` / ``.values()``, or a name bound to one."""
        if depth > MAX_DEPTH:
            return False
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("getlist", "values"):
            return self._is_collection(node.func.value, scope)
        if isinstance(node, cst.Name):
            bindings = self.ctx.resolver.lookup(node.value, scope)
            values = [(b.value, b.scope) for b in bindings if b.kind == "assign" and b.value is not None]
            if any(self._iterates_uploads(value, value_scope, depth + 1) for value, value_scope in values):
                return True
        return self._is_collection(node, scope)

    def _is_collection(self, node: cst.CSTNode, scope: Scope) -> bool:
        return self.ctx.match(node, self.collections, scope) is not None

    def leave_Module(self, node: cst.Module) -> None:
        paths = PathResolver(self.ctx, keys=self.config_keys)
        for upload in self.uploads:
            where = paths.resolve(upload.destination, upload.scope)
            if where is not None and where.local:
                self.report(upload.node, f"uploaded file saved to the local path {where.text!r}")


def _target_key(target: cst.BaseExpression) -> str | None:
    """``KEY = ...`` or ``anything["KEY"] = ...``."""
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        return literal_string(target.slice[0].slice.value)
    return None

