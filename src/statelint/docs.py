"""Rule documentation as users read it: `statelint rules` and `statelint rule CODE`."""

from __future__ import annotations

import json

from statelint.catalog import Catalog, RuleDoc


def rule_text(doc: RuleDoc, catalog: Catalog) -> str:
    family = catalog.families[doc.family]
    parts = [
        f"# {doc.code} ({doc.name})",
        "",
        f"Family: {doc.family} {family.name} · default severity: {doc.severity}"
        + ("" if doc.default_enabled else " · off by default (enable with --extend-select)"),
        "",
        doc.summary,
        "",
        "## What it does",
        doc.what,
        "",
        "## Why is this bad?",
        doc.why,
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
            parts.append(f"- `{option.name}` ({option.type}, default {option.default!r}): {option.description}")
            parts.append(f"  set in config: options.{doc.code}.{option.name}")
    else:
        parts.append("None.")
    parts += ["", "## References", *(f"- {ref}" for ref in doc.references)]
    return "\n".join(parts)


def rules_json(catalog: Catalog) -> str:
    return json.dumps(
        [
            {
                "code": d.code,
                "name": d.name,
                "family": d.family,
                "severity": d.severity,
                "default_enabled": d.default_enabled,
                "summary": d.summary,
            }
            for d in catalog.rules.values()
        ],
        indent=2,
    )


def rules_table(catalog: Catalog, color: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(color_system="standard" if color else None, no_color=not color, highlight=False, soft_wrap=False)
    table = Table(show_lines=False, box=None, pad_edge=False)
    for column in ("Code", "Name", "Severity", "Default", "Summary"):
        table.add_column(column, overflow="fold")
    for doc in catalog.rules.values():
        table.add_row(doc.code, doc.name, doc.severity, "on" if doc.default_enabled else "off", doc.summary)
    console.print(table)
