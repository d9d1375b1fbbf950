"""SL3: servers that listen on loopback only (SL301 explicit, SL302 library default, SL303 configurable default).

The three rules share one detector: it collects every server entry point of the
catalog (``knowledge.entry_points``) while walking, and classifies the host
argument once the whole module has been seen, so that an argparse option or a
settings class defined after its use is still followed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import libcst as cst

from statelint.engine.names import Scope, dotted_name
from statelint.engine.requirements import Requires
from statelint.rules._syntax import ABSENT as _ABSENT
from statelint.rules._syntax import UNKNOWN as _UNKNOWN
from statelint.rules._syntax import argument as _argument
from statelint.rules._syntax import literal_string
from statelint.rules.base import Rule

_MAX_DEPTH = 8
_ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault", "os.getenvb"})
_CLICK_OPTIONS = frozenset({"click.option", "click.decorators.option"})
_TYPER_PARAMS = frozenset({"typer.Option", "typer.Argument", "typer.params.Option", "typer.params.Argument"})


@dataclass(frozen=True)
class Verdict:
    kind: str  # "literal" (SL301) or "configurable" (SL303)
    host: str
    origin: str = ""


@dataclass
class _Site:
    entry: Mapping[str, Any]
    node: cst.CSTNode  # what a finding points at
    value: Any  # the host expression, _ABSENT or _UNKNOWN
    scope: Scope
    form: str


def host_of(text: str, form: str) -> str | None:
    """The host part of a bind string: ``host`` or ``host:port`` / ``[v6]:port``."""
    text = text.strip()
    if form == "host":
        return text
    if form != "hostport" or text.startswith(("unix:", "fd://")):
        return None
    if text.startswith("["):
        end = text.find("]")
        return text[: end + 1] if end > 0 else text
    if text.count(":") == 1:
        return text.split(":", 1)[0]
    return text


class _BindDetector(Rule):
    """Shared detection; each subclass reports the verdicts of its own kind."""

    code: ClassVar[str]
    # A server entry point called, a bind attribute assigned, or a gunicorn configuration file.
    requires = Requires(calls=["entry_points.calls"], assigns=["bind_attributes.targets"], files=["gunicorn_config_files"])

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        # A server entry point can only be resolved through an import of its library.
        heads = {call.split(".")[0] for entry in knowledge["entry_points"] for call in entry["calls"]}
        heads |= {t.split(".")[0] for entry in knowledge.get("bind_attributes", []) for t in entry["targets"]}
        return (*sorted(heads), "bind")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls = {call: entry for entry in self.knowledge["entry_points"] for call in entry["calls"]}
        self.attributes = {t: e for e in self.knowledge.get("bind_attributes", []) for t in e["targets"]}
        self.loopback_names = {h.lower() for h in self.knowledge["loopback_hosts"]}
        self.sites: list[_Site] = []
        self.argparse_defaults: dict[str, str] = {}  # dest -> loopback default
        self.class_defaults: dict[tuple[str, str], str] = {}  # (class qualname, attribute) -> loopback

    # -- collection ------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_argument":
            self._argparse_option(node)
        for name in self.ctx.qualnames(node.func):  # iterated in sorted order: the same entry whatever the hash seed
            entry = self.calls.get(name)
            if entry is not None:
                spec = entry["host"]
                value = _argument(node, spec.get("keyword"), spec.get("position"))
                self.sites.append(_Site(entry, node.func if value is _ABSENT else value, value, self.ctx.scope, entry["form"]))
                return

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Attribute):
                for name in self.ctx.qualnames(target.target):
                    entry = self.attributes.get(name)
                    if entry is not None:
                        self._bind_values(entry, node.value)
            elif (
                isinstance(target.target, cst.Name)
                and target.target.value == "bind"
                and self.ctx.scope.kind == "module"
                and self.ctx.basename in self.knowledge["gunicorn_config_files"]
            ):
                entry = {"name": "gunicorn bind setting", "form": "hostport"}
                self._bind_values(entry, node.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qualname = f"{self.ctx.scope.prefix}.{node.name.value}"
        if not isinstance(node.body, cst.IndentedBlock):
            return
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                target, value = _simple_assignment(small)
                text = literal_string(value) if value is not None else None
                if target and text is not None and self._is_loopback(text):
                    self.class_defaults[(qualname, target)] = text

    def _bind_values(self, entry: Mapping[str, Any], value: cst.BaseExpression) -> None:
        values = [e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple)) else [value]
        for item in values:
            self.sites.append(_Site(entry, item, item, self.ctx.scope, entry["form"]))

    def _argparse_option(self, node: cst.Call) -> None:
        names = [literal_string(a.value) for a in node.args if a.keyword is None]
        default = dest = None
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "default":
                default = literal_string(arg.value)
            if arg.keyword is not None and arg.keyword.value == "dest":
                dest = literal_string(arg.value)
        if default is None or not self._is_loopback(default):
            return
        flags = [n for n in names if n]
        longs = [n for n in flags if n.startswith("--")]
        dest = dest or (longs[0][2:] if longs else (flags[0].lstrip("-") if flags else None))
        if dest:
            self.argparse_defaults[dest.replace("-", "_")] = default

    # -- classification --------------------------------------------------------------
    def leave_Module(self, node: cst.Module) -> None:
        for site in self.sites:
            self.judge(site)

    def judge(self, site: _Site) -> None:
        raise NotImplementedError

    def verdict(self, site: _Site) -> Verdict | None:
        if site.value is _ABSENT or site.value is _UNKNOWN:
            return None
        return self.classify(site.value, site.scope, site.form, 0)

    def _is_loopback(self, host: str) -> bool:
        host = host.strip().lower()
        if host in self.loopback_names:
            return True
        try:
            return ipaddress.ip_address(host.strip("[]")).is_loopback
        except ValueError:
            return False

    def _literal(self, text: str, form: str) -> Verdict | None:
        host = host_of(text, form)
        return Verdict("literal", host) if host is not None and self._is_loopback(host) else None

    def classify(self, node: cst.CSTNode, scope: Scope, form: str, depth: int) -> Verdict | None:
        """Whether ``node`` evaluates to a loopback host, and how it got there."""
        if depth > _MAX_DEPTH:
            return None
        text = literal_string(node)
        if text is not None:
            return self._literal(text, form)
        if isinstance(node, (cst.Tuple, cst.List)) and form == "address" and node.elements:
            return self.classify(node.elements[0].value, scope, "host", depth + 1)
        if isinstance(node, cst.FormattedString):
            return self._formatted(node, scope, form, depth)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            left = literal_string(node.left)
            return self._literal(left + "\x00", form) if left is not None and form == "hostport" else None
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            fallback = self.classify(node.right, scope, form, depth + 1)
            return Verdict("configurable", fallback.host, "the fallback after `or`") if fallback else None
        if isinstance(node, cst.Call):
            return self._env_default(node, scope, form, depth)
        if isinstance(node, cst.Name):
            return self._name(node, scope, form, depth)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, scope)
        return None

    def _formatted(self, node: cst.FormattedString, scope: Scope, form: str, depth: int) -> Verdict | None:
        text, expressions = "", []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                text += part.value
            elif isinstance(part, cst.FormattedStringExpression):
                text += "\x00"
                expressions.append(part.expression)
        host = host_of(text, form)
        if host == "\x00" and expressions:
            return self.classify(expressions[0], scope, "host", depth + 1)
        if host is None or "\x00" in host:
            return None
        return self._literal(host, "host")

    def _env_default(self, node: cst.Call, scope: Scope, form: str, depth: int) -> Verdict | None:
        if not self.ctx.match(node.func, _ENV_GETTERS, scope):
            return None
        default = _argument(node, "default", 1)
        if default is _ABSENT or default is _UNKNOWN:
            return None
        found = self.classify(default, scope, form, depth + 1)
        if found is None:
            return None
        variable = literal_string(node.args[0].value) if node.args else None
        origin = f"the default of environment variable {variable}" if variable else "an environment default"
        return Verdict("configurable", found.host, origin)

    def _name(self, node: cst.Name, scope: Scope, form: str, depth: int) -> Verdict | None:
        bindings = self.ctx.resolver.lookup(node.value, scope)
        verdicts: list[Verdict | None] = []
        for binding in bindings:
            if binding.kind == "assign" and binding.value is not None:
                verdicts.append(self.classify(binding.value, binding.scope, form, depth + 1))
            elif binding.kind == "param" and isinstance(binding.node, cst.Param):
                verdicts.append(self._parameter(binding.node, binding.scope, form, depth))
            elif binding.kind == "import":
                verdicts.append(self._project_setting(node, scope))
            else:
                verdicts.append(None)
        if not verdicts or any(v is None for v in verdicts):
            return None  # some path gives a non-loopback or unknown host: stay silent
        for found in verdicts:
            if found is not None and found.kind == "configurable":
                return found
        return verdicts[0]

    def _parameter(self, param: cst.Param, scope: Scope, form: str, depth: int) -> Verdict | None:
        name = param.name.value
        default = param.default
        if default is not None:
            if isinstance(default, cst.Call) and self.ctx.match(default.func, _TYPER_PARAMS, scope.parent or scope):
                value = _argument(default, "default", 0)
                found = None if value in (_ABSENT, _UNKNOWN) else self.classify(value, scope, form, depth + 1)
                return Verdict("configurable", found.host, f"the default of option '{name}'") if found else None
            if not self.options.get("follow-parameters", True):
                return None
            found = self.classify(default, scope.parent or scope, form, depth + 1)
            if found is None or found.kind == "configurable":
                return found
            return Verdict("configurable", found.host, f"the default of parameter '{name}'")
        function = scope.node
        if isinstance(function, cst.FunctionDef):
            for decorator in function.decorators:
                found = self._click_option(decorator.decorator, name, scope.parent or scope, form, depth)
                if found is not None:
                    return found
        return None

    def _click_option(self, node: cst.CSTNode, param: str, scope: Scope, form: str, depth: int) -> Verdict | None:
        if not isinstance(node, cst.Call) or not self.ctx.match(node.func, _CLICK_OPTIONS, scope):
            return None
        declared = [literal_string(a.value) or "" for a in node.args if a.keyword is None]
        explicit = [d for d in declared if d.isidentifier()]
        longs = [d[2:] for d in declared if d.startswith("--")]
        target = explicit[0] if explicit else (longs[0] if longs else "")
        if target.replace("-", "_") != param:
            return None
        default = _argument(node, "default", None)
        if default in (_ABSENT, _UNKNOWN):
            return None
        found = self.classify(default, scope, form, depth + 1)
        return Verdict("configurable", found.host, f"the default of option --{target}") if found else None

    def _attribute(self, node: cst.Attribute, scope: Scope) -> Verdict | None:
        attr = node.attr.value
        if attr in self.argparse_defaults:
            return Verdict("configurable", self.argparse_defaults[attr], f"the default of command-line option --{attr.replace('_', '-')}")
        for qualname in self.ctx.qualnames(node.value, scope):
            owner = qualname[:-2] if qualname.endswith("()") else qualname
            host = self.class_defaults.get((owner, attr))
            if host is not None:
                return Verdict("configurable", host, f"the default of setting {owner.rsplit('.', 1)[-1]}.{attr}")
        return self._project_setting(node, scope)

    def _project_setting(self, node: cst.BaseExpression, scope: Scope) -> Verdict | None:
        """A name or attribute the project model knows a literal of, in another module: a module
        constant (a literal host) or a settings class field's default (a configurable host)."""
        found = self.ctx.project.setting(self.ctx.qualnames(node, scope), lambda v: isinstance(v, str) and self._is_loopback(v))
        if found is None:
            return None
        value, in_class, name = found
        return Verdict("configurable", value, f"the default of setting {name}") if in_class else Verdict("literal", value)


def _simple_assignment(small: cst.BaseSmallStatement) -> tuple[str | None, cst.BaseExpression | None]:
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        return small.target.value, small.value
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value
    return None, None


class ExplicitLoopbackBind(_BindDetector):
    code = "SL301"

    def judge(self, site: _Site) -> None:
        found = self.verdict(site)
        if found is not None and found.kind == "literal":
            self.report(
                site.node,
                f"{site.entry['name']} binds to loopback address {found.host!r}: "
                "nothing outside the container can reach it",
            )


class LoopbackByDefault(_BindDetector):
    code = "SL302"

    def judge(self, site: _Site) -> None:
        default = site.entry.get("default")
        if site.value is _ABSENT and default and self._is_loopback(str(default)):
            self.report(
                site.node,
                f"{site.entry['name']} is called without a host and listens on {default!r} by default: "
                "nothing outside the container can reach it",
            )


class LoopbackConfigurableDefault(_BindDetector):
    code = "SL303"

    def judge(self, site: _Site) -> None:
        found = self.verdict(site)
        if found is not None and found.kind == "configurable":
            self.report(
                site.node,
                f"{site.entry['name']} binds to a host that falls back to loopback {found.host!r} "
                f"({found.origin}): unless it is set, nothing outside the container can reach it",
            )


__all__ = ["ExplicitLoopbackBind", "LoopbackByDefault", "LoopbackConfigurableDefault", "dotted_name"]
