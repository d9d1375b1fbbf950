"""Fingerprints that survive line shifts.

A finding is identified by its rule, its file and the text of the line it points
at, plus how many identical findings came before it in that file. Adding lines
above a finding keeps its fingerprint; a second identical finding gets a new one.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace

from statelint.model import Finding


def with_fingerprints(findings: list[Finding], line_text: dict[tuple[str, int], str]) -> list[Finding]:
    """``findings`` (sorted) with ``fingerprint`` set."""
    seen: Counter[tuple[str, str, str]] = Counter()
    out: list[Finding] = []
    for finding in findings:
        text = " ".join(line_text.get((finding.path, finding.span.line), "").split())
        key = (finding.code, finding.path, text)
        occurrence = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join((*key, str(occurrence))).encode()).hexdigest()[:16]
        out.append(replace(finding, fingerprint=digest))
    return out
