"""SARIF 2.1.0 for GitHub code scanning: exact results, catalog rules, the official schema.

The schema in tests/fixtures/sarif/ is the OASIS SARIF 2.1.0 (errata 01) JSON schema,
transcribed from oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from statelint import __version__
from statelint.catalog import load_catalog
from statelint.docs import rule_text
from statelint.reporters.sarif import utf16_column
from tests.helpers import FIXTURES, copy_fixture, run_cli

SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def sarif(cwd: Path, *args: str) -> dict[str, Any]:
    run = run_cli("check", "--output-format", "sarif", *args, cwd=cwd)
    assert run.exit_code in (0, 1), run.stderr
    return json.loads(run.stdout)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_fixture("reporting", tmp_path)


def result(rule: str, index: int, level: str, message: str, uri: str, region: tuple[int, int, int, int], fingerprint: str) -> dict[str, Any]:
    start_line, start_column, end_line, end_column = region
    return {
        "ruleId": rule,
        "ruleIndex": index,
        "level": level,
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column},
                }
            }
        ],
        "partialFingerprints": {"statelint/v1": fingerprint},
    }


def test_results_are_exact_with_utf16_columns_and_encoded_uris(project: Path) -> None:
    log = sarif(project, "--select", "SL3", ".")
    fingerprints = [f["fingerprint"] for f in json.loads(run_cli("check", "--output-format", "json", "--select", "SL3", ".", cwd=project).stdout)]
    assert log["runs"][0]["results"] == [
        result(
            "SL301", 0, "error",
            "http.server / socketserver server binds to loopback address 'localhost'",
            "ops/d%C3%A9v%20tool.py", (3, 13, 3, 30), fingerprints[0],
        ),
        # `banner = "café 🚀"; ` precedes the host: é is one UTF-16 unit, 🚀 two (code points: 37..48).
        result(
            "SL301", 0, "error",
            "Flask development server (app.run) binds to loopback address '127.0.0.1'",
            "service/app.py", (7, 38, 7, 49), fingerprints[1],
        ),
        result(
            "SL302", 1, "error",
            "uvicorn.run has no host, so it listens on '127.0.0.1' by default",
            "service/worker.py", (7, 5, 7, 16), fingerprints[2],
        ),
        result(
            "SL303", 2, "warning",
            "uvicorn.run falls back to '127.0.0.1' (the environment default of HOST)",
            "service/worker.py", (11, 27, 11, 62), fingerprints[3],
        ),
    ]
    assert len(set(fingerprints)) == 4 and all(len(fp) == 16 for fp in fingerprints)


def test_run_metadata_and_one_rule_per_enabled_code_from_the_catalog(project: Path) -> None:
    log = sarif(project, "--select", "SL3", ".")
    assert log["$schema"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["columnKind"] == "utf16CodeUnits"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": project.resolve().as_uri() + "/"}}
    assert run["invocations"] == [{"executionSuccessful": True}]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == ("statelint", __version__, __version__)
    catalog = load_catalog()
    levels = {"error": "error", "warning": "warning", "info": "note"}
    expected = []
    for code in ("SL301", "SL302", "SL303"):
        doc = catalog.rules[code]
        expected.append(
            {
                "id": code,
                "name": doc.name,
                "shortDescription": {"text": doc.summary},
                "fullDescription": {"text": doc.what},
                "help": {"text": driver["rules"][len(expected)]["help"]["text"], "markdown": rule_text(doc, catalog)},
                "defaultConfiguration": {"level": levels[doc.severity]},
                "properties": {"tags": ["statelint", "SL3", "Loopback-only binds"]},
            }
        )
    assert driver["rules"] == expected
    for rule in driver["rules"]:
        doc = catalog.rules[rule["id"]]
        text = rule["help"]["text"]
        assert text.startswith(doc.summary + "\n\nWhy is this bad? " + doc.why)
        assert f"Use instead:\n{doc.use_instead}" in text and f"Hint: {doc.hint}" in text
        assert all(reference in text for reference in doc.references)


def test_default_rules_include_sl001_and_a_clean_run_has_no_results(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("print('hi')\n")
    log = sarif(tmp_path, ".")
    (run,) = log["runs"]
    assert run["results"] == []
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert "SL001" in ids and "SL301" in ids and "SL002" not in ids  # SL002 is off by default
    assert ids == sorted(ids)
    jsonschema.Draft4Validator(SCHEMA).validate(log)


def test_output_validates_against_the_official_schema(project: Path) -> None:
    (project / "broken.py").write_text("def f(:\n")
    log = sarif(project, "--select", "SL0,SL3", ".")
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(log)
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"SL001", "SL301", "SL302", "SL303"}


def test_schema_rejects_what_github_would_reject(project: Path) -> None:
    """The validation is not vacuous: the schema catches a broken region and a bad level."""
    log = sarif(project, "--select", "SL3", ".")
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate(broken)
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate(broken)


def test_internal_errors_become_tool_execution_notifications(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from statelint.rules import all_rules

    def explode(self: object, node: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(all_rules()["SL301"], "visit_Call", explode, raising=False)
    run = run_cli("check", "--output-format", "sarif", "--select", "SL301", "service/app.py", cwd=project)
    assert run.exit_code == 2
    log = json.loads(run.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"] == "rule SL301 failed: RuntimeError: boom"
    assert notification["associatedRule"] == {"id": "SL301"}
    assert notification["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "service/app.py", "uriBaseId": "%SRCROOT%"}}}]


@pytest.mark.parametrize(
    ("text", "column", "expected"),
    [
        ("abc", 2, 2),
        ("é = 1", 3, 3),  # a BMP character is one UTF-16 unit
        ("🚀 = 1", 3, 4),  # an astral character is two
        ("x = '🚀🚀'", 8, 10),
        ("ab", 3, 3),  # an exclusive end just past the line
        ("ab", 5, 5),  # and beyond it (an end on a shorter line)
    ],
)
def test_utf16_columns(text: str, column: int, expected: int) -> None:
    assert utf16_column(text, column) == expected


def test_multi_line_region_reads_the_end_line_from_disk(tmp_path: Path) -> None:
    """The scan keeps only the first line of a finding; the end line's width is read back."""
    from statelint.engine.runner import ScanResult
    from statelint.model import Finding, Severity, Span
    from statelint.reporters.base import Report
    from statelint.reporters.sarif import sarif_log

    (tmp_path / "m.py").write_text('x = (\n    "ü🚀", "127.0.0.1")\n', encoding="utf-8")
    finding = Finding("SL301", "m", "m.py", Span(1, 5, 2, 23), Severity.ERROR, None, "f" * 16)
    scan = ScanResult(findings=[finding], files_scanned=1, lines={("m.py", 1): "x = ("})
    log = sarif_log(Report(scan, load_catalog(), enabled=("SL301",), root=tmp_path))
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 5, "endLine": 2, "endColumn": 24}


def test_the_path_that_makes_a_finding_matter_is_linked_to_related_locations(tmp_path: Path) -> None:
    """SL1/SL5 findings name the path on which the code runs; in SARIF each project function on it
    is a related location at its ``def``, linked from the message (code scanning shows only those)."""
    project = copy_fixture("project/plugin_loader", tmp_path)
    log = sarif(project, "--select", "SL102")
    jsonschema.validate(log, SCHEMA)
    [found] = [r for r in log["runs"][0]["results"] if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "search/engines/books.py"]
    assert found["message"]["text"].endswith(
        "(path: @get('/search') -> [app.search()](1) -> [books.fetch()](2))"
    )
    assert [
        (r["id"], r["message"]["text"], r["physicalLocation"]["artifactLocation"], r["physicalLocation"]["region"])
        for r in found["relatedLocations"]
    ] == [
        (1, "app.search()", {"uri": "search/app.py", "uriBaseId": "%SRCROOT%"}, {"startLine": 16}),
        (2, "books.fetch()", {"uri": "search/engines/books.py", "uriBaseId": "%SRCROOT%"}, {"startLine": 12}),
    ]


def test_a_finding_without_a_path_has_no_related_locations(project: Path) -> None:
    results = sarif(project, "--select", "SL301")["runs"][0]["results"]
    assert results and all("relatedLocations" not in r and "(path:" not in r["message"]["text"] for r in results)


def test_baselined_results_are_unchanged_and_the_others_new(project: Path) -> None:
    assert run_cli("check", "--select", "SL3", "--write-baseline", "baseline.json", ".", cwd=project).exit_code == 0
    (project / "service" / "late.py").write_text('import uvicorn\nuvicorn.run(app, host="::1")\n')
    run = run_cli("check", "--output-format", "sarif", "--select", "SL3", "--baseline", "baseline.json", ".", cwd=project)
    assert run.exit_code == 1  # only the new finding counts
    assert run.stderr == "statelint: 4 findings in the baseline baseline.json, reported as unchanged\n"
    log = json.loads(run.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    states = [
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"], r["baselineState"])
        for r in log["runs"][0]["results"]
    ]
    assert states == [
        ("ops/d%C3%A9v%20tool.py", 3, "SL301", "unchanged"),
        ("service/app.py", 7, "SL301", "unchanged"),
        ("service/late.py", 2, "SL301", "new"),
        ("service/worker.py", 7, "SL302", "unchanged"),
        ("service/worker.py", 11, "SL303", "unchanged"),
    ]
    (project / "service" / "late.py").unlink()
    clean = run_cli("check", "--output-format", "sarif", "--select", "SL3", "--baseline", "baseline.json", ".", cwd=project)
    assert clean.exit_code == 0
    assert {r["baselineState"] for r in json.loads(clean.stdout)["runs"][0]["results"]} == {"unchanged"}
    # Without --baseline, results carry no baselineState; the other formats hide baselined findings.
    assert all("baselineState" not in r for r in sarif(project, "--select", "SL3", ".")["runs"][0]["results"])
    assert run_cli("check", "--output-format", "json", "--select", "SL3", "--baseline", "baseline.json", ".", cwd=project).stdout == "[]\n"
