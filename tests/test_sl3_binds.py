"""SL301-SL303: loopback-only binds, asserted by exact code, line and column."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import lint_fixture


def test_flask_entry_points(tmp_path: Path) -> None:
    assert lint_fixture("sl3/flask_app.py", tmp_path, "SL3") == [
        ("SL302", 20, 5),
        ("SL302", 21, 5),
        ("SL301", 22, 18),
        ("SL301", 23, 13),
    ]
