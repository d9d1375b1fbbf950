"""The command line as users meet it: commands, options, output formats and exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from statelint import __version__
from statelint.catalog import load_catalog
from tests.helpers import check_json, run_cli

LOOPBACK = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="127.0.0.1")\n'
CLEAN = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="0.0.0.0")\n'
ANSI = re.compile(r"\x1b\[")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app.py").write_text(LOOPBACK)
    (tmp_path / "svc" / "ok.py").write_text(CLEAN)
    return tmp_path


def test_version() -> None:
    run = run_cli("--version")
    assert run.exit_code == 0
    assert run.stdout.strip() == f"statelint {__version__}"


def test_rules_lists_every_catalog_rule() -> None:
    run = run_cli("rules", "--output-format", "json")
    assert run.exit_code == 0
    codes = [rule["code"] for rule in json.loads(run.stdout)]
    assert {"SL001", "SL301", "SL302", "SL303"} <= set(codes)
    assert codes == sorted(codes)
    table = run_cli("rules")
    assert "SL301" in table.stdout and "explicit-loopback-bind" in table.stdout


def test_rule_prints_the_docs() -> None:
    run = run_cli("rule", "sl302")
    assert run.exit_code == 0
    for heading in ("# SL302 (loopback-by-default)", "## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Options", "## References"):
        assert heading in run.stdout
    assert "app.run()" in run.stdout


def _summary_cells(stdout: str, codes: list[str]) -> dict[str, str]:
    """Each rule's summary as ``statelint rules`` printed it, its lines joined with spaces."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in stdout.splitlines()[1:]:
        if line[:5] in codes:
            current = line[:5]
            found[current] = [line.split(None, 4)[4]] if len(line.split(None, 4)) == 5 else []
        else:
            found[current].append(line.strip())
    return {code: " ".join(parts) for code, parts in found.items()}


def test_rules_table_wraps_the_summary_to_the_terminal_width_at_spaces() -> None:
    catalog = load_catalog()
    codes = list(catalog.rules)
    wide = run_cli("rules", env={"COLUMNS": "100"}).stdout
    assert max(map(len, wide.splitlines())) <= 100
    assert len(wide.splitlines()) > len(codes) + 1  # some summaries took more than one line
    assert _summary_cells(wide, codes) == {code: doc.summary for code, doc in catalog.rules.items()}
    narrow = run_cli("rules", env={"COLUMNS": "72"}).stdout  # too narrow beside the other columns: below them
    assert narrow.splitlines()[:3] == ["Code   Name                                      Severity  Default", "    Summary", narrow.splitlines()[2]]
    assert max(map(len, narrow.splitlines())) <= 72
    assert all(line.startswith(("SL", "    ")) for line in narrow.splitlines()[2:])
    piped = run_cli("rules", env={"COLUMNS": ""}).stdout  # a pipe: one line per rule, for grep
    assert len(piped.splitlines()) == len(codes) + 1
    assert _summary_cells(piped, codes) == {code: doc.summary for code, doc in catalog.rules.items()}


def test_rule_wraps_prose_to_the_terminal_width_and_leaves_code_alone() -> None:
    doc = load_catalog().rules["SL303"]
    text = run_cli("rule", "SL303", env={"COLUMNS": "60"}).stdout
    sections = text.split("\n## ")
    what = sections[1].removeprefix("What it does\n").strip()
    assert what.replace("\n", " ") == doc.what and max(map(len, what.splitlines())) <= 60
    assert f"```python\n{doc.example}\n```" in sections[3]  # code keeps its lines, however long
    code = set(doc.example.splitlines()) | set(doc.use_instead.splitlines())
    assert all(len(line) <= 60 for line in text.splitlines() if line not in code and not line.startswith("- http"))
    assert run_cli("rule", "SL303", env={"COLUMNS": ""}).stdout.count(doc.what) == 1  # a pipe: whole paragraphs


def test_rules_json_carries_each_rule_s_documentation_and_options() -> None:
    records = {record["code"]: record for record in json.loads(run_cli("rules", "--output-format", "json").stdout)}
    doc = load_catalog().rules["SL303"]
    assert records["SL303"] == {
        "code": "SL303",
        "name": "loopback-configurable-default",
        "family": "SL3",
        "family_name": "Loopback-only binds",
        "severity": "warning",
        "default_enabled": True,
        "summary": doc.summary,
        "what": doc.what,
        "why": doc.why,
        "example": doc.example,
        "use_instead": doc.use_instead,
        "example_language": "python",
        "hint": doc.hint,
        "options": [
            {
                "name": "follow-parameters",
                "type": "bool",
                "default": True,
                "description": "Treat a function parameter whose default is loopback as a configurable default.",
            }
        ],
        "references": list(doc.references),
    }
    assert records["SL002"]["default_enabled"] is False and records["SL001"]["options"] == []


def test_rule_with_unknown_code_is_a_usage_error() -> None:
    run = run_cli("rule", "SL999")
    assert run.exit_code == 2
    assert "unknown rule code 'SL999'" in run.stderr


def test_exit_codes(project: Path) -> None:
    assert run_cli("check", "svc/ok.py", cwd=project).exit_code == 0
    assert run_cli("check", "svc", cwd=project).exit_code == 1
    assert run_cli("check", "--exit-zero", "svc", cwd=project).exit_code == 0
    assert run_cli("check", "--select", "SL999", "svc", cwd=project).exit_code == 2
    assert run_cli("check", "--no-such-option", cwd=project).exit_code == 2
    missing = run_cli("check", "nope.py", cwd=project)
    assert missing.exit_code == 2 and "nope.py: no such file or directory" in missing.stderr
    assert "All checks passed" not in missing.stdout  # the run did not check what it was asked to
    assert missing.stdout.strip().endswith("No findings in 0 files scanned, but 1 path does not exist (reported above).")


def test_default_path_is_the_working_directory(project: Path) -> None:
    run = run_cli("check", "--output-format", "json", cwd=project)
    assert [(f["path"], f["line"]) for f in json.loads(run.stdout)] == [("svc/app.py", 3)]


def test_json_output_fields_and_order(project: Path) -> None:
    (project / "svc" / "b.py").write_text('import uvicorn\nuvicorn.run(app)\nuvicorn.run(app, host="localhost")\n')
    run = check_json(".", cwd=project)
    assert run.exit_code == 1
    records = run.findings
    assert [(f["path"], f["line"], f["column"], f["code"]) for f in records] == [
        ("svc/app.py", 3, 14, "SL301"),
        ("svc/b.py", 2, 1, "SL302"),
        ("svc/b.py", 3, 23, "SL301"),
    ]
    first = records[0]
    assert first["name"] == "explicit-loopback-bind"
    assert first["severity"] == "error"
    assert (first["end_line"], first["end_column"]) == (3, 25)
    assert "loopback address '127.0.0.1'" in first["message"]
    assert re.fullmatch(r"[0-9a-f]{16}", first["fingerprint"])
    assert check_json(".", cwd=project).findings == records  # stable across runs


def test_full_output_shows_source_marker_hint_and_summary(project: Path) -> None:
    run = run_cli("check", "svc", cwd=project)
    lines = run.stdout.splitlines()
    assert lines[0].startswith("svc/app.py:3:14: SL301 [explicit-loopback-bind] error: Flask development server (app.run) binds to loopback")
    assert lines[1:4] == [
        "  |",
        '3 | app.run(host="127.0.0.1")',
        "  |              ^^^^^^^^^^^",
    ]
    assert lines[4].startswith("  = hint: Nothing outside the container can reach a server on loopback")
    assert "Found 1 finding (1 error) in 1 of 2 files scanned." in lines
    assert "  SL3  Loopback-only binds: 1" in lines
    assert not ANSI.search(run.stdout)  # not a terminal: no colour


def test_concise_and_quiet(project: Path) -> None:
    run = run_cli("check", "--output-format", "concise", "svc", cwd=project)
    assert run.stdout.splitlines()[0] == (
        "svc/app.py:3:14: SL301 [explicit-loopback-bind] error: Flask development server (app.run) binds to loopback address "
        "'127.0.0.1'"
    )
    assert run.stdout.splitlines()[-1] == "Found 1 finding (1 error) in 1 of 2 files scanned."
    quiet = run_cli("check", "--output-format", "concise", "--quiet", "svc", cwd=project)
    assert len(quiet.stdout.splitlines()) == 1


def test_output_format_from_environment(project: Path) -> None:
    run = run_cli("check", "svc", cwd=project, env={"STATELINT_OUTPUT_FORMAT": "json"})
    assert json.loads(run.stdout)[0]["code"] == "SL301"


def test_output_file(project: Path) -> None:
    run = run_cli("check", "--output-format", "json", "-o", "report.json", "svc", cwd=project)
    assert run.exit_code == 1
    assert run.stdout == ""
    assert json.loads((project / "report.json").read_text())[0]["code"] == "SL301"
    assert [p.name for p in project.iterdir() if p.name.startswith(".report")] == []  # no temp file left


def test_select_ignore_and_extend_select_take_codes_and_prefixes(project: Path) -> None:
    (project / "svc" / "b.py").write_text('import uvicorn\nuvicorn.run(app)\nuvicorn.run(app, host="localhost")\n')
    codes = lambda *args: sorted({f["code"] for f in check_json("svc", cwd=project, extra=args).findings})  # noqa: E731
    assert codes() == ["SL301", "SL302"]
    assert codes("--select", "SL302") == ["SL302"]
    assert codes("--select", "SL3", "--ignore", "SL301") == ["SL302"]
    assert codes("--select", "SL301,SL302") == ["SL301", "SL302"]
    assert codes("--select", "SL001", "--extend-select", "SL30") == ["SL301", "SL302"]
    assert codes("--ignore", "SL3") == []


def test_exclude_extend_exclude_and_force_exclude(project: Path) -> None:
    (project / "generated").mkdir()
    (project / "generated" / "srv.py").write_text(LOOPBACK)
    paths = lambda *args: sorted({f["path"] for f in check_json(*args, cwd=project).findings})  # noqa: E731
    assert paths(".") == ["generated/srv.py", "svc/app.py"]
    assert paths(".", "--extend-exclude", "generated") == ["svc/app.py"]
    assert paths(".", "--exclude", "svc/app.py") == ["generated/srv.py"]
    # A file named on the command line is checked unless --force-exclude (pre-commit passes files).
    assert paths("generated/srv.py", "--extend-exclude", "generated") == ["generated/srv.py"]
    assert paths("generated/srv.py", "--extend-exclude", "generated", "--force-exclude") == []


def test_no_color_flag_and_environment(project: Path) -> None:
    for run in (
        run_cli("check", "--no-color", "svc", cwd=project),
        run_cli("check", "svc", cwd=project, env={"NO_COLOR": "1"}),
    ):
        assert run.exit_code == 1
        assert not ANSI.search(run.stdout)


def test_colour_forced_by_flag_or_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("statelint.cli._stdout_is_terminal", lambda: False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert not ANSI.search(run_cli("check", "svc", cwd=project).stdout)  # a pipe: plain
    assert ANSI.search(run_cli("check", "--color", "always", "svc", cwd=project).stdout)
    assert ANSI.search(run_cli("check", "svc", cwd=project, env={"FORCE_COLOR": "1"}).stdout)
    assert not ANSI.search(run_cli("check", "svc", cwd=project, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout)
    assert not ANSI.search(run_cli("check", "--color", "never", "svc", cwd=project, env={"FORCE_COLOR": "1"}).stdout)
    assert run_cli("check", "--color", "sometimes", "svc", cwd=project).exit_code == 2


def test_colour_when_stdout_is_a_terminal(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("statelint.cli._stdout_is_terminal", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert ANSI.search(run_cli("check", "svc", cwd=project).stdout)
    assert not ANSI.search(run_cli("check", "--no-color", "svc", cwd=project).stdout)
    assert not ANSI.search(run_cli("check", "svc", cwd=project, env={"NO_COLOR": "1"}).stdout)


def test_config_option_points_at_a_file(project: Path) -> None:
    (project / "custom.yaml").write_text("ignore: [SL301]\n")
    assert run_cli("check", "--config", "custom.yaml", "svc", cwd=project).exit_code == 0
    bad = run_cli("check", "--config", "absent.yaml", "svc", cwd=project)
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "statelint: error: absent.yaml: no such config file"


def test_unparseable_file_is_a_finding_and_the_scan_goes_on(project: Path) -> None:
    (project / "svc" / "broken.py").write_text("def f(:\n    pass\n")
    run = check_json("svc", cwd=project)
    assert run.exit_code == 1
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("svc/app.py", "SL301", 3, 14),
        ("svc/broken.py", "SL001", 1, 7),
    ]
    assert run.findings[1]["message"].startswith("cannot parse file:")


def test_rule_crash_is_reported_with_file_and_rule_and_exit_2(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from statelint.rules.sl3 import binds as sl3_binds

    (project / "svc" / "b.py").write_text('import uvicorn\nuvicorn.run(app, host="localhost")\n')

    def explode(self: object, site: object) -> None:
        if self.ctx.path.endswith("b.py"):  # type: ignore[attr-defined]
            raise ValueError("boom")
        original(self, site)

    original = sl3_binds.ExplicitLoopbackBind.judge
    monkeypatch.setattr(sl3_binds.ExplicitLoopbackBind, "judge", explode)
    run = check_json("svc", cwd=project, extra=("--jobs", "1"))
    assert run.exit_code == 2
    assert "statelint: error: svc/b.py: rule SL301 failed: ValueError: boom" in run.stderr
    assert "Traceback" not in run.stderr
    assert [f["path"] for f in run.findings] == ["svc/app.py"]  # the other file still reported


def _installed_command() -> str:
    found = shutil.which("statelint") or str(Path(sys.executable).parent / "statelint")
    assert Path(found).exists(), "the statelint console script is not installed"
    return found


def test_installed_console_script_in_a_subprocess(project: Path) -> None:
    result = subprocess.run(
        [_installed_command(), "check", "--output-format", "concise", "svc"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("svc/app.py:3:14: SL301 ")
    version = subprocess.run([sys.executable, "-m", "statelint", "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"statelint {__version__}"


def test_output_file_in_a_missing_folder_fails_before_the_scan(project: Path) -> None:
    (project / "svc" / "broken.py").write_text("def (\n")
    run = run_cli("check", "-o", "reports/ci/x.sarif", "--output-format", "sarif", "svc", cwd=project)
    assert run.exit_code == 2
    assert run.stderr.strip() == "statelint: error: --output-file reports/ci/x.sarif: the folder reports/ci does not exist (create it first)"
    assert run.stdout == ""  # nothing scanned: no report, no summary
    assert not (project / ".statelint_cache").exists()
    (project / "report").write_text("")
    on_a_file = run_cli("check", "-o", "report/x.json", "svc", cwd=project)
    assert on_a_file.exit_code == 2 and "report is not a folder" in on_a_file.stderr


def test_a_folder_with_nothing_to_check_says_why(tmp_path: Path) -> None:
    pyenv = tmp_path / "pyenv"  # a pyenv-installed stdlib: its repository's .gitignore hides versions/
    (pyenv / ".git").mkdir(parents=True)
    (pyenv / ".gitignore").write_text("/versions/\n")
    (pyenv / "versions" / "3.12" / "lib").mkdir(parents=True)
    (pyenv / "versions" / "3.12" / "lib" / "app.py").write_text(LOOPBACK)
    hidden = run_cli("check", "--no-color", "pyenv/versions/3.12/lib", cwd=tmp_path)
    assert hidden.exit_code == 0
    assert hidden.stderr == (
        f"statelint: warning: pyenv/versions/3.12/lib: no file to check: it is ignored by {pyenv / '.gitignore'} "
        f"of the git repository {pyenv} (set respect-gitignore = false in the configuration to check it)\n"
    )
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.py").write_text(LOOPBACK)
    excluded = run_cli("check", "build", cwd=tmp_path)
    assert excluded.stderr == "statelint: warning: build: no file to check: the folder build is excluded by the pattern 'build'\n"
    (tmp_path / "empty").mkdir()
    empty = run_cli("check", "empty", cwd=tmp_path)
    assert "empty: no file to check: it holds no Python file that is not excluded or ignored by a .gitignore" in empty.stderr
    checked = run_cli("check", "--output-format", "concise", "pyenv", "build/app.py", cwd=tmp_path)
    assert checked.exit_code == 1 and checked.stderr == ""  # a run that checked something warns of nothing


def test_an_invalid_regex_option_is_reported_with_re_s_reason(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.statelint.options.SL601]\nhealth-paths = "(health"\n')
    toml = run_cli("check", "svc", cwd=project)
    assert toml.exit_code == 2
    assert toml.stderr.strip() == (
        f"statelint: error: {project / 'pyproject.toml'}: tool.statelint.options.SL601.health-paths: "
        "invalid regular expression '(health': missing ), unterminated subpattern at position 0"
    )
    (project / ".statelint.yaml").write_text("options:\n  SL601:\n    health-paths: '[z-a]'\n")
    yaml = run_cli("check", "svc", cwd=project)
    assert yaml.exit_code == 2
    assert "options.SL601.health-paths: invalid regular expression '[z-a]': bad character range z-a" in yaml.stderr
    (project / ".statelint.yaml").write_text("options:\n  SL601:\n    health-paths: 3\n")
    assert "options.SL601.health-paths: expected regex, got int" in run_cli("check", "svc", cwd=project).stderr


def test_show_files_lists_what_a_run_would_check_without_scanning(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.statelint]\nextend-exclude = ['build']\n")
    (tmp_path / "app.py").write_text("SESSIONS = {}\n")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "jobs.py").write_text("")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "gen.py").write_text("")  # excluded
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "deploy.yaml").write_text("kind: Deployment\n")  # a manifest the SL6 rules read
    (tmp_path / "notes.txt").write_text("")  # no rule reads it
    run = run_cli("check", "--show-files", ".", cwd=tmp_path)
    assert (run.exit_code, run.stdout.splitlines()) == (0, ["app.py", "k8s/deploy.yaml", "svc/jobs.py"])
    assert not (tmp_path / ".statelint_cache").exists()  # nothing was scanned
    narrowed = run_cli("check", "--show-files", "--select", "SL1", "svc", "missing.py", cwd=tmp_path)
    assert (narrowed.exit_code, narrowed.stdout.splitlines()) == (2, ["svc/jobs.py"])
    assert "missing.py: no such file or directory" in narrowed.stderr
    stdin = run_cli("check", "--show-files", "--stdin-filename", "svc/jobs.py", "-", cwd=tmp_path, input="X = 1\n")
    assert (stdin.exit_code, stdin.stdout) == (0, "svc/jobs.py\n")


CONFIGURED = 'import os\nimport uvicorn\nuvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"))\n'  # SL303, a warning


def test_severity_is_written_out_and_selects_what_is_reported(project: Path) -> None:
    (project / "svc" / "cfg.py").write_text(CONFIGURED)
    lines = run_cli("check", "--output-format", "concise", "svc", cwd=project).stdout.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines[:2]] == [
        ["svc/app.py:3:14", "SL301 [explicit-loopback-bind] error"],
        ["svc/cfg.py:3:23", "SL303 [loopback-configurable-default] warning"],
    ]
    assert lines[2] == "Found 2 findings (1 error, 1 warning) in 2 of 3 files scanned."
    full = run_cli("check", "--no-color", "svc/cfg.py", cwd=project).stdout
    assert full.startswith("svc/cfg.py:3:23: SL303 [loopback-configurable-default] warning: uvicorn.run falls back to")
    errors = run_cli("check", "--output-format", "concise", "--severity", "error", "svc", cwd=project)
    assert errors.exit_code == 1
    assert errors.stdout.splitlines() == [
        "svc/app.py:3:14: SL301 [explicit-loopback-bind] error: Flask development server (app.run) binds to loopback address "
        "'127.0.0.1'",
        "Found 1 finding (1 error) in 1 of 3 files scanned.",
    ]
    assert errors.stderr == "statelint: 1 finding below error not reported (--severity)\n"
    warnings = run_cli("check", "--output-format", "json", "--severity", "warning", "svc", cwd=project)
    assert [f["code"] for f in json.loads(warnings.stdout)] == ["SL301", "SL303"] and warnings.stderr == ""
    only_warning = run_cli("check", "--severity", "error", "svc/cfg.py", cwd=project)
    assert only_warning.exit_code == 0 and only_warning.stdout == "All checks passed (1 file scanned).\n"


def test_fail_on_reports_everything_and_fails_only_on_the_severity_given(project: Path) -> None:
    (project / "svc" / "cfg.py").write_text(CONFIGURED)
    warning = run_cli("check", "--output-format", "concise", "--fail-on", "error", "svc/cfg.py", cwd=project)
    assert warning.exit_code == 0
    assert warning.stdout.startswith("svc/cfg.py:3:23: SL303 [loopback-configurable-default] warning: ")
    assert run_cli("check", "--fail-on", "warning", "svc/cfg.py", cwd=project).exit_code == 1
    assert run_cli("check", "--fail-on", "error", "svc", cwd=project).exit_code == 1
    assert run_cli("check", "--fail-on", "error", "--exit-zero", "svc", cwd=project).exit_code == 0
    assert run_cli("check", "--fail-on", "fatal", "svc", cwd=project).exit_code == 2


def test_severity_and_fail_on_from_the_configuration_the_command_line_winning(project: Path) -> None:
    (project / "svc" / "cfg.py").write_text(CONFIGURED)
    (project / "pyproject.toml").write_text('[tool.statelint]\nseverity = "error"\n')
    errors = run_cli("check", "--output-format", "concise", "svc", cwd=project)
    assert errors.exit_code == 1
    assert [line.split(": ")[0] for line in errors.stdout.splitlines()[:-1]] == ["svc/app.py:3:14"]
    assert errors.stderr == "statelint: 1 finding below error not reported (severity in the configuration)\n"
    both = run_cli("check", "--output-format", "json", "--severity", "warning", "svc", cwd=project)
    assert ([f["code"] for f in json.loads(both.stdout)], both.stderr) == (["SL301", "SL303"], "")
    # fail-on: the warning is reported, and fails the run only when the command line says so
    (project / "pyproject.toml").write_text('[tool.statelint]\nfail-on = "error"\n')
    warning = run_cli("check", "--output-format", "concise", "svc/cfg.py", cwd=project)
    assert warning.exit_code == 0
    assert warning.stdout.startswith("svc/cfg.py:3:23: SL303 [loopback-configurable-default] warning: ")
    assert run_cli("check", "--fail-on", "warning", "svc/cfg.py", cwd=project).exit_code == 1
    assert run_cli("check", "svc", cwd=project).exit_code == 1  # the SL301 error fails it
    # the same keys in a .statelint.yaml
    (project / "pyproject.toml").unlink()
    (project / ".statelint.yaml").write_text("severity: error\nfail-on: error\n")
    assert run_cli("check", "svc/cfg.py", cwd=project).exit_code == 0
    assert run_cli("check", "--severity", "info", "svc/cfg.py", cwd=project).exit_code == 0  # reported, not failing


def test_each_project_is_filtered_and_fails_by_its_own_configuration(tmp_path: Path) -> None:
    for name in ("api", "jobs"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "cfg.py").write_text(CONFIGURED)  # a warning each
    (tmp_path / "api" / "pyproject.toml").write_text('[tool.statelint]\nfail-on = "error"\n')
    (tmp_path / "jobs" / ".statelint.toml").write_text('severity = "error"\n')
    run = run_cli("check", "--output-format", "concise", "api", "jobs", cwd=tmp_path)
    assert run.stdout.splitlines()[0].startswith("api/cfg.py:3:23: SL303")  # jobs' warning is not reported
    assert run.stderr == "statelint: 1 finding below error not reported (severity in the configuration)\n"
    assert run.exit_code == 0  # api's warning does not fail the run
    (tmp_path / "jobs" / ".statelint.toml").write_text("")
    assert run_cli("check", "api", "jobs", cwd=tmp_path).exit_code == 1  # jobs' warning does
    assert run_cli("check", "api", cwd=tmp_path).exit_code == 0


@pytest.mark.parametrize(
    ("key", "value", "got"), [("severity", '"fatal"', "'fatal'"), ("fail-on", "2", "2"), ("severity", '"Error"', "'Error'")]
)
def test_an_invalid_severity_in_the_configuration_is_named(project: Path, key: str, value: str, got: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.statelint]\n{key} = {value}\n")
    run = run_cli("check", "svc", cwd=project)
    assert run.exit_code == 2
    expected = f"statelint: error: {project / 'pyproject.toml'}: tool.statelint.{key}: expected one of 'info', 'warning', 'error', got {got}\n"
    assert run.stderr == expected


def test_show_settings_names_severity_and_fail_on(project: Path) -> None:
    from statelint.cli import SEVERITIES
    from statelint.config.settings import SEVERITIES as CONFIGURED_SEVERITIES

    assert SEVERITIES == CONFIGURED_SEVERITIES
    (project / "pyproject.toml").write_text('[tool.statelint]\nseverity = "warning"\nfail-on = "error"\n')
    text = run_cli("check", "--show-settings", "svc/app.py", cwd=project).stdout.splitlines()
    assert '  severity:           "warning"' in text and '  fail-on:            "error"' in text
    described = json.loads(run_cli("check", "--show-settings", "--output-format", "json", "--fail-on", "warning", "svc/app.py", cwd=project).stdout)
    assert (described["severity"], described["fail_on"]) == ("warning", "warning")  # the command line wins
