"""``extend`` (a shared base configuration), TOML configuration files, ``--config`` with a
``[tool.statelint]`` table. Every run starts from a folder outside the checked project."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

# SL301 at 2:23 (explicit loopback), SL302 at 3:1 (no host), SL303 at 7:22 (a parameter defaulting to loopback).
SERVER = 'import uvicorn\nuvicorn.run(app, host="127.0.0.1")\nuvicorn.run(app)\n\n\ndef serve(host="localhost"):\n    uvicorn.run(app, host=host)\n'
ALL = [("svc/app.py", "SL301", 2), ("svc/app.py", "SL302", 3), ("svc/app.py", "SL303", 7)]


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """A shared base configuration beside a project, and a folder outside both to run from."""
    (tmp_path / "team.toml").write_text(
        'ignore = ["SL302"]\n'
        "[per-file-ignores]\n"
        '"legacy/*" = ["SL3"]\n'
        "[options.SL303]\n"
        "follow-parameters = false\n"
    )
    for path in ("proj/svc/app.py", "proj/legacy/app.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(SERVER)
    (tmp_path / "elsewhere").mkdir()
    return tmp_path


def found(team: Path, *extra: str) -> list[tuple[str, str, int]]:
    run = check_json(str(team / "proj"), cwd=team / "elsewhere", extra=extra)
    assert run.exit_code in (0, 1), run.stderr
    return [(f["path"], f["code"], f["line"]) for f in run.findings]


def project_config(team: Path, text: str) -> None:
    (team / "proj" / "pyproject.toml").write_text(f'[project]\nname = "proj"\n\n[tool.statelint]\n{text}')


def test_extend_inherits_the_base_and_its_patterns_apply_to_the_extending_project(team: Path) -> None:
    project_config(team, 'extend = "../team.toml"\n')
    # SL302 ignored and SL303's parameters not followed by the base; legacy/* (relative to proj/) silenced.
    assert found(team) == [("svc/app.py", "SL301", 2)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("extend-select = ['SL302']\n", [ALL[0], ALL[1]]),  # enables again what the base ignores
        ("select = ['SL302', 'SL303']\n", [ALL[1]]),  # replaces the set; the base's options still apply
        ("[tool.statelint.options.SL303]\nfollow-parameters = true\n", [ALL[0], ALL[2]]),  # the file's own option wins
        ("ignore = ['SL301']\n", []),  # adds to the base's
        ("[tool.statelint.per-file-ignores]\n'svc/*' = ['SL301']\n", []),  # merged with the base's patterns
        ("[tool.statelint.per-file-ignores]\n'legacy/*' = []\n", [("legacy/app.py", "SL301", 2), ALL[0]]),  # the same pattern: the file's
    ],
    ids=["extend-select", "select", "options", "ignore", "per-file-ignores", "same-pattern"],
)
def test_the_extending_file_s_keys_win(team: Path, text: str, expected: list[tuple[str, str, int]]) -> None:
    project_config(team, f'extend = "../team.toml"\n{text}')
    assert found(team) == expected


def test_extend_chains_and_the_command_line_applies_on_top(team: Path) -> None:
    (team / "team.toml").write_text('extend = "org/base.yaml"\nignore = ["SL302"]\n')
    (team / "org").mkdir()
    (team / "org" / "base.yaml").write_text("select: [SL301, SL302]\nper-file-ignores:\n  legacy/*: [SL3]\n")
    project_config(team, 'extend = "../team.toml"\n')
    assert found(team) == [("svc/app.py", "SL301", 2)]
    assert found(team, "--extend-select", "SL303") == [("svc/app.py", "SL301", 2), ("svc/app.py", "SL303", 7)]
    assert found(team, "--ignore", "SL301") == []


def test_a_circular_extension_is_an_error_naming_the_loop(team: Path) -> None:
    (team / "team.toml").write_text('extend = "proj/pyproject.toml"\n')
    project_config(team, 'extend = "../team.toml"\n')
    run = run_cli("check", str(team / "proj"), cwd=team / "elsewhere")
    assert run.exit_code == 2
    assert run.stderr == (
        f"statelint: error: {team / 'team.toml'}: extend: circular extension: {team / 'proj' / 'pyproject.toml'} -> "
        f"{team / 'team.toml'} -> {team / 'proj' / 'pyproject.toml'}\n"
    )
    assert run.stdout == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('extend = "../nope.toml"\n', "tool.statelint.extend: no such configuration file {team}/nope.toml"),
        ('extend = "../elsewhere"\n', "tool.statelint.extend: no such configuration file {team}/elsewhere"),
        ("extend = 3\n", "tool.statelint.extend: expected the path of a configuration file"),
    ],
)
def test_a_missing_or_invalid_extension_is_an_error_naming_it(team: Path, text: str, problem: str) -> None:
    project_config(team, text)
    run = run_cli("check", str(team / "proj"), cwd=team / "elsewhere")
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == f"statelint: error: {team / 'proj' / 'pyproject.toml'}: {problem.format(team=team)}\n"


def test_an_error_in_the_base_names_the_base(team: Path) -> None:
    (team / "team.toml").write_text('ignore = ["SL999"]\n')
    project_config(team, 'extend = "../team.toml"\n')
    run = run_cli("check", str(team / "proj"), cwd=team / "elsewhere")
    assert run.exit_code == 2
    assert run.stderr == f"statelint: error: {team / 'team.toml'}: ignore: unknown rule code or prefix 'SL999'\n"


def test_config_accepts_a_tool_statelint_table_or_top_level_keys(team: Path) -> None:
    # The project root is the configuration's folder (team/), which holds the working directory:
    # paths are relative to the working directory.
    (team / "ci.toml").write_text('[tool.ruff]\nline-length = 100\n\n[tool.statelint]\nselect = ["SL302"]\n')
    assert found(team, "--config", str(team / "ci.toml")) == [("../proj/legacy/app.py", "SL302", 3), ("../proj/svc/app.py", "SL302", 3)]
    (team / "flat.toml").write_text('select = ["SL303"]\n')
    assert found(team, "--config", "../flat.toml") == [("../proj/legacy/app.py", "SL303", 7), ("../proj/svc/app.py", "SL303", 7)]
    (team / "other.toml").write_text("[tool.ruff]\nline-length = 100\n")
    run = run_cli("check", "--config", str(team / "other.toml"), str(team / "proj"), cwd=team / "elsewhere")
    assert run.exit_code == 2
    assert run.stderr == (
        f"statelint: error: {team / 'other.toml'}: no [tool.statelint] table "
        "(or statelint keys at the top level, as in statelint.toml)\n"
    )
    (team / "bad.toml").write_text('[tool.statelint]\nselct = ["SL3"]\n')
    bad = run_cli("check", "--config", str(team / "bad.toml"), str(team / "proj"), cwd=team / "elsewhere")
    assert bad.stderr.startswith(f"statelint: error: {team / 'bad.toml'}: tool.statelint.selct: unknown key")


def test_statelint_toml_files_are_found_like_pyproject_toml(team: Path) -> None:
    project_config(team, 'select = ["SL301"]\n')
    assert found(team) == [("legacy/app.py", "SL301", 2), ("svc/app.py", "SL301", 2)]
    (team / "proj" / "statelint.toml").write_text('select = ["SL302"]\nextend-exclude = ["legacy"]\n')
    assert found(team) == [("svc/app.py", "SL302", 3)]  # statelint.toml wins over pyproject.toml
    (team / "proj" / ".statelint.toml").write_text('extend = "../team.toml"\nselect = ["SL3"]\n')
    # .statelint.toml wins over statelint.toml; its select replaces the set (the base's ignore
    # included), while the base's options and per-file-ignores still apply.
    assert found(team) == [("svc/app.py", "SL301", 2), ("svc/app.py", "SL302", 3)]
    (team / "proj" / ".statelint.yaml").write_text("select: [SL303]\n")
    assert found(team) == [("legacy/app.py", "SL303", 7), ("svc/app.py", "SL303", 7)]  # .statelint.yaml first
