"""Hostile trees: links, pipes, unreadable entries and odd names never stop, hang or escape a scan.

One tree holds every case (``project/``, scanned from inside, plus ``outside/``, which
links point into). Expected: a broken link (dangling or looping) is SL001 naming the
problem; a link out of the scanned root is not followed, a link inside is; a FIFO met
in a walk is skipped without blocking (also as ``.gitignore`` and ``pyproject.toml``);
a directory named ``x.py`` is walked, not read; names with spaces and non-ASCII letters
are reported as they are, and control characters or undecodable bytes escaped, so a
file name cannot forge report lines or drive a terminal. Each case also under the
parallel engine and with a warm cache.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import Run
from tests.robustness.corpus import GOOD, Row, rows, write, write_padding
from tests.robustness.test_hostile_sources import scan, statelint_command

UNICODE = "dir with spaces/ünïcødé/mödülé ö.py"


def build(root: Path, undecodable: bool = True) -> Path:
    project, outside = root / "project", root / "outside"
    write(outside, {"secret.py": GOOD.encode()})
    write(project, {"good.py": GOOD.encode(), "x.py/inner.py": GOOD.encode(), UNICODE: GOOD.encode()})
    write(project, {"evil\nname.py": GOOD.encode(), "esc\x1b[31m.py": GOOD.encode()})
    if undecodable:  # a name the file system's encoding cannot decode
        (project / os.fsdecode(b"bad\xff.py")).write_text(GOOD)
    os.symlink("missing.py", project / "dangling.py")
    os.symlink("loop_b.py", project / "loop_a.py")
    os.symlink("loop_a.py", project / "loop_b.py")
    os.symlink("../outside/secret.py", project / "escape.py")
    os.symlink(outside, project / "escape_dir")
    os.symlink("good.py", project / "alias.py")
    os.mkfifo(project / "pipe.py")
    os.mkfifo(project / "data.json")
    os.mkfifo(project / "pyproject.toml")
    (project / "sub").mkdir()
    os.mkfifo(project / "sub" / ".gitignore")
    write(project, {"sub/mod.py": GOOD.encode()})
    return project


UNDECODABLE: Row = ("bad\\xff.py", "SL301", 2)
EXPECTED: list[Row] = sorted(
    [
        UNDECODABLE,
        ("alias.py", "SL301", 2),
        ("dangling.py", "SL001", 1),
        (UNICODE, "SL301", 2),
        ("esc\\x1b[31m.py", "SL301", 2),
        ("evil\\nname.py", "SL301", 2),
        ("good.py", "SL301", 2),
        ("loop_a.py", "SL001", 1),
        ("loop_b.py", "SL001", 1),
        ("sub/mod.py", "SL301", 2),
        ("x.py/inner.py", "SL301", 2),
    ]
)
MESSAGES = {
    "dangling.py": "cannot read file: broken symbolic link (points to 'missing.py', which does not exist)",
    "loop_a.py": "cannot read file: symbolic link loop",
    "loop_b.py": "cannot read file: symbolic link loop",
}


def check(run: Run, expected: list[Row] = EXPECTED) -> None:
    assert (run.exit_code, run.stderr) == (1, "")
    assert sorted(rows(run.findings)) == expected
    assert {f["path"]: f["message"] for f in run.findings if f["code"] == "SL001"} == MESSAGES


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build(tmp_path)


def test_hostile_tree(project: Path) -> None:
    check(scan(project, "--no-cache", "--jobs", "1"))


def test_hostile_tree_in_parallel_cold_and_warm(tmp_path: Path) -> None:
    project = build(tmp_path, undecodable=False)  # see the next test
    expected = [row for row in EXPECTED if row != UNDECODABLE]
    write_padding(project)
    cache = str(tmp_path / "cache")
    check(scan(project, "--no-cache", "--jobs", "2"), expected)
    cold = scan(project, "--cache-dir", cache, "--jobs", "2")
    check(cold, expected)
    warm = scan(project, "--cache-dir", cache, "--jobs", "2")
    assert warm.stdout == cold.stdout


def test_undecodable_file_name_with_the_cache(project: Path, tmp_path: Path) -> None:
    cold = scan(project, "--cache-dir", str(tmp_path / "cache"))
    check(cold)
    assert scan(project, "--cache-dir", str(tmp_path / "cache")).stdout == cold.stdout


def test_names_cannot_forge_report_lines(project: Path) -> None:
    """In the text formats one finding is one line, whatever the file is called."""
    done = subprocess.run(
        [*statelint_command(), "check", "--no-cache", "--output-format", "concise", "."],
        cwd=project,
        capture_output=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (1, b"")
    text = done.stdout.decode("utf-8")
    findings = [line for line in text.splitlines() if ": SL" in line]
    assert len(findings) == len(EXPECTED)
    assert "evil\\nname.py:2:23: SL301 " in text and "\nname.py:" not in text
    assert "esc\\x1b[31m.py:2:23: SL301 " in text and "\x1b" not in text
    assert "bad\\xff.py:2:23: SL301 " in text


def test_links_named_on_the_command_line_are_followed(project: Path) -> None:
    """Only what a walk meets is confined to the root: a path the user names is theirs."""
    run = scan(project, "--no-cache", paths=("escape.py", "escape_dir", "dangling.py"))
    assert sorted(rows(run.findings)) == [
        ("dangling.py", "SL001", 1),
        ("escape.py", "SL301", 2),
        ("escape_dir/secret.py", "SL301", 2),
    ]


def _readable(path: Path) -> bool:
    try:
        if path.is_dir():
            os.listdir(path)
        else:
            path.read_bytes()
    except PermissionError:
        return False
    return True


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_unreadable_entries_are_reported(tmp_path: Path, kind: str) -> None:
    write(tmp_path, {"good.py": GOOD.encode(), "locked.py": GOOD.encode(), "locked/inner.py": GOOD.encode()})
    locked = tmp_path / ("locked.py" if kind == "file" else "locked")
    locked.chmod(0)
    try:
        if _readable(locked):
            pytest.skip("permissions do not stop this user (root): nothing to test")
        run = scan(tmp_path, "--no-cache")
        assert (run.exit_code, run.stderr) == (1, "")
        reported = {f["path"]: f["message"] for f in run.findings if f["code"] == "SL001"}
        if kind == "file":
            assert reported == {"locked.py": "cannot read file: Permission denied"}
        else:
            assert reported == {"locked": "cannot read directory: Permission denied; the files in it were not checked"}
        assert ("good.py", "SL301", 2) in rows(run.findings)
    finally:
        locked.chmod(0o755)


def test_a_fifo_named_on_the_command_line_is_refused_not_waited_for(tmp_path: Path) -> None:
    write(tmp_path, {"good.py": GOOD.encode()})
    os.mkfifo(tmp_path / "pipe.py")
    command = [*statelint_command(), "check", "--output-format", "concise", "good.py", "pipe.py"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=8)
    assert done.returncode == 1
    assert "pipe.py:1:1: SL001 [unparseable-file] error: cannot read file: not a regular file" in done.stdout
