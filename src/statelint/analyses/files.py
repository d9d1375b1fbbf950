"""Helpers shared by the local-file rules (SL2 logging, SL8 on-disk state).

They answer three questions about code without running it: what a call passes
for a parameter, what string or path an expression evaluates to when that is
knowable from the module, and whether a piece of code is test code. Every answer
is "unknown" (None) rather than a guess, so rules built on them stay quiet when
the code does something they cannot follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from statelint.analyses.syntax import ABSENT, UNKNOWN, literal_string
from statelint.analyses.syntax import argument as _syntax_argument
from statelint.engine.context import FileContext
from statelint.engine.names import Scope, dotted_name
from statelint.engine.requirements import is_test_path

MAX_DEPTH = 8

ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault"})
# Calls that return a path built from their first argument.
PATH_WRAPPERS = frozenset(
    {
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
        "pathlib.PurePosixPath",
        "os.path.join",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.normpath",
        "os.path.dirname",
        "os.path.expanduser",
        "posixpath.join",
        "os.fspath",
        "builtins.str",
    }
)
# Methods of a path object that return a path derived from it.
PATH_METHODS = frozenset({"resolve", "absolute", "joinpath", "with_name", "with_suffix", "with_stem", "expanduser"})
CWD_CALLS = frozenset({"os.getcwd", "pathlib.Path.cwd"})
HOME_CALLS = frozenset({"pathlib.Path.home"})
TEMP_CALLS = frozenset({"tempfile.gettempdir", "tempfile.mkdtemp", "tempfile.mkstemp", "tempfile.TemporaryDirectory"})


def argument(call: cst.Call, spec: Mapping[str, Any]) -> Any:
    """The expression passed for the parameter ``spec`` ({keyword, position}), ABSENT or UNKNOWN."""
    return _syntax_argument(call, spec.get("keyword"), spec.get("position"))


def is_none(node: Any) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def dict_items(node: cst.CSTNode) -> Iterable[tuple[str, cst.BaseExpression, cst.CSTNode]]:
    """(literal key, value, entry) of a dict literal or a ``dict(key=...)`` call."""
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = literal_string(element.key)
                if key is not None:
                    yield key, element.value, element
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        for arg in node.args:
            if arg.keyword is not None and not arg.star:
                yield arg.keyword.value, arg.value, arg
            elif arg.keyword is None and not arg.star:
                yield from dict_items(arg.value)


def assigned_value(ctx: FileContext, name: cst.Name, scope: Scope) -> tuple[cst.BaseExpression, Scope] | None:
    """The one value a name is assigned (None when it is a parameter, assigned twice, or unknown)."""
    bindings = ctx.resolver.lookup(name.value, scope)
    if len(bindings) != 1 or bindings[0].kind != "assign" or bindings[0].value is None:
        return None
    return bindings[0].value, bindings[0].scope


def string_value(ctx: FileContext, node: cst.CSTNode, scope: Scope, depth: int = 0) -> str | None:
    """The string ``node`` evaluates to: a literal, a constant holding one, or an environment default."""
    if depth > MAX_DEPTH:
        return None
    text = literal_string(node)
    if text is not None:
        return text
    if isinstance(node, cst.Name):
        found = assigned_value(ctx, node, scope)
        return string_value(ctx, found[0], found[1], depth + 1) if found else None
    if isinstance(node, cst.Call) and ctx.match(node.func, ENV_GETTERS, scope):
        default = argument(node, {"keyword": "default", "position": 1})
        if default is ABSENT or default is UNKNOWN:
            return None
        return string_value(ctx, default, scope, depth + 1)
    return None


# -- paths ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PathValue:
    """Where a path expression points: kind is relative, app (next to the code, in the working
    or home directory), absolute, temp (the system scratch area) or stream (/dev/stdout ...)."""

    kind: str
    text: str

    @property
    def local(self) -> bool:
        """Inside the container's own filesystem, next to the application."""
        return self.kind in ("relative", "app")


def path_of_text(text: str, streams: Iterable[str] = ()) -> PathValue | None:
    text = text.strip()
    if not text:
        return None
    if text in streams:
        return PathValue("stream", text)
    if text == "/tmp" or text.startswith(("/tmp/", "/var/tmp/", "/dev/shm/")):
        return PathValue("temp", text)
    if text.startswith("~"):  # the container user's home directory
        return PathValue("app", text)
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", text):
        return PathValue("absolute", text)
    if "://" in text:  # a URL, not a path
        return None
    return PathValue("relative", text)


class PathResolver:
    """Follows a path expression through constants, joins and ``__file__`` to a :class:`PathValue`."""

    def __init__(self, ctx: FileContext, streams: Iterable[str] = (), keys: Mapping[str, Any] | None = None) -> None:
        self.ctx = ctx
        self.streams = tuple(streams)
        self.keys = keys or {}  # literal config keys -> (value, scope), for app.config["UPLOAD_FOLDER"]

    def resolve(self, node: cst.CSTNode, scope: Scope, depth: int = 0) -> PathValue | None:
        if depth > MAX_DEPTH:
            return None
        text = literal_string(node)
        if text is not None:
            return path_of_text(text, self.streams)
        if isinstance(node, cst.FormattedString):
            return self._formatted(node, scope, depth)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Divide, cst.Modulo)):
            base = self._joined(self.resolve(node.left, scope, depth + 1))
            if base is None or isinstance(node.operator, cst.Modulo):
                return base
            tail = literal_string(node.right) or "…"
            separator = "/" if isinstance(node.operator, cst.Divide) else ""
            return PathValue(base.kind, f"{base.text}{separator}{tail}")
        if isinstance(node, cst.Name):
            if node.value == "__file__":
                return PathValue("app", "<app>")
            found = assigned_value(self.ctx, node, scope)
            return self.resolve(found[0], found[1], depth + 1) if found else None
        if isinstance(node, cst.Attribute) and node.attr.value in ("parent", "parents"):
            return self.resolve(node.value, scope, depth + 1)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, scope, depth)
        if isinstance(node, cst.Call):
            return self._call(node, scope, depth)
        return None

    def _joined(self, base: PathValue | None) -> PathValue | None:
        """A path built on ``base``: a stream path plus a suffix is no longer a stream."""
        if base is None or base.kind != "stream":
            return base
        return PathValue("absolute", base.text)

    def _formatted(self, node: cst.FormattedString, scope: Scope, depth: int) -> PathValue | None:
        first = node.parts[0] if node.parts else None
        if isinstance(first, cst.FormattedStringExpression):
            base = self._joined(self.resolve(first.expression, scope, depth + 1))
            rest = "".join(p.value if isinstance(p, cst.FormattedStringText) else "…" for p in node.parts[1:])
            return PathValue(base.kind, base.text + rest) if base is not None else None
        text = "".join(p.value if isinstance(p, cst.FormattedStringText) else "…" for p in node.parts)
        if text.startswith(("/dev/", "/proc/")):  # f"/dev/{stream}": may well be a stream
            return None
        return path_of_text(text, self.streams)

    def _subscript(self, node: cst.Subscript, scope: Scope, depth: int) -> PathValue | None:
        if isinstance(node.value, cst.Attribute) and node.value.attr.value == "parents":
            return self.resolve(node.value.value, scope, depth + 1)
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = literal_string(node.slice[0].slice.value)
            if key is not None and key in self.keys:
                value, value_scope = self.keys[key]
                return self.resolve(value, value_scope, depth + 1)
        return None

    def _call(self, node: cst.Call, scope: Scope, depth: int) -> PathValue | None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in PATH_METHODS:
            base = self._joined(self.resolve(func.value, scope, depth + 1))
            if base is not None and func.attr.value == "joinpath" and node.args:
                tail = "/".join(literal_string(arg.value) or "…" for arg in node.args)
                return PathValue(base.kind, f"{base.text}/{tail}")
            if base is not None:
                return base
        names = self.ctx.qualnames(func, scope)
        if names & CWD_CALLS:
            return PathValue("app", "<cwd>")
        if names & HOME_CALLS:  # the container user's home: inside the container too
            return PathValue("app", "~")
        if names & TEMP_CALLS or any(n.startswith("tempfile.") for n in names):
            return PathValue("temp", "<tmp>")
        if names & ENV_GETTERS:
            default = argument(node, {"keyword": "default", "position": 1})
            return None if default is ABSENT or default is UNKNOWN else self.resolve(default, scope, depth + 1)
        if names & PATH_WRAPPERS and node.args and not node.args[0].star and node.args[0].keyword is None:
            first = self.resolve(node.args[0].value, scope, depth + 1)
            if first is None or len(node.args) == 1:
                return first
            tail = "/".join(literal_string(arg.value) or "…" for arg in node.args[1:])
            return PathValue(self._joined(first).kind, f"{first.text}/{tail}")  # type: ignore[union-attr]
        return None


# -- test code -------------------------------------------------------------------------
def in_test_function(scope: Scope) -> bool:
    """Inside a test function, a ``Test*`` class or a pytest fixture."""
    current: Scope | None = scope
    while current is not None:
        node = current.node
        if isinstance(node, cst.FunctionDef):
            if node.name.value.startswith("test") or any(_is_fixture(d.decorator) for d in node.decorators):
                return True
        elif isinstance(node, cst.ClassDef) and node.name.value.startswith("Test"):
            return True
        current = current.parent
    return False


def _is_fixture(decorator: cst.BaseExpression) -> bool:
    target = decorator.func if isinstance(decorator, cst.Call) else decorator
    name = dotted_name(target) or ""
    return name in ("pytest.fixture", "fixture", "pytest_asyncio.fixture")


def in_test_code(ctx: FileContext, scope: Scope, knowledge: Mapping[str, Any]) -> bool:
    return is_test_path(ctx.path, knowledge) or in_test_function(scope)
