"""The CI output formats (github, gitlab, json-lines), --statistics and the full summary, exactly.

All run on tests/fixtures/reporting: findings in three files, one of them named with a
space and a non-ASCII letter, and a finding preceded by non-ASCII text on its line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from statelint.reporters.github import escape_data, escape_property
from tests.helpers import copy_fixture, run_cli

MESSAGES = {
    "ops": "http.server / socketserver server binds to loopback address 'localhost'",
    "app": "Flask development server (app.run) binds to loopback address '127.0.0.1'",
    "worker": "uvicorn.run has no host, so it listens on '127.0.0.1' by default",
    "configured": "uvicorn.run falls back to '127.0.0.1' (the environment default of HOST)",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_fixture("reporting", tmp_path)


def output(project: Path, fmt: str, *extra: str, env: dict[str, str] | None = None) -> str:
    run = run_cli("check", "--output-format", fmt, "--select", "SL3", *extra, ".", cwd=project, env=env)
    assert run.exit_code == 1, run.stderr
    return run.stdout


def json_records(project: Path) -> list[dict[str, Any]]:
    return json.loads(output(project, "json"))


def test_github_workflow_commands(project: Path) -> None:
    assert output(project, "github").splitlines() == [
        f"::error file=ops/dév tool.py,line=3,col=13,endLine=3,endColumn=30,title=statelint (SL301)::{MESSAGES['ops']}",
        f"::error file=service/app.py,line=7,col=37,endLine=7,endColumn=48,title=statelint (SL301)::{MESSAGES['app']}",
        f"::error file=service/worker.py,line=7,col=5,endLine=7,endColumn=16,title=statelint (SL302)::{MESSAGES['worker']}",
        f"::warning file=service/worker.py,line=11,col=27,endLine=11,endColumn=62,title=statelint (SL303)::{MESSAGES['configured']}",
    ]


def test_github_escapes_properties_and_data(tmp_path: Path) -> None:
    (tmp_path / "odd,name:50%.py").write_text('import uvicorn\nuvicorn.run(app, host="127.0.0.1")\n')
    run = run_cli("check", "--output-format", "github", "--select", "SL301", ".", cwd=tmp_path)
    assert run.stdout.startswith("::error file=odd%2Cname%3A50%25.py,line=2,col=23,endLine=2,endColumn=34,title=statelint (SL301)::")
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext%3A a%2Cb"


def test_github_notice_for_info_severity() -> None:
    from statelint.model import Finding, Severity, Span
    from statelint.reporters.github import annotation

    finding = Finding("SL999", "50%\nmore", "a.py", Span(1, 2, 3, 4), Severity.INFO)
    assert annotation(finding) == "::notice file=a.py,line=1,col=2,endLine=3,endColumn=4,title=statelint (SL999)::50%25%0Amore"


def test_gitlab_code_quality(project: Path) -> None:
    fingerprints = [record["fingerprint"] for record in json_records(project)]
    assert json.loads(output(project, "gitlab")) == [
        {
            "description": f"SL301 {MESSAGES['ops']}",
            "check_name": "SL301",
            "fingerprint": fingerprints[0],
            "severity": "major",
            "location": {"path": "ops/dév tool.py", "lines": {"begin": 3, "end": 3}},
        },
        {
            "description": f"SL301 {MESSAGES['app']}",
            "check_name": "SL301",
            "fingerprint": fingerprints[1],
            "severity": "major",
            "location": {"path": "service/app.py", "lines": {"begin": 7, "end": 7}},
        },
        {
            "description": f"SL302 {MESSAGES['worker']}",
            "check_name": "SL302",
            "fingerprint": fingerprints[2],
            "severity": "major",
            "location": {"path": "service/worker.py", "lines": {"begin": 7, "end": 7}},
        },
        {
            "description": f"SL303 {MESSAGES['configured']}",
            "check_name": "SL303",
            "fingerprint": fingerprints[3],
            "severity": "minor",
            "location": {"path": "service/worker.py", "lines": {"begin": 11, "end": 11}},
        },
    ]
    assert len(set(fingerprints)) == 4  # GitLab needs one fingerprint per issue


def test_json_lines_is_one_json_record_per_line(project: Path) -> None:
    text = output(project, "json-lines")
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == 4
    assert [json.loads(line) for line in lines] == json_records(project)
    assert '"path": "ops/dév tool.py"' in lines[0]  # UTF-8 as is, not \u escapes
    assert json.loads(lines[1])["column"] == 37  # code points, like every non-SARIF format


def test_output_format_from_the_environment(project: Path) -> None:
    from_env = run_cli("check", "--select", "SL3", ".", cwd=project, env={"STATELINT_OUTPUT_FORMAT": "github"})
    assert from_env.exit_code == 1
    assert from_env.stdout == output(project, "github")
    explicit = run_cli("check", "--output-format", "json-lines", "--select", "SL3", ".", cwd=project, env={"STATELINT_OUTPUT_FORMAT": "github"})
    assert explicit.stdout == output(project, "json-lines")  # the option wins over the variable
    bad = run_cli("check", ".", cwd=project, env={"STATELINT_OUTPUT_FORMAT": "xml"})
    assert bad.exit_code == 2 and "xml" in bad.stderr


def test_statistics_table(project: Path) -> None:
    assert output(project, "full", "--statistics") == (
        "Count  Code   Name                           Severity\n"
        "    2  SL301  explicit-loopback-bind         error\n"
        "    1  SL302  loopback-by-default            error\n"
        "    1  SL303  loopback-configurable-default  warning\n"
        "    4         total\n"
    )
    assert json.loads(output(project, "json", "--statistics")) == [
        {"code": "SL301", "name": "explicit-loopback-bind", "severity": "error", "count": 2},
        {"code": "SL302", "name": "loopback-by-default", "severity": "error", "count": 1},
        {"code": "SL303", "name": "loopback-configurable-default", "severity": "warning", "count": 1},
    ]
    clean = run_cli("check", "--statistics", "--select", "SL3", "service/__init__.py", cwd=project)
    assert clean.exit_code == 2  # a missing path is still an error, statistics or not
    (project / "ok.py").write_text("x = 1\n")
    assert run_cli("check", "--statistics", "ok.py", cwd=project).stdout == "No findings.\n"


def test_full_output_ends_with_a_summary_per_family(project: Path) -> None:
    (project / "broken.py").write_text("def f(:\n")
    run = run_cli("check", "--no-color", "--select", "SL001,SL3", ".", cwd=project)
    assert run.exit_code == 1
    assert run.stdout.endswith(
        "Found 5 findings (4 errors, 1 warning) in 4 of 4 files scanned.\n"
        "  SL001  Files that could not be analysed: 1\n"
        "  SL3    Loopback-only binds: 4\n"
    )


def test_full_output_marker_counts_terminal_cells(project: Path) -> None:
    """🚀 takes two cells, so the carets start one cell later than the character count."""
    run = run_cli("check", "--no-color", "--select", "SL3", "service/app.py", cwd=project)
    lines = run.stdout.splitlines()
    assert lines[2] == '7 |     banner = "café 🚀"; app.run(host="127.0.0.1")'
    assert lines[3] == "  |" + " " * 38 + "^" * 11


def test_a_clean_run_prints_the_summary_rich_would_print_without_importing_it(tmp_path: Path) -> None:
    """The full format skips rich when there is nothing to style; the text must not change."""
    import io
    import subprocess
    import sys

    from rich.console import Console
    from rich.text import Text

    (tmp_path / "ok.py").write_text("VALUE = 1\n", encoding="utf-8")
    run = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    expected = io.StringIO()
    Console(file=expected, color_system=None, no_color=True, highlight=False, soft_wrap=True).print(
        Text("All checks passed (1 file scanned).", style="bold")
    )
    assert (run.exit_code, run.stdout) == (0, expected.getvalue())
    code = "import sys; from statelint.cli import cli; sys.argv = ['statelint', 'check', '--no-cache', '.']\n" \
        "try:\n    cli()\nexcept SystemExit:\n    pass\nprint('rich' in sys.modules, file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_plain_full_output_is_what_rich_prints_without_colour(tmp_path: Path) -> None:
    """Without colour the full format writes its lines directly; rich must not have printed otherwise.

    The source lines hold what rich treats specially: wide characters before the span
    (cells, not characters), a tab, and control characters rich's Text strips.
    """
    import io

    from rich.console import Console
    from rich.text import Text

    from statelint.catalog import load_catalog
    from statelint.config.loader import load_settings
    from statelint.engine.runner import scan
    from statelint.reporters import full
    from statelint.reporters.base import Report

    (tmp_path / "app.py").write_text(
        "import flask\napp = flask.Flask(__name__)\n"
        "app.run(host='127.0.0.1')  # bell\x07 form\x0c feed\n"
        "if True:\n\tapp.run('localhost', 80)  # 東京\n"
        "名前 = 1; app.run(host='::1')\n",
        encoding="utf-8",
    )
    catalog = load_catalog()
    settings = load_settings(catalog, cwd=tmp_path, select=["SL3"])
    report = Report(scan(["."], settings, cwd=tmp_path), catalog, color=False, root=tmp_path)
    assert len(report.findings) == 3

    plain = io.StringIO()
    full.render(report, plain)
    expected = io.StringIO()
    console = Console(file=expected, color_system=None, no_color=True, highlight=False, soft_wrap=True, emoji=False, markup=False)
    for line in full._lines(report):
        text = Text()
        for part, style in line:
            text.append(part, style=style)
        console.print(text)
    assert plain.getvalue() == expected.getvalue()
    assert "\x07" not in plain.getvalue() and "東京" in plain.getvalue()


def test_statelint_s_own_findings_are_summarised_by_what_they_say(tmp_path: Path) -> None:
    """An unparseable file is a gap in the check, not a problem of statelint's: the summary names
    SL001 and SL002 findings per rule; each finding line shows its rule's name after the code."""
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "old.py").write_text('import uvicorn\nuvicorn.run(app, host="0.0.0.0")  # statelint: ignore[SL301]\n')
    run = run_cli("check", "--no-color", "--extend-select", "SL002", ".", cwd=tmp_path)
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert lines[0] == "broken.py:1:7: SL001 [unparseable-file] error: cannot parse file: invalid syntax"
    assert lines[-3:] == [
        "Found 2 findings (1 error, 1 warning) in 2 of 2 files scanned.",
        "  SL001  Files that could not be analysed: 1",
        "  SL002  Unused suppressions: 1",
    ]
    concise = run_cli("check", "--output-format", "concise", "--extend-select", "SL002", "old.py", cwd=tmp_path)
    assert concise.stdout.splitlines()[0] == "old.py:2:35: SL002 [unused-suppression] warning: Unused suppression (unused: SL301)"
