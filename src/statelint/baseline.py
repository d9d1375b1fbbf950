"""Baselines: record today's findings, then report only the ones that are new.

A baseline is a JSON file of fingerprints (see ``engine/fingerprint.py``): they do
not depend on line numbers, so edits above a recorded finding do not bring it back,
while a second identical finding in the same file gets a fingerprint of its own and
is reported. The code, path, line and message are kept beside each fingerprint only
so that people can read and review the file.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from statelint import __version__
from statelint.atomic import write_text
from statelint.model import Finding

FORMAT_KEY = "statelint-baseline"
FORMAT_VERSION = 1


class BaselineError(Exception):
    """An unreadable or malformed baseline file; the message names the file."""


def write_baseline(path: Path, findings: list[Finding]) -> None:
    """Write ``findings`` to ``path`` atomically (never a half-written baseline)."""
    data = {
        FORMAT_KEY: FORMAT_VERSION,
        "statelint-version": __version__,
        "findings": [
            {"fingerprint": f.fingerprint, "code": f.code, "path": f.path, "line": f.span.line, "message": f.message}
            for f in findings
        ],
    }
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def load_baseline(path: Path) -> Counter[str]:
    """The fingerprints recorded in ``path``, with how often each was recorded."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: invalid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get(FORMAT_KEY) != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a statelint baseline (expected \"{FORMAT_KEY}\": {FORMAT_VERSION})")
    entries = data.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str) for entry in entries
    ):
        raise BaselineError(f"{path}: findings: expected a list of objects with a fingerprint")
    return Counter(entry["fingerprint"] for entry in entries)


def split_findings(findings: list[Finding], baseline: Counter[str]) -> tuple[list[Finding], list[Finding]]:
    """The findings not in ``baseline`` (new), and those it records (each entry matches one finding)."""
    remaining = Counter(baseline)
    new: list[Finding] = []
    known: list[Finding] = []
    for finding in findings:
        if remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            known.append(finding)
        else:
            new.append(finding)
    return new, known
