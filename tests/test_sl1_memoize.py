"""SL104: per-process memoization of changing data, asserted by exact code, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, copy_fixture, lint_fixture


def test_memoizers_over_changing_data(tmp_path: Path) -> None:
    assert lint_fixture("sl1/memoize.py", tmp_path, "SL1") == [
        ("SL101", 15, 1),  # _prices, mutated by set_price()
        ("SL104", 16, 1),  # module-level TTLCache filled from requests.get
        ("SL104", 19, 2),  # lru_cache over session.query
        ("SL104", 24, 2),  # functools.cache over open()
        ("SL104", 30, 2),  # functools.lru_cache() over requests.get
        ("SL104", 35, 2),  # cachetools.func.ttl_cache over module state changed at run time
        ("SL104", 44, 2),  # cachetools.cached(cache=LRUCache(...)) over Path.read_text
        ("SL104", 49, 2),  # cachetools.cached(TTLCache(...)) over the clock
        ("SL104", 54, 2),  # async_lru over an httpx client
        ("SL104", 60, 2),  # aiocache cached, default memory backend, over db.fetchrow
        ("SL104", 65, 2),  # lru_cache over a module function that reads a file
    ]


def test_message_says_what_changes(tmp_path: Path) -> None:
    copy_fixture("sl1/memoize.py", tmp_path)
    findings = check_json("memoize.py", cwd=tmp_path, select="SL104").findings
    messages = [f["message"] for f in findings]
    assert messages[1] == "`@lru_cache` on `get_user()` memoizes changing data (`session.query()`)"
    assert messages[-1] == "`@lru_cache` on `config()` memoizes changing data (through `_read_config()`: `read_bytes()`)"
    # the why is the hint's, not the headline's
    assert findings[1]["hint"].startswith("Every worker process and replica serves its own stale copy")


def test_pure_memoization_client_factories_and_shared_backends(tmp_path: Path) -> None:
    # fib, constant tables, re.compile, lru_cache'd engine/Redis/Settings factories, aiocache on
    # Redis or a configured alias, cachetools.cached on an unknown mapping, a home-made decorator
    assert lint_fixture("sl1/memoize_ok.py", tmp_path, "SL1") == []


def test_async_clients_and_orm_sessions_are_data_sources(tmp_path: Path) -> None:
    copy_fixture("sl1/datasources", tmp_path)
    run = check_json(".", cwd=tmp_path / "datasources", select="SL1")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("sources.py", "SL104", 27, 6),  # asyncpg `self.bot.pool.fetch(...)`: fetch on an object named a pool
        ("sources.py", "SL104", 32, 2),  # conn.fetchval() of `async with pool.acquire() as conn`
        ("sources.py", "SL104", 39, 2),  # motor find_one
        ("sources.py", "SL104", 44, 2),  # aioredis get
        ("sources.py", "SL104", 49, 2),  # httpx.AsyncClient in `async with`
        ("sources.py", "SL104", 55, 2),  # aiohttp.ClientSession in `async with`
        ("sources.py", "SL104", 62, 2),  # a sessionmaker's session.get
        ("sources.py", "SL104", 68, 2),  # Session(engine).scalars(select(...))
        ("sources.py", "SL104", 74, 2),  # an async_sessionmaker's session.get
        ("sources.py", "SL104", 80, 2),  # Flask-SQLAlchemy db.session.get, `db` imported from another module
        ("sources.py", "SL104", 85, 2),  # Flask-SQLAlchemy db.get_or_404
        ("sources.py", "SL104", 91, 6),  # conn.fetch() on a connection passed in
        # sources_ok.py: a memoized pool or client factory, select(...).where(...) built and not executed,
        # db.Column, registry.fetch() of an object not named a pool, str.find: not reported
    ]


def test_the_data_source_the_message_names(tmp_path: Path) -> None:
    copy_fixture("sl1/datasources", tmp_path)
    messages = [f["message"] for f in check_json(".", cwd=tmp_path / "datasources", select="SL104").findings]
    assert "(`self.bot.pool.fetch()`)" in messages[0]
    assert "(`asyncpg.create_pool(...).acquire(...).fetchval()`)" in messages[1]  # the read, not the pool's acquire()
    assert "(`flask_sqlalchemy.SQLAlchemy(...).session.get()`)" in messages[9]


def test_flask_caching_in_process(tmp_path: Path) -> None:
    assert lint_fixture("sl1/flask_cache_simple.py", tmp_path, "SL104") == [
        ("SL104", 6, 42),  # CACHE_TYPE "SimpleCache", where it is chosen: @cache.cached and @cache.memoize over changing data
    ]
    copy_fixture("sl1/flask_cache_simple.py", tmp_path)
    [finding] = check_json("flask_cache_simple.py", cwd=tmp_path, select="SL104").findings
    assert finding["message"] == "`@cache.cached` on `user()` memoizes changing data in per-process CACHE_TYPE 'SimpleCache'"
    assert finding["hint"].startswith("`@cache.cached` on `user()` (flask_cache_simple.py:10) reads `User.query.get()`, and 1 more. ")


def test_flask_caching_on_redis_or_filesystem_is_not_reported(tmp_path: Path) -> None:
    assert lint_fixture("sl1/flask_cache_redis.py", tmp_path, "SL104") == []


def test_django_locmem_backend_nothing_caches_with(tmp_path: Path) -> None:
    # the settings alone: a LocMemCache the app never uses holds nothing (see the configured/ projects)
    assert lint_fixture("sl1/django_settings.py", tmp_path, "SL104") == []


@pytest.mark.parametrize(
    ("project", "expected"),
    [
        # no CACHES in the settings module: Django's default LocMemCache, used by cache_page and cache.get/set
        ("django_unset", [("shopunset/settings.py", "SL104", 5, 1)]),
        # CACHES["default"] is a LocMemCache used by cache.get_or_set; the Redis alias ("shared") used by
        # caches["shared"], cache_page(cache="shared") and the cache middleware (CACHE_MIDDLEWARE_ALIAS) is fine
        ("django_locmem", [("shoplocmem/settings.py", "SL104", 13, 20)]),
        # CACHE_TYPE "SimpleCache" in a config class; memoize over a database read in another module
        ("flask_config", [("flaskcfg/config.py", "SL104", 7, 18)]),
        # near misses: a Redis default, CACHES from the environment, a settings module that takes names at
        # run time (globals().update), a LocMemCache nothing uses, NullCache, a production config on Redis
        ("ok_django_shared", []),
        ("ok_django_unread", []),
        ("ok_django_dynamic", []),
        ("ok_django_unused", []),
        ("ok_flask_null", []),
        ("ok_flask_mixed", []),
    ],
)
def test_caches_configured_in_another_module(tmp_path: Path, project: str, expected: list[tuple[str, str, int, int]]) -> None:
    copy_fixture(f"sl1/configured/{project}", tmp_path)
    run = check_json(".", cwd=tmp_path / project, select="SL1")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == expected


def test_configured_cache_messages_name_the_cause_and_the_uses(tmp_path: Path) -> None:
    copy_fixture("sl1/configured/django_unset", tmp_path)
    [unset] = check_json(".", cwd=tmp_path / "django_unset", select="SL104").findings
    assert unset["message"] == "`cache_page` and 2 more cache in per-process LocMemCache `default` (CACHES unset)"
    assert unset["hint"].startswith("`cache_page` is at shopunset/views.py:6. ")
    copy_fixture("sl1/configured/flask_config", tmp_path)
    [flask] = check_json(".", cwd=tmp_path / "flask_config", select="SL104").findings
    assert flask["hint"].startswith(
        "`@cache.memoize` on `plan()` (flaskcfg/services.py:4) reads `flask_sqlalchemy.SQLAlchemy(...).session.get()`. "
    )


def test_a_settings_module_that_takes_no_names_at_run_time_proves_caches_unset(tmp_path: Path) -> None:
    """The dynamic near miss without its globals().update(): reported, so the near miss tests that line."""
    copy_fixture("sl1/configured/ok_django_dynamic", tmp_path)
    settings = tmp_path / "ok_django_dynamic" / "settings.py"
    settings.write_text(settings.read_text().replace("    globals().update(json.load(handle))", "    json.load(handle)"))
    assert check_json(".", cwd=tmp_path / "ok_django_dynamic", select="SL104").triples == [("SL104", 5, 1)]


def test_the_join_needs_the_settings_module_in_the_scan(tmp_path: Path) -> None:
    copy_fixture("sl1/configured/django_unset", tmp_path)
    assert check_json("shopunset/views.py", cwd=tmp_path / "django_unset", select="SL104").triples == []


def test_team_extensions(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from myapp.util import memoize\n"
        "from myapp.cache import LocalTTL\n"
        "from myapp import billing\n"
        "_plans = LocalTTL(60)\n"
        "@memoize\n"
        "def invoice(number):\n"
        "    return billing.fetch_invoice(number)\n"
        "def plan(name):\n"
        "    _plans[name] = billing.fetch_plan(name)\n"
    )
    assert check_json("app.py", cwd=tmp_path, select="SL104").triples == []
    (tmp_path / ".statelint.yaml").write_text(
        "options:\n"
        "  SL104:\n"
        "    extra-cache-decorators: [myapp.util.memoize]\n"
        "    extra-cache-classes: [myapp.cache.LocalTTL]\n"
        "    extra-data-sources: [myapp.billing.]\n"
    )
    assert check_json("app.py", cwd=tmp_path, select="SL104").triples == [("SL104", 4, 1), ("SL104", 5, 2)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # a method memoized over an ORM manager
        (
            ("from functools import lru_cache\nclass Repo:\n    @lru_cache\n    def get(self, pk):\n"
            "        return User.objects.get(pk=pk)\n"),
            [("SL104", 3, 6)],
        ),
        # a memoized function reading a global only a lazy singleton sets
        (
            ("from functools import cache\n_c = None\ndef client():\n    global _c\n    if _c is None:\n"
            "        _c = object()\n    return _c\n@cache\ndef name():\n    return repr(_c)\n"),
            [],
        ),
        # lru_cache not from functools
        ("from mylib import lru_cache\n@lru_cache\ndef f():\n    return open('x').read()\n", []),
        # data that ships with the code: a path built from the module's own __file__ (issue: SL104's "data that changes")
        (
            ("import functools, os\nHERE = os.path.dirname(__file__)\n@functools.lru_cache\ndef spec():\n"
            "    with open(os.path.join(HERE, 'spec.json')) as f:\n        return f.read()\n"),
            [],
        ),
        (
            ("import functools\nfrom pathlib import Path\n@functools.cache\ndef names():\n"
            "    return sorted(p.name for p in (Path(__file__).parent / 'data').iterdir())\n"),
            [],
        ),
        # ... and one built from another module's __file__ (a plugin's api.yaml beside its code)
        (
            ("import functools, os\n@functools.cache\ndef extensions(plugins):\n    for plugin in plugins:\n"
            "        with open(os.path.join(os.path.dirname(plugin.__file__), 'api.yaml')) as f:\n            yield f.read()\n"),
            [],
        ),
        # ... near miss: a path from a module's other attribute is not its file
        (
            ("import functools, os\n@functools.cache\ndef extensions(plugin):\n"
            "    with open(os.path.join(plugin.data_dir, 'api.yaml')) as f:\n        return f.read()\n"),
            [("SL104", 2, 2)],
        ),
        # ... through a loop over the package's own folders (locales/<code>/meta.json)
        (
            ("import functools, json, os\n@functools.cache\ndef locales():\n"
            "    base = os.path.join(os.path.dirname(__file__), 'locales')\n    found = []\n"
            "    for folder in [os.path.join(base, name) for name in os.listdir(base)]:\n"
            "        with open(os.path.join(folder, 'meta.json')) as f:\n            found.append(json.load(f))\n"
            "    return found\n"),
            [],
        ),
        # ... near miss: the same loop over a folder named by the environment
        (
            ("import functools, json, os\n@functools.cache\ndef locales():\n"
            "    base = os.environ['LOCALES']\n    found = []\n"
            "    for folder in [os.path.join(base, name) for name in os.listdir(base)]:\n"
            "        with open(os.path.join(folder, 'meta.json')) as f:\n            found.append(json.load(f))\n"
            "    return found\n"),
            [("SL104", 2, 2)],
        ),
        # a path check reads no data
        ("import functools, os\n@functools.cache\ndef where():\n    return 'a' if os.path.exists('/opt/a') else 'b'\n", []),
        # ... near miss: a file at a path from the working folder may change under the process
        (
            "import functools\n@functools.cache\ndef settings():\n    return open('settings.json').read()\n",
            [("SL104", 2, 2)],
        ),
        # a cache made at each call of the function defining it lives as long as that call (issue 21)
        (
            "import functools\ndef search(paths):\n    @functools.lru_cache()\n    def score(path):\n"
            "        return open(path).read()\n    return [score(p) for p in paths]\n",
            [],
        ),
        # ... near misses: the memoized function returned (a factory's product) or stored outlives the call
        (
            "import functools\ndef make_scorer():\n    @functools.lru_cache()\n    def score(path):\n"
            "        return open(path).read()\n    return score\n",
            [("SL104", 3, 6)],
        ),
        (
            "import functools\nSCORERS = []\ndef install():\n    @functools.lru_cache()\n    def score(path):\n"
            "        return open(path).read()\n    SCORERS.append(score)\n",
            [("SL104", 4, 6)],
        ),
        # recursion through module functions does not loop
        (
            "from functools import cache\ndef a(n):\n    return b(n)\ndef b(n):\n    return a(n)\n@cache\ndef c(n):\n    return a(n)\n",
            [],
        ),
    ],
)
def test_memoization_cases(tmp_path: Path, source: str, expected: list[tuple[str, int, int]]) -> None:
    (tmp_path / "case.py").write_text(source)
    assert check_json("case.py", cwd=tmp_path, select="SL104").triples == expected
