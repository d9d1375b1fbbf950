"""The README's CI snippets are copy-paste ready: valid YAML/TOML, and every statelint command runs."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.helpers import FIXTURES, copy_fixture, run_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SECTION = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("## CI integration\n", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", SECTION, flags=re.DOTALL)
SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCKS if lang == language]


def commands() -> list[list[str]]:
    """Every ``statelint ...`` command in the section's YAML and shell blocks, split like a shell."""
    found = []
    for body in blocks("yaml") + blocks("bash"):
        for match in re.finditer(r"(?:run: |- |^)(statelint [^\n#]+)", body, flags=re.MULTILINE):
            found.append(shlex.split(match.group(1))[1:])
    return found


def test_the_section_replaced_the_marker_and_has_every_snippet() -> None:
    assert "<!-- ci -->" not in SECTION
    assert len(blocks("yaml")) == 4 and len(blocks("toml")) == 2 and len(blocks("bash")) == 2
    assert len(commands()) == 6


def test_yaml_snippets_parse_and_name_real_things() -> None:
    pre_commit, workflow, annotate, gitlab = (yaml.safe_load(body) for body in blocks("yaml"))
    hook_ids = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert pre_commit["repos"][0]["hooks"][0]["id"] in hook_ids
    steps = workflow["jobs"]["statelint"]["steps"]
    assert workflow["jobs"]["statelint"]["permissions"]["security-events"] == "write"
    assert steps[-1]["uses"].startswith("github/codeql-action/upload-sarif@")
    assert steps[-1]["with"]["sarif_file"] in steps[-2]["run"]
    assert annotate[0]["run"].startswith("statelint check --output-format github")
    job = gitlab["statelint"]
    assert job["artifacts"]["reports"]["codequality"] in job["script"][-1]


@pytest.mark.parametrize("args", commands(), ids=lambda args: " ".join(args[:3]))
def test_every_command_runs(tmp_path: Path, args: list[str]) -> None:
    project = copy_fixture("reporting", tmp_path)
    if "--baseline" in args:
        assert run_cli("check", "--write-baseline", args[args.index("--baseline") + 1], ".", cwd=project).exit_code == 0
    run = run_cli(*args, cwd=project)
    assert run.exit_code in (0, 1), run.stderr
    if "--output-file" in args:
        report = json.loads((project / args[args.index("--output-file") + 1]).read_text(encoding="utf-8"))
        if "sarif" in args:
            jsonschema.Draft4Validator(SCHEMA).validate(report)
        assert report


def test_pre_commit_hook_with_the_snippet_args(tmp_path: Path) -> None:
    project = copy_fixture("reporting", tmp_path)
    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
    args = yaml.safe_load(blocks("yaml")[0])["repos"][0]["hooks"][0]["args"]
    entry = shlex.split(hook["entry"])[1:]
    run = run_cli(*entry, *args, "service/app.py", "service/worker.py", cwd=project)
    assert run.exit_code == 1
    assert run.stdout.startswith("service/app.py:7:37: SL301 ")


def test_pre_commit_runs_the_hook_once_for_all_its_files(tmp_path: Path) -> None:
    """Without ``require_serial``, pre-commit splits a hook's files over one process per core,
    at least 4 files each (its ``xargs.partition``): on two cores, these 5 files would run as
    4 + 1. Each run sees the whole project through the project model, so the split reports the
    same findings; ``require_serial`` keeps it to one process, which spreads the work itself
    and loads the model once."""
    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
    assert hook["require_serial"] is True
    project = copy_fixture("sl1/crossmodule", tmp_path)
    (project / "pyproject.toml").write_text('[project]\nname = "app"\n')  # what makes it a project (as .git would)
    files = sorted(path.relative_to(project).as_posix() for path in project.rglob("*.py"))
    entry = shlex.split(hook["entry"])[1:]

    def sl103(*paths: str) -> list[str]:
        run = run_cli(*entry, "--output-format", "json", "--select", "SL103", *paths, cwd=project)
        return [f"{finding['path']}:{finding['line']}" for finding in json.loads(run.stdout)]

    assert sl103(*files) == ["app/handlers.py:8", "app/handlers.py:16", "app/views.py:10"]
    assert sl103(*files[:4]) + sl103(*files[4:]) == ["app/handlers.py:8", "app/handlers.py:16", "app/views.py:10"]


def test_toml_snippets_are_a_valid_configuration(tmp_path: Path) -> None:
    project = copy_fixture("reporting", tmp_path)
    overrides, sl002 = blocks("toml")
    text = sl002 + "\n" + overrides  # the [[...overrides]] array of tables last, as TOML requires here
    assert tomllib.loads(text)["tool"]["statelint"]["options"]["SL002"]["require-reason"] is True
    (project / "pyproject.toml").write_text(text)
    (project / "ops" / "ok.py").write_text("import uvicorn\nuvicorn.run(app, host='localhost')\n")
    (project / "service" / "extra.py").write_text("import uvicorn\nuvicorn.run(app)  # statelint: ignore[SL302]\n")
    run = run_cli("check", "--output-format", "json", "--select", "SL3", ".", cwd=project)  # SL002 comes from the file
    assert run.exit_code == 1, run.stderr
    assert [(f["path"], f["code"]) for f in json.loads(run.stdout)] == [
        ("service/app.py", "SL301"),
        ("service/extra.py", "SL002"),  # used, but gives no reason
        ("service/worker.py", "SL302"),
        ("service/worker.py", "SL303"),
    ]
