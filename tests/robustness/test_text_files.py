"""Non-Python files (``*.yaml``, ``*.json``, ...): read only for the rules that want them.

A data file in another encoding is not statelint's business unless a rule's needles
occur in it: then it must be decoded, and a failure is the one clear SL001.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.corpus import GOOD, GOOD_ROW, rows, write, write_padding
from tests.robustness.test_hostile_sources import scan


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_latin1_data_without_needles_is_not_a_finding(tmp_path: Path, jobs: str) -> None:
    write(tmp_path, {"good.py": GOOD.encode(), "data.json": '{"city": "Malmö"}\n'.encode("latin-1")})
    if jobs == "2":
        write_padding(tmp_path)
    run = scan(tmp_path, "--no-cache", "--jobs", jobs)
    assert (run.exit_code, run.stderr) == (1, "")
    assert rows(run.findings) == [GOOD_ROW]


def test_latin1_manifest_a_rule_wants_is_one_clear_finding(tmp_path: Path) -> None:
    manifest = "livenessProbe:\n  httpGet:\n    path: /healthz\n# café\n".encode("latin-1")
    write(tmp_path, {"good.py": GOOD.encode(), "deploy.yaml": manifest})
    for _ in range(2):  # cold, then warm cache
        run = scan(tmp_path, "--cache-dir", str(tmp_path / "cache"))
        assert (run.exit_code, run.stderr) == (1, "")
        assert sorted(rows(run.findings)) == [("deploy.yaml", "SL001", 4), GOOD_ROW]
        [message] = [f["message"] for f in run.findings if f["path"] == "deploy.yaml"]
        assert message == "cannot decode file as utf-8: invalid continuation byte"
