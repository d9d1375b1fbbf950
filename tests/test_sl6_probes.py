"""SL604-SL605: Kubernetes probes against each other and against the routes of the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from statelint.config.settings import Settings
from statelint.engine.analyze import Plan, analyze
from statelint.engine.discovery import Target
from statelint.engine.runner import scan
from statelint.rules.sl6 import _manifests as sl6_manifests
from statelint.rules.sl6._project import HealthProject
from tests.helpers import FIXTURES, check_json, copy_fixture, run_cli


def sl6(name: str, tmp_path: Path, select: str = "SL6") -> list[tuple[str, str, int, int]]:
    copy = copy_fixture(f"sl6/{name}", tmp_path)
    run = check_json(copy.name, cwd=tmp_path, select=select)
    assert run.exit_code in (0, 1), run.stderr
    return [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings]


def test_identical_probes_are_recognised_in_every_shape() -> None:
    """Which containers' two probes are the same check (SL604's, left out by SL602 and SL603)."""
    manifests = FIXTURES / "sl6" / "manifests"
    facts = {f"manifests/{path.name}": _facts(path, "SL604") for path in sorted(manifests.glob("*.yaml"))}
    identical = HealthProject(facts).identical
    assert sorted((manifest, container, live["line"], ready["line"]) for (manifest, _, container), (live, ready) in identical.items()) == [
        ("manifests/multi.yaml", "agent", 19, 21),  # DaemonSet, both probes one anchor
        ("manifests/multi.yaml", "debug", 49, 51),  # Pod inside a List, same gRPC port and service
        ("manifests/multi.yaml", "report", 34, 36),  # CronJob, same exec command
        ("manifests/same_exec.yaml", "worker", 11, 14),  # flow and block sequences alike
        ("manifests/same_http.yaml", "api", 14, 18),  # named port resolved to 8080
    ]


def test_identical_probes_without_the_code_that_answers_them_are_not_reported(tmp_path: Path) -> None:
    # No Python code in the folder: what the shared checks look at cannot be seen (and SL605
    # has no routes to compare with).
    assert sl6("manifests", tmp_path) == []


def test_identical_probes_on_a_check_that_queries_the_database(tmp_path: Path) -> None:
    # The code is in shop/, the manifest in deploy/: the containers are tied to it because theirs
    # is the only image probed on /healthz (two tags of it). Reported once, in the manifest: SL602
    # and SL603 leave identical probes to SL604. The worker's exec command and the probe sent to
    # another host (lines 48 and 54) are not followed.
    assert sl6("identical_db", tmp_path) == [
        ("identical_db/deploy/k8s.yaml", "SL604", 16, 11),
        ("identical_db/deploy/k8s.yaml", "SL604", 32, 11),
    ]


def test_identical_probe_message_and_related_locations(tmp_path: Path) -> None:
    copy = copy_fixture("sl6/identical_db", tmp_path)
    run = check_json(copy.name, cwd=tmp_path, select="SL604")
    first = run.findings[0]
    assert first["message"] == "container 'web' probes liveness and readiness (line 18) with one check calling a database"
    assert first["hint"].startswith(
        "Both check GET /healthz on port 8080 (Deployment/storefront), answered by healthz() at identical_db/shop/app.py:10, "
        "which calls sqlalchemy.create_engine().connect. While the dependency is down every replica fails liveness"
    )
    assert (first["end_line"], first["end_column"]) == (16, 24)
    assert first["related"] == [
        {"label": "GET /healthz", "path": None, "line": None},
        {"label": "app.healthz()", "path": "identical_db/shop/app.py", "line": 10},
    ]


def test_the_route_is_a_related_location_in_sarif(tmp_path: Path) -> None:
    copy = copy_fixture("sl6/identical_db", tmp_path)
    run = run_cli("check", "--output-format", "sarif", "--select", "SL604", copy.name, cwd=tmp_path)
    results = json.loads(run.stdout)["runs"][0]["results"]
    assert results[0]["message"]["text"].endswith("(path: GET /healthz -> [app.healthz()](1))")
    assert results[0]["relatedLocations"] == [
        {
            "id": 1,
            "message": {"text": "app.healthz()"},
            "physicalLocation": {
                "artifactLocation": {"uri": "identical_db/shop/app.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 10},
            },
        }
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # /healthz answers a constant: failing it means the process cannot answer, which is what
        # liveness is for. Neither SL604 nor SL602; that readiness checks nothing is SL601's.
        ("identical_constant", [("identical_constant/app.py", "SL601", 12, 5)]),
        # gRPC probes on a servicer answering SERVING whatever happens: likewise.
        ("identical_grpc", [("identical_grpc/server.py", "SL601", 9, 9)]),
        # The probes ask for /health, which no scanned code serves (SL605 says so): what answers
        # it cannot be seen, although /readyz queries the database.
        ("unserved", [("unserved/k8s/deploy.yaml", "SL605", 12, 29), ("unserved/k8s/deploy.yaml", "SL605", 14, 29)]),
    ],
)
def test_identical_probes_on_a_check_of_the_process_or_of_unseen_code(
    name: str, expected: list[tuple[str, str, int, int]], tmp_path: Path
) -> None:
    assert sl6(name, tmp_path) == expected


def test_top_level_manifests_of_several_services(tmp_path: Path) -> None:
    """Manifests in one folder for a tree of services in several languages (a microservices demo)."""
    assert sl6("polyglot", tmp_path) == [
        # orders runs src/orders/ (its workload and image name it), whose /healthz pings redis.
        ("polyglot/kubernetes-manifests/orders.yaml", "SL604", 11, 11),
        # The Go frontend's identical probes reach the same path, but the frontend is not named
        # after src/orders/ and is another image: not reported. Nor the cart (C#, not scanned)
        # or the email service (a servicer answering SERVING), whose probes SL601 counts.
        ("polyglot/src/emailservice/server.py", "SL601", 6, 9),
    ]


def test_probes_that_differ_but_reach_one_route_are_sl602s(tmp_path: Path) -> None:
    assert sl6("probes_apart", tmp_path) == [
        ("probes_apart/app.py", "SL602", 9, 10),
        ("probes_apart/app.py", "SL603", 11, 10),
    ]


def test_service_scanned_from_inside(tmp_path: Path) -> None:
    """A plain `statelint check .` in a service with app code and k8s/deployment.yaml."""
    service = copy_fixture("sl6/service", tmp_path)
    run = run_cli("check", "--output-format", "json", ".", cwd=service)
    assert run.exit_code == 1, run.stderr
    found = [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings if f["code"].startswith("SL6")]
    assert found == [
        ("k8s/deployment.yaml", "SL605", 25, 21),  # startupProbe /health/started: no such route
        # admin: both probes GET /healthz:8000, which no route serves: not SL604's
        ("k8s/deployment.yaml", "SL605", 40, 21),  # admin liveness /healthz: no such route
        ("k8s/deployment.yaml", "SL605", 44, 21),  # admin readiness /healthz: no such route
    ]
    # Near misses in the same manifest: /health/live and /health/ready (router prefix),
    # /api/items?probe=1 (query ignored), /docs (FastAPI's own route).
    first = next(f for f in run.findings if f["code"] == "SL605")
    assert first["message"] == "startupProbe of container 'api' requests GET /health/started, which no scanned route serves"
    assert first["hint"].startswith(
        "The routes of Deployment/api are in app/health.py, app/main.py. The closest is /health/ready in app/health.py. "
    )


def test_each_manifest_meets_its_own_service(tmp_path: Path) -> None:
    # svc_a serves /healthz, but svc_b's readiness probe asks svc_b for it.
    assert sl6("monorepo", tmp_path, select="SL605") == [("monorepo/svc_b/k8s/deploy.yaml", "SL605", 13, 29)]


def test_probes_are_judged_against_the_containers_own_code(tmp_path: Path) -> None:
    # Top-level manifests of a tree of services in several languages meet every Python service's
    # routes. orders runs src/orders/ (its image and workload name it): its /readyz is not served.
    # The Go frontend's /_healthz and shopping-helper's /health (src/assistant/ is not named after
    # it, and other images are probed on that code) are not judged: unknown means silent.
    assert sl6("polyglot_routes", tmp_path) == [("polyglot_routes/kubernetes-manifests/orders.yaml", "SL605", 15, 29)]
    found = {f["line"]: f["message"] for f in check_json("polyglot_routes", cwd=tmp_path, select="SL605").findings}
    assert found[15] == "readinessProbe of container 'server' requests GET /readyz, which no scanned route serves"


def test_probes_of_a_database_beside_the_service_leave_its_code_its_own(tmp_path: Path) -> None:
    # redis, another image, is probed by a TCP connect and a command: neither asks the code anything.
    assert sl6("beside_db", tmp_path) == [("beside_db/k8s/app.yaml", "SL605", 15, 29)]


def test_a_sidecar_is_not_the_code_its_pod_is_named_after(tmp_path: Path) -> None:
    # The api container's image names api/: its /ready is judged. The nginx sidecar of the same
    # Deployment/api runs another image: its /nginx-health is not judged against api/'s routes.
    assert sl6("sidecar", tmp_path, select="SL605") == [("sidecar/k8s/deploy.yaml", "SL605", 17, 29)]


def test_routes_that_cannot_be_seen_count_as_served(tmp_path: Path) -> None:
    # Served: /healthz/live (a blueprint from flask_healthz, outside the scan), /api/orders,
    # /metrics on the prometheus_client exporter's port 9100. Not served: /api/ready (the
    # scanned api blueprint has no such route) and /started on port 8000 (the exporter
    # answers any path, but only on 9100).
    assert sl6("hidden_routes", tmp_path, select="SL605") == [
        ("hidden_routes/k8s/deploy.yaml", "SL605", 21, 29),
        ("hidden_routes/k8s/deploy.yaml", "SL605", 23, 29),
    ]


def test_no_routes_means_no_probe_check(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text("import time\n\nwhile True:\n    time.sleep(1)\n")
    copy_fixture("sl6/manifests/same_http.yaml", tmp_path)
    run = check_json(".", cwd=tmp_path, select="SL605")
    assert (run.exit_code, run.triples) == (0, [])


def test_helm_templates_and_broken_yaml_are_skipped(tmp_path: Path) -> None:
    copy = copy_fixture("sl6/manifests", tmp_path)
    run = check_json(copy.name + "/chart", copy.name + "/broken.yml", cwd=tmp_path, select="SL6")
    assert (run.exit_code, run.triples) == (0, [])
    assert "failed" not in run.stderr


def test_ordinary_yaml_is_never_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Analyse each YAML file the way a worker does, with every SL6 rule, and spy on the parser."""
    parsed: list[str] = []
    real = yaml.compose_all

    def spy(stream: str, Loader: type) -> object:
        parsed.append(stream)
        return real(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "compose_all", spy)
    sl6_manifests.read_probes.cache_clear()
    copy = copy_fixture("sl6/manifests", tmp_path)
    (copy / "config.yaml").write_text("health: {path: /healthz}\nstatus: ready\n")
    plan = Plan.build(Settings(root=tmp_path, enabled=("SL601", "SL602", "SL603", "SL604", "SL605")))
    for file in sorted([*copy.rglob("*.yaml"), *copy.rglob("*.yml")]):
        result = analyze(Target(file.name, str(file), "text"), plan)
        assert result is not None and not result.errors
    # The six files that mention probes, each parsed once although five rules read it;
    # never compose.yaml or config.yaml, and never the Helm template.
    assert sorted(text.splitlines()[0] for text in parsed) == [
        "# Broken YAML mentioning probes: skipped, never a crash",
        "# Helm values: probes, but no Kubernetes object",
        "# Multi-document: a Service (no pods), a DaemonSet whose probes share an anchor (SL604),",
        "# Near misses: different paths, different ports, different commands, TCP, one probe only",
        "# SL604: same path, and the named port resolves to the same number",
        "# SL604: the same exec command",
    ]


def _facts(path: Path, code: str) -> list[dict]:
    plan = Plan.build(Settings(root=path.parent, enabled=(code,)))
    kind = "python" if path.suffix == ".py" else "text"
    result = analyze(Target(path.name, str(path), kind), plan)
    assert result is not None and not result.errors
    return result.facts.get(code, [])


@pytest.mark.parametrize(
    ("fixture", "code"),
    [
        ("flask_app.py", "SL601"),
        ("fastapi_app.py", "SL603"),
        ("django_site/health/views.py", "SL601"),
        ("service/k8s/deployment.yaml", "SL605"),
        ("service/app/health.py", "SL605"),
        ("identical_db/shop/app.py", "SL604"),
        ("identical_db/deploy/k8s.yaml", "SL604"),
    ],
)
def test_facts_are_plain_json(fixture: str, code: str) -> None:
    facts = _facts(FIXTURES / "sl6" / fixture, code)
    assert facts
    assert json.loads(json.dumps(facts)) == facts


def test_warm_cache_and_two_workers_give_the_same_findings(tmp_path: Path) -> None:
    """Facts survive the result cache and worker processes: cold, warm and in-process runs agree."""
    service = copy_fixture("sl6/service", tmp_path)
    settings = Settings(root=service, enabled=("SL601", "SL602", "SL603", "SL604", "SL605"))
    cache = tmp_path / "cache"

    def run(**kw: object) -> list[tuple[str, str, int, int, str]]:
        result = scan(["."], settings, cwd=service, **kw)  # type: ignore[arg-type]
        assert not result.errors
        return [(f.path, f.code, f.line, f.column, f.message) for f in result.findings]

    cold = run(jobs=2, cache_dir=cache)
    assert list(cache.rglob("*.json"))
    assert run(jobs=2, cache_dir=cache) == cold == run(jobs=1)
    assert [(p, c, line, col) for p, c, line, col, _ in cold] == [
        ("k8s/deployment.yaml", "SL605", 25, 21),
        ("k8s/deployment.yaml", "SL605", 40, 21),
        ("k8s/deployment.yaml", "SL605", 44, 21),
    ]
