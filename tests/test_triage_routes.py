"""Triage of SL605 (every route) and SL601-SL603 (health routes and handlers named like them)."""

from __future__ import annotations

import pytest

from statelint.catalog import load_catalog
from statelint.triage.routes import declares_routes, health_facts
from tests.helpers import triage_source

CATALOG = load_catalog()
SL6 = CATALOG.knowledge("SL601")
HEALTH = CATALOG.rules["SL601"].default_options()


def routes(text: str) -> bool:
    return declares_routes(triage_source(text), SL6, {})


def health(text: str, options: dict | None = None) -> bool:
    return health_facts(triage_source(text), SL6, options or HEALTH)


@pytest.mark.parametrize(
    "text",
    [
        "@app.get('/users')\ndef users():\n    pass\n",
        "@bp.route(PATH)\ndef users():\n    pass\n",  # a constant, or a path the framework computes
        "app.add_url_rule('/users', 'users', users)\n",
        "from django.urls import path as p\nurlpatterns = [p('users/', views.users)]\n",
        "from fastapi import FastAPI\napp = FastAPI()\n",  # the framework's own /docs routes
        "app.mount('/static', files)\n",
        "from api import router\napp.include_router(router, prefix='/api')\n",
        "import tornado.web\ntornado.web.Application([(r'/users', Users)])\n",
        "class Health(health_pb2_grpc.HealthServicer):\n    def Check(self, request, context):\n        pass\n",
    ],
)
def test_route_declarations_are_accepted(text: str) -> None:
    assert routes(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "value = config.get('users')\n",  # dict.get with a relative key
        "import requests\nrequests.get('/users')\n",  # .get with a path, but not a route (function style needs the framework)
        "'''@app.get('/users')'''\n",
        "from http.server import BaseHTTPRequestHandler\nclass H(BaseHTTPRequestHandler):\n    pass\n",
        "router = make_router()\napp.include_router(router)\n",  # defined here: its routes are declared here
        "pairs = [('a', 1), ('b', 2)]\n",
    ],
)
def test_near_misses_are_skipped(text: str) -> None:
    assert routes(text) is False


def test_get_calls_that_cannot_be_aiohttp() -> None:
    # `web.get` must resolve to aiohttp: a parameter or an unbound receiver resolves to nothing
    assert routes("def f(session):\n    session.get('/users')\n") is False
    assert routes("from aiohttp import web\nroutes = [web.get('/users', users)]\n") is True
    assert routes("import aiohttp.web\nroutes = [aiohttp.web.get('/users', users)]\n") is True


def test_health_routes() -> None:
    assert health("@app.get('/healthz')\ndef probe():\n    return 'ok'\n") is True
    assert health("@app.get('/users')\ndef users():\n    pass\n") is False
    assert health("HEALTH = '/readyz'\n@app.get(HEALTH)\ndef probe():\n    pass\n") is True
    assert health("@app.get(f'{PREFIX}/x')\ndef probe():\n    pass\n") is True  # any f-string
    assert health("bp = Blueprint('b', __name__, url_prefix='/health')\n@bp.get('/')\ndef x():\n    pass\n") is True
    assert health("from django.urls import path\nurlpatterns = [path('status/', views.s)]\n") is True
    assert health("from django.urls import path\nurlpatterns = [path('users/', views.u)]\n") is False
    assert health("import tornado.web\ntornado.web.Application([(r'/ping', Ping)])\n") is True
    assert health("class S(HealthServicer):\n    pass\n") is True


def test_health_names_at_module_level() -> None:
    assert health("def healthz():\n    return 'ok'\n") is True
    assert health("if True:\n    class ReadinessView:\n        pass\n") is True
    assert health("class Api:\n    def healthz(self):\n        pass\n") is False  # a method: not a module-level candidate
    assert health("def already_done():\n    pass\n") is False


def test_health_paths_option_is_honoured() -> None:
    text = "@app.get('/up')\ndef up():\n    pass\n"
    assert health(text) is False
    assert health(text, {**HEALTH, "health-paths": r"(^|/)up/?$"}) is True


def test_grpc_servicers_and_status_setters() -> None:
    # a class defining Check, which another module may register as the health servicer
    assert health("class Probe:\n    def Check(self, request, context):\n        return make()\n") is True
    assert health("class Probe:\n    async def Check(self, request, context):\n        return make()\n") is True
    # where the stock servicer's statuses are set or changed
    assert health("def mark(s, status):\n    s.set('', status)  # HealthCheckResponse\n") is True
    assert health("def drain(servicer):\n    servicer.enter_graceful_shutdown()\n") is True
    assert health("STATUS = pb.NOT_SERVING\n") is True
    # a cache's set, a Check method of nothing (spelled differently)
    assert health("def put(cache, key, value):\n    cache.set(key, value)\n") is False
    assert health("def check(x):\n    return x\n") is False
