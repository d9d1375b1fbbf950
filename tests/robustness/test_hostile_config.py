"""Broken or hostile configuration: exit 2 with one line naming the file and the key, run nothing.

YAML is composed into nodes and vetted before anything is constructed, so a
``!!python/...`` tag is refused by name, with the key it sits under, and never built:
each such payload here would create a marker file if it ran. Every case runs twice:
plain, and with ``--jobs 2`` over enough files for the parallel path, in a folder whose
cache a valid configuration warmed first (the error comes before either matters).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.robustness.corpus import GOOD, write, write_padding

MARKER = "pwned"
APPLY = f"!!python/object/apply:os.system ['touch {MARKER}']"
EXEC = f"!!python/object/apply:builtins.exec [\"open('{MARKER}', 'w').close()\"]"

# (config file name, content, what follows "<file>: " in the one line; a trailing "…" means "starts with")
CASES = [
    ("pyproject.toml", '[tool.statelint]\nselect = ["SL3"\n', "invalid TOML: Unclosed array (at end of document)"),
    ("pyproject.toml", "[tool.statelint\n", "invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 16)"),
    ("pyproject.toml", "[tool.statelint]\nselect = " + "[" * 5000 + "]" * 5000 + "\n", "invalid TOML: nested too deeply"),
    ("pyproject.toml", '[tool.statelint]\nignore = ["XX1"]\n', "tool.statelint.ignore: unknown rule code or prefix 'XX1'"),
    ("pyproject.toml", "[tool.statelint.options.SL303]\nfollow-parameters = 3\n", "tool.statelint.options.SL303.follow-parameters: expected bool, got int"),
    ("pyproject.toml", '[tool.statelint]\nfile-timeout = "soon"\n', "tool.statelint.file-timeout: expected a number of seconds (0: no limit)"),
    ("pyproject.toml", "[tool.statelint]\nfile-timeout = nan\n", "tool.statelint.file-timeout: expected a number of seconds (0: no limit)"),
    ("pyproject.toml", "tool = 1\n[x]\nstatelint = 1\n", None),  # no [tool.statelint] table: not our file
    (".statelint.yaml", "select: [SL3\n", "invalid YAML: while parsing a flow sequence: expected ',' or ']', but got '<stream end>' (line 2, column 1)"),
    (".statelint.yaml", "select: [SL3]\n  oops: 1\n", "invalid YAML: while parsing a block mapping: expected <block end>, but found '<block mapping start>' (line 2, column 3)"),
    (".statelint.yaml", "select: " + "[" * 5000 + "\n", "invalid YAML: nested too deeply"),
    (".statelint.yaml", b"select: ['SL\xff']\n", "cannot read: 'utf-8' codec can't decode byte 0xff in position 12: invalid start byte"),
    (".statelint.yaml", "select: [SL999]\n", "select: unknown rule code or prefix 'SL999'"),
    (".statelint.yaml", "options:\n  SL999: {}\n", "options.SL999: unknown rule code or family"),
    (".statelint.yaml", "options:\n  SL303:\n    follow-parameters: 'yes'\n", "options.SL303.follow-parameters: expected bool, got str"),
    (".statelint.yaml", "options:\n  SL601:\n    health-paths: '" + "(" * 2000 + ")" * 2000 + "'\n", "options.SL601.health-paths: invalid regular expression '" + "(" * 77 + "'...: RecursionError: maximum recursion depth exceeded"),
    (".statelint.yaml", "select: [SL3]\nignore: []\nselect: [SL1]\n", "select: invalid YAML: duplicate key (lines 1 and 3)"),
    (".statelint.yaml", "extend-exclude: ['[z-a]']\n", "extend-exclude: invalid pattern '[z-a]'"),
    (".statelint.yaml", "extend-exclude: ['[a--b]']\n", "extend-exclude: invalid pattern '[a--b]'"),  # and no FutureWarning
    (".statelint.yaml", "file-timeout: -1\n", "file-timeout: expected a number of seconds (0: no limit)"),
    # Tags: refused by name, under their key, never constructed.
    (".statelint.yaml", f"select: {APPLY}\n", "select: invalid YAML: tag '!!python/object/apply:os.system' is not allowed, only plain data (line 1)"),
    (".statelint.yaml", f"options:\n  SL303:\n    follow-parameters: {EXEC}\n", "options.SL303.follow-parameters: invalid YAML: tag '!!python/object/apply:builtins.exec' is not allowed, only plain data (line 3)"),
    (".statelint.yaml", f"overrides:\n  - path: x\n    ignore: [{APPLY}]\n", "overrides[0].ignore[0]: invalid YAML: tag '!!python/object/apply:os.system' is not allowed, only plain data (line 3)"),
    (".statelint.yaml", f"{APPLY}\n", "top level: invalid YAML: tag '!!python/object/apply:os.system' is not allowed, only plain data (line 1)"),
    (".statelint.yaml", f"? {APPLY}\n: 1\n", "top level: invalid YAML: tag '!!python/object/apply:os.system' is not allowed, only plain data (line 1)"),
    (".statelint.yaml", f"x: &payload {APPLY}\nselect: *payload\n", "x: invalid YAML: tag '!!python/object/apply:os.system' is not allowed, only plain data (line 1)"),
    (".statelint.yaml", "select: !!python/name:os.system\n", "select: invalid YAML: tag '!!python/name:os.system' is not allowed, only plain data (line 1)"),
    (".statelint.yaml", "select: !!python/object/new:os.system [x]\n", "select: invalid YAML: tag '!!python/object/new:os.system' is not allowed, only plain data (line 1)"),
    (".statelint.yaml", "select: !Ref Something\n", "select: invalid YAML: tag '!Ref' is not allowed, only plain data (line 1)"),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough files for the parallel path, and a cache a valid configuration warmed."""
    root = tmp_path_factory.mktemp("config")
    write(root, {"good.py": GOOD.encode()})
    write_padding(root)
    (root / ".statelint.yaml").write_text("select: [SL3]\n")
    assert run_cli("check", "--jobs", "2", ".", cwd=root).exit_code == 1
    (root / ".statelint.yaml").unlink()
    assert (root / ".statelint_cache").is_dir()
    return root


@pytest.mark.parametrize(("name", "content", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("jobs", [(), ("--jobs", "2")], ids=["default", "parallel"])
def test_broken_config_is_one_line_and_exit_2(
    project: Path, name: str, content: str | bytes, expected: str | None, jobs: tuple[str, ...]
) -> None:
    config = project / name
    config.write_bytes(content if isinstance(content, bytes) else content.encode())
    try:
        run = run_cli("check", *jobs, ".", cwd=project)
    finally:
        config.unlink()
    assert not (project / MARKER).exists()
    assert "Traceback" not in run.stdout + run.stderr
    if expected is None:
        assert (run.exit_code, run.stderr) == (1, "")
        return
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr == f"statelint: error: {config}: {expected}\n"


def test_the_yaml_payload_is_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What an unsafe loader would do with the payloads above: run them (so their absence means something)."""
    import yaml

    monkeypatch.chdir(tmp_path)
    yaml.unsafe_load(f"select: {APPLY}\n")
    assert (tmp_path / MARKER).exists()


@pytest.mark.parametrize("value", ["1e300", "inf", "100000000000000000000000000000000000000000000"])
def test_a_time_limit_too_long_to_wait_for_is_no_limit(tmp_path: Path, value: str) -> None:
    """The OS cannot wait longer than about 24 days in one call; a limit past a day means none."""
    write(tmp_path, {"good.py": GOOD.encode(), "pyproject.toml": f"[tool.statelint]\nfile-timeout = {value}\n".encode()})
    run = run_cli("check", "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    assert (run.exit_code, run.stderr) == (1, "")
    assert "good.py:2:23: SL301 " in run.stdout


@pytest.mark.parametrize("value", ["1e300", "inf"])
def test_a_time_limit_too_long_on_the_command_line(tmp_path: Path, value: str) -> None:
    write(tmp_path, {"good.py": GOOD.encode()})
    run = run_cli("check", "--no-cache", "--file-timeout", value, "--output-format", "concise", ".", cwd=tmp_path)
    assert (run.exit_code, run.stderr) == (1, "")
    assert "good.py:2:23: SL301 " in run.stdout


def test_an_alias_bomb_is_cheap(tmp_path: Path) -> None:
    """Aliases share one node each: vetting and building stay linear, whatever they expand to."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 12)]
    write(tmp_path, {"good.py": GOOD.encode(), ".statelint.yaml": ("\n".join(lines) + "\n").encode()})
    run = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert run.exit_code == 2
    assert run.stderr.startswith(f"statelint: error: {tmp_path / '.statelint.yaml'}: a0: unknown key (known: ")
