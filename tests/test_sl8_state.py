"""SL801, SL802, SL803: local on-disk state, by exact code, line and column.

Expected lists are the complete output of the whole SL8 family for each fixture,
so near misses (in-memory, temporary, read-only, shared stores, reads, absolute
paths, code outside request handlers) that fire fail the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from statelint.catalog import load_catalog
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


def test_local_database_files(tmp_path: Path) -> None:
    assert lint_fixture("sl8/databases.py", tmp_path, "SL8") == [
        ("SL801", 23, 8),  # sqlite3.connect("app.db")
        ("SL801", 24, 15),  # through an environment default
        ("SL801", 25, 11),  # a Path next to the module
        ("SL801", 26, 9),  # shelve.open
        ("SL801", 27, 11),  # dbm.open(..., "c")
        ("SL801", 28, 8),  # dbm.dumb.open (default flag "c")
        ("SL801", 29, 9),  # diskcache.Cache(directory)
        ("SL801", 30, 10),  # diskcache.FanoutCache(directory=...)
        ("SL801", 31, 9),  # diskcache.Deque(iterable, directory)
        ("SL801", 32, 8),  # TinyDB default JSONStorage
        ("SL801", 33, 15),  # TinyDB with CachingMiddleware(JSONStorage)
        ("SL801", 34, 13),  # peewee SqliteDatabase
        ("SL801", 35, 6),  # sqlitedict
        ("SL801", 36, 24),  # SQLAlchemy sqlite:///./file
        ("SL801", 37, 36),  # f-string URL
        ("SL801", 38, 42),  # URL as an environment default
        ("SL801", 39, 31),  # databases.Database
        ("SL801", 43, 16),  # aiosqlite.connect
        # silent: ":memory:", "", mode=memory and mode=ro URIs, read-only shelve/dbm/sqlitedict,
        # diskcache and sqlitedict without a path (temporary), TinyDB MemoryStorage, sqlite:// and
        # sqlite:///:memory:, PostgreSQL, a docstring and a help text mentioning a sqlite URL
    ]


def test_django_settings(tmp_path: Path) -> None:
    assert lint_fixture("sl8/django_settings.py", tmp_path, "SL8") == [
        ("SL801", 9, 9),  # ENGINE sqlite3 with a file NAME
        ("SL801", 12, 13),  # spatialite
        ("SL802", 17, 18),  # SESSION_ENGINE file
        ("SL802", 22, 20),  # FileBasedCache
        ("SL802", 25, 25),  # diskcache.DjangoCache
        ("SL802", 36, 22),  # file sessions as an environment default
        # silent: sqlite3 ":memory:", postgresql, Redis and locmem caches, cache sessions
    ]


def test_flask_sessions_caches_uploads_and_writes(tmp_path: Path) -> None:
    assert lint_fixture("sl8/flask_app.py", tmp_path, "SL8") == [
        ("SL802", 15, 30),  # app.config["SESSION_TYPE"] = "filesystem"
        ("SL802", 17, 30),  # app.config.update(CACHE_TYPE="FileSystemCache")
        ("SL802", 18, 34),  # cachelib FileSystemCache
        ("SL802", 19, 42),  # Cache(config={"CACHE_TYPE": "filesystem"})
        ("SL802", 21, 10),  # FileSystemStorage(location="photos")
        ("SL802", 25, 20),  # a config class attribute
        ("SL802", 31, 5),  # file.save(os.path.join(app.config["UPLOAD_FOLDER"], ...))
        ("SL802", 32, 5),  # request.files.get(...).save(<module dir>/media/...)
        ("SL802", 34, 9),  # for attachment in request.files.getlist(...): attachment.save(f"uploads/...")
        ("SL803", 35, 10),  # open(os.path.join(UPLOAD_FOLDER, ...), "a") in a view
        ("SL803", 42, 5),  # Path("notes.json").write_text(...) in a view
        # silent: redis sessions, RedisCache, FileSystemStorage on /mnt or MEDIA_ROOT (unknown),
        # uploads to /mnt and /tmp, reading a template, writes outside request handlers
    ]


def test_request_time_writes(tmp_path: Path) -> None:
    assert lint_fixture("sl8/writes.py", tmp_path, "SL8") == [
        ("SL803", 25, 16),  # aiofiles.open(f"uploads/...", "wb") in a FastAPI route
        ("SL803", 32, 5),  # (BASE_DIR / "state.json").write_text(...) in an APIRouter route
        ("SL803", 33, 10),  # open(os.path.join(<cwd>/exports, ...), mode="w")
        ("SL803", 35, 10),  # io.open with a mode constant
        ("SL803", 37, 5),  # codecs.open(..., "w")
        ("SL803", 38, 5),  # .touch()
        ("SL803", 39, 5),  # Path(...).open("r+")
        ("SL803", 44, 10),  # Django function view (first parameter `request`)
        ("SL803", 50, 9),  # class-based view method
        ("SL803", 55, 5),  # DRF @api_view
        # silent: reads, tempfile, an absolute shared path, /tmp, a parameter path, a mode
        # parameter, and writes in functions that do not handle requests
    ]


def test_test_code_is_not_reported(tmp_path: Path) -> None:
    project = copy_test_named_fixture("sl8/testcode", tmp_path)
    assert (project / "conftest.py").is_file()
    run = check_json(".", cwd=project, select="SL8")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("app/db.py", "SL801", 5, 8),
        # tests/, conftest.py, test functions, Test* classes and fixtures: silent
    ]


def test_the_same_code_outside_tests_is_reported(tmp_path: Path) -> None:
    """The control for the test above: only the names make the difference."""
    project = copy_test_named_fixture("sl8/testcode", tmp_path)
    (project / "tests").rename(project / "checks")
    checks = project / "checks" / "db_checks.py"
    (project / "checks" / "test_db.py").rename(checks)
    checks.write_text(checks.read_text().replace("def test_", "def check_"))
    (project / "conftest.py").rename(project / "engines.py")
    db = project / "app" / "db.py"
    db.write_text(db.read_text().replace("def test_", "def run_").replace("TestDatabase", "Database"))
    run = check_json(".", cwd=project, select="SL8")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("app/db.py", "SL801", 5, 8),
        ("app/db.py", "SL801", 9, 5),
        ("app/db.py", "SL802", 13, 20),
        ("app/db.py", "SL801", 16, 9),
        ("checks/db_checks.py", "SL801", 7, 12),
        ("checks/db_checks.py", "SL802", 9, 34),
        ("checks/db_checks.py", "SL803", 14, 5),
        # still silent: the pytest fixtures (app/db.py:21, engines.py)
    ]


def test_request_time_writes_are_on_by_default() -> None:
    assert load_catalog().rules["SL803"].default_enabled


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sqlite3\nsqlite3.connect(*args)\n", []),
        ("import sqlite3\nsqlite3.connect(database=path)\n", [("SL801", 2, 1)]),
        ("import shelve\nshelve.open('s', **options)\n", []),
        ("import dbm\ndbm.open('d', flag)\n", []),
        ("from tinydb import TinyDB\nTinyDB('x.json', storage=storage)\n", []),
        ("x = 'sqlite:///%s' % name\n", [("SL801", 1, 5)]),
        ("x = ('sqlite:///a' 'b.db')\n", [("SL801", 1, 6)]),  # the first part of the concatenation
        ("x = 'sqlite:///' + name\n", []),  # the file is not in sight
        ("def f(request):\n    with open(request.path, 'w'):\n        pass\n", []),
        ("from flask import request\ndef f():\n    request.files['x'].save(dst)\n", []),
        ("SESSION_TYPE = None\n", []),
        ("def f():\n    SESSION_TYPE = 'filesystem'\n", []),
        ("match x:\n    case {'SESSION_TYPE': 'filesystem'}:\n        pass\n", []),
        ("async def view(request):\n    async with aiofiles.open('a.txt', 'w'):\n        pass\n", []),
        ("import aiofiles\nasync def view(request):\n    f = lambda: open('l.txt', 'w')\n", [("SL803", 3, 17)]),
    ],
)
def test_odd_code(tmp_path: Path, source: str, expected: list[tuple[str, int, int]]) -> None:
    (tmp_path / "case.py").write_text(source)
    run = check_json("case.py", cwd=tmp_path, select="SL8")
    assert run.exit_code in (0, 1), run.stderr
    assert run.triples == expected
