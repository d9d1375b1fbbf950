"""SL3: servers that listen on loopback only (SL301 explicit, SL302 library default, SL303 configurable default).

The three rules share one detector: it collects every server entry point of the
catalog (``knowledge.entry_points``) while walking, and classifies the host
argument once the whole module has been seen, so that an argparse option, a
settings class or a function's callers defined after the use are still followed.

Receivers the file's names do not resolve are followed where they say what they are
(:mod:`._receivers`): ``self.server`` through what the class assigns, and, for the
catalog's ``parameter_methods`` (gRPC's ``add_insecure_port``), a parameter annotated
with a server class or passed a server by a call in the module. Server settings in
TOML files (``knowledge.config_files``: Streamlit's ``server.address``, hypercorn's
``bind``) are read as text.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import libcst as cst

from statelint.analyses.syntax import ABSENT as _ABSENT
from statelint.analyses.syntax import UNKNOWN as _UNKNOWN
from statelint.analyses.syntax import argument as _argument
from statelint.analyses.syntax import literal_string
from statelint.engine.names import Scope, dotted_name
from statelint.engine.requirements import Requires
from statelint.model import Span
from statelint.rules.base import Rule, TextRule
from statelint.rules.sl2._config_formats import (
    ConfigSyntaxError,
    parse_toml_top_level,
    toml_path_position,
)
from statelint.rules.sl3._receivers import parameter_types, self_class, self_names

_MAX_DEPTH = 8
_ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault", "os.getenvb"})
_CLICK_OPTIONS = frozenset({"click.option", "click.decorators.option"})
_TYPER_PARAMS = frozenset({"typer.Option", "typer.Argument", "typer.params.Option", "typer.params.Argument"})
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")
_FORMAT_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


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
    call: cst.Call | None = None  # the entry point's call (None for a setting assigned)


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


def _host_specs(entry: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str]]:
    """Every argument that sets where an entry point listens, with its form."""
    return [(entry["host"], entry["form"]), *((spec, spec["form"]) for spec in entry.get("other_hosts", ()))]


def _default_value(node: Any) -> Any:
    """None or the string of a literal ``None``/string argument; ``_ABSENT`` for anything else."""
    if isinstance(node, cst.Name) and node.value == "None":
        return None
    text = literal_string(node) if isinstance(node, cst.CSTNode) else None
    return text if text is not None else _ABSENT


class _BindDetector(Rule, TextRule):
    """Shared detection; each subclass reports the verdicts of its own kind."""

    code: ClassVar[str]
    # A server entry point called (on anything, for the methods looked for on parameters), a bind
    # attribute assigned, or a gunicorn configuration file.
    requires = Requires(
        calls=["entry_points.calls"],
        methods=["parameter_methods"],
        assigns=["bind_attributes.targets"],
        files=["gunicorn_config_files"],
    )
    #: The TOML files of ``knowledge.config_files`` (a test holds the two together).
    patterns: ClassVar[tuple[str, ...]] = ("config.toml", "*hypercorn*.toml")

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        # A server entry point can only be resolved through an import of its library; a TOML setting
        # names its key.
        heads = {call.split(".")[0] for entry in knowledge["entry_points"] for call in entry["calls"]}
        heads |= {t.split(".")[0] for entry in knowledge.get("bind_attributes", []) for t in entry["targets"]}
        heads |= {entry["key"][-1] for entry in knowledge.get("config_files", [])}
        heads |= set(knowledge.get("parameter_methods", ()))
        return (*sorted(heads), "bind")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls = {call: entry for entry in self.knowledge["entry_points"] for call in entry["calls"]}
        self.attributes = {t: e for e in self.knowledge.get("bind_attributes", []) for t in e["targets"]}
        self.parameter_methods = frozenset(self.knowledge.get("parameter_methods", ()))
        traits = self.knowledge.get("traits", {})
        self.trait_classes = frozenset(traits.get("classes", ()))
        self.loopback_names = {h.lower() for h in self.knowledge["loopback_hosts"]}
        self.sites: list[_Site] = []
        self.argparse_defaults: dict[str, str] = {}  # dest -> loopback default
        self.class_defaults: dict[tuple[str, str], tuple[str, str]] = {}  # (class, attribute) -> (loopback, what)
        self.seen_calls: list[tuple[cst.Call, Scope]] = []  # every call, for what a parameter is passed
        self.parameter_calls: list[tuple[cst.Call, Scope]] = []  # parameter_methods on a parameter
        self.instance_attributes: set[tuple[str, str]] = set()  # (class, attribute) a method assigns on self
        self._needles_seen: bool | None = None

    # -- collection ------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        scope = self.ctx.scope
        self.seen_calls.append((node, scope))
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_argument":
            self._argparse_option(node)
        entry = self._entry(self.ctx.qualnames(node.func)) or self._entry(self._self_callee(node.func, scope))
        if entry is not None:
            self._add_sites(entry, node, scope)
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in self.parameter_methods:
            self.parameter_calls.append((node, scope))

    def _entry(self, names: Any) -> Mapping[str, Any] | None:
        for name in names:  # iterated in sorted order: the same entry whatever the hash seed
            entry = self.calls.get(name)
            if entry is not None:
                return entry
        return None

    def _self_callee(self, func: cst.BaseExpression, scope: Scope) -> list[str]:
        """``self.server.add_insecure_port`` as the project model spells it, and what that expands to.

        Only in a file the prefilter lets through: one naming a needle, in its text or in the library
        names its project names expand to. An attribute assigned by a base class of another module
        may hold a server without either (its chain starts at this module's class), and a result
        must not depend on whether the prefilter ran."""
        if not isinstance(func, cst.Attribute):
            return []
        if self._needles_seen is None:
            text = self.ctx.source + self.ctx.project.external
            self._needles_seen = any(needle in text for needle in self.prefilter(self.knowledge, self.options))
        return self_names(self.ctx, func, scope) if self._needles_seen else []

    def _add_sites(self, entry: Mapping[str, Any], node: cst.Call, scope: Scope) -> None:
        given = False
        for spec, form in _host_specs(entry):
            value = _argument(node, spec.get("keyword"), spec.get("position"))
            if value is not _ABSENT:
                given = True
                self.sites.append(_Site(entry, value, value, scope, form, node))
        if not given:
            self.sites.append(_Site(entry, node.func, _ABSENT, scope, entry["form"], node))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._instance_attribute(target.target)
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

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._instance_attribute(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._instance_attribute(node.target)

    def _instance_attribute(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            klass = self_class(self.ctx, target.value, self.ctx.scope)
            if klass is not None:
                self.instance_attributes.add((klass, target.attr.value))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qualname = f"{self.ctx.scope.prefix}.{node.name.value}"
        if not isinstance(node.body, cst.IndentedBlock):
            return
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                target, value = _simple_assignment(small)
                if target is None or value is None:
                    continue
                default, what = self._trait_default(value)
                text = literal_string(default) if default is not None else None
                if text is not None and self._is_loopback(text):
                    self.class_defaults[(qualname, target)] = (text, what)

    def _trait_default(self, value: cst.BaseExpression) -> tuple[cst.BaseExpression | None, str]:
        """The default a class attribute holds, and what to call it: a literal (``setting``), or the
        default of a traitlets trait (``Unicode("localhost", config=True)``, ``.tag(config=True)``)."""
        if not isinstance(value, cst.Call):
            return value, "setting"
        configurable = False
        call = value
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "tag" and isinstance(call.func.value, cst.Call):
            configurable = _true(_argument(call, "config", None))
            call = call.func.value
        if not self.trait_classes or self.ctx.match(call.func, self.trait_classes) is None:
            return None, ""
        configurable = configurable or _true(_argument(call, "config", None))
        default = _argument(call, "default_value", 0)
        if default is _ABSENT or default is _UNKNOWN:
            return None, ""
        return default, "configurable trait" if configurable else "trait"

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
        for call, scope in self.parameter_calls:
            entry = self._parameter_entry(call, scope)
            if entry is not None:
                self._add_sites(entry, call, scope)
        for site in self.sites:
            if not _development(site):
                self.judge(site)

    def _parameter_entry(self, call: cst.Call, scope: Scope) -> Mapping[str, Any] | None:
        """The entry point a ``parameter_methods`` call is, on a parameter annotated with a server class
        or passed a server by a call in the module."""
        assert isinstance(call.func, cst.Attribute)
        receiver = call.func.value
        if not isinstance(receiver, cst.Name):
            return None
        method = call.func.attr.value
        for held in sorted(parameter_types(self.ctx, receiver, scope, self.seen_calls)):
            callee = f"{held}.{method}"
            entry = self._entry([callee, *sorted(self.ctx.project.expand(callee))])
            if entry is not None:
                return entry
        return None

    def judge(self, site: _Site) -> None:
        raise NotImplementedError

    def judge_setting(self, span: Span, name: str, verdict: Verdict, path: str) -> None:
        """A server setting of a configuration file (only explicit hosts: SL301's)."""

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
        if form == "hostports":  # waitress listen="127.0.0.1:8080 [::1]:8080": loopback only if every item is
            hosts = [host_of(item, "hostport") for item in text.split()]
            if hosts and all(h is not None and self._is_loopback(h) for h in hosts):
                return Verdict("literal", " ".join(h for h in hosts if h))
            return None
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
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
            return self._percent(node, scope, form, depth)
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            fallback = self.classify(node.right, scope, form, depth + 1)
            return Verdict("configurable", fallback.host, "the fallback after `or`") if fallback else None
        if isinstance(node, cst.Call):
            return self._format_call(node, scope, form, depth) or self._env_default(node, scope, form, depth)
        if isinstance(node, cst.Name):
            return self._name(node, scope, form, depth)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, scope)
        return None

    def _template(self, text: str, form: str, values: list[cst.BaseExpression], scope: Scope, depth: int) -> Verdict | None:
        """A bind string with its fields replaced by ``\\x00``: loopback when its host part is a loopback
        literal, or is exactly one field whose value (``values``, in field order) is loopback."""
        host = host_of(text, form)
        if host == "\x00" and text.lstrip().startswith("\x00") and values:
            return self.classify(values[0], scope, "host", depth + 1)
        if host is None or "\x00" in host:
            return None
        return self._literal(host, "host")

    def _formatted(self, node: cst.FormattedString, scope: Scope, form: str, depth: int) -> Verdict | None:
        text, expressions = "", []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                text += part.value
            elif isinstance(part, cst.FormattedStringExpression):
                text += "\x00"
                expressions.append(part.expression)
        return self._template(text, form, expressions, scope, depth)

    def _percent(self, node: cst.BinaryOperation, scope: Scope, form: str, depth: int) -> Verdict | None:
        """``"localhost:%d" % port``, ``"%s:%d" % (HOST, PORT)``."""
        template = literal_string(node.left)
        if template is None:
            return None
        right = node.right
        if "%(" in template:  # fields by name, from a mapping
            values: list[cst.BaseExpression] = []
        else:
            values = [e.value for e in right.elements] if isinstance(right, cst.Tuple) else [right]
        text = _PERCENT_FIELD.sub(lambda m: "%" if m.group(0) == "%%" else "\x00", template)
        return self._template(text, form, values, scope, depth)

    def _format_call(self, node: cst.Call, scope: Scope, form: str, depth: int) -> Verdict | None:
        """``"localhost:{}".format(port)``, ``"{}:{}".format(HOST, PORT)``, ``"{host}:{port}".format(host=...)``."""
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "format":
            return None
        template = literal_string(func.value)
        if template is None:
            return None
        fields: list[str] = []

        def field(match: re.Match[str]) -> str:
            if match.group(1) is None:
                return match.group(0)[0]
            fields.append(match.group(1).split("!", 1)[0].split(":", 1)[0])
            return "\x00"

        text = _FORMAT_FIELD.sub(field, template)
        values: list[cst.BaseExpression] = []
        if fields:
            first = fields[0]
            position = int(first) if first.isdigit() else (0 if first == "" else None)
            value = _argument(node, first if position is None else None, position)
            if value is not _ABSENT and value is not _UNKNOWN:
                values.append(value)
        return self._template(text, form, values, scope, depth)

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
        origin = f"the environment default of {variable}" if variable else "an environment default"
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
            return Verdict("configurable", self.argparse_defaults[attr], f"the default of option --{attr.replace('_', '-')}")
        for qualname in self._owners(node.value, scope, attr):
            owner = qualname[:-2] if qualname.endswith("()") else qualname
            found = self.class_defaults.get((owner, attr))
            if found is not None:
                host, what = found
                return Verdict("configurable", host, f"the default of {what} {owner.rsplit('.', 1)[-1]}.{attr}")
        return self._project_setting(node, scope)

    def _owners(self, node: cst.BaseExpression, scope: Scope, attr: str) -> list[str]:
        """What ``node`` (the owner of ``attr``) may be: its qualified names, or for ``self`` the class and
        its bases, unless a method of the class assigns ``self.<attr>`` (an instance value hides the
        class default)."""
        owners = list(self.ctx.qualnames(node, scope))
        mine = self_names(self.ctx, node, scope)
        if mine and not any((name.removesuffix("()"), attr) in self.instance_attributes for name in mine):
            owners += mine
        return owners

    def _project_setting(self, node: cst.BaseExpression, scope: Scope) -> Verdict | None:
        """A name or attribute the project model knows a literal of, in another module: a module
        constant (a literal host) or a settings class field's default (a configurable host)."""
        found = self.ctx.project.setting(self.ctx.qualnames(node, scope), lambda v: isinstance(v, str) and self._is_loopback(v))
        if found is None:
            return None
        value, in_class, name = found
        return Verdict("configurable", value, f"the default of setting {name}") if in_class else Verdict("literal", value)

    # -- configuration files ---------------------------------------------------------
    def check(self, path: str, text: str) -> None:
        parts = path.replace("\\", "/").split("/")
        for entry in self.knowledge.get("config_files", ()):
            folder = entry.get("folder")
            if not any(fnmatch.fnmatchcase(parts[-1], p) for p in entry["files"]):
                continue
            if folder is not None and (len(parts) < 2 or parts[-2] != folder):
                continue
            self._setting(path, text, entry)

    def _setting(self, path: str, text: str, entry: Mapping[str, Any]) -> None:
        key = tuple(entry["key"])
        if key[-1] not in text:
            return
        try:
            value: Any = parse_toml_top_level(text)
        except ConfigSyntaxError:
            return  # not ours to report: a TOML file that does not parse is some other tool's
        for part in key:
            value = value.get(part) if isinstance(value, dict) else None
        values = value if isinstance(value, list) else [value]
        hosts = [self._literal(v, entry["form"]) if isinstance(v, str) else None for v in values]
        if not values or any(h is None for h in hosts):
            return
        where = toml_path_position(text, key)
        span = Span(where.line, where.column, where.line, where.end_column) if where else Span(1, 1, 1, 2)
        self.judge_setting(span, entry["name"], Verdict("literal", " ".join(h.host for h in hosts if h)), path)


def _true(node: Any) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _development(site: _Site) -> bool:
    """A call that turns on the library's auto-reloader (``uvicorn.run(..., reload=True)``,
    ``app.run(debug=True)``: the entry's ``development`` arguments, each ``True`` unless its
    ``unless`` argument is ``False``): a developer's command, not the server a pod runs."""
    call = site.call
    if call is None:
        return False
    for spec in site.entry.get("development", ()):
        if _true(_argument(call, spec["keyword"], None)):
            unless = spec.get("unless")
            off = _argument(call, unless, None) if unless else None
            if not (isinstance(off, cst.Name) and off.value == "False"):
                return True
    return False


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
            self.report(site.node, f"{site.entry['name']} binds to {_addresses(found.host)}")

    def judge_setting(self, span: Span, name: str, verdict: Verdict, path: str) -> None:
        self.report_at(span, f"{name} binds to {_addresses(verdict.host)}")


def _addresses(hosts: str) -> str:
    return f"loopback addresses {hosts!r}" if " " in hosts else f"loopback address {hosts!r}"


class LoopbackByDefault(_BindDetector):
    code = "SL302"

    def judge(self, site: _Site) -> None:
        entry = site.entry
        default = entry.get("default")
        if not default or not self._is_loopback(str(default)):
            return
        if site.value is _ABSENT:
            how = "has no host"
        else:
            given = _default_value(site.value)
            if given is _ABSENT or given not in entry.get("default_for", ()):
                return
            how = f"is given the host {given!r}"
        unless = f"The environment variable {entry['environment']} overrides that default when set" if entry.get("environment") else None
        self.report(site.node, f"{entry['name']} {how}, so it listens on {default!r} by default", hint=self.hint(unless))


class LoopbackConfigurableDefault(_BindDetector):
    code = "SL303"

    def judge(self, site: _Site) -> None:
        found = self.verdict(site)
        if found is not None and found.kind == "configurable":
            self.report(
                site.node,
                f"{site.entry['name']} falls back to {found.host!r} ({found.origin})",
            )


__all__ = ["ExplicitLoopbackBind", "LoopbackByDefault", "LoopbackConfigurableDefault", "dotted_name"]
