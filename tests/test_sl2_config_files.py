"""SL204: log files named by configuration files (YAML, JSON, INI, TOML, gunicorn/hypercorn Python).

Config files are found by discovery like Python files, so these tests scan folders
and assert (path, code, line, column) for every finding. A broken config file is one
SL204 finding at the parser's error position ("could not be checked"), never a crash.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from statelint.catalog import load_catalog
from statelint.rules.sl2.config_files import FileHandlerInConfigFile
from tests.helpers import Run, check_json, copy_fixture


def located(run: Run) -> list[tuple[str, str, int, int]]:
    assert run.exit_code in (0, 1), run.stderr
    return [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings]


def test_config_files_of_every_format(tmp_path: Path) -> None:
    copy_fixture("sl2/configs", tmp_path)
    run = check_json(".", cwd=tmp_path / "configs", select="SL2")
    assert located(run) == [
        ("gunicorn.conf.py", "SL204", 5, 13),  # accesslog = "/var/log/gunicorn/access.log"
        ("gunicorn_config.py", "SL204", 5, 12),  # errorlog = f"{LOG_DIR}/error.log"
        ("hypercorn.toml", "SL204", 2, 1),  # top-level accesslog
        ("logging.ini", "SL204", 27, 1),  # [handler_file] class = handlers.RotatingFileHandler
        ("logging.json", "SL204", 7, 7),  # "class": "logging.handlers.TimedRotatingFileHandler"
        ("logging.yaml", "SL204", 12, 5),  # RotatingFileHandler
        ("logging.yaml", "SL204", 16, 5),  # concurrent_log_handler.ConcurrentRotatingFileHandler
        ("production.ini", "SL204", 22, 1),  # Pyramid-style file, kwargs={'filename': ...}
        ("settings.yml", "SL204", 7, 13),  # a dictConfig mapping nested under `logging:`
        # silent: stream handlers, FileHandlers on /dev/stdout, an INI handler not listed in
        # [handlers] keys, errorlog "-", accesslog from the environment defaulting to "-", a
        # table (not top-level) accesslog in TOML, pyproject.toml (not read), a Kubernetes
        # manifest naming logging.FileHandler in an env value, a JSON config without file handlers
    ]


def test_findings_span_the_class_key(tmp_path: Path) -> None:
    copy_fixture("sl2/configs", tmp_path)
    run = check_json("logging.json", "logging.yaml", cwd=tmp_path / "configs", select="SL204")
    spans = [(f["line"], f["column"], f["end_line"], f["end_column"]) for f in run.findings]
    assert spans == [(7, 7, 7, 14), (12, 5, 12, 10), (16, 5, 16, 10)]  # "class" with its quotes; class


def test_broken_config_files_are_one_finding_each(tmp_path: Path) -> None:
    copy_fixture("sl2/broken", tmp_path)
    run = check_json(".", cwd=tmp_path / "broken", select="SL2")
    assert located(run) == [
        ("headerless.ini", "SL204", 1, 1),  # an option before any [section]
        ("helm-parseable.yaml", "SL204", 4, 5),  # a template that still parses is checked
        ("hypercorn.toml", "SL204", 2, 24),  # unterminated string
        ("logging.ini", "SL204", 7, 1),  # duplicate option
        ("logging.json", "SL204", 4, 68),  # trailing comma
        ("logging.yaml", "SL204", 6, 5),  # unclosed flow sequence
        # a Helm template that does not parse, and broken YAML/JSON files that do not look like
        # logging configurations (no `handlers`): silent
    ]
    messages = {f["path"]: f["message"] for f in run.findings}
    assert messages["logging.json"].startswith("could not be parsed: ")
    assert {f["path"]: f["hint"] for f in run.findings}["logging.json"].startswith("Its log files were not checked.")
    assert run.stderr == ""


def test_server_config_file_names_can_be_extended(tmp_path: Path) -> None:
    (tmp_path / "deploy_web.py").write_text('accesslog = "web-access.log"\n')
    (tmp_path / "settings.py").write_text('accesslog = "not-a-server-config.log"\n')
    (tmp_path / ".statelint.yaml").write_text("options:\n  SL204:\n    config-files: ['deploy_*.py']\n")
    assert located(check_json(".", cwd=tmp_path, select="SL204")) == [("deploy_web.py", "SL204", 1, 13)]


def test_files_without_needles_are_not_parsed(tmp_path: Path) -> None:
    # Broken, and shaped like a logging config, but naming no file handler: never read.
    (tmp_path / "values.yaml").write_text("version: 1\nhandlers: [unclosed\n")
    (tmp_path / "data.json").write_text('{"version": 1, "handlers": \n')
    assert located(check_json(".", cwd=tmp_path, select="SL204")) == []
    needles = FileHandlerInConfigFile.prefilter(load_catalog().knowledge("SL204"), {})
    assert set(needles) == {"BaseRotatingHandler", "FileHandler", "accesslog", "errorlog"}


def test_ignore_file_comment_in_a_config_file(tmp_path: Path) -> None:
    copy_fixture("sl2/configs", tmp_path)
    config = tmp_path / "configs" / "logging.yaml"
    config.write_text("# statelint: ignore-file[SL204]\n" + config.read_text())
    assert located(check_json("logging.yaml", cwd=tmp_path / "configs", select="SL204")) == []


def test_plain_check_in_a_project_picks_up_its_config_files(tmp_path: Path) -> None:
    """`statelint check .` from inside a project, with the default rule set and no options."""
    project = copy_fixture("sl2/project", tmp_path)
    # Created here: git itself would not store a file the fixture's .gitignore ignores.
    (project / "local").mkdir()
    (project / "local" / "logging.yaml").write_text((project / "logging.yaml").read_text())
    run = check_json(cwd=project)
    ours = [item for item in located(run) if item[1].startswith(("SL2", "SL8"))]
    assert ours == [
        ("gunicorn.conf.py", "SL204", 3, 13),
        ("logging.ini", "SL204", 15, 1),
        ("logging.yaml", "SL204", 7, 5),
        # build/ (default exclude), local/ (.gitignore) and tests/ hold the same logging.yaml: silent
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.yaml", "version: 1\nhandlers:\n  f: &h {class: logging.FileHandler}\n  g: *h\n", [("SL204", 3, 10)]),
        ("a.yaml", "---\nkind: x\n---\nversion: 1\nhandlers:\n  f:\n    class: FileHandler\n", [("SL204", 7, 5)]),
        ("a.yaml", "version: 1\nhandlers:\n  f:\n    class: logging.FileHandler\n    filename: /proc/self/fd/1\n", []),
        ("a.yaml", "handlers:\n  f:\n    class: logging.FileHandler\n", []),  # no `version`: not dictConfig
        ("a.yaml", "version: 1\nhandlers: [FileHandler]\n", []),
        ("a.yaml", "version: 1\nhandlers:\n  f: logging.FileHandler\n", []),
        ("a.json", '[{"version": 1, "handlers": {"f": {"class": "logging.FileHandler"}}}]', [("SL204", 1, 36)]),
        ("a.json", '{"version": 1, "handlers": {"f": {"class": "logging.FileHandler", "x": "\\ud83d\\ude00"}}}', [("SL204", 1, 35)]),
        ("logging.cfg", "[handlers]\nkeys=f\n[handler_f]\nclass=logging.FileHandler\nargs=(sys.stderr,)\n", [("SL204", 4, 1)]),
        ("logging.conf", "[handlers]\nkeys=f\n[handler_f]\nclass=FileHandler\nargs=('/dev/stderr', 'a')\n", []),
        ("nginx.conf", "[handlers]\nkeys=f\n[handler_f]\nclass=FileHandler\n", []),  # not a *log*.conf name
        ("hypercorn.toml", 'errorlog = "/var/log/h.log"\naccesslog = "-"\n', [("SL204", 1, 1)]),
        ("hypercorn.toml", "accesslog = 1\n", []),
        ("server.toml", 'accesslog = "not-a-hypercorn-name.log"\n', []),
        ("setup.cfg", "[handlers]\nkeys=f\n[handler_f]\nclass=FileHandler\n", []),  # not a *log*.cfg name
    ],
)
def test_config_file_cases(tmp_path: Path, name: str, text: str, expected: list[tuple[str, int, int]]) -> None:
    (tmp_path / name).write_text(text)
    run = check_json(".", cwd=tmp_path, select="SL204")  # discovery decides which names are read
    assert run.exit_code in (0, 1), run.stderr
    assert run.triples == expected
