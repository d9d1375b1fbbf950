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
from statelint.rules import sl6_manifests
from tests.helpers import FIXTURES, check_json, copy_fixture, run_cli


def sl6(name: str, tmp_path: Path, select: str = "SL6") -> list[tuple[str, str, int, int]]:
    copy = copy_fixture(f"sl6/{name}", tmp_path)
    run = check_json(copy.name, cwd=tmp_path, select=select)
    assert run.exit_code in (0, 1), run.stderr
    return [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings]


def test_identical_probes(tmp_path: Path) -> None:
    # No Python code in the folder: SL605 has no routes to compare with and stays silent.
    assert sl6("manifests", tmp_path) == [
        ("manifests/multi.yaml", "SL604", 19, 11),  # DaemonSet, both probes one anchor
        ("manifests/multi.yaml", "SL604", 34, 15),  # CronJob, same exec command
        ("manifests/multi.yaml", "SL604", 49, 11),  # Pod inside a List, same gRPC port and service
        ("manifests/same_exec.yaml", "SL604", 11, 11),  # flow and block sequences alike
        ("manifests/same_http.yaml", "SL604", 14, 11),  # named port resolved to 8080
    ]


def test_identical_probe_message(tmp_path: Path) -> None:
    copy = copy_fixture("sl6/manifests", tmp_path)
    run = check_json(copy.name + "/same_http.yaml", cwd=tmp_path, select="SL604")
    assert [f["message"] for f in run.findings] == [
        (
            "the livenessProbe and the readinessProbe (line 18) of container 'api' (Deployment/api) both check "
            "GET /healthz on port 8080: a pod that should only stop receiving traffic gets restarted instead"
        )
    ]


def test_service_scanned_from_inside(tmp_path: Path) -> None:
    """A plain `statelint check .` in a service with app code and k8s/deployment.yaml."""
    service = copy_fixture("sl6/service", tmp_path)
    run = run_cli("check", "--output-format", "json", ".", cwd=service)
    assert run.exit_code == 1, run.stderr
    found = [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings if f["code"].startswith("SL6")]
    assert found == [
        ("k8s/deployment.yaml", "SL605", 25, 21),  # startupProbe /health/started: no such route
        ("k8s/deployment.yaml", "SL604", 38, 11),  # admin: both probes GET /healthz:8000
        ("k8s/deployment.yaml", "SL605", 40, 21),  # admin liveness /healthz: no such route
        ("k8s/deployment.yaml", "SL605", 44, 21),  # admin readiness /healthz: no such route
    ]
    # Near misses in the same manifest: /health/live and /health/ready (router prefix),
    # /api/items?probe=1 (query ignored), /docs (FastAPI's own route).
    first = next(f for f in run.findings if f["code"] == "SL605")
    assert first["message"] == (
        "the startupProbe of container 'api' (Deployment/api) requests GET /health/started, which no route "
        "in the scanned code serves (routes found in app/health.py, app/main.py; closest: /health/ready in app/health.py)"
    )


def test_each_manifest_meets_its_own_service(tmp_path: Path) -> None:
    # svc_a serves /healthz, but svc_b's readiness probe asks svc_b for it.
    assert sl6("monorepo", tmp_path, select="SL605") == [("monorepo/svc_b/k8s/deploy.yaml", "SL605", 13, 29)]


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
        ("k8s/deployment.yaml", "SL604", 38, 11),
        ("k8s/deployment.yaml", "SL605", 40, 21),
        ("k8s/deployment.yaml", "SL605", 44, 21),
    ]
