"""A file's analysis (CPython's parse, the summary and the rules' declarations, libcst's parse and walk) runs without
the cyclic garbage collector, which is back on afterwards; a scan keeps what it loaded
before its files out of every collection.

Not a timing test: whether collections run while a syntax tree is alive is what makes
it cheap or dear to walk (each one traverses the whole live tree).
"""

from __future__ import annotations

import gc
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from statelint.catalog import load_catalog
from statelint.config.settings import Settings
from statelint.engine.analyze import Plan, analyze
from statelint.engine.discovery import Target
from statelint.engine.gc_pause import frozen
from statelint.engine.runner import scan
from statelint.model import FileResult

#: Big enough that parsing and walking it allocates far past the collector's thresholds,
#: and reported by SL101, so libcst's parse and every rule's walk run on it.
SOURCE = "CACHE = {}\n\n" + "".join(
    f"def handler_{i}(key, value):\n    CACHE[key] = [value, {{'n': {i}}}, (key, value)]\n    return len(CACHE)\n\n"
    for i in range(400)
)
#: As big, and only reads its module's table: SL101's declaration rules it out on the summary,
#: so the file is done without libcst (what a pre-commit run's parent does to each file).
READ_ONLY = "TABLE = {'a': 1}\n\n" + "".join(
    f"def lookup_{i}(key):\n    return [TABLE.get(key), {{'n': {i}}}, (key, {i})]\n\n" for i in range(400)
)


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generations collected while a file is analysed (its analysis on the stack), as
    gc.callbacks reports them; the collection the file's garbage gets once it is done is
    expected and not counted."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != "_analyze":
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


def test_no_collection_runs_while_a_file_is_screened_without_libcst(tmp_path: Path, collections: list[int]) -> None:
    path = tmp_path / "lookups.py"
    path.write_text(READ_ONLY, encoding="utf-8")
    plan = Plan(Settings(root=tmp_path, enabled=("SL101",)), load_catalog())
    result = analyze(Target("lookups.py", str(path), "python"), plan, light=True)
    assert result is not None and result.findings == [] and not result.parsed  # the declaration settled it
    assert collections == []
    assert gc.isenabled()


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


def test_only_the_outermost_frozen_block_unfreezes() -> None:
    assert gc.get_freeze_count() == 0
    with frozen():
        outer = gc.get_freeze_count()
        assert outer > 0
        kept = [[] for _ in range(10)]  # made after the outer freeze: lists are tracked by the collector
        with frozen():
            assert gc.get_freeze_count() >= outer + len(kept)  # the nested block adds what was made since
        assert gc.get_freeze_count() >= outer + len(kept)  # and leaves it frozen
        del kept
    assert gc.get_freeze_count() == 0


def test_a_scan_analyses_its_files_with_what_it_loaded_frozen(tmp_path: Path) -> None:
    (tmp_path / "service.py").write_text("CACHE = {}\n", encoding="utf-8")
    frozen_during: list[int] = []

    def analyze_files(targets: list[Target], plan: Plan, jobs: int) -> list[FileResult]:
        frozen_during.append(gc.get_freeze_count())
        return [FileResult(target.display) for target in targets]

    result = scan([str(tmp_path)], Settings(root=tmp_path), cwd=tmp_path, analyze_files=analyze_files)
    assert result.files_scanned == 1
    assert frozen_during and frozen_during[0] > 0
    assert gc.get_freeze_count() == 0  # unfrozen once the scan is over


FIXTURES = Path(__file__).parent / "fixtures"


def _analysed_with_cyclic_garbage(target: Target, plan: Plan) -> tuple[FileResult | None, Counter[str]]:
    """The file's result, and the types of what its analysis left that only the cyclic
    collector could free."""
    enabled, flags = gc.isenabled(), gc.get_debug()
    gc.collect()
    gc.disable()
    gc.set_debug(flags | gc.DEBUG_SAVEALL)
    try:
        result = analyze(target, plan)
        gc.collect()
        return result, Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(flags)
        if enabled:
            gc.enable()


def test_a_file_analysed_with_libcst_is_freed_without_the_cyclic_collector() -> None:
    """Scopes and their bindings, and the analyses the rules share, point back at each other
    and at both trees; unless the analysis breaks those cycles when it is done, the file
    stays alive until a collection walks every node of it (a tenth of a cold run's time)."""
    catalog = load_catalog()
    plan = Plan(Settings(root=FIXTURES, enabled=tuple(catalog.rules)), catalog)
    paths = sorted(FIXTURES.rglob("*.py"))
    parsed = alone = 0
    for path in paths:
        display = str(path.relative_to(FIXTURES))
        result, garbage = _analysed_with_cyclic_garbage(Target(display, str(path), "python"), plan)
        if not display.startswith("project/"):  # those need their project's model to be wanted by a rule
            alone += 1
            parsed += bool(result is not None and result.parsed)
        trees = {name: count for name, count in garbage.items() if name.startswith(("libcst.", "ast.", "statelint."))}
        assert trees == {}, display
    assert parsed > alone * 3 // 4  # most went through libcst and every wanted rule: the check above is not vacuous
