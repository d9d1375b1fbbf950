"""Build the run's :class:`~statelint.project.model.ProjectModel` from every Python file of the project.

The model covers the whole project, not only the files a run reports on: a pre-commit
hook passes the staged files, and what they mean depends on the others (who calls a
function, what a factory returns). Summaries are cached by content, so a run on a few
changed files summarises only those and reads the rest from the cache.

A file that cannot be read, decoded or parsed contributes an empty summary; its SL001
comes from its own analysis, as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statelint.engine.discovery import Target, discover
from statelint.engine.source import SourceError, decode_python, read_bytes
from statelint.project.model import ProjectModel
from statelint.project.summary import Summary, summarize

if TYPE_CHECKING:
    from statelint.engine.analyze import Plan

#: Above this many files to summarise, the work goes to worker processes.
PARALLEL_ABOVE = 48


def project_targets(paths: Sequence[str], targets: list[Target], plan: Plan, cwd: Path) -> list[Target]:
    """The Python files the model is built from: the project root's, unless the scanned paths cover it."""
    settings = plan.settings
    root = settings.root
    covered = any(_covers(Path(cwd, p), root) for p in paths)
    python = [t for t in targets if t.kind == "python"]
    if covered:
        return python
    found, _ = discover([str(root)], settings, cwd, ())
    known = {os.path.realpath(t.path) for t in python}
    return python + [t for t in found if t.kind == "python" and os.path.realpath(t.path) not in known]


def _covers(path: Path, root: Path) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return resolved == root or resolved in root.parents


def summarize_file(target: Target, plan: Plan, data: bytes | None = None) -> Summary:
    """The summary of one file (an empty one when it cannot be read or parsed)."""
    module, is_package = plan.module_name(target.path)
    try:
        text = decode_python(data if data is not None else read_bytes(target.path))
        from statelint.engine.analyze import _cpython_parse

        tree = _cpython_parse(text, target.display)
    except (SourceError, SyntaxError, ValueError, RecursionError, MemoryError):
        return Summary(module, is_package)
    try:
        return summarize(tree, module, is_package)
    except RecursionError:
        return Summary(module, is_package)


def build_model(targets: Iterable[Target], plan: Plan, jobs: int = 1) -> ProjectModel:
    """The model of ``targets`` (Python files), their summaries taken from the cache where it has them."""
    cache = plan.cache
    pairs: list[tuple[Summary, bool]] = []
    missing: list[tuple[int, Target, str | None]] = []
    ordered = sorted(targets, key=lambda t: t.display)
    summaries: list[Summary | None] = [None] * len(ordered)
    for index, target in enumerate(ordered):
        key = None
        if cache is not None:
            try:
                data = read_bytes(target.path)
            except SourceError:
                data = None
            if data is not None:
                key = cache.summary_key(plan.module_name(target.path), data)
                found = cache.get_summary(key)
                if found is not None:
                    summaries[index] = found
                    continue
        missing.append((index, target, key))
    for index, summary in _summarize_all([t for _, t, _ in missing], plan, jobs):
        position, _, key = missing[index]
        summaries[position] = summary
        if cache is not None and key is not None:
            cache.put_summary(key, summary)
    for target, summary in zip(ordered, summaries, strict=True):
        assert summary is not None
        pairs.append((summary, plan.settings.deployed(target.display)))
    knowledge = plan.catalog.families["SL0"].knowledge.get("contexts", {}) if "SL0" in plan.catalog.families else {}
    return ProjectModel.build(pairs, knowledge)


def _summarize_all(targets: list[Target], plan: Plan, jobs: int) -> Iterable[tuple[int, Summary]]:
    if len(targets) <= PARALLEL_ABOVE or jobs <= 1:
        for index, target in enumerate(targets):
            yield index, summarize_file(target, plan)
        return
    from statelint.engine.pool import IsolatedPool

    results: dict[int, Summary] = {}

    def on_result(index: int, value: Any) -> None:
        # A crash, an overrun or an engine error leaves the file an empty summary: its own
        # analysis reports it (SL001), as it does for any file it cannot analyse.
        results[index] = value if isinstance(value, Summary) else Summary(*plan.module_name(targets[index].path))

    chunks = [list(range(i, len(targets), jobs * 4)) for i in range(min(len(targets), jobs * 4))]
    pool = IsolatedPool(min(jobs, len(chunks)), _summary_handler, (plan,), plan.settings.file_timeout, 200.0)
    pool.run(dict(enumerate(targets)), chunks, on_result)
    yield from sorted(results.items())


def _summary_handler(plan: Plan) -> Callable[[Target], Summary]:
    def handle(target: Target) -> Summary:
        return summarize_file(target, plan)

    return handle
