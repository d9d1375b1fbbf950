"""SL601-SL603: health endpoints, asserted by exact path, code, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, copy_fixture, lint_fixture


def sl6(name: str, tmp_path: Path, select: str = "SL6") -> list[tuple[str, str, int, int]]:
    """(path, code, line, column) of a fixture file or folder, scanned from its parent."""
    copy = copy_fixture(f"sl6/{name}", tmp_path)
    run = check_json(copy.name, cwd=tmp_path, select=select)
    assert run.exit_code in (0, 1), run.stderr
    return [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings]


def messages(name: str, tmp_path: Path, select: str = "SL6") -> dict[tuple[str, int], str]:
    """(code, line) -> the message, then the hint, on two lines: what and where, then why (and the other places)."""
    copy = copy_fixture(f"sl6/{name}", tmp_path)
    run = check_json(copy.name, cwd=tmp_path, select=select)
    return {(f["code"], f["line"]): f"{f['message']}\n{f['hint']}" for f in run.findings}


def test_flask(tmp_path: Path) -> None:
    assert lint_fixture("sl6/flask_app.py", tmp_path, "SL6") == [
        ("SL601", 22, 5),  # @app.route("/readyz") returning a dict
        ("SL603", 45, 5),  # /health/live -> check_database() -> psycopg2.connect
        ("SL601", 50, 9),  # MethodView.get registered with add_url_rule
        ("SL601", 57, 42),  # a lambda registered with add_url_rule
        ("SL603", 96, 9),  # unknown receiver, literal route, redis_client.ping()
    ]


def test_flask_messages_name_the_route_and_the_chain(tmp_path: Path) -> None:
    found = messages("flask_app.py", tmp_path)
    assert found[("SL603", 45)].startswith(
        "GET /health/live, the liveness endpoint, calls check_database() -> psycopg2.connect (a database)\nWhen the dependency"
    )
    assert found[("SL601", 22)].startswith(
        "GET /readyz, the readiness endpoint, always answers success\nreadyz() calls nothing that could fail"
    )


def test_fastapi_and_starlette(tmp_path: Path) -> None:
    assert lint_fixture("sl6/fastapi_app.py", tmp_path, "SL6") == [
        ("SL603", 34, 11),  # await upstream.get(...) in a liveness handler
        ("SL601", 38, 47),  # Route("/startup/ready", PlainTextResponse("ok"))
        ("SL601", 43, 11),  # JSONResponse(..., status_code=status.HTTP_200_OK)
        ("SL601", 49, 5),  # returns a flag, but always with 200
    ]


def test_aiohttp(tmp_path: Path) -> None:
    assert lint_fixture("sl6/aiohttp_app.py", tmp_path, "SL6") == [("SL601", 10, 11), ("SL603", 17, 15)]


def test_tornado(tmp_path: Path) -> None:
    assert lint_fixture("sl6/tornado_app.py", tmp_path, "SL6") == [("SL601", 11, 9), ("SL603", 35, 9)]


def test_django_views_are_judged_where_the_url_conf_points(tmp_path: Path) -> None:
    assert sl6("django_site", tmp_path) == [
        ("django_site/health/views.py", "SL601", 7, 5),
        ("django_site/health/views.py", "SL603", 14, 14),
        # /livez/, /ht/ (include of a module outside the scan) and /admin/login/ (admin.site.urls)
        # are served; /healthz is not.
        ("django_site/k8s/deploy.yaml", "SL605", 18, 29),
    ]
    found = messages("django_site", tmp_path / "again")
    assert found[("SL601", 7)].startswith(
        "GET /readyz, the readiness endpoint, always answers success\nreadyz() calls nothing that could fail and returns "
        "no error status. Routed at django_site/health/urls.py:7."
    )
    assert found[("SL603", 14)].startswith(
        "GET /livez, the liveness endpoint, calls django.db.connection.cursor (a database)\n"
        "Routed at django_site/health/urls.py:8. Probed by livenessProbe at django_site/k8s/deploy.yaml:10."
    )


def test_grpc_check_always_serving_is_the_only_health_endpoint(tmp_path: Path) -> None:
    assert sl6("grpc_constant", tmp_path) == [("grpc_constant/server.py", "SL601", 9, 9)]


def test_grpc_near_misses(tmp_path: Path) -> None:
    # A Check consulting state, the stock servicer, and a generated-style base class.
    assert sl6("grpc_checked", tmp_path) == []


def test_single_health_endpoint_serves_both_roles(tmp_path: Path) -> None:
    assert sl6("single_healthz", tmp_path) == [("single_healthz/app.py", "SL602", 9, 10)]
    found = messages("single_healthz", tmp_path / "again")
    assert found[("SL602", 9)].startswith(
        "GET /healthz, the only health endpoint, calls sqlalchemy.create_engine().connect (a database)\n"
        "healthz() answers it. The liveness and the readiness probe can only both point at it"
    )


def test_only_health_endpoint_reaching_a_dependency_through_a_helper(tmp_path: Path) -> None:
    assert sl6("only_helper", tmp_path) == [("only_helper/app.py", "SL602", 13, 10)]
    found = messages("only_helper", tmp_path / "again")
    assert found[("SL602", 13)].startswith(
        "GET /health, the only health endpoint, calls check_cache() -> redis.asyncio.Redis().ping (a cache)\nhealth() answers it."
    )


def test_only_health_endpoint_checking_the_process_alone(tmp_path: Path) -> None:
    # Both probes may point at an endpoint that fails only when the process should not serve:
    # no dependency outage restarts the pods through it.
    assert sl6("only_process", tmp_path) == []
    # A constant answer is not SL602's either (nor SL601's: nothing per pod is left to report).
    assert sl6("only_constant", tmp_path / "constant") == []


@pytest.mark.parametrize(
    "name",
    [
        "separate",  # separate /livez and /readyz are fine
        "single_livez",  # one endpoint, but named for liveness
        "probed_once",  # the manifest uses /healthz for liveness only: constant is right
    ],
)
def test_near_misses(name: str, tmp_path: Path) -> None:
    assert sl6(name, tmp_path) == []


def test_manifests_pointing_both_probes_at_one_route(tmp_path: Path) -> None:
    # The two probes are identical (the named port is 8080): one mistake, reported once, by SL604
    # in the manifest where the probes are pointed apart; SL602 and SL603 leave the container out.
    assert sl6("shared_probe", tmp_path) == [("shared_probe/k8s/deploy.yaml", "SL604", 13, 11)]
    found = messages("shared_probe", tmp_path / "again")
    assert "\nBoth check GET /healthz on port 8080 (Deployment/api), answered by healthz() at shared_probe/app.py:10, which calls" in found[("SL604", 13)]


def test_probes_that_differ_but_call_one_route(tmp_path: Path) -> None:
    # A query string sets the readiness probe apart from the liveness one: SL602's, not SL604's.
    found = messages("probes_apart", tmp_path)
    assert sorted(found) == [("SL602", 9), ("SL603", 11)]
    assert found[("SL602", 9)].startswith(
        "GET /healthz answers both the liveness and the readiness probe\nProbed by livenessProbe at "
        "probes_apart/k8s/deploy.yaml:11 and readinessProbe at probes_apart/k8s/deploy.yaml:13 of container 'api'."
    )


def test_role_options_are_honoured(tmp_path: Path) -> None:
    (tmp_path / ".statelint.yaml").write_text(
        "options:\n  SL601:\n    readiness-names: '(?i)readyz?|readiness|ping'\n"
    )
    (tmp_path / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n\n"
        '@app.get("/ping")\ndef ping():\n    return "pong"\n\n'
        '@app.get("/livez")\ndef livez():\n    return "ok"\n'
    )
    run = check_json("app.py", cwd=tmp_path, select="SL601")
    assert run.triples == [("SL601", 5, 5)]


def test_odd_code_never_crashes(tmp_path: Path) -> None:
    copy = copy_fixture("sl6/odd_code.py", tmp_path)
    run = check_json(copy.name, cwd=tmp_path, select="ALL")
    assert run.exit_code == 1, run.stderr
    assert [t for t in run.triples if t[0].startswith("SL6")] == [
        ("SL601", 28, 5),  # path from a module constant
        ("SL601", 33, 5),  # literal tail of an f-string
    ]


def test_project_findings_honour_suppression_comments(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n\n"
        '@app.get("/readyz")\n'
        "def readyz():  # statelint: ignore[SL601] warm-up is checked by the startupProbe\n"
        '    return "ok"\n\n'
        '@app.get("/v2/readyz")\n'
        "def readyz_v2():\n"
        '    return "ok"\n'
    )
    assert check_json("app.py", cwd=tmp_path, select="SL601").triples == [("SL601", 9, 5)]


def test_grpc_servicer_registered_whatever_its_bases(tmp_path: Path) -> None:
    # Registered with add_HealthServicer_to_server; Greeter.Check (never registered) is not a health check.
    assert sl6("grpc_registered", tmp_path) == [("grpc_registered/server.py", "SL601", 9, 9)]


def test_grpc_servicer_registered_from_another_module(tmp_path: Path) -> None:
    assert sl6("grpc_registered_module", tmp_path) == [("grpc_registered_module/svc/probe.py", "SL601", 5, 9)]
    found = messages("grpc_registered_module", tmp_path / "again")
    assert found[("SL601", 5)].startswith(
        "the gRPC health Check, the only health endpoint, always answers success\nProbe.Check() calls nothing that "
        "could fail and returns no error status. Routed at grpc_registered_module/svc/server.py:12."
    )


def test_grpc_registered_servicer_checking_a_dependency(tmp_path: Path) -> None:
    # Not always healthy (no SL601); the identical probes restart every pod while the cache is down (SL604).
    assert sl6("grpc_registered_dependency", tmp_path) == [("grpc_registered_dependency/k8s/deploy.yaml", "SL604", 11, 11)]
    found = messages("grpc_registered_dependency", tmp_path / "again")
    assert "answered by CacheAwareProbe.Check() at grpc_registered_dependency/server.py:13" in found[("SL604", 11)].split("\n")[1]


def test_stock_servicer_set_to_serving_once(tmp_path: Path) -> None:
    assert sl6("grpc_stock_serving", tmp_path) == [("grpc_stock_serving/server.py", "SL601", 12, 23)]
    found = messages("grpc_stock_serving", tmp_path / "again")
    assert found[("SL601", 12)] == (
        "the gRPC health Check, the only health endpoint, always answers success\nThe stock HealthServicer's "
        "statuses are set to SERVING (grpc_stock_serving/server.py:15, grpc_stock_serving/server.py:16) and never "
        "to anything else. A pod that cannot serve keeps receiving traffic. Make readiness check what the pod needs "
        "to serve (connections, warm-up, shutdown) and answer 503 when it cannot."
    )


@pytest.mark.parametrize(
    "name",
    [
        "grpc_stock_toggled",  # a thread sets SERVING or NOT_SERVING from what it checks
        "grpc_stock_shutdown",  # enter_graceful_shutdown() on SIGTERM
        "grpc_stock_helper",  # set through a helper of another module, NOT_SERVING passed by its caller
        "grpc_stock_never_set",  # registered, never set: not judged
    ],
)
def test_stock_servicer_near_misses(name: str, tmp_path: Path) -> None:
    assert sl6(name, tmp_path) == []


def test_grpc_registered_servicer_inheriting_check(tmp_path: Path) -> None:
    assert sl6("grpc_registered_inherited", tmp_path) == [("grpc_registered_inherited/server.py", "SL601", 11, 9)]
    found = messages("grpc_registered_inherited", tmp_path / "again")
    assert "always answers success\nBaseMailService.Check() calls nothing" in found[("SL601", 11)]


# -- issue 21: each endpoint judged on its own, by what its handler answers --------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # FastAPI answers a handler that returns nothing with 200 (null); Flask fails it (500)
        ("pass_body", [("pass_body/app.py", "SL601", 7, 11)]),
        ("pass_body_flask", []),
        # add_api_route("/status", self._status): the class's own method is the handler
        ("bound_method", [("bound_method/app.py", "SL601", 9, 15)]),
        ("bound_method_checked", []),  # ... which answers 503 while the service warms up
        # one handler on /health and /healthz is one endpoint, the only one, reported once
        ("two_paths", [("two_paths/app.py", "SL601", 8, 5)]),
        ("two_handlers", []),  # two handlers, one of which checks the database: the other may be liveness
        # another health endpoint that checks nothing either does not make this one the liveness check
        ("always_twice", [("always_twice/app.py", "SL601", 7, 5), ("always_twice/app.py", "SL601", 12, 5)]),
        ("backed", []),  # a readiness endpoint that may answer 503 exists: /health is the liveness one
    ],
)
def test_each_health_endpoint_is_judged_on_its_own(name: str, expected: list, tmp_path: Path) -> None:
    assert sl6(name, tmp_path) == expected


def test_messages_name_every_path_of_one_handler_and_the_other_endpoints(tmp_path: Path) -> None:
    assert messages("two_paths", tmp_path)[("SL601", 8)].startswith(
        "GET /health and GET /healthz (one handler), the only health endpoint, always answers success\n"
        "health() calls nothing that could fail"
    )
    assert messages("always_twice", tmp_path / "again")[("SL601", 12)].startswith(
        "GET /ping, a health endpoint no other one backs with a check, always answers success\n"
        "ping() calls nothing that could fail"
    )


def test_only_neutral_endpoint_while_startup_warms_up_in_a_thread(tmp_path: Path) -> None:
    # The engines register from threads startup started: the pod answers before it can serve.
    assert sl6("warmup_thread", tmp_path) == [("warmup_thread/app.py", "SL601", 11, 5)]
    found = messages("warmup_thread", tmp_path / "again")
    assert found[("SL601", 11)].startswith(
        "GET /healthz, the only health endpoint, always answers success\n"
        "healthz() calls nothing that could fail and returns no error status. At startup, load_engines() "
        "(warmup_thread/search/engines.py) hands _init_engine() to Thread(): the pod answers before it is done."
    )


@pytest.mark.parametrize(
    "name",
    [
        "warmup_none",  # everything loads before the listener opens
        "warmup_request",  # the loading thread starts on the request path
        "warmup_banner",  # startup's thread only logs
        "warmup_loop",  # startup's thread runs an event loop: it serves, it initialises nothing
        "only_constant",  # no thread at all
    ],
)
def test_only_neutral_endpoint_without_a_warm_up(name: str, tmp_path: Path) -> None:
    assert sl6(name, tmp_path, select="SL601") == []


def test_warm_up_in_another_module_reaches_a_cached_run(tmp_path: Path) -> None:
    # The thread starts in search/engines.py, the finding is in app.py: an edit there must reach app.py's cached result.
    copy = copy_fixture("sl6/warmup_thread", tmp_path)
    assert check_json(copy.name, cwd=tmp_path, select="SL601").triples == [("SL601", 11, 5)]
    assert (tmp_path / ".statelint_cache").is_dir()
    engines = copy / "search" / "engines.py"
    engines.write_text(engines.read_text().replace(
        "threading.Thread(target=_init_engine, args=(name,), daemon=True).start()", "_init_engine(name)"
    ))
    assert check_json(copy.name, cwd=tmp_path, select="SL601").triples == []
