"""The walker and name resolution are tuned for speed; what they produce must not change."""

from __future__ import annotations

import dataclasses

import libcst as cst
import pytest

from statelint.engine.context import FileContext
from statelint.engine.names import NameResolver
from statelint.engine.positions import compute_positions
from statelint.engine.walker import _SYNTAX, Dispatcher, children, walk
from tests.helpers import FIXTURES

SOURCES = sorted(p for p in FIXTURES.rglob("*.py") if "robustness" not in p.parts)


def _reference_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The plain definition: non-syntax CST nodes among the fields, in field order."""
    out: list[cst.CSTNode] = []
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        values = value if isinstance(value, (tuple, list)) else [value]
        out.extend(v for v in values if isinstance(v, cst.CSTNode) and not isinstance(v, _SYNTAX))
    return out


def _parse(path: object) -> cst.Module | None:
    try:
        return cst.parse_module(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    except (cst.ParserSyntaxError, UnicodeDecodeError):
        return None


def test_there_are_sources_to_compare() -> None:
    assert len(SOURCES) > 20


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_children_match_the_plain_definition(path: object) -> None:
    module = _parse(path)
    if module is None:
        pytest.skip("not parseable by design")
    stack: list[cst.CSTNode] = [module]
    seen = 0
    while stack:
        node = stack.pop()
        kids = children(node)
        assert kids == _reference_children(node)
        stack.extend(kids)
        seen += 1
    assert seen >= 1


class _Recorder:
    """Visits every node, leaves some, and notes the scope each event happened in."""

    def __init__(self, ctx: FileContext, log: list[tuple[str, int, str]]) -> None:
        self.ctx, self.log = ctx, log

    def visit_CSTNode(self, node: cst.CSTNode) -> None:
        self.log.append(("visit", id(node), self.ctx.scope.prefix))

    def leave_FunctionDef(self, node: cst.CSTNode) -> None:
        self.log.append(("leave", id(node), self.ctx.scope.prefix))

    def leave_Name(self, node: cst.CSTNode) -> None:
        self.log.append(("leave", id(node), self.ctx.scope.prefix))


def _reference_walk(ctx: FileContext, recorder: _Recorder) -> None:
    """Depth-first, children in field order, scopes entered after the visit and left before the leave."""
    scopes = (cst.FunctionDef, cst.ClassDef, cst.Lambda)

    def go(node: cst.CSTNode) -> None:
        recorder.visit_CSTNode(node)
        if isinstance(node, scopes):
            ctx.scope = ctx.resolver.child_scope(node, ctx.scope)
        for kid in _reference_children(node):
            go(kid)
        if isinstance(node, scopes):
            ctx.scope = ctx.scope.parent or ctx.scope
        if isinstance(node, (cst.FunctionDef, cst.Name)):
            getattr(recorder, f"leave_{type(node).__name__}")(node)

    go(ctx.module)


@pytest.mark.parametrize("path", SOURCES[::3], ids=lambda p: str(p.relative_to(FIXTURES)))
def test_walk_order_and_scopes_match_a_plain_recursive_walk(path: object) -> None:
    module = _parse(path)
    if module is None:
        pytest.skip("not parseable by design")
    text = module.code
    logs = []
    for run in ("engine", "reference"):
        ctx = FileContext("x.py", text, module, NameResolver(module, "pkg.x"))
        log: list[tuple[str, int, str]] = []
        recorder = _Recorder(ctx, log)
        if run == "engine":
            walk(ctx, Dispatcher([recorder], lambda rule, exc: None))
        else:
            _reference_walk(ctx, recorder)
        logs.append(log)
    assert logs[0] == logs[1]


def test_resolution_is_the_same_asked_once_or_many_times() -> None:
    source = (
        "import flask\nfrom os import environ as env\n\n"
        "def create_app():\n    return flask.Flask(__name__)\n\n"
        "app = create_app()\n\nclass Api(flask.Flask):\n    pass\n\n"
        "def handler(app):\n    return app.run, env.get, Api().run\n"
    )
    module = cst.parse_module(source)
    resolver = NameResolver(module, "svc.app")
    handler = module.body[-1]
    assert isinstance(handler, cst.FunctionDef)
    scope = resolver.child_scope(handler, resolver.module_scope)
    assert resolver.child_scope(handler, resolver.module_scope) is scope
    returned = handler.body.body[0].body[0].value  # type: ignore[attr-defined]
    first = [resolver.resolve(e.value, scope) for e in returned.elements]
    again = [resolver.resolve(e.value, scope) for e in returned.elements]
    assert first == again == [
        frozenset(),  # the parameter `app`, not the module's Flask app
        frozenset({"os.environ.get"}),
        frozenset({"svc.app.Api().run", "flask.Flask().run"}),
    ]
    module_app = resolver.resolve(cst.parse_expression("app.run"), resolver.module_scope)
    assert module_app == frozenset({"svc.app.create_app().run", "flask.Flask().run"})


@pytest.mark.parametrize("path", SOURCES[::4], ids=lambda p: str(p.relative_to(FIXTURES)))
def test_positions_are_libcsts(path: object) -> None:
    from libcst.metadata import MetadataWrapper, PositionProvider

    module = _parse(path)
    if module is None:
        pytest.skip("not parseable by design")
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert dict(compute_positions(module)) == dict(expected)


def test_a_base_class_visitor_is_called_once_per_node() -> None:
    """``Name`` derives from ``BaseExpression`` along two paths; its visitor must run once."""
    module = cst.parse_module("x = y\n")
    ctx = FileContext("x.py", module.code, module, NameResolver(module, "x"))
    seen: list[str] = []

    class Rule:
        def visit_BaseExpression(self, node: cst.CSTNode) -> None:
            seen.append(type(node).__name__)

    walk(ctx, Dispatcher([Rule()], lambda rule, exc: None))
    assert seen == ["Name", "Name"]
