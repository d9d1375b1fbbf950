"""What SL204 (server configuration files, Python side) and SL205 (third-party log sinks,
``print(file=...)``) require of a file's summary.

Each SL205 case also runs the rule itself with the prefilter off, so the table shows that every
site the declaration keeps for a reason really is reported (the alias it follows is real), and
that every file it skips is clean for the rule. Cases it keeps although the rule stays quiet are
where it over-approximates on purpose (whatever ``file=`` a print in a logging helper gets).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.helpers import requirement_met, run_cli


def sl204(text: str, path: str, options: dict | None = None) -> bool:
    return requirement_met("SL204", text, path=path, options=options)


def test_server_config_files_by_name() -> None:
    text = "accesslog = 'access.log'\n"
    assert sl204(text, "gunicorn.conf.py") is True
    assert sl204(text, "deploy/hypercorn_config.py") is True
    assert sl204(text, "settings.py") is False
    assert sl204(text, "gunicorn.conf.py.bak") is False


def test_config_files_option_adds_patterns() -> None:
    text = "accesslog = 'access.log'\n"
    assert sl204(text, "deploy.py") is False
    assert sl204(text, "deploy.py", {"config-files": ["deploy.py"]}) is True
    assert sl204(text, "conf/web_server.py", {"config-files": ["*_server.py"]}) is True


def test_server_config_in_tests_is_skipped() -> None:
    assert sl204("accesslog = 'access.log'\n", "tests/gunicorn.conf.py") is False


# (case, source, declaration verdict, whether the rule reports)
SL205_CASES = [
    ("loguru_add", """
        from loguru import logger
        logger.add("app.log")
        """, True, True),
    ("loguru_alias", """
        import loguru
        log = loguru.logger
        add = log.add
        add("service.log")
        """, True, True),
    ("logbook_import_alias", """
        from logbook import FileHandler as FH
        handler = FH("app.txt")
        """, True, True),
    ("print_in_log_helper", """
        def log_line(msg):
            with open("trace.txt", "a") as out:
                print(msg, file=out)
        """, True, True),
    ("print_in_helper_nested", """
        def logger():
            def inner(msg):
                print(msg, file=open("trace.txt", "a"))
            return inner
        """, True, True),
    ("print_to_dot_log", """
        def emit(msg):
            print(msg, file=open("events.log", "a"))
        """, True, True),
    ("print_alias_escaped_log", """
        say = print
        def emit(msg):
            say(msg, file=open("events\\x2elog", "a"))
        """, True, True),
    ("print_to_dot_log_at_module_level", """
        print("started", file=open("events.log", "a"))
        """, True, True),
    # no file opened here: file= is a stream or a parameter
    ("print_to_stderr", """
        import sys
        def log_error(msg):
            print(msg, file=sys.stderr)
        """, False, False),
    ("print_to_param", """
        def log_line(msg, stream):
            print(msg, file=stream)
        """, False, False),
    # kept, although the rule finds a stream there: the summary does not say what file= is
    ("print_to_stderr_beside_an_open", """
        import sys
        def log_error(msg):
            print(msg, file=sys.stderr)
        def read(path):
            return open(path).read()
        """, True, False),
    ("print_to_a_path_opened", """
        from pathlib import Path
        LOG = Path("trace.txt").open("a")
        def log_line(msg):
            print(msg, file=LOG)
        """, True, True),
    ("print_in_default_of_log_helper", """
        def log_line(msg, out=print("started", file=open("trace.txt", "a"))):
            pass
        """, True, True),
    ("print_in_logger_class_method", """
        class Logger:
            def write(self, msg):
                print(msg, file=open("trace.txt", "a"))
        """, False, False),
    ("print_to_file_not_logging", """
        def dump(rows):
            with open("rows.txt", "w") as out:
                print(rows, file=out)
        """, False, False),
    ("print_at_module_level_no_log_file", """
        print("rows", file=open("rows.txt", "w"))
        """, False, False),
    ("print_shadowed", """
        def print(*args, **kwargs):
            pass
        def log_line(msg):
            print(msg, file=open("trace.txt", "a"))
        """, False, False),
    ("no_sink_library", """
        import logging
        items = set()
        items.add("app.log")
        """, False, False),
    ("sink_name_without_import", """
        logger.add("app.log")
        """, False, False),
]


def _reported(code: str, cases: list[tuple[str, str, bool, bool]], tmp_path: Path) -> set[str]:
    for name, text, _, _ in cases:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    run = run_cli(
        "check", "--no-cache", "--output-format", "json", "--select", code, ".",
        cwd=tmp_path, env={"STATELINT_PREFILTER": "off"},
    )
    assert run.exit_code in (0, 1), run.stderr
    return {Path(f["path"]).stem for f in run.findings}


def test_sl205_verdicts_and_what_the_rule_reports(tmp_path: Path) -> None:
    verdicts = {name: requirement_met("SL205", text, module=name) for name, text, _, _ in SL205_CASES}
    assert verdicts == {name: kept for name, _, kept, _ in SL205_CASES}
    reported = _reported("SL205", SL205_CASES, tmp_path)
    assert reported == {name for name, _, _, fires in SL205_CASES if fires}
    assert reported <= {name for name, kept in verdicts.items() if kept}  # sound: never skips a finding


def test_print_through_a_project_alias_counts() -> None:
    """``echo = print`` in another module: the project model expands ``util.echo`` to ``builtins.print``
    (here the module's own definitions stand in for it)."""
    assert requirement_met("SL205", "echo = print\ndef log_line(m):\n    echo(m, file=open('t.txt', 'a'))\n") is True


@pytest.mark.parametrize("path", ["tests/test_app.py", "pkg/tests/helpers.py", "conftest.py", "src/test/log.py"])
def test_test_files_are_skipped(path: str) -> None:
    text = "from loguru import logger\nlogger.add('a.log')\n"
    assert requirement_met("SL205", text, path="app.py") is True
    assert requirement_met("SL205", text, path=path) is False


def test_sl205_an_alias_of_a_builtin_in_another_module_is_followed(tmp_path: Path) -> None:
    """``echo = print`` in another module: in a project big enough to be summarised in worker processes,
    each file is first judged alone, and the alias must keep the file for the rule (it did not)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'svc'\n", encoding="utf-8")
    (tmp_path / "util.py").write_text("echo = print\nopener = open\n", encoding="utf-8")
    (tmp_path / "app.py").write_text(
        "from util import echo, opener\n\n\ndef log_line(m):\n    echo(m, file=opener('t.txt', 'a'))\n", encoding="utf-8"
    )
    for i in range(60):  # more files than are summarised in the parent process
        (tmp_path / f"m{i}.py").write_text(f"X{i} = 1\n", encoding="utf-8")
    for prefilter in ("on", "off"):
        run = run_cli("check", "--no-cache", "-j", "2", "--output-format", "json", "--select", "SL205", ".",
                      cwd=tmp_path, env={"STATELINT_PREFILTER": prefilter})
        assert run.triples == [("SL205", 5, 5)], prefilter
