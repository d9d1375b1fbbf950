"""SL506 schedulers, and every shutdown path form the SL5 rules accept."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import lint_fixture
from tests.test_sl5_threads import lint_variant


def test_schedulers_without_shutdown(tmp_path: Path) -> None:
    assert lint_fixture("sl5/schedulers.py", tmp_path, "SL5") == [
        ("SL506", 18, 13),  # BackgroundScheduler started, never shut down
        ("SL506", 22, 1),  # started with its handle dropped
        ("SL506", 29, 19),  # shut down only in a function no shutdown path runs
        ("SL506", 40, 1),  # a thread running a schedule loop
    ]


def test_every_shutdown_path_form(tmp_path: Path) -> None:
    # atexit (decorator, through a helper), signal.signal for a loop of signals,
    # loop.add_signal_handler, FastAPI lifespan, add_event_handler, Starlette(on_shutdown=),
    # aiohttp on_shutdown/on_cleanup/cleanup_ctx, try/finally, except KeyboardInterrupt.
    assert lint_fixture("sl5/shutdown_paths.py", tmp_path, "SL5") == [
        ("SL505", 59, 17),  # started in the lifespan, never cancelled after its yield
        ("SL506", 103, 14),  # started in a cleanup_ctx, never shut down
    ]


def test_without_their_stops_every_shutdown_path_form_is_reported(tmp_path: Path) -> None:
    found = lint_variant(tmp_path, "sl5/shutdown_paths.py", ".shutdown", ".pause", "SL506")
    assert [line for _, line, _ in found] == [21, 35, 47, 52, 68, 70, 86, 88, 90, 103, 115, 117]
