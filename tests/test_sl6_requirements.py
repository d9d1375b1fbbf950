"""What SL605 (every route) and SL601-SL604 (health routes, handlers named like them) require of a
file's summary: every shape the route finder recognises is kept, and the near misses are skipped.

The last tests run the rules themselves with the prefilter off on files the declarations skip,
and on the indirect ones they keep, so the tables cannot drift from what the rules record.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from statelint.catalog import load_catalog
from tests.helpers import requirement_met, run_cli

HEALTH = load_catalog().rules["SL601"].default_options()


def routes(text: str) -> bool:
    return requirement_met("SL605", text)


def health(text: str, options: dict | None = None) -> bool:
    return requirement_met("SL601", text, options=options)


ROUTES = [
    "@app.get('/users')\ndef users():\n    pass\n",
    "def register(app):\n    @app.get('/users')\n    def users():\n        pass\n",  # a receiver nothing resolves
    "@bp.route(PATH)\ndef users():\n    pass\n",  # a constant, or a path the framework computes
    "from aiohttp import web\nroutes = web.RouteTableDef()\n@routes.route('GET', '/users')\nasync def users(r):\n    pass\n",
    "app.add_url_rule('/users', 'users', users)\n",
    "app.add_url_rule(rule='/users', view_func=lambda: 'ok')\n",
    "def setup(router):\n    router.add_api_route('/users', list_users)\n",
    "app.router.add_get('/users', users)\n",
    "from django.urls import path as p\nurlpatterns = [p('users/', views.users)]\n",
    "from django.urls import re_path\nurlpatterns = [re_path(r'^users/$', views.users)]\n",
    "from aiohttp import web\nroutes = [web.get('/users', users)]\n",
    "import aiohttp.web\nroutes = [aiohttp.web.get('/users', users)]\n",
    "from starlette.routing import Route\nroutes = [Route('/users', endpoint=users)]\n",
    "from starlette.routing import Mount\nroutes = [Mount('/api', app=api)]\n",
    "from fastapi import FastAPI\napp = FastAPI()\n",  # the framework's own /docs routes
    "from prometheus_client import start_http_server\nstart_http_server(9100)\n",
    "app.mount('/static', files)\n",
    "from api import router\napp.include_router(router, prefix='/api')\n",
    "import tornado.web\ntornado.web.Application([(r'/users', Users)])\n",
    "app.add_handlers(r'.*', [(r'/users', Users)])\n",
    "from tornado.web import RequestHandler\nclass Users(RequestHandler):\n    pass\nHANDLERS = [(r'/users', Users)]\n",
    "class Health(health_pb2_grpc.HealthServicer):\n    def Check(self, request, context):\n        pass\n",
]


@pytest.mark.parametrize("text", ROUTES)
def test_route_declarations_are_accepted(text: str) -> None:
    assert routes(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "value = config.get('users')\n",  # dict.get with a relative key
        "import requests\nrequests.get('/users')\n",  # .get with a path, but no decorator (function style needs the framework)
        "'''@app.get('/users')'''\n",
        "from http.server import BaseHTTPRequestHandler\nclass H(BaseHTTPRequestHandler):\n    pass\n",
        "pairs = [('a', 1), ('b', 2)]\n",
        "@functools.lru_cache(maxsize=1)\ndef users():\n    pass\n",  # a decorator that declares no route
        "def f(session):\n    session.get('/users')\n",  # web.get must resolve to aiohttp
        "from django.urls import reverse\nreverse('users')\n",
    ],
)
def test_near_misses_are_skipped(text: str) -> None:
    assert routes(text) is False


def test_health_routes() -> None:
    assert health("@app.get('/healthz')\ndef probe():\n    return 'ok'\n") is True
    assert health("def register(app):\n    @app.get('/healthz')\n    def probe():\n        return 'ok'\n") is True
    assert health("@app.get('/users')\ndef users():\n    pass\n") is False
    assert health("HEALTH = '/readyz'\n@app.get(HEALTH)\ndef probe():\n    pass\n") is True
    assert health("@app.get(f'{PREFIX}/x')\ndef probe():\n    pass\n") is True  # any f-string may join a health path
    assert health("bp = Blueprint('b', __name__, url_prefix='/api')\n@bp.get('/x')\ndef x():\n    pass\n") is True
    assert health("from django.urls import path\nurlpatterns = [path('status/', views.s)]\n") is True
    assert health("from django.urls import re_path\nurlpatterns = [re_path(r'^livez$', views.s)]\n") is True
    assert health("from django.urls import path\nurlpatterns = [path('users/', views.u)]\n") is False
    assert health("import tornado.web\ntornado.web.Application([(r'/ping', Ping)])\n") is True
    assert health("class S(HealthServicer):\n    pass\n") is True
    assert health("from grpc_health.v1 import health\nhealth.HealthServicer()\n") is True
    # a health path with no route in the file (a link, a probe's path in a message): nothing declares it
    assert health("URL = '/healthz'\nrequests.get(URL)\n") is False


def test_health_names_at_module_level() -> None:
    assert health("def healthz():\n    return 'ok'\n") is True
    assert health("if True:\n    class ReadinessView:\n        pass\n") is True
    assert health("try:\n    pass\nexcept ImportError:\n    def liveness():\n        pass\n") is True
    assert health("class Api:\n    def healthz(self):\n        pass\n") is False  # a method: not a module-level candidate
    assert health("def outer():\n    def healthz():\n        pass\n") is False
    assert health("def already_done():\n    pass\n") is False


def test_health_paths_option_is_honoured() -> None:
    text = "@app.get('/up')\ndef up():\n    pass\n"
    assert health(text) is False
    assert health(text, {**HEALTH, "health-paths": r"(^|/)up/?$"}) is True
    assert health("def up():\n    pass\n", {**HEALTH, "health-paths": r"(^|/)up/?$"}) is True


def test_grpc_servicers_and_status_setters() -> None:
    # a module-level class defining Check, which another module may register as the health servicer
    assert health("class Probe:\n    def Check(self, request, context):\n        return make()\n") is True
    assert health("class Probe:\n    async def Check(self, request, context):\n        return make()\n") is True
    assert health("from grpc_health.v1 import health_pb2_grpc as g\ng.add_HealthServicer_to_server(Probe(), server)\n") is True
    # where the stock servicer's statuses are set or changed
    assert health("def mark(s, status):\n    s.set('', status)  # HealthCheckResponse\n") is True
    assert health("def drain(servicer):\n    servicer.enter_graceful_shutdown()\n") is True
    assert health("STATUS = pb.NOT_SERVING\n") is True
    # a cache's set, a Check method of nothing (spelled differently), Check on a nested class or a function
    assert health("def put(cache, key, value):\n    cache.set(key, value)\n") is False
    assert health("def check(x):\n    return x\n") is False
    assert health("def Check(x):\n    return x\n") is False
    assert health("def outer():\n    class Probe:\n        def Check(self, r, c):\n            pass\n") is False


# A health path only the blueprint's prefix and the route's path make together (the option
# below), beside files the declaration skips (one starting a warm-up thread the verdict reads):
# the rules agree with and without the prefilter.
OPTION = "^/api/state$"
PROJECT = {
    "joined.py": (
        "from flask import Blueprint\nbp = Blueprint('b', __name__, url_prefix='/api')\n"
        "@bp.get('/state')\ndef state():\n    return 'ok'\n"
    ),
    "users.py": "from flask import Flask\napp = Flask(__name__)\n@app.get('/users')\ndef users():\n    return 'ok'\n",
    # a warm-up thread at startup (SL601's premise for a neutral endpoint) in a file the declaration skips
    "helpers.py": "import threading\ndef load():\n    return open('engines.json').read()\nthreading.Thread(target=load).start()\n",
}


def test_a_path_joined_from_a_prefix_is_kept(tmp_path: Path) -> None:
    options = {**HEALTH, "health-paths": OPTION}
    assert {name: health(text, options) for name, text in PROJECT.items()} == {
        "joined.py": True, "users.py": False, "helpers.py": False,
    }
    for name, text in PROJECT.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(f"[tool.statelint.options.SL6]\nhealth-paths = '{OPTION}'\n", encoding="utf-8")

    def report(prefilter: str) -> list[tuple[str, int, int, str]]:
        run = run_cli(
            "check", "--no-cache", "--output-format", "json", "--select", "SL6", ".",
            cwd=tmp_path, env={"STATELINT_PREFILTER": prefilter},
        )
        assert run.exit_code in (0, 1), run.stderr
        return sorted((f["path"], f["line"], f["column"], f["code"]) for f in run.findings)

    assert report("off") == [("joined.py", 4, 5, "SL601")]  # the handler answers success whatever happens
    assert report("on") == report("off")
