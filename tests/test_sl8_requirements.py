"""What SL801 (file databases), SL802 (local sessions, caches, uploads) and SL803 (request-time
writes) require of a file's summary: the near misses it spares libcst, and the indirect sites it keeps.

Each table also runs the rule itself with the prefilter off, so it shows that every site the
declaration keeps for a reason really is reported (the alias it follows is real), and that every
file it skips is clean for the rule. Cases kept although the rule stays quiet are where the
declaration over-approximates on purpose (the summary does not know an ``open`` call's mode).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.helpers import requirement_met, run_cli

# (case, source, declaration verdict, whether the rule reports)
Cases = list[tuple[str, str, bool, bool]]

SL803_CASES: Cases = [
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
    ("class_in_handler", """
        def view(request):
            class Saver:
                def save(self):
                    open("data.txt", "w")
            Saver().save()
        """, True, True),
    ("lambda_in_handler", """
        def view(request):
            save = lambda: open("data.txt", "w")
            save()
        """, True, True),
    ("write_on_unresolved_path", """
        def view(request, folder):
            (folder / "x").write_text("x")
            open("out/" + request.name, "w")
        """, True, True),
    ("default_of_a_handler", """
        def view(request, out=open("data.txt", "w")):
            return out
        """, True, True),
    ("blueprint_imported_from_project", """
        from flask import Blueprint
        bp = Blueprint("b", __name__)
        @bp.route("/save", methods=["POST"])
        def save():
            open("saved.txt", "a")
        """, True, True),
    ("bottle_route_alias", """
        import bottle
        r = bottle.route
        @r("/x")
        def save():
            open("x", "w")
        """, True, True),
    # kept, although the rule finds nothing to report: a mode the summary does not know
    ("read_only_open", """
        def view(request):
            with open("data.txt") as f, open("other.txt", "rb") as g:
                return f.read() + g.read()
        """, True, False),
    ("fstring_mode", """
        def view(request):
            open("data.txt", f"w")
        """, True, False),
    ("mode_behind_star", """
        def view(request, *args):
            open("data.txt", *args)
        """, True, False),
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
    ("unresolved_route_decorator", """
        @r("/x")
        def save():
            open("x", "w")
        """, False, False),
    ("request_in_docstring_only", '''
        """Handles every request."""
        import urllib.request
        def fetch(url):
            open("page.html", "w").write(urllib.request.urlopen(url).read())
        ''', False, False),
    ("handler_without_writes", """
        def view(request):
            return {"ok": True}
        def dump(data):
            open("data.txt", "w").write(data)
        """, False, False),
]

SL801_CASES: Cases = [
    ("sqlite_connect_alias", """
        import sqlite3 as db
        conn = db.connect("app.db")
        """, True, True),
    ("sqlite_url_fstring", """
        def url(name):
            return f"sqlite:///{name}.db"
        """, True, True),
    ("sqlite_url_concatenated", """
        URL = "  " "sqlite+aiosqlite:///data/app.db"
        """, True, True),
    ("sqlite_url_escaped", """
        URL = "sqlite\\x3a///app.db"
        """, True, True),
    ("django_engine", """
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        """, True, True),
    ("django_engine_constant", """
        ENGINE = "django.contrib.gis.db.backends.spatialite"
        DATABASES = {"default": {"ENGINE": ENGINE, "NAME": "geo.db"}}
        """, True, True),
    # kept: the URL names no file (in memory); the rule is quiet
    ("sqlite_memory_url", """
        URL = "sqlite:///:memory:"
        """, True, False),
    ("sqlite_word_only", """
        # sqlite is mentioned, nothing opens a file database
        def backend():
            return "postgresql://db/app"
        """, False, False),
    ("sqlite_scheme_without_slashes", """
        NAME = "sqlite:memory"
        """, False, False),
    ("connect_of_another_library", """
        import psycopg
        conn = psycopg.connect("dbname=sqlite")
        """, False, False),
]

SL802_CASES: Cases = [
    ("session_type", """
        SESSION_TYPE = "filesystem"
        """, True, True),
    ("cache_type_in_config", """
        app.config["CACHE_TYPE"] = "FileSystemCache"
        """, True, True),
    ("store_alias", """
        from cachelib import FileSystemCache as FSC
        cache = FSC("/tmp/cache")
        """, True, True),
    ("upload_save", """
        from flask import request
        def upload():
            request.files["f"].save("uploads/f.bin")
        """, True, True),
    ("upload_save_loop", """
        from flask import request
        def upload():
            for item in request.files.getlist("f"):
                item.save("uploads/" + item.filename)
        """, True, True),
    # kept: a save() call, but the rule needs Flask's request to report it
    ("save_without_flask", """
        def upload(request):
            request.files["f"].save("uploads/f.bin")
        """, True, False),
    ("other_session_type", """
        SESSION_TYPE = "redis"
        """, False, False),
    ("filesystem_in_a_longer_string", """
        NOTE = "SESSION_TYPE filesystem is deprecated"
        """, False, False),
]


def _reported(code: str, cases: Cases, tmp_path: Path) -> set[str]:
    for name, text, _, _ in cases:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    run = run_cli(
        "check", "--no-cache", "--output-format", "json", "--select", code, ".",
        cwd=tmp_path, env={"STATELINT_PREFILTER": "off"},
    )
    assert run.exit_code in (0, 1), run.stderr
    return {Path(f["path"]).stem for f in run.findings}


@pytest.mark.parametrize(("code", "cases"), [("SL803", SL803_CASES), ("SL801", SL801_CASES), ("SL802", SL802_CASES)])
def test_verdicts_and_what_the_rule_reports(code: str, cases: Cases, tmp_path: Path) -> None:
    verdicts = {name: requirement_met(code, text, module=name) for name, text, _, _ in cases}
    assert verdicts == {name: kept for name, _, kept, _ in cases}
    reported = _reported(code, cases, tmp_path)
    assert reported == {name for name, _, _, fires in cases if fires}
    assert reported <= {name for name, kept in verdicts.items() if kept}  # sound: never skips a finding


@pytest.mark.parametrize("code", ["SL801", "SL802", "SL803"])
@pytest.mark.parametrize("path", ["tests/test_app.py", "pkg/tests/helpers.py", "conftest.py", "app_test.py"])
def test_test_files_are_skipped(code: str, path: str) -> None:
    text = (
        "import sqlite3\nsqlite3.connect('a.db')\nSESSION_TYPE = 'filesystem'\n"
        "def view(request):\n    open('x', 'w')\n"
    )
    assert requirement_met(code, text, path="app.py") is True
    assert requirement_met(code, text, path=path) is False


def test_a_handler_from_a_project_app() -> None:
    """``app`` made by a factory of the module: the decorator's receiver expands to a ``Flask()``."""
    text = "import flask\ndef make():\n    return flask.Flask(__name__)\napp = make()\n@app.get('/x')\ndef x():\n    open('x', 'w')\n"
    assert requirement_met("SL803", text) is True
    assert requirement_met("SL803", text.replace("flask.Flask(__name__)", "object()")) is False
