"""``# statelint: ignore[...]``, ``# noqa: SL...`` and ``# statelint: ignore-file[...]`` comments.

Comments are found with :mod:`tokenize`, so text inside strings never counts.
Only SL codes in a ``noqa`` comment are honoured: a bare ``# noqa`` written for
another linter does not silence statelint.

:func:`audit` judges which comments silenced nothing (SL002), like ruff's RUF100,
but only for codes that actually ran on the file: a comment for a rule that was
not enabled, or that the prefilter skipped, may well be needed by another run.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping

from statelint.model import Finding, Suppression

UNUSED_SUPPRESSION = "SL002"
BLANKET = "*"  # what a bare ``# statelint: ignore`` is recorded as using

#: What every suppression comment holds: tokenizing (pure Python, slow) is only for files that have it.
_CANDIDATE = re.compile(r"#\s*(?:statelint:\s*ignore|noqa:)", re.IGNORECASE)
# Compiled on first use (``re`` keeps them): most runs meet no suppression comment.
_IGNORE = r"(?i)#\s*statelint:\s*ignore(?![-\w])(?:\[(?P<codes>[^\]]*)\])?(?P<reason>.*)$"
_NOQA = r"(?i)#\s*noqa:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)"
_FILE = r"(?im)^[ \t]*#\s*statelint:\s*ignore-file(?:\[(?P<codes>[^\]]*)\])?"


def split_codes(text: str) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in re.split(r"[,\s]+", text) if part.strip())


def file_ignores(text: str) -> tuple[str, ...] | None:
    """Codes/prefixes ignored for the whole file; ``()`` means every code; None: no comment."""
    if "ignore-file" not in text:
        return None
    found: list[str] = []
    for match in re.finditer(_FILE, text):
        if match.group("codes") is None:
            return ()
        found.extend(split_codes(match.group("codes")))
    return tuple(found) if found else None


def _comments(text: str) -> Iterator[tuple[int, int, str, bool]]:
    """(line, column, comment, alone-on-its-line) for every comment in ``text`` (1-based column)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Unparseable input: fall back to a line scan (strings may then look like comments).
        for number, line in enumerate(text.splitlines(), start=1):
            index = line.find("#")
            if index >= 0:
                yield number, index + 1, line[index:].rstrip(), not line[:index].strip()
        return
    for token in tokens:
        if token.type == tokenize.COMMENT:
            row, col = token.start
            yield row, col + 1, token.string, not token.line[:col].strip()


def parse_suppressions(text: str) -> list[Suppression]:
    """Every suppression comment in ``text``."""
    if _CANDIDATE.search(text) is None:
        return []
    out: list[Suppression] = []
    for line, column, comment, alone in _comments(text):
        lines = (line + 1,) if alone else (line,)
        end = column + len(comment.rstrip())
        match = re.search(_IGNORE, comment)
        if match:
            codes = split_codes(match.group("codes")) if match.group("codes") is not None else None
            out.append(Suppression(line, column, codes, match.group("reason").strip(), "ignore", lines, end))
            continue
        match = re.search(_NOQA, comment)
        if match:
            codes = tuple(code for code in split_codes(match.group("codes")) if code.startswith("SL"))
            if codes:
                reason = comment[match.end() :].strip()
                out.append(Suppression(line, column, codes, reason, "noqa", lines, end))
    return out


def _code_matches(code: str, selectors: Iterable[str]) -> bool:
    return any(code.startswith(selector) for selector in selectors)


def suppressing(finding: Finding, suppressions: Iterable[Suppression]) -> Suppression | None:
    """The suppression that silences ``finding``, if any."""
    first, last = finding.span.line, finding.span.end_line
    for suppression in suppressions:
        if not any(first <= line <= last for line in suppression.lines):
            continue
        if suppression.codes is None or _code_matches(finding.code, suppression.codes):
            return suppression
    return None


def selectors_used(code: str, suppression: Suppression) -> set[str]:
    """The selectors of ``suppression`` that silence ``code`` (``*`` for a bare ignore)."""
    if suppression.codes is None:
        return {BLANKET}
    return {selector for selector in suppression.codes if code.startswith(selector)}


def file_ignored(code: str, ignores: tuple[str, ...] | None) -> bool:
    if ignores is None:
        return False
    return ignores == () or _code_matches(code, ignores)


def has_reason(suppression: Suppression) -> bool:
    """A reason is text after the bracket (or the noqa codes) with at least one letter or digit."""
    return any(character.isalnum() for character in suppression.reason)


def audit(
    suppressions: Iterable[Suppression],
    used: Mapping[int, Collection[str]],
    *,
    judged: Collection[str],
    matching: Callable[[str], list[str]],
    blanket_needs: Collection[str],
    require_reason: bool,
) -> Iterator[tuple[Suppression, str]]:
    """(comment, message) for every suppression SL002 reports in one file.

    ``used`` maps ``id(suppression)`` to the selectors that silenced a finding;
    ``judged`` holds the codes that ran to completion on the file and cannot be
    affected by other files; ``matching`` expands a selector to catalog codes;
    a bare ignore is judged only when every code in ``blanket_needs`` was judged.
    """
    for suppression in suppressions:
        hits = used.get(id(suppression), ())
        if suppression.codes is None:
            problem = None if hits or not all(c in judged for c in blanket_needs) else _UNUSED_BLANKET
        elif any(UNUSED_SUPPRESSION.startswith(selector) for selector in suppression.codes):
            continue  # the comment opts out of SL002 itself
        else:
            problem = _unused_codes(suppression.codes, hits, judged, matching)
        if problem is None and require_reason and not has_reason(suppression):
            problem = _NO_REASON
        if problem is not None:
            yield suppression, problem


def _unused_codes(
    selectors: tuple[str, ...], hits: Collection[str], judged: Collection[str], matching: Callable[[str], list[str]]
) -> str | None:
    """What is wrong with a comment's codes: unknown ones, and unused ones whose rules all ran."""
    if not selectors:
        return "Unused suppression: no rule codes between the brackets"
    unused: list[str] = []
    unknown: list[str] = []
    for selector in dict.fromkeys(selectors):
        codes = matching(selector)
        if not codes:
            unknown.append(selector)
        elif selector not in hits and all(code in judged for code in codes):
            unused.append(selector)
    if not unused and not unknown:
        return None
    parts = ([f"unused: {', '.join(unused)}"] if unused else []) + ([f"unknown: {', '.join(unknown)}"] if unknown else [])
    return f"Unused suppression ({'; '.join(parts)})"


_UNUSED_BLANKET = "Unused blanket suppression: no rule reports anything here"
_NO_REASON = "Suppression without a reason: say after the codes why this finding is acceptable here"
