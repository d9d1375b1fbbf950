"""What SL601-SL605 share: routes and handlers from code, probes from manifests.

Each of these rules is both a :class:`Rule`, walking Python files for routes, and a
:class:`TextRule`, reading Kubernetes manifests for probes. Both sides become plain
JSON facts, joined in ``check_project`` once every file is done, so parallel and
cached runs see the same project:

* ``route``/``mount``/``implicit``/``module`` (SL605): every route a file declares.
* ``health``: a route whose path looks like a health check (option ``health-paths``),
  with the role its names give it and what its handler does (:mod:`sl6_handlers`).
* ``handler``: a module-level function or class named like a health check, judged the
  same way, for routes declared in another module (Django's ``urls.py`` -> ``views.py``).
  Only verdicts some rule could report are kept: positions cost a metadata pass.
* ``probe``: one probe of one container (:mod:`sl6_manifests`).
* ``grpc_status``: where a file sets the statuses of grpcio-health-checking's stock
  ``HealthServicer``: the calls that set SERVING, and whether any sets another status, names
  one, or enters the graceful shutdown. A stock servicer whose statuses are set to SERVING
  and never to anything else, anywhere in the scan, answers SERVING whatever happens.

**Liveness or readiness.** A route's role comes first from the probes that call it
(a manifest whose livenessProbe requests its path makes it a liveness endpoint), then
from its path segments (``livez``, ``/health/live`` -> liveness; ``readyz``, ``ready``,
``readiness`` -> readiness), then from its handler's name (``def liveness()``,
``class ReadinessView``); otherwise it is *neutral* (``/healthz``, ``/health``, ``/ping``).

**Which manifests go with which code.** A manifest is matched against the routes of
the deepest folder above it that holds route-declaring Python files: in a tree of
several services, each service's ``k8s/`` folder meets its own code. SL604 and SL605,
which report only what they can pin on one container's code, ask more
(:func:`container_code`, :meth:`HealthProject.reached_by`).

**Identical probes are SL604's.** A container whose livenessProbe and readinessProbe
are the same check is reported (or not) by SL604, in the manifest where it is fixed;
SL602 and SL603 leave that container's probes out, so one mistake is one finding.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import libcst as cst

from statelint.analyses.routes import (
    Handler,
    Route,
    RouteFinder,
    handler_functions,
    name_tokens,
    normalize,
    serves,
)
from statelint.analyses.syntax import ABSENT, argument
from statelint.catalog import RuleDoc
from statelint.engine.context import FileContext
from statelint.engine.names import Scope
from statelint.engine.requirements import Requires
from statelint.model import Finding, Related, Span
from statelint.rules.base import BaseRule, Rule, TextRule, compose_hint
from statelint.rules.sl6._handlers import HandlerJudge, Verdict
from statelint.rules.sl6._manifests import has_probes, image_name, probes_in
from statelint.urlpaths import plain_path

Facts = Mapping[str, list[Any]]


class RoleNames:
    """The options that tell health endpoints, liveness and readiness apart by name."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.health = re.compile(options["health-paths"])
        self.liveness = re.compile(options["liveness-names"])
        self.readiness = re.compile(options["readiness-names"])

    def is_health_path(self, path: str) -> bool:
        return bool(self.health.search(path))

    def is_health_name(self, name: str) -> bool:
        return any(self.is_health_path("/" + token) for token in name_tokens(name))

    def role(self, path: str, handler_name: str) -> str:
        path_words = [t for segment in normalize(path).split("/") for t in name_tokens(segment)]
        for words in (path_words, name_tokens(handler_name)):
            live = any(self.liveness.fullmatch(w) for w in words)
            ready = any(self.readiness.fullmatch(w) for w in words)
            if live != ready:
                return "liveness" if live else "readiness"
        return "neutral"


def _span_fact(span: Span) -> list[int]:
    return [span.line, span.column, span.end_line, span.end_column]


class RoutesAndProbes(Rule, TextRule):
    """Emits the facts; subclasses set ``code`` and judge them in ``check_project``."""

    patterns: ClassVar[tuple[str, ...]] = ("*.yaml", "*.yml")
    #: SL605 needs every route; the health rules only health routes and their handlers.
    every_route: ClassVar[bool] = False

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        needles = [*knowledge["routes"]["needles"], *knowledge["manifests"]["needles"]]
        if not cls.every_route:
            needles += knowledge["handlers"]["name_needles"]
            needles += knowledge["routes"]["grpc"].get("status_needles", ())
        return tuple(needles)

    # -- manifests ------------------------------------------------------------------------------
    def check(self, path: str, text: str) -> None:
        if has_probes(text, self.knowledge):
            for probe in probes_in(text, self.knowledge):
                self.fact(probe.as_fact())

    # -- code -----------------------------------------------------------------------------------
    def bind(self, ctx: FileContext) -> None:
        super().bind(ctx)
        self.finder = RouteFinder(ctx, self.knowledge["routes"])
        self.candidates: list[tuple[cst.FunctionDef | cst.ClassDef, Scope]] = []
        self.statuses = StatusSetters(ctx, self.knowledge["routes"]["grpc"]) if not self.every_route else None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.finder.on_function(node)
        self._candidate(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.finder.on_class(node)
        self._candidate(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.finder.on_call(node)
        if self.statuses is not None:
            self.statuses.on_call(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self.finder.on_tuple(node)

    def _candidate(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        if not self.every_route and self.ctx.scope.kind == "module":
            self.candidates.append((node, self.ctx.scope))

    def leave_Module(self, node: cst.Module) -> None:
        if self.every_route:
            self._emit_routes()
        else:
            self._emit_health()

    def _emit_routes(self) -> None:
        finder = self.finder
        for route in finder.routes:
            if route.style != "grpc":
                self.fact({"t": "route", "path": route.path, "style": route.style, "get": route.get, "prefix": route.prefix})
        for mount in finder.mounts:
            self.fact({"t": "mount", **mount.__dict__})
        for paths, port in finder.implicit_routes:
            self.fact({"t": "implicit", "paths": list(paths), "port": port})
        if finder.routes or finder.mounts:
            self.fact({"t": "module", "name": self.ctx.module_name})

    def _emit_health(self) -> None:
        names = RoleNames(self.options)
        judge = HandlerJudge(self.ctx, self.knowledge["handlers"])
        routed = False
        for route in self.finder.routes:
            record = self._health_record(route, names, judge)
            if record is not None:
                self.fact(record)
                routed = True
        warmup = self.ctx.project.warmup() if routed else None
        if warmup is not None:  # every view's digest covers the project's warm-ups
            target, starter, api, path = warmup
            self.fact({"t": "warmup", "target": target, "starter": starter, "api": api, "path": path})
        grpc_method = self.knowledge["routes"]["grpc"]["method"]
        for node, scope in self.candidates:
            if names.is_health_name(node.name.value) or _defines(node, grpc_method):
                verdict = self._verdict(Handler(node, scope), judge)
                if verdict is not None:
                    self.fact({"t": "handler", "q": f"{scope.prefix}.{node.name.value}", "verdict": verdict})
        if self.statuses is not None and (self.statuses.serving or self.statuses.changes):
            self.fact({"t": "grpc_status", "serving": [_span_fact(self.span(n)) for n in self.statuses.serving], "changes": self.statuses.changes})

    def _health_record(self, route: Route, names: RoleNames, judge: HandlerJudge) -> dict[str, Any] | None:
        kind = "grpc" if route.style == "grpc" else "http"
        path = route.path if kind == "grpc" else plain_path(route.prefix.rstrip("/") + (route.path or ""), route.style)
        if path is None or (kind == "http" and not (route.get and route.path and names.is_health_path(path))):
            return None
        handler = route.handler
        name = _handler_name(handler)
        stock = kind == "grpc" and handler is not None and bool(set(handler.refs) & set(self.knowledge["routes"]["grpc"]["stock_servicers"]))
        return {
            "t": "health",
            "kind": kind,
            "path": path,
            "raw": route.path,
            "style": route.style,
            "role": "neutral" if kind == "grpc" else names.role(path, name),
            "span": _span_fact(self.span(route.anchor)),
            "verdict": self._verdict(handler, judge, route.framework) if handler is not None else None,
            "refs": list(handler.refs) if handler is not None else [],
            "stock": stock,
        }

    def _verdict(self, handler: Handler, judge: HandlerJudge, framework: str = "") -> dict[str, Any] | None:
        """The handler's verdict as a fact; None when no rule could report it (saves positions).
        ``framework``: the route's, when known (what a handler returning nothing answers)."""
        judged = self._judge(handler, judge, framework)
        if judged is None:
            return None
        verdict, anchor, name = judged
        if not verdict.always_succeeds and verdict.dependency is None:
            return None
        return _verdict_fact(verdict, anchor, name, self)

    def _judge(self, handler: Handler, judge: HandlerJudge, framework: str) -> tuple[Verdict, cst.CSTNode, str] | None:
        node = handler.node
        if node is None or handler.scope is None:
            return None
        if not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return judge.judge_response(node, handler.scope), node, ""
        methods = self.knowledge["handlers"]["get_methods"]
        for function, scope, owner in handler_functions(handler, self.ctx, methods):
            anchor = function.name if isinstance(function, cst.FunctionDef) else function
            name = function.name.value if isinstance(function, cst.FunctionDef) else "<lambda>"
            if owner is not None:
                name = f"{owner.name.value}.{name}"
            return judge.judge(function, scope, owner, framework), anchor, name
        return None


def _defines(node: cst.FunctionDef | cst.ClassDef, method: str) -> bool:
    """A class defining ``method`` (``Check``): a gRPC servicer another module may register."""
    if not isinstance(node, cst.ClassDef) or not isinstance(node.body, cst.IndentedBlock):
        return False
    return any(isinstance(s, cst.FunctionDef) and s.name.value == method for s in node.body.body)


class StatusSetters:
    """Where one file sets the statuses of grpcio-health-checking's stock servicer.

    ``servicer.set(service, status)`` counts when ``servicer`` is a stock servicer, or anything the
    file's names do not resolve (``self.health``, a parameter); a receiver resolving to something
    else (a cache client's ``set``) does not. A SERVING status is collected in ``serving``; any other
    status, a status named other than SERVING anywhere in the file, or ``enter_graceful_shutdown()``
    sets ``changes``. Only files spelling one of the catalog's ``status_needles`` are read (the
    prefilter's own condition, so that both agree).
    """

    def __init__(self, ctx: FileContext, grpc: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.active = any(needle in ctx.source for needle in grpc.get("status_needles", ()))
        self.instances = frozenset(f"{name}()" for name in grpc["stock_servicers"])
        setter = grpc.get("status_setter", {})
        self.method: str = setter.get("method", "")
        self.status: Mapping[str, Any] = setter.get("status", {})
        self.shutdown = frozenset(grpc.get("shutdown_methods", ()))
        self.serving: list[cst.CSTNode] = []
        self.changes = self.active and any(name in ctx.source for name in grpc.get("other_statuses", ()))

    def on_call(self, node: cst.Call) -> None:
        func = node.func
        if not self.active or not isinstance(func, cst.Attribute):
            return
        if func.attr.value in self.shutdown:
            self.changes = True
        elif func.attr.value == self.method and self._servicer(func.value):
            status = argument(node, self.status.get("keyword"), self.status.get("position"))
            if status is ABSENT:
                return  # one argument: not a status
            if _terminal(status) == "SERVING":
                self.serving.append(node)
            else:
                self.changes = True

    def _servicer(self, receiver: cst.BaseExpression) -> bool:
        names = self.ctx.qualnames(receiver)
        return not names or not names.isdisjoint(self.instances)


def _terminal(node: Any) -> str | None:
    """``SERVING`` for ``health_pb2.HealthCheckResponse.SERVING`` or a name ``SERVING``."""
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else None


def _handler_name(handler: Handler | None) -> str:
    if handler is None:
        return ""
    if isinstance(handler.node, (cst.FunctionDef, cst.ClassDef)):
        return handler.node.name.value
    if handler.refs:
        return handler.refs[0].rsplit(".", 1)[-1]
    return ""


def _verdict_fact(verdict: Verdict, anchor: cst.CSTNode, name: str, rule: Rule) -> dict[str, Any]:
    dependency = verdict.dependency
    return {
        "succeeds": verdict.always_succeeds,
        "name": name,
        "span": _span_fact(rule.span(anchor)),
        "dependency": None
        if dependency is None
        else {"what": dependency.what, "kind": dependency.kind, "span": _span_fact(rule.span(dependency.node))},
    }


# -- the join -------------------------------------------------------------------------------------
def _within(path: str, directory: str) -> bool:
    return not directory or path.startswith(directory.rstrip("/") + "/")


def scope_folder(manifest: str, files: Iterable[str]) -> tuple[str, set[str]]:
    """The deepest folder above a manifest that holds any of ``files``, and those files."""
    candidates = set(files)
    directory = posixpath.dirname(manifest)
    while True:
        inside = {f for f in candidates if _within(f, directory)}
        if inside:
            return directory, inside
        parent = posixpath.dirname(directory)
        if parent == directory:
            return directory, set()
        directory = parent


def in_scope(manifest: str, files: Iterable[str]) -> set[str]:
    """The code files a manifest goes with: those under the deepest folder above it that has any."""
    return scope_folder(manifest, files)[1]


Container = tuple[str, str, str]  # manifest, pod, container name


def container_of(manifest: str, probe: Mapping[str, Any]) -> Container:
    return manifest, probe["pod"], probe["container"]


def _word(name: str) -> str:
    """A name as a folder would spell it too: ``svc-a``, ``svc_a`` and ``SvcA`` -> ``svca``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def where(path: str, span: list[int]) -> str:
    return f"{path}:{span[0]}"


@dataclass
class Endpoint:
    """A health route, with the handler verdict (possibly from another file) and its probes."""

    file: str
    record: dict[str, Any]
    verdict: dict[str, Any] | None = None
    verdict_file: str = ""
    probes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return self.record["kind"], self.record["path"]

    @property
    def identity(self) -> tuple[Any, ...]:
        """What tells endpoints apart: the handler judged (one handler on two paths is one endpoint),
        else the route."""
        if self.verdict is not None:
            return ("handler", self.verdict_file, *self.verdict["span"][:2])
        return ("route", self.file, *self.key)

    def may_fail(self) -> bool:
        """Whether the handler may answer an error: it is not known to always succeed."""
        return self.verdict is None or not self.verdict["succeeds"]

    def describe(self) -> str:
        return "the gRPC health Check" if self.record["kind"] == "grpc" else f"GET {self.record['path']}"

    def role(self, leave_out: Collection[Container] = ()) -> str:
        """From the probes that call it when there are any, else from its names. ``leave_out``: containers
        whose probes do not count (those SL604 answers for)."""
        probes = [probe for manifest, probe in self.probes if container_of(manifest, probe) not in leave_out]
        roles = {probe["role"] for probe in probes} & {"liveness", "readiness"}
        if len(roles) == 2:
            return "both"
        return roles.pop() if roles else self.record["role"]

    def calls(self, probe: Mapping[str, Any]) -> bool:
        if self.record["kind"] == "grpc":
            return probe["action"] == "grpc"
        return probe["action"] == "httpGet" and serves(self.record["raw"], self.record["style"], probe["path"])

    def probe_places(self) -> str:
        return ", ".join(f"{probe['role']}Probe at {path}:{probe['line']}" for path, probe in self.probes)


class HealthProject:
    """The health endpoints of a scan, each with its handler verdict and the probes that call it."""

    def __init__(self, facts: Facts) -> None:
        self.endpoints: list[Endpoint] = []
        self.probes: list[tuple[str, dict[str, Any]]] = []
        #: background initialisation the project starts at startup (``ProjectModel.warmups``), if any
        self.warmup: dict[str, Any] | None = None
        handlers: dict[str, tuple[str, dict[str, Any]]] = {}
        serving: list[tuple[str, list[int]]] = []  # where stock servicers' statuses are set to SERVING
        changed = False  # ... and whether any is set to anything else, anywhere
        for path, records in sorted(facts.items()):
            for record in records:
                if record["t"] == "grpc_status":
                    serving += [(path, span) for span in record["serving"]]
                    changed |= record["changes"]
                elif record["t"] == "health":
                    self.endpoints.append(Endpoint(path, record, record["verdict"], path))
                elif record["t"] == "handler":
                    handlers.setdefault(record["q"], (path, record["verdict"]))
                elif record["t"] == "probe":
                    self.probes.append((path, record))
                elif record["t"] == "warmup":
                    self.warmup = self.warmup or record
        for endpoint in self.endpoints:
            for ref in endpoint.record["refs"] if endpoint.verdict is None else ():
                if ref in handlers:
                    endpoint.verdict_file, endpoint.verdict = handlers[ref]
                    break
            if endpoint.record.get("stock") and serving and not changed:
                endpoint.verdict = _serving_once(endpoint, serving)
        files = {e.file for e in self.endpoints}
        self.probed_files: set[str] = set()
        self.folders: dict[str, str] = {}  # manifest -> the folder of the code it goes with
        for manifest, probe in self.probes:
            self.folders[manifest], scope = scope_folder(manifest, files)
            self.probed_files |= scope
            for endpoint in self.endpoints:
                if endpoint.file in scope and endpoint.calls(probe):
                    endpoint.probes.append((manifest, probe))
        self.identities = {e.identity for e in self.endpoints}
        self.http_identities = {e.identity for e in self.endpoints if e.record["kind"] == "http"}
        self.identical = _identical(self.probes)

    def only(self, endpoint: Endpoint) -> bool:
        """Whether this is the scan's one and only health endpoint (its handler may serve several paths)."""
        return self.identities == {endpoint.identity}

    def backed(self, endpoint: Endpoint) -> bool:
        """Whether another health endpoint may be the readiness check, so that a neutral ``endpoint`` that
        always succeeds may be the liveness one: a readiness endpoint (by its probes or names), or a
        neutral one whose handler may answer an error. Another endpoint that always succeeds backs
        nothing: each is judged on its own."""
        return any(
            other.identity != endpoint.identity
            and (other.role() in ("readiness", "both") or (other.role() == "neutral" and other.may_fail()))
            for other in self.endpoints
        )

    def serving(self, endpoint: Endpoint) -> list[Endpoint]:
        """The endpoints ``endpoint``'s handler answers (itself first): one handler on two paths."""
        return [endpoint, *(e for e in self.endpoints if e is not endpoint and e.identity == endpoint.identity)]

    def first(self, endpoint: Endpoint) -> bool:
        """Whether ``endpoint`` is the first of those its handler answers: the one its findings are for."""
        return next(e for e in self.endpoints if e.identity == endpoint.identity) is endpoint

    def reached_by(self, manifest: str, probe: Mapping[str, Any]) -> list[Endpoint]:
        """The health endpoints of the scanned code that answer ``probe``, when the scan can tell they are
        the container's; [] when it cannot (SL604: unknown means silent).

        The join above pairs a manifest with every route of the code it goes with, and a tree's top-level
        manifests go with the code of every service in it (a Go frontend's probe meets the Python service's
        /healthz). So a container is only taken to run the code of a folder named after it (its workload or
        its image: ``Deployment/cart`` or ``image: .../cart:1.2`` for ``src/cart/``), or else code whose
        health endpoints no other image is probed on.
        """
        reached = [e for e in self.endpoints if any(m == manifest and p is probe for m, p in e.probes)]
        probing = [p for e in reached for _, p in e.probes]
        code = container_code(probe, self.folders.get(manifest, ""), {e.file for e in reached}, probing)
        return [e for e in reached if e.file in code]


def _serving_once(endpoint: Endpoint, serving: list[tuple[str, list[int]]]) -> dict[str, Any]:
    """The verdict on a stock servicer whose statuses are only ever set to SERVING."""
    places = ", ".join(where(path, span) for path, span in serving[:3]) + (" ..." if len(serving) > 3 else "")
    return {
        "succeeds": True,
        "name": "",
        "span": endpoint.record["span"],
        "dependency": None,
        "reason": f"the stock HealthServicer's statuses are set to SERVING ({places}) and never to anything else",
    }


def container_code(
    probe: Mapping[str, Any], folder: str, files: Collection[str], probing: Iterable[Mapping[str, Any]]
) -> set[str]:
    """Which of ``files`` (code under ``folder``, the code the probe's manifest goes with) the probed
    container runs, as far as the scan can tell; empty when it cannot (unknown means silent).

    The files under a folder named after the container: after its image (``image: .../cart:1.2`` for
    ``src/cart/``), or after its workload (``Deployment/cart``) unless another image of that workload is
    among ``probing`` (an nginx sidecar is not the code its pod is named after); else all of them when no
    other image is among ``probing``, the probes matched with that code; else none (a tree's top-level
    manifests go with the code of every service in it, and a Go frontend's probe is no question to a
    Python service's routes).
    """
    probing = list(probing)
    runs = _runs(probe)
    names = {_word(image_name(probe.get("image", "")))}
    if all(_runs(p) == runs for p in probing if p["workload"] == probe["workload"]):
        names.add(_word(probe["workload"].split("/", 1)[-1]))
    named = {f for f in files if (names - {""}) & _folders(f, folder)}
    if named:
        return named
    return set(files) if {_runs(p) for p in probing} <= {runs} else set()


def _runs(probe: Mapping[str, Any]) -> tuple[str, ...]:
    """What a probed container runs: its image without tag or digest; without one, its workload (the
    containers of a workload that name no image, a sketch or a patch, are taken as one program)."""
    image = probe.get("image", "")
    repository = re.sub(r":[^/:]*$", "", image.split("@", 1)[0])
    return (repository,) if repository else (probe["workload"],)


def _folders(file: str, folder: str) -> set[str]:
    """The folder names between ``folder`` and ``file``, spelled by :func:`_word`."""
    relative = file[len(folder) + 1 :] if folder and _within(file, folder) else file
    return {_word(part) for part in relative.split("/")[:-1]}


def _identical(probes: list[tuple[str, dict[str, Any]]]) -> dict[Container, tuple[dict[str, Any], dict[str, Any]]]:
    """The containers whose livenessProbe and readinessProbe are the same check (SL604's), with the two.
    TCP connects are left out: connecting to a port is neither a liveness nor a readiness check."""
    roles: dict[Container, dict[str, dict[str, Any]]] = {}
    for manifest, probe in probes:
        roles.setdefault(container_of(manifest, probe), {})[probe["role"]] = probe
    found = {}
    for container, by_role in roles.items():
        liveness, readiness = by_role.get("liveness"), by_role.get("readiness")
        if liveness and readiness and liveness["identity"] == readiness["identity"] and liveness["action"] != "tcpSocket":
            found[container] = (liveness, readiness)
    return found


class HealthRule(RoutesAndProbes):
    """SL601-SL603: judged over the :class:`HealthProject`."""

    # A health route (its path matching health-paths, or gRPC's), or a handler named like one.
    requires = Requires(shapes=["health-routes"])

    @classmethod
    def check_project(
        cls, facts: Facts, doc: RuleDoc, options: Mapping[str, Any], knowledge: Mapping[str, Any]
    ) -> Iterator[Finding]:
        project = HealthProject(facts)
        for endpoint in project.endpoints:
            yield from cls.judge(endpoint, project, doc)

    @classmethod
    def judge(cls, endpoint: Endpoint, project: HealthProject, doc: RuleDoc) -> Iterable[Finding]:
        raise NotImplementedError


def finding_at(
    cls: type[BaseRule],
    doc: RuleDoc,
    path: str,
    span: list[int],
    message: str,
    related: tuple[Related, ...] = (),
    lead: tuple[str | None, ...] = (),
) -> Finding:
    """A finding whose hint starts with ``lead``: the other places it involves (probes, routes)."""
    return cls.make_finding(doc, path, Span(*span), message, compose_hint(doc, *lead))._replace(related=related)


__all__ = [
    "Container",
    "Endpoint",
    "HealthProject",
    "HealthRule",
    "RoleNames",
    "RoutesAndProbes",
    "container_code",
    "container_of",
    "finding_at",
    "in_scope",
    "plain_path",
    "where",
]
