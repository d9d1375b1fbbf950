"""Analyse one file: read, decode, prefilter, parse once, run every rule in one walk.

Runs inside worker processes: it takes and returns plain records, never CST nodes.
"""

from __future__ import annotations

import ast
import fnmatch
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from statelint.catalog import Catalog, RuleDoc, load_catalog
from statelint.config.settings import Settings
from statelint.engine.discovery import Target
from statelint.engine.source import SourceError, decode_python, decode_text, read_bytes
from statelint.engine.suppressions import file_ignored, file_ignores, parse_suppressions
from statelint.model import FileResult, Finding, InternalError, Severity, Span
from statelint.rules import all_rules
from statelint.rules.base import BaseRule, Rule, TextRule

PARSE_ERROR = "SL001"


@dataclass
class Plan:
    """The enabled rules and their settings, built once per process."""

    settings: Settings
    catalog: Catalog
    python_rules: list[tuple[type[Rule], RuleDoc]] = field(default_factory=list)
    text_rules: list[tuple[type[TextRule], RuleDoc]] = field(default_factory=list)
    needles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Plan:
        catalog = load_catalog()
        plan = cls(settings, catalog)
        rules = all_rules()
        for code in settings.enabled:
            rule = rules.get(code)
            if rule is None:
                continue
            plan.needles[code] = rule.prefilter(catalog.knowledge(code), plan.options(catalog.rules[code]))
            # A rule may be both: e.g. probes in manifests checked against routes in code.
            if issubclass(rule, TextRule):
                plan.text_rules.append((rule, catalog.rules[code]))
            if issubclass(rule, Rule):
                plan.python_rules.append((rule, catalog.rules[code]))
        return plan

    @property
    def text_patterns(self) -> tuple[str, ...]:
        return tuple(sorted({p for rule, _ in self.text_rules for p in rule.patterns}))

    def is_enabled(self, code: str) -> bool:
        return code in self.settings.enabled

    def options(self, doc: RuleDoc) -> dict[str, Any]:
        return {**doc.default_options(), **self.settings.options_for(doc.code)}

    def make(self, rule: type[BaseRule], doc: RuleDoc) -> BaseRule:
        return rule(doc, self.options(doc), self.catalog.knowledge(doc.code))

    def path_ignores(self, display: str) -> tuple[str, ...]:
        """Codes that ``per-file-ignores`` turns off for this path."""
        out: list[str] = []
        for pattern, codes in self.settings.per_file_ignores:
            if _path_matches(display, pattern):
                out.extend(codes)
        return tuple(out)


def _path_matches(display: str, pattern: str) -> bool:
    name = display.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(display, pattern) or fnmatch.fnmatchcase(name, pattern) or (
        pattern.endswith("/") and display.startswith(pattern)
    ) or fnmatch.fnmatchcase(display, pattern.rstrip("/") + "/*")


@lru_cache(maxsize=2048)
def module_name_for(path: str) -> tuple[str, bool]:
    """Dotted module name from the package folders around ``path``, and whether it is a package."""
    directory, filename = os.path.split(os.path.abspath(path))
    stem = filename.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.append(package)
        if not package:
            break
    name = ".".join(reversed(parts)) or stem
    return name, is_package


def _error_finding(display: str, error: SourceError, plan: Plan) -> Finding:
    doc = plan.catalog.rules[PARSE_ERROR]
    return Finding(PARSE_ERROR, error.message, display, error.span, Severity(doc.severity), doc.hint)


def analyze(target: Target, plan: Plan) -> FileResult:
    """Everything the enabled rules find in one file (suppressions not yet applied)."""
    result = FileResult(target.display)
    try:
        data = read_bytes(target.path)
        text = decode_text(data) if target.kind == "text" else decode_python(data)
    except SourceError as error:
        if plan.is_enabled(PARSE_ERROR):
            result.findings.append(_error_finding(target.display, error, plan))
        return result
    result.file_ignores = file_ignores(text)
    result.suppressions = parse_suppressions(text) if target.kind == "python" else []
    skipped = plan.path_ignores(target.display)
    if target.kind == "text":
        _run_text_rules(target, text, plan, result, skipped)
    else:
        _run_python_rules(target, text, plan, result, skipped)
    if result.findings:
        lines = text.splitlines()
        for finding in result.findings:
            if 0 < finding.span.line <= len(lines):
                result.lines[finding.span.line] = lines[finding.span.line - 1]
    return result


def _wanted(code: str, plan: Plan, text: str, result: FileResult, skipped: tuple[str, ...]) -> bool:
    if file_ignored(code, result.file_ignores) or any(code.startswith(s) for s in skipped):
        return False
    needles = plan.needles.get(code, ())
    return not needles or any(needle in text for needle in needles)


def _run_text_rules(target: Target, text: str, plan: Plan, result: FileResult, skipped: tuple[str, ...]) -> None:
    name = target.display.rsplit("/", 1)[-1]
    for rule_type, doc in plan.text_rules:
        if not any(fnmatch.fnmatchcase(name, p) for p in rule_type.patterns):
            continue
        if not _wanted(doc.code, plan, text, result, skipped):
            continue
        rule = plan.make(rule_type, doc)
        try:
            rule.check(target.display, text)  # type: ignore[attr-defined]
        except Exception as exc:
            result.errors.append(_internal(target.display, doc.code, exc))
            continue
        for span, message, hint in rule.findings:
            result.findings.append(Finding(doc.code, message, target.display, span, Severity(doc.severity), hint or doc.hint))
        if rule.facts:
            result.facts[doc.code] = rule.facts


def _internal(path: str, code: str | None, exc: BaseException) -> InternalError:
    where = f"rule {code}" if code else "engine"
    return InternalError(path, f"{where} failed: {type(exc).__name__}: {exc}", code)


def _syntax_check(target: Target, text: str, plan: Plan, result: FileResult) -> None:
    """SL001 for a file no rule needed to parse: CPython's own parser is several times cheaper than libcst's."""
    if not plan.is_enabled(PARSE_ERROR) or file_ignored(PARSE_ERROR, result.file_ignores):
        return
    try:
        compile(text, target.display, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = max(exc.offset or 1, 1)
        error = SourceError(f"cannot parse file: {exc.msg}", Span(line, column, line, column))
        result.findings.append(_error_finding(target.display, error, plan))
    except (RecursionError, MemoryError, ValueError):
        error = SourceError("cannot parse file: too deeply nested or too large to analyse")
        result.findings.append(_error_finding(target.display, error, plan))


def _run_python_rules(target: Target, text: str, plan: Plan, result: FileResult, skipped: tuple[str, ...]) -> None:
    selected = [(t, d) for t, d in plan.python_rules if _wanted(d.code, plan, text, result, skipped)]
    if not selected:
        _syntax_check(target, text, plan, result)
        return
    import libcst as cst

    from statelint.engine.context import FileContext
    from statelint.engine.names import NameResolver
    from statelint.engine.walker import Dispatcher, walk

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        span = Span(exc.raw_line, exc.raw_column + 1, exc.raw_line, exc.raw_column + 1)
        message = " ".join(exc.message.split())
        error = SourceError(f"cannot parse file: {message}", span)
        if plan.is_enabled(PARSE_ERROR):
            result.findings.append(_error_finding(target.display, error, plan))
        return
    except RecursionError:
        if plan.is_enabled(PARSE_ERROR):
            error = SourceError("cannot parse file: expressions nested too deeply to analyse")
            result.findings.append(_error_finding(target.display, error, plan))
        return
    result.parsed = True
    module_name, is_package = module_name_for(target.path)
    ctx = FileContext(target.display, text, module, NameResolver(module, module_name, is_package))
    rules: list[Rule] = []
    for rule_type, doc in selected:
        rule = plan.make(rule_type, doc)
        assert isinstance(rule, Rule)
        rule.bind(ctx)
        rules.append(rule)
    failed: set[int] = set()

    def on_error(rule: Any, exc: BaseException) -> None:
        failed.add(id(rule))
        result.errors.append(_internal(target.display, rule.doc.code, exc))

    try:
        walk(ctx, Dispatcher(rules, on_error))
    except RecursionError:
        result.errors.append(InternalError(target.display, "engine failed: syntax tree too deep to analyse"))
        return
    for rule in rules:
        if id(rule) in failed:
            continue
        doc = rule.doc
        try:
            for node, message, hint in rule.findings:
                result.findings.append(
                    Finding(doc.code, message, target.display, ctx.span(node), Severity(doc.severity), hint or doc.hint)
                )
        except Exception as exc:
            result.errors.append(_internal(target.display, doc.code, exc))
            continue
        if rule.facts:
            result.facts[doc.code] = rule.facts
