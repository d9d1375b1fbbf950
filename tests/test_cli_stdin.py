"""``statelint check -``: source on standard input, as editor integrations send it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli

LOOPBACK = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="127.0.0.1")\n'
CLEAN = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="0.0.0.0")\n'
SRC = str(Path(__file__).parent.parent / "src")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.statelint]\nper-file-ignores = { "legacy/*" = ["SL3"] }\n')
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "app.py").write_text(CLEAN)
    return tmp_path


def test_stdin_findings_use_the_stdin_filename_as_path(project: Path) -> None:
    run = run_cli("check", "--output-format", "json", "--stdin-filename", "svc/app.py", "-", cwd=project, input=LOOPBACK)
    assert run.exit_code == 1, run.stderr
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [("svc/app.py", "SL301", 3, 14)]
    assert (project / "svc" / "app.py").read_text() == CLEAN  # the real file is neither read for findings nor written


def test_stdin_without_a_filename_is_shown_as_dash(project: Path) -> None:
    run = run_cli("check", "--output-format", "concise", "-", cwd=project, input=LOOPBACK)
    assert run.exit_code == 1
    assert run.stdout.startswith("-:3:14: SL301 ")
    clean = run_cli("check", "--no-color", "-", cwd=project, input=CLEAN)
    assert clean.exit_code == 0
    assert "All checks passed (1 file scanned)." in clean.stdout


def test_stdin_filename_alone_reads_stdin_as_ruff_does(project: Path) -> None:
    run = run_cli("check", "--output-format", "concise", "--stdin-filename", "svc/app.py", cwd=project, input=LOOPBACK)
    assert run.exit_code == 1
    assert run.stdout.startswith("svc/app.py:3:14: SL301 ")


def test_stdin_filename_decides_per_file_ignores_and_not_deployed(project: Path) -> None:
    ignored = run_cli("check", "--stdin-filename", "legacy/app.py", "-", cwd=project, input=LOOPBACK)
    assert ignored.exit_code == 0, ignored.stdout
    in_tests = run_cli("check", "--stdin-filename", "tests/test_app.py", "-", cwd=project, input=LOOPBACK)
    assert in_tests.exit_code == 0, in_tests.stdout


def test_force_exclude_drops_an_excluded_stdin_filename(project: Path) -> None:
    args = ("check", "--output-format", "json", "--extend-exclude", "generated", "--stdin-filename", "generated/app.py")
    assert run_cli(*args, "-", cwd=project, input=LOOPBACK).exit_code == 1  # a named file is checked ...
    dropped = run_cli(*args, "--force-exclude", "-", cwd=project, input=LOOPBACK)
    assert dropped.exit_code == 0 and dropped.findings == []  # ... unless --force-exclude drops it


def test_unparseable_stdin_is_an_sl001_finding(project: Path) -> None:
    run = run_cli("check", "--output-format", "concise", "--stdin-filename", "svc/app.py", "-", cwd=project, input=b"def (\n\xff")
    assert run.exit_code == 1
    assert run.stdout.startswith("svc/app.py:") and " SL001 " in run.stdout


def test_stdin_content_is_never_cached_under_the_real_file(project: Path) -> None:
    cache = project / ".statelint_cache"
    assert run_cli("check", "svc/app.py", cwd=project).exit_code == 0
    before = sorted(p.relative_to(cache) for p in cache.rglob("*") if p.is_file())
    assert run_cli("check", "--stdin-filename", "svc/app.py", "-", cwd=project, input=LOOPBACK).exit_code == 1
    assert sorted(p.relative_to(cache) for p in cache.rglob("*") if p.is_file()) == before
    assert run_cli("check", "svc/app.py", cwd=project).exit_code == 0


def test_dash_with_other_paths_or_a_filename_with_paths_is_a_usage_error(project: Path) -> None:
    mixed = run_cli("check", "-", "svc", cwd=project, input=LOOPBACK)
    assert mixed.exit_code == 2
    assert "`-` (standard input) cannot be combined with other paths" in mixed.stderr
    named = run_cli("check", "--stdin-filename", "svc/app.py", "svc", cwd=project, input=LOOPBACK)
    assert named.exit_code == 2 and "--stdin-filename" in named.stderr


def test_stdin_through_a_real_pipe(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "statelint", "check", "--output-format", "concise", "--stdin-filename", "svc/app.py", "-"],
        cwd=project,
        input=LOOPBACK,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("svc/app.py:3:14: SL301 ")
