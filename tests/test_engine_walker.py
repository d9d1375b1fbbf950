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


@pytest.mark.parametrize("path", SOURCES[::4], ids=lambda p: str(p.relative_to(FIXTURES)))
def test_parsing_without_validation_builds_the_same_tree(path: object) -> None:
    from statelint.engine.parsing import parse_module

    module = _parse(path)
    if module is None:
        pytest.skip("not parseable by design")
    fast = parse_module(module.code)
    assert fast.deep_equals(module)
    assert fast.code == module.code


def test_node_validation_is_back_after_a_parse_error() -> None:
    from libcst._nodes.base import CSTNode

    from statelint.engine import parsing

    assert parsing._SKIPPABLE  # libcst's __post_init__ only validates: the shortcut is in use
    with pytest.raises(cst.ParserSyntaxError):
        parsing.parse_module("def f(:\n")
    assert CSTNode.__post_init__ is parsing._POST_INIT
    with pytest.raises(cst.CSTValidationError):  # nodes built by hand are still checked
        cst.Name("not a name")


TRICKY = [
    "import os\n\n\n# a comment\n\n@decorator\n@other(\n    1,\n)\nasync def f(x):\n    return x\n",
    "a = 1; b = [\n    2,\n]  # trailing\nclass C:\n    def m(self):\n        pass\n",
    "x = 1\r\ny = (2 +\r\n     3)\r\nif x:\r\n    z = 'é'\r\nelif y:\r\n    pass\r\nelse:\r\n    pass\r\n",
    "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n'''doc'''\n\nvalue = \\\n    1\n",
    "def g():\n\tif True:\n\t\treturn 1\n\nπ = 3.14\nlabel = 'ünïcode'; count = len(label)\n",
    "x = 1\nlast = x + 1",  # no final newline: the lazy way falls back to the whole module
    "\x0c\nimport sys\n\n\n\n@dec\nclass K(Base, metaclass=M):\n    attr: int = 1\n",
    "",
    "try:\n    pass\nexcept (A, B) as e:\n    raise\nfinally:\n    done()\nmatch v:\n    case [1, *rest]:\n        pass\n",
]


@pytest.mark.parametrize("source", TRICKY)
def test_lazy_positions_match_libcsts_for_every_node(source: str) -> None:
    from libcst.metadata import MetadataWrapper, PositionProvider

    from statelint.engine.positions import LazyPositions

    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = []
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(children(node))
    for order in (nodes, nodes[::-1]):  # asked in source order and backwards
        lazy = LazyPositions(module, source)
        assert [lazy[node] for node in order] == [expected[node] for node in order]


@pytest.mark.parametrize("path", SOURCES[::3], ids=lambda p: str(p.relative_to(FIXTURES)))
def test_lazy_positions_on_fixtures(path: object) -> None:
    from statelint.engine.positions import LazyPositions

    module = _parse(path)
    if module is None:
        pytest.skip("not parseable by design")
    expected = compute_positions(module)
    lazy = LazyPositions(module, module.code)
    sample = list(expected)[::5]
    assert [lazy[node] for node in sample] == [expected[node] for node in sample]


def test_lazy_positions_generate_only_the_statements_asked_about() -> None:
    from statelint.engine.positions import LazyPositions

    source = "import os\n\nCACHE = {}\n\n\ndef f():\n    CACHE[1] = 2\n"
    module = cst.parse_module(source)
    lazy = LazyPositions(module, source)
    target = module.body[1].body[0].targets[0].target  # type: ignore[attr-defined]
    found = lazy[target]
    assert (found.start.line, found.start.column, found.end.line, found.end.column) == (3, 0, 3, 5)
    assert lazy._whole is None and list(lazy._statements) == [1]
    no_newline = cst.parse_module("x = 1")
    fallback = LazyPositions(no_newline, "x = 1")
    assert fallback[no_newline.body[0]].end.column == 5
    assert fallback._whole is not None
