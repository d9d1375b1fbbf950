"""What SL401/SL402 require of a file: limiter and breaker names through aliases, and SL401's setting facts."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.helpers import requirement_met, run_cli

# (case, source, SL401 verdict, SL402 verdict, codes reported)
CASES = [
    ("limiter_default", """
        from flask import Flask
        from flask_limiter import Limiter
        app = Flask(__name__)
        limiter = Limiter(app=app)
        """, True, False, {"SL401"}),
    ("breaker_subclass", """
        import pybreaker
        class Payments(pybreaker.CircuitBreaker):
            pass
        BREAKER = Payments(fail_max=3)
        """, False, True, {"SL402"}),
    ("breaker_decorator_alias", """
        from circuitbreaker import circuit as trip
        @trip
        def call():
            return 1
        """, False, True, {"SL402"}),
    ("storage_setting_only", """
        RATELIMIT_STORAGE_URI = "memory://"
        """, True, False, {"SL401"}),
    ("discord_user_bucket", """
        from discord.ext import commands
        class Cog(commands.Cog):
            @commands.cooldown(1, 60.0, commands.BucketType.user)
            async def feedback(self, ctx):
                pass
        """, True, False, {"SL401"}),
    ("discord_guild_bucket", """
        from discord.ext.commands import BucketType, CooldownMapping, Cooldown
        class Cog:
            def __init__(self):
                self.per_guild = CooldownMapping(Cooldown(1, 5.0), BucketType.guild)
        """, True, False, set()),
    ("drf_settings", """
        INSTALLED_APPS = ["rest_framework"]
        REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"]}
        """, True, False, {"SL401"}),
    ("drf_view_alone", """
        from rest_framework import throttling, views
        class Profile(views.APIView):
            throttle_classes = [throttling.UserRateThrottle]
        """, True, False, set()),
    ("axes_setting", """
        INSTALLED_APPS = ["axes"]
        AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
        """, True, False, {"SL401"}),
    ("limits_word_only", """
        import limits_of_nothing
        LIMIT = 3
        def breaker(x):
            return x
        """, False, False, set()),
]


def test_verdicts_and_what_the_rules_report(tmp_path: Path) -> None:
    assert {n: requirement_met("SL401", t) for n, t, *_ in CASES} == {n: v for n, _, v, _, _ in CASES}
    assert {n: requirement_met("SL402", t) for n, t, *_ in CASES} == {n: v for n, _, _, v, _ in CASES}
    found: dict[str, set[str]] = {}
    for name, text, *_ in CASES:  # each case alone: a storage setting anywhere configures every limiter
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
        run = run_cli(
            "check", "--no-cache", "--output-format", "json", "--select", "SL401,SL402", ".",
            cwd=tmp_path / name, env={"STATELINT_PREFILTER": "off"},
        )
        assert run.exit_code in (0, 1), run.stderr
        for f in run.findings:
            found.setdefault(Path(f["path"]).stem, set()).add(f["code"])
    assert found == {name: codes for name, *_, codes in CASES if codes}


def test_a_storage_setting_elsewhere_is_a_fact_the_join_needs(tmp_path: Path) -> None:
    """The setting file reports nothing itself, but silences the limiter's default-storage finding."""
    text = 'import os\nRATELIMIT_STORAGE_URI = os.environ["RATELIMIT_STORAGE_URI"]\n'
    assert requirement_met("SL401", text) is True
    (tmp_path / "config.py").write_text(text, encoding="utf-8")
    (tmp_path / "app.py").write_text("from flask_limiter import Limiter\nlimiter = Limiter()\n", encoding="utf-8")
    run = run_cli("check", "--no-cache", "--output-format", "json", "--select", "SL401", ".", cwd=tmp_path)
    assert run.findings == []
