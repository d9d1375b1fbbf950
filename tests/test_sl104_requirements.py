"""What SL104 requires of a file: the memoizers it must see through aliases, and the files it spares.

Each case also runs SL104 itself with the prefilter off: every file the declaration
rejects is clean, and the indirect memoizers it keeps really are reported.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.helpers import requirement_met, run_cli

# (case, source, declaration verdict, whether SL104 reports)
CASES = [
    ("lru_cache", """
        import functools, time
        @functools.lru_cache(maxsize=None)
        def now():
            return time.time()
        """, True, True),
    ("import_alias", """
        from functools import lru_cache as memo
        def settings():
            return 1
        @memo
        def load():
            return open("settings.json").read()
        """, True, True),
    ("assigned_alias", """
        import functools, time
        lc = functools.lru_cache
        @lc(maxsize=1)
        def now():
            return time.time()
        """, True, True),
    ("factory_alias", """
        import functools, time
        def memo():
            return functools.cache
        m = memo()
        @m
        def now():
            return time.time()
        """, True, True),
    ("pure_function", """
        import functools
        @functools.cache
        def square(x):
            return x * x
        """, False, False),
    ("pure_function_beside_a_reader", """
        import functools, time
        @functools.cache
        def square(x):
            return x * x
        def now():
            return time.time()
        """, False, False),
    ("reads_through_a_module_function", """
        import functools
        def load():
            return read()
        def read():
            return open("settings.json").read()
        @functools.cache
        def settings():
            return load()
        """, True, True),
    ("reads_module_state", """
        import functools
        LIMITS = {}
        def set_limit(k, v):
            LIMITS[k] = v
        @functools.cache
        def limit(k):
            return LIMITS.get(k)
        """, True, True),
    ("reads_a_global_reset", """
        import functools
        _mode = "a"
        def reset():
            global _mode
            _mode = None
        @functools.cache
        def mode():
            return _mode
        """, True, True),
    ("method_on_an_unknown_receiver", """
        import functools
        @functools.cache
        def users(db):
            return db.execute("select 1")
        """, True, True),
    ("attribute_on_an_unknown_receiver", """
        import functools
        @functools.cache
        def users(model):
            return model.objects.all()
        """, True, True),
    ("locmem_backend", """
        CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        """, True, True),
    ("django_cache_use", """
        from django.views.decorators.cache import cache_page as cached
        @cached(60)
        def view(request):
            return None
        """, True, False),
    ("django_settings_module", """
        INSTALLED_APPS = ["shop"]
        """, True, False),
    ("flask_cache_type", """
        class Config:
            CACHE_TYPE = "SimpleCache"
        """, True, False),
    ("module_cache_object", """
        import time
        from cachetools import TTLCache
        RATES = TTLCache(maxsize=10, ttl=60)
        def rate(key):
            RATES[key] = time.time()
        """, True, True),
    ("wraps_only", """
        import functools, time
        def timed(func):
            @functools.wraps(func)
            def wrapper(*args):
                return func(*args), time.time()
            return wrapper
        """, False, False),
    ("local_cache_decorator", """
        import time
        def cache(func):
            return func
        @cache
        def now():
            return time.time()
        """, False, False),
    ("cachetools_keys_only", """
        import time
        import cachetools.keys
        def key(*args):
            return cachetools.keys.hashkey(time.time(), *args)
        """, False, False),
]


def _verdict(text: str, **options: object) -> bool:
    return requirement_met("SL104", text, options=options)


def test_verdicts_and_what_the_rule_reports(tmp_path: Path) -> None:
    assert {name: _verdict(text) for name, text, _, _ in CASES} == {name: kept for name, _, kept, _ in CASES}
    for name, text, _, _ in CASES:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    run = run_cli(
        "check", "--no-cache", "--output-format", "json", "--select", "SL104", ".",
        cwd=tmp_path, env={"STATELINT_PREFILTER": "off"},
    )
    assert run.exit_code in (0, 1), run.stderr
    assert {Path(f["path"]).stem for f in run.findings} == {name for name, _, _, fires in CASES if fires}


def test_extra_decorators_and_classes_from_the_options_count() -> None:
    decorated = "import mylib\n@mylib.memo\ndef f():\n    return open('x').read()\n"
    built = "from mylib import Store\nSTORE = Store()\n"
    assert _verdict(decorated) is False
    assert _verdict(decorated, **{"extra-cache-decorators": ["mylib.memo"]}) is True
    assert _verdict(built) is False
    assert _verdict(built, **{"extra-cache-classes": ["mylib.Store"]}) is True


def test_a_memoizer_defined_in_its_own_package_counts_without_an_import() -> None:
    text = "def lru_cache(f):\n    return f\n@lru_cache\ndef g():\n    return open('x').read()\n"
    assert requirement_met("SL104", text, module="functools") is True
    assert requirement_met("SL104", text, module="app") is False


FLASK_MEMO = """
import requests
from flask_caching import Cache
cache = Cache()
@cache.memoize(60)
def rates():
    return requests.get("https://rates.example").json()
"""


def test_a_flask_caching_memo_counts_where_it_reads(tmp_path: Path) -> None:
    """A Flask-Caching memo is a fact the join judges with the project's CACHE_TYPE: kept where the memoized
    function reads changing data, and then reported with the prefilter as without."""
    assert _verdict(FLASK_MEMO) is True
    assert _verdict(FLASK_MEMO.replace('requests.get("https://rates.example").json()', "1")) is False
    (tmp_path / "memo.py").write_text(FLASK_MEMO, encoding="utf-8")
    (tmp_path / "config.py").write_text('CACHE_TYPE = "SimpleCache"\n', encoding="utf-8")
    for prefilter in ("on", "off"):
        run = run_cli("check", "--no-cache", "--output-format", "json", "--select", "SL104", ".", cwd=tmp_path, env={"STATELINT_PREFILTER": prefilter})
        assert run.exit_code == 1, run.stderr
        assert {Path(f["path"]).name for f in run.findings} == {"config.py"}
