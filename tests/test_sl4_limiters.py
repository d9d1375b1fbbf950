"""SL401-SL402: library rate limiters and circuit breakers on in-memory storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, copy_fixture, lint_fixture


def test_rate_limiters(tmp_path: Path) -> None:
    assert lint_fixture("sl4/limiters.py", tmp_path, "SL4") == [
        ("SL401", 26, 11),  # flask-limiter without storage_uri (no config anywhere in the scan)
        ("SL401", 27, 12),  # storage_uri="memory://"
        ("SL401", 28, 20),  # a constant from os.environ.get(..., "memory://")
        ("SL401", 29, 16),  # a settings-class attribute whose default is memory://
        ("SL401", 30, 12),  # `os.environ.get(...) or "memory://"`
        ("SL401", 31, 8),  # slowapi Limiter (imported under another name) without storage_uri
        ("SL401", 32, 22),  # aiolimiter on app.state
        ("SL401", 33, 10),  # limits MemoryStorage()
        ("SL401", 34, 10),  # storage_from_string("memory://")
        ("SL401", 35, 11),  # pyrate-limiter Limiter(Rate(...)): an in-memory bucket
        ("SL401", 51, 2),  # ratelimit @limits(...) decorator
        ("SL401", 58, 24),  # self.limiter = AsyncLimiter(...)
        # redis://, mongodb://, memcached://, os.environ[...], os.getenv(...) without default,
        # a setting defaulting to redis, an f-string redis URI, **kwargs, a Redis bucket,
        # RedisStorage, and AsyncLimiter used per request: not reported
    ]


def test_message_names_the_origin(tmp_path: Path) -> None:
    copy_fixture("sl4/limiters.py", tmp_path)
    messages = [f["message"] for f in check_json("limiters.py", cwd=tmp_path, select="SL401").findings]
    assert messages[0] == "flask-limiter Limiter is created without a storage, and its default is in process memory"
    assert messages[2] == "flask-limiter Limiter counts in process memory (the environment default of RATELIMIT_STORAGE_URI)"
    assert "(the environment default of LIMITER_STORAGE)" in messages[3]


def test_limiter_default_is_fine_when_the_project_configures_shared_storage(tmp_path: Path) -> None:
    copy_fixture("sl4/configured", tmp_path)
    assert check_json(".", cwd=tmp_path / "configured", select="SL401").triples == []


def test_limiter_default_and_memory_config_keys(tmp_path: Path) -> None:
    copy_fixture("sl4/unconfigured", tmp_path)
    run = check_json(".", cwd=tmp_path / "unconfigured", select="SL401")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("config.py", "SL401", 9, 29),  # RATELIMIT_STORAGE_URI = "memory://"
        ("config.py", "SL401", 13, 43),  # app.config["RATELIMIT_STORAGE_URL"] = os.environ.get(..., "memory://")
        ("config.py", "SL401", 14, 52),  # app.config.setdefault("RATELIMIT_STORAGE_URI", os.getenv(..., "memory://"))
        # not the Limiter of extensions.py on its default storage: the settings above choose its storage,
        # and they are where the fix goes (one finding per mistake)
    ]


def test_limiter_and_config_are_judged_the_same_when_scanned_twice(tmp_path: Path) -> None:
    copy_fixture("sl4/unconfigured", tmp_path)
    first = check_json(".", cwd=tmp_path / "unconfigured", select="SL401").stdout
    assert check_json(".", cwd=tmp_path / "unconfigured", select="SL401").stdout == first


def test_circuit_breakers(tmp_path: Path) -> None:
    assert lint_fixture("sl4/breakers.py", tmp_path, "SL4") == [
        ("SL402", 10, 14),  # pybreaker without state_storage
        ("SL402", 11, 18),  # pybreaker with CircuitMemoryStorage
        ("SL402", 12, 17),  # aiobreaker without state_storage
        ("SL402", 13, 11),  # purgatory factory without a Redis unit of work
        ("SL402", 20, 2),  # @circuit
        ("SL402", 25, 2),  # @circuit(...)
        ("SL402", 30, 2),  # @PaymentBreaker(): a subclass of circuitbreaker.CircuitBreaker
        # CircuitRedisStorage (inline or through a name), a Redis unit of work, an unknown storage,
        # and a call passing enough positional arguments to include the storage: not reported
    ]


def test_discord_cooldowns_whose_buckets_span_guilds(tmp_path: Path) -> None:
    assert lint_fixture("sl4/discord_bot.py", tmp_path, "SL4") == [
        ("SL401", 23, 29),  # CooldownMapping.from_cooldown(..., BucketType.user) on the bot
        ("SL401", 24, 31),  # CooldownMapping(..., BucketType.default): one bucket for the whole bot
        ("SL401", 25, 21),  # a subclass of this module passing BucketType.user to super().__init__
        ("SL401", 33, 6),  # @commands.cooldown(..., type=commands.BucketType.user)
        ("SL401", 38, 6),  # @commands.cooldown(2, 30.0): the default bucket
        ("SL401", 43, 6),  # @app_commands.checks.cooldown without a key: per user
        # buckets keyed within a guild (guild, member, channel), a subclass keying its own buckets
        # (_bucket_key), an app command keyed by a function, a bucket type passed in, and a mapping
        # made for one call: not reported
    ]


def test_discord_message_names_the_bucket(tmp_path: Path) -> None:
    copy_fixture("sl4/discord_bot.py", tmp_path)
    messages = [f["message"] for f in check_json("discord_bot.py", cwd=tmp_path, select="SL401").findings]
    assert messages[0] == "discord.py CooldownMapping counts in process memory (BucketType.user: per user across guilds)"
    assert "(no type: one bucket for the bot)" in messages[4]


def test_limiters_and_breakers_behind_project_wrappers(tmp_path: Path) -> None:
    copy_fixture("sl4/wrappers", tmp_path)
    run = check_json(".", cwd=tmp_path / "wrappers", select="SL4")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("limitwrap/throttle.py", "SL401", 12, 69),  # limits MemoryStorage inside a wrapper class
        ("limitwrap/throttle.py", "SL401", 20, 12),  # a Limiter a factory returns, which only startup calls: kept
        ("limitwrap/throttle.py", "SL402", 50, 17),  # a subclass whose __init__ passes no storage to super()
        ("limitwrap/views.py", "SL402", 9, 17),  # a subclass of another module without its own __init__
        ("limitwrap/views.py", "SL401", 15, 22),  # a CooldownMapping subclass of another module, BucketType.user
        # a factory returning a Redis bucket, one called per request, a subclass whose __init__ gives
        # super() a Redis storage (here and in another module), a guild bucket, a subclass keying its own
        # buckets, and the InMemoryBucket given to the reported Limiter (one finding): not reported
    ]


@pytest.mark.parametrize(
    ("project", "expected"),
    [
        # no CACHES: DRF throttles (settings, a view's throttle_classes, @throttle_classes, a project subclass)
        # and @ratelimit count in Django's default LocMemCache: one finding, at the settings module; a
        # subclass with its own `cache` and a throttle named by a project path are not counted
        ("drf_unset", [("drfproject/settings.py", "SL401", 5, 1)]),
        # CACHES["default"] is a LocMemCache: the DRF throttle counts there; django-ratelimit and the
        # django-axes cache handler are sent to the Redis alias (RATELIMIT_USE_CACHE, AXES_CACHE)
        ("locmem", [("settings.py", "SL401", 6, 28)]),
        # the django-axes cache handler without CACHES
        ("axes_unset", [("settings.py", "SL401", 2, 1)]),
        # near misses: a Redis default cache; RATELIMIT_ENABLE = False and axes on its database handler
        ("ok_redis", []),
        ("ok_disabled", []),
    ],
)
def test_limiters_counting_in_djangos_cache(tmp_path: Path, project: str, expected: list[tuple[str, str, int, int]]) -> None:
    copy_fixture(f"sl4/django/{project}", tmp_path)
    run = check_json(".", cwd=tmp_path / project, select="SL4")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == expected


def test_django_cache_limiter_messages(tmp_path: Path) -> None:
    copy_fixture("sl4/django/drf_unset", tmp_path)
    [unset] = check_json(".", cwd=tmp_path / "drf_unset", select="SL401").findings
    assert unset["message"] == "DRF throttle `BurstThrottle` and 4 more count in per-process LocMemCache `default` (CACHES unset)"
    assert unset["hint"].startswith("DRF throttle `BurstThrottle` is at drfapi/views.py:10. Each worker")
    copy_fixture("sl4/django/axes_unset", tmp_path)
    [axes] = check_json(".", cwd=tmp_path / "axes_unset", select="SL401").findings
    assert axes["message"] == "the django-axes cache handler counts in per-process LocMemCache `default` (CACHES unset)"
    assert axes["hint"].startswith("The django-axes cache handler is at settings.py:4.")


def test_a_django_limiter_without_its_settings_module_is_not_judged(tmp_path: Path) -> None:
    copy_fixture("sl4/django/drf_unset", tmp_path)
    assert check_json("drfapi", cwd=tmp_path / "drf_unset", select="SL401").triples == []


def test_team_extensions(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from myapp.throttle import LocalLimiter\n"
        "from myapp.resilience import breaker\n"
        "limiter = LocalLimiter(10)\n"
        "@breaker\n"
        "def call():\n"
        "    return None\n"
        "def view():\n"
        "    local = LocalLimiter(1)\n"
        "    return local\n"
    )
    assert check_json("app.py", cwd=tmp_path, select="SL4").triples == []
    (tmp_path / ".statelint.yaml").write_text(
        "options:\n"
        "  SL401:\n    extra-limiter-classes: [myapp.throttle.LocalLimiter]\n"
        "  SL402:\n    extra-breaker-classes: [myapp.resilience.breaker]\n"
    )
    assert check_json("app.py", cwd=tmp_path, select="SL4").triples == [("SL401", 3, 11), ("SL402", 4, 2)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # a limiter class named like the library's but defined locally
        ("class Limiter:\n    pass\nlimiter = Limiter()\n", []),
        # rediss and redis+sentinel are shared
        (
            ("from flask_limiter import Limiter\n"
            "a = Limiter(k, storage_uri='rediss://r:6380')\nb = Limiter(k, storage_uri='redis+sentinel://s:26379/m')\n"),
            [],
        ),
        # async+memory is in memory
        ("from limits.storage import storage_from_string\ns = storage_from_string('async+memory://')\n", [("SL401", 2, 5)]),
        # pyrate-limiter v2 with a Redis bucket class
        ("from pyrate_limiter import Limiter, RedisBucket\nl = Limiter(r, bucket_class=RedisBucket)\n", []),
        # a pydantic settings field whose default is memory://
        (
            ("from pydantic import Field\nfrom pydantic_settings import BaseSettings\nfrom slowapi import Limiter\n"
            "class Settings(BaseSettings):\n    rate_storage: str = Field(default='memory://')\n"
            "settings = Settings()\nlimiter = Limiter(k, storage_uri=settings.rate_storage)\n"),
            [("SL401", 7, 11)],
        ),
        # module constant chains
        ("from slowapi import Limiter\nA = 'memory://'\nB = A\nl = Limiter(k, storage_uri=B)\n", [("SL401", 4, 5)]),
    ],
)
def test_limiter_cases(tmp_path: Path, source: str, expected: list[tuple[str, int, int]]) -> None:
    (tmp_path / "case.py").write_text(source)
    assert check_json("case.py", cwd=tmp_path, select="SL4").triples == expected


def test_a_project_stand_in_bound_on_another_branch_is_not_the_library(tmp_path: Path) -> None:
    """``if limits: from flask_limiter import Limiter`` / ``else: from .no_limiter import Limiter``: the
    name may be the project's no-op class, so the library's default storage is not assumed."""
    project = copy_fixture("sl4/optional_limiter", tmp_path)
    assert check_json(".", cwd=project, select="SL4").triples == []
    app = project / "svc" / "app.py"
    text = app.read_text()
    # near miss: both branches import the library
    app.write_text(text.replace("from .no_limiter import Limiter", "from flask_limiter import Limiter"))
    assert check_json(".", cwd=project, select="SL4").triples == [("SL401", 10, 19)]
    # the stand-in defined on the branch itself
    app.write_text(text.replace("from .no_limiter import Limiter", "class Limiter:\n            pass"))
    assert check_json(".", cwd=project, select="SL4").triples == []
