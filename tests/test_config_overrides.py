"""Per-path configuration: per-file-ignores and overrides of select/ignore/options."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

# SL301 (explicit loopback), SL302 (no host) and SL303 (a parameter defaulting to loopback).
SERVER = 'import uvicorn\nuvicorn.run(app, host="127.0.0.1")\nuvicorn.run(app)\n\n\ndef serve(host="localhost"):\n    uvicorn.run(app, host=host)\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Folders with neutral names: ``tests/``, ``scripts/`` and ``test_*.py`` are not deployed by default (not reported)."""
    for path in ("svc/app.py", "jobs/app_job.py", "jobs/unit/deep_job.py", "ops/dev.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(SERVER)
    return tmp_path


def findings(cwd: Path, *paths: str) -> list[tuple[str, str, int]]:
    run = check_json(*(paths or (".",)), cwd=cwd)
    assert run.exit_code in (0, 1), run.stderr
    return [(f["path"], f["code"], f["line"]) for f in run.findings]


def all_three(path: str) -> list[tuple[str, str, int]]:
    return [(path, "SL301", 2), (path, "SL302", 3), (path, "SL303", 7)]


def test_override_ignore_select_and_extend_select_per_path(project: Path) -> None:
    (project / ".statelint.yaml").write_text(
        "ignore: [SL303]\n"
        "overrides:\n"
        "  - path: jobs/**\n"
        "    ignore: [SL3]\n"
        "  - path: [ops/*.py]\n"
        "    select: [SL301]\n"
        "  - path: svc/\n"
        "    extend-select: [SL303]\n"
    )
    assert findings(project) == [
        ("ops/dev.py", "SL301", 2),  # select replaces the set for the path
        *all_three("svc/app.py"),  # extend-select brings back what the global ignore removed
        # jobs/** and jobs/unit/**: every SL3 rule ignored
    ]


def test_overrides_apply_in_order(project: Path) -> None:
    (project / ".statelint.yaml").write_text(
        "overrides:\n"
        "  - path: jobs/\n"
        "    ignore: [SL3]\n"
        "  - path: jobs/unit/\n"
        "    extend-select: [SL302]\n"
    )
    assert findings(project, "jobs") == [("jobs/unit/deep_job.py", "SL302", 3)]


def test_override_options_per_path(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.statelint]\n"
        "[[tool.statelint.overrides]]\n"
        'path = "ops/**"\n'
        "options = { SL303 = { follow-parameters = false } }\n"
    )
    assert findings(project, "ops", "svc") == [
        ("ops/dev.py", "SL301", 2),
        ("ops/dev.py", "SL302", 3),  # no SL303: parameters are not followed here
        *all_three("svc/app.py"),
    ]


def test_global_options_still_apply_and_overrides_merge_on_top(project: Path) -> None:
    (project / ".statelint.yaml").write_text(
        "options:\n  SL303:\n    follow-parameters: false\n"
        "overrides:\n  - path: svc\n    options:\n      SL303:\n        follow-parameters: true\n"
    )
    assert findings(project, "svc", "ops") == [
        ("ops/dev.py", "SL301", 2),
        ("ops/dev.py", "SL302", 3),
        *all_three("svc/app.py"),
    ]


def test_override_can_enable_a_rule_that_is_off_by_default(project: Path) -> None:
    (project / ".statelint.yaml").write_text("overrides:\n  - path: svc/\n    extend-select: [SL002]\n")
    for path in ("svc/app.py", "ops/dev.py"):
        (project / path).write_text("import uvicorn\nuvicorn.run(app)  # statelint: ignore[SL301]\n")
    assert findings(project, "svc", "ops") == [
        ("ops/dev.py", "SL302", 2),
        ("svc/app.py", "SL302", 2),
        ("svc/app.py", "SL002", 2),  # the comment, further right on the line
    ]


def test_patterns_are_relative_to_the_config_file_from_any_directory(project: Path) -> None:
    (project / ".statelint.yaml").write_text(
        "per-file-ignores:\n  'svc/app.py': [SL302]\noverrides:\n  - path: svc/*.py\n    ignore: [SL303]\n"
    )
    expected = [("app.py", "SL301", 2)]
    assert findings(project / "svc") == expected
    assert findings(project) == [
        *all_three("jobs/app_job.py"), *all_three("jobs/unit/deep_job.py"),
        ("ops/dev.py", "SL301", 2), ("ops/dev.py", "SL302", 3), ("ops/dev.py", "SL303", 7),
        ("svc/app.py", "SL301", 2),
    ]


def test_per_file_ignores_by_file_name_glob(project: Path) -> None:
    (project / ".statelint.yaml").write_text("per-file-ignores:\n  '*_job.py': [SL3]\n")
    assert [path for path, _, _ in findings(project)] == ["ops/dev.py"] * 3 + ["svc/app.py"] * 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("overrides: {path: x}\n", "overrides: expected a list of tables"),
        ("overrides: [x]\n", "overrides[0]: expected a table"),
        ("overrides:\n  - ignore: [SL3]\n", "overrides[0].path: expected a glob or a non-empty list of globs"),
        ("overrides:\n  - path: []\n", "overrides[0].path: expected a glob or a non-empty list of globs"),
        ("overrides:\n  - path: a\n  - path: b\n    ignores: [SL3]\n", "overrides[1].ignores: unknown key (known: extend-select, ignore, options, path, select)"),
        ("overrides:\n  - path: a\n    ignore: SL3\n", "overrides[0].ignore: expected a list of strings"),
        ("overrides:\n  - path: a\n    select: [SL999]\n", "overrides[0].select: unknown rule code or prefix 'SL999'"),
        ("overrides:\n  - path: a\n    options:\n      SL303:\n        follow-parameters: 1\n", "overrides[0].options.SL303.follow-parameters: expected bool, got int"),
        ("overrides:\n  - path: a\n    options:\n      SL303:\n        nope: true\n", "overrides[0].options.SL303.nope: unknown option"),
        ("overrides:\n  - path: a\n    options:\n      SL999: {}\n", "overrides[0].options.SL999: unknown rule code"),
    ],
)
def test_invalid_overrides_exit_2_with_one_line(project: Path, content: str, message: str) -> None:
    (project / ".statelint.yaml").write_text(content)
    run = run_cli("check", ".", cwd=project)
    assert run.exit_code == 2
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"statelint: error: {project / '.statelint.yaml'}: {message}") or line.startswith(
        f"statelint: error: .statelint.yaml: {message}"
    ), line


def test_invalid_override_in_pyproject_names_the_table(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.statelint]\n[[tool.statelint.overrides]]\npath = "a"\nselect = ["SL9"]\n')
    run = run_cli("check", ".", cwd=project)
    assert run.exit_code == 2
    assert run.stderr.strip().endswith("pyproject.toml: tool.statelint.overrides[0].select: unknown rule code or prefix 'SL9'")


def test_command_line_ignore_wins_over_overrides(project: Path) -> None:
    (project / ".statelint.yaml").write_text("ignore: [SL303]\noverrides:\n  - path: svc/\n    extend-select: [SL303]\n")
    assert findings(project, "svc") == all_three("svc/app.py")
    run = check_json("svc", cwd=project, extra=("--ignore", "SL303"))
    assert [(f["path"], f["code"], f["line"]) for f in run.findings] == all_three("svc/app.py")[:2]
