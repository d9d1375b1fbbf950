"""``statelint check --show-settings PATH``: the settings one file is checked with, from any folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from statelint.config.settings import DEFAULT_EXCLUDES, DEFAULT_NOT_DEPLOYED
from tests.helpers import run_cli

CONFIG = """[tool.statelint]
extend = "../team.toml"
select = ["SL3"]
extend-exclude = ["gen"]
extend-not-deployed = ["ops/local"]

[tool.statelint.per-file-ignores]
"legacy/*" = ["SL302"]
"svc/*" = ["SL303"]

[tool.statelint.options.SL303]
follow-parameters = false

[[tool.statelint.overrides]]
path = "legacy/"
ignore = ["SL301"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    for path in ("legacy/app.py", "svc/app.py", "tests/test_app.py", "gen/x.py"):
        (proj / path).parent.mkdir(parents=True, exist_ok=True)
        (proj / path).write_text("import uvicorn\n")
    (proj / "pyproject.toml").write_text(CONFIG)
    (tmp_path / "team.toml").write_text("file-timeout = 30\n")
    (tmp_path / "elsewhere").mkdir()
    return proj


def show(project: Path, *args: str) -> tuple[int, str, str]:
    run = run_cli("check", "--show-settings", *args, cwd=project.parent / "elsewhere")
    return run.exit_code, run.stdout, run.stderr


def test_text_names_the_configuration_rules_options_and_exclusions(project: Path) -> None:
    code, out, err = show(project, "../proj/legacy/app.py")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Settings for legacy/app.py",  # relative to the project root: the working directory is outside it
        f"  configuration file: {project / 'pyproject.toml'}",
        f"  extends:            {project.parent / 'team.toml'}",
        f"  project root:       {project}",
        f"  cache dir:          {project / '.statelint_cache'}",
        "  rules (1):          SL303",
        "  off for this path:  SL301, SL302",
        '  per-file-ignores:   "legacy/*" = ["SL302"]',
        '  overrides:          overrides[0]: path = ["legacy/"], ignore = ["SL301"]',
        f"  exclude:            {json.dumps(list(DEFAULT_EXCLUDES))}",
        '  extend-exclude:     ["gen"]',
        "  excluded:           no",
        "  respect-gitignore:  true",
        f"  not-deployed:       {json.dumps([*DEFAULT_NOT_DEPLOYED, 'ops/local'])}",
        "  deployed:           yes",
        "  file-timeout:       30 seconds",  # from the extended file
        "  severity:           none (every finding is reported)",
        "  fail-on:            none (any finding fails the run)",
        "  options:",
        "    SL303.follow-parameters = false",
    ]
    assert not (project / ".statelint_cache").exists()  # nothing was scanned


def test_json_for_a_test_file_an_excluded_one_and_a_folder(project: Path) -> None:
    code, out, _ = show(project, "--output-format", "json", "--no-cache", str(project / "tests" / "test_app.py"))
    described = json.loads(out)
    assert code == 0
    assert {key: described[key] for key in ("path", "cache_dir", "rules", "off_for_this_path", "per_file_ignores", "overrides")} == {
        "path": "tests/test_app.py",
        "cache_dir": None,
        "rules": ["SL301", "SL302", "SL303"],
        "off_for_this_path": [],
        "per_file_ignores": [],
        "overrides": [],
    }
    assert (described["not_deployed_match"], described["excluded"]) == ("tests", False)
    generated = json.loads(show(project, "--output-format", "json", str(project / "gen" / "x.py"))[1])
    assert (generated["path"], generated["excluded"], generated["not_deployed_match"]) == ("gen/x.py", True, None)
    folder = json.loads(show(project, "--output-format", "json", "--cache-dir", "cache", str(project / "svc"))[1])
    assert (folder["path"], folder["cache_dir"]) == ("svc", str(project.parent / "elsewhere" / "cache"))
    assert folder["per_file_ignores"] == [{"pattern": "svc/*", "codes": ["SL303"]}]  # what the folder's files get
    assert (folder["rules"], folder["off_for_this_path"], folder["options"]) == (["SL301", "SL302"], ["SL303"], {})


def test_without_a_configuration_file_the_defaults_and_the_folder(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "app.py").write_text("")
    run = run_cli("check", "--show-settings", "--select", "SL301", "plain/app.py", cwd=tmp_path)
    lines = run.stdout.splitlines()
    assert (run.exit_code, lines[:6]) == (
        0,
        [
            "Settings for plain/app.py",
            "  configuration file: none (defaults)",
            f"  project root:       {tmp_path}",  # the working directory holds the file
            f"  cache dir:          {tmp_path / '.statelint_cache'}",
            "  rules (1):          SL301",
            "  off for this path:  none",
        ],
    )
    assert lines[-1] == "  options: none"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope.py",), "nope.py: no such file or directory"),
        (("a.py", "b.py"), "--show-settings takes exactly one PATH: the file (or folder) whose settings to show"),
        (("-",), "--show-settings takes exactly one PATH: the file (or folder) whose settings to show"),
    ],
)
def test_a_missing_path_or_several_paths_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "a.py").write_text("")
    (tmp_path / "b.py").write_text("")
    run = run_cli("check", "--show-settings", *args, cwd=tmp_path, input="")
    assert (run.exit_code, run.stdout, run.stderr) == (2, "", f"statelint: error: {message}\n")


def test_a_configuration_error_exits_2(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.statelint]\nselect = 3\n")
    code, out, err = show(project, str(project / "svc"))
    assert (code, out) == (2, "")
    assert err == f"statelint: error: {project / 'pyproject.toml'}: tool.statelint.select: expected a list of strings\n"


def test_a_vendored_copy_is_not_deployed_code(tmp_path: Path) -> None:
    """A module whose header says it is a copy of another project's library (issue 21)."""
    package = tmp_path / "svc" / "web"
    package.mkdir(parents=True)
    (tmp_path / "svc" / "__init__.py").write_text('__author__ = "Shop Team"\n')
    (package / "__init__.py").write_text("")
    header = '"""Bottle is a micro-framework."""\n__author__ = "Marcel Hellkamp"\n__version__ = "0.12"\n__license__ = "MIT"\n'
    (package / "bottle.py").write_text(header)
    (package / "views.py").write_text(header.replace("Bottle is", "views of").replace("Marcel Hellkamp", "Shop Team"))
    (package / "own.py").write_text(header.replace("Bottle is", "own is").replace("Marcel Hellkamp", "Shop Team"))
    lines = run_cli("check", "--show-settings", "svc/web/bottle.py", cwd=tmp_path).stdout.splitlines()
    assert "  deployed:           no (a copy of the library Bottle: its header says so)" in lines
    described = json.loads(run_cli("check", "--show-settings", "--output-format", "json", "svc/web/bottle.py", cwd=tmp_path).stdout)
    assert (described["vendored"], described["not_deployed_match"]) == ("Bottle", None)
    for own in ("svc/web/views.py", "svc/web/own.py"):  # its docstring does not start with its name / the package's author
        assert "  deployed:           yes" in run_cli("check", "--show-settings", own, cwd=tmp_path).stdout.splitlines()
    (tmp_path / "pyproject.toml").write_text("[tool.statelint]\nnot-deployed = []\n")
    assert "  deployed:           yes" in run_cli("check", "--show-settings", "svc/web/bottle.py", cwd=tmp_path).stdout.splitlines()
