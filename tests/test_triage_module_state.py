"""Triage of the module-state rules: what it lets through to libcst, and what it spares.

Soundness over every fixture is checked in ``test_engine_triage``; these pin the
near misses each predicate exists to skip, and the indirect writes it must keep.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from statelint.triage import module_state
from tests.helpers import triage_source

NO_OPTIONS: dict[str, object] = {}


def sl101(text: str, **options: object) -> bool:
    return module_state.mutated_container(triage_source(text), {}, options)


@pytest.mark.parametrize(
    "text",
    [
        "CACHE = {}\ndef put(k, v):\n    CACHE[k] = v\n",
        "SEEN = set()\ndef mark(x):\n    SEEN.add(x)\n",
        "QUEUE = []\ndef push(x):\n    heapq.heappush(QUEUE, x)\n",
        "from heapq import heappush as hp\nQ = []\ndef push(x):\n    hp(Q, x)\n",
        "ITEMS = []\ndef grow(more):\n    global ITEMS\n    ITEMS += more\n",
        "TABLE = {}\ndef put(k, v):\n    table = TABLE\n    table[k] = v\n",
        "from collections import defaultdict as dd\nHITS = dd(int)\ndef hit(k):\n    HITS[k] += 1\n",
        "import collections\nmaker = collections.OrderedDict\nLRU = maker()\ndef use(k):\n    LRU.move_to_end(k)\n",
        "try:\n    REGISTRY = {}\nexcept ImportError:\n    pass\nhandler = lambda k, v: REGISTRY.update({k: v})\n",
        "STATE = {'a': []}\ndef add(x):\n    STATE['a'][0].append(x)\n",
    ],
)
def test_sl101_keeps_every_way_a_function_writes_a_module_container(text: str) -> None:
    assert sl101(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "CHOICES = {'a': 1}\ndef pick(k):\n    return CHOICES[k]\n",  # a constant table, only read
        "__all__ = ['f']\n__all__.append('g')\ndef f():\n    __all__.append('h')\n",  # dunders are never state
        "def build():\n    out = []\n    out.append(1)\n    return out\n",  # a local list
        "NAMES = ['a']\nNAMES.append('b')\n",  # filled while the module loads
        "import os\nos.environ['X'] = '1'\n",
    ],
)
def test_sl101_skips_files_where_no_function_writes_a_module_container(text: str) -> None:
    assert sl101(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "CACHE = {}\ndef build(items):\n    CACHE = {}\n    CACHE['a'] = 1\n",
        "QUEUE = []\ndef drain(QUEUE):\n    QUEUE.append(1)\n",
        "QUEUE = []\nf = lambda QUEUE: QUEUE.append(1)\n",
        "SEEN = set()\ndef scan(rows):\n    for SEEN in rows:\n        SEEN.add(1)\n",
        "TABLE = {}\ndef use():\n    with open('x') as TABLE:\n        TABLE.update()\n",
        "TABLE = {}\ndef use():\n    try:\n        pass\n    except KeyError as TABLE:\n        TABLE.args.append(1)\n",
        "COUNTS = {}\ndef outer():\n    COUNTS = {}\n    def bump(k):\n        COUNTS[k] = 1\n    bump('a')\n",
    ],
)
def test_sl101_skips_writes_through_a_functions_own_local_of_the_same_name(text: str) -> None:
    assert sl101(text) is False


@pytest.mark.parametrize(
    "text",
    [
        # an inner function's local hides nothing from the outer function
        "CACHE = {}\ndef outer():\n    def inner():\n        CACHE = {}\n    CACHE['a'] = 1\n",
        # declared global (or nonlocal) somewhere in the function
        "TABLE = {}\ndef outer():\n    TABLE = None\n    def reset():\n        global TABLE\n        TABLE['k'] = 1\n",
        # a local that copies the container
        "SEEN = set()\ndef copied():\n    with SEEN as seen:\n        seen.add(1)\n",
        # bindings triage does not count: `del` (the resolver does not either), imports (the
        # same module object, which SL103 follows), comprehension variables and `:=`
        "CACHE = {}\ndef f():\n    CACHE['a'] = 1\n    del CACHE\n",
        "CACHE = {}\ndef f():\n    from app import CACHE\n    CACHE['a'] = 1\n",
        "CACHE = {}\ndef f(rows):\n    [CACHE for CACHE in rows]\n    CACHE['a'] = 1\n",
        "CACHE = {}\ndef f():\n    (CACHE := {})\n    CACHE['a'] = 1\n",
        # a class body's names are its own, not the function's
        "CACHE = {}\ndef f():\n    class C:\n        CACHE = {}\n    CACHE['a'] = 1\n",
    ],
)
def test_sl101_keeps_writes_a_local_of_the_same_name_does_not_hide(text: str) -> None:
    assert sl101(text) is True


def test_sl101_follows_extra_container_classes() -> None:
    text = "from team.cache import Bag\nBAG = Bag()\ndef put(x):\n    BAG.add(x)\n"
    assert sl101(text) is False
    assert sl101(text, **{"extra-container-classes": ["team.cache.Bag"]}) is True


def test_sl102_needs_an_assignment_to_a_declared_global() -> None:
    rebound = "COUNT = 0\ndef bump():\n    global COUNT\n    COUNT += 1\n"
    declared_only = "COUNT = 0\ndef read():\n    global COUNT\n    return COUNT\n"
    assert module_state.rebound_global(triage_source(rebound), {}, NO_OPTIONS) is True
    assert module_state.rebound_global(triage_source(declared_only), {}, NO_OPTIONS) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from app import state\ndef put(k, v):\n    state.CACHE[k] = v\n", True),
        ("from .state import CACHE\ndef put(k, v):\n    CACHE[k] = v\n", True),
        ("import app.state as s\ndef put(v):\n    s.ITEMS.append(v)\n", True),
        ("import os\ndef put(v):\n    os.environ['K'] = v\n", False),  # the stdlib is not a service's state
        ("from app import state\ndef get(k):\n    return state.CACHE[k]\n", False),
    ],
)
def test_sl103_parses_only_modules_that_write_through_an_import(text: str, expected: bool) -> None:
    assert module_state.mutated_import(triage_source(text), {}, NO_OPTIONS) is expected


def test_sl403_needs_a_clock_and_a_write_in_one_function_and_a_comparison() -> None:
    limiter = """
        import time
        LAST = {}
        def allow(key):
            now = time.monotonic()
            if now - LAST.get(key, 0) < 1:
                return False
            LAST[key] = now
            return True
    """
    timing = """
        import time
        def measure(f):
            start = time.perf_counter()
            f()
            return time.perf_counter() - start
    """
    assert module_state.clock_state(triage_source(limiter), {}, NO_OPTIONS) is True
    assert module_state.clock_state(triage_source(timing), {}, NO_OPTIONS) is False


def test_sl403_without_a_clock_call_is_decided_before_any_function_is_summarised() -> None:
    # It stores, compares and imports time: only the clock call is missing (time.sleep is none).
    no_clock = """
        import time
        LAST = {}
        def allow(key, now):
            if now - LAST.get(key, 0) < 1:
                time.sleep(1)
            LAST[key] = now
    """
    source = triage_source(no_clock)
    assert module_state.clock_state(source, {}, NO_OPTIONS) is False
    assert "module_state" not in source._memo
    with_clock = triage_source(no_clock.replace("def allow(key, now):", "def allow(key):\n            now = time.time()"))
    assert module_state.clock_state(with_clock, {}, NO_OPTIONS) is True


def test_triage_modules_never_import_libcst_or_rules() -> None:
    """A file every rule's triage rejects must not cost libcst's import (a sixth of a second)."""
    code = (
        "import sys, pkgutil, importlib, statelint.triage as t\n"
        "for info in pkgutil.iter_modules(t.__path__):\n"
        "    importlib.import_module(f'statelint.triage.{info.name}')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'libcst' or m.startswith('statelint.rules'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("_conn = None\ndef close():\n    global _conn\n    _conn = None\n", False),  # a reset
        ("def setup():\n    global __doc__\n    __doc__ = 'x'\n", False),  # dunders are the module's own
        ("_conn = None\ndef drop():\n    global _conn\n    del _conn\n", True),  # the rule judges `del` too
        ("A = B = 0\ndef swap():\n    global A, B\n    A, B = B, A\n", True),
    ],
)
def test_sl102_skips_resets_to_none_and_dunders(text: str, expected: bool) -> None:
    assert module_state.rebound_global(triage_source(text), {}, NO_OPTIONS) is expected


LAZY = [
    "def get():\n    global _table\n    if _table is None:\n        _table = build()\n    return _table\n",
    "def get():\n    global _table\n    if not _table:\n        _table = build()\n    return _table\n",
    "def get():\n    global _table\n    if _table is not None:\n        return _table\n    _table = build()\n    return _table\n",
    # a try's `else:` and `finally:` run under the guard too
    "def get():\n    global _t\n    if _t is None:\n        try:\n            pass\n        finally:\n            _t = 1\n",
    "def get():\n    global _t\n    if _t is not None:\n        return _t\n    try:\n        probe()\n    except E:\n        _t = False\n    else:\n        _t = True\n",
]


@pytest.mark.parametrize("text", LAZY)
def test_sl102_skips_lazy_initialisation_as_the_rule_does(text: str) -> None:
    assert module_state.rebound_global(triage_source(text), {}, NO_OPTIONS) is False


def test_sl102_a_reload_when_stale_is_no_lazy_initialisation() -> None:
    """``if _table is None or stale(_table):`` loads again whenever the data changes: a cache, which
    the rule judges as state, so triage must let it through."""
    text = "def get(kind):\n    global _table\n    if kind:\n        if _table is None or stale(_table):\n            with lock:\n                _table = build()\n    return _table\n"
    assert module_state.rebound_global(triage_source(text), {}, NO_OPTIONS) is True


@pytest.mark.parametrize(
    "text",
    [
        # set again after the guard, or under a test that is not about the name alone
        "def get():\n    global _table\n    if _table is None:\n        _table = build()\n    _table = other()\n",
        "def get():\n    global _table\n    if _table is None and ready:\n        _table = build()\n",
        "def get():\n    global _table\n    if _table is not None:\n        log()\n    _table = build()\n",
        # the guard is about another name, or sits in another function
        "def get():\n    global _a, _b\n    if _a is None:\n        _b = build()\n",
        "def get():\n    global _t\n    def inner():\n        if _t is None:\n            pass\n    _t = build()\n",
        # an else branch and a loop's else are not guarded by the rule either
        "def get():\n    global _t\n    if _t is None:\n        pass\n    else:\n        _t = build()\n",
        "def get():\n    global _t\n    if _t is None:\n        for x in y:\n            pass\n        else:\n            _t = 1\n",
    ],
)
def test_sl102_keeps_a_rebind_no_guard_covers(text: str) -> None:
    assert module_state.rebound_global(triage_source(text), {}, NO_OPTIONS) is True


def test_sl102_skips_startup_functions_unless_the_option_is_emptied() -> None:
    source = triage_source("def init_app():\n    global _app\n    _app = make()\n")
    assert module_state.rebound_global(source, {}, {"startup-functions": ["init_*"]}) is False
    assert module_state.rebound_global(source, {}, {"startup-functions": []}) is True
    nested = triage_source("def init_app():\n    def later():\n        global _app\n        _app = make()\n")
    assert module_state.rebound_global(nested, {}, {"startup-functions": ["init_*"]}) is True  # `later` is not one


def test_sl403_skips_clock_readings_kept_in_locals_only() -> None:
    """A reading stored in a local container (or on an object the function made) dies with the call."""
    local = """
        import time
        def measure(items):
            started = {}
            for item in items:
                started[item] = time.monotonic()
            return [time.monotonic() - started[item] < 1 for item in items]
    """
    method = """
        import time
        class Breaker:
            def trip(self):
                self.opened = time.monotonic()
            def closed(self):
                return time.monotonic() - self.opened > 30
    """
    assert module_state.clock_state(triage_source(local), {}, NO_OPTIONS) is False
    assert module_state.clock_state(triage_source(method), {}, NO_OPTIONS) is True
