"""SL701 servers without a SIGTERM drain, SL702 abrupt SIGTERM handlers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import lint_fixture
from tests.test_sl5_threads import lint_variant


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("sl7/grpc_plain.py", [("SL701", 11, 5)]),
        ("sl7/http_servers.py", [("SL701", 30, 5), ("SL701", 35, 9)]),  # the handler only logs
        ("sl7/http_ignored.py", [("SL701", 6, 1)]),  # SIG_IGN
        ("sl7/asyncio_loops.py", [("SL701", 13, 5), ("SL701", 19, 15)]),  # run_forever, Server.serve_forever
        ("sl7/other_loops.py", [("SL701", 11, 9), ("SL701", 17, 5)]),  # xmlrpc, Tornado IOLoop
        ("sl7/grpc_drained.py", []),
        ("sl7/http_drained.py", []),
        ("sl7/asyncio_drained.py", []),
        ("sl7/self_draining.py", []),  # uvicorn, aiohttp run_app, hypercorn
    ],
)
def test_server_without_sigterm_drain(tmp_path: Path, fixture: str, expected: list[tuple[str, int, int]]) -> None:
    assert lint_fixture(fixture, tmp_path, "SL7") == expected


@pytest.mark.parametrize(
    ("fixture", "old", "new", "expected"),
    [
        ("sl7/grpc_drained.py", "signal.signal(signal.SIGTERM, drain)", "pass", ("SL701", 17, 5)),
        ("sl7/http_drained.py", "signal.SIGTERM", "signal.SIGHUP", ("SL701", 15, 5)),
        ("sl7/asyncio_drained.py", "signal.SIGTERM)", "signal.SIGHUP)", ("SL701", 8, 1)),
    ],
)
def test_the_handler_is_what_drains(tmp_path: Path, fixture: str, old: str, new: str, expected: tuple) -> None:
    assert lint_variant(tmp_path, fixture, old, new, "SL7") == [expected]


def test_abrupt_sigterm_handlers(tmp_path: Path) -> None:
    assert lint_fixture("sl7/abrupt.py", tmp_path, "SL7") == [
        ("SL702", 15, 5),  # sys.exit(0) while a gRPC server runs, nothing stops it
        ("SL702", 19, 5),  # os._exit(1)
        ("SL702", 23, 5),  # server.stop(None)
        ("SL702", 27, 5),  # server.stop(grace=0)
        ("SL702", 31, 5),  # server_close() without shutdown()
        ("SL702", 39, 42),  # lambda *_: sys.exit(0)
        ("SL702", 40, 31),  # signal.default_int_handler
    ]


@pytest.mark.parametrize("fixture", ["sl7/graceful_exits.py", "sl7/worker_exit.py"])
def test_graceful_exits(tmp_path: Path, fixture: str) -> None:
    assert lint_fixture(fixture, tmp_path, "SL7") == []


def test_the_finally_is_what_makes_the_exit_graceful(tmp_path: Path) -> None:
    found = lint_variant(tmp_path, "sl7/graceful_exits.py", "server.stop(grace=10)", "print()", "SL702")
    assert found == [("SL702", 16, 5)]


def test_threads_serving_in_the_background_are_sl5s(tmp_path: Path) -> None:
    assert lint_fixture("sl7/http_servers.py", tmp_path, "SL5") == [("SL502", 40, 5), ("SL501", 47, 1)]
