"""--write-baseline / --baseline: adopt statelint on a codebase that already has findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

SERVICE = """\
import uvicorn


def main(app):
    uvicorn.run(app, host="127.0.0.1")
    uvicorn.run(app)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.statelint]\nselect = ["SL3"]\n')
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "main.py").write_text(SERVICE)
    return tmp_path


def write_baseline(cwd: Path, target: str = "baseline.json", *paths: str) -> None:
    run = run_cli("check", "--write-baseline", target, *(paths or (".",)), cwd=cwd)
    assert run.exit_code == 0, run.stderr
    assert run.stdout == ""


def checked(cwd: Path, baseline: str = "baseline.json", *paths: str) -> tuple[list[tuple[str, int]], str]:
    run = check_json(*(paths or (".",)), cwd=cwd, extra=("--baseline", baseline))
    assert run.exit_code in (0, 1), run.stderr
    assert run.exit_code == (1 if run.findings else 0)
    return [(f["code"], f["line"]) for f in run.findings], run.stderr


def test_write_baseline_records_every_finding_and_exits_0(project: Path) -> None:
    run = run_cli("check", "--write-baseline", "baseline.json", ".", cwd=project)
    assert run.exit_code == 0
    assert run.stderr == "statelint: recorded 2 findings in the baseline baseline.json\n"
    data = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert data["statelint-baseline"] == 1
    assert [(e["code"], e["path"], e["line"]) for e in data["findings"]] == [("SL301", "svc/main.py", 5), ("SL302", "svc/main.py", 6)]
    expected = [f["fingerprint"] for f in check_json(".", cwd=project).findings]
    assert [e["fingerprint"] for e in data["findings"]] == expected
    # No temporary file left behind (the result cache is statelint's own, and allowed).
    assert sorted(p.name for p in project.iterdir() if p.name != ".statelint_cache") == ["baseline.json", "pyproject.toml", "svc"]


def test_round_trip_survives_lines_added_above_and_reports_new_findings(project: Path) -> None:
    write_baseline(project)
    assert checked(project) == ([], "statelint: 2 findings hidden by the baseline baseline.json\n")

    # Lines added above, and a flagged line re-indented: the recorded findings stay hidden.
    shifted = '"""Service entry point."""\nimport os\n\n\n' + SERVICE.replace(
        "def main(app):", "def main(app):\n    if os.environ.get('X'):\n        pass"
    ).replace("    uvicorn.run(app)\n", "    if app:\n        uvicorn.run(app)\n")
    (project / "svc" / "main.py").write_text(shifted)
    assert checked(project)[0] == []

    # A second, identical finding in the same file is new; so is a different one.
    (project / "svc" / "main.py").write_text(shifted + '    uvicorn.run(app, host="127.0.0.1")\n    uvicorn.run(app, host="localhost")\n')
    found, stderr = checked(project)
    assert found == [("SL301", 14), ("SL301", 15)]
    assert stderr == "statelint: 2 findings hidden by the baseline baseline.json\n"


def test_fixed_findings_simply_drop_out(project: Path) -> None:
    write_baseline(project)
    (project / "svc" / "main.py").write_text(SERVICE.replace('    uvicorn.run(app, host="127.0.0.1")\n', ""))
    assert checked(project) == ([], "statelint: 1 finding hidden by the baseline baseline.json\n")


def test_baseline_matches_from_a_subdirectory_and_for_a_subset_of_paths(project: Path) -> None:
    write_baseline(project)
    assert checked(project / "svc", "../baseline.json")[0] == []
    assert checked(project, "baseline.json", "svc/main.py")[0] == []


def test_quiet_says_nothing_on_stderr(project: Path) -> None:
    run = run_cli("check", "--quiet", "--write-baseline", "b.json", ".", cwd=project)
    assert (run.exit_code, run.stderr) == (0, "")
    run = run_cli("check", "--quiet", "--baseline", "b.json", ".", cwd=project)
    assert (run.exit_code, run.stdout, run.stderr) == (0, "", "")


def test_rewriting_a_baseline_replaces_it_atomically(project: Path) -> None:
    (project / "baseline.json").write_text("stale")
    write_baseline(project)
    assert json.loads((project / "baseline.json").read_text())["statelint-baseline"] == 1
    # --baseline with --write-baseline records everything found now (a refresh).
    run = run_cli("check", "--baseline", "baseline.json", "--write-baseline", "baseline.json", ".", cwd=project)
    assert run.exit_code == 0 and len(json.loads((project / "baseline.json").read_text())["findings"]) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "missing.json: no such baseline file (create it with --write-baseline)"),
        ("{", "bad.json: invalid JSON"),
        ('{"findings": []}', 'bad.json: not a statelint baseline (expected "statelint-baseline": 1)'),
        ('{"statelint-baseline": 1, "findings": [{"code": "SL301"}]}', "bad.json: findings: expected a list of objects with a fingerprint"),
    ],
)
def test_unusable_baseline_exits_2_with_one_line(project: Path, content: str | None, message: str) -> None:
    name = "missing.json" if content is None else "bad.json"
    if content is not None:
        (project / name).write_text(content)
    run = run_cli("check", "--baseline", name, ".", cwd=project)
    assert run.exit_code == 2
    assert run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"statelint: error: {message}")


def test_unwritable_baseline_exits_2(project: Path) -> None:
    run = run_cli("check", "--write-baseline", "no/such/dir/baseline.json", ".", cwd=project)
    assert run.exit_code == 2
    assert run.stderr.startswith("statelint: error: no/such/dir/baseline.json: cannot write baseline:")
