"""The resolved, validated settings a scan runs with."""

from __future__ import annotations

import fnmatch
import json
import os
from pathlib import Path
from typing import Any

from statelint.digests import sha256
from statelint.model import Record

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg-info",
    "__pycache__",
    "__pypackages__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".statelint_cache",
    ".hypothesis",
    "_build",
    "build",
    "dist",
    "site-packages",
    "node_modules",
)

#: Severities, least severe first: the values of ``severity`` and ``fail-on`` (as of ``--severity``, ``--fail-on``).
SEVERITIES = ("info", "warning", "error")

#: Paths of code that is never deployed (tests, examples, docs, benchmarks, developer scripts,
#: vendored code): the deployment families (SL1-SL8) do not report there, and the project
#: model does not count their calls (see ``statelint.project.model.not_deployed``).
DEFAULT_NOT_DEPLOYED = (
    "tests",
    "test",
    "testing",
    "test_*.py",
    "*_test.py",
    "*_tests.py",
    "*_tests",  # folders of integration, end-to-end and functional tests
    "conftest.py",
    "examples",
    "example",
    "docs",
    "doc",
    "benchmarks",
    "bench",
    "scripts",
    "tools",
    "vendor",
    "vendored",
    "_vendor",
    "third_party",
    "thirdparty",
    "extern",
)

#: Seconds; a longer per-file time limit means none (see ``Settings.file_timeout``).
MAX_FILE_TIMEOUT = 24 * 3600.0
#: Seconds one file's analysis may take by default (``file-timeout``).
DEFAULT_FILE_TIMEOUT = 60.0


def path_matches(path: str, pattern: str) -> bool:
    """``per-file-ignores``/``overrides`` glob semantics: ``*`` crosses folders, a bare name
    matches the file name anywhere, ``dir`` or ``dir/`` matches everything below it."""
    name = path.rsplit("/", 1)[-1]
    return (
        fnmatch.fnmatchcase(path, pattern)
        or fnmatch.fnmatchcase(name, pattern)
        or (pattern.endswith("/") and path.startswith(pattern))
        or fnmatch.fnmatchcase(path, pattern.rstrip("/") + "/*")
    )


class _Record(Record):
    """A frozen :class:`~statelint.model.Record`, with ``replace()`` and pickling.

    What a frozen dataclass gives, written out: every run defines these classes, and
    defining a frozen dataclass of fifteen fields costs about a millisecond each time.
    """

    __slots__ = ()

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: use replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), tuple(getattr(self, name) for name in self.FIELDS))

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` (as :func:`dataclasses.replace`)."""
        unknown = set(changes) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        return type(self)(**{name: changes.get(name, getattr(self, name)) for name in self.FIELDS})


class Override(_Record):
    """Settings for the files matching ``paths``, applied in order on top of the global ones."""

    FIELDS = ("paths", "select", "extend_select", "ignore", "options")
    __slots__ = FIELDS

    paths: tuple[str, ...]
    select: tuple[str, ...] | None  # replaces the enabled set for these files
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    options: dict[str, dict[str, Any]]  # only what the override sets

    def __init__(
        self,
        paths: tuple[str, ...],
        select: tuple[str, ...] | None = None,
        extend_select: tuple[str, ...] = (),
        ignore: tuple[str, ...] = (),
        options: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._set(paths=paths, select=select, extend_select=extend_select, ignore=ignore, options=options or {})

    def enabled(self, before: frozenset[str]) -> frozenset[str]:
        chosen = before if self.select is None else frozenset(self.select)
        return (chosen | frozenset(self.extend_select)) - frozenset(self.ignore)

    def without(self, codes: set[str]) -> Override:
        """This override, never enabling ``codes``."""
        if not codes:
            return self
        select = None if self.select is None else tuple(c for c in self.select if c not in codes)
        extend = tuple(c for c in self.extend_select if c not in codes)
        return Override(self.paths, select, extend, self.ignore, self.options)


class Settings(_Record):
    """Everything that decides what a scan reports. Picklable, for worker processes.

    ``enabled`` holds every code enabled for at least one path (what the engine loads);
    ``base_enabled`` the set for paths no override matches (None: same as ``enabled``).
    """

    FIELDS = (
        "root",
        "config_path",
        "enabled",
        "exclude",
        "extend_exclude",
        "per_file_ignores",
        "options",
        "respect_gitignore",
        "force_exclude",
        "overrides",
        "base_enabled",
        "cwd",
        "file_timeout",
        "not_deployed",
        "extends",
        "nested_configs",
        "display_root",
        "severity",
        "fail_on",
    )
    __slots__ = (*FIELDS, "_path_cache")

    root: Path
    config_path: Path | None
    enabled: tuple[str, ...]
    exclude: tuple[str, ...]
    extend_exclude: tuple[str, ...]
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...]
    options: dict[str, dict[str, Any]]
    respect_gitignore: bool
    force_exclude: bool
    overrides: tuple[Override, ...]
    base_enabled: tuple[str, ...] | None
    cwd: Path | None  # what display paths are relative to; patterns match from ``root`` too
    #: Seconds one file's analysis may take before it is reported (SL001) instead; 0: no limit.
    #: Not in the fingerprint: results that hit it are never cached.
    file_timeout: float
    #: patterns of never-deployed paths, relative to the project root (``not-deployed``)
    not_deployed: tuple[str, ...]
    #: the files ``config_path`` extends, the closest first (see ``extend``)
    extends: tuple[Path, ...]
    #: whether a folder holding a configuration file of its own is left to that file when
    #: a folder above it is walked (False with ``--config``: one file for every path)
    nested_configs: bool
    #: the folder up to which a path outside ``cwd`` is shown relative to it (``../x.py``);
    #: None: such a path is shown in full
    display_root: Path | None
    #: the least severity reported (``severity``, ``--severity``); None: every finding.
    #: Not in the fingerprint: it filters the report, not what the rules find.
    severity: str | None
    #: the least severity that makes the run exit 1 (``fail-on``, ``--fail-on``); None: any finding
    fail_on: str | None
    _path_cache: dict[str, tuple[str, ...]]  # path -> path_ignores(path); not a field

    def __init__(
        self,
        root: Path,
        config_path: Path | None = None,
        enabled: tuple[str, ...] = (),
        exclude: tuple[str, ...] = DEFAULT_EXCLUDES,
        extend_exclude: tuple[str, ...] = (),
        per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = (),
        options: dict[str, dict[str, Any]] | None = None,
        respect_gitignore: bool = True,
        force_exclude: bool = False,
        overrides: tuple[Override, ...] = (),
        base_enabled: tuple[str, ...] | None = None,
        cwd: Path | None = None,
        file_timeout: float = DEFAULT_FILE_TIMEOUT,
        not_deployed: tuple[str, ...] = DEFAULT_NOT_DEPLOYED,
        extends: tuple[Path, ...] = (),
        nested_configs: bool = True,
        display_root: Path | None = None,
        severity: str | None = None,
        fail_on: str | None = None,
    ) -> None:
        # Longer than a day (inf, 1e300) is no limit: the OS cannot wait that long in one call.
        if not 0 < file_timeout <= MAX_FILE_TIMEOUT:
            file_timeout = 0.0
        self._set(
            root=root,
            config_path=config_path,
            enabled=enabled,
            exclude=exclude,
            extend_exclude=extend_exclude,
            per_file_ignores=per_file_ignores,
            options=options if options is not None else {},
            respect_gitignore=respect_gitignore,
            force_exclude=force_exclude,
            overrides=overrides,
            base_enabled=base_enabled,
            cwd=cwd,
            file_timeout=file_timeout,
            not_deployed=not_deployed,
            extends=extends,
            nested_configs=nested_configs,
            display_root=display_root,
            severity=severity,
            fail_on=fail_on,
            _path_cache={},
        )

    def options_for(self, code: str, path: str | None = None) -> dict[str, Any]:
        """Options of ``code`` set by configuration, for ``path`` when given (overrides applied)."""
        options = self.options.get(code, {})
        if path is None or not self.overrides:
            return options
        merged = dict(options)
        for override in self._matching(path):
            merged.update(override.options.get(code, {}))
        return merged

    def option_variants(self, code: str) -> list[dict[str, Any]]:
        """Every distinct set of configured options ``code`` may run with (for prefilters)."""
        variants = [self.options.get(code, {})]
        for override in self.overrides:
            if code in override.options:
                variants.append({**self.options.get(code, {}), **override.options[code]})
        return variants

    def path_ignores(self, path: str) -> tuple[str, ...]:
        """Codes (or prefixes) turned off for ``path`` by ``per-file-ignores`` and ``overrides``."""
        if not self.per_file_ignores and not self.overrides:
            return ()
        cached = self._path_cache.get(path)
        if cached is not None:
            return cached
        candidates = self._candidates(path)
        out: list[str] = []
        for pattern, codes in self.per_file_ignores:
            if any(path_matches(candidate, pattern) for candidate in candidates):
                out.extend(codes)
        if self.overrides:
            enabled = frozenset(self.enabled if self.base_enabled is None else self.base_enabled)
            for override in self._matching(path):
                enabled = override.enabled(enabled)
            out.extend(code for code in self.enabled if code not in enabled)
        result = tuple(dict.fromkeys(out))
        self._path_cache[path] = result
        return result

    def _matching(self, path: str) -> list[Override]:
        candidates = self._candidates(path)
        return [o for o in self.overrides if any(path_matches(c, p) for c in candidates for p in o.paths)]

    def _candidates(self, path: str) -> tuple[str, ...]:
        """``path`` as displayed and relative to the project root, where the two differ."""
        relative = self.project_path(path)
        return (path,) if relative == path else (path, relative)

    def project_path(self, path: str) -> str:
        """A displayed path relative to the project root (the config file's folder), when inside it.

        Fingerprints use it, so a baseline matches whichever folder statelint runs from.
        """
        cwd = self.cwd if self.cwd is not None else Path.cwd()
        full = os.path.normpath(os.path.join(cwd, path))
        root = str(self.root)
        if full.startswith(root.rstrip(os.sep) + os.sep):
            relative = Path(os.path.relpath(full, root)).as_posix()
            return relative + "/" if path.endswith("/") else relative  # a folder stays one (``svc/``)
        return path

    def deployed(self, path: str, absolute: str | None = None) -> bool:
        """Whether ``path`` (as displayed; ``absolute``, when the caller has it) is deployed code:
        it matches no ``not-deployed`` pattern."""
        from statelint.project.model import not_deployed

        root = str(self.root).rstrip(os.sep) + os.sep
        if absolute is not None and absolute.startswith(root):
            relative = absolute[len(root) :].replace(os.sep, "/")
        else:
            relative = self.project_path(path)
        return not not_deployed(relative, self.not_deployed)

    def fingerprint(self) -> str:
        """A digest of everything that changes results (for caches)."""
        payload = {
            "root": str(self.root),  # per-path patterns match relative to it
            "enabled": self.enabled,
            "base_enabled": self.base_enabled,
            "per_file_ignores": self.per_file_ignores,
            "overrides": [
                [o.paths, o.select, o.extend_select, o.ignore, o.options] for o in self.overrides
            ],
            "options": self.options,
            "not_deployed": self.not_deployed,
        }
        blob = json.dumps(payload, sort_keys=True, default=str).encode()
        return sha256(blob).hexdigest()[:16]
