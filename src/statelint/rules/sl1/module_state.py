"""SL101-SL103: module-level containers and globals written at run time.

All three read the file's :class:`~statelint.analyses.state.ModuleState`. SL101 and
SL102 judge one module; SL103 emits per-file facts (containers a module defines,
imported names its functions mutate) and joins them after the scan, so it stays
correct when files are analysed in parallel or served from a per-file cache.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, NamedTuple

import libcst as cst

from statelint.analyses.state import Container, ModuleState, Rebind, StateRule, Write
from statelint.analyses.state_code import bound_name
from statelint.engine.names import Scope, dotted_name
from statelint.engine.requirements import Requires

_AUGMENTED = ("+=", "-=", "*=", "/=", "//=", "%=", "**=", "|=", "&=", "^=", ">>=", "<<=", "@=")
_EXTERNAL = frozenset(sys.stdlib_module_names) | {"builtins"}


def container_needles(knowledge: Mapping[str, Any], extra: Iterable[str]) -> tuple[str, ...]:
    """Text that must occur where a module creates a container: `= {`, `= [`, `defaultdict(` ..."""
    needles = {"= {", "={", "= [", "=["}
    for qualname in (*knowledge.get("container_calls", ()), *extra):
        module, _, tail = qualname.rpartition(".")
        if module == "builtins":
            needles |= {f"= {tail}(", f"={tail}("}
        else:
            needles.add(tail)  # bare: the import names it even when the call uses an alias
    return tuple(sorted(needles))


def mutation_needles(knowledge: Mapping[str, Any]) -> tuple[str, ...]:
    """Text that must occur where code mutates a container: `] =`, `.append(`, `del ` ..."""
    needles = {"]=", "] =", "del "}
    needles |= {f"]{op}" for op in _AUGMENTED} | {f"] {op}" for op in _AUGMENTED}
    needles |= {f".{method}(" for method in knowledge.get("mutating_methods", ())}
    needles |= {entry["call"].rsplit(".", 1)[-1] for entry in knowledge.get("mutating_functions", ())}
    return tuple(sorted(needles))


def describe(scope: Scope) -> str:
    """```handler()``` or ```Cache.put()``` (quoted) for the function a write sits in, or "a lambda"."""
    node = scope.node
    if not isinstance(node, cst.FunctionDef):
        return "a lambda"
    name = node.name.value
    parent = scope.parent
    if parent is not None and parent.kind == "class" and isinstance(parent.node, cst.ClassDef):
        return f"`{parent.node.name.value}.{name}()`"
    return f"`{name}()`"


class MutatedModuleContainer(StateRule):
    code = "SL101"
    requires = Requires(writes=["module-containers"])

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        return container_needles(knowledge, options.get("extra-container-classes", ()))

    def judge(self, state: ModuleState) -> None:
        sites: dict[str, list[_Mutation]] = {}
        for mutation in self._mutations(state):
            sites.setdefault(mutation.container.name, []).append(mutation)
        for name, found in sites.items():
            if all(site.memo for site in found):
                continue  # a memo table of a pure function
            stored = {site.stores_resource for site in found}
            if True in stored and False not in stored:
                continue  # a registry of this process's own threads, sockets, SSL contexts: nothing to share
            first = found[0]
            line = self.span(first.node).line
            message = f"module {first.container.kind} `{name}` is mutated {self.when(first.scope)} ({first.where}, line {line})"
            self.report(first.container.target, message, **self.explain(first.scope))

    def _mutations(self, state: ModuleState) -> Iterator[_Mutation]:
        """Run-time writes to module containers."""
        extra = tuple(self.options.get("extra-container-classes", ()))
        startup = self.startup()
        skip = state.clock_state().module_names  # reported as SL403
        for write in state.writes:
            container = state.container_for(write.root, write.scope, extra)
            if container is None or container.name in skip or state.log_once_container(container.name):
                continue
            if not state.runs_at_import(write.scope, startup):
                where = f"{write.how} in {describe(write.scope)}"
                memo = state.pure_memo(write) or state.filled_once(write, container.name)
                yield _Mutation(container, where, write.node, write.scope, memo, state.stores_resource(write))
        for rebind in state.rebinds:  # `global X; X += [...]` on a container mutates it in place
            container = state.container(rebind.target.value, extra) if rebind.augmented else None
            if container is not None and container.name not in skip and not state.runs_at_import(rebind.scope, startup):
                where = f"augmented assignment in {describe(rebind.scope)}"
                yield _Mutation(container, where, rebind.node, rebind.scope, False, False)


class _Mutation(NamedTuple):
    """A run-time write to a module container, as SL101 weighs it."""

    container: Container
    where: str  # "append() in `add()`"
    node: cst.CSTNode
    scope: Scope
    memo: bool  # a write of a pure function's memo table, or of a table filled once from unchanging data
    stores_resource: bool | None  # stores a process-local resource: True; nothing (pop, del): None; anything else: False


class ModuleNameRebound(StateRule):
    code = "SL102"
    needles: ClassVar[tuple[str, ...]] = ("global ",)
    requires = Requires(writes=["rebound-globals"])

    def judge(self, state: ModuleState) -> None:
        """One finding per module variable, at its module-level definition (where a suppression
        comment then lives, as for SL101), naming the first function that rebinds it."""
        startup = self.startup()
        skip = state.clock_state().module_names  # reported as SL403
        groups: dict[tuple[int, str], list[Rebind]] = {}
        for rebind in state.rebinds:
            groups.setdefault((id(rebind.scope.node), rebind.target.value), []).append(rebind)
        rebound: dict[str, list[Rebind]] = {}  # name -> the first kept rebind of each function
        for (_, name), rebinds in groups.items():
            if name.startswith("__") and name.endswith("__") or name in skip:
                continue
            kept = [r for r in rebinds if not _is_none(r.value) and not (r.augmented and state.container(name))]
            kept = [r for r in kept if not state.lazily_initialised(r) and not state.log_once_flag(r)]
            kept = [r for r in kept if r.value is None or not state.process_local(r.value, r.scope, 0)]
            if kept and not state.runs_at_import(kept[0].scope, startup):
                rebound.setdefault(name, []).append(kept[0])
        for name, firsts in rebound.items():
            first = firsts[0]
            line = self.span(first.target).line
            more = f"; {len(firsts) - 1} more function{'s' if len(firsts) > 2 else ''}" if len(firsts) > 1 else ""
            self.report(
                _definition(state, name) or first.target,
                f"module global `{name}` is rebound {self.when(first.scope)} (in {describe(first.scope)}, line {line}{more})",
                **self.explain(first.scope),
            )


def _definition(state: ModuleState, name: str) -> cst.Name | None:
    """Where the module first binds ``name`` at its top level (``_count = 0``), if it does."""
    for binding in state.module_scope.bindings(name):
        if binding.kind in ("assign", "unknown"):
            target = bound_name(binding.node, name)
            if target is not None:
                return target
    return None


def _is_none(value: cst.BaseExpression | None) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


class CrossModuleMutation(StateRule):
    """Where a name imported from another module is defined comes from the project model, which
    covers the whole project: a run on one file (pre-commit) reports what a run on all does."""

    code = "SL103"
    requires = Requires(writes=["imported-state"])

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        extra = options.get("extra-container-classes", ())
        return tuple(sorted({*container_needles(knowledge, extra), *mutation_needles(knowledge)}))

    def judge(self, state: ModuleState) -> None:
        startup = self.startup()
        calls = {*self.knowledge.get("container_calls", ()), *self.options.get("extra-container-classes", ())}
        sites: dict[str, list[tuple[Write, tuple[str, str]]]] = {}
        for write in state.writes:
            target = self._imported(write)
            if target is None or state.runs_at_import(write.scope, startup):
                continue
            origin = self.ctx.project.container(target, calls)
            if origin is not None and origin[1] != self.ctx.path:
                sites.setdefault(target, []).append((write, origin))
        for target, found in sites.items():
            first, origin = found[0]
            records = [{"how": w.how, "where": describe(w.scope)} for w, _ in found]
            message = _message(target, origin, records, self.when(first.scope))
            self.report(first.root, message, **self.explain(first.scope, "written", f"`{target}` is defined in {origin[1]}"))

    def _imported(self, write: Write) -> str | None:
        """The qualified name of an imported, non-stdlib module attribute the write goes through."""
        head = (dotted_name(write.root) or "").split(".")[0]
        if not head:
            return None
        bindings = self.ctx.resolver.lookup(head, write.scope)
        if not bindings or any(b.kind != "import" for b in bindings):
            return None
        for qualname in self.ctx.qualnames(write.root, write.scope):  # the file's own names first
            if qualname.split(".")[0] not in _EXTERNAL and "()" not in qualname:
                return qualname
        return None


def _message(target: str, origin: tuple[str, str], records: list[dict[str, Any]], when: str) -> str:
    """``origin``: the container's kind and the path of the file defining it (which the hint names)."""
    first = records[0]
    more = f" and {len(records) - 1} more" if len(records) > 1 else ""
    return f"imported {origin[0]} `{target}` is mutated {when} ({first['how']} in {first['where']}{more})"
