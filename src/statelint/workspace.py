"""Which configuration each checked file uses, and where reports place it.

As in ruff, every file is checked with the closest configuration file above it, not
the one above the working directory (``--config`` names one file for every path). A
run is split into groups, one per configuration file: each given path joins the group
of the closest file above it, and a folder met in a walk that holds a configuration
file of its own is left to that file's group (see ``discover``). Each group is an
ordinary scan with one :class:`~statelint.config.Settings`, whose project root is the
configuration file's folder; paths with no configuration file above them share a group
whose root is the working directory when it holds them all, else their common folder.

Reports show a path relative to the working directory when it lies inside it, as they
always did; a run from outside the checked projects shows paths relative to the folder
that holds them all (the project root, for one project), never absolute ones that
depend on where the checkout happens to be.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from statelint.config.loader import find_config_file
from statelint.config.settings import Settings

#: ``load(config_file, root)``: validated settings for a configuration file (None: none, and
#: ``root`` is the project root then), the command line's options applied.
Loader = Callable[[Path | None, Path | None], Settings]


class Group(NamedTuple):
    """Paths checked with one configuration: ``paths`` as given (or absolute, for a nested project)."""

    settings: Settings
    paths: list[str]


class Workspace:
    """The groups of a run, and the display base and repository root its reports use."""

    def __init__(self, load: Loader, cwd: Path, explicit: bool) -> None:
        self._load = load
        self.cwd = cwd
        self.explicit = explicit
        self._memo: dict[Path, Path | None] = {}
        self._folders: dict[str, Path] = {}  # a named path's folder -> the folder resolved
        self._groups: dict[Path | None, Group] = {}
        self.display_base = cwd
        self.display_root: Path | None = None
        #: the folder holding ``.git`` above the checked projects (else their common folder):
        #: SARIF's ``%SRCROOT%``, what CI formats name files relative to
        self.repository_root = cwd

    @classmethod
    def resolve(cls, paths: Sequence[str], cwd: Path, load: Loader, config_file: Path | None = None) -> Workspace:
        """The groups of ``paths`` (relative to ``cwd``), their settings loaded (a ConfigError stops it)."""
        space = cls(load, cwd, config_file is not None)
        if config_file is not None:
            space._groups[None] = Group(load(config_file, None).replace(nested_configs=False), list(paths))
        else:
            found: dict[Path | None, list[str]] = {}
            for given in paths:
                found.setdefault(find_config_file(space._folder(given), space._memo), []).append(given)
            by_config: dict[Path | None, list[str]] = {}  # the same file, however it was reached
            for config, given_paths in found.items():
                by_config.setdefault(config.resolve() if config is not None else None, []).extend(given_paths)
            for config, given_paths in by_config.items():
                root = None if config is not None else space._root_without_config(given_paths)
                space._groups[config] = Group(load(config, root), given_paths)
        space._place([space._folder(given) for given in paths])
        return space

    @property
    def groups(self) -> list[Group]:
        """The groups, the shallowest project root first (a nested project comes after the one it is in)."""
        return sorted(self._groups.values(), key=lambda g: (len(g.settings.root.parts), str(g.settings.root)))

    def settings_for(self, given: str) -> Settings:
        """The settings the file or folder ``given`` is checked with."""
        if self.explicit:
            return self._groups[None].settings
        config = find_config_file(self._folder(given), self._memo)
        key = config.resolve() if config is not None else None
        return self._groups[key].settings

    def _folder(self, given: str) -> Path:
        """The folder whose configuration applies to ``given``: itself, or the folder holding it
        (resolved once per folder: a pre-commit run names many files in few folders)."""
        path = os.path.normpath(os.path.join(self.cwd, given))
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        found = self._folders.get(folder)
        if found is None:
            found = self._folders[folder] = Path(folder).resolve()
        return found

    def visit(self, run: Callable[[Group], Iterable[Path]]) -> None:
        """``run`` each group, the shallowest root first; each folder ``run`` returns (one holding a
        configuration file of its own, found in a walk) joins the group of that file, or starts one."""
        done: set[Path | None] = set()
        while True:
            waiting = [g for g in self.groups if _key(g) not in done]
            if not waiting:
                return
            group = waiting[0]
            done.add(_key(group))
            for folder in run(group):
                self._add_nested(folder)

    def _add_nested(self, folder: Path) -> None:
        config = find_config_file(folder, self._memo)
        if config is None:  # cannot happen: the walk found one there
            return
        key = config.resolve()
        group = self._groups.get(key)
        if group is None:
            settings = self._load(config, None).replace(cwd=self.display_base, display_root=self.display_root)
            group = self._groups[key] = Group(settings, [])
        group.paths.append(str(folder))

    def _root_without_config(self, paths: Sequence[str]) -> Path:
        """The project root of paths no configuration file is above: the working directory when it
        holds them all (as before), else their common folder; never the file system's root when
        another folder will do."""
        starts = [self._folder(given) for given in paths]
        cwd = self.cwd.resolve()
        if cwd != Path(cwd.anchor) and all(s == cwd or cwd in s.parents for s in starts):
            return cwd
        return Path(os.path.commonpath([str(s) for s in starts]))

    def _place(self, starts: list[Path]) -> None:
        """Choose the display base: the working directory when it holds the checked projects or lies
        inside them (a path outside it is shown as ``../x.py`` then), else the folder holding them all."""
        roots = [g.settings.root for g in self._groups.values()]
        common = Path(os.path.commonpath([str(p) for p in (*roots, *starts)]))
        cwd = self.cwd.resolve()
        if common == Path(common.anchor):
            base, up_to = cwd, None
        elif cwd == common or common in cwd.parents:
            base, up_to = cwd, common
        elif cwd in common.parents:
            base, up_to = cwd, None
        else:
            base, up_to = common, None
        self.display_base, self.display_root = base, up_to
        self.repository_root = repository_root(common if common != Path(common.anchor) else cwd)
        for key, group in self._groups.items():
            self._groups[key] = Group(group.settings.replace(cwd=base, display_root=up_to), group.paths)


def repository_root(folder: Path) -> Path:
    """The closest folder from ``folder`` upward that holds ``.git`` (a folder, or a worktree's
    file), else ``folder``."""
    for candidate in (folder, *folder.parents):
        if os.path.exists(candidate / ".git"):
            return candidate
    return folder


def default_cache_dir(settings: Settings) -> Path | None:
    """``.statelint_cache`` in the project root; none when that is the file system's root."""
    root = settings.root
    return None if root == Path(root.anchor) else root / ".statelint_cache"


def _key(group: Group) -> Path | None:
    path = group.settings.config_path
    return path.resolve() if path is not None else None
