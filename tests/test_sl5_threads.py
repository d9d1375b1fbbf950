"""SL501 threads, SL502 daemon threads, SL503 timers, SL507 processes: exact code, line, column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import FIXTURES, check_json, lint_fixture


def lint_variant(tmp_path: Path, fixture: str, old: str, new: str, select: str) -> list[tuple[str, int, int]]:
    """Lint a copy of ``fixture`` with ``old`` replaced by ``new`` (to show why a near miss is one)."""
    text = (FIXTURES / fixture).read_text()
    assert old in text
    target = tmp_path / Path(fixture).name
    target.write_text(text.replace(old, new))
    run = check_json(target.name, cwd=tmp_path, select=select)
    assert run.exit_code in (0, 1), run.stderr
    return run.triples


def test_threads_never_stopped(tmp_path: Path) -> None:
    assert lint_fixture("sl5/threads.py", tmp_path, "SL5") == [
        ("SL501", 18, 1),  # Thread(...).start(): handle dropped
        ("SL501", 20, 10),  # kept in a global, its loop never told to stop
        ("SL501", 25, 13),  # a local in a request handler
        ("SL501", 37, 1),  # a Thread subclass
        ("SL501", 41, 9),  # another function's `t` is joined, not this one
        ("SL501", 197, 1),  # another class's `_running` is cleared on shutdown, not this one's
        ("SL501", 207, 1),  # the shutdown code closes a local `conn` of its own
    ]


POSITIVES = [("SL501", 18, 1), ("SL501", 20, 10), ("SL501", 25, 13), ("SL501", 37, 1), ("SL501", 41, 9)]
LAST = [("SL501", 197, 1), ("SL501", 207, 1)]


def test_a_join_is_what_keeps_a_near_miss_quiet(tmp_path: Path) -> None:
    # Only the join without timeout is removed: `t.join(timeout=5)` still counts.
    found = lint_variant(tmp_path, "sl5/threads.py", "    t.join()\n", "    t.is_alive()\n", "SL501")
    assert found == [*POSITIVES, ("SL501", 47, 9), *LAST]


def test_a_stop_signal_set_on_a_shutdown_path_is_what_keeps_a_near_miss_quiet(tmp_path: Path) -> None:
    found = lint_variant(tmp_path, "sl5/threads.py", "atexit.register(stop.set)", "stop.is_set()", "SL501")
    assert found == [*POSITIVES, ("SL501", 100, 12), *LAST]


def test_daemon_threads_doing_long_lived_work(tmp_path: Path) -> None:
    assert lint_fixture("sl5/daemon.py", tmp_path, "SL5") == [
        ("SL502", 26, 1),  # daemon=True, a while loop
        ("SL502", 28, 10),  # .daemon = True, sleeps
        ("SL502", 32, 10),  # setDaemon(True), loops in a function it calls
        ("SL502", 37, 1),  # target=server.serve_forever
        ("SL502", 49, 1),  # subclass passing daemon=True to Thread.__init__
        ("SL501", 52, 1),  # a daemon thread doing one short job is SL501's
    ]


DAEMON = [("SL502", 26, 1), ("SL502", 28, 10), ("SL502", 32, 10), ("SL502", 37, 1), ("SL502", 49, 1), ("SL501", 52, 1)]


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [
        ("atexit.register(jobs.join)", "jobs.join()", ("SL502", 90, 1)),  # the queue drained on exit
        ("    def close(self):\n", "    def other(self):\n", ("SL501", 97, 9)),  # the subscription closed
        ("self.server.should_exit = True", "print(self.server)", ("SL501", 110, 9)),  # the server told to exit
    ],
)
def test_stop_signals_of_the_daemon_near_misses(tmp_path: Path, old: str, new: str, reported: tuple) -> None:
    assert lint_variant(tmp_path, "sl5/daemon.py", old, new, "SL5") == [*DAEMON, reported]


def test_timers(tmp_path: Path) -> None:
    assert lint_fixture("sl5/timers.py", tmp_path, "SL5") == [
        ("SL503", 13, 5),  # reschedules itself
        ("SL503", 17, 1),  # dropped
        ("SL503", 19, 12),  # kept, never cancelled
        ("SL503", 28, 23),  # reschedules itself through self._timer, which nothing cancels
    ]


def test_processes(tmp_path: Path) -> None:
    assert lint_fixture("sl5/processes.py", tmp_path, "SL5") == [
        ("SL507", 11, 1),
        ("SL507", 13, 12),
        ("SL507", 17, 11),  # get_context("spawn").Process
        ("SL507", 26, 1),  # Process subclass
    ]


RAW_THREADS = [
    ("SL501", 28, 5),  # _thread.start_new_thread in a request handler: one job, never joinable
    ("SL502", 31, 1),  # its target loops and nothing stops it
    ("SL502", 33, 9),  # the identifier it returns is no handle
]


def test_threads_of_the_thread_module(tmp_path: Path) -> None:
    # Judged as daemon threads: SL502 when the target loops, SL501 otherwise. Not reported: a loop
    # that reads an Event a shutdown path sets, one-shot work in an app factory.
    assert lint_fixture("sl5/raw_threads.py", tmp_path, "SL5") == RAW_THREADS


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [
        ("atexit.register(stop.set)", "stop.is_set()", ("SL502", 37, 1)),  # no shutdown path sets the Event
        ("    return Flask(__name__)", "    return None", ("SL501", 42, 5)),  # no app factory: not known as startup
    ],
)
def test_what_keeps_the_thread_module_near_misses_quiet(tmp_path: Path, old: str, new: str, reported: tuple) -> None:
    found = lint_variant(tmp_path, "sl5/raw_threads.py", old, new, "SL5")
    assert found == sorted([*RAW_THREADS, reported], key=lambda t: (t[1], t[2]))


LISTED = [
    ("SL501", 25, 1),  # a name the shutdown loop over threading.enumerate() does not compare
    ("SL501", 26, 1),  # the default name (Thread-N)
    ("SL501", 27, 1),  # compared by a loop that is on no shutdown path
]


def test_threads_joined_through_threading_enumerate(tmp_path: Path) -> None:
    # Not reported: threads named "flusher", f"uploader-{n}" and "uploader-main", which an atexit
    # hook joins while walking threading.enumerate() (== and startswith on thread.name).
    assert lint_fixture("sl5/listed_joins.py", tmp_path, "SL5") == LISTED


def test_a_listing_loop_joining_all_but_the_main_thread_joins_every_thread(tmp_path: Path) -> None:
    old = 'if thread.name == "flusher" or thread.name.startswith("uploader"):'
    found = lint_variant(tmp_path, "sl5/listed_joins.py", old, "if thread is not threading.main_thread():", "SL5")
    assert found == []


def test_a_listing_loop_joins_only_on_a_shutdown_path(tmp_path: Path) -> None:
    found = lint_variant(tmp_path, "sl5/listed_joins.py", "atexit.register(_join_named)", "print(_join_named)", "SL5")
    assert found == [("SL501", 11, 1), ("SL501", 12, 1), ("SL501", 13, 1), *LISTED]


def test_odd_syntax_does_not_crash(tmp_path: Path) -> None:
    assert lint_fixture("sl5/odd_syntax.py", tmp_path, "SL5,SL7") == [
        ("SL501", 12, 10),  # walrus
        ("SL501", 16, 1),  # Thread(*args)
        ("SL501", 17, 1),  # Thread(**kwargs)
        ("SL501", 48, 9),  # inside a lambda
        ("SL504", 53, 40),  # kept in a module-level dict
    ]


def test_statelint_itself_is_clean() -> None:
    # The engine's ProcessPoolExecutor lives in a `with` block (engine/runner.py).
    root = Path(__file__).resolve().parent.parent
    run = check_json("src", cwd=root, select="SL5,SL7")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.findings == []


def test_a_stop_read_through_an_inherited_method_counts(tmp_path: Path) -> None:
    # Consumer's loop calls self.stopped(), which reads the event Stoppable.stop() sets.
    found = lint_variant(tmp_path, "sl5/threads.py", "        self._stop_event.set()\n", "        pass\n", "SL501")
    assert found == [*POSITIVES, ("SL501", 182, 19), *LAST]


def test_a_thread_running_an_event_loop_is_long_lived_even_when_started_at_startup(tmp_path: Path) -> None:
    """``asyncio.set_event_loop(loop); loop.run_forever()`` in the target runs until something stops
    the loop: not one-shot startup work, even when only startup code starts the thread."""
    source = (
        "import asyncio\nimport atexit\nimport threading\n\nLOOP = asyncio.new_event_loop()\n\n\n"
        "def runner():\n    asyncio.set_event_loop(LOOP)\n    LOOP.run_forever()\n\n\n"
        "def start():\n    threading.Thread(target=runner, daemon=True).start()\n\n\nstart()\n"
    )
    (tmp_path / "loop.py").write_text(source)
    assert check_json("loop.py", cwd=tmp_path, select="SL5").triples == [("SL502", 14, 5)]
    # near miss: a shutdown path stops the loop (from another thread, as asyncio requires)
    stopped = source + "\n\n@atexit.register\ndef stop():\n    LOOP.call_soon_threadsafe(LOOP.stop)\n"
    (tmp_path / "loop.py").write_text(stopped)
    assert check_json("loop.py", cwd=tmp_path, select="SL5").triples == []


def test_an_anonymous_server_loop_is_stopped_by_nothing(tmp_path: Path) -> None:
    """``HTTPServer(...).serve_forever()`` in a target: no name a shutdown path could stop, so the
    names in its arguments (``Handler``) are not what stops it."""
    source = (
        "import signal\nimport threading\nfrom http.server import BaseHTTPRequestHandler as Handler, HTTPServer\n\n\n"
        "def serve():\n    HTTPServer(('0.0.0.0', 9101), Handler).serve_forever()\n\n\n"
        "def on_term(signum, frame):\n    Handler.close = True\n\n\n"
        "signal.signal(signal.SIGTERM, on_term)\nthreading.Thread(target=serve).start()\n"
    )
    (tmp_path / "metrics.py").write_text(source)
    assert check_json("metrics.py", cwd=tmp_path, select="SL501").triples == [("SL501", 15, 1)]


def test_a_stop_only_in_a_branch_the_defaults_do_not_take_is_no_stop(tmp_path: Path) -> None:
    # `if wait: t.join()` with `wait=False`: by default the thread is not joined (issue 21)
    assert lint_fixture("sl5/opt_in_stops.py", tmp_path, "SL5") == [
        ("SL501", 13, 9),  # wait=False
        ("SL501", 20, 9),  # `if not background:` with background=True
        ("SL501", 27, 9),  # `if timeout is not None:` with timeout=None
        ("SL507", 34, 9),  # a process joined only when asked
        ("SL504", 42, 21),  # an executor shut down only when close(wait=...) is given a true value
    ]


def test_the_message_names_the_parameter_a_caller_must_override(tmp_path: Path) -> None:
    findings = {f["line"]: (f["message"], f["hint"]) for f in check_json_fixture(tmp_path, "sl5/opt_in_stops.py", "SL5")}
    assert findings[13][0] == "thread running `_remove` is kept in `t` but joined only if a caller changes `wait`"
    assert findings[13][1].startswith("The branch that stops it runs only when a caller overrides the default of `wait`")
    assert findings[42][0] == "ThreadPoolExecutor held in `self.pool` is shut down only if a caller changes `wait`"


def test_the_default_is_what_decides(tmp_path: Path) -> None:
    found = lint_variant(tmp_path, "sl5/opt_in_stops.py", "upto, wait=False):\n    t", "upto, wait=True):\n    t", "SL5")
    assert found == [("SL501", 20, 9), ("SL501", 27, 9), ("SL507", 34, 9), ("SL504", 42, 21)]


def check_json_fixture(tmp_path: Path, fixture: str, select: str) -> list[dict]:
    target = tmp_path / Path(fixture).name
    target.write_text((FIXTURES / fixture).read_text())
    return check_json(target.name, cwd=tmp_path, select=select).findings


@pytest.mark.parametrize(
    ("halt", "expected"),
    [
        ("        self.other.join()\n", [("SL501", 9, 23)]),  # another attribute also set to None first
        ("        self.thread.join()\n", []),  # near miss: the thread's own attribute
    ],
)
def test_names_set_to_none_are_not_one_object(tmp_path: Path, halt: str, expected: list) -> None:
    # issue 21: `self.thread = None` and `self.other = None` made both one object, and joining one joined both
    (tmp_path / "case.py").write_text(
        "import threading\n\nclass Worker:\n    def __init__(self):\n        self.thread = None\n"
        "        self.other = None\n\n    def start(self):\n        self.thread = threading.Thread(target=self.loop)\n"
        "        self.thread.start()\n\n    def loop(self):\n        while True:\n            step()\n\n"
        f"    def halt(self):\n{halt}"
    )
    assert check_json("case.py", cwd=tmp_path, select="SL5").triples == expected


def test_a_hook_name_is_a_shutdown_path_only_when_something_registered_calls_it(tmp_path: Path) -> None:
    # issue 21: close_session() that only a request handler calls, a stop() nothing calls, an __exit__
    # no with block runs are operations of an API; the same methods registered to run at shutdown
    # (a shutdown event, atexit) or ended by a with block are shutdown paths
    assert lint_fixture("sl5/lifecycle_names.py", tmp_path, "SL5") == [
        ("SL505", 23, 9),  # a task created in close_session(), which a request handler calls
        ("SL501", 41, 24),  # Poller.stop() clears its flag, but nothing calls it
        ("SL501", 60, 9),  # Watcher.__exit__ sets the flag its worker reads, but no with block holds a Watcher
    ]


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [
        ("atexit.register(pump.stop)", "pump.stop", ("SL501", 87, 24)),  # Pump.stop no longer registered
        ("    with Scanner():\n", "    if Scanner():\n", ("SL501", 107, 9)),  # no with block ends a Scanner
        ('@app.on_event("shutdown")', '@app.post("/flush")', ("SL505", 70, 9)),  # a request handler, not a hook
    ],
)
def test_what_makes_a_hook_name_a_shutdown_path(tmp_path: Path, old: str, new: str, reported: tuple) -> None:
    found = lint_variant(tmp_path, "sl5/lifecycle_names.py", old, new, "SL5")
    assert found == sorted([("SL505", 23, 9), ("SL501", 41, 24), ("SL501", 60, 9), reported], key=lambda f: f[1])
