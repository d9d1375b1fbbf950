"""What every reporter receives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from statelint.catalog import Catalog
from statelint.engine.runner import ScanResult
from statelint.model import Finding


@dataclass
class Report:
    scan: ScanResult
    catalog: Catalog
    color: bool = False
    quiet: bool = False

    @property
    def findings(self) -> list[Finding]:
        return self.scan.findings

    def rule_name(self, code: str) -> str:
        doc = self.catalog.rules.get(code)
        return doc.name if doc else code

    def line_text(self, finding: Finding) -> str:
        return self.scan.lines.get((finding.path, finding.span.line), "")

    def family_counts(self) -> list[tuple[str, str, int]]:
        """(family code, family name, findings) for families with findings."""
        counts = Counter(f.code[:3] for f in self.findings)
        out = []
        for family, count in sorted(counts.items()):
            info = self.catalog.families.get(family)
            out.append((family, info.name if info else family, count))
        return out

    def files_with_findings(self) -> int:
        return len({f.path for f in self.findings})
