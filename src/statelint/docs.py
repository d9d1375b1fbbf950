"""Rule documentation as users read it: `statelint rules` and `statelint rule CODE`.

Text is wrapped to a width when one is given (the terminal's), at spaces only: a word, a rule
name or a URL is never split, and code blocks are never wrapped. Without a width (a pipe, SARIF's
help text) every paragraph stays on one line, for the reader or tool downstream to wrap.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from statelint.catalog import Catalog, RuleDoc

#: Below this many columns for the summary, ``statelint rules`` puts it under its rule instead.
_NARROWEST_SUMMARY = 24
_HEADER = ("Code", "Name", "Severity", "Default", "Summary")
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


def wrap(text: str, width: int | None, indent: str = "", hanging: str | None = None) -> list[str]:
    """``text`` as lines of at most ``width`` columns (None: one line per line of ``text``), broken
    at spaces only; ``indent`` starts the first line, ``hanging`` (default: ``indent``) the others."""
    later = indent if hanging is None else hanging
    out: list[str] = []
    for line in text.strip().splitlines() or [""]:
        if width is None or not line.strip():
            out.append(indent + line if line.strip() else "")
        else:
            out.extend(
                textwrap.wrap(
                    line,
                    width=max(width, len(indent) + 1, len(later) + 1),
                    initial_indent=indent,
                    subsequent_indent=later,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
                or [indent]
            )
        indent = later
    return out


def rule_text(doc: RuleDoc, catalog: Catalog, width: int | None = None) -> str:
    """The rule's documentation as Markdown; prose wrapped to ``width`` when given."""
    family = catalog.families[doc.family]
    parts = [
        f"# {doc.code} ({doc.name})",
        "",
        *wrap(
            f"Family: {doc.family} {family.name} · default severity: {doc.severity}"
            + ("" if doc.default_enabled else " · off by default (enable with --extend-select)"),
            width,
        ),
        "",
        *wrap(doc.summary, width),
        "",
        "## What it does",
        *wrap(doc.what, width),
        "",
        "## Why is this bad?",
        *wrap(doc.why, width),
        "",
        "## Example",
        f"```{doc.example_language}",
        doc.example,
        "```",
        "",
        "## Use instead",
        f"```{doc.example_language}",
        doc.use_instead,
        "```",
        "",
        "## Options",
    ]
    if doc.options:
        for option in doc.options.values():
            line = f"- `{option.name}` ({option.type}, default {option.default!r}): {option.description}"
            parts += wrap(line, width, hanging="  ")
            parts.append(f"  set in config: options.{doc.code}.{option.name}")
    else:
        parts.append("None.")
    parts += ["", "## References", *(f"- {ref}" for ref in doc.references)]
    return "\n".join(parts)


def rule_record(doc: RuleDoc, catalog: Catalog) -> dict[str, Any]:
    """Everything the catalog says of a rule, for tools (`statelint rules --output-format json`)."""
    return {
        "code": doc.code,
        "name": doc.name,
        "family": doc.family,
        "family_name": catalog.families[doc.family].name,
        "severity": doc.severity,
        "default_enabled": doc.default_enabled,
        "summary": doc.summary,
        "what": doc.what.strip(),
        "why": doc.why.strip(),
        "example": doc.example,
        "use_instead": doc.use_instead,
        "example_language": doc.example_language,
        "hint": doc.hint,
        "options": [
            {"name": option.name, "type": option.type, "default": option.default, "description": option.description}
            for option in doc.options.values()
        ],
        "references": list(doc.references),
    }


def rules_json(catalog: Catalog) -> str:
    return json.dumps([rule_record(doc, catalog) for doc in catalog.rules.values()], indent=2, ensure_ascii=False)


def rules_markdown(catalog: Catalog) -> str:
    """One Markdown table per family, headed by the family's name: the README's "Rules" section is
    this text (tests/test_readme.py holds it to the catalog)."""
    sections: list[str] = []
    for family in catalog.families.values():
        docs = [doc for doc in catalog.rules.values() if doc.family == family.code]
        if not docs:
            continue
        lines = [f"### {family.code}: {family.name}", "", "| code | name | severity | summary |", "| --- | --- | --- | --- |"]
        for doc in docs:
            severity = doc.severity if doc.default_enabled else f"{doc.severity}, off by default"
            summary = doc.summary.replace("|", "\\|")
            lines.append(f"| {doc.code} | {doc.name} | {severity} | {summary} |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def rules_table(catalog: Catalog, width: int | None, color: bool = False) -> str:
    """Every rule, one row each; the summary wraps within ``width`` (None: never), and goes under
    its rule, indented, when the columns before it leave it too little room."""
    rows = [(d.code, d.name, d.severity, "on" if d.default_enabled else "off", d.summary) for d in catalog.rules.values()]
    widths = [max(len(row[i]) for row in [_HEADER, *rows]) for i in range(4)]
    lead = sum(widths) + 2 * len(widths)  # the four columns and the two spaces after each
    stacked = width is not None and width - lead < _NARROWEST_SUMMARY
    lines: list[str] = []
    for number, row in enumerate([_HEADER, *rows]):
        cells = "  ".join(cell.ljust(size) for cell, size in zip(row[:4], widths, strict=True))
        if stacked:
            text = [cells.rstrip(), *wrap(row[4], width, indent="    ")]
        else:
            text = wrap(row[4], width, indent=cells + "  ", hanging=" " * lead)
        if number == 0 and color:
            text = [_BOLD + line + _RESET for line in text]
        lines += text
    return "\n".join(lines)
