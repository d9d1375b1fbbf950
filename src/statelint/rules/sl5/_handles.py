"""The objects SL5 follows from creation to stop: where each is kept and what is done to it.

Built once per file on top of :class:`~statelint.analyses.shutdown.ShutdownIndex`. Keys that
hold the same object are merged (``self._thread = t``, ``threads.append(t)``,
``tasks = [create_task(...) ...]``), so a thread started through one name and joined
through another is still joined. This module holds no rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst

from statelint.analyses.shutdown import Event, ShutdownIndex, Storage


@dataclass(eq=False)
class Resource:
    """One object a call creates, and every operation applied to it (through any alias)."""

    call: Event
    storage: Storage | None  # None: passed on or returned (someone else manages it)
    key: str | None
    ops: list[Event]
    #: operations done only when a caller opts in (``if wait: t.join()``, ``wait=False``): not done by default
    opt_in_ops: list[Event] = field(default_factory=list)

    @property
    def escaped(self) -> bool:
        """Passed to a call, returned or yielded: its lifecycle is managed out of sight."""
        return self.storage is None or self.storage.kind in ("with", "await") or any(
            op.kind in ("arg", "with") for op in self.ops
        )

    @property
    def dropped(self) -> bool:
        """No handle is kept: nothing can join, cancel or shut it down."""
        if self.storage is None:
            return False
        target = self.storage.target
        return self.storage.kind in ("dropped", "chain") or (isinstance(target, cst.Name) and target.value == "_")

    def uses(self, methods: Iterable[str], *, index: ShutdownIndex | None = None) -> bool:
        """Whether a method of ``methods`` is called or referenced (on a shutdown path, if ``index``)."""
        wanted = set(methods)
        if self.storage is not None and self.storage.kind == "chain" and self.storage.method in wanted:
            return index is None
        return any(
            op.kind in ("method", "ref") and op.name in wanted and (index is None or index.on_shutdown(op))
            for op in self.ops
        )

    def only_when(self, methods: Iterable[str]) -> str | None:
        """The parameter a caller must set for a method of ``methods`` to be called (``wait`` in
        ``if wait: t.join()``); None when no such call waits on an opt-in."""
        return next((op.opt_in for op in self.opt_in_ops if op.kind in ("method", "ref") and op.name in methods), None)

    @property
    def polled(self) -> bool:
        """``while t.is_alive(): ...``: waited for until done."""
        return any(op.kind == "method" and op.name == "is_alive" and op.where.in_while for op in self.ops)

    @property
    def awaited(self) -> bool:
        return any(op.kind == "await" for op in self.ops)


def opt_in_lead(parameter: str) -> str:
    """What a hint says of a stop that only a caller overriding ``parameter``'s default gets."""
    return (f"The branch that stops it runs only when a caller overrides the default of `{parameter}`: by default "
            "nothing stops it, and no shutdown path tells it to")


def _matches(key: str | None, group: set[str], base: str) -> bool:
    """``key`` designates an object of ``group``; ``a:x`` (any object's ``x``) matches any class's ``x``."""
    if key is None:
        return False
    if key in group:
        return True
    if key == f"a:{base}":
        return any(k.startswith("s:") and k.endswith(f":{base}") for k in group)
    return key.startswith("s:") and key.endswith(f":{base}") and f"a:{base}" in group


class Lifecycles:
    """Resources of one module; merged aliases; shared by the SL5 rules through ``index.cache``."""

    @classmethod
    def of(cls, index: ShutdownIndex) -> Lifecycles:
        found = index.cache.get("sl5:lifecycles")
        if found is None:
            found = index.cache["sl5:lifecycles"] = cls(index)
        return found

    def __init__(self, index: ShutdownIndex) -> None:
        self.index = index
        self._parent: dict[str, str] = {}
        for alias in index.aliases:
            left = index.key(alias.subject, alias.scope, alias.where)
            right = index.key(alias.other, alias.scope, alias.where)
            if left is not None and right is not None:
                self._union(left, right)
        self._groups: dict[str, set[str]] = {}
        for key in list(self._parent):
            self._groups.setdefault(self._find(key), set()).add(key)

    def _find(self, key: str) -> str:
        parent = self._parent.setdefault(key, key)
        while parent != key:
            grand = self._parent[parent]
            self._parent[key] = grand
            key, parent = parent, grand
        return key

    def _union(self, left: str, right: str) -> None:
        a, b = self._find(left), self._find(right)
        if a != b:
            self._parent[a] = b

    def group(self, key: str) -> set[str]:
        if key not in self._parent:
            return {key}
        return self._groups[self._find(key)]

    def resource(self, call: Event) -> Resource:
        index = self.index
        storage = index.storage.get(id(call.node))
        key = None
        ops: list[Event] = []
        opt_in: list[Event] = []
        # kept in a name, an attribute or a container (an awaited result too: ``nc = await nats.connect()``)
        if storage is not None and storage.scope is not None and storage.target is not None:
            key = index.key(storage.target, storage.scope, storage.where or call.where)
        if key is not None:
            group = self.group(key)
            for base in {k.rsplit(":", 1)[-1] for k in group}:
                ops.extend(op for op in index.ops.get(base, ()) if _matches(index.event_key(op), group, base))
                opt_in.extend(op for op in index.opt_in_ops.get(base, ()) if _matches(index.event_key(op), group, base))
        return Resource(call, storage, key, ops, opt_in)

    def describe(self, resource: Resource) -> str:
        """How a message names the handle: ``t``, ``self._thread``, ``the list threads``."""
        storage = resource.storage
        if storage is None or storage.target is None:
            return ""
        text = self.index.ctx.module.code_for_node(storage.target)
        return f"the container `{text}`" if storage.kind == "container" else f"`{text}`"


__all__ = ["Lifecycles", "Resource", "opt_in_lead"]
