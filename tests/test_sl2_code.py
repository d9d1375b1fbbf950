"""SL201, SL202, SL203, SL205: local-file logging in Python code, by exact code, line and column.

Every fixture mixes findings with near misses; the expected lists are the complete
output of the whole SL2 family, so a near miss that fires (or a rule firing on
another rule's fixture) fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, copy_fixture, lint_fixture


def copy_test_named_fixture(name: str, tmp_path: Path) -> Path:
    """Copy a fixture folder and restore its ``*.py.in`` files to ``*.py``.

    Files named like tests (test_*.py, *_test.py, conftest.py) are stored with an ``.in``
    suffix, or pytest would collect them from the fixtures folder.
    """
    copy = copy_fixture(name, tmp_path)
    for stored in copy.rglob("*.py.in"):
        stored.rename(stored.with_suffix(""))
    return copy


def test_file_handlers_however_imported(tmp_path: Path) -> None:
    assert lint_fixture("sl2/handlers.py", tmp_path, "SL2") == [
        ("SL201", 15, 9),  # logging.FileHandler
        ("SL201", 16, 12),  # logging.handlers.RotatingFileHandler, f-string path
        ("SL201", 17, 9),  # import logging.handlers as lh
        ("SL201", 18, 11),  # from logging import handlers
        ("SL201", 19, 11),  # from logging import FileHandler as FH
        ("SL201", 20, 14),  # concurrent-log-handler
        ("SL201", 21, 20),  # its timed variant
        ("SL201", 22, 10),  # cloghandler (ConcurrentLogHandler)
        ("SL201", 29, 9),  # a subclass defined in the module
        ("SL201", 30, 32),  # inline, path built with +
        # /dev/stdout, /proc/self/fd/2, a constant holding /dev/stdout, stream/syslog/SMTP/HTTP/
        # queue/memory/null handlers, a class reference, a local class named FileHandler and an
        # attribute of a parameter: silent
    ]


def test_explicit_opt_ins_are_not_reported(tmp_path: Path) -> None:
    assert lint_fixture("sl2/optin.py", tmp_path, "SL2") == [
        ("SL201", 46, 40),  # if args.verbose: not about a log file
        ("SL205", 48, 9),  # if settings.DEBUG
        ("SL201", 50, 40),  # if not args.log_file: the file is written when the option is unset
        ("SL201", 52, 40),  # args.log_file or settings.DEBUG: either may trigger it
        ("SL201", 59, 36),  # `continue` in a loop guards nothing after the loop
        ("SL202", 63, 5),  # if __name__ == "__main__" is not an opt-in
        ("SL201", 68, 40),  # `if settings:` tests the object, not the log file setting
        ("SL201", 79, 40),  # `if LOG_DIR:` with LOG_DIR = os.getenv("LOG_DIR", "logs"): on by default (issue 21)
        ("SL201", 88, 40),  # the else branch of "log to stdout?": the file is the default (issue 21)
        # silent: if args.log_file, if settings.LOG_TO_FILE, walrus `is not None`, a conditional
        # expression, the else branch of `is None` / `== "-"`, an environment switch, "--log-file"
        # in sys.argv, `if not log_file: return` before the handler, and `if LOG_FILE:` where
        # LOG_FILE = os.getenv("LOG_FILE") has no default
    ]


def test_basic_config_filename(tmp_path: Path) -> None:
    assert lint_fixture("sl2/basic_config.py", tmp_path, "SL2") == [
        ("SL202", 22, 5),  # literal
        ("SL202", 23, 5),  # a constant, through `import logging as log`
        ("SL202", 24, 5),  # `from logging import basicConfig`, environment default
        ("SL202", 25, 5),  # an argparse option with a file default
        # silent: no filename, None, /dev/stderr, os.getenv without default (directly and via a
        # constant), an argparse option without default, a settings attribute defaulting to None,
        # a parameter defaulting to None, **kwargs
    ]


def test_django_logging_setting(tmp_path: Path) -> None:
    assert lint_fixture("sl2/django_settings.py", tmp_path, "SL2") == [
        ("SL203", 14, 13),  # "class": "logging.FileHandler" in a multi-line handler
        ("SL203", 17, 22),  # RotatingFileHandler
        # StreamHandler, a FileHandler on /dev/stdout, AdminEmailHandler, NullHandler: silent
    ]


def test_dict_config_mappings_built_in_code(tmp_path: Path) -> None:
    assert lint_fixture("sl2/dictconfig.py", tmp_path, "SL2") == [
        ("SL203", 12, 31),  # inline dictConfig({...})
        ("SL203", 17, 15),  # handlers kept in a separate constant, passed through a name
        ("SL203", 24, 27),  # dict(version=1, ...) with a "()" factory, given to uvicorn
        ("SL203", 29, 30),  # BASE["handlers"]["added"] = {...}
        ("SL203", 30, 38),  # BASE["handlers"].update({...})
        # the handler added under `if os.environ.get("LOG_FILE")`, a mapping that is not a
        # logging configuration, and stream/syslog/queue/custom classes: silent
    ]


def test_third_party_sinks_and_logging_helpers(tmp_path: Path) -> None:
    assert lint_fixture("sl2/sinks.py", tmp_path, "SL2") == [
        ("SL205", 14, 1),  # loguru string sink
        ("SL205", 15, 1),  # loguru Path sink
        ("SL205", 16, 1),  # sink= through a constant
        ("SL205", 17, 51),  # logger.configure(handlers=[{"sink": "configured.log"}])
        ("SL205", 18, 36),  # structlog.WriteLoggerFactory(file=Path(...).open(...))
        ("SL205", 19, 1),  # structlog.PrintLogger(open(...))
        ("SL205", 20, 1),  # logbook.FileHandler
        ("SL205", 21, 1),  # logbook.RotatingFileHandler
        ("SL205", 22, 1),  # logzero.logfile
        ("SL205", 23, 1),  # logzero.setup_logger(logfile=...)
        ("SL205", 28, 9),  # print(file=handle) in log_line()
        ("SL205", 32, 5),  # print(file=open("audit.log", "a"))
        # sys.stderr, sys.stdout.write, a lambda, a handler object, /dev/stdout, structlog on
        # stdout or by default, logbook StreamHandler, logzero None or no logfile, a parameter
        # sink and print() into a CSV from a non-logging function: silent
    ]


def test_test_code_is_not_reported(tmp_path: Path) -> None:
    project = copy_test_named_fixture("sl2/testcode", tmp_path)
    assert (project / "conftest.py").is_file()
    run = check_json(".", cwd=project, select="SL2")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("app/service.py", "SL201", 5, 11),
        # tests/, conftest.py, *_test.py, test functions, Test* classes and fixtures: silent
    ]


def test_the_same_code_outside_tests_is_reported(tmp_path: Path) -> None:
    """The control for the test above: only the names make the difference."""
    project = copy_test_named_fixture("sl2/testcode", tmp_path)
    (project / "tests").rename(project / "checks")
    checks = project / "checks" / "logging_checks.py"
    (project / "checks" / "test_logging.py").rename(checks)
    checks.write_text(checks.read_text().replace("def test_", "def check_"))
    (project / "conftest.py").rename(project / "handlers_setup.py")
    (project / "app" / "service_test.py").rename(project / "app" / "service_extra.py")
    service = project / "app" / "service.py"
    service.write_text(service.read_text().replace("def test_inline", "def inline").replace("TestService", "Service"))
    run = check_json(".", cwd=project, select="SL2")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("app/service.py", "SL201", 5, 11),
        ("app/service.py", "SL201", 9, 5),
        ("app/service.py", "SL201", 14, 24),
        ("app/service_extra.py", "SL201", 3, 11),
        ("checks/logging.yaml", "SL204", 3, 10),
        ("checks/logging_checks.py", "SL201", 7, 15),
        ("checks/logging_checks.py", "SL202", 9, 5),
        # still silent: the pytest fixtures (app/service.py:19, handlers_setup.py) and a loguru
        # sink built from a parameter (cannot be followed)
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Odd but valid code must neither crash nor confuse the rules.
        ("import logging\nh = logging.FileHandler(*paths)\n", [("SL201", 2, 5)]),
        ("import logging\nlogging.basicConfig(**options)\n", []),
        ("import logging\nif (h := logging.FileHandler('a.log')):\n    pass\n", [("SL201", 2, 10)]),
        (
            "import logging\nmatch mode:\n    case 'file':\n        logging.FileHandler('m.log')\n    case _:\n        pass\n",
            [("SL201", 4, 9)],
        ),
        ("import logging\nmake = lambda p: logging.FileHandler(p)\n", [("SL201", 2, 18)]),
        (
            "import logging\nclass A:\n    class B:\n        h = logging.FileHandler('nested.log')\n",
            [("SL201", 4, 13)],
        ),
        ("import logging\n@app.on_event('startup')\ndef s():\n    logging.FileHandler('s.log')\n", [("SL201", 4, 5)]),
        ("import logging.config\nlogging.config.dictConfig(load())\n", []),
        ("import logging.config\nC = {'version': 1, 'handlers': {**EXTRA}}\n", []),
        ("import logging.config\nC = {'version': 1, 'handlers': {'f': {'class': f'{x}FileHandler'}}}\n", []),
        ("from loguru import logger\nlogger.add(*sinks)\n", []),
        ("from loguru import logger\nlogger.configure(handlers=HANDLERS)\n", []),
        ("def log_it(f):\n    print('x', file=f)\n", []),
    ],
)
def test_odd_code(tmp_path: Path, source: str, expected: list[tuple[str, int, int]]) -> None:
    (tmp_path / "case.py").write_text(source)
    run = check_json("case.py", cwd=tmp_path, select="SL2")
    assert run.exit_code in (0, 1), run.stderr
    assert run.triples == expected
