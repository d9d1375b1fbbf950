"""Triage of SL501-SL507 and SL701/SL702: a started worker, a pool, a task, a server loop, a signal handler."""

from __future__ import annotations

import pytest

from statelint.catalog import load_catalog
from statelint.triage import concurrency
from statelint.triage.aliases import may_call
from tests.helpers import triage_source

SL5 = load_catalog().knowledge("SL501")
SL7 = load_catalog().knowledge("SL701")


def verdict(predicate: object, text: str, knowledge: dict = SL5) -> bool:
    return predicate(triage_source(text), knowledge, {})  # type: ignore[operator]


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
    ],
)
def test_started_threads_are_accepted(text: str) -> None:
    assert verdict(concurrency.thread, text) is True


@pytest.mark.parametrize(
    "text",
    [
        "import threading\nlock = threading.Lock()\nserver.start()\n",  # no Thread call
        "import threading\nisinstance(x, threading.Thread)\nx.start()\n",  # mentioned, never called
        "import threading\nt = threading.Thread(target=f)\n",  # created, never started
        "'''threading.Thread(target=f).start()'''\n",  # only in a docstring
        "def Thread():\n    pass\n",  # a local def named like it, never called
    ],
)
def test_near_miss_threads_are_skipped(text: str) -> None:
    assert verdict(concurrency.thread, text) is False


def test_a_joined_thread_is_still_looked_at() -> None:
    assert verdict(concurrency.thread, "import threading\nt = threading.Thread(target=f)\nt.start()\nt.join()\n") is True


def test_daemon_needs_a_daemon_flag() -> None:
    started = "import threading\nt = threading.Thread(target=f{})\nt.start()\n"
    assert verdict(concurrency.daemon_thread, started.format(", daemon=True")) is True
    assert verdict(concurrency.daemon_thread, started.format("") + "t.daemon = True\n") is True
    assert verdict(concurrency.daemon_thread, started.format("") + "t.setDaemon(True)\n") is True
    assert verdict(concurrency.daemon_thread, started.format("")) is False


def test_timer_and_process() -> None:
    assert verdict(concurrency.timer, "from threading import Timer\nTimer(5, f).start()\n") is True
    assert verdict(concurrency.timer, "import threading\nthreading.Thread(target=f).start()\n") is False
    text = "import multiprocessing\nctx = multiprocessing.get_context('spawn')\np = ctx.Process(target=f)\np.start()\n"
    assert verdict(concurrency.process, text) is True
    assert verdict(concurrency.process, "import subprocess\nsubprocess.run(['ls'])\np.start()\n") is False


def test_executors() -> None:
    assert verdict(concurrency.executor, "from concurrent.futures import ThreadPoolExecutor as TPE\nPOOL = TPE(4)\n") is True
    assert verdict(concurrency.executor, "import multiprocessing.pool\np = multiprocessing.pool.ThreadPool(2)\n") is True
    assert verdict(concurrency.executor, "from concurrent.futures import ThreadPoolExecutor\nx: ThreadPoolExecutor\n") is False


def test_tasks() -> None:
    assert verdict(concurrency.task, "import asyncio\nasync def f():\n    asyncio.create_task(g())\n") is True
    assert verdict(concurrency.task, "import gevent\ngevent.spawn(f)\n") is True
    # a loop of unknown type: the rule accepts `<loop>.create_task` whatever its receiver resolves to
    assert verdict(concurrency.task, "def f(loop):\n    loop.create_task(g())\n") is True
    assert verdict(concurrency.task, "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n") is False
    assert verdict(concurrency.task, "# asyncio.create_task(g())\nimport asyncio\n") is False


def test_schedulers() -> None:
    text = "from apscheduler.schedulers.background import BackgroundScheduler\ns = BackgroundScheduler()\ns.start()\n"
    assert verdict(concurrency.scheduler, text) is True
    assert verdict(concurrency.scheduler, text.replace("s.start()\n", "")) is False
    loop = "import schedule, threading, time\ndef run():\n    while True:\n        schedule.run_pending()\nthreading.Thread(target=run).start()\n"
    assert verdict(concurrency.scheduler, loop) is True
    assert verdict(concurrency.scheduler, "import schedule\nschedule.run_pending()\nserver.start()\n") is False


def test_server_loops_and_signal_handlers() -> None:
    serve = "from http.server import HTTPServer\nHTTPServer(('', 80), H).serve_forever()\n"
    assert verdict(concurrency.server_loop, serve, SL7) is True
    assert verdict(concurrency.server_loop, "import uvicorn\nuvicorn.run(app)\n", SL7) is False
    handler = "import signal\nsignal.signal(signal.SIGTERM, stop)\n"
    assert verdict(concurrency.signal_handler, handler, SL7) is True
    assert verdict(concurrency.signal_handler, "import asyncio\nloop.add_signal_handler(15, stop)\n", SL7) is True
    assert verdict(concurrency.signal_handler, "import signal\nprint(signal.SIGTERM)\n", SL7) is False


def test_an_awaited_callee_is_assumed_to_match() -> None:
    # `(await f())(...)`: no name to look the callee up by
    source = triage_source("import threading\nasync def f():\n    (await get())(target=g).start()\nthreading\n")
    assert may_call(source, {"threading.Thread"}) is False  # Thread is never spelled: nothing can resolve to it
    source = triage_source("from threading import Thread\nasync def f():\n    (await get())(target=g).start()\nThread\n")
    assert may_call(source, {"threading.Thread"}) is True
