"""``statelint check -``: check source read from standard input, as editors send a buffer.

The content is judged as the file ``--stdin-filename`` names would be: that path decides
the configuration (excludes with ``--force-exclude``, per-file ignores, overrides,
not-deployed patterns), its module name and its place in the project model (built from
the files on disk, as for a checked file), and it is the path reports show (``-``
without one). The engine reads files by path, so the content is written to a private
temporary folder that mirrors the file's package folders (its module name stays the
same); the real file is never read nor written. Per-file results are never cached: the
content of an unsaved buffer must not be stored under a real file's key.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from statelint.engine.discovery import Target, excluded, explicit_kind, shown

#: What reports show for standard input read without ``--stdin-filename`` (as ruff does).
STDIN_DISPLAY = "-"


def scan_stdin(data: bytes, filename: str | None, settings: Any, cwd: Path, jobs: int, cache_dir: Path | None) -> Any:
    """The :class:`~statelint.engine.runner.ScanResult` of ``data`` checked as ``filename``."""
    from statelint.engine.gc_pause import frozen
    from statelint.engine.runner import ScanResult

    real = Path(os.path.normpath(Path(cwd, filename).absolute())) if filename else None
    if real is not None and settings.force_exclude and excluded(real, settings):
        return ScanResult()  # as a named file: --force-exclude drops it, and nothing is checked
    with frozen(), _written(data, real) as copy:
        return _scan(copy, real, settings, cwd, jobs, cache_dir)


def _scan(copy: Path, real: Path | None, settings: Any, cwd: Path, jobs: int, cache_dir: Path | None) -> Any:
    from statelint.engine.analyze import Plan
    from statelint.engine.cache import ResultCache
    from statelint.engine.runner import analyze_all, join

    kind = explicit_kind(real) if real is not None else "python"
    display = shown(real, settings, cwd) if real is not None else STDIN_DISPLAY
    plan = Plan.build(settings)
    if real is not None and kind == "python" and os.path.isfile(real):
        if cache_dir is not None:  # the project model's record only: it holds what is on disk
            plan.cache = ResultCache.open(cache_dir, plan.catalog.digest, settings.fingerprint())
        _place_in_project(plan, Target(display, str(real), kind), copy, cwd, jobs)
    plan.cache = None  # never the stdin content's result under the real file's key
    results = analyze_all([Target(display, str(copy), kind)], plan, jobs)
    return join(results, plan, [])


def _place_in_project(plan: Any, real: Target, copy: Path, cwd: Path, jobs: int) -> None:
    """Give the copy the view of the project model the real file has (see :func:`project.build.prepare`)."""
    from statelint.project.build import prepare

    try:
        prepare([real.path], [real], plan, cwd, jobs)
        plan.ensure_model()
        view = plan.view(real)
    except Exception:  # noqa: BLE001 - an engine bug in the model: the content is judged alone, as a file outside a project
        return
    plan.preset_views({str(copy): view}, None)


@contextmanager
def _written(data: bytes, real: Path | None) -> Iterator[Path]:
    """``data`` in a private temporary file named as ``real`` is, in copies of its package folders."""
    from statelint.engine.analyze import package_chain

    folder = Path(tempfile.mkdtemp(prefix="statelint-stdin-"))
    try:
        place = folder
        if real is not None:
            for package in reversed(package_chain(str(real.parent))):
                place = place / package
                place.mkdir()
                (place / "__init__.py").write_bytes(b"")
        copy = place / (real.name if real is not None and real.name else "stdin.py")
        with open(copy, "wb") as handle:
            handle.write(data)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)
