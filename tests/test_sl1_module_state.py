"""SL101-SL103: module containers and globals written at run time, asserted by exact code, line and column.

Every fixture mixes findings with near misses; the expected lists are the complete
output, so a near miss that fires fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, copy_fixture, lint_fixture


def test_mutated_containers(tmp_path: Path) -> None:
    assert lint_fixture("sl1/containers.py", tmp_path, "SL1") == [
        ("SL101", 7, 1),  # _sessions: item assignment (and deletion)
        ("SL101", 8, 1),  # _seen: set.add
        ("SL101", 9, 1),  # _queue: deque.append
        ("SL101", 10, 1),  # _hits: Counter augmented item assignment
        ("SL101", 11, 1),  # _by_user: defaultdict, nested _by_user[user].append
        ("SL101", 12, 1),  # _jobs: heapq.heappush
        ("SL101", 13, 1),  # _index: collections.OrderedDict, setdefault in a method
        ("SL101", 14, 1),  # _buffer: bytearray, `global _buffer; _buffer += chunk`
        ("SL101", 15, 1),  # _squares: dict comprehension, pop in a lambda
        ("SL101", 16, 1),  # _pending: list(), through a local alias
        ("SL101", 17, 1),  # _sorted: bisect.insort
        ("SL101", 18, 1),  # _answered: added to under `not in`, in a block that does more than log
        ("SL101", 84, 1),  # _threads_and_names: threads and plain data
        ("SL101", 85, 1),  # _locks: a lock per user holds only per process
        ("SL101", 86, 1),  # _handles: objects of a project class that is no Thread subclass
        ("SL101", 111, 1),  # _alerted: recorded before a warning, but also read to show the keys
        ("SL101", 112, 1),  # _flagged: a mark whose local flag also decides what is published
        ("SL101", 113, 1),  # _reported: the recorded branch does work of its own
    ]


def test_message_names_the_mutation(tmp_path: Path) -> None:
    copy_fixture("sl1/containers.py", tmp_path)
    findings = check_json("containers.py", cwd=tmp_path, select="SL101").findings
    assert findings[0]["message"] == "module dict `_sessions` is mutated at run time (item assignment in `login()`, line 22)"
    assert findings[0]["hint"].startswith("Each worker process and replica keeps its own copy, and a restart empties it.")
    assert "setdefault() in `Index.put()`, line 51" in findings[6]["message"]
    assert "pop() in a lambda, line 59" in findings[8]["message"]


def test_import_time_registries_constants_copies_and_shadows_are_never_flagged(tmp_path: Path) -> None:
    # decorator registries, a function only called at module level (and the one it calls),
    # __init_subclass__, a metaclass, __all__, constant tables, frozenset/tuple/MappingProxyType,
    # copies, a shadowing local, a parameter, init_app, a pure memo table, reads,
    # and writes under `if __name__ == "__main__":`; registries of this process's own threads
    # (a Thread subclass too), SSL contexts and sockets
    assert lint_fixture("sl1/containers_ok.py", tmp_path, "SL1") == []


def test_a_functions_own_local_of_the_same_name_is_not_the_container(tmp_path: Path) -> None:
    # locals, a parameter, loop and with targets, an enclosing function's local are not the
    # module's containers; an inner function's local does not hide the outer one's write,
    # and neither does a name declared global or a copy.
    assert lint_fixture("sl1/shadowed.py", tmp_path, "SL1") == [
        ("SL101", 4, 1),  # CACHE, written by outer_write()
        ("SL101", 6, 1),  # SEEN, through copied()'s `seen = SEEN`
        ("SL101", 7, 1),  # TABLE, through reset()'s `global TABLE`
    ]


def test_rebound_globals(tmp_path: Path) -> None:
    assert lint_fixture("sl1/globals.py", tmp_path, "SL1") == [
        # one finding per module variable, at its module-level definition
        ("SL102", 4, 1),  # request counter
        ("SL102", 5, 1),  # last-seen timestamp
        ("SL102", 6, 1),  # maintenance switch
        ("SL102", 7, 1),  # the unguarded branch of an if/else, not the guarded one
        ("SL102", 8, 1),  # `global a, b`: one finding per name
        ("SL102", 9, 1),
        ("SL102", 10, 1),  # walrus
        ("SL102", 52, 1),  # set under a refresh guard of another global (`_index is None or ...`)
        ("SL102", 54, 1),  # the other global is set only under a further condition
        ("SL102", 56, 1),  # the block guarded by the other global does not set it
    ]


def test_rebound_global_reports_once_at_its_definition_naming_the_functions(tmp_path: Path) -> None:
    source = "_mode = 'a'\n\ndef set_mode(m):\n    global _mode\n    _mode = m\n\ndef reset():\n    global _mode\n    _mode = 'a'\n"
    (tmp_path / "case.py").write_text(source)
    run = check_json("case.py", cwd=tmp_path, select="SL102")
    assert run.triples == [("SL102", 1, 1)]
    assert "(in `set_mode()`, line 5; 1 more function)" in run.findings[0]["message"]
    # a global the module never binds at its top level is reported where it is first set
    (tmp_path / "case.py").write_text("def set_mode(m):\n    global _mode\n    _mode = m\n")
    assert check_json("case.py", cwd=tmp_path, select="SL102").triples == [("SL102", 3, 5)]


def test_reads_lazy_singletons_and_startup_code_are_not_rebinds(tmp_path: Path) -> None:
    # read-only global, `is None` / `not x` / early-return / double-checked lazy singletons,
    # a reset to None, configure(), a function only called under __main__ or at import,
    # a local of the same name, a dunder; `global _registry; _registry += items` is SL101's;
    # a global set in the one-time init block of another (`if _app is None:` that sets _app).
    assert lint_fixture("sl1/globals_ok.py", tmp_path, "SL1") == [("SL101", 14, 1)]


def test_startup_functions_option_can_be_emptied(tmp_path: Path) -> None:
    copy_fixture("sl1/containers_ok.py", tmp_path)
    copy_fixture("sl1/globals_ok.py", tmp_path)
    (tmp_path / ".statelint.yaml").write_text(
        "options:\n  SL101:\n    startup-functions: []\n  SL102:\n    startup-functions: []\n"
    )
    run = check_json("containers_ok.py", "globals_ok.py", cwd=tmp_path, select="SL101,SL102")
    assert [(f["path"], f["code"], f["line"]) for f in run.findings] == [
        ("containers_ok.py", "SL101", 20),  # STARTUP, appended by init_app()
        ("globals_ok.py", "SL102", 13),  # _mode, set by configure()
        ("globals_ok.py", "SL101", 14),
    ]


def test_extra_container_classes_option(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from sortedcontainers import SortedDict\n"
        "_orders = SortedDict()\n"
        "def add(key, order):\n"
        "    _orders[key] = order\n"
    )
    assert check_json("app.py", cwd=tmp_path, select="SL101").triples == []
    (tmp_path / ".statelint.yaml").write_text(
        "options:\n  SL101:\n    extra-container-classes: [sortedcontainers.SortedDict]\n"
    )
    assert check_json("app.py", cwd=tmp_path, select="SL101").triples == [("SL101", 2, 1)]


def _cross_module(tmp_path: Path) -> list[tuple[str, str, int, int]]:
    run = check_json(".", cwd=tmp_path / "crossmodule", select="SL1")
    assert run.exit_code == 1, run.stderr
    return [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings]


CROSS_MODULE = [
    ("app/handlers.py", "SL103", 8, 5),  # from app.state import CACHE; CACHE[key] = value (and CACHE.pop)
    ("app/handlers.py", "SL103", 16, 5),  # from . import state; state.SEEN.add(item)
    ("app/views.py", "SL103", 10, 5),  # import app.state as s; s.CACHE[key] = value
    # not reported: os.environ / sys.path writes, PLUGINS filled by a decorator and at module
    # level, reads of LIMITS, a copy of CACHE, a local CACHE shadowing the import
]


def test_cross_module_mutation_in_one_run(tmp_path: Path) -> None:
    copy_fixture("sl1/crossmodule", tmp_path)
    assert _cross_module(tmp_path) == CROSS_MODULE
    finding = check_json(".", cwd=tmp_path / "crossmodule", select="SL103").findings[0]
    assert finding["message"] == "imported dict `app.state.CACHE` is mutated at run time (item assignment in `remember()` and 1 more)"
    assert finding["hint"].startswith("`app.state.CACHE` is defined in app/state.py. Each worker process")


def test_cross_module_mutation_is_stable_across_repeated_runs(tmp_path: Path) -> None:
    """The second run may be served by a per-file result cache: the join must not change."""
    copy_fixture("sl1/crossmodule", tmp_path)
    first = check_json(".", cwd=tmp_path / "crossmodule", select="SL1").stdout
    second = check_json(".", cwd=tmp_path / "crossmodule", select="SL1").stdout
    assert first == second
    assert _cross_module(tmp_path) == CROSS_MODULE


def test_cross_module_join_follows_an_edit_of_the_defining_module_only(tmp_path: Path) -> None:
    """handlers.py and views.py are unchanged (served from a warm cache): the join still sees the edit."""
    copy_fixture("sl1/crossmodule", tmp_path)
    assert _cross_module(tmp_path) == CROSS_MODULE
    state = tmp_path / "crossmodule" / "app" / "state.py"
    state.write_text(state.read_text().replace("CACHE = {}", "CACHE = ()"))
    assert _cross_module(tmp_path) == [("app/handlers.py", "SL103", 16, 5)]


def test_cross_module_mutation_in_parallel_workers(tmp_path: Path) -> None:
    copy_fixture("sl1/crossmodule", tmp_path)
    for number in range(70):  # enough files for the process pool to be used
        (tmp_path / "crossmodule" / "app" / f"filler_{number}.py").write_text(f"VALUE_{number} = {{}}\n")
    run = check_json(".", cwd=tmp_path / "crossmodule", select="SL1", extra=("--jobs", "2"))
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == CROSS_MODULE


def test_cross_module_in_a_flat_layout_through_a_method_call_only(tmp_path: Path) -> None:
    """The mutating file has no container of its own: its `.append(` alone gets it parsed."""
    (tmp_path / "store.py").write_text("ITEMS = []\n")
    (tmp_path / "use.py").write_text("from store import ITEMS\n\n\ndef add(item):\n    ITEMS.append(item)\n")
    run = check_json(".", cwd=tmp_path, select="SL1")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [("use.py", "SL103", 5, 5)]


def test_cross_module_needs_the_defining_module(tmp_path: Path) -> None:
    copy_fixture("sl1/crossmodule", tmp_path)
    (tmp_path / "crossmodule" / "app" / "state.py").unlink()
    assert check_json(".", cwd=tmp_path / "crossmodule", select="SL103").triples == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # a container that is only read, even from a method
        ("T = {}\nclass A:\n    def get(self, k):\n        return T[k]\n", []),
        # a nested function in a decorator factory runs at run time when it is the wrapper
        (
            "C = {}\ndef memo(f):\n    def wrapper(*a):\n        C[a] = f(*a)\n        return C[a]\n    return wrapper\n",
            [("SL101", 1, 1)],
        ),
        # a function passed to an API the catalog does not know may run at any time: not import-time code
        ("import hooks\nL = []\ndef f():\n    L.append(1)\nhooks.register(f)\n", [("SL101", 2, 1)]),
        # ... but an exit handler runs only as the process stops (the project model's shutdown context)
        ("import atexit\nL = []\ndef f():\n    L.append(1)\natexit.register(f)\n", []),
        # a function called at module level and also from a request handler
        ("L = []\ndef f():\n    L.append(1)\nf()\ndef view():\n    f()\n", [("SL101", 1, 1)]),
        # a counter kept in a dict is not a pure memo: it reads itself
        ("C = {}\ndef hit(k):\n    C[k] = C.get(k, 0) + 1\n", [("SL101", 1, 1)]),
        # a "memo" whose value is request data is not pure
        ("S = {}\ndef put(token, user):\n    if token not in S:\n        S[token] = user\n", [("SL101", 1, 1)]),
        # startup hook decorators
        ('C = {}\n@app.on_event("startup")\nasync def boot():\n    C["x"] = 1\n', []),
        ('C = {}\n@app.on_event("shutdown")\nasync def stop():\n    C["x"] = 1\n', [("SL101", 1, 1)]),
        # `global` that is only read, and a global only assigned to None
        ("X = 0\ndef f():\n    global X\n    return X\ndef g():\n    global X\n    X = None\n", []),
        # a log-once flag (`is False` form): right per process
        (
            "import logging\n_shown = False\ndef level():\n    global _shown\n    if _shown is False:\n"
            "        logging.info('backtraces off')\n        _shown = True\n",
            [],
        ),
        # ... but a flag whose block does more than log is state
        (
            "import logging\n_shown = False\ndef level():\n    global _shown\n    if _shown is False:\n"
            "        logging.info('backtraces off')\n        _shown = True\n        reset_filters()\n",
            [("SL102", 2, 1)],
        ),
        # `is None or stale(...)` reloading remote data: a cache rather than a one-time init
        (
            "import requests\n_data = None\ndef data(stale):\n    global _data\n    if _data is None or stale(_data):\n"
            "        _data = requests.get(URL).json()\n    return _data\n",
            [("SL102", 2, 1)],
        ),
        # ... while a resource made again once it is gone is still a lazy resource
        (
            "import threading\n_loop = None\ndef ensure():\n    global _loop\n"
            "    if _loop is None or not _loop.is_alive():\n        _loop = threading.Thread(target=run, daemon=True)\n"
            "        _loop.start()\n",
            [],
        ),
        # the early-return memo idiom, set in a try's `else:`
        (
            "_ok = None\ndef supports():\n    global _ok\n    if _ok is not None:\n        return _ok\n"
            "    try:\n        probe()\n    except Exception:\n        _ok = False\n    else:\n        _ok = True\n    return _ok\n",
            [],
        ),
        # a container filled once, while empty, from data that does not change (a library's constant
        # table, the module's own constants): the same in every process, a lazy load of shipped data
        (
            "from pygments.lexers import LEXERS\n_langs = []\ndef valid(code):\n    if not _langs:\n"
            "        for lexer in LEXERS.values():\n            for alias in lexer[2]:\n"
            "                _langs.append(alias.lower())\n    return code in _langs\n",
            [],
        ),
        (
            "UNITS = {'m': 1.0, 'km': 1000.0}\nBY_FACTOR = {}\ndef by_factor(f):\n    if BY_FACTOR:\n"
            "        return BY_FACTOR.get(f)\n    for name, factor in UNITS.items():\n"
            "        BY_FACTOR[factor] = name\n    return BY_FACTOR.get(f)\n",
            [],
        ),
        # ... and a table built, once, from another table built once
        (
            "TABLE = {'m': 1.0}\n_PAIRS = []\ndef pairs():\n    if _PAIRS:\n        return _PAIRS\n"
            "    for name, f in TABLE.items():\n        _PAIRS.append((name, f))\n    return _PAIRS\n"
            "_BY = {}\ndef by(f):\n    if _BY:\n        return _BY[f]\n    for name, factor in pairs():\n"
            "        _BY[factor] = name\n    return _BY[f]\n",
            [],
        ),
        # ... near miss: when the first table comes from a remote service, both are state
        (
            "import requests\n_PAIRS = []\ndef pairs():\n    if _PAIRS:\n        return _PAIRS\n"
            "    _PAIRS.extend(requests.get('http://svc/pairs').json())\n    return _PAIRS\n"
            "_BY = {}\ndef by(f):\n    if _BY:\n        return _BY[f]\n    for name, factor in pairs():\n"
            "        _BY[factor] = name\n    return _BY[f]\n",
            [("SL101", 2, 1), ("SL101", 8, 1)],
        ),
        # ... near misses: filled from a remote service, from the first caller's argument, or written
        # again outside the guard
        (
            "import requests\n_rows = []\ndef rows():\n    if not _rows:\n"
            "        _rows.extend(requests.get('http://svc/rows').json())\n    return _rows\n",
            [("SL101", 2, 1)],
        ),
        ("SEEN = []\ndef remember(items):\n    if not SEEN:\n        SEEN.extend(items)\n", [("SL101", 1, 1)]),
        (
            "UNITS = {'m': 1.0}\nNAMES = []\ndef names(extra):\n    if not NAMES:\n"
            "        NAMES.extend(UNITS)\n    NAMES.append(extra)\n",
            [("SL101", 2, 1)],
        ),
        # a global holding a resource of this process only (the event loop of the thread that runs it)
        (
            "import asyncio\n_loop = None\ndef run():\n    global _loop\n    loop = asyncio.new_event_loop()\n"
            "    _loop = loop\n    loop.run_forever()\n",
            [],
        ),
        # ... near miss: the same global also set to request data
        (
            "import asyncio\n_loop = None\ndef run():\n    global _loop\n    _loop = asyncio.new_event_loop()\n"
            "def adopt(loop):\n    global _loop\n    _loop = loop\n",
            [("SL102", 2, 1)],
        ),
        # a module's __getattr__ (PEP 562) runs only while the attribute is missing: setting it there is
        # a one-time init, whatever the guard
        (
            "PAGES: dict\ndef __getattr__(name):\n    if name == 'PAGES':\n        global PAGES\n"
            "        PAGES = build_pages()\n        return PAGES\n    raise AttributeError(name)\n",
            [],
        ),
        # ... near misses: a global the module already binds (its __getattr__ runs for other names), and
        # a class's __getattr__ (runs at every lookup it misses)
        (
            "COUNT = 0\ndef __getattr__(name):\n    global COUNT\n    COUNT += 1\n    raise AttributeError(name)\n",
            [("SL102", 1, 1)],
        ),
        (
            "class Lazy:\n    def __getattr__(self, name):\n        global LAST\n        LAST = name\n        return None\n",
            [("SL102", 4, 9)],
        ),
        # a repeated list is a list; a work queue fed on the request path holds work this process alone drains
        (
            "import queue\nfrom flask import Flask\napp = Flask(__name__)\nSLOTS = [None] * 8\nJOBS = queue.Queue()\n"
            "@app.post('/slot/<int:i>')\ndef put(i):\n    SLOTS[i] = 1\n    JOBS.put_nowait(i)\n    return 'ok'\n",
            [("SL101", 4, 1), ("SL101", 5, 1)],
        ),
        # ... near misses: a repeated list only read, a queue only drained on the request path
        (
            "import asyncio\nSIZES = [0] * 8\nEVENTS = asyncio.Queue()\nasync def size(i):\n"
            "    await EVENTS.get()\n    return SIZES[i]\n",
            [],
        ),
        # a function called only in a one-time initialisation (`if _app is None: ...; _app = ...`) runs once
        # per process, whoever runs the guard (here a request handler): its writes are configuration
        (
            "from flask import Flask\napp = Flask(__name__)\n_app = None\nHOOKS = {}\ndef install():\n"
            "    HOOKS['csv'] = 'export.csv'\n@app.get('/')\ndef index():\n    global _app\n    if _app is None:\n"
            "        install()\n        _app = object()\n    return 'ok'\n",
            [],
        ),
        # ... near miss: a guard whose block never sets `_app` runs at every request while it is unset
        (
            "from flask import Flask\napp = Flask(__name__)\n_app = None\nHOOKS = {}\ndef install():\n"
            "    HOOKS['csv'] = 'export.csv'\n@app.get('/')\ndef index():\n    global _app\n    if _app is None:\n"
            "        install()\n    return 'ok'\n",
            [("SL101", 4, 1)],
        ),
        # `if not X or len(X) == 0:` and a reload when the file changes are caches of changing data (issue 21)
        (
            "import requests\n_rows = None\ndef rows():\n    global _rows\n    if not _rows or len(_rows) == 0:\n"
            "        _rows = requests.get('http://svc/rows').json()\n    return _rows\n",
            [("SL102", 2, 1)],
        ),
        (
            "import os\n_rules = None\n_mtime = None\ndef rules():\n    global _rules, _mtime\n"
            "    mtime = os.path.getmtime('/etc/rules.json')\n    if _rules is None or mtime != _mtime:\n"
            "        _rules = open('/etc/rules.json').read()\n        _mtime = mtime\n    return _rules\n",
            [("SL102", 2, 1), ("SL102", 3, 1)],
        ),
        # a pure "still unset" guard is a one-time init
        ("_data = None\ndef data():\n    global _data\n    if _data is None:\n        _data = fetch()\n    return _data\n", []),
    ],
)
def test_module_state_cases(tmp_path: Path, source: str, expected: list[tuple[str, int, int]]) -> None:
    (tmp_path / "case.py").write_text(source)
    assert check_json("case.py", cwd=tmp_path, select="SL1").triples == expected


def test_odd_syntax_neither_crashes_nor_guesses(tmp_path: Path) -> None:
    copy_fixture("sl1/odd_syntax.py", tmp_path)
    run = check_json("odd_syntax.py", cwd=tmp_path, select="SL1,SL4")
    assert run.exit_code == 1, run.stderr
    assert run.triples == [
        ("SL101", 5, 1),  # BOX[key], first = ... (a subscript inside a tuple target)
        ("SL101", 6, 1),  # ITEMS.append in a match case
        ("SL101", 7, 1),  # del COUNTS[a], COUNTS[b]
        ("SL403", 10, 1),  # a walrus-assigned clock reading compared with a global (at its definition)
        # a decorator with subscripts and a conditional, nonlocal counters, class attributes of a
        # nested class, async comprehensions, star-args under lru_cache, a module-level lambda
    ]


def test_aliased_container_and_mutating_function_imports(tmp_path: Path) -> None:
    (tmp_path / "case.py").write_text(
        "from collections import defaultdict as dd\nfrom heapq import heappush as push\n"
        "_by_key = dd(list)\n_heap = list()\n"
        "def add(k, v):\n    _by_key[k].append(v)\n    push(_heap, v)\n"
    )
    assert check_json("case.py", cwd=tmp_path, select="SL101").triples == [("SL101", 3, 1), ("SL101", 4, 1)]
