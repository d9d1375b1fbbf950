"""SL002: suppressions that silence nothing or name unknown codes; the require-reason option.

A code is judged only where its rule ran on the file; every expected list below is
the complete output, so a suppression wrongly judged unused fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from statelint.engine.suppressions import audit, parse_suppressions
from tests.helpers import check_json

HEADER = "import uvicorn\n"  # needles of SL301-SL303: those rules run on every file below
LOOPBACK = 'uvicorn.run(app, host="127.0.0.1")'


def found(tmp_path: Path, body: str, *extra: str, name: str = "srv.py") -> list[tuple[str, int, int, str]]:
    (tmp_path / name).write_text(body)
    run = check_json(name, cwd=tmp_path, extra=("--extend-select", "SL002", *extra))
    assert run.exit_code in (0, 1), run.stderr
    return [(f["code"], f["line"], f["column"], f["message"]) for f in run.findings]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # used: nothing to report
        (f"{LOOPBACK}  # statelint: ignore[SL301]\n", []),
        (f"{LOOPBACK}  # noqa: SL301\n", []),
        (f"{LOOPBACK}  # statelint: ignore[SL3]\n", []),
        # a code that matched nothing on a line where its rule ran
        (f"{LOOPBACK}  # statelint: ignore[SL301, SL302]\n", [(1, 37, "Unused suppression (unused: SL302)")]),
        ("uvicorn.run(app)  # statelint: ignore[SL301]\n", [(1, 19, "Unused suppression (unused: SL301)")]),
        ('uvicorn.run(app, host="0.0.0.0")  # noqa: SL301, E501\n', [(1, 35, "Unused suppression (unused: SL301)")]),
        # a prefix is unused only when every rule it covers ran
        ('uvicorn.run(app, host="0.0.0.0")  # statelint: ignore[SL3]\n', [(1, 35, "Unused suppression (unused: SL3)")]),
        # unknown codes are always reported, used or not
        (f"{LOOPBACK}  # statelint: ignore[SL301, SL399]\n", [(1, 37, "Unused suppression (unknown: SL399)")]),
        (f"{LOOPBACK}  # noqa: SL31\n", [(1, 1 + len(LOOPBACK) + 2, "Unused suppression (unknown: SL31)")]),
        ("x = 1  # statelint: ignore[SL301, XX1]\n", [(1, 8, "Unused suppression (unused: SL301; unknown: XX1)")]),
        ("uvicorn.run(app)  # statelint: ignore[SL301, SL9]\n", [(1, 19, "Unused suppression (unused: SL301; unknown: SL9)")]),
        ("x = 1  # statelint: ignore[]\n", [(1, 8, "Unused suppression: no rule codes between the brackets")]),
        # a comment on its own line covers the next line
        (f"# statelint: ignore[SL301]\n{LOOPBACK}\n", []),
        (f"# statelint: ignore[SL301]\n\n{LOOPBACK}\n", [(1, 1, "Unused suppression (unused: SL301)")]),
        # a comment that lists SL002 opts out; another comment may silence an SL002 report
        ("uvicorn.run(app)  # statelint: ignore[SL301, SL002]\n", []),
        ("# statelint: ignore[SL002]\nuvicorn.run(app)  # statelint: ignore[SL301]\n", []),
        # a bare ignore is judged only when every rule ran on the file: never with the prefilter
        ("x = 1  # statelint: ignore\n", []),
    ],
)
def test_unused_and_unknown_codes(tmp_path: Path, body: str, expected: list[tuple[int, int, str]]) -> None:
    findings = found(tmp_path, HEADER + body)
    assert [(line - 1, column, message) for code, line, column, message in findings if code == "SL002"] == expected


def test_exact_findings_with_positions_and_the_findings_they_sit_beside(tmp_path: Path) -> None:
    body = HEADER + f"{LOOPBACK}  # statelint: ignore[SL302]\nuvicorn.run(app)  # statelint: ignore[SL302]\n"
    assert [(c, line, col) for c, line, col, _ in found(tmp_path, body)] == [
        ("SL301", 2, 23),
        ("SL002", 2, 37),
        # line 3: SL302 silenced, the comment used
    ]


def test_off_by_default(tmp_path: Path) -> None:
    (tmp_path / "srv.py").write_text(HEADER + "uvicorn.run(app)  # statelint: ignore[SL301, SL999]\n")
    assert [f["code"] for f in check_json("srv.py", cwd=tmp_path).findings] == ["SL302"]


def test_codes_of_rules_that_did_not_run_are_not_judged(tmp_path: Path) -> None:
    # Not enabled in this run.
    assert found(tmp_path, HEADER + "uvicorn.run(app)  # statelint: ignore[SL302]\n", "--select", "SL301,SL002") == []
    # Skipped by the prefilter: nothing in this file can reach a server entry point.
    assert found(tmp_path, "x = 1  # statelint: ignore[SL301]\n", name="plain.py") == []
    # The file could not be parsed, so no rule ran on it.
    assert [f[:2] for f in found(tmp_path, HEADER + "def f(:  # statelint: ignore[SL301]\n", name="broken.py")] == [("SL001", 2)]


def test_codes_turned_off_for_the_path_are_not_judged(tmp_path: Path) -> None:
    (tmp_path / ".statelint.yaml").write_text("per-file-ignores:\n  'srv.py': [SL302]\n")
    assert found(tmp_path, HEADER + f"{LOOPBACK}  # statelint: ignore[SL301, SL302]\n") == []
    (tmp_path / ".statelint.yaml").write_text("per-file-ignores:\n  'srv.py': [SL002]\n")
    assert found(tmp_path, HEADER + "uvicorn.run(app)  # statelint: ignore[SL301]\n") == [
        ("SL302", 2, 1, found(tmp_path, HEADER + "uvicorn.run(app)\n")[0][3])
    ]
    (tmp_path / ".statelint.yaml").unlink()
    assert found(tmp_path, "# statelint: ignore-file[SL002]\n" + HEADER + "uvicorn.run(app)  # statelint: ignore[SL301]\n")[0][0] == "SL302"


def test_codes_of_a_rule_that_failed_are_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from statelint.rules.sl3 import binds as sl3_binds

    def explode(self: object, site: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(sl3_binds.ExplicitLoopbackBind, "judge", explode)
    (tmp_path / "srv.py").write_text(HEADER + "uvicorn.run(app, host=HOST)  # statelint: ignore[SL301]\n")
    run = check_json("srv.py", cwd=tmp_path, extra=("--extend-select", "SL002", "--jobs", "1"))
    assert run.exit_code == 2
    assert [f["code"] for f in run.findings] == []


def test_codes_of_cross_file_rules_are_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a project-wide rule fires depends on which files were scanned (pre-commit)."""
    from statelint.rules.sl3 import binds as sl3_binds

    body = HEADER + "uvicorn.run(app)  # statelint: ignore[SL301]\n"
    assert [f[0] for f in found(tmp_path, body)] == ["SL302", "SL002"]
    monkeypatch.setattr(sl3_binds.ExplicitLoopbackBind, "check_project", classmethod(lambda cls, *args: ()))
    assert [f[0] for f in found(tmp_path, body)] == ["SL302"]


@pytest.mark.parametrize(
    ("comment", "reported"),
    [
        ("# statelint: ignore[SL301]", True),
        ("# statelint: ignore[SL301] -", True),
        ("# statelint: ignore[SL301] local debugging only", False),
        ("# statelint: ignore[SL301]: behind a sidecar proxy", False),
        ("# noqa: SL301", True),
        ("# noqa: SL301 local debugging only", False),
        ("# statelint: ignore", True),
        ("# statelint: ignore because the sidecar proxies it", False),
    ],
)
def test_require_reason(tmp_path: Path, comment: str, reported: bool) -> None:
    (tmp_path / ".statelint.yaml").write_text("extend-select: [SL002]\noptions:\n  SL002:\n    require-reason: true\n")
    (tmp_path / "srv.py").write_text(HEADER + f"{LOOPBACK}  {comment}\n")
    run = check_json("srv.py", cwd=tmp_path)
    expected = [("SL002", 2, 37)] if reported else []
    assert run.triples == expected
    if reported:
        assert run.findings[0]["message"] == "Suppression without a reason: say after the codes why this finding is acceptable here"


def test_require_reason_per_path(tmp_path: Path) -> None:
    (tmp_path / ".statelint.yaml").write_text(
        "extend-select: [SL002]\noptions:\n  SL002:\n    require-reason: true\n"
        "overrides:\n  - path: scripts/\n    options:\n      SL002:\n        require-reason: false\n"
    )
    (tmp_path / "scripts").mkdir()
    for path in ("srv.py", "scripts/dev.py"):
        (tmp_path / path).write_text(HEADER + f"{LOOPBACK}  # statelint: ignore[SL301]\n")
    run = check_json(".", cwd=tmp_path)
    assert [(f["path"], f["code"]) for f in run.findings] == [("srv.py", "SL002")]


def test_audit_judges_only_what_ran() -> None:
    text = "a  # statelint: ignore[SL301, SL302]\nb  # statelint: ignore\nc  # noqa: SL3\n"
    first, bare, prefix = parse_suppressions(text)
    assert (first.end_column, bare.end_column, prefix.end_column) == (37, 23, 15)

    def matching(selector: str) -> list[str]:
        return [code for code in ("SL301", "SL302", "SL303") if code.startswith(selector)]

    def judge(judged: set[str], used: dict[int, set[str]]) -> list[tuple[int, str]]:
        reports = audit([first, bare, prefix], used, judged=judged, matching=matching, blanket_needs={"SL301", "SL302", "SL303"}, require_reason=False)
        return [(s.line, message) for s, message in reports]

    assert judge(set(), {}) == []
    assert judge({"SL301"}, {}) == [(1, "Unused suppression (unused: SL301)")]
    assert judge({"SL301", "SL302"}, {id(first): {"SL302"}}) == [(1, "Unused suppression (unused: SL301)")]
    assert judge({"SL301", "SL302", "SL303"}, {id(first): {"SL301", "SL302"}}) == [
        (2, "Unused blanket suppression: no rule reports anything here"),
        (3, "Unused suppression (unused: SL3)"),
    ]
    assert judge({"SL301", "SL302", "SL303"}, {id(first): {"SL301", "SL302"}, id(bare): {"*"}, id(prefix): {"SL3"}}) == []
