"""SARIF 2.1.0, as GitHub code scanning reads it.

One run; ``tool.driver.rules`` describes every enabled rule from the catalog (help
text and markdown, default level, tags); each result points at a path relative to
``%SRCROOT%`` (the repository's root, the folder holding ``.git``, given in
``originalUriBaseIds``: code scanning matches such paths against the repository
whichever folder statelint ran from) with a region in UTF-16 code units, which is
what SARIF consumers count in (``columnKind``), and carries the statelint
fingerprint in ``partialFingerprints`` so alerts survive line shifts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from statelint import __version__
from statelint.catalog import RuleDoc
from statelint.docs import rule_text
from statelint.model import Finding
from statelint.reporters.base import Report

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "statelint/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render(report: Report, stream: TextIO) -> None:
    json.dump(sarif_log(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def sarif_log(report: Report) -> dict[str, Any]:
    docs = report.rule_docs()
    index = {doc.code: position for position, doc in enumerate(docs)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "statelint",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(report, doc) for doc in docs],
            }
        },
        "invocations": [_invocation(report)],
        "columnKind": "utf16CodeUnits",
        "results": _results(report, index),
    }
    if report.repository is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": report.repository.as_uri().rstrip("/") + "/"}}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rule(report: Report, doc: RuleDoc) -> dict[str, Any]:
    family = report.catalog.families[doc.family]
    return {
        "id": doc.code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.what},
        "help": {"text": _help_text(doc), "markdown": rule_text(doc, report.catalog)},
        "defaultConfiguration": {"level": LEVELS[doc.severity]},
        "properties": {"tags": ["statelint", doc.family, family.name]},
    }


def _help_text(doc: RuleDoc) -> str:
    parts = [
        doc.summary,
        f"Why is this bad? {doc.why}",
        f"Example:\n{doc.example}",
        f"Use instead:\n{doc.use_instead}",
        f"Hint: {doc.hint}",
        "References:\n" + "\n".join(doc.references),
    ]
    return "\n\n".join(parts)


def _results(report: Report, index: dict[str, int]) -> list[dict[str, Any]]:
    """Every result; with ``--baseline``, the findings it records too, each result with its
    ``baselineState``: ``new`` or ``unchanged``."""
    if report.baselined is None:
        return [_result(report, finding, index) for finding in report.located_findings()]
    states = [(f, "new") for f in report.located_findings()] + [(f, "unchanged") for f in report.located_baselined()]
    states.sort(key=lambda pair: pair[0].sort_key())
    return [{**_result(report, finding, index), "baselineState": state} for finding, state in states]


def _result(report: Report, f: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": f.code}
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    text, related = _path_links(report, f)
    result.update(
        {
            "level": LEVELS[f.severity.value],
            "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": artifact(report, f.path), "region": _region(report, f)}}],
            "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        }
    )
    if related:
        result["relatedLocations"] = related
    return result


def _path_links(report: Report, f: Finding) -> tuple[str, list[dict[str, Any]]]:
    """The message, with the path that makes the finding matter (when it has one) as embedded links
    to ``relatedLocations``: code scanning shows a related location only where the message links it."""
    if not f.related:
        return f.message, []
    related: list[dict[str, Any]] = []
    steps = []
    for step in f.related:
        label = _escape(step.label)
        if step.path and step.line:
            ident = len(related) + 1
            related.append(
                {
                    "id": ident,
                    "message": {"text": step.label},
                    "physicalLocation": {"artifactLocation": artifact(report, step.path), "region": {"startLine": step.line}},
                }
            )
            label = f"[{label}]({ident})"
        steps.append(label)
    return f"{_escape(f.message)} (path: {' -> '.join(steps)})", related


def _escape(text: str) -> str:
    """Plain message text in which brackets are not taken for an embedded link."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def artifact(report: Report, path: str) -> dict[str, str]:
    """A displayed path as a percent-encoded URI relative to %SRCROOT% (the repository's root); one
    outside the repository as an absolute file URI."""
    relative = report.repository_path(path)
    if relative is None:
        return {"uri": Path(report.ci_path(path)).as_uri()}
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


def _region(report: Report, f: Finding) -> dict[str, int]:
    span = f.span
    start_text = report.source_line(f.path, span.line)
    end_text = start_text if span.end_line == span.line else report.source_line(f.path, span.end_line)
    return {
        "startLine": span.line,
        "startColumn": utf16_column(start_text, span.column),
        "endLine": span.end_line,
        "endColumn": utf16_column(end_text, span.end_column),
    }


def utf16_column(text: str, column: int) -> int:
    """A 1-based code-point column of ``text`` as a 1-based UTF-16 code-unit column."""
    prefix = text[: column - 1]
    beyond = max(0, column - 1 - len(prefix))  # past the end of the line (an exclusive end)
    return len(prefix.encode("utf-16-le")) // 2 + beyond + 1


def _invocation(report: Report) -> dict[str, Any]:
    notifications = []
    for error in report.scan.errors:
        notification: dict[str, Any] = {"level": "error", "message": {"text": error.message}}
        if not error.path.startswith("<"):
            notification["locations"] = [{"physicalLocation": {"artifactLocation": artifact(report, error.path)}}]
        if error.code:
            notification["associatedRule"] = {"id": error.code}
        notifications.append(notification)
    for path in report.scan.missing_paths:
        notifications.append({"level": "error", "message": {"text": f"{path}: no such file or directory"}})
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation
