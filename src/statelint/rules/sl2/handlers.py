"""SL201 file handlers created in code, SL202 ``logging.basicConfig(filename=...)``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import libcst as cst

from statelint.analyses.files import (
    ABSENT,
    ENV_GETTERS,
    UNKNOWN,
    PathResolver,
    PathValue,
    argument,
    is_none,
    literal_string,
)
from statelint.engine.analyze import minimal_needles
from statelint.engine.names import Scope
from statelint.engine.requirements import Requires
from statelint.rules.sl2._optin import OptInTracker


def handler_classes(knowledge: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(entry["class"] for entry in knowledge["file_handlers"])


def handler_needles(knowledge: Mapping[str, Any]) -> tuple[str, ...]:
    return minimal_needles(name.rsplit(".", 1)[-1] for name in handler_classes(knowledge))


def describe(where: PathValue | None) -> str:
    """``the local file 'logs/app.log'`` when the file name can be followed, else ``a local file``."""
    return f"the local file {where.text!r}" if where is not None and where.text else "a local file"


class HandlerRule(OptInTracker):
    """What SL201 and SL203 share: the file handler classes, their needles, stream paths."""

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        return handler_needles(knowledge)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.classes = handler_classes(self.knowledge)
        self.streams = tuple(self.knowledge["stream_paths"])


class FileHandlerInCode(HandlerRule):
    code = "SL201"
    requires = Requires(calls=["file_handlers.class"])  # a file handler made here

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.match(node.func, self.classes)
        if name is None:
            return
        filename = argument(node, self.knowledge["filename_argument"])
        target = filename if isinstance(filename, cst.CSTNode) else None
        where = PathResolver(self.ctx, self.streams).resolve(target, self.ctx.scope) if target else None
        if (where is not None and where.kind == "stream") or self.exempt(node, target):
            return
        self.report(
            node,
            f"{name} writes logs to {describe(where)}",
        )


@dataclass
class _Site:
    node: cst.Call
    filename: cst.BaseExpression
    scope: Scope
    where: PathValue | None


class BasicConfigFilename(OptInTracker):
    code = "SL202"
    requires = Requires(words=["filename"], calls=["basic_config"])  # basicConfig(filename=...)
    needles: ClassVar[tuple[str, ...]] = ("basicConfig",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls = frozenset(self.knowledge["basic_config"])
        self.streams = tuple(self.knowledge["stream_paths"])
        self.sites: list[_Site] = []
        self.optional_options: set[str] = set()  # argparse dests without a default
        self.optional_attributes: set[str] = set()  # class attributes defaulting to None

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_argument":
            self._argparse_option(node)
            return
        if self.ctx.match(node.func, self.calls) is None:
            return
        filename = argument(node, {"keyword": "filename"})
        if filename is ABSENT or filename is UNKNOWN or is_none(filename):
            return
        where = PathResolver(self.ctx, self.streams).resolve(filename, self.ctx.scope)
        if (where is not None and where.kind == "stream") or self.exempt(node, filename):
            return
        self.sites.append(_Site(node, filename, self.ctx.scope, where))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not isinstance(node.body, cst.IndentedBlock):
            return
        for statement in node.body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and is_none(small.value):
                        self.optional_attributes.add(small.target.value)
                    elif isinstance(small, cst.Assign) and is_none(small.value):
                        names = [t.target.value for t in small.targets if isinstance(t.target, cst.Name)]
                        self.optional_attributes.update(names)

    def _argparse_option(self, node: cst.Call) -> None:
        flags = [literal_string(a.value) or "" for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        if "default" in keywords and not is_none(keywords["default"]):
            return
        required = keywords.get("required")
        if isinstance(required, cst.Name) and required.value == "True":
            return
        dest = literal_string(keywords["dest"]) if "dest" in keywords else None
        longs = [f for f in flags if f.startswith("--")]
        dest = dest or (longs[0][2:] if longs else None)
        if dest:
            self.optional_options.add(dest.replace("-", "_"))

    def leave_Module(self, node: cst.Module) -> None:
        for site in self.sites:
            if not self._may_be_unset(site.filename, site.scope, 0):
                self.report(
                    site.node,
                    f"logging.basicConfig(filename=...) sends the root logger to {describe(site.where)}",
                )

    def _may_be_unset(self, node: cst.CSTNode, scope: Scope, depth: int) -> bool:
        """The file name may be None at run time, and basicConfig then logs to stderr."""
        if depth > 8:
            return False
        if is_none(node):
            return True
        if isinstance(node, cst.Call) and self.ctx.match(node.func, ENV_GETTERS, scope):
            default = argument(node, {"keyword": "default", "position": 1})
            return default is ABSENT or is_none(default)
        if isinstance(node, cst.Attribute):
            return node.attr.value in self.optional_options or node.attr.value in self.optional_attributes
        if isinstance(node, cst.Name):
            for binding in self.ctx.resolver.lookup(node.value, scope):
                if binding.kind == "param" and isinstance(binding.node, cst.Param) and is_none(binding.node.default):
                    return True
                if binding.kind == "assign" and binding.value is not None and self._may_be_unset(binding.value, binding.scope, depth + 1):
                    return True
        return False
