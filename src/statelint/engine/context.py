"""What a rule sees of the file it is checking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import libcst as cst

from statelint.engine.names import NameResolver, Scope
from statelint.model import Span
from statelint.project.model import EMPTY_VIEW, ModuleView

T = TypeVar("T")


@dataclass
class FileContext:
    """One parsed Python file, shared by every rule in the traversal.

    Metadata is expensive in libcst, so nothing is resolved up front: positions
    are computed only once a finding needs one, and other providers only when a
    rule asks for them through :meth:`metadata`.
    """

    path: str
    source: str
    module: cst.Module
    resolver: NameResolver
    scope: Scope = field(init=False)
    #: CPython's tree of the same source, when the prefilter built one (positions read statement lines from it)
    syntax_tree: Any = field(default=None, init=False, repr=False)
    #: what the project model tells about this module (who calls its functions, what names of
    #: other modules stand for); an empty view when the run has no model
    project: ModuleView = field(default_factory=lambda: EMPTY_VIEW, init=False, repr=False)
    #: analyses of the whole file that several rules share (module state, shutdown events), by name
    shared: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _positions: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.scope = self.resolver.module_scope

    def analysis(self, name: str, build: Callable[[FileContext], T]) -> T:
        """The shared analysis ``name`` of this file: ``build(self)`` by whichever rule asks first."""
        found: T | None = self.shared.get(name)
        if found is None:
            found = self.shared[name] = build(self)
        return found

    @property
    def module_name(self) -> str:
        return self.resolver.module_name

    @property
    def basename(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]

    # -- names -----------------------------------------------------------------------
    def qualnames(self, node: cst.CSTNode, scope: Scope | None = None) -> frozenset[str]:
        """Qualified names ``node`` may refer to, seen from ``scope`` (default: the current one);
        iterated in sorted order (:class:`~statelint.engine.names.QualifiedNames`), so first matches agree across runs."""
        return self.resolver.resolve(node, scope or self.scope)

    def match(self, node: cst.CSTNode, names: Any, scope: Scope | None = None) -> str | None:
        """The first qualified name of ``node`` (in sorted order: runs must agree) found in ``names``, or
        None; also None when the name ``node`` starts from may be the project's own definition instead
        (see :meth:`stands_in`)."""
        for name in self.qualnames(node, scope):
            if name in names:
                return None if self.stands_in(node, scope or self.scope) else name
        return None

    def stands_in(self, node: cst.CSTNode, scope: Scope) -> bool:
        """Whether the name ``node`` starts from is bound both to a library's definition and to one of
        the project's own, as a stand-in on another branch (``if limits: from flask_limiter import
        Limiter`` / ``else: from .no_limiter import Limiter``): which one runs is not known here, so
        what the catalog knows of the library is not assumed."""
        head = node.func if isinstance(node, cst.Call) else node
        while isinstance(head, cst.Attribute):
            head = head.value
        if not isinstance(head, cst.Name):
            return False
        bindings = self.resolver.lookup(head.value, scope)
        if len(bindings) < 2 or any(b.kind not in ("import", "def", "class") for b in bindings):
            return False
        own = [b for b in bindings if b.kind != "import" or self._project_name(b.target or "")]
        return 0 < len(own) < len(bindings)

    def _project_name(self, qualname: str) -> bool:
        model = self.project.model
        if model is not None:
            return not model.external(qualname)
        return qualname.split(".", 1)[0] == self.module_name.split(".", 1)[0]

    def applied(self, decorator: cst.BaseExpression, scope: Scope | None = None) -> frozenset[str]:
        """What applying ``decorator`` amounts to, through the project's own decorators: ``@cached_for(10)``
        whose inner function returns ``functools.lru_cache(maxsize=256)(fn)`` applies ``functools.lru_cache()``."""
        out: set[str] = set()
        for name in self.qualnames(decorator, scope):
            for result in self.project.expand(f"{name}()"):
                if result.endswith("()"):
                    out.add(result[:-2])
        return frozenset(out)

    def span(self, node: cst.CSTNode) -> Span:
        code_range = self._lazy_positions()[node]
        return Span(
            code_range.start.line,
            code_range.start.column + 1,
            code_range.end.line,
            code_range.end.column + 1,
        )

    def prefetch(self, nodes: list[cst.CSTNode]) -> None:
        """Compute the positions of ``nodes`` together: one code generation per statement holding them."""
        if nodes:
            self._lazy_positions().prefetch(nodes)

    def close(self) -> None:
        """Let go of the file once its findings are out. The analyses refer back to the
        context and the tree (a scope to its bindings and back, the shared analyses to
        ``ctx``); broken here, reference counting frees the whole file at once, where the
        cyclic collector would have to walk every node first (a tenth of a cold run)."""
        for analysis in self.shared.values():
            close = getattr(analysis, "close", None)
            if close is not None:
                close()
        self.shared.clear()
        self.resolver.close()
        self._positions = self.syntax_tree = None

    def _lazy_positions(self) -> Any:
        if self._positions is None:
            from statelint.engine.positions import LazyPositions

            self._positions = LazyPositions(self.module, self.source, self.syntax_tree)
        return self._positions
