"""Probes declared in Kubernetes manifests, with the line and column of each.

YAML is read with PyYAML's C safe loader when it is available (the pure-Python one
otherwise), through ``compose_all``: the node graph ``safe_load_all`` builds its
objects from, which keeps the positions findings need. No Python object is ever
constructed, so custom tags (``!Ref``) and anchors are harmless, and an alias used
for both probes is simply the same node twice.

Files are skipped, never reported, when they are Helm templates (any ``{{``: the text
is not YAML until rendered) or do not parse (not our job: yamllint and kubeconform
report that, and other templating languages would only produce noise).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"
ROLES = {"livenessProbe": "liveness", "readinessProbe": "readiness", "startupProbe": "startup"}
ACTIONS = ("httpGet", "exec", "grpc", "tcpSocket")
_MAX_DEPTH = 3


@dataclass(frozen=True)
class Probe:
    role: str  # liveness | readiness | startup
    action: str  # httpGet | exec | grpc | tcpSocket
    identity: tuple[str, ...]  # what the probe checks, comparable between probes
    path: str | None  # httpGet path
    port: str  # resolved to the container port number when the probe names a port
    container: str
    image: str  # the container's image as written ("" when absent)
    workload: str  # "Deployment/api"
    pod: str  # identifies the pod template inside the file (document index + workload)
    line: int  # the probe's key (1-based)
    column: int
    path_line: int  # the httpGet path value (or the httpGet key when no path is given)
    path_column: int

    def as_fact(self) -> dict[str, object]:
        fact: dict[str, object] = {"t": "probe", **self.__dict__}
        fact["identity"] = list(self.identity)
        return fact


def describe(probe: Mapping[str, Any]) -> str:
    """What a probe (as a fact) checks: 'GET /healthz on port 8080'."""
    action, identity, port = probe["action"], probe["identity"], probe["port"]
    if action == "httpGet":
        return f"GET {probe['path']} on port {port}"
    if action == "exec":
        return "the command " + " ".join(identity[1:])
    if action == "grpc":
        service = f" of service {identity[2]!r}" if identity[2] else ""
        return f"the gRPC health check{service} on port {port}"
    return f"a TCP connect to port {port}"


def image_name(image: str) -> str:
    """The repository's last segment of an image reference: ``gcr.io/team/api:1.4`` -> ``api``."""
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]


def _item(node: yaml.Node | None, key: str, depth: int = 0) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of ``key`` in a mapping, following ``<<`` merge keys."""
    if not isinstance(node, yaml.MappingNode) or depth > _MAX_DEPTH:
        return None
    found: tuple[yaml.Node, yaml.Node] | None = None
    merged: list[yaml.Node] = []
    for key_node, value in node.value:
        if key_node.tag == _MERGE:
            merged.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
        elif isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found = (key_node, value)  # the last duplicate wins, as when PyYAML constructs it
    if found is None:
        for source in merged:
            found = _item(source, key, depth + 1)
            if found is not None:
                break
    return found


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    item = _item(node, key)
    return item[1] if item else None


def _scalar(node: yaml.Node | None) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _objects(node: yaml.Node, depth: int = 0) -> Iterator[yaml.Node]:
    """Kubernetes objects in a document, looking inside ``kind: List`` (and ``*List``)."""
    kind = _scalar(_get(node, "kind")) or ""
    if kind.endswith("List") and depth < _MAX_DEPTH:
        for item in _sequence(_get(node, "items")):
            yield from _objects(item, depth + 1)
    elif kind and _get(node, "apiVersion") is not None:
        yield node


def _pod_spec(obj: yaml.Node, kind: str, pod_specs: Mapping[str, Sequence[str]], default: Sequence[str]) -> yaml.Node | None:
    node: yaml.Node | None = obj
    for key in pod_specs.get(kind, default):
        node = _get(node, key)
    return node


def _ports(container: yaml.Node) -> dict[str, str]:
    named: dict[str, str] = {}
    for port in _sequence(_get(container, "ports")):
        name, number = _scalar(_get(port, "name")), _scalar(_get(port, "containerPort"))
        if name and number:
            named[name] = number
    return named


def _probe(
    key: yaml.Node,
    probe: yaml.Node,
    role: str,
    container: tuple[str, str],
    ports: Mapping[str, str],
    workload: str,
    pod: str,
) -> Probe | None:
    """One probe; ``container`` is its (name, image)."""
    for action in ACTIONS:
        item = _item(probe, action)
        if item is not None:
            break
    else:
        return None
    action_key, spec = item
    raw_port = _scalar(_get(spec, "port")) or ""
    port = ports.get(raw_port, raw_port)
    path = None
    where = action_key
    if action == "httpGet":
        path_node = _get(spec, "path")
        path = _scalar(path_node) or "/"
        where = path_node if isinstance(path_node, yaml.ScalarNode) else action_key
        headers = sorted(f"{_scalar(_get(h, 'name'))}={_scalar(_get(h, 'value'))}" for h in _sequence(_get(spec, "httpHeaders")))
        host, scheme = _scalar(_get(spec, "host")) or "", (_scalar(_get(spec, "scheme")) or "HTTP").upper()
        identity: tuple[str, ...] = (action, path, port, host, scheme, *headers)
    elif action == "exec":
        identity = (action, *[_scalar(c) or "?" for c in _sequence(_get(spec, "command"))])
    elif action == "grpc":
        identity = (action, port, _scalar(_get(spec, "service")) or "")
    else:
        identity = (action, port, _scalar(_get(spec, "host")) or "")
    return Probe(
        role, action, identity, path, port, *container, workload, pod,
        key.start_mark.line + 1, key.start_mark.column + 1,
        where.start_mark.line + 1, where.start_mark.column + 1,
    )


@lru_cache(maxsize=16)
def read_probes(
    text: str, pod_specs: tuple[tuple[str, tuple[str, ...]], ...], default_spec: tuple[str, ...]
) -> tuple[Probe, ...]:
    """Every probe of every container in a manifest file; () for templates and broken YAML.

    Cached on the text: the SL6 rules each read the same manifest in the same process.
    """
    if "{{" in text:
        return ()
    try:
        documents = list(yaml.compose_all(text, Loader=_LOADER))
    except (yaml.YAMLError, RecursionError, ValueError):
        return ()
    specs = dict(pod_specs)
    found: list[Probe] = []
    for index, document in enumerate(documents):
        if document is None:
            continue
        for obj in _objects(document):
            kind = _scalar(_get(obj, "kind")) or ""
            workload = f"{kind}/{_scalar(_get(_get(obj, 'metadata'), 'name')) or '?'}"
            spec = _pod_spec(obj, kind, specs, default_spec)
            for container in _sequence(_get(spec, "containers")):
                name = _scalar(_get(container, "name")) or "?"
                image = _scalar(_get(container, "image")) or ""
                ports = _ports(container)
                for key, role in ROLES.items():
                    item = _item(container, key)
                    if item is None:
                        continue
                    probe = _probe(item[0], item[1], role, (name, image), ports, workload, f"{index}:{workload}")
                    if probe is not None:
                        found.append(probe)
    return tuple(found)


def probes_in(text: str, knowledge: Mapping[str, object]) -> tuple[Probe, ...]:
    """The probes of a manifest file, with the pod-spec locations of the catalog."""
    manifests = knowledge["manifests"]
    assert isinstance(manifests, Mapping)
    pod_specs = tuple((kind, tuple(keys)) for kind, keys in manifests["pod_specs"].items())
    return read_probes(text, pod_specs, tuple(manifests["default_pod_spec"]))


def has_probes(text: str, knowledge: Mapping[str, object]) -> bool:
    """The cheap test that keeps ordinary YAML files from being parsed at all."""
    manifests = knowledge["manifests"]
    assert isinstance(manifests, Mapping)
    return any(needle in text for needle in manifests["needles"])


__all__ = ["Probe", "describe", "has_probes", "image_name", "probes_in", "read_probes"]
