"""Message headlines people can read (issue 23): what and where in about 100 characters, the why in the hint.

Every fixture is run through the CLI, as the rule tests run them (each folder on its own, since a
project-wide join such as Django's CACHES sees one project at a time), and every finding is held
to two rules: its message, with each identifier counted as at most 20 characters (a long name may
push a headline over, ordinary ones may not), is at most 100 characters; and its message and hint
never say the same thing (no run of eight words in both).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES, run_cli

LIMIT = 100
IDENTIFIER_BUDGET = 20
SHARED_RUN = 8

#: An identifier: a backticked or quoted span (not the apostrophe of "Django's"), or a (dotted) name.
_IDENTIFIER = re.compile(r"`[^`]*`|(?<![A-Za-z])'[^']*'|[A-Za-z_][\w.]*\w")
_WORD = re.compile(r"[A-Za-z0-9_.']+")


def headline_length(message: str) -> int:
    """The length of ``message`` with every identifier counted as at most :data:`IDENTIFIER_BUDGET` characters."""
    names = sum(min(len(m.group()), IDENTIFIER_BUDGET) for m in _IDENTIFIER.finditer(message))
    return names + len(_IDENTIFIER.sub("", message))


def shared_run(message: str, hint: str, size: int = SHARED_RUN) -> str | None:
    """The first run of ``size`` words that ``message`` and ``hint`` both contain (case-insensitive), if any."""
    said = [w.lower().strip(".") for w in _WORD.findall(message)]
    runs = {tuple(said[i : i + size]) for i in range(len(said) - size + 1)}
    words = [w.lower().strip(".") for w in _WORD.findall(hint)]
    for i in range(len(words) - size + 1):
        if tuple(words[i : i + size]) in runs:
            return " ".join(words[i : i + size])
    return None


def test_the_measures_count_what_they_say() -> None:
    assert headline_length("module dict `_sessions` is written per request") == 46
    assert headline_length(f"Django's {'x' * 30} isn't") == 8 + 1 + 20 + 6
    assert headline_length(f"`{'x' * 40}` and '{'y' * 30}' and {'z.' * 20}z") == 3 * 20 + 10
    assert shared_run("a b c d e f g h i", "x B c d e f g h i. y") == "b c d e f g h i"
    assert shared_run("a b c d e f g h", "a b c d e f g x") is None


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Every finding of every fixture: the whole tree once, then each fixture folder on its own (``sl6/django_site``),
    and each folder of one that only groups others (``sl4/django/locmem``)."""
    root = tmp_path_factory.mktemp("headlines") / "fixtures"
    shutil.copytree(FIXTURES, root)  # files under tests/ are not deployed: statelint would skip them in place
    folders = [p for p in root.glob("*/*") if p.is_dir()]
    groups = [p for p in folders if not any(child.is_file() for child in p.iterdir())]
    folders += [child for group in groups for child in group.iterdir() if child.is_dir()]
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for target in [Path("."), *(p.relative_to(root) for p in sorted(folders))]:
        run = run_cli(
            "check", "--no-cache", "--jobs", "1", "--exit-zero", "--output-format", "json", "--extend-select", "SL002", str(target), cwd=root
        )
        assert run.exit_code == 0, (target, run.stderr)
        for finding in run.findings:
            found[(target, finding["path"], finding["line"], finding["column"], finding["code"])] = finding
    return list(found.values())


def test_every_rule_with_a_fixture_is_measured(findings: list[dict[str, Any]]) -> None:
    codes = {f["code"] for f in findings}
    assert {f"SL{family}0{n}" for family, n in [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (8, 1)]} <= codes
    assert len(codes) >= 34


def test_headlines_are_short_unless_their_names_are_long(findings: list[dict[str, Any]]) -> None:
    long = sorted({(f["code"], headline_length(f["message"]), f["message"]) for f in findings if headline_length(f["message"]) > LIMIT})
    assert long == [], "\n".join(map(str, long))


def test_no_hint_repeats_its_message(findings: list[dict[str, Any]]) -> None:
    repeated = sorted(
        {(f["code"], f["message"], run) for f in findings if f["hint"] and (run := shared_run(f["message"], f["hint"]))}
    )
    assert repeated == []


def test_the_why_is_the_hints(findings: list[dict[str, Any]]) -> None:
    """The consequences the headlines used to end with are said in the hint, once per finding."""
    for phrase in ("each worker process and replica", "inside the container", "nothing outside the container",
                   "other replicas never see", "a pod that cannot serve", "cuts it off"):
        assert not [f["message"] for f in findings if phrase in f["message"].lower()], phrase
    by_code = {f["code"]: f for f in findings}
    assert "keeps its own copy" in by_code["SL101"]["hint"]
    assert "Nothing outside the container can reach" in by_code["SL301"]["hint"]
    assert "lost with the pod" in by_code["SL801"]["hint"]
