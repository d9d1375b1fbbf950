"""SL403: hand-rolled limiters and breakers on per-process state."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, copy_fixture, lint_fixture


def test_hand_rolled_limiters_and_breakers(tmp_path: Path) -> None:
    assert lint_fixture("sl4/handrolled.py", tmp_path, "SL1,SL4") == [
        # module state: one finding per limiter, at the module-level definition of its state
        ("SL403", 7, 1),  # "last call" throttle on a global
        ("SL403", 8, 1),  # sliding window of timestamps in a module defaultdict (clock imported as `clock`)
        ("SL403", 10, 1),  # failure counter with an "open until" time (the counter is not also SL102)
        ("SL403", 45, 7),  # token bucket with a module-level instance
        ("SL403", 63, 7),  # a cooldown class: instances of limiter/breaker classes are long-lived
        ("SL403", 77, 7),  # a breaker whose instances a module dict keeps; its predicate refuses the call
        ("SL101", 93, 1),  # ... and the dict itself, mutated at run time
        ("SL403", 107, 7),  # a limiter whose answer is the offenders, where it otherwise answers []
        ("SL403", 129, 7),  # a pacer: it delays the work (sleep) rather than refusing it
    ]


def test_state_compared_with_the_clock_that_neither_refuses_nor_delays_is_left_to_sl1(tmp_path: Path) -> None:
    # a rolling series trimmed by age, requests in flight with their start time, a token renewed once
    # expired, samples trimmed to a size: no limiter, so the module containers are SL101's as usual
    assert lint_fixture("sl4/not_limiters.py", tmp_path, "SL1,SL4") == [
        ("SL101", 5, 1),
        ("SL101", 6, 1),
    ]


def test_message_names_the_state(tmp_path: Path) -> None:
    copy_fixture("sl4/handrolled.py", tmp_path)
    findings = check_json("handrolled.py", cwd=tmp_path, select="SL403").findings
    assert findings[0]["message"] == "hand-rolled limiter or breaker keeps `_last_call` in module state"
    assert findings[0]["hint"].startswith("It compares it with the clock. Each worker process")
    assert findings[3]["message"] == "hand-rolled limiter or breaker keeps `tokens`, `updated` on a long-lived instance"
    assert findings[3]["hint"].startswith(
        "It compares them with the clock. Its instances live as long as the process (module-level instance `bucket`)."
    )
    assert findings[5]["message"] == "hand-rolled limiter or breaker keeps `until` on a long-lived instance"
    assert findings[5]["hint"].startswith(
        "It compares it with the clock. Its instances live as long as the process (instances kept in module-level dict `_STATUS`)."
    )


def test_the_catalogs_other_clocks(tmp_path: Path) -> None:
    assert lint_fixture("sl4/clocks.py", tmp_path, "SL1,SL4") == [
        ("SL403", 10, 7),  # self.bot.loop.time(): the event loop's clock, on an attribute chain from `self`
        ("SL403", 22, 7),  # discord.utils.utcnow()
        ("SL403", 33, 1),  # datetime.now(timezone.utc): an aware now is the same clock (at `_opened`)
        ("SL403", 44, 7),  # arrow.utcnow()
        ("SL403", 55, 7),  # pendulum.now()
        ("SL403", 66, 7),  # self._loop.time(), through a local
    ]


def test_other_clocks_kept_for_one_call_or_no_clock_at_all(tmp_path: Path) -> None:
    # the loop's time and utcnow() only timing one call, and `.time()` of an object not named a loop
    assert lint_fixture("sl4/clocks_ok.py", tmp_path, "SL1,SL4") == []


def test_redis_state_request_locals_and_deadlines_are_not_limiters(tmp_path: Path) -> None:
    assert lint_fixture("sl4/handrolled_ok.py", tmp_path, "SL1,SL4") == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # an instance kept on the app object is long-lived
        (
            ("import time\nclass Gate:\n    def __init__(self):\n        self.last = 0.0\n"
            "    def ok(self):\n        now = time.time()\n        if now - self.last < 1:\n            return False\n"
            "        self.last = now\n        return True\napp.state.gate = Gate()\n"),
            [("SL403", 2, 7)],
        ),
        # the same class, only created per request: not reported
        (
            ("import time\nclass Gate:\n    def __init__(self):\n        self.last = 0.0\n"
            "    def ok(self):\n        now = time.time()\n        if now - self.last < 1:\n            return False\n"
            "        self.last = now\n        return True\ndef view():\n    return Gate().ok()\n"),
            [],
        ),
        # a timestamp that is written but never compared is SL102's, not a limiter
        ("import time\n_seen = 0\ndef touch():\n    global _seen\n    _seen = time.time()\n", [("SL102", 2, 1)]),
        # the clock times a memo's expiry (a daily cache_clear): not a limiter; the global is SL102's
        (
            ("import datetime\nfrom functools import lru_cache\n_reset = None\n@lru_cache(maxsize=1)\n"
            "def release():\n    return 'v1'\ndef latest():\n    global _reset\n"
            "    now = datetime.datetime.now(datetime.timezone.utc)\n"
            "    if now - _reset > datetime.timedelta(days=1):\n"
            "        _reset = now\n        release.cache_clear()\n    return release()\n"),
            [("SL102", 3, 1)],
        ),
        # the same comparison refusing the call: a throttle
        (
            ("import datetime\n_last = None\ndef allowed():\n    global _last\n"
            "    now = datetime.datetime.now(datetime.timezone.utc)\n"
            "    if _last and now - _last < datetime.timedelta(seconds=1):\n"
            "        return False\n    _last = now\n    return True\n"),
            [("SL403", 2, 1)],
        ),
        # datetime arithmetic through `from datetime import datetime`
        (
            ("from datetime import datetime, timedelta\n_until = None\ndef trip():\n    global _until\n"
            "    _until = datetime.utcnow() + timedelta(seconds=30)\ndef is_open():\n"
            "    return _until is not None and datetime.utcnow() < _until\n"),
            [("SL403", 2, 1)],
        ),
    ],
)
def test_hand_rolled_cases(tmp_path: Path, source: str, expected: list[tuple[str, int, int]]) -> None:
    (tmp_path / "case.py").write_text(source)
    assert check_json("case.py", cwd=tmp_path, select="SL1,SL4").triples == expected


def test_thread_local_state_is_request_local(tmp_path: Path) -> None:
    (tmp_path / "case.py").write_text(
        "import threading\nimport time\n_local = threading.local()\n"
        "def begin():\n    _local.start = time.monotonic()\n"
        "def slow():\n    return time.monotonic() - _local.start > 5\n"
    )
    assert check_json("case.py", cwd=tmp_path, select="SL1,SL4").triples == []


def test_expiring_cache_is_module_state_not_a_limiter(tmp_path: Path) -> None:
    (tmp_path / "case.py").write_text(
        "import time\nimport requests\n_rates = None\n_loaded = 0.0\n"
        "def rates():\n    global _rates, _loaded\n    if time.time() - _loaded > 60:\n"
        "        _rates = requests.get('https://rates.example.com').json()\n        _loaded = time.time()\n"
        "    return _rates\n"
    )
    assert check_json("case.py", cwd=tmp_path, select="SL1,SL4").triples == [("SL102", 3, 1), ("SL102", 4, 1)]


def test_an_aliased_clock_alone_is_enough_to_scan_the_file(tmp_path: Path) -> None:
    (tmp_path / "case.py").write_text(
        "from time import monotonic as clock\n_last = 0.0\n"
        "def allow():\n    global _last\n    now = clock()\n    if now - _last < 1:\n        return False\n"
        "    _last = now\n    return True\n"
    )
    assert check_json("case.py", cwd=tmp_path, select="SL403").triples == [("SL403", 2, 1)]


def test_a_limiter_written_by_several_functions_is_one_finding(tmp_path: Path) -> None:
    (tmp_path / "case.py").write_text(
        "import time\n_window_start = 0.0\n_count = 0\n"
        "def allow():\n    global _window_start, _count\n    now = time.time()\n"
        "    if now - _window_start > 60:\n        _window_start = now\n        _count = 0\n"
        "    _count += 1\n    return _count <= 100\n"
        "def reset():\n    global _window_start\n    _window_start = time.time()\n"
    )
    run = check_json("case.py", cwd=tmp_path, select="SL1,SL4")
    assert run.triples == [("SL403", 2, 1)]  # not one per function, and _count is part of it (not SL102)
