"""Configuration files: discovery, precedence, validation errors (one line naming file and key)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

LOOPBACK = 'import uvicorn\nuvicorn.run(app, host="127.0.0.1")\nuvicorn.run(app)\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "srv.py").write_text(LOOPBACK)
    return tmp_path


def codes(run_dir: Path, *paths: str) -> list[str]:
    run = check_json(*(paths or (".",)), cwd=run_dir)
    assert run.exit_code in (0, 1), run.stderr
    return [f["code"] for f in run.findings]


def test_pyproject_table_found_from_a_subdirectory(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.statelint]\nignore = ["SL302"]\n')
    assert codes(project / "pkg" / "sub") == ["SL301"]


def test_pyproject_without_a_statelint_table_is_skipped(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.statelint]\nignore = ["SL302"]\n')
    (project / "pkg" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert codes(project / "pkg") == ["SL301"]


def test_closest_config_wins(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.statelint]\nignore = ["SL302"]\n')
    (project / "pkg" / ".statelint.yaml").write_text("ignore: [SL301]\n")
    (project / "main.py").write_text(LOOPBACK)
    assert codes(project / "pkg") == ["SL302"]
    # From the top too, each file is checked with the closest configuration above it (as in ruff).
    run = check_json(".", cwd=project)
    assert [(f["path"], f["code"]) for f in run.findings] == [("main.py", "SL301"), ("pkg/sub/srv.py", "SL302")]


def test_select_extend_select_and_per_file_ignores(project: Path) -> None:
    (project / ".statelint.yaml").write_text(
        "select: [SL301]\nextend-select: [SL302]\nper-file-ignores:\n  'pkg/sub/*.py': [SL301]\n"
    )
    assert codes(project) == ["SL302"]


def test_exclude_patterns_are_relative_to_the_config_file(project: Path) -> None:
    (project / ".statelint.yaml").write_text("exclude: [pkg/sub]\n")
    (project / "main.py").write_text(LOOPBACK)
    assert [f["path"] for f in check_json(".", cwd=project).findings] == ["main.py", "main.py"]


def test_command_line_overrides_config_select(project: Path) -> None:
    (project / ".statelint.yaml").write_text("select: [SL301]\n")
    assert codes(project, ".") == ["SL301"]
    run = check_json(".", cwd=project, select="SL302")
    assert [f["code"] for f in run.findings] == ["SL302"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (".statelint.yaml", "selct: [SL3]\n", ".statelint.yaml: selct: unknown key"),
        (".statelint.yaml", "select: [SL999]\n", ".statelint.yaml: select: unknown rule code or prefix 'SL999'"),
        (".statelint.yaml", "select: SL3\n", ".statelint.yaml: select: expected a list of strings"),
        (".statelint.yaml", "options:\n  SL303:\n    follow-parameters: 'yes'\n", ".statelint.yaml: options.SL303.follow-parameters: expected bool, got str"),
        (".statelint.yaml", "options:\n  SL303:\n    nope: 1\n", ".statelint.yaml: options.SL303.nope: unknown option"),
        (".statelint.yaml", "options:\n  SL999: {}\n", ".statelint.yaml: options.SL999: unknown rule code"),
        (".statelint.yaml", "per-file-ignores:\n  'a.py': SL3\n", ".statelint.yaml: per-file-ignores.a.py: expected a list of rule codes"),
        (".statelint.yaml", "select: [SL3\n", ".statelint.yaml: invalid YAML"),
        (".statelint.yaml", "- a\n- b\n", ".statelint.yaml: top level: expected a mapping"),
        ("pyproject.toml", "[tool.statelint]\nignore = [\n", "pyproject.toml: invalid TOML"),
        ("pyproject.toml", '[tool.statelint]\nrespect-gitignore = "no"\n', "pyproject.toml: tool.statelint.respect-gitignore: expected true or false"),
        ("pyproject.toml", '[tool.statelint]\nextend-select = ["XX1"]\n', "pyproject.toml: tool.statelint.extend-select: unknown rule code or prefix 'XX1'"),
    ],
)
def test_invalid_config_exits_2_with_one_line(project: Path, name: str, content: str, message: str) -> None:
    (project / name).write_text(content)
    run = run_cli("check", ".", cwd=project)
    assert run.exit_code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("statelint: error: ")
    assert message in lines[0]
    assert str(project / name) in lines[0] or lines[0].split("error: ", 1)[1].startswith(name)


def test_yaml_python_tags_are_rejected_never_constructed(project: Path) -> None:
    marker = project / "pwned"
    (project / ".statelint.yaml").write_text(f"select: !!python/object/apply:os.system ['touch {marker}']\n")
    run = run_cli("check", ".", cwd=project)
    assert run.exit_code == 2
    assert "invalid YAML" in run.stderr
    assert not marker.exists()
