"""What a file must contain for a rule to matter, asked of the file's summary (the rules' ``requires``).

Declarations only decide what is parsed (see tests/test_engine_triage.py for the fixtures
scanned with and without them); these cases pin what they accept and skip, so that a rule
keeps being skipped where it has nothing to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from statelint.engine.requirements import Requires, expanded_to, lookup
from tests.helpers import requirement_met


def needs(code: str, text: str) -> bool:
    return requirement_met(code, text)


@pytest.mark.parametrize(
    "text",
    [
        "import threading\nt = threading.Thread(target=f)\nt.start()\n",
        "from threading import Thread as T\nT(target=f).start()\n",
        "import threading as th\nworker = th.Thread\nw = worker(target=f)\nw.start()\n",
        # a subclass defined here resolves to its base, and a subclass of it too
        "import threading\nclass W(threading.Thread):\n    pass\nclass V(W):\n    pass\nV().start()\n",
        # a factory returning the class
        "import threading\ndef make():\n    return threading.Thread\nmake()(target=f).start()\n",
        "from threading import Thread\nwith ctx() as c:\n    pass\nkind = Thread\nkind().start()\n",
        # the subclass starts itself in __init__
        "import threading\nclass W(threading.Thread):\n    def __init__(self):\n        super().__init__()\n        self.start()\nW()\n",
        # inside a class body, a lambda, a comprehension and a decorator's argument
        "import threading\nclass C:\n    t = threading.Thread(target=f)\n    t.start()\n",
        "import threading\nstart = lambda: threading.Thread(target=f).start()\n",
        "import threading\n[threading.Thread(target=f).start() for f in fs]\n",
    ],
)
def test_started_threads_are_accepted(text: str) -> None:
    assert needs("SL501", text) is True


@pytest.mark.parametrize(
    "text",
    [
        "import threading\nlock = threading.Lock()\nserver.start()\n",  # no Thread call
        "import threading\nisinstance(x, threading.Thread)\nx.start()\n",  # mentioned, never called
        "import threading\nt = threading.Thread(target=f)\n",  # created, never started
        "'''threading.Thread(target=f).start()'''\n",  # only in a docstring
        "def Thread():\n    pass\nThread()\nstart = 1\n",  # a local def named like it
    ],
)
def test_near_miss_threads_are_skipped(text: str) -> None:
    assert needs("SL501", text) is False


def test_threads_of_the_thread_module() -> None:
    assert needs("SL501", "import _thread\n_thread.start_new_thread(f, ())\n") is True
    assert needs("SL502", "from _thread import start_new_thread\nstart_new_thread(f, ())\n") is True
    assert needs("SL501", "import _thread\nlock = _thread.allocate_lock()\nserver.start()\n") is False


def test_timer_and_process() -> None:
    assert needs("SL503", "from threading import Timer\nTimer(5, f).start()\n") is True
    assert needs("SL503", "import threading\nthreading.Thread(target=f).start()\n") is False
    text = "import multiprocessing\nctx = multiprocessing.get_context('spawn')\np = ctx.Process(target=f)\np.start()\n"
    assert needs("SL507", text) is True
    assert needs("SL507", "import subprocess\nsubprocess.run(['ls'])\np.start()\n") is False


def test_executors() -> None:
    assert needs("SL504", "from concurrent.futures import ThreadPoolExecutor as TPE\nPOOL = TPE(4)\n") is True
    assert needs("SL504", "import multiprocessing.pool\np = multiprocessing.pool.ThreadPool(2)\n") is True
    assert needs("SL504", "from concurrent.futures import ThreadPoolExecutor\nx: ThreadPoolExecutor\n") is False


def test_tasks() -> None:
    assert needs("SL505", "import asyncio\nasync def f():\n    asyncio.create_task(g())\n") is True
    assert needs("SL505", "import gevent\ngevent.spawn(f)\n") is True
    # a loop of unknown type: the rule accepts `<loop>.create_task` whatever its receiver resolves to
    assert needs("SL505", "def f(loop):\n    loop.create_task(g())\n") is True
    assert needs("SL505", "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n") is False
    assert needs("SL505", "# asyncio.create_task(g())\nimport asyncio\n") is False
    # a job for the default executor, on a loop of any type
    assert needs("SL505", "import asyncio\nasyncio.get_event_loop().run_in_executor(None, f)\n") is True
    assert needs("SL505", "def f(loop):\n    loop.run_in_executor(None, g)\n") is True


def test_schedulers() -> None:
    text = "from apscheduler.schedulers.background import BackgroundScheduler\ns = BackgroundScheduler()\ns.start()\n"
    assert needs("SL506", text) is True
    assert needs("SL506", text.replace("s.start()\n", "")) is False
    loop = "import schedule, threading, time\ndef run():\n    while True:\n        schedule.run_pending()\nthreading.Thread(target=run).start()\n"
    assert needs("SL506", loop) is True


def test_consumers() -> None:
    assert needs("SL508", "from confluent_kafka import Consumer\nC = Consumer({})\n") is True
    assert needs("SL508", "import redis\nr = redis.Redis()\np = r.pubsub()\n") is True
    assert needs("SL508", "import nats\nasync def f():\n    nc = await nats.connect()\n") is True
    # `.pubsub()` on a client of unknown type: the rule accepts it whatever its receiver resolves to
    assert needs("SL508", "class L:\n    def __init__(self, client):\n        self.p = client.pubsub()\n") is True
    assert needs("SL508", "from confluent_kafka import Producer\nP = Producer({})\n") is False
    assert needs("SL508", "import redis\nr = redis.Redis()\nr.get('k')\n") is False
    assert needs("SL508", "from app.bus import OrderConsumer\nC = OrderConsumer()\n") is False
    options = {"extra-consumer-classes": ["app.bus.OrderConsumer"]}
    assert requirement_met("SL508", "from app.bus import OrderConsumer\nC = OrderConsumer()\n", options=options) is True


def test_server_loops_and_signal_handlers() -> None:
    assert needs("SL701", "from http.server import HTTPServer\nHTTPServer(('', 80), H).serve_forever()\n") is True
    assert needs("SL701", "from http.server import HTTPServer\nclass S(HTTPServer):\n    pass\nS(('', 80), H).serve_forever()\n")
    assert needs("SL701", "import uvicorn\nuvicorn.run(app)\n") is False
    assert needs("SL702", "import signal\nsignal.signal(signal.SIGTERM, stop)\n") is True
    assert needs("SL702", "import asyncio\nloop.add_signal_handler(15, stop)\n") is True
    assert needs("SL702", "import signal\nprint(signal.SIGTERM)\n") is False


def test_a_declaration_is_plain_data() -> None:
    """The run's rule index carries declarations as JSON: a run that finds the index in its cache
    decides what to parse without importing a rule module (or libcst)."""
    requires = Requires(words=["start"], calls=["workers.thread.calls"], methods=["m"], options=["extra"])
    assert Requires.from_json(requires.to_json()).to_json() == requires.to_json()
    with pytest.raises(ValueError):
        Requires.from_json({"words": []})


def test_a_path_goes_on_in_each_entry_of_a_list() -> None:
    knowledge = {"pools": [{"calls": ["a.A", "a.B"]}, {"calls": ["c.C"]}], "one": {"names": ["x"]}}
    assert lookup(knowledge, "pools.calls") == ["a.A", "a.B", "c.C"]
    assert lookup(knowledge, "one.names") == ["x"]
    assert lookup(knowledge, "one.missing") == []


def test_file_handlers() -> None:
    assert needs("SL201", "import logging\nlogging.FileHandler('app.log')\n") is True
    assert needs("SL201", "from logging.handlers import RotatingFileHandler as RFH\nh = RFH('a.log')\n") is True
    assert needs("SL201", "import logging\nlogging.StreamHandler()\n# FileHandler\n") is False


def test_basic_config_needs_a_filename() -> None:
    assert needs("SL202", "import logging\nlogging.basicConfig(filename='a.log')\n") is True
    assert needs("SL202", "import logging\nlogging.basicConfig(level=10)\n") is False


def test_dict_config() -> None:
    text = "LOGGING = {'version': 1, 'handlers': {'f': {'class': 'logging.FileHandler', 'filename': 'a.log'}}}\n"
    assert needs("SL203", text) is True
    assert needs("SL203", text.replace("logging.FileHandler", "logging.StreamHandler")) is False
    assert needs("SL203", "import logging\nC = dict(version=1, handlers={'f': {'()': logging.FileHandler}})\n") is True
    assert needs("SL203", "import logging\nlogging.FileHandler\n") is False  # no handlers key
    # a key spelled with an escape sequence is still a key
    assert needs("SL203", "C = {'h\\x61ndlers': {'f': {'class': 'logging.FileHandler'}}}\n") is True
    # ... with any escape that spells a printable character, or a backslash joining a string's lines
    assert needs("SL203", "C = {'h\\u0061ndlers': {'f': {'class': 'logging.FileHandler'}}}\n") is True
    assert needs("SL203", "C = {'h\\141ndlers': {'f': {'class': 'logging.FileHandler'}}}\n") is True
    assert needs("SL203", "C = {'hand\\\nlers': {'f': {'class': 'logging.FileHandler'}}}\n") is True
    # escapes that spell no letter (a newline, a backslash) leave the word unspelled, and the strings unread
    assert needs("SL203", "C = {'hand\\nlers': {'f': {'class': 'logging.FileHandler\\\\'}}}\n") is False


def _calls(text: str, qualnames: set[str], module: str = "app") -> bool:
    """Whether the summary of ``text`` (module ``module``, expanded through its own definitions) shows a
    call of one of ``qualnames``: what every ``calls`` declaration asks."""
    import ast

    from statelint.engine.requirements import FileFacts
    from statelint.project.model import ProjectModel
    from statelint.project.summary import summarize

    tree = ast.parse(text)
    summary = summarize(tree, module)
    return FileFacts(text, summary, ProjectModel.alone(summary).expand, tree, f"{module}.py").calls_any(qualnames)


#: Each way a call can resolve to threading.Thread, as the libcst resolver follows it.
CALLED = {
    "attribute": "import threading\nthreading.Thread(target=f)\n",
    "import_alias": "from threading import Thread as T\nT(target=f)\n",
    "module_alias": "import threading as th\nth.Thread(target=f)\n",
    "module_assignment": "import threading\nW = threading.Thread\nW()\n",
    "function_assignment": "import threading\ndef main():\n    a = threading.Thread\n    b = a\n    b()\n",
    "annotated": "import threading\nw: type = threading.Thread\nw()\n",
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
    assert _calls(CALLED[name], {"threading.Thread"}) is True


@pytest.mark.parametrize(
    "text",
    [
        "import threading\nthreading.Timer(1, f)\n",  # another name of the same module
        "import threading\nprint('threading.Thread()')\n",  # only in a string
        "import threading\nThreadPool = threading.Timer\nThreadPool()\n",  # a longer name
        "import threading\ndef make():\n    return threading.Thread\ndef other():\n    return 1\nother()()\n",
        # a bare name resolves to what binds it: an import to exactly its target, a parameter or a
        # loop variable to nothing, a star import to nothing
        "from distutils.spawn import Thread\nThread()\n",
        "from threading import *\nThread()\n",
        "def run(Thread):\n    Thread()\n",
        "for Thread in kinds:\n    Thread()\n",
    ],
)
def test_near_misses_are_not_called(text: str) -> None:
    assert _calls(text, {"threading.Thread"}) is False


@pytest.mark.parametrize(
    ("text", "module", "wanted"),
    [
        ("from .pool import spawn\nspawn(f)\n", "pkg.app", "pkg.pool.spawn"),  # relative, made absolute
        ("def spawn(f):\n    ...\nspawn(g)\n", "gevent", "gevent.spawn"),  # the module's own definition
        ("open('x', 'w')\n", "app", "builtins.open"),
        ("import concurrent.futures\nconcurrent.futures.ThreadPoolExecutor()\n", "app", "concurrent.futures.ThreadPoolExecutor"),
    ],
)
def test_a_name_resolves_as_the_resolver_resolves_it(text: str, module: str, wanted: str) -> None:
    assert _calls(text, {wanted}, module) is True


def _names_expansion(code: str, *words: str) -> bool | None:
    from statelint.catalog import load_catalog
    from statelint.rules import all_rules

    catalog = load_catalog()
    requires = all_rules()[code].requires
    assert requires is not None
    return requires.names_expansion("".join(f"\n{w}" for w in words), catalog.knowledge(code), catalog.rules[code].default_options())


def test_only_the_library_names_a_declaration_asks_for_count_through_another_module() -> None:
    """What a file's project names expand to (the view's ``external``) keeps a rule whose calls it names:
    a thread class, an instance of it or a member of one; a lock of the same library does not."""
    assert _names_expansion("SL501", "threading.Thread") is True
    assert _names_expansion("SL501", "threading.Thread()") is True
    assert _names_expansion("SL501", "threading.Thread().start") is True
    assert _names_expansion("SL501", "_thread.allocate_lock", "_thread.allocate_lock()", "threading.Lock()") is False
    assert _names_expansion("SL501", "threading.ThreadError") is False  # a longer name is another name
    assert _names_expansion("SL504", "concurrent.futures.ThreadPoolExecutor()") is True
    assert _names_expansion("SL504", "concurrent.futures.Future()") is False
    # a declaration that asks for writes or shapes: the rule's needles in those names decide, as before
    assert _names_expansion("SL101", "collections.OrderedDict()") is None
    assert _names_expansion("SL104", "functools.lru_cache()") is None
    assert _names_expansion("SL803", "flask.Flask()") is None


def test_what_a_project_decorator_applies_is_a_call_of_what_it_returns() -> None:
    """``@cached_for(10)`` whose inner function returns ``functools.lru_cache(maxsize=256)(fn)`` applies
    ``functools.lru_cache()()``: a name made by ``functools.lru_cache``."""
    assert expanded_to("\nfunctools.lru_cache()()", {"functools.lru_cache"}) is True
    assert expanded_to("\nfunctools.lru_cache_info", {"functools.lru_cache"}) is False
    assert expanded_to("\nsecrets.token_hex", {"secrets."}) is True  # a prefix ending in a dot is one already


def _parsed(root: Path, name: str, select: tuple[str, ...]) -> tuple[bool, list[str]]:
    """Whether libcst parsed ``name`` of the project at ``root`` (the model built as a scan builds it), and
    the codes it reports."""
    from statelint.catalog import load_catalog
    from statelint.config.settings import Settings
    from statelint.engine.analyze import Plan, analyze
    from statelint.engine.discovery import discover
    from statelint.project.build import prepare

    plan = Plan(Settings(root=root, enabled=select), load_catalog())
    targets, _ = discover(["."], plan.settings, root)
    prepare(["."], targets, plan, root, 1)
    target = next(t for t in targets if t.display == name)
    result = analyze(target, plan)
    assert not isinstance(result, type(None)) and not result.errors
    return result.parsed, [f.code for f in result.findings]  # type: ignore[union-attr]


def test_a_lock_made_through_another_module_is_no_thread(tmp_path: Path) -> None:
    """The file spells the rule's needle and ``start``; its one library name through the project is a
    lock: SL501's declaration reads the file alone, and skips it. A thread made so is kept, and reported."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'svc'\n", encoding="utf-8")
    (tmp_path / "kinds.py").write_text("import threading\nmake_lock = threading.Lock\nmake_thread = threading.Thread\n", encoding="utf-8")
    (tmp_path / "locked.py").write_text(
        "# threading, but through kinds\nfrom kinds import make_lock\nLOCK = make_lock()\ndef start():\n    LOCK.acquire()\n",
        encoding="utf-8",
    )
    (tmp_path / "worker.py").write_text(
        "# threading, but through kinds\nfrom kinds import make_thread\ndef start(f):\n    make_thread(target=f).start()\n",
        encoding="utf-8",
    )
    assert _parsed(tmp_path, "locked.py", ("SL501",)) == (False, [])
    assert _parsed(tmp_path, "worker.py", ("SL501",)) == (True, ["SL501"])
