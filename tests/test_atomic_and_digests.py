"""The small helpers every run leans on: atomic writes, and hashing without OpenSSL."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from statelint import atomic
from statelint.digests import blake2b, sha256


def test_write_text_replaces_the_file_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")
    atomic.write_text(target, "new\r\nline ünïcode\n")
    assert target.read_bytes() == "new\r\nline ünïcode\n".encode()  # newlines as given
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_write_text_gives_the_permissions_open_would(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        atomic.write_text(tmp_path / "out.sarif", "{}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out.sarif").stat().st_mode) == 0o644


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "baseline.json"
    target.write_text("kept\n")

    def refuse(source: str, destination: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        atomic.write_text(target, "lost\n")
    assert target.read_text() == "kept\n"
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]


def test_a_short_write_is_carried_on_until_every_byte_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.write may write less than it is given (a signal, a pipe, some file systems)."""
    real_write = os.write
    calls: list[int] = []

    def three_bytes(fd: int, data: bytes) -> int:
        calls.append(len(data))
        return real_write(fd, bytes(data[:3]))

    monkeypatch.setattr(atomic.os, "write", three_bytes)
    target = tmp_path / "record.json"
    atomic.write_text(target, '{"key": "ünï"}')
    assert target.read_bytes() == '{"key": "ünï"}'.encode()
    assert len(calls) == 6  # 17 bytes, three at a time


def test_text_that_cannot_be_encoded_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("kept\n")
    with pytest.raises(UnicodeEncodeError):
        atomic.write_text(target, "lone \udc80 surrogate")
    assert target.read_text() == "kept\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_temporary_names_never_collide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = iter([b"\0" * 6, b"\0" * 6, b"\1" * 6])  # the first name twice: the second try must move on
    monkeypatch.setattr(atomic.os, "urandom", lambda n: next(taken))
    first = atomic._create(tmp_path, "x")
    second = atomic._create(tmp_path, "x")
    assert first[1] != second[1]
    for fd, _ in (first, second):
        os.close(fd)


def test_digests_are_hashlibs() -> None:
    data = b"statelint \x00\xff" * 1000
    assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    assert blake2b(data, digest_size=16).hexdigest() == hashlib.blake2b(data, digest_size=16).hexdigest()
    incremental = sha256()
    incremental.update(data[:10])
    incremental.update(data[10:])
    assert incremental.hexdigest() == hashlib.sha256(data).hexdigest()
