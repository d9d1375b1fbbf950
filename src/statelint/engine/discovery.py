"""Which files a scan reads: walk the given paths, honour excludes and .gitignore.

Directory symlinks are never followed (no loops, no escaping the tree); a file
symlink is followed only when it points inside the scanned root.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from statelint.config.settings import Settings

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True, order=True)
class Target:
    """One file to analyse: ``display`` is what reports show (relative to the working directory)."""

    display: str
    path: str
    kind: str  # "python" or "text"


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


class _Ignorer:
    """Exclude patterns (relative to the project root) plus .gitignore files."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        self.exclude = pathspec.GitIgnoreSpec.from_lines([*settings.exclude, *settings.extend_exclude])
        self.use_gitignore = settings.respect_gitignore
        self._gitignores: dict[Path, pathspec.GitIgnoreSpec | None] = {}

    def _gitignore(self, directory: Path) -> pathspec.GitIgnoreSpec | None:
        if directory not in self._gitignores:
            spec = None
            try:
                lines = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            if lines:
                spec = pathspec.GitIgnoreSpec.from_lines(lines)
            self._gitignores[directory] = spec
        return self._gitignores[directory]

    def ignored(self, path: Path, is_dir: bool) -> bool:
        suffix = "/" if is_dir else ""
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            relative = path.name
        if self.exclude.match_file(relative + suffix) or self.exclude.match_file(path.name + suffix):
            return True
        if not self.use_gitignore:
            return False
        for directory in path.parents:
            spec = self._gitignore(directory)
            if spec is not None and spec.match_file(path.relative_to(directory).as_posix() + suffix):
                return True
            if directory == self.root or (directory / ".git").exists():
                break
        return False


def discover(
    paths: Sequence[str],
    settings: Settings,
    cwd: Path,
    text_patterns: Sequence[str] = (),
) -> tuple[list[Target], list[str]]:
    """The files to scan, sorted, and any given paths that do not exist."""
    ignorer = _Ignorer(settings)
    found: dict[str, Target] = {}
    missing: list[str] = []
    for given in paths or ["."]:
        start = (cwd / given).absolute()
        if start.is_dir() and not start.is_symlink():
            scan_root = start.resolve()
            for file_path, kind in _walk(start, scan_root, ignorer, text_patterns):
                target = Target(display_path(file_path, cwd), str(file_path), kind)
                found.setdefault(target.display, target)
        elif start.exists() or start.is_symlink():
            if settings.force_exclude and _excluded_with_parents(start, ignorer):
                continue
            kind = _explicit_kind(start)
            target = Target(display_path(start, cwd), str(start), kind)
            found.setdefault(target.display, target)
        else:
            missing.append(given)
    return sorted(found.values()), missing


def _explicit_kind(path: Path) -> str:
    """A named file is Python if it looks like Python (``.py``, ``.pyi``, or a script with no
    suffix); anything else is a text file that only rules with a matching pattern read."""
    if path.name.endswith(PYTHON_SUFFIXES) or not path.suffix:
        return "python"
    return "text"


def _excluded_with_parents(path: Path, ignorer: _Ignorer) -> bool:
    if ignorer.ignored(path, is_dir=False):
        return True
    for parent in path.parents:
        if parent == ignorer.root or ignorer.root not in parent.parents:
            break
        if ignorer.ignored(parent, is_dir=True):
            return True
    return False


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _walk(start: Path, scan_root: Path, ignorer: _Ignorer, text_patterns: Sequence[str]) -> Iterable[tuple[Path, str]]:
    pending = [start]
    while pending:
        directory = pending.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if not ignorer.ignored(path, is_dir=True):
                    pending.append(path)
                continue
            name = entry.name
            if name.endswith(PYTHON_SUFFIXES):
                kind = "python"
            elif text_patterns and _matches(name, text_patterns):
                kind = "text"
            else:
                continue
            if is_link and not _link_inside(path, scan_root):
                continue
            if ignorer.ignored(path, is_dir=False):
                continue
            yield path, kind


def _link_inside(path: Path, root: Path) -> bool:
    """A file symlink is followed only if it resolves to a regular file inside ``root``."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return real.is_file() and (real == root or root in real.parents)
