"""SL604-SL605: Kubernetes probes checked against each other and against the routes of the code.

Both are code and text rules, joined once every file is done. SL604 finds the containers
whose liveness and readiness probes are the same check, and reports one when the check
answering it in the scanned code is seen to call a dependency: only then does a failure
that should only take the pod out of the Service restart it. A check of the process alone
(a constant answer, a gRPC servicer set to SERVING), code the scan does not hold (another
language, an external image) and exec commands are not reported: unknown means silent.
SL605 collects every route of the scanned Python files and every httpGet probe of the
manifests, and reports a probe whose path no route serves, naming the files the routes
came from, when that code is the probed container's (:func:`sl6_project.container_code`,
the tie SL604 uses too): a Go container's probe is no question to a Python service's routes.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from statelint.analyses.routes import normalize, serves, under
from statelint.catalog import RuleDoc
from statelint.engine.requirements import Requires
from statelint.model import Finding, Related
from statelint.rules.sl6._manifests import describe
from statelint.rules.sl6._project import (
    Endpoint,
    HealthProject,
    RoutesAndProbes,
    container_code,
    finding_at,
    scope_folder,
    where,
)

_MAX_FILES = 3
#: The probes that ask a server for an answer, as routes or a gRPC servicer of the code would give it
#: (an exec or TCP probe of a database beside the service says nothing of which code it is).
_ASKING = ("httpGet", "grpc")


class SameLivenessAndReadiness(RoutesAndProbes):
    """Identical probes, reported when the check they share is seen to look at a dependency."""

    code = "SL604"
    requires = Requires(shapes=["health-routes"])  # a health route or a handler named like one, as SL601-SL603
    join_on = "identity"  # a probe: without one there is nothing to report

    @classmethod
    def check_project(
        cls, facts: Mapping[str, list[Any]], doc: RuleDoc, options: Mapping[str, Any], knowledge: Mapping[str, Any]
    ) -> Iterator[Finding]:
        project = HealthProject(facts)
        for (manifest, _, container), (liveness, readiness) in sorted(project.identical.items()):
            if not _followed(liveness):
                continue  # a command, or a server on another host: what it checks cannot be seen
            reached = project.reached_by(manifest, liveness)
            if not reached or not all(e.verdict and e.verdict["dependency"] for e in reached):
                continue  # not the scanned code's, or a check of the process alone: nothing restarts in vain
            endpoint = reached[0]
            verdict = endpoint.verdict
            assert verdict is not None
            dependency, name = verdict["dependency"], verdict["name"]
            handler = f"{name}()" if name and name != "<lambda>" else "its handler"
            line, column = liveness["line"], liveness["column"]
            yield finding_at(
                cls, doc, manifest, [line, column, line, column + len("livenessProbe")],
                f"container {container!r} probes liveness and readiness (line {readiness['line']}) with one check "
                f"calling a {dependency['kind']}",
                _related(endpoint),
                (
                    f"Both check {describe(liveness)} ({liveness['workload']}), answered by {handler} at "
                    f"{where(endpoint.verdict_file, verdict['span'])}, which calls {dependency['what']}",
                ),
            )


def _followed(probe: Mapping[str, Any]) -> bool:
    """A gRPC probe, or an httpGet probe sent to the pod itself (its identity: action, path, port, host ...)."""
    return probe["action"] == "grpc" or (probe["action"] == "httpGet" and not probe["identity"][3])


def _related(endpoint: Endpoint) -> tuple[Related, ...]:
    """The route, then the handler at its ``def`` (SARIF's related locations)."""
    record, verdict = endpoint.record, endpoint.verdict
    assert verdict is not None
    route = Related(record["path"] if record["kind"] == "grpc" else f"GET {record['path']}")
    name = verdict["name"]
    if not name or name == "<lambda>":
        return (route,)
    module = posixpath.splitext(posixpath.basename(endpoint.verdict_file))[0]
    return route, Related(f"{module}.{name}()", endpoint.verdict_file, name)


class ProbeWithoutRoute(RoutesAndProbes):
    code = "SL605"
    every_route = True
    requires = Requires(shapes=["routes"])  # a route, a mount or a framework's own routes

    @classmethod
    def check_project(
        cls, facts: Mapping[str, list[Any]], doc: RuleDoc, options: Mapping[str, Any], knowledge: Mapping[str, Any]
    ) -> Iterator[Finding]:
        routes: dict[str, list[dict[str, Any]]] = {}
        probes: list[tuple[str, dict[str, Any]]] = []
        modules = {r["name"] for records in facts.values() for r in records if r["t"] == "module"}
        for path, records in sorted(facts.items()):
            for record in records:
                if record["t"] == "probe":
                    probes.append((path, record))
                elif record["t"] != "module":
                    routes.setdefault(path, []).append(record)
        scopes = {manifest: scope_folder(manifest, routes) for manifest, _ in probes}
        for manifest, probe in probes:
            if probe["action"] != "httpGet":
                continue
            folder, files = scopes[manifest]
            scope = sorted(files)
            records = [r for f in scope for r in routes[f]]
            if not any(r["t"] in ("route", "mount") for r in records) or _served(probe, records, modules):
                continue
            # The routes must be the container's code: top-level manifests of a tree of services meet
            # every Python service's routes, and a Go frontend's probe asks them nothing.
            asking = [p for m, p in probes if p["action"] in _ASKING and scopes[m][1] & files]
            if not container_code(probe, folder, files, asking):
                continue
            line, column = probe["path_line"], probe["path_column"]
            yield finding_at(
                cls, doc, manifest, [line, column, line, column + len(probe["path"])],
                f"{probe['role']}Probe of container {probe['container']!r} requests GET {probe['path']}, which no scanned route serves",
                lead=(f"The routes of {probe['workload']} are in {_files(scope)}", _closest(probe["path"], scope, routes)),
            )


def _served(probe: Mapping[str, Any], records: list[dict[str, Any]], modules: set[str]) -> bool:
    path = probe["path"]
    for record in records:
        kind = record["t"]
        if kind == "route" and record["get"] and serves(record["path"], record["style"], path):
            return True
        hidden = record.get("opaque") or (record.get("target") is not None and record["target"] not in modules)
        if kind == "mount" and hidden and under(record["prefix"], path):
            return True
        implicit = kind == "implicit" and _same_port(record["port"], probe["port"])
        if implicit and any(serves(p, "template", path) for p in record["paths"]):
            return True
    return False


def _same_port(served: str | None, probed: str) -> bool:
    """Whether a server on ``served`` may answer a probe on ``probed`` (unknown ports may)."""
    return served is None or not probed.isdigit() or served == probed


def _files(scope: list[str]) -> str:
    shown = ", ".join(scope[:_MAX_FILES])
    return shown + (f" and {len(scope) - _MAX_FILES} more" if len(scope) > _MAX_FILES else "")


def _closest(path: str, scope: list[str], routes: Mapping[str, list[dict[str, Any]]]) -> str | None:
    declared = {
        "/" + normalize(r["prefix"].rstrip("/") + r["path"]): f
        for f in scope
        for r in routes[f]
        if r["t"] == "route" and r["get"] and r["path"] is not None
    }
    match = difflib.get_close_matches("/" + normalize(path), list(declared), n=1, cutoff=0.6)
    return f"The closest is {match[0]} in {declared[match[0]]}" if match else None


__all__ = ["ProbeWithoutRoute", "SameLivenessAndReadiness"]
