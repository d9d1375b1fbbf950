"""Name resolution through imports and scopes (engine/names.py)."""

from __future__ import annotations

import libcst as cst
import pytest

from statelint.engine.names import NameResolver


def resolve_last(source: str, module: str = "pkg.sub.mod", is_package: bool = False) -> frozenset[str]:
    """Qualified names of the expression in the module's last statement."""
    tree = cst.parse_module(source)
    resolver = NameResolver(tree, module, is_package)
    statement = tree.body[-1]
    assert isinstance(statement, cst.SimpleStatementLine)
    expression = statement.body[0]
    assert isinstance(expression, cst.Expr)
    return resolver.resolve(expression.value, resolver.module_scope)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import logging.handlers as lh\nlh.RotatingFileHandler\n", {"logging.handlers.RotatingFileHandler"}),
        ("import logging.handlers\nlogging.handlers.WatchedFileHandler\n", {"logging.handlers.WatchedFileHandler"}),
        ("from a import b as c\nc.d\n", {"a.b.d"}),
        ("from . import views\nviews.index\n", {"pkg.sub.views.index"}),
        ("from .. import config\nconfig.HOST\n", {"pkg.config.HOST"}),
        ("from ..util.net import serve\nserve\n", {"pkg.util.net.serve"}),
        ("from flask import Flask\napp = Flask(__name__)\napp.run\n", {"flask.Flask().run"}),
        ("try:\n    import ujson as json\nexcept ImportError:\n    import json\njson.loads\n", {"ujson.loads", "json.loads"}),
        ("def run():\n    pass\nrun\n", {"pkg.sub.mod.run"}),
        ("open\n", {"builtins.open"}),
        ("undefined_name\n", set()),
        ("with open('x') as handle:\n    pass\nhandle.write\n", {"builtins.open().write"}),
    ],
)
def test_module_level_resolution(source: str, expected: set[str]) -> None:
    assert resolve_last(source) == expected


def test_relative_import_inside_a_package_init() -> None:
    assert resolve_last("from .server import app\napp\n", module="pkg.sub", is_package=True) == {"pkg.sub.server.app"}


def test_relative_import_beyond_the_top_level_resolves_to_nothing() -> None:
    assert resolve_last("from ... import x\nx\n", module="mod") == set()


def test_assignment_cycles_do_not_recurse_forever() -> None:
    assert resolve_last("a = b\nb = a\na\n") == set()


def _call_in_function(source: str) -> frozenset[str]:
    """Resolve the first call inside the module's only function, from that function's scope."""
    tree = cst.parse_module(source)
    resolver = NameResolver(tree, "mod")
    function = next(s for s in tree.body if isinstance(s, cst.FunctionDef))
    scope = resolver.child_scope(function, resolver.module_scope)
    body = function.body.body
    call = body[-1].body[0].value  # type: ignore[attr-defined]
    return resolver.resolve(call.func, scope)


def test_parameters_shadow_module_names() -> None:
    source = "from flask import Flask\napp = Flask('x')\ndef start(app):\n    app.run()\n"
    assert _call_in_function(source) == frozenset()


def test_global_declaration_reaches_module_binding() -> None:
    source = "from flask import Flask\napp = Flask('x')\ndef start():\n    global app\n    app.run()\n"
    assert _call_in_function(source) == {"flask.Flask().run"}


def test_local_assignment_shadows_import() -> None:
    source = "import uvicorn\ndef start():\n    uvicorn = object()\n    uvicorn.run()\n"
    assert _call_in_function(source) == {"builtins.object().run"}


def test_factory_functions_resolve_to_what_they_return() -> None:
    source = (
        "from flask import Flask\n"
        "def create_app(config=None):\n"
        "    app = Flask(__name__)\n"
        "    if config:\n"
        "        app.config.update(config)\n"
        "    return app\n"
        "create_app().run\n"
    )
    assert resolve_last(source) == {"pkg.sub.mod.create_app().run", "flask.Flask().run"}


def test_recursive_factories_terminate() -> None:
    assert resolve_last("def f():\n    return f()\nf()\n") == {"pkg.sub.mod.f()"}
