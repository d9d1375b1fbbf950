"""The progress bar: on stderr for long scans at a terminal; never piped, in CI or with --quiet."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from statelint.reporters.progress import MIN_FILES, ScanProgress, wanted
from tests.helpers import run_cli


@pytest.mark.parametrize(
    ("quiet", "environ", "terminal", "expected"),
    [
        (False, {}, True, True),
        (False, {}, False, False),  # piped or redirected
        (True, {}, True, False),
        (False, {"CI": "true"}, True, False),
        (False, {"CI": ""}, True, True),  # an empty CI variable is not CI
    ],
)
def test_when_the_bar_is_wanted(quiet: bool, environ: dict[str, str], terminal: bool, expected: bool) -> None:
    assert wanted(quiet, environ, terminal) is expected


def test_the_bar_appears_only_for_many_files() -> None:
    small = io.StringIO()
    with ScanProgress(small) as progress:
        for done in range(1, MIN_FILES):
            progress.update(done, MIN_FILES - 1)
    assert small.getvalue() == ""
    large = io.StringIO()
    with ScanProgress(large) as progress:
        for done in range(1, MIN_FILES + 1):
            progress.update(done, MIN_FILES)
    assert "Scanning" in large.getvalue()
    assert f"{MIN_FILES}/{MIN_FILES}" in large.getvalue()


@pytest.fixture
def many_files(tmp_path: Path) -> Path:
    for index in range(MIN_FILES + 5):
        (tmp_path / f"m{index:03}.py").write_text(f"x = {index}\n")
    (tmp_path / "srv.py").write_text('import uvicorn\nuvicorn.run(app, host="127.0.0.1")\n')
    return tmp_path


@pytest.mark.parametrize(
    ("extra", "env", "terminal", "shown"),
    [
        ((), {"CI": ""}, True, True),
        (("--jobs", "2"), {"CI": ""}, True, True),  # parallel: advances per chunk
        ((), {"CI": "1"}, True, False),
        (("--quiet",), {"CI": ""}, True, False),
        ((), {"CI": ""}, False, False),
    ],
)
def test_check_shows_progress_on_stderr_only_when_wanted(
    many_files: Path, monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...], env: dict[str, str], terminal: bool, shown: bool
) -> None:
    import statelint.cli

    monkeypatch.setattr(statelint.cli, "_stderr_is_terminal", lambda: terminal)
    run = run_cli("check", "--output-format", "concise", "--jobs", "1", *extra, ".", cwd=many_files, env=env)
    assert run.exit_code == 1
    assert ("Scanning" in run.stderr) is shown
    assert run.stdout.startswith("srv.py:2:23: SL301 ")  # the report itself is untouched
