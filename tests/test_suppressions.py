"""Inline and file-level suppressions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json

HEADER = "import uvicorn\n"


def lines_found(tmp_path: Path, body: str) -> list[tuple[str, int]]:
    (tmp_path / "srv.py").write_text(HEADER + body)
    run = check_json("srv.py", cwd=tmp_path)
    assert run.exit_code in (0, 1), run.stderr
    return [(f["code"], f["line"]) for f in run.findings]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('uvicorn.run(app, host="127.0.0.1")\n', [("SL301", 2)]),
        ('uvicorn.run(app, host="127.0.0.1")  # statelint: ignore[SL301]\n', []),
        ('uvicorn.run(app, host="127.0.0.1")  # statelint: ignore[SL3] local tool only\n', []),
        ('uvicorn.run(app, host="127.0.0.1")  # statelint: ignore\n', []),
        ('uvicorn.run(app, host="127.0.0.1")  # statelint: ignore[SL302, SL301]\n', []),
        ('uvicorn.run(app, host="127.0.0.1")  # statelint: ignore[SL302]\n', [("SL301", 2)]),
        ('uvicorn.run(app, host="127.0.0.1")  # noqa: SL301\n', []),
        ('uvicorn.run(app, host="127.0.0.1")  # noqa: E501, SL301\n', []),
        ('uvicorn.run(app, host="127.0.0.1")  # noqa\n', [("SL301", 2)]),
        ('uvicorn.run(app, host="127.0.0.1")  # noqa: E501\n', [("SL301", 2)]),
        ('# statelint: ignore[SL301]\nuvicorn.run(app, host="127.0.0.1")\n', []),
        ('# statelint: ignore[SL301]\n\nuvicorn.run(app, host="127.0.0.1")\n', [("SL301", 4)]),
        ('uvicorn.run(\n    app,\n    host="127.0.0.1",  # statelint: ignore[SL301]\n)\n', []),
        ('uvicorn.run(  # statelint: ignore[SL302]\n    app,\n)\n', []),
        ('x = "# statelint: ignore[SL301]"; uvicorn.run(app, host="127.0.0.1")\n', [("SL301", 2)]),
        ('uvicorn.run(app, host="127.0.0.1")\nuvicorn.run(app)  # statelint: ignore[SL301]\n', [("SL301", 2), ("SL302", 3)]),
    ],
)
def test_inline_suppressions(tmp_path: Path, body: str, expected: list[tuple[str, int]]) -> None:
    assert lines_found(tmp_path, body) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("# statelint: ignore-file[SL3]\n", []),
        ("# statelint: ignore-file\n", []),
        ("# statelint: ignore-file[SL302]\n", [("SL301", 3)]),
        ("# statelint: ignore-file[SL1]\n", [("SL301", 3), ("SL302", 4)]),
        ('x = 1  # statelint: ignore-file[SL3] is only honoured on its own line\n', [("SL301", 3), ("SL302", 4)]),
    ],
)
def test_file_level_suppressions(tmp_path: Path, header: str, expected: list[tuple[str, int]]) -> None:
    body = header + 'uvicorn.run(app, host="127.0.0.1")\nuvicorn.run(app)\n'
    assert lines_found(tmp_path, body) == expected
