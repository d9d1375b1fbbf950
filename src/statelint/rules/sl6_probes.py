"""SL604-SL605: Kubernetes probes checked against each other and against the routes of the code.

SL604 reads manifests only. SL605 is both a code and a text rule: it collects every
route of the scanned Python files and every httpGet probe of the manifests, and
reports a probe whose path no route serves, naming the files the routes came from.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from statelint.catalog import RuleDoc
from statelint.model import Finding, Span
from statelint.rules._routes import normalize, serves, under
from statelint.rules.base import TextRule
from statelint.rules.sl6_manifests import Probe, has_probes, probes_in
from statelint.rules.sl6_project import RoutesAndProbes, finding_at, in_scope
from statelint.triage import routes as route_triage

_MAX_FILES = 3


class SameLivenessAndReadiness(TextRule):
    code = "SL604"
    patterns: ClassVar[tuple[str, ...]] = ("*.yaml", "*.yml")

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        return ("livenessProbe",)  # both probes must be there; readinessProbe is checked in check()

    def check(self, path: str, text: str) -> None:
        if "readinessProbe" not in text or not has_probes(text, self.knowledge):
            return
        containers: dict[tuple[str, str], list[Probe]] = {}
        for probe in probes_in(text, self.knowledge):
            containers.setdefault((probe.pod, probe.container), []).append(probe)
        for probes in containers.values():
            readiness = {p.identity: p for p in probes if p.role == "readiness"}
            for liveness in (p for p in probes if p.role == "liveness"):
                twin = readiness.get(liveness.identity)
                if twin is None or liveness.action == "tcpSocket":
                    continue
                self.report_at(
                    Span(liveness.line, liveness.column, liveness.line, liveness.column + len("livenessProbe")),
                    f"the livenessProbe and the readinessProbe (line {twin.line}) of container {liveness.container!r} "
                    f"({liveness.workload}) both check {liveness.describe()}: a pod that should only stop receiving "
                    "traffic gets restarted instead",
                )


class ProbeWithoutRoute(RoutesAndProbes):
    code = "SL605"
    every_route = True
    triage = staticmethod(route_triage.declares_routes)

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
        for manifest, probe in probes:
            if probe["action"] != "httpGet":
                continue
            scope = sorted(in_scope(manifest, routes))
            records = [r for f in scope for r in routes[f]]
            if not any(r["t"] in ("route", "mount") for r in records) or _served(probe, records, modules):
                continue
            line, column = probe["path_line"], probe["path_column"]
            yield finding_at(
                cls, doc, manifest, [line, column, line, column + len(probe["path"])],
                f"the {probe['role']}Probe of container {probe['container']!r} ({probe['workload']}) requests "
                f"GET {probe['path']}, which no route in the scanned code serves "
                f"(routes found in {_files(scope)}{_closest(probe['path'], scope, routes)})",
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


def _closest(path: str, scope: list[str], routes: Mapping[str, list[dict[str, Any]]]) -> str:
    declared = {
        "/" + normalize(r["prefix"].rstrip("/") + r["path"]): f
        for f in scope
        for r in routes[f]
        if r["t"] == "route" and r["get"] and r["path"] is not None
    }
    match = difflib.get_close_matches("/" + normalize(path), list(declared), n=1, cutoff=0.6)
    return f"; closest: {match[0]} in {declared[match[0]]}" if match else ""


__all__ = ["ProbeWithoutRoute", "SameLivenessAndReadiness"]
