"""The one resolver every triage predicate shares (:mod:`statelint.triage.aliases`): it must
follow every binding the libcst resolver follows, and walk a file only once, only when needed."""

from __future__ import annotations

import ast

import pytest

from statelint.triage import aliases as A
from tests.helpers import triage_source

THREAD = {"threading.Thread"}

#: Each way a call can resolve to threading.Thread, as the libcst resolver follows it.
CALLED = {
    "attribute": "import threading\nthreading.Thread(target=f)\n",
    "import_alias": "from threading import Thread as T\nT(target=f)\n",
    "module_alias": "import threading as th\nth.Thread(target=f)\n",
    "dotted_import": "import concurrent.futures\nconcurrent.futures.ThreadPoolExecutor()\n",
    "module_assignment": "import threading\nW = threading.Thread\nW()\n",
    "function_assignment": "import threading\ndef main():\n    a = threading.Thread\n    b = a\n    b()\n",
    "annotated": "import threading\nw: type = threading.Thread\nw()\n",
    "unpacking": "import threading\nw, = threading.Thread,\nx, y = threading.Thread\ny()\n",
    "walrus": "import threading\nif (w := threading.Thread):\n    w()\n",
    "with_as": "import threading\nwith threading.Thread as w:\n    w()\n",
    "with_unpacking": "import threading\nwith threading.Thread as (w, v):\n    v()\n",
    "subclass": "import threading\nclass W(threading.Thread): ...\nW()\n",
    "subsubclass": "from threading import Thread\nclass A(Thread): ...\nclass B(A): ...\nB()\n",
    "starred_base": "from threading import Thread\nbases = Thread\nclass W(*bases): ...\nW()\n",
    "factory": "import threading\ndef make():\n    return threading.Thread\nmake()()\n",
    "factory_result": "import threading\ndef make():\n    return threading.Thread\nk = make()\nk()\n",
    "nested_factory": (
        "import threading\ndef outer():\n    def inner():\n        return threading.Thread\n    return inner()\nouter()()\n"
    ),
    "async_factory": "import threading\nasync def make():\n    return threading.Thread\nasync def main():\n    (await make())()\n",
    "awaited_alias": "import threading\nasync def main():\n    w = await threading.Thread\n    w()\n",
    "awaited_callee": "from threading import Thread\nasync def main():\n    (await Thread)()\n",
}


@pytest.mark.parametrize("name", sorted(CALLED))
def test_every_binding_the_resolver_follows_is_followed(name: str) -> None:
    source = triage_source(CALLED[name])
    wanted = {"concurrent.futures.ThreadPoolExecutor"} if name == "dotted_import" else THREAD
    assert A.called(source, wanted) is True
    assert A.may_call(source, wanted) is True


@pytest.mark.parametrize(
    "text",
    [
        "import threading\nthreading.Timer(1, f)\n",  # another name of the same module
        "import threading\nprint('Thread')\n",  # only in a string
        "import threading\nThreadPool = threading.Timer\nThreadPool()\n",  # a longer name
        "import threading\ndef make():\n    return threading.Thread\ndef other():\n    return 1\nother()()\n",
    ],
)
def test_near_misses_are_not_called(text: str) -> None:
    source = triage_source(text)
    assert A.called(source, THREAD) is False
    assert A.may_call(source, THREAD) is False


#: A bare name resolves to what binds it: an import to exactly its target (no re-export is
#: followed), a parameter or loop variable to nothing, an unbound name to a builtin or nothing.
BARE_NEAR_MISSES = {
    "another_package": "from distutils.spawn import spawn\nspawn(['cc'])\n",
    "star_import": "from gevent import *\nspawn(f)\n",
    "parameter": "def run(spawn):\n    spawn(f)\n",
    "loop_variable": "for spawn in spawners:\n    spawn(f)\n",
    "import_of_an_alias": "from gevent import spawn as s\nfrom gevent import s as t\nt(f)\n",
}


@pytest.mark.parametrize("name", sorted(BARE_NEAR_MISSES))
def test_a_bare_name_the_resolver_cannot_lead_there_is_not_a_call(name: str) -> None:
    source = triage_source(BARE_NEAR_MISSES[name])
    assert A.called(source, {"gevent.spawn"}) is True  # the tail is called: the cheap check says maybe
    assert A.may_call(source, {"gevent.spawn"}) is False


@pytest.mark.parametrize(
    ("text", "module", "wanted"),
    [
        ("from gevent import spawn\nspawn(f)\n", "app", "gevent.spawn"),
        ("from .pool import spawn\nspawn(f)\n", "pkg.app", "pkg.pool.spawn"),  # relative, made absolute
        ("def spawn(f):\n    ...\nspawn(g)\n", "gevent", "gevent.spawn"),  # the module's own definition
        ("spawn = make_spawner()\nspawn(f)\n", "app", "gevent.spawn"),  # assigned: may hold anything
        ("open('x', 'w')\n", "app", "builtins.open"),
    ],
)
def test_a_bare_name_the_resolver_may_lead_there_is_a_call(text: str, module: str, wanted: str) -> None:
    assert A.may_call(triage_source(text, module), {wanted}) is True


def test_no_walk_when_nothing_spelled_can_start_a_chain() -> None:
    source = triage_source("import threading\nx = threading.Timer\nx()\n")
    assert A.aliases(source, THREAD).names == {"Thread"}
    assert A.called(source, THREAD) is False
    assert "aliases:bindings" not in source._memo
    A.called(source, {"threading.Timer"})
    assert "aliases:bindings" in source._memo


def test_the_walk_is_shared_by_every_set_of_names() -> None:
    source = triage_source("import threading\nW = threading.Thread\nT = threading.Timer\nW()\nT()\n")
    first = A.bindings(source)
    assert A.aliases(source, THREAD).names == {"Thread", "W"}
    assert A.aliases(source, {"threading.Timer"}).names == {"Timer", "T"}
    assert A.bindings(source) is first


def test_may_be_reads_callees_decorators_and_values() -> None:
    source = triage_source("import functools\ncache = functools.lru_cache\ndef make():\n    return cache\n")
    found = A.aliases(source, {"functools.lru_cache"})
    assert found.names == {"lru_cache", "cache", "make"}

    def expr(text: str) -> ast.expr:
        value = ast.parse(text, mode="eval").body
        assert isinstance(value, ast.expr)
        return value

    assert found.may_be(expr("functools.lru_cache")) is True
    assert found.may_be(expr("cache")) is True
    assert found.may_be(expr("make()")) is True
    assert found.may_be(expr("(await cache)")) is True
    assert found.may_be(expr("functools.wraps")) is False
    assert found.may_be(expr("other.cache")) is True  # named like an alias: scopes and receivers are not read
    assert found.may_be(expr("other()")) is False
    assert found.may_be(expr("x[0]")) is False


def test_may_call_needs_a_root_that_may_lead_there() -> None:
    # a parameter resolves to nothing; an import only to what lies under its target
    assert A.may_call(triage_source("from x import Thread\ndef f(pool):\n    pool.Thread()\n"), THREAD) is False
    assert A.may_call(triage_source("import threading, os\nos.Thread()\nthreading\n"), THREAD) is False
    assert A.called(triage_source("import threading, os\nos.Thread()\nthreading\n"), THREAD) is True
    # a name the resolver gives a value, a builtin and a relative import may lead anywhere
    assert A.may_call(triage_source("import threading\nt = get()\nt.Thread()\n"), THREAD) is True
    assert A.may_call(triage_source("import threading\nobject.Thread()\n"), THREAD) is True
    assert A.may_call(triage_source("from . import threading\nthreading.Thread()\n"), THREAD) is True
    # unpacking binds to nothing: its names are no roots
    assert A.may_call(triage_source("import threading\nt, u = get()\nt.Thread()\n"), THREAD) is False


def test_mentioned_is_the_cheap_condition() -> None:
    assert A.mentioned(triage_source("from threading import Thread as T\nT\n"), THREAD) is True
    assert A.mentioned(triage_source("import threading\nthreading.Timer\n"), THREAD) is False


def test_tails_and_last_names() -> None:
    assert A.tail("multiprocessing.get_context().Process") == "Process"
    assert A.tail("flask.Flask()") == "Flask"
    assert A.last_name(ast.parse("(await a.b().c)()", mode="eval").body) == "c"
    assert A.last_name(ast.parse("x[0]", mode="eval").body) is None


def test_heads() -> None:
    source = triage_source("import os.path\nfrom .sibling import thing\nfrom flask import Flask as F\n", "pkg.app")
    assert A.heads(source) == {"builtins", "pkg", "os", "sibling", "flask"}


def _imports_from_every_node(tree: ast.Module) -> dict[str, set[str]]:
    """What :attr:`Source.imports` must equal: every Import node anywhere, found by ast.walk."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                head = alias.name.split(".")[0]
                found.setdefault(alias.asname or head, set()).update({alias.name} if alias.asname else {head, alias.name})
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    found.setdefault(alias.asname or alias.name, set()).add(
                        f"{base}.{alias.name}" if base and not base.endswith(".") else base + alias.name
                    )
    return found


IMPORTS_EVERYWHERE = """
import a.b.c
import d as e
from . import f
from .. g import h as i
from .j import *
def outer():
    import k
    class Inner:
        from l import m
        def method(self):
            try:
                import n
            except ImportError:
                from o import p
            else:
                import q
            finally:
                import r
async def coroutine():
    async with s:
        import t
    async for u in v:
        import w
    while x:
        import y
    else:
        import z
    match case:
        case 1:
            import aa
        case _:
            from bb import cc as dd
if True:
    with ee:
        import ff
try:
    pass
except* ValueError:
    import gg
"""


def test_imports_come_from_statements_alone_yet_miss_none() -> None:
    """Imports are statements, and statements sit only in statement bodies: the cheap walk
    behind ``Source.imports`` finds every one that a walk over every node finds."""
    source = triage_source(IMPORTS_EVERYWHERE)
    expected = _imports_from_every_node(source.tree)
    assert len(expected) == 18  # a, e, f, i, k, m, n, p, q, r, t, w, y, z, aa, dd, ff, gg
    assert source.imports == expected
    assert "walk" not in source._memo  # and no full walk was needed for them
