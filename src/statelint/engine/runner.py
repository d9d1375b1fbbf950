"""discover -> analyse (cache, then isolated worker processes) -> join project-wide facts -> suppress -> sort.

The parent process reads and hashes each file and looks it up in the result cache.
What is left goes to worker processes in chunks, largest files first; results come
back as small records and are put in ``targets`` order, so the output never depends
on which worker finished first. A worker that crashes or overruns the per-file time
limit costs one file (reported as SL001), never the run (see :mod:`.pool`).

Small runs (a pre-commit hook passing a few changed files) first screen each file
in the parent (with one forked helper when there are two cores, see :mod:`.screening`):
one that no rule's needles and declarations want is finished there, without starting a
worker or importing libcst.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from statelint.config.settings import Settings
from statelint.engine.analyze import (
    PARSE_ERROR,
    Plan,
    RuleIndex,
    analyze,
    with_expansions,
)
from statelint.engine.cache import ResultCache, content_digest
from statelint.engine.discovery import Target, discover
from statelint.engine.fingerprint import with_fingerprints
from statelint.engine.gc_pause import frozen
from statelint.engine.screening import screen_all
from statelint.engine.source import SourceError, decode_python, decode_text, read_bytes
from statelint.engine.suppressions import (
    UNUSED_SUPPRESSION,
    file_ignored,
    file_ignores,
    selectors_used,
    suppressing,
)
from statelint.model import (
    FileResult,
    Finding,
    InternalError,
    Severity,
    Span,
    Suppression,
)

#: Up to this many files to analyse, the parent first tries each without rules (see module doc).
LIGHT_LIMIT = 32
#: ... and only files up to this size.
LIGHT_MAX_BYTES = 512 * 1024
#: Chunks per worker: enough to balance uneven files, few enough to keep messages cheap.
CHUNKS_PER_JOB = 8
MAX_CHUNK = 32
#: A worker that has grown past this many MB is replaced by a fresh one between chunks.
RETIRE_MB = 90.0
#: Above this many files for the workers, the parent imports the rules (and libcst) before
#: forking them; below, each worker imports them itself, in parallel.
PRELOAD_ABOVE = 16


class ScanResult:
    """What a scan found, ready for the reporters."""

    def __init__(
        self,
        findings: list[Finding] | None = None,
        errors: list[InternalError] | None = None,
        files_scanned: int = 0,
        missing_paths: list[str] | None = None,
        lines: dict[tuple[str, int], str] | None = None,
        suppressions: dict[str, list[tuple[Suppression, bool]]] | None = None,
    ) -> None:
        self.findings = findings if findings is not None else []
        self.errors = errors if errors is not None else []
        self.files_scanned = files_scanned
        self.missing_paths = missing_paths if missing_paths is not None else []
        self.lines = lines if lines is not None else {}  # (path, line) -> its text
        #: Suppressions per path, with whether each silenced something.
        self.suppressions = suppressions if suppressions is not None else {}
        #: Folders the walk left to a configuration file of their own (see ``discover``).
        self.nested: list[Path] = []

    def add(self, other: ScanResult) -> None:
        """Take in the results of another group of files (checked with other settings)."""
        self.findings = sorted([*self.findings, *other.findings], key=Finding.sort_key)
        self.errors = sorted([*self.errors, *other.errors], key=lambda e: (e.path, e.code or "", e.message))
        self.files_scanned += other.files_scanned
        self.missing_paths += other.missing_paths
        self.lines.update(other.lines)
        self.suppressions.update(other.suppressions)


def default_jobs() -> int:
    try:
        cores = len(os.sched_getaffinity(0))  # what this process may use (containers, taskset)
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def analyze_all(
    targets: list[Target], plan: Plan, jobs: int, progress: Callable[[int, int], None] | None = None
) -> list[FileResult]:
    """Per-file results in ``targets`` order, whatever order the workers finish in.

    ``progress(done, total)`` is called as each file completes (cache hits included).
    """
    cache: ResultCache | None = plan.cache
    results: list[FileResult | None] = [None] * len(targets)
    done = 0

    def finish(index: int, result: FileResult) -> None:
        nonlocal done
        results[index] = result
        done += 1
        if progress is not None:
            progress(done, len(targets))

    keys: dict[int, tuple[str, str]] = {}  # index -> (cache key, content digest)
    sizes: dict[int, int] = {}
    contents: dict[int, bytes] = {}  # kept only while the run may stay small (see LIGHT_LIMIT)
    todo: list[int] = []
    deferred: list[tuple[str, FileResult]] = []  # cache entries written while the workers parse
    decided: dict[int, frozenset[str]] = {}  # index -> the rules that still want it, from screening
    for index, target in enumerate(targets):
        data = _read(target.path) if cache is not None else None
        if cache is not None and data is not None:
            digest = content_digest(data)
            view = plan.view(target)
            key = cache.file_key(target.display, target.path, target.kind, plan.module_name(target.path), digest, view.digest)
            hit = cache.get(key, target.display)
            if hit is not None:
                finish(index, hit)
                continue
            keys[index] = (key, digest)
            screened = plan.screened.pop(target.path, None)
            # Screening read the file alone: its answer stands as far as the model's library names leave it.
            light = None
            if screened is not None and screened[0] == digest:
                light = with_expansions(screened[1], screened[2], screened[3], view, plan, target.display)
            if light is not None:
                if isinstance(light, FileResult):  # no rule wanted it when it was summarised
                    if not light.errors:
                        deferred.append((key, light))
                    finish(index, light)
                    continue
                if light.wanted is not None:
                    decided[index] = light.wanted  # the rules the prefilter left it to, then: not asked again
        todo.append(index)
        if data is not None:
            sizes[index] = len(data)
            if len(todo) <= LIGHT_LIMIT:
                contents[index] = data
            else:
                contents.clear()

    def store(index: int, result: FileResult) -> None:
        if cache is not None and index in keys and not result.errors:
            cache.put(keys[index][0], result)
        finish(index, result)

    def weight(index: int) -> int:
        """What screening the file costs, about: its lines (a table of long strings is cheap per byte)."""
        if index in contents:
            return contents[index].count(b"\n") + 1
        return (sizes[index] if index in sizes else _size(targets[index].path)) // 32

    def screen(index: int) -> FileResult | None:
        """The file's result if the parent can finish it without rules, else None (a worker's job)."""
        data = contents[index] if index in contents else _read(targets[index].path)
        # A big file goes to a worker even when no rule wants it: only there does the
        # time limit protect the run from whatever its decoding and checks cost.
        if data is not None and len(data) > LIGHT_MAX_BYTES:
            return None
        light = analyze(targets[index], plan, data, light=True)
        return light if isinstance(light, FileResult) else None

    heavy = todo
    if len(todo) <= LIGHT_LIMIT:
        heavy = []

        def screened(index: int, light: FileResult | None) -> None:
            if light is None:
                heavy.append(index)
            else:
                store(index, light)

        displays = {index: targets[index].display for index in todo}
        screen_all(todo, {index: weight(index) for index in todo}, displays, screen, screened, jobs)
        heavy.sort()
    def write_deferred() -> None:
        for key, result in deferred:
            cache.put(key, result)  # type: ignore[union-attr]
        deferred.clear()

    if heavy:
        _in_workers(targets, heavy, sizes, keys, plan, jobs, store, decided, write_deferred)
    write_deferred()
    return [r if r is not None else _no_result(t) for r, t in zip(results, targets, strict=True)]


def _no_result(target: Target) -> FileResult:
    """Cannot happen (every task is answered), but a file must never vanish from a report."""
    return FileResult(target.display, errors=[InternalError(target.display, "engine failed: no result")])


def _read(path: str) -> bytes | None:
    try:
        return read_bytes(path)  # never blocks on a FIFO or device named on the command line
    except SourceError:
        return None  # analyze() reads it again and reports why it cannot


def _in_workers(
    targets: list[Target],
    indices: list[int],
    sizes: dict[int, int],
    keys: dict[int, tuple[str, str]],
    plan: Plan,
    jobs: int,
    store: Callable[[int, FileResult], None],
    decided: Mapping[int, frozenset[str]],
    meanwhile: Callable[[], None] | None = None,
) -> None:
    from statelint.engine.pool import (  # multiprocessing: only when needed
        Failure,
        IsolatedPool,
        context,
    )

    sizes = {i: sizes[i] if i in sizes else _size(targets[i].path) for i in indices}
    chunks = _chunks(indices, sizes, jobs)
    # A worker re-reads its file and returns the content hash it analysed: only a result
    # for the content the parent looked up may be cached (the file may change meanwhile).
    tasks = {i: (targets[i], keys[i][1] if i in keys else None, decided.get(i)) for i in indices}

    def on_result(index: int, value: Any) -> None:
        target = targets[index]
        if isinstance(value, Failure):  # crashes and overruns may not happen next time: never cached
            keys.pop(index, None)
            store(index, _failure_result(target, value, plan))
        elif isinstance(value, tuple) and value and value[0] == "error":
            store(index, FileResult(target.display, errors=[InternalError(target.display, f"engine failed: {value[1]}")]))
        else:
            result, fresh = value
            if not fresh:
                keys.pop(index, None)
            store(index, result)

    _ = plan.index  # computed before forking, so no worker repeats it
    if context().get_start_method() != "fork":
        plan.ensure_model()  # a spawned worker gets the plan pickled: with the model, not how to load it
    # Forked workers load the model where a rule first needs it: the parent never holds it, and
    # each worker counts it once rather than all of them sharing (and counting) the parent's.
    timeout = plan.settings.file_timeout  # per file: parse, rules and positions together
    if len(indices) > PRELOAD_ABOVE:
        _ = plan.python_rules  # imported once here, shared by every forked worker (and any replacement)
    # Everything imported so far lives as long as the workers: keep it out of their
    # garbage collections (a full one walks every object) and off the pages each
    # forked worker would otherwise copy as the collector touches them.
    with frozen():
        pool = IsolatedPool(min(jobs, len(chunks)), _worker_handler, (plan.settings, plan.index, plan), timeout, RETIRE_MB)
        pool.run(tasks, chunks, on_result, meanwhile)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _chunks(indices: list[int], sizes: dict[int, int], jobs: int) -> list[list[int]]:
    """Largest files first, grouped up to an even share of the work: no worker is left
    with a huge file at the end, and small files travel in bulk."""
    order = sorted(indices, key=lambda i: (-sizes[i], i))
    share = max(1, sum(sizes.values()) // (max(1, jobs) * CHUNKS_PER_JOB))
    chunks: list[list[int]] = []
    current: list[int] = []
    weight = 0
    for index in order:
        current.append(index)
        weight += sizes[index] + 1024  # opening and hashing a file costs something too
        if weight >= share or len(current) >= MAX_CHUNK:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


def _worker_handler(settings: Settings, index: RuleIndex, plan: Plan | None = None) -> Callable[[Any], Any]:
    """Runs in each worker: a forked one reuses the parent's plan, a spawned one gets it pickled
    (the project model and views included), or builds its own when the plan did not come along."""
    if plan is None or plan.settings is not settings:
        plan = Plan.build(settings, index)
    return partial(_analyze_task, plan)


def _analyze_task(plan: Plan, task: tuple[Target, str | None, frozenset[str] | None]) -> tuple[FileResult, bool]:
    target, digest, decided = task
    data = _read(target.path)
    fresh = digest is not None and data is not None and content_digest(data) == digest
    result = analyze(target, plan, data, decided=decided if fresh else None)
    if not isinstance(result, FileResult):  # cannot happen without light=True
        raise RuntimeError("no result")
    return result, fresh


def _failure_result(target: Target, failure: Any, plan: Plan) -> FileResult:
    """SL001 for a file whose analysis crashed its process or overran the time limit."""
    result = FileResult(target.display)
    text = ""
    data = _read(target.path)
    try:
        text = (decode_text(data) if target.kind == "text" else decode_python(data)) if data is not None else ""
        result.file_ignores = file_ignores(text)
    except SourceError:
        pass
    if not plan.is_enabled(PARSE_ERROR):
        return result
    if failure.kind == "timeout":
        message = f"could not be analysed: it {failure.detail} (the per-file time limit)"
        hint = "Raise the limit with --file-timeout or `file-timeout` in the configuration, or exclude the file."
    else:
        message = f"could not be analysed: the process analysing it crashed ({failure.detail}, also when retried alone)"
        hint = "libcst's parser overflowing on deeply nested code is the usual cause: exclude the file, or simplify that code."
    doc = plan.catalog.rules[PARSE_ERROR]
    result.findings.append(Finding(PARSE_ERROR, message, target.display, Span(1, 1, 1, 1), Severity(doc.severity), hint))
    first = text.split("\n", 1)[0]
    if first:
        result.lines[1] = first
    return result


def unused_suppressions(results: list[FileResult], plan: Plan, used: dict[int, set[str]]) -> Iterator[Finding]:
    """SL002 (see :mod:`.unused`), imported only when enabled: it loads every rule module, and libcst."""
    if not plan.is_enabled(UNUSED_SUPPRESSION):
        return iter(())
    from statelint.engine.unused import unused_suppressions as find

    return find(results, plan, used)


def scan(
    paths: Sequence[str],
    settings: Settings,
    *,
    cwd: Path,
    jobs: int = 1,
    analyze_files: Callable[[list[Target], Plan, int], list[FileResult]] = analyze_all,
    cache_dir: Path | None = None,
) -> ScanResult:
    """Scan ``paths``; with ``cache_dir``, per-file results are read from and kept in that cache."""
    with frozen():  # the imports, catalog and settings live as long as the scan
        return _scan(paths, settings, cwd, jobs, analyze_files, cache_dir)


def _scan(
    paths: Sequence[str],
    settings: Settings,
    cwd: Path,
    jobs: int,
    analyze_files: Callable[[list[Target], Plan, int], list[FileResult]],
    cache_dir: Path | None,
) -> ScanResult:
    plan = Plan.build(settings)
    if cache_dir is not None:
        cache = ResultCache.open(cache_dir, plan.catalog.digest, settings.fingerprint())
        index = RuleIndex.from_json(cache.get_record("rules"))
        if index is not None:
            plan = Plan(settings, plan.catalog, index)
        else:
            cache.put_record("rules", plan.index.to_json())
        plan.cache = cache
        cache.touch()
    nested: list[Path] = []
    targets, missing = discover(paths, settings, cwd, plan.text_patterns, nested)
    model_error: InternalError | None = None
    if any(t.kind == "python" for t in targets):
        from statelint.project.build import prepare

        try:
            prepare(paths, targets, plan, cwd, jobs)
        except Exception as exc:  # noqa: BLE001 - an engine bug: each file is judged alone, and it is reported
            plan.preset_views({}, None)
            model_error = InternalError("<project>", f"engine failed: project model: {type(exc).__name__}: {exc}")
    results = analyze_files(targets, plan, jobs)
    scan = join(results, plan, missing)
    if model_error is not None:
        scan.errors.append(model_error)
    scan.nested = nested
    return scan


def join(results: list[FileResult], plan: Plan, missing: list[str]) -> ScanResult:
    """Combine per-file results into the final, deterministic report."""
    scan = ScanResult(files_scanned=len(results), missing_paths=missing)
    by_path = {result.path: result for result in results}
    findings: list[Finding] = [f for result in results for f in result.findings]
    for result in results:
        scan.errors.extend(result.errors)
        scan.lines.update(((result.path, n), text) for n, text in result.lines.items())
    findings.extend(_project_findings(results, plan, scan))
    _fill_missing_lines(findings, scan.lines, plan.settings.cwd)

    used: dict[int, set[str]] = {}  # id(suppression) -> its selectors that silenced something
    kept = [f for f in findings if f.path not in by_path or not _silenced(f, by_path[f.path], plan, used)]
    unused = list(unused_suppressions(results, plan, used))  # SL002 needs every other finding's fate first
    _fill_missing_lines(unused, scan.lines, plan.settings.cwd)
    kept.extend(unused)
    for result in results:
        if result.suppressions:
            scan.suppressions[result.path] = [(s, id(s) in used) for s in result.suppressions]
    kept.sort(key=Finding.sort_key)
    scan.findings = with_fingerprints(kept, scan.lines, plan.settings.project_path)
    scan.errors.sort(key=lambda e: (e.path, e.code or "", e.message))
    return scan


def _silenced(finding: Finding, result: FileResult, plan: Plan, used: dict[int, set[str]]) -> bool:
    """Whether ignore-file, per-path config or a comment drops ``finding``; records the comment's use."""
    if file_ignored(finding.code, result.file_ignores):
        return True
    if any(finding.code.startswith(code) for code in plan.path_ignores(finding.path)):
        return True
    hit = suppressing(finding, result.suppressions)
    if hit is None:
        return False
    used.setdefault(id(hit), set()).update(selectors_used(finding.code, hit))
    return True


def _fill_missing_lines(findings: list[Finding], lines: dict[tuple[str, int], str], base: Path | None) -> None:
    """Project-wide findings may point at lines no per-file finding did: read those files once
    (their paths are as displayed: relative to ``base``, the settings' display folder)."""
    wanted = {f.path for f in findings if (f.path, f.span.line) not in lines and f.code != PARSE_ERROR}
    for path in wanted:
        try:
            text = read_bytes(os.path.join(base, path) if base else path).decode("utf-8", errors="replace").splitlines()
        except SourceError:  # gone, or not a regular file: never block on a FIFO
            continue
        for finding in findings:
            if finding.path == path and 0 < finding.span.line <= len(text):
                lines[(path, finding.span.line)] = text[finding.span.line - 1]


def _project_findings(results: list[FileResult], plan: Plan, scan: ScanResult) -> list[Finding]:
    out: list[Finding] = []
    index = plan.index
    for code in dict.fromkeys([*index.python, *(code for code, _ in index.text)]):
        facts = {r.path: r.facts[code] for r in results if code in r.facts}
        needed = index.join_on.get(code)
        if not facts or needed and not any(isinstance(r, dict) and needed in r for found in facts.values() for r in found):
            continue
        cache: ResultCache | None = plan.cache
        cached = cache.get_project(code, facts) if cache is not None else None
        if cached is not None:  # same facts as a previous run: skip importing and running the rule
            out.extend(cached)
            continue
        doc = plan.catalog.rules[code]
        try:
            rule_type = plan.rule_type(code)
            found = list(rule_type.check_project(facts, doc, plan.options(doc), plan.catalog.knowledge(code)))
        except Exception as exc:
            scan.errors.append(InternalError("<project>", f"rule {code} failed: {type(exc).__name__}: {exc}", code))
            continue
        if cache is not None:
            cache.put_project(code, facts, found)
        out.extend(found)
    return out