"""The running interpreter's whole standard library, tests included, every rule on: no internal error.

About 1,800 files and 31 MB, three quarters of them matching some rule's needles and
so parsed by libcst: the one slow test of the suite (see the report of issue 8 for
timings). It runs statelint as users do, in a real process with the default number of
workers and no cache, so a crash, a hang (the per-file time limit), a traceback or an
internal error anywhere shows. SL001 findings are expected: the test suite holds files
that are broken on purpose (bad encodings, Python 2 syntax).
"""

from __future__ import annotations

import re
import subprocess
import sysconfig
from pathlib import Path

from tests.robustness.test_hostile_sources import statelint_command


def test_whole_standard_library_without_internal_errors(tmp_path: Path) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    # A pyenv or distribution tree may be a git checkout whose .gitignore covers the
    # interpreters installed in it: scan the files themselves.
    (tmp_path / ".statelint.yaml").write_text("respect-gitignore: false\n")
    done = subprocess.run(
        # --config: the closest configuration above the standard library would apply, not this one
        [*statelint_command(), "check", "--config", ".statelint.yaml", "--select", "SL", "--no-cache", "--output-format", "concise", str(stdlib)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert done.stderr == ""  # internal errors, tracebacks and warnings all land here
    summary = re.search(r"in (\d+) of (\d+) files? scanned", done.stdout)
    assert summary is not None, done.stdout[-500:]
    assert int(summary.group(2)) > 1000
    assert (stdlib / "test").is_dir() and f"{stdlib.as_posix()}/test/" in done.stdout  # tests included
    assert "could not be analysed" not in done.stdout  # no crash, no file over the time limit
