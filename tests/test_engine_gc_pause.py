"""libcst's parse and walk of a file run without the cyclic garbage collector, which is
back on afterwards.

Not a timing test: whether collections run while libcst's tree is alive is what makes
it cheap or dear to walk (each one traverses the whole live tree).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from statelint.catalog import load_catalog
from statelint.config.settings import Settings
from statelint.engine.analyze import Plan, analyze
from statelint.engine.discovery import Target

#: Big enough that parsing and walking it allocates far past the collector's thresholds,
#: and reported by SL101, so libcst's parse and every rule's walk run on it.
SOURCE = "CACHE = {}\n\n" + "".join(
    f"def handler_{i}(key, value):\n    CACHE[key] = [value, {{'n': {i}}}, (key, value)]\n    return len(CACHE)\n\n"
    for i in range(400)
)


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generations collected while libcst's tree is alive (its parse and walk on the stack),
    as gc.callbacks reports them; the collection the file's garbage gets once it is done is
    expected and not counted."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != "_parse_and_walk":
            frame = frame.f_back
        if phase == "start" and frame is not None:
            seen.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


def test_no_collection_runs_while_libcst_analyses_a_file(tmp_path: Path, collections: list[int]) -> None:
    path = tmp_path / "service.py"
    path.write_text(SOURCE, encoding="utf-8")
    plan = Plan(Settings(root=tmp_path, enabled=("SL101",)), load_catalog())
    assert gc.isenabled()
    result = analyze(Target("service.py", str(path), "python"), plan)
    assert result is not None and [f.code for f in result.findings] == ["SL101"]  # libcst and the rule did run
    assert result.parsed
    assert collections == []
    assert gc.isenabled()  # and the collector is back


def test_the_collector_stays_off_for_a_caller_that_turned_it_off(tmp_path: Path) -> None:
    path = tmp_path / "service.py"
    path.write_text(SOURCE, encoding="utf-8")
    plan = Plan(Settings(root=tmp_path, enabled=("SL101",)), load_catalog())
    gc.disable()
    try:
        analyze(Target("service.py", str(path), "python"), plan)
        assert not gc.isenabled()
    finally:
        gc.enable()
