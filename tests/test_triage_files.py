"""Triage of SL803: the near misses it spares libcst, and the indirect sites it keeps.

Each case also runs the rule itself with the prefilter off, so the table shows that
every site the predicate keeps for a reason really is reported (the alias it follows
is real) and that every file it rejects is clean for the rule.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from statelint.catalog import load_catalog
from statelint.triage import files
from tests.helpers import run_cli, triage_source

CATALOG = load_catalog()

# (case, source, triage verdict, whether the rule reports)
SL803_CASES = [
    ("flask_open", """
        from flask import Flask
        app = Flask(__name__)
        @app.post("/u")
        def upload():
            with open("uploads/x.bin", "wb") as f:
                f.write(b"")
        """, True, True),
    ("request_param_write_text", """
        from pathlib import Path
        def view(request):
            Path("out.txt").write_text("x")
        """, True, True),
    ("method_request_param", """
        class View:
            def post(self, request):
                open("state.json", mode="a").close()
        """, True, True),
    ("open_alias_assigned", """
        import io
        writer = io.open
        def view(request):
            writer("data.csv", "w")
        """, True, True),
    ("open_import_alias", """
        from codecs import open as copen
        def view(request):
            copen("notes.txt", "a+")
        """, True, True),
    ("mode_constant", """
        MODE = "w"
        def view(request):
            open("data.txt", MODE)
        """, True, True),
    ("nested_in_handler", """
        def view(request):
            def save():
                open("data.txt", "w")
            save()
        """, True, True),
    ("read_only_open", """
        def view(request):
            with open("data.txt") as f, open("other.txt", "rb") as g:
                return f.read() + g.read()
        """, False, False),
    ("no_handler", """
        def dump(data):
            open("data.txt", "w").write(data)
        """, False, False),
    ("request_not_first", """
        def view(client, request):
            open("data.txt", "w")
        """, False, False),
    ("decorated_without_framework", """
        import functools
        @functools.lru_cache
        def view(path):
            open(path, "w")
        """, False, False),
    ("request_in_docstring_only", '''
        """Handles every request."""
        import urllib.request
        def fetch(url):
            open("page.html", "w").write(urllib.request.urlopen(url).read())
        ''', False, False),
    ("fstring_mode", """
        def view(request):
            open("data.txt", f"w")
        """, False, False),
    ("mode_behind_star", """
        def view(request, *args):
            open("data.txt", *args)
        """, False, False),
]

def _knowledge(code: str) -> dict[str, object]:
    return CATALOG.knowledge(code)


def _verdict(code: str, text: str, path: str = "app") -> bool:
    return files.request_write(triage_source(text, path), _knowledge(code), CATALOG.rules[code].default_options())


def _reported(code: str, cases: list[tuple[str, str, bool, bool]], tmp_path: Path) -> set[str]:
    for name, text, _, _ in cases:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    run = run_cli(
        "check", "--no-cache", "--output-format", "json", "--select", code, ".",
        cwd=tmp_path, env={"STATELINT_PREFILTER": "off"},
    )
    assert run.exit_code in (0, 1), run.stderr
    return {Path(f["path"]).stem for f in run.findings}


@pytest.mark.parametrize(("code", "cases"), [("SL803", SL803_CASES)])
def test_verdicts_and_what_the_rule_reports(code: str, cases: list[tuple[str, str, bool, bool]], tmp_path: Path) -> None:
    assert {name: _verdict(code, text) for name, text, _, _ in cases} == {name: kept for name, _, kept, _ in cases}
    assert _reported(code, cases, tmp_path) == {name for name, _, _, fires in cases if fires}


@pytest.mark.parametrize("code", ["SL803"])
def test_test_files_are_never_triaged_in(code: str) -> None:
    text = "from loguru import logger\nlogger.add('a.log')\ndef view(request):\n    open('x', 'w')\n"
    assert _verdict(code, text) is True
    predicate = files.request_write
    for path in ("tests/test_app.py", "pkg/tests/helpers.py", "conftest.py"):
        assert predicate(_with_path(text, path), _knowledge(code), {}) is False


def test_framework_decorator_marks_any_decorated_function_a_handler() -> None:
    routed = "import bottle\nr = bottle.route\n@r('/x')\ndef save():\n    open('x', 'w')\n"
    assert _verdict("SL803", routed) is True
    assert _verdict("SL803", routed.replace("import bottle\nr = bottle.route\n", "")) is False


def _with_path(text: str, path: str) -> object:
    source = triage_source(text)
    source.path = path
    return source


SL801_CASES = [
    ("sqlite_connect_alias", """
        import sqlite3 as db
        conn = db.connect("app.db")
        """, True, True),
    ("sqlite_url_fstring", """
        def url(name):
            return f"sqlite:///{name}.db"
        """, True, True),
    ("django_engine", """
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        """, True, True),
    ("sqlite_word_only", """
        # sqlite is mentioned, nothing opens a file database
        def backend():
            return "postgresql://db/app"
        """, False, False),
]

SL802_CASES = [
    ("session_type", """
        SESSION_TYPE = "filesystem"
        """, True, True),
    ("upload_save", """
        from flask import request
        def upload():
            request.files["f"].save("uploads/f.bin")
        """, True, True),
    ("save_without_flask", """
        def upload(request):
            request.files["f"].save("uploads/f.bin")
        """, False, False),
    ("other_session_type", """
        SESSION_TYPE = "redis"
        """, False, False),
]


@pytest.mark.parametrize(("code", "cases"), [("SL801", SL801_CASES), ("SL802", SL802_CASES)])
def test_database_and_session_verdicts(code: str, cases: list[tuple[str, str, bool, bool]], tmp_path: Path) -> None:
    predicate = files.database_file if code == "SL801" else files.local_sessions
    verdicts = {name: predicate(triage_source(text), _knowledge(code), {}) for name, text, _, _ in cases}
    assert verdicts == {name: kept for name, _, kept, _ in cases}
    assert _reported(code, cases, tmp_path) == {name for name, _, _, fires in cases if fires}
