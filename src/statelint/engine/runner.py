"""discover -> analyse (in parallel) -> join project-wide facts -> suppress -> sort."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from statelint.config.settings import Settings
from statelint.engine.analyze import Plan, analyze
from statelint.engine.discovery import Target, discover
from statelint.engine.fingerprint import with_fingerprints
from statelint.engine.suppressions import file_ignored, suppressing
from statelint.model import FileResult, Finding, InternalError, Suppression

#: Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 64


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InternalError] = field(default_factory=list)
    files_scanned: int = 0
    missing_paths: list[str] = field(default_factory=list)
    lines: dict[tuple[str, int], str] = field(default_factory=dict)
    #: Suppressions per path, with whether each silenced something.
    suppressions: dict[str, list[tuple[Suppression, bool]]] = field(default_factory=dict)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


_PLAN: Plan | None = None


def _worker_init(settings: Settings) -> None:
    global _PLAN
    _PLAN = Plan.build(settings)


def _analyze_chunk(targets: list[Target]) -> list[FileResult]:
    assert _PLAN is not None
    return [analyze(target, _PLAN) for target in targets]


def _chunks(items: list[Target], jobs: int) -> list[list[Target]]:
    size = max(8, len(items) // (jobs * 4) + 1)
    return [items[i : i + size] for i in range(0, len(items), size)]


def analyze_all(targets: list[Target], plan: Plan, jobs: int) -> list[FileResult]:
    """Per-file results in ``targets`` order, whatever order the workers finish in."""
    if jobs <= 1 or len(targets) < PARALLEL_THRESHOLD:
        return [analyze(target, plan) for target in targets]
    results: list[FileResult] = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(plan.settings,)) as pool:
        for chunk_result in pool.map(_analyze_chunk, _chunks(targets, jobs)):
            results.extend(chunk_result)
    return results


def scan(
    paths: Sequence[str],
    settings: Settings,
    *,
    cwd: Path,
    jobs: int = 1,
    analyze_files: Callable[[list[Target], Plan, int], list[FileResult]] = analyze_all,
) -> ScanResult:
    plan = Plan.build(settings)
    targets, missing = discover(paths, settings, cwd, plan.text_patterns)
    results = analyze_files(targets, plan, jobs)
    return join(results, plan, missing)


def join(results: list[FileResult], plan: Plan, missing: list[str]) -> ScanResult:
    """Combine per-file results into the final, deterministic report."""
    scan = ScanResult(files_scanned=len(results), missing_paths=missing)
    by_path = {result.path: result for result in results}
    findings: list[Finding] = [f for result in results for f in result.findings]
    for result in results:
        scan.errors.extend(result.errors)
        scan.lines.update(((result.path, n), text) for n, text in result.lines.items())
    findings.extend(_project_findings(results, plan, scan))
    _fill_missing_lines(findings, scan.lines)

    kept: list[Finding] = []
    used: dict[str, set[int]] = {}
    for finding in findings:
        result = by_path.get(finding.path)
        if result is not None:
            if file_ignored(finding.code, result.file_ignores):
                continue
            if any(finding.code.startswith(code) for code in plan.path_ignores(finding.path)):
                continue
            hit = suppressing(finding, result.suppressions)
            if hit is not None:
                used.setdefault(finding.path, set()).add(id(hit))
                continue
        kept.append(finding)
    for result in results:
        if result.suppressions:
            marks = used.get(result.path, set())
            scan.suppressions[result.path] = [(s, id(s) in marks) for s in result.suppressions]
    kept.sort(key=Finding.sort_key)
    scan.findings = with_fingerprints(kept, scan.lines)
    scan.errors.sort(key=lambda e: (e.path, e.code or "", e.message))
    return scan


def _fill_missing_lines(findings: list[Finding], lines: dict[tuple[str, int], str]) -> None:
    """Project-wide findings may point at lines no per-file finding did: read those files once."""
    wanted = {f.path for f in findings if (f.path, f.span.line) not in lines}
    for path in wanted:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for finding in findings:
            if finding.path == path and 0 < finding.span.line <= len(text):
                lines[(path, finding.span.line)] = text[finding.span.line - 1]


def _project_findings(results: list[FileResult], plan: Plan, scan: ScanResult) -> list[Finding]:
    out: list[Finding] = []
    unique = {doc.code: (rule_type, doc) for rule_type, doc in [*plan.python_rules, *plan.text_rules]}
    for rule_type, doc in unique.values():
        facts = {r.path: r.facts[doc.code] for r in results if doc.code in r.facts}
        if not facts:
            continue
        try:
            out.extend(rule_type.check_project(facts, doc, plan.options(doc), plan.catalog.knowledge(doc.code)))
        except Exception as exc:
            scan.errors.append(InternalError("<project>", f"rule {doc.code} failed: {type(exc).__name__}: {exc}", doc.code))
    return out
