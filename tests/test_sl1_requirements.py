"""What the module-state rules (SL101-SL103, SL403) require of a file's summary: what they let
through to libcst, and what they spare.

Soundness over every fixture is checked in ``test_engine_triage``; these pin the near misses
each declaration exists to skip, and the indirect writes it must keep.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, requirement_met, run_cli


def sl101(text: str, **options: object) -> bool:
    return requirement_met("SL101", text, options=options)


def sl102(text: str, **options: object) -> bool:
    return requirement_met("SL102", text, options={"startup-functions": [], **options})


def sl103(text: str) -> bool:
    return requirement_met("SL103", text)


def sl403(text: str) -> bool:
    return requirement_met("SL403", text)


@pytest.mark.parametrize(
    "text",
    [
        "CACHE = {}\ndef put(k, v):\n    CACHE[k] = v\n",
        "SEEN = set()\ndef mark(x):\n    SEEN.add(x)\n",
        "import heapq\nQUEUE = []\ndef push(x):\n    heapq.heappush(QUEUE, x)\n",
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
        # bindings the declaration does not count: `del` (the resolver does not either), imports (the
        # same module object, which SL103 follows), comprehension variables and `:=`
        "CACHE = {}\ndef f():\n    CACHE['a'] = 1\n    del CACHE\n",
        "CACHE = {}\ndef f():\n    from app import CACHE\n    CACHE['a'] = 1\n",
        "CACHE = {}\ndef f(rows):\n    [CACHE for CACHE in rows]\n    CACHE['a'] = 1\n",
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
    assert sl102(rebound) is True
    assert sl102(declared_only) is False


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
    assert sl103(text) is expected


def test_sl403_needs_a_clock_reading_stored_beyond_the_call() -> None:
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
    assert sl403(limiter) is True
    assert sl403(timing) is False


def test_sl403_a_reading_passed_in_is_no_clock_of_its_own() -> None:
    # It stores, compares and imports time: only the clock call is missing (time.sleep is none).
    no_clock = """
        import time
        LAST = {}
        def allow(key, now):
            if now - LAST.get(key, 0) < 1:
                time.sleep(1)
            LAST[key] = now
    """
    assert sl403(no_clock) is False
    assert sl403(no_clock.replace("def allow(key, now):", "def allow(key):\n            now = time.time()")) is True


@pytest.mark.parametrize(
    "text",
    [
        "import time\nclass Breaker:\n    def trip(self):\n        started = time.monotonic()\n        elapsed = started\n        self.opened = elapsed\n",
        "import time\nHITS = []\ndef hit():\n    now = 0\n    now += time.time()\n    HITS.append(now)\n",
        "from time import monotonic as clock\nSTATE = {}\ndef trip():\n    STATE['open'] = clock() + 30\n",
        "import time, heapq\nclass W:\n    def add(self):\n        heapq.heappush(self.times, time.time())\n",
    ],
)
def test_sl403_follows_a_reading_through_locals_aliases_and_calls(text: str) -> None:
    assert sl403(text) is True


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
    assert sl102(text) is expected


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
    assert sl102(text) is False


def test_sl102_a_reload_when_stale_is_no_lazy_initialisation() -> None:
    """``if _table is None or stale(_table):`` loads again whenever the data changes: a cache, which
    the rule judges as state, so the declaration must let it through."""
    text = "def get(kind):\n    global _table\n    if kind:\n        if _table is None or stale(_table):\n            with lock:\n                _table = build()\n    return _table\n"
    assert sl102(text) is True


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
    assert sl102(text) is True


def test_sl102_skips_startup_functions_unless_the_option_is_emptied() -> None:
    source = "def init_app():\n    global _app\n    _app = make()\n"
    assert sl102(source, **{"startup-functions": ["init_*"]}) is False
    assert sl102(source) is True
    nested = "def init_app():\n    def later():\n        global _app\n        _app = make()\n"
    assert sl102(nested, **{"startup-functions": ["init_*"]}) is True  # `later` is not one


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the event loop's clock named by the attribute it is read through: from the method's instance,
        # from a module-level object, and as the rule sees it (the summary and the rule judge one name)
        ("class C:\n    def hit(self, k):\n        self.last[k] = self.bot.loop.time()\n", True),
        ("class C:\n    @classmethod\n    def hit(cls, k):\n        cls.last[k] = cls._loop.time()\n", True),
        ("import discord\nbot = discord.Client()\nLAST = {}\ndef hit(k):\n    LAST[k] = bot.loop.time()\n", True),
        # a parameter that is not the instance: nothing names it, and the rule does not judge it either
        ("class C:\n    def hit(self, ctx, k):\n        self.last[k] = ctx.bot.loop.time()\n", False),
        ("class C:\n    @staticmethod\n    def hit(me, k):\n        me.last[k] = me.loop.time()\n", False),
        # `.time()` of something not named a loop is no clock
        ("class C:\n    def hit(self, k):\n        self.last[k] = self.schedule.time()\n", False),
        # the library clocks, by import
        ("import pendulum\nLAST = {}\ndef hit(k):\n    LAST[k] = pendulum.now()\n", True),
        ("from discord.utils import utcnow\nLAST = {}\ndef hit(k):\n    LAST[k] = utcnow()\n", True),
    ],
)
def test_sl403_method_clocks_and_library_clocks(text: str, expected: bool) -> None:
    assert sl403(text) is expected


def test_sl403_method_clocks_the_declaration_skips_are_never_reported(tmp_path: Path) -> None:
    """The receivers the declaration cannot name are not clocks to the rule either (prefilter off)."""
    text = (
        "class Cooldown:\n    def __init__(self):\n        self.last = {}\n"
        "    def allow(self, ctx, k):\n        if ctx.bot.loop.time() - self.last.get(k, 0) < 1:\n            return False\n"
        "        self.last[k] = ctx.bot.loop.time()\n        return True\n"
    )
    assert sl403(text) is False
    (tmp_path / "case.py").write_text(text, encoding="utf-8")
    run = run_cli("check", "--no-cache", "--output-format", "json", "--select", "SL403", ".", cwd=tmp_path, env={"STATELINT_PREFILTER": "off"})
    assert run.findings == []
    (tmp_path / "case.py").write_text(text.replace("ctx.bot.loop", "self.bot.loop"), encoding="utf-8")
    run = run_cli("check", "--no-cache", "--output-format", "json", "--select", "SL403", ".", cwd=tmp_path, env={"STATELINT_PREFILTER": "off"})
    assert [(f["code"], f["line"]) for f in run.findings] == [("SL403", 1)]


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
    assert sl403(local) is False
    assert sl403(method) is True


def test_a_walrus_target_is_the_functions_own_local(tmp_path: Path) -> None:
    """``(CACHE := {})`` binds CACHE in the function, for the rules' resolver as for the summary."""
    text = "CACHE = {}\ndef f():\n    (CACHE := {})\n    CACHE['a'] = 1\n"
    assert sl101(text) is False
    (tmp_path / "walrus.py").write_text(text, encoding="utf-8")
    run = check_json("walrus.py", cwd=tmp_path, select="SL1", extra=("--no-cache",))
    assert (run.exit_code, run.triples) == (0, [])


def test_lambda_parameters_hide_module_names() -> None:
    assert sl101("QUEUE = []\nf = lambda QUEUE: QUEUE.append(1)\n") is False
    assert sl101("QUEUE = []\nf = lambda item: QUEUE.append(item)\n") is True


def test_a_private_double_underscore_name_is_a_container_like_any_other() -> None:
    """``__cache = {}`` (no trailing underscores) is no dunder: the rule judges it, so the file is parsed."""
    assert sl101("__cache = {}\ndef put(k, v):\n    __cache[k] = v\n") is True
    assert sl101("__all__ = []\ndef put(k):\n    __all__.append(k)\n") is False


def test_a_repeated_list_and_a_work_queue_are_containers() -> None:
    assert sl101("SLOTS = [None] * 8\ndef put(i):\n    SLOTS[i] = 1\n") is True
    assert sl101("import queue\nJOBS = queue.Queue()\ndef submit(job):\n    JOBS.put(job)\n") is True
    assert sl101("import queue\nJOBS = queue.Queue()\ndef take():\n    return JOBS.get()\n") is False


@pytest.mark.parametrize(
    "text",
    [
        # a reading handed to a method that keeps nothing (no mutating method of the SL1 catalog)
        "import time\nclass P:\n    def wait(self):\n        self._wait(time.monotonic())\n",
        "import time\nclass P:\n    def wait(self):\n        self.timeout = 1\n        min(self.timeout, time.monotonic())\n",
        "import time, logging\nlog = logging.getLogger()\ndef f():\n    log.debug('at %s', time.time())\n",
        "import time, datetime\ndef now():\n    return datetime.datetime.fromtimestamp(time.time())\n",
        # an imported module's state is not this module's
        "import time, os\ndef f():\n    os.environ['AT'] = str(time.time())\n",
        # state an initialiser sets: the rule wants a limiter's state written after construction
        "import time\nclass Record:\n    def __init__(self):\n        self.created = time.time()\n",
        "import time\nclass Run:\n    def __init_subclass__(cls):\n        cls.loaded = time.monotonic()\n",
    ],
)
def test_sl403_skips_readings_no_write_keeps_as_the_rule_counts_writes(text: str) -> None:
    assert sl403(text) is False


@pytest.mark.parametrize(
    "text",
    [
        # written after construction, or in a module variable from an initialiser
        "import time\nclass Record:\n    def __init__(self):\n        self.created = time.time()\n    def touch(self):\n        self.created = time.time()\n",
        "import time\nSTARTED = {}\nclass App:\n    def __init__(self):\n        STARTED['app'] = time.time()\n",
        "import time\nclass Win:\n    def hit(self):\n        self.hits.append(time.monotonic())\n",
        "import time\nclass Win:\n    def hit(self):\n        self.state['at'] = time.monotonic()\n",
        # a lambda is a function to the rule
        "import time\nHITS = []\nhit = lambda: HITS.append(time.time())\n",
    ],
)
def test_sl403_keeps_readings_kept_where_the_rule_looks(text: str) -> None:
    assert sl403(text) is True


LAZY_LIMITER = """
import time

_start = None


def allow():
    global _start
    if _start is None:
        _start = time.monotonic()
    if time.monotonic() - _start > 10:
        return False
    return True
"""

STATIC_LIMITER = """
import time


class Limiter:
    @staticmethod
    def hit(me):
        me.last = time.time()

    def allowed(self):
        return time.time() - self.last > 1


limiter = Limiter()
"""


@pytest.mark.parametrize(
    ("text", "line", "column"), [(LAZY_LIMITER, 4, 1), (STATIC_LIMITER, 5, 7)], ids=["lazy-initialisation", "static-method"]
)
def test_sl403_keeps_every_write_the_rule_counts(text: str, line: int, column: int, tmp_path: Path) -> None:
    """A global set in a one-time initialisation (which SL102 ignores), and an attribute of a static
    method's first parameter (which the rule takes for the instance): SL403 reports both, so its
    declaration keeps both, with the prefilter as without."""
    assert sl403(text) is True
    (tmp_path / "limiter.py").write_text(text.lstrip("\n"), encoding="utf-8")
    for prefilter in ("on", "off"):
        run = run_cli("check", "--no-cache", "--output-format", "json", "--select", "SL4", ".", cwd=tmp_path, env={"STATELINT_PREFILTER": prefilter})
        assert run.triples == [("SL403", line - 1, column)]


def test_sl403_a_global_first_bound_in_its_initialisation_is_the_modules() -> None:
    """``global _start`` with no module-level binding: the one-time initialisation still writes the module's name."""
    text = "import time\ndef allow():\n    global _start\n    if _start is None:\n        _start = time.monotonic()\n    return time.monotonic() - _start < 10\n"
    assert sl403(text) is True
