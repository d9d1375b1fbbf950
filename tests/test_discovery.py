"""Which files a scan reads: directory walks, .gitignore, default and configured excludes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pathspec
import pytest

from statelint.config.settings import DEFAULT_EXCLUDES, Settings
from statelint.engine.discovery import _Ignorer, _Patterns, discover
from tests.helpers import check_json

LOOPBACK = 'import uvicorn\nuvicorn.run(app, host="127.0.0.1")\n'


def write(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LOOPBACK)


def scanned(root: Path, *args: str) -> list[str]:
    run = check_json(*(args or (".",)), cwd=root)
    assert run.exit_code in (0, 1), run.stderr
    return sorted({f["path"] for f in run.findings})


def test_default_excludes(tmp_path: Path) -> None:
    write(
        tmp_path,
        "app.py",
        "stubs.pyi",
        ".venv/lib/site.py",
        "venv/x.py",
        ".tox/x.py",
        ".nox/x.py",
        "node_modules/pkg/x.py",
        "__pycache__/x.py",
        "build/lib/x.py",
        "lib/python3.11/site-packages/dep.py",
        ".git/hooks/x.py",
        "notes.txt",
    )
    assert scanned(tmp_path) == ["app.py", "stubs.pyi"]


def test_gitignore_is_respected_at_every_level(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "generated/out.py", "pkg/local_settings.py", "pkg/keep.py")
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "pkg" / ".gitignore").write_text("local_settings.py\n")
    assert scanned(tmp_path) == ["app.py", "pkg/keep.py"]


def _git(root: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_file_git_tracks_is_scanned_though_a_gitignore_pattern_matches_it(tmp_path: Path) -> None:
    # issue 21: a bare `config.py` line must not hide the package's tracked config.py; git itself
    # ignores only untracked files
    write(tmp_path, "pkg/config.py", "pkg/scratch/config.py", "local/kept.py", "local/loose.py", "app.py")
    (tmp_path / ".gitignore").write_text("config.py\nlocal/\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-f", "pkg/config.py", "local/kept.py")
    assert scanned(tmp_path) == ["app.py", "local/kept.py", "pkg/config.py"]
    # near miss: the same tree outside a git work tree (nothing is tracked) is judged by .gitignore alone
    shutil.rmtree(tmp_path / ".git")
    assert scanned(tmp_path) == ["app.py"]


def test_gitignore_can_be_turned_off(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "generated/out.py")
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / ".statelint.yaml").write_text("respect-gitignore: false\n")
    assert scanned(tmp_path) == ["app.py", "generated/out.py"]


def test_scanning_a_subdirectory_honours_the_parent_gitignore(tmp_path: Path) -> None:
    write(tmp_path, "src/app.py", "src/gen/out.py")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("gen/\n")
    assert scanned(tmp_path, "src") == ["src/app.py"]


def test_explicit_files_are_checked_even_when_excluded(tmp_path: Path) -> None:
    write(tmp_path, "generated/out.py")
    (tmp_path / ".gitignore").write_text("generated/\n")
    assert scanned(tmp_path, "generated/out.py") == ["generated/out.py"]
    assert scanned(tmp_path, "generated/out.py", "--force-exclude") == []


def test_force_exclude_asks_about_each_folder_once_for_all_the_files_named_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pre-commit run names many files of a few folders: each folder's verdict is shared."""
    write(tmp_path, "svc/api/a.py", "svc/api/b.py", "svc/api/c.py", "generated/d.py", "generated/e.py")
    (tmp_path / ".gitignore").write_text("generated/\n")
    asked: list[str] = []
    real = _Ignorer.ignored

    def recording(self: _Ignorer, path: Path, is_dir: bool) -> bool:
        if is_dir:
            asked.append(path.relative_to(tmp_path).as_posix())
        return real(self, path, is_dir)

    monkeypatch.setattr(_Ignorer, "ignored", recording)
    named = ["svc/api/a.py", "svc/api/b.py", "svc/api/c.py", "generated/d.py", "generated/e.py"]
    targets, missing = discover(named, Settings(root=tmp_path, force_exclude=True), tmp_path)
    assert [t.display for t in targets] == named[:3] and missing == []
    assert sorted(asked) == ["svc", "svc/api"]  # once each for three files (generated/ is settled by the file's own path)


def test_several_paths_are_deduplicated_and_sorted(tmp_path: Path) -> None:
    write(tmp_path, "b/x.py", "a/y.py")
    run = check_json("b", "a", "b/x.py", cwd=tmp_path)
    assert [f["path"] for f in run.findings] == ["a/y.py", "b/x.py"]


def test_paths_outside_the_working_directory_are_shown_relative_to_their_project(tmp_path: Path) -> None:
    write(tmp_path, "elsewhere/srv.py", "here/own.py")
    run = check_json(str(tmp_path / "elsewhere"), cwd=tmp_path / "here")
    assert [f["path"] for f in run.findings] == ["srv.py"]  # no configuration: the checked folder is the project
    both = check_json(".", str(tmp_path / "elsewhere"), cwd=tmp_path / "here")
    assert [f["path"] for f in both.findings] == ["../elsewhere/srv.py", "own.py"]  # relative to the working directory


def test_explicit_non_python_files_are_not_parsed_as_python(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("this is not python (\n")
    (tmp_path / "manage").write_text(LOOPBACK)  # a script without a suffix is Python
    run = check_json("notes.txt", "manage", cwd=tmp_path)
    assert [(f["path"], f["code"]) for f in run.findings] == [("manage", "SL301")]


PATTERN_CASES = [
    DEFAULT_EXCLUDES,
    ("generated", "*_pb2.py", "migrations", "a*b*c"),
    ("# a comment", "", "   ", "cache", "/anchored", "dist/", "*.py[cod]", "docs/**/*.py"),
    ("build", "!build"),  # a negation: order matters, everything goes to pathspec
    ("*", "."),
]
PATHS = [
    "app.py",
    "src/pkg/mod.py",
    ".git/",
    "a/.git/config.py",
    "pkg.egg-info/",
    "x/pkg.egg-info/PKG.py",
    "build/",
    "build.py",
    "src/build/lib/x.py",
    "generated/",
    "api_pb2.py",
    "deep/api_pb2.py",
    "api_pb2.pyi",
    "migrations/0001.py",
    "abc/",
    "a-b-c.py",
    "axbyc/d.py",
    "cache/",
    "anchored/x.py",
    "src/anchored/x.py",
    "dist/",
    "dist",
    "x.pyc",
    "docs/a/b.py",
    ".hidden.py",
    "ünïcode/build/x.py",
]


@pytest.mark.parametrize("patterns", PATTERN_CASES, ids=lambda p: " ".join(p)[:30] or "blank")
def test_name_patterns_match_as_pathspec_does(patterns: tuple[str, ...]) -> None:
    """Bare names are matched without pathspec: the answers must be pathspec's own."""
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    mine = _Patterns(patterns)
    for path in PATHS:
        assert mine.match_file(path) == spec.match_file(path), (patterns, path)


def test_default_excludes_need_no_pathspec() -> None:
    assert _Patterns(DEFAULT_EXCLUDES).spec is None
    assert _Patterns([*DEFAULT_EXCLUDES, "/anchored"]).spec is not None
