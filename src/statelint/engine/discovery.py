"""Which files a scan reads: walk the given paths, honour excludes and .gitignore.

Scanned trees are hostile, and one odd entry must never stop or hang a scan:

* directory symlinks met in a walk are never followed (no loops, no escaping the
  tree); a file symlink is followed only when it points inside the scanned root.
  A broken one (dangling, or a loop) that points inside is kept, so reading it
  reports it (SL001); one pointing outside the root is left alone. A directory
  named on the command line is walked even through a link: the user asked for it.
* FIFOs, sockets and devices met in a walk are skipped: opening a FIFO would block.
* a directory that cannot be listed is kept as a target, so it is reported (SL001,
  "cannot read directory") instead of its files silently going unchecked.
* invalid .gitignore lines are dropped, as git does; and, as for git, a file the repository
  tracks is not ignored by a .gitignore pattern that matches it (a bare ``config.py`` line
  must not hide the package's tracked ``config.py``): ``git ls-files`` is asked, once per
  repository and only when some .gitignore pattern hides something, and a repository git
  cannot list (no git, a timeout) is judged by its .gitignore files alone.
* display paths are printable: bytes the file system name could not decode and
  control characters are shown escaped, so a file name cannot forge report lines
  or send escape sequences to a terminal.
"""

from __future__ import annotations

import fnmatch
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from statelint.config.settings import Settings
from statelint.engine.source import SourceError, read_bytes

if TYPE_CHECKING:
    import pathspec

PYTHON_SUFFIXES = (".py", ".pyi")


class Target(NamedTuple):
    """One file to analyse: ``display`` is what reports show (relative to the working directory).

    Targets sort by display path first, as tuples do.
    """

    display: str
    path: str
    kind: str  # "python" or "text"


def display_path(path: Path, cwd: Path, up_to: Path | None = None) -> str:
    """``path`` as reports show it: relative to ``cwd`` (the display base) inside it; else, when the
    folder ``up_to`` above ``cwd`` holds it, relative to ``cwd`` all the same (``../lib/x.py``); else in full."""
    try:
        shown = path.relative_to(cwd).as_posix()
    except ValueError:
        if up_to is not None and (path == up_to or up_to in path.parents):
            shown = Path(os.path.relpath(path, cwd)).as_posix()
        else:
            shown = path.as_posix()
    return printable(shown)


def shown(path: Path, settings: Settings, cwd: Path) -> str:
    """``path`` as reports show it with ``settings`` (their display base, else ``cwd``). A path given
    through a link to a folder (``/srv/link/app``) is shown as its real folder's (the display base is
    a real path)."""
    base = settings.cwd or cwd
    display = display_path(path, base, settings.display_root)
    if os.path.isabs(display) and path.is_absolute():
        real = Path(_real_folder(str(path.parent)), path.name)
        if real != path:
            return display_path(real, base, settings.display_root)
    return display


@lru_cache(maxsize=256)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


# C0/C1 controls, DEL, line/paragraph separators, bidi overrides, surrogates (undecodable bytes):
# all of them fail str.isprintable(), so the expression is compiled (by ``re``, once) only for such a path.
_UNPRINTABLE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


def printable(text: str) -> str:
    """``text`` with what a terminal or a CI log would interpret shown as escapes."""
    return text if text.isprintable() else re.sub(_UNPRINTABLE, _escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    return match.group().encode("unicode_escape").decode("ascii")


#: A gitignore pattern that is a bare file or folder name, with up to two ``*`` wildcards
#: (``.git``, ``*.egg-info``): it matches any component of a path, at any depth.
_NAME_PATTERN = re.compile(r"[\w.-]*\*?[\w.-]*\*?[\w.-]*")


class _Patterns:
    """Gitignore-style patterns, relative to one folder.

    Bare names (every default exclude) are matched here, component by component;
    any other pattern goes to pathspec, imported only then: its import costs a
    pre-commit run more than the rest of discovery.
    """

    def __init__(self, lines: Sequence[str]) -> None:
        lines = [line for line in lines if line.strip() and not line.startswith("#")]  # blanks, comments
        negated = any(line.startswith("!") for line in lines)  # order matters then: all to pathspec
        names = set() if negated else {line for line in lines if _NAME_PATTERN.fullmatch(line) and line.strip(".")}
        rest = [line for line in lines if line not in names]
        self.literal = frozenset(name for name in names if "*" not in name)
        self.globs = tuple(name for name in names if "*" in name)
        self.spec = _spec(rest) if rest else None

    def match_file(self, path: str) -> bool:
        """Whether ``path`` (a trailing ``/`` marks a folder) or a folder above it is matched."""
        for part in path.rstrip("/").split("/"):
            if part in self.literal or any(fnmatch.fnmatchcase(part, glob) for glob in self.globs):
                return True
        return self.spec is not None and self.spec.match_file(path)


def _spec(lines: Sequence[str]) -> pathspec.GitIgnoreSpec:
    """A spec of the lines gitignore syntax accepts: git drops a bad line, so one must not stop the scan."""
    import pathspec

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # re's FutureWarnings about odd character sets, on the terminal
        try:
            return pathspec.GitIgnoreSpec.from_lines(lines)
        except (ValueError, re.error):  # GitIgnorePatternError is a ValueError
            return pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid(line)])


def _valid(line: str) -> bool:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except (ValueError, re.error):
        return False
    return True


class _Ignorer:
    """Exclude patterns (relative to the project root) plus .gitignore files."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        self.exclude = _Patterns([*settings.exclude, *settings.extend_exclude])  # the loader rejected bad ones
        self.use_gitignore = settings.respect_gitignore
        self.nested_configs = settings.nested_configs
        self._gitignores: dict[Path, _Patterns | None] = {}
        self._repositories: dict[Path, bool] = {}
        self._folders: dict[Path, bool] = {}  # folder -> whether it is ignored, for named files
        #: repository root -> the paths git tracks in it and the folders holding them (relative, posix)
        self._tracked: dict[Path, tuple[frozenset[str], frozenset[str]]] = {}

    def _gitignore(self, directory: Path) -> _Patterns | None:
        if directory not in self._gitignores:
            spec = None
            try:
                lines = read_bytes(str(directory / ".gitignore")).decode("utf-8", errors="replace").splitlines()
            except SourceError:  # missing, unreadable, or not a regular file (a FIFO would block)
                lines = []
            if lines:
                spec = _Patterns(lines)
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
                return not self._git_tracks(path, is_dir)
            if directory == self.root or self._repository_root(directory):
                break
        return False

    def _git_tracks(self, path: Path, is_dir: bool) -> bool:
        """Whether the repository ``path`` is in tracks it (a folder: some file in it)."""
        repository = next((d for d in path.parents if self._repository_root(d)), None)
        if repository is None:
            return False
        tracked = self._tracked.get(repository)
        if tracked is None:
            tracked = self._tracked[repository] = _tracked_files(repository)
        relative = path.relative_to(repository).as_posix()
        return relative in (tracked[1] if is_dir else tracked[0])

    def folder_ignored(self, directory: Path) -> bool:
        """:meth:`ignored` for a folder, asked once however many named files it holds."""
        found = self._folders.get(directory)
        if found is None:
            found = self._folders[directory] = self.ignored(directory, is_dir=True)
        return found

    def _repository_root(self, directory: Path) -> bool:
        """Whether ``directory`` holds a ``.git``: asked once per folder, not once per file in it."""
        found = self._repositories.get(directory)
        if found is None:
            found = self._repositories[directory] = os.path.exists(directory / ".git")
        return found


def _tracked_files(repository: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The files git tracks in ``repository`` and the folders holding them, relative to it; nothing
    when git cannot say (not installed, not a work tree it accepts, too slow)."""
    import subprocess

    try:
        listed = subprocess.run(
            ["git", "-C", str(repository), "ls-files", "-z", "--cached"],
            capture_output=True, timeout=30, check=True, stdin=subprocess.DEVNULL,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset(), frozenset()
    files = frozenset(name for name in listed.decode("utf-8", "surrogateescape").split("\0") if name)
    folders: set[str] = set()
    for name in files:
        end = name.rfind("/")
        while end > 0 and name[:end] not in folders:  # a folder seen before has its parents in already
            folders.add(name[:end])
            end = name.rfind("/", 0, end)
    return files, frozenset(folders)


def discover(
    paths: Sequence[str],
    settings: Settings,
    cwd: Path,
    text_patterns: Sequence[str] = (),
    nested: list[Path] | None = None,
) -> tuple[list[Target], list[str]]:
    """The files to scan, sorted, and any given paths that do not exist.

    A folder below a given one that holds a configuration file of its own is not walked
    (with ``settings.nested_configs``): it is added to ``nested``, for a run with that file.
    """
    ignorer = _Ignorer(settings)
    found: dict[str, Target] = {}
    missing: list[str] = []
    for given in paths or ["."]:
        start = Path(os.path.normpath((cwd / given).absolute()))  # ../x shown as x relative to its project
        if os.path.isdir(start):
            scan_root = start.resolve()
            for file_path, kind in _walk(start, scan_root, ignorer, text_patterns, nested):
                target = Target(shown(file_path, settings, cwd), str(file_path), kind)
                found.setdefault(target.display, target)
        elif os.path.lexists(start):
            if settings.force_exclude and _excluded_with_parents(start, ignorer):
                continue
            kind = explicit_kind(start)
            target = Target(shown(start, settings, cwd), str(start), kind)
            found.setdefault(target.display, target)
        else:
            missing.append(given)
    return sorted(found.values()), missing


def explicit_kind(path: Path) -> str:
    """A named file is Python if it looks like Python (``.py``, ``.pyi``, or a script with no
    suffix); anything else is a text file that only rules with a matching pattern read."""
    if path.name.endswith(PYTHON_SUFFIXES) or not path.suffix:
        return "python"
    return "text"


def excluded(path: Path, settings: Settings, is_dir: bool = False) -> bool:
    """Whether a file named on the command line is excluded (what ``--force-exclude`` drops)."""
    return _excluded_with_parents(path, _Ignorer(settings), is_dir)


def _excluded_with_parents(path: Path, ignorer: _Ignorer, is_dir: bool = False) -> bool:
    if ignorer.ignored(path, is_dir=is_dir):
        return True
    for parent in path.parents:
        if parent == ignorer.root or ignorer.root not in parent.parents:
            break
        if ignorer.folder_ignored(parent):
            return True
    return False


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _walk(
    start: Path, scan_root: Path, ignorer: _Ignorer, text_patterns: Sequence[str], nested: list[Path] | None = None
) -> Iterable[tuple[Path, str]]:
    pending = [start]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            yield directory, "python"  # reading it reports why its files went unchecked
            continue
        if directory is not start and ignorer.nested_configs and _own_config(directory, entries):
            if nested is not None:
                nested.append(directory)
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file(follow_symlinks=False)
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
            if is_link:
                if not _link_wanted(path, scan_root):
                    continue
            elif not is_file:  # a FIFO, socket or device
                continue
            if ignorer.ignored(path, is_dir=False):
                continue
            yield path, kind


def _own_config(directory: Path, entries: Sequence[os.DirEntry[str]]) -> bool:
    """Whether ``directory`` (listed as ``entries``) holds a configuration file of its own. One that
    mentions statelint but cannot be parsed counts: the run with it reports why."""
    from statelint.config.loader import CONFIG_NAMES, ConfigError, config_in

    names = {entry.name for entry in entries if entry.name in CONFIG_NAMES}
    if not names:
        return False
    try:
        return config_in(directory, names) is not None
    except ConfigError:
        return True


def _link_wanted(path: Path, root: Path) -> bool:
    """A link to a regular file inside ``root`` is followed; a broken one pointing inside is
    kept so that reading it reports it; anything else (outside, a directory, a FIFO) is not."""
    real = Path(os.path.realpath(path))  # never raises: a loop resolves to where it loops
    if real != root and root not in real.parents:
        return False
    if not os.path.exists(real):
        return True
    return os.path.isfile(real)


def nothing_to_check(given: str, settings: Settings, cwd: Path) -> str | None:
    """Why the folder ``given`` yields no file to check (None if it is no folder): asked only
    when a run checked nothing, so that "0 files scanned" is never left unexplained."""
    start = (cwd / given).absolute()
    if not os.path.isdir(start):
        return None
    ignorer = _Ignorer(settings)
    for folder in (start, *start.parents):
        if folder == settings.root or settings.root not in folder.parents:
            break
        pattern = _excluding_pattern(folder, settings)
        if pattern is not None:
            return f"the folder {shown(folder, settings, cwd)} is excluded by the pattern {pattern!r}"
    if settings.respect_gitignore:
        hidden = _hiding_gitignore(start, ignorer)
        if hidden is not None:
            gitignore, repository = hidden
            where = f" of the git repository {printable(str(repository))}" if repository is not None else ""
            return (
                f"it is ignored by {printable(str(gitignore))}{where} (set respect-gitignore = false "
                "in the configuration to check it)"
            )
    return "it holds no Python file that is not excluded or ignored by a .gitignore"


def _excluding_pattern(folder: Path, settings: Settings) -> str | None:
    """The exclude pattern that matches ``folder`` (relative to the project root), if any."""
    relative = folder.relative_to(settings.root).as_posix() + "/"
    for pattern in (*settings.exclude, *settings.extend_exclude):
        if _Patterns([pattern]).match_file(relative):
            return pattern
    return None


def _hiding_gitignore(start: Path, ignorer: _Ignorer) -> tuple[Path, Path | None] | None:
    """The .gitignore (and its repository's root) that ignores ``start`` or a folder above it, as
    :meth:`_Ignorer.ignored` looks them up: up to the project root or the repository's root."""
    for directory in start.parents:
        spec = ignorer._gitignore(directory)
        if spec is not None and spec.match_file(start.relative_to(directory).as_posix() + "/"):
            repository = next((d for d in (directory, *directory.parents) if ignorer._repository_root(d)), None)
            return directory / ".gitignore", repository
        if directory == ignorer.root or ignorer._repository_root(directory):
            break
    return None
