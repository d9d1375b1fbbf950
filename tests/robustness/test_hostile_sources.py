"""Hostile source files: each gives its one clear finding, and never costs another file's.

Each case of :mod:`.corpus` is scanned next to a file with a known finding: alone
(the small-run path: in-parent prefilter, one worker), then all together with
enough padding to take the parallel path (``--jobs 2``), without a cache, with a
cold one and with a warm one (which must give the same bytes without analysing a
single file again), and once in a real process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from statelint.catalog import load_catalog
from statelint.config import load_settings
from statelint.engine import analyze as analyze_module
from statelint.engine import runner
from statelint.engine.analyze import Plan
from tests.helpers import Run, run_cli
from tests.robustness.corpus import (
    CASES,
    GOOD,
    GOOD_ROW,
    NEEDLE,
    Case,
    Row,
    rows,
    write,
    write_case,
    write_padding,
)


def scan(cwd: Path, *args: str, paths: tuple[str, ...] = (".",)) -> Run:
    run = run_cli("check", "--output-format", "json", *args, *paths, cwd=cwd)
    assert "Traceback" not in run.stdout + run.stderr
    return run


def messages(run: Run, path: str) -> list[str]:
    return [str(f["message"]) for f in run.findings if f["path"] == path]


def statelint_command() -> list[str]:
    """The console script users run (``python -m`` would put the scanned folder on sys.path)."""
    script = Path(sys.executable).with_name("statelint")
    return [str(script)] if script.exists() else [sys.executable, "-m", "statelint"]


# -- each case alone -------------------------------------------------------------------------------


def test_each_variant_takes_the_route_it_names(tmp_path: Path) -> None:
    """``*_plain`` files match no rule's needles (only compile() sees them); the others reach libcst."""
    needles = Plan.build(load_settings(load_catalog(), cwd=tmp_path)).needles
    every = {needle.encode() for found in needles.values() for needle in found}
    assert all(needles.values()), "a rule without needles would parse every file"
    routes = {case.name: any(needle in case.content for needle in every) for case in CASES}
    assert {name: routes[name] for name in routes if name.endswith("_needle")} == dict.fromkeys(
        [name for name in routes if name.endswith("_needle")], True
    )
    assert {name: routes[name] for name in routes if name.endswith("_plain")} == dict.fromkeys(
        [name for name in routes if name.endswith("_plain")], False
    )


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_file_next_to_a_good_one(tmp_path: Path, case: Case) -> None:
    write_case(tmp_path, case)
    run = scan(tmp_path, "--no-cache", "--jobs", "1")
    assert (run.exit_code, run.stderr) == (1, "")
    assert sorted(rows(run.findings)) == sorted([GOOD_ROW, *case.expected()])
    if case.message is not None:
        assert len(messages(run, case.path)) == 1
        assert case.message in messages(run, case.path)[0]


# -- all cases together, on the parallel path, with and without a cache ----------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    write(root, {"good.py": GOOD.encode()})
    write(root, {case.path: case.content for case in CASES})
    write_padding(root)
    return root


def all_rows() -> list[Row]:
    return sorted([GOOD_ROW, *(row for case in CASES for row in case.expected())])


def check_corpus(run: Run) -> None:
    assert (run.exit_code, run.stderr) == (1, "")
    assert sorted(rows(run.findings)) == all_rows()
    for case in CASES:
        if case.message is not None:
            assert [case.message in text for text in messages(run, case.path)] == [True], case.name


def test_whole_corpus_in_parallel(corpus: Path) -> None:
    check_corpus(scan(corpus, "--no-cache", "--jobs", "2"))


def test_whole_corpus_cold_then_warm_cache(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = str(tmp_path / "cache")
    cold = scan(corpus, "--cache-dir", cache, "--jobs", "2")
    check_corpus(cold)

    def analyse_again(target: object, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"a warm run analysed {target} again")

    monkeypatch.setattr(runner, "analyze", analyse_again)  # the parent and the (forked) workers
    warm = scan(corpus, "--cache-dir", cache, "--jobs", "2")
    check_corpus(warm)
    assert warm.stdout == cold.stdout  # every byte: messages, columns, fingerprints


def test_whole_corpus_in_a_real_process(corpus: Path) -> None:
    done = subprocess.run(
        [*statelint_command(), "check", "--no-cache", "--jobs", "2", "--output-format", "concise", "."],
        cwd=corpus,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (done.returncode, done.stderr) == (1, "")
    shown = {tuple(line.split(":")[:2]) for line in done.stdout.splitlines() if ": SL" in line}
    assert shown == {(path, str(line)) for path, _, line in all_rows()}


# -- libcst's native parser really overflowing -----------------------------------------------------


@pytest.mark.parametrize("padding", [False, True], ids=["small-run", "parallel"])
def test_nested_parentheses_reaching_libcst_crash_only_their_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, padding: bool
) -> None:
    """Without the engine's CPython pre-check, 3,000 parentheses reach libcst's native parser,
    which overflows the C stack: the worker dies (twice: it is retried alone), the file is
    SL001, and the run goes on. Crashes are never cached: a second run crashes again."""
    monkeypatch.setattr(analyze_module, "_too_deep", lambda *args: False)
    case = next(case for case in CASES if case.name == "parens_needle")
    write_case(tmp_path, case)
    if padding:
        write_padding(tmp_path)
    extra = ("--jobs", "2") if padding else ("--jobs", "1")
    for _ in range(2):
        run = scan(tmp_path, "--cache-dir", str(tmp_path / "cache"), *extra)
        assert (run.exit_code, run.stderr) == (1, "")
        assert sorted(rows(run.findings)) == sorted([GOOD_ROW, (case.path, "SL001", 1)])
        [message] = messages(run, case.path)
        assert message.startswith("could not be analysed: ")
        assert "crashed" in message and "killed by SIGSEGV" in message


# -- valid code libcst cannot parse ----------------------------------------------------------------

VALID_BUT_NOT_FOR_LIBCST = {
    # 4,000 implicitly concatenated strings: libcst 1.x fails from about 3,500 on.
    "concatenated_strings": NEEDLE + "x = " + " ".join(['"a"'] * 4000) + "\n",
    # A parenthesised annotated target (CPython's own Lib/test/typinganndata/ann_module.py).
    "annotated_parenthesised_target": NEEDLE + "(pars): bool = True\n",
}


@pytest.mark.parametrize("name", sorted(VALID_BUT_NOT_FOR_LIBCST))
def test_valid_code_libcst_rejects_is_not_called_a_syntax_error(tmp_path: Path, name: str) -> None:
    source = VALID_BUT_NOT_FOR_LIBCST[name]
    compile(source, name, "exec", dont_inherit=True)  # CPython accepts it
    write(tmp_path, {"good.py": GOOD.encode(), f"{name}.py": source.encode()})
    run = scan(tmp_path, "--no-cache")
    assert not [m for m in messages(run, f"{name}.py") if m.startswith("cannot parse file")]

