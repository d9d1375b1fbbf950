"""What every reporter receives."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from statelint.catalog import Catalog, RuleDoc
from statelint.engine.runner import ScanResult
from statelint.model import Finding

#: How the summary names statelint's own findings (family SL0), one line per rule.
OWN_COUNTS = {"SL001": "Files that could not be analysed", "SL002": "Unused suppressions"}


class Report:
    """A scan's results with what the formats need to show them."""

    def __init__(
        self,
        scan: ScanResult,
        catalog: Catalog,
        color: bool = False,
        quiet: bool = False,
        enabled: tuple[str, ...] = (),
        root: Path | None = None,
        repository: Path | None = None,
        baselined: list[Finding] | None = None,
    ) -> None:
        self.scan = scan
        self.catalog = catalog
        self.color = color
        self.quiet = quiet
        #: Codes enabled for this run: SARIF describes them even when they found nothing.
        self.enabled = enabled
        #: The folder paths are displayed relative to.
        self.root = root
        #: The repository's root (SARIF's %SRCROOT%): what CI formats name files relative to.
        self.repository = repository if repository is not None else root
        #: With ``--baseline``: the findings the baseline records, which only SARIF shows
        #: (``baselineState: unchanged``); None without a baseline.
        self.baselined = baselined
        self._sources: dict[str, list[str]] = {}
        self._located: list[Finding] | None = None

    @property
    def findings(self) -> list[Finding]:
        return self.scan.findings

    def located_findings(self) -> list[Finding]:
        """The findings with the line of each path step's ``def`` filled in, for the formats that
        link them (SARIF, JSON). Only those pay for it: finding a step's line parses its file, the
        bulk of a warm run's time when the text formats, which show no such line, asked for it too."""
        if self._located is None:
            self._located = self._locate(self.scan.findings)
        return self._located

    def located_baselined(self) -> list[Finding]:
        """:attr:`baselined`, located as :meth:`located_findings` are (empty without a baseline)."""
        return self._locate(self.baselined or [])

    def _locate(self, findings: list[Finding]) -> list[Finding]:
        if any(f.related for f in findings):
            from statelint.project.locate import place

            return place(findings, str(self.root) if self.root is not None else None)
        return findings

    def repository_path(self, path: str) -> str | None:
        """``path`` (as displayed) relative to the repository's root, POSIX style; None outside it."""
        if self.repository is None:
            return None if os.path.isabs(path) else path
        full = os.path.normpath(os.path.join(self.root if self.root is not None else os.getcwd(), path))
        repository = str(self.repository)
        if full != repository and full.startswith(repository.rstrip(os.sep) + os.sep):
            return Path(os.path.relpath(full, repository)).as_posix()
        return None

    def ci_path(self, path: str) -> str:
        """``path`` as CI formats name it: relative to the repository's root, or in full outside it."""
        relative = self.repository_path(path)
        if relative is not None:
            return relative
        return Path(os.path.normpath(os.path.join(self.root if self.root is not None else os.getcwd(), path))).as_posix()

    def rule_name(self, code: str) -> str:
        doc = self.catalog.rules.get(code)
        return doc.name if doc else code

    def rule_docs(self) -> list[RuleDoc]:
        """Catalog entries of the enabled codes and of every code with a finding (baselined ones too), by code."""
        codes = set(self.enabled) | {f.code for f in self.findings} | {f.code for f in self.baselined or ()}
        return [self.catalog.rules[code] for code in sorted(codes) if code in self.catalog.rules]

    def line_text(self, finding: Finding) -> str:
        return self.scan.lines.get((finding.path, finding.span.line), "")

    def source_line(self, path: str, number: int) -> str:
        """Line ``number`` of ``path``: from the scan when known, else read once from disk."""
        known = self.scan.lines.get((path, number))
        if known is not None:
            return known
        if path not in self._sources:
            try:
                full = Path(path) if self.root is None else self.root / path
                self._sources[path] = full.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._sources[path] = []
        lines = self._sources[path]
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def family_counts(self) -> list[tuple[str, str, int]]:
        """(family code, family name, findings) for families with findings; statelint's own
        findings (SL0) per rule, by what they say of the code: a file that could not be analysed
        is not a problem of statelint's."""
        counts = Counter(f.code if f.code in OWN_COUNTS else f.code[:3] for f in self.findings)
        out = []
        for group, count in sorted(counts.items()):
            info = self.catalog.families.get(group)
            out.append((group, OWN_COUNTS.get(group) or (info.name if info else group), count))
        return out

    def files_with_findings(self) -> int:
        return len({f.path for f in self.findings})
