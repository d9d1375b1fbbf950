"""Run statelint the way users do, through its CLI, and read the JSON report back."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from statelint.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def findings(self) -> list[dict[str, Any]]:
        return json.loads(self.stdout)

    @property
    def triples(self) -> list[tuple[str, int, int]]:
        """(code, line, column) of every finding, in report order."""
        return [(f["code"], f["line"], f["column"]) for f in self.findings]


def run_cli(*args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None) -> Run:
    """``statelint ARGS`` in-process, from ``cwd``."""
    runner = CliRunner()
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return Run(result.exit_code, result.stdout, result.stderr)


def check_json(*paths: str, cwd: Path | str, select: str | None = None, extra: tuple[str, ...] = ()) -> Run:
    """``statelint check --output-format json`` with an optional ``--select``."""
    args = ["check", "--output-format", "json"]
    if select:
        args += ["--select", select]
    return run_cli(*args, *extra, *paths, cwd=cwd)


def copy_fixture(name: str, tmp_path: Path) -> Path:
    """Copy ``tests/fixtures/<name>`` (a file or a folder) into ``tmp_path``; returns the copy."""
    source = FIXTURES / name
    target = tmp_path / source.name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)
    return target


def lint_fixture(name: str, tmp_path: Path, select: str) -> list[tuple[str, int, int]]:
    """(code, line, column) findings of the ``select``ed rules on one fixture, run in a scratch copy."""
    copy = copy_fixture(name, tmp_path)
    run = check_json(copy.name, cwd=tmp_path, select=select)
    assert run.exit_code in (0, 1), run.stderr
    return run.triples


def triage_source(text: str, module: str = "app") -> Any:
    """A :class:`statelint.triage.Source` for ``text``, as the engine builds it for triage."""
    import ast
    import textwrap

    from statelint.triage import Source

    text = textwrap.dedent(text)
    return Source(f"{module}.py", text, ast.parse(text), module)
