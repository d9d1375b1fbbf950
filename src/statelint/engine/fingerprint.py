"""Fingerprints that survive line shifts.

A finding is identified by its rule, its file (relative to the project root, so
the folder statelint runs from does not matter) and the text of the line it points
at with whitespace normalised, plus how many identical findings came before it in
that file. Adding lines above a finding keeps its fingerprint; a second identical
finding gets a new one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from statelint.digests import sha256
from statelint.model import Finding


def with_fingerprints(
    findings: list[Finding],
    line_text: dict[tuple[str, int], str],
    project_path: Callable[[str], str] = str,
) -> list[Finding]:
    """``findings`` (sorted) with ``fingerprint`` set; ``project_path`` maps a displayed path to its key."""
    seen: Counter[tuple[str, str, str]] = Counter()
    out: list[Finding] = []
    for finding in findings:
        text = " ".join(line_text.get((finding.path, finding.span.line), "").split())
        key = (finding.code, project_path(finding.path), text)
        occurrence = seen[key]
        seen[key] += 1
        digest = sha256("\0".join((*key, str(occurrence))).encode()).hexdigest()[:16]
        out.append(finding._replace(fingerprint=digest))
    return out
