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


def run_cli(*args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None, input: str | bytes | None = None) -> Run:
    """``statelint ARGS`` in-process, from ``cwd``, with ``input`` on standard input."""
    runner = CliRunner()
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
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
    tmp_path.mkdir(parents=True, exist_ok=True)
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


def requirement_met(
    code: str, text: str, module: str = "app", options: dict[str, Any] | None = None, path: str | None = None
) -> bool:
    """Whether rule ``code``'s ``requires`` accepts ``text`` as module ``module`` of its own (its
    definitions expand its names, as before the project model is built), with the rule's default
    options updated by ``options``. With ``path`` (``pkg/__init__.py``), the module is the one the
    engine names there in a tree whose folders are packages."""
    import ast
    import textwrap

    from statelint.catalog import load_catalog
    from statelint.engine.requirements import FileFacts
    from statelint.project.model import ProjectModel
    from statelint.project.summary import summarize
    from statelint.rules import all_rules

    is_package = False
    if path is not None:
        is_package = path.endswith("__init__.py")
        module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    text = textwrap.dedent(text)
    tree = ast.parse(text)
    summary = summarize(tree, module, is_package=is_package)
    facts = FileFacts(text, summary, ProjectModel.alone(summary).expand, tree, path or f"{module}.py")
    requires = all_rules()[code].requires
    assert requires is not None, f"{code} declares no requires"
    catalog = load_catalog()
    settings = {**catalog.rules[code].default_options(), **(options or {})}
    return requires.met(facts, catalog.knowledge(code), settings)


def expectations(folder: Path) -> list[tuple[str, str, int, int]]:
    """(path, code, line, column) of every ``# expect: CODE@COLUMN`` comment under ``folder``, sorted
    as reports are: a fixture's expected findings sit next to its lines, as in flake8-bugbear's eval files."""
    import re

    found: list[tuple[str, str, int, int]] = []
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            comment = re.search(r"#.*?\bexpect: ((?:SL\d{3}@\d+[ ,]*)+)", line)
            if comment is not None:
                for code, column in re.findall(r"(SL\d{3})@(\d+)", comment.group(1)):
                    found.append((relative, code, number, int(column)))
    return sorted(found, key=lambda f: (f[0], f[2], f[3], f[1]))


def expected_and_found(name: str, tmp_path: Path, select: str) -> tuple[list[tuple[str, str, int, int]], list[tuple[str, str, int, int]]]:
    """What a fixture's ``# expect:`` comments announce, and what statelint (``--select``) reports on a
    scratch copy of it, both as (path, code, line, column): a test asserts they are equal."""
    copy = copy_fixture(name, tmp_path / "fixture")
    run = check_json(".", cwd=copy.parent, select=select, extra=("--no-cache",))
    assert run.exit_code in (0, 1), run.stderr
    return expectations(copy.parent), quads(run)


def quads(run: Run) -> list[tuple[str, str, int, int]]:
    """(path, code, line, column) of every finding, in report order."""
    return [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings]
