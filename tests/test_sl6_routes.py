"""Route recognition (statelint.analyses.routes) and the path matching that SL605 relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from statelint.analyses.routes import serves, under
from statelint.config.settings import Settings
from statelint.engine.analyze import Plan, analyze
from statelint.engine.discovery import Target
from statelint.rules.sl6._project import RoleNames, in_scope, plain_path
from tests.helpers import FIXTURES


def routes_of(fixture: str) -> list[tuple[str | None, str, bool]]:
    """(path with its router prefix, style, answers GET) of every route SL605 sees in a file."""
    path = FIXTURES / "sl6" / fixture
    plan = Plan.build(Settings(root=path.parent, enabled=("SL605",)))
    result = analyze(Target(path.name, str(path), "python"), plan)
    assert result is not None and not result.errors
    return [
        (r["prefix"] + (r["path"] or ""), r["style"], r["get"])
        for r in result.facts.get("SL605", [])
        if r["t"] == "route"
    ]


def test_flask_decorators_blueprints_and_add_url_rule() -> None:
    assert routes_of("flask_app.py") == [
        ("/livez", "template", True),
        ("/readyz", "template", True),
        ("/health/ready", "template", True),  # Blueprint(url_prefix="/health")
        ("/health/live", "template", True),
        ("/readiness", "template", True),  # add_url_rule(view_func=View.as_view(...))
        ("/v3/readyz", "template", True),  # add_url_rule(rule, endpoint, lambda)
        ("/v2/ready", "template", False),  # @app.post
        ("/status/<int:job_id>", "template", True),
        ("/v4/readyz", "template", True),
        ("/v5/readyz", "template", True),
        ("/ping", "template", True),  # methods=["GET"]
        ("/v2/livez", "template", True),  # a parameter as receiver, literal path
    ]


def test_fastapi_routers_api_route_and_starlette_route_lists() -> None:
    assert routes_of("fastapi_app.py") == [
        ("/probe/livez", "template", True),
        ("/probe/readyz", "template", True),
        ("/probe/health/live", "template", True),
        ("/startup/ready", "template", True),  # Route(...) in FastAPI(routes=[...])
        ("/health/ready", "template", True),  # api_route(methods=["GET", "HEAD"])
        ("/ready", "template", True),
        ("/readiness", "template", True),
        ("/v2/readiness", "template", True),
    ]


def test_aiohttp_route_table_router_and_web_get() -> None:
    assert routes_of("aiohttp_app.py") == [
        ("/readyz", "template", True),  # RouteTableDef
        ("/livez", "template", True),  # app.router.add_get
        ("/health", "template", True),  # web.get in add_routes([...])
        ("/ready", "template", True),
    ]


def test_tornado_tuples_and_url() -> None:
    assert routes_of("tornado_app.py") == [
        ("/readyz", "regex", True),
        ("/livez", "regex", True),
        ("/health/ready/?", "regex", True),
        ("/health/live", "regex", True),
    ]


def test_django_path_re_path_and_include() -> None:
    assert routes_of("django_site/health/urls.py") == [
        ("readyz/", "template", True),
        ("^livez/?$", "regex", True),
        ("health/", "template", True),
    ]


def test_grpc_servicers_are_not_http_routes() -> None:
    assert routes_of("grpc_constant/server.py") == []


def test_calls_that_look_like_routes_are_not(tmp_path: Path) -> None:
    file = tmp_path / "client.py"
    file.write_text(
        "import requests\n"
        "from django.urls import path\n"
        'requests.get("/healthz")\n'
        'session.get("/healthz")\n'
        'cache.get("/healthz")\n'
        'os.path.join("/a", "b")\n'
        'adapter = requests.Session().mount("https://", None)\n'
    )
    plan = Plan.build(Settings(root=tmp_path, enabled=("SL605",)))
    result = analyze(Target("client.py", str(file), "python"), plan)
    assert result is not None and result.facts.get("SL605", []) == []


@pytest.mark.parametrize(
    ("route", "style", "url", "expected"),
    [
        ("/healthz", "template", "/healthz", True),
        ("/healthz", "template", "/healthz/", True),  # trailing slashes redirect
        ("/healthz/", "template", "/healthz", True),
        ("/healthz", "template", "/healthz?full=1", True),  # query ignored
        ("/healthz", "template", "/api/healthz", True),  # mounted under an unseen prefix
        ("/api/healthz", "template", "/healthz", False),  # a known prefix is required
        ("/healthz", "template", "/health", False),
        ("/", "template", "/", True),
        ("/", "template", "/healthz", False),  # the root route is not a catch-all
        ("/items/<int:item>", "template", "/items/3", True),
        ("/items/<item>", "template", "/items/3/x", False),
        ("/<path:rest>", "template", "/any/thing", True),  # Flask catch-all
        ("/{rest:path}", "template", "/any/thing", True),  # Starlette catch-all
        ("/users/{id}", "template", "/users/7", True),
        ("/files/{name:\\d{3}}", "template", "/files/123", True),  # aiohttp regex placeholder
        ("/files/{name:\\d{3}}", "template", "/files/12", False),
        ("readyz/", "template", "/readyz", True),  # Django path()
        ("^livez/?$", "regex", "/livez", True),  # Django re_path()
        ("^livez/?$", "regex", "/livez/", True),
        ("^livez/?$", "regex", "/livez2", False),
        (r"/health/(live|ready)", "regex", "/health/ready", True),  # Tornado
        (r"/health/(live|ready)", "regex", "/health/started", False),
        ("^/?([", "regex", "/anything", True),  # unreadable pattern: assume it serves
        (None, "template", "/anything", True),  # path computed at run time
    ],
)
def test_serves(route: str | None, style: str, url: str, expected: bool) -> None:
    assert serves(route, style, url) is expected


def test_under_mount_prefix() -> None:
    assert under("/metrics", "/metrics")
    assert under("ht/", "/ht/")
    assert under("/api", "/v1/api/status")
    assert not under("/api", "/apis/status")
    assert under("", "/anything")


@pytest.mark.parametrize(
    ("path", "style", "expected"),
    [
        ("/healthz", "template", "/healthz"),
        ("healthz/", "template", "/healthz"),
        ("/items/<int:id>", "template", None),
        ("/items/{id}", "template", None),
        ("^readyz/?$", "regex", "/readyz"),
        (r"^health\/live$", "regex", "/health/live"),
        (r"/health/(live|ready)", "regex", None),
    ],
)
def test_plain_path(path: str, style: str, expected: str | None) -> None:
    assert plain_path(path, style) == expected


def test_roles_from_path_then_handler_name() -> None:
    from statelint.catalog import load_catalog

    names = RoleNames(load_catalog().rules["SL601"].default_options())
    assert names.role("/livez", "") == "liveness"
    assert names.role("/health/ready", "") == "readiness"
    assert names.role("/healthz", "readiness_check") == "readiness"
    assert names.role("/healthz", "isAlive") == "liveness"
    assert names.role("/healthz", "healthz") == "neutral"
    assert names.role("/deliver", "delivery") == "neutral"  # words, not substrings
    assert names.is_health_path("/api/v1/health") and not names.is_health_path("/orders/42/items")
    assert names.is_health_name("HealthView") and not names.is_health_name("typing_helpers")


def test_manifests_meet_the_deepest_folder_with_code() -> None:
    files = ["svc_a/app.py", "svc_b/app.py", "shared/lib.py"]
    assert in_scope("svc_a/k8s/deploy.yaml", files) == {"svc_a/app.py"}
    assert in_scope("deploy/prod.yaml", files) == set(files)
    assert in_scope("/abs/k8s/deploy.yaml", ["/abs/app.py"]) == {"/abs/app.py"}
    assert in_scope("k8s/deploy.yaml", []) == set()
