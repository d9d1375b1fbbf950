"""SL601-SL603: health endpoints that always succeed, serve both probes, or restart pods on a dependency outage.

The facts and the join live in :mod:`sl6_project`; each rule here is the verdict only.
"""

from __future__ import annotations

from collections.abc import Iterator

from statelint.catalog import RuleDoc
from statelint.model import Finding
from statelint.rules.sl6._project import (
    Endpoint,
    HealthProject,
    HealthRule,
    container_of,
    finding_at,
    where,
)


def _subject(endpoint: Endpoint, role: str, project: HealthProject | None = None) -> str:
    """'GET /readyz, the readiness endpoint,': the endpoint (every path of its handler) and the role its
    probes (or names) give it."""
    described = endpoint.describe()
    others = [e.describe() for e in project.serving(endpoint)[1:]] if project is not None else []
    if others:  # one handler on several paths: one endpoint
        described = f"{described} and {' and '.join(dict.fromkeys(others))} (one handler)"
    if role == "both":
        return f"{described}, serving both probes,"
    if role == "neutral" and project is not None and not project.only(endpoint):
        return f"{described}, a health endpoint no other one backs with a check,"
    if role == "neutral":
        return f"{described}, the only health endpoint,"
    return f"{described}, the {role} endpoint,"


def _places(endpoint: Endpoint) -> tuple[str | None, ...]:
    """The hint's 'Routed at urls.py:5.' and 'Probed by readinessProbe at k8s/d.yaml:30.', when known."""
    routed = f"routed at {where(endpoint.file, endpoint.record['span'])}" if endpoint.verdict_file != endpoint.file else None
    probed = f"probed by {endpoint.probe_places()}" if endpoint.probes else None
    return routed, probed


def _handler(verdict: dict) -> str:
    name = verdict["name"]
    return f"{name}()" if name and name != "<lambda>" else "its handler"


class HealthAlwaysSucceeds(HealthRule):
    code = "SL601"

    @classmethod
    def judge(cls, endpoint: Endpoint, project: HealthProject, doc: RuleDoc) -> Iterator[Finding]:
        verdict = endpoint.verdict
        if verdict is None or not verdict["succeeds"] or not project.first(endpoint):
            return  # (one handler on two paths is one endpoint, reported once)
        role = endpoint.role()
        if role == "liveness" or (role == "neutral" and project.backed(endpoint)):
            return  # a liveness endpoint should be this cheap; a neutral one may be it, when another may fail
        warmup = None
        if role == "neutral" and endpoint.record["kind"] == "http":
            warmup = _warmup(project)
            if warmup is None:
                return  # nothing per pod to report: the process alone is what it can check
        why = verdict.get("reason") or f"{_handler(verdict)} calls nothing that could fail and returns no error status"
        yield finding_at(
            cls, doc, endpoint.verdict_file, verdict["span"],
            f"{_subject(endpoint, role, project)} always answers success",
            lead=(why, warmup, *_places(endpoint)),
        )


def _warmup(project: HealthProject) -> str | None:
    """'At startup, initialize() (svc/engines.py) hands _init() to Thread(): the pod answers before it is done'
    for the project's first warm-up; None when it starts none."""
    warmup = project.warmup
    if warmup is None:
        return None
    starter = _short(warmup["starter"])
    return (
        f"At startup, {starter} ({warmup['path']}) hands {_short(warmup['target'])} to {warmup['api']}(): "
        "the pod answers before it is done"
    )


def _short(qualname: str) -> str:
    """``initialize()`` for ``svc.engines.Processor.initialize``, ``the import of svc.engines`` for its module code."""
    head, _, name = qualname.rpartition(".")
    if name in ("<module>", "<main>"):
        return f"the import of {head}" if name == "<module>" else f"{head}'s __main__"
    return f"{name}()"


class SharedHealthEndpoint(HealthRule):
    code = "SL602"

    @classmethod
    def judge(cls, endpoint: Endpoint, project: HealthProject, doc: RuleDoc) -> Iterator[Finding]:
        if endpoint.record["kind"] != "http":
            return  # gRPC health tells roles apart by the service name in the request
        pairs = _both_probes(endpoint, project)
        if pairs:
            yield finding_at(
                cls, doc, endpoint.file, endpoint.record["span"],
                f"{endpoint.describe()} answers both the liveness and the readiness probe",
                lead=(f"Probed by {pairs}",),
            )
        elif (
            not endpoint.probes
            and endpoint.file not in project.probed_files
            and endpoint.record["role"] == "neutral"
            and project.http_identities == {endpoint.identity}
            and project.first(endpoint)
            and endpoint.verdict is not None
            and endpoint.verdict["dependency"] is not None
        ):
            # A check of the process alone may serve both probes: failing it means the process cannot
            # answer, which is what liveness is for (that readiness then checks nothing is SL601's).
            dependency = endpoint.verdict["dependency"]
            kind = dependency["kind"]
            yield finding_at(
                cls, doc, endpoint.file, endpoint.record["span"],
                f"{endpoint.describe()}, the only health endpoint, calls {dependency['what']} (a {kind})",
                lead=(
                    f"{_handler(endpoint.verdict)} answers it. The liveness and the readiness probe can only both point "
                    f"at it, so while the {kind} is down every replica fails liveness",
                ),
            )


def _both_probes(endpoint: Endpoint, project: HealthProject) -> str:
    """'livenessProbe at a.yaml:20 and readinessProbe at a.yaml:26 of container 'api'' for each container
    probing it both ways with two different probes (identical ones are SL604's, reported in the manifest)."""
    by_container: dict[tuple[str, str, str], dict[str, int]] = {}
    for manifest, probe in endpoint.probes:
        if container_of(manifest, probe) in project.identical:
            continue
        roles = by_container.setdefault(container_of(manifest, probe), {})
        roles.setdefault(probe["role"], probe["line"])
    found = []
    for (manifest, _, container), roles in sorted(by_container.items()):
        if "liveness" in roles and "readiness" in roles:
            found.append(
                f"livenessProbe at {manifest}:{roles['liveness']} and "
                f"readinessProbe at {manifest}:{roles['readiness']} of container {container!r}"
            )
    return "; ".join(found)


class LivenessChecksDependencies(HealthRule):
    code = "SL603"

    @classmethod
    def judge(cls, endpoint: Endpoint, project: HealthProject, doc: RuleDoc) -> Iterator[Finding]:
        verdict = endpoint.verdict
        dependency = verdict["dependency"] if verdict else None
        role = endpoint.role(leave_out=project.identical)  # identical probes: SL604 reports the container
        if dependency is None or role not in ("liveness", "both") or not project.first(endpoint):
            return
        yield finding_at(
            cls, doc, endpoint.verdict_file, dependency["span"],
            f"{_subject(endpoint, role)} calls {dependency['what']} (a {dependency['kind']})",
            lead=_places(endpoint),
        )


__all__ = ["HealthAlwaysSucceeds", "LivenessChecksDependencies", "SharedHealthEndpoint"]
