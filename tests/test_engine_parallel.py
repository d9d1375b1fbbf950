"""Serial, parallel, cached and uncached runs report exactly the same thing.

Run over every fixture of the suite: whatever the rules do, the engine's ways of
running them (in-process, one worker, two workers, a cold cache, a warm cache) must
not change a byte of the report or the exit code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from statelint.catalog import load_catalog
from statelint.config import load_settings
from statelint.engine import runner
from statelint.engine.analyze import Plan, analyze
from statelint.engine.discovery import Target
from statelint.model import FileResult
from tests.helpers import FIXTURES, run_cli


@pytest.fixture(scope="module")
def fixtures_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("engine") / "fixtures"
    shutil.copytree(FIXTURES, copy)
    return copy


def _report(cwd: Path, *args: str) -> tuple[int, str]:
    run = run_cli("check", "--output-format", "json", *args, ".", cwd=cwd)
    assert "Traceback" not in run.stderr
    return run.exit_code, run.stdout


def test_every_way_of_running_gives_the_same_report(fixtures_copy: Path, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    reference = _report(fixtures_copy, "--no-cache", "--jobs", "1")
    assert reference[0] in (0, 1)
    assert '"code"' in reference[1]  # the fixtures do produce findings: the comparison means something
    assert _report(fixtures_copy, "--no-cache", "--jobs", "2") == reference
    assert _report(fixtures_copy, "--cache-dir", cache, "--jobs", "2") == reference  # cold: fills the cache
    assert list((tmp_path / "cache").rglob("*.json"))
    assert _report(fixtures_copy, "--cache-dir", cache, "--jobs", "2") == reference  # warm
    assert _report(fixtures_copy, "--cache-dir", cache, "--jobs", "1") == reference  # warm, serial


def test_every_rule_enabled_cached_and_uncached(fixtures_copy: Path, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    reference = _report(fixtures_copy, "--select", "ALL", "--no-cache", "--jobs", "1")
    assert _report(fixtures_copy, "--select", "ALL", "--cache-dir", cache, "--jobs", "2") == reference
    assert _report(fixtures_copy, "--select", "ALL", "--cache-dir", cache, "--jobs", "2") == reference


def _in_process(targets: list[Target], plan: Plan, jobs: int) -> list[FileResult]:
    """The reference: every file analysed in this process, in order, no pool, no cache."""
    out = []
    for target in targets:
        result = analyze(target, plan)
        assert result is not None
        out.append(result)
    return out


def test_worker_pool_matches_in_process_analysis(fixtures_copy: Path, tmp_path: Path) -> None:
    settings = load_settings(load_catalog(), cwd=fixtures_copy, select=["ALL"])
    reference = runner.scan(["."], settings, cwd=fixtures_copy, analyze_files=_in_process)
    for jobs in (1, 2):
        pooled = runner.scan(["."], settings, cwd=fixtures_copy, jobs=jobs)
        assert pooled.findings == reference.findings
        assert pooled.errors == reference.errors
        assert pooled.files_scanned == reference.files_scanned
    cached = [runner.scan(["."], settings, cwd=fixtures_copy, jobs=2, cache_dir=tmp_path / "c") for _ in range(2)]
    assert cached[0].findings == cached[1].findings == reference.findings


def test_chunks_put_large_files_first_and_cover_every_file() -> None:
    sizes = {0: 10, 1: 5000, 2: 40, 3: 70000, 4: 300, 5: 20}
    chunks = runner._chunks(list(sizes), sizes, jobs=2)
    assert chunks[0] == [3]
    assert sorted(i for chunk in chunks for i in chunk) == list(sizes)
    assert runner._chunks([], {}, jobs=2) == []
