"""A closed pipe and Ctrl-C end a run quietly, as users of ``| head`` and a terminal expect."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src"
LOOPBACK = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="127.0.0.1")\n'
ENV = {**os.environ, "PYTHONPATH": str(SRC)}


def _statelint(*args: str) -> list[str]:
    return [sys.executable, "-m", "statelint", *args]


@pytest.mark.parametrize("output_format", ["full", "concise", "json", "sarif"])
def test_a_closed_pipe_ends_quietly_with_the_usual_exit_code(tmp_path: Path, output_format: str) -> None:
    for index in range(300):
        (tmp_path / f"app{index}.py").write_text(LOOPBACK)
    process = subprocess.Popen(_statelint("check", "--output-format", output_format, "."), cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(1)
    process.stdout.close()  # the reader goes away after the first byte
    stderr = process.stderr.read()
    assert process.wait(timeout=180) == 1  # findings, as if the whole report had been read
    assert stderr == b""


def _session(sid: int) -> list[int]:
    """The live processes of session ``sid`` (Linux)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                found.append(int(entry))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the worker processes")
def test_ctrl_c_exits_130_silently_and_leaves_no_worker(tmp_path: Path) -> None:
    engine = SRC / "statelint" / "project"
    for index in range(40):
        shutil.copytree(engine, tmp_path / f"pkg{index}", ignore=shutil.ignore_patterns("__pycache__"))
    process = subprocess.Popen(
        _statelint("check", "--no-cache", "-j", "2", "."),
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    deadline = time.monotonic() + 120
    while len(_session(process.pid)) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # until the workers run
    time.sleep(0.5)  # a person's Ctrl-C: the workers are past their start-up
    assert process.poll() is None, "the scan ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends: to the whole group, workers included
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr == "" and stdout == "", stderr  # not click's "Aborted!", no traceback
    deadline = time.monotonic() + 10
    while _session(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _session(process.pid) == []
