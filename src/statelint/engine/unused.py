"""SL002: suppression comments that silence nothing, or name codes that do not exist.

A code is judged only on a file where its rule ran to completion (enabled for the
path, past the prefilter, parsed, no internal error), and never for a rule with a
project-wide check: whether that one fires depends on which other files were
scanned (pre-commit passes only the changed ones).
"""

from __future__ import annotations

from collections.abc import Iterator

from statelint.engine.analyze import PARSE_ERROR, Plan
from statelint.engine.suppressions import (
    UNUSED_SUPPRESSION,
    audit,
    file_ignored,
    selectors_used,
    suppressing,
)
from statelint.model import FileResult, Finding, Severity, Span
from statelint.rules import all_rules
from statelint.rules.base import BaseRule, Rule


def unused_suppressions(results: list[FileResult], plan: Plan, used: dict[int, set[str]]) -> Iterator[Finding]:
    """SL002 findings for every file of the scan, ``used`` as recorded by the join.

    A finding is dropped when another comment silences it (``# statelint: ignore[SL002]``
    on the line above); the comment it is about never silences its own report.
    """
    if not plan.is_enabled(UNUSED_SUPPRESSION):
        return
    doc = plan.catalog.rules[UNUSED_SUPPRESSION]
    cross_file = _cross_file_codes()
    blanket_needs = {code for code, rule in all_rules().items() if issubclass(rule, Rule)} | {PARSE_ERROR}
    for result in results:
        if not result.suppressions or not _applies(UNUSED_SUPPRESSION, result, plan):
            continue
        judged = {code for code in result.ran if code not in cross_file}
        if plan.is_enabled(PARSE_ERROR) and _applies(PARSE_ERROR, result, plan):
            judged.add(PARSE_ERROR)  # the file was decoded and parsed without an SL001 here
        reports = audit(
            result.suppressions,
            used,
            judged=judged,
            matching=plan.catalog.matching,
            blanket_needs=blanket_needs,
            require_reason=bool(plan.options(doc, result.path).get("require-reason")),
        )
        for comment, message in reports:
            span = Span(comment.line, comment.column, comment.line, comment.end_column or comment.column + 1)
            finding = Finding(doc.code, message, result.path, span, Severity(doc.severity), doc.hint)
            hit = suppressing(finding, [s for s in result.suppressions if s is not comment])
            if hit is None:
                yield finding
            else:
                used.setdefault(id(hit), set()).update(selectors_used(doc.code, hit))


def _applies(code: str, result: FileResult, plan: Plan) -> bool:
    ignored = plan.path_ignores(result.path)
    return not file_ignored(code, result.file_ignores) and not any(code.startswith(c) for c in ignored)


def _cross_file_codes() -> set[str]:
    base = BaseRule.check_project.__func__  # type: ignore[attr-defined]
    return {code for code, rule in all_rules().items() if rule.check_project.__func__ is not base}  # type: ignore[attr-defined]
