"""What the receiver of a method call stands for, where the file's names alone resolve nothing.

:class:`~statelint.engine.names.NameResolver` resolves parameters to nothing, so that a
parameter named ``app`` never looks like Flask. Two kinds of receivers still say what
they are, and the rules that need them ask here:

* ``self.server`` in a method: the class's instance, whose attributes the project model
  knows from what the class's methods assign (``self.server = grpc.server(pool)``, in this
  module or a base class's). :func:`self_names` spells the chain as the project summaries
  do (``pkg.Svc().server.add_insecure_port``) and adds what the model expands it to.
* a parameter annotated with a class (``server: grpc.Server``, ``"grpc.aio.Server"``,
  ``Optional[grpc.Server]``), or one that a call in the same module passes an object to
  (``add_ports(grpc.server(pool))``): :func:`parameter_types`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from statelint.analyses.syntax import ABSENT, UNKNOWN, argument
from statelint.engine.context import FileContext
from statelint.engine.names import Binding, Scope

_NOT_INSTANCE_DECORATORS = frozenset({"staticmethod", "classmethod"})


def attribute_chain(node: cst.BaseExpression) -> tuple[cst.Name, list[str]] | None:
    """``self.a.b`` -> (``self``, ["a", "b"]); None for anything but a name followed by attributes."""
    attrs: list[str] = []
    while isinstance(node, cst.Attribute):
        attrs.append(node.attr.value)
        node = node.value
    return (node, attrs[::-1]) if isinstance(node, cst.Name) else None


def _single_param(ctx: FileContext, name: cst.Name, scope: Scope) -> Binding | None:
    bindings = ctx.resolver.lookup(name.value, scope)
    if len(bindings) == 1 and bindings[0].kind == "param" and isinstance(bindings[0].node, cst.Param):
        return bindings[0]
    return None


def self_class(ctx: FileContext, name: cst.Name, scope: Scope) -> str | None:
    """The qualified name of the class whose instance ``name`` is, when it is the first parameter
    of a plain method (not a static or class method) of a class defined in this file."""
    binding = _single_param(ctx, name, scope)
    if binding is None:
        return None
    function, owner = binding.scope.node, binding.scope.parent
    if not isinstance(function, cst.FunctionDef) or owner is None or owner.kind != "class":
        return None
    if any(isinstance(d.decorator, cst.Name) and d.decorator.value in _NOT_INSTANCE_DECORATORS for d in function.decorators):
        return None
    params = [*function.params.posonly_params, *function.params.params]
    return owner.prefix if params and params[0] is binding.node else None


def self_names(ctx: FileContext, node: cst.BaseExpression, scope: Scope) -> list[str]:
    """``pkg.Svc().server.add_insecure_port`` for ``self.server.add_insecure_port`` in a method of
    ``pkg.Svc``, then what the project model expands that to; [] when ``node`` is not rooted at ``self``."""
    chain = attribute_chain(node)
    if chain is None:
        return []
    root, attrs = chain
    klass = self_class(ctx, root, scope)
    if klass is None:
        return []
    name = ".".join([f"{klass}()", *attrs])
    return [name, *sorted(ctx.project.expand(name))]


def parameter_types(
    ctx: FileContext, name: cst.Name, scope: Scope, calls: Iterable[tuple[cst.Call, Scope]]
) -> set[str]:
    """What a parameter holds, as instances (``grpc.Server()``): its annotation's classes, else
    what the module's own calls of its function pass for it (``calls``: every call of the module,
    with its scope). Methods are left out: their calls go through receivers that do not resolve."""
    binding = _single_param(ctx, name, scope)
    if binding is None:
        return set()
    param = binding.node
    assert isinstance(param, cst.Param)
    if param.annotation is not None:
        outer = binding.scope.parent or binding.scope  # annotations are evaluated where the function is defined
        return {f"{q}()" for expr in _annotation_classes(param.annotation.annotation) for q in _names(ctx, expr, outer)}
    function = binding.scope.node
    if not isinstance(function, cst.FunctionDef) or (binding.scope.parent and binding.scope.parent.kind == "class"):
        return set()
    positional = [*function.params.posonly_params, *function.params.params]
    position = positional.index(param) if param in positional else None
    found: set[str] = set()
    for call, call_scope in calls:
        if binding.scope.prefix not in ctx.qualnames(call.func, call_scope):
            continue
        value = argument(call, param.name.value, position)
        if value is not ABSENT and value is not UNKNOWN:
            found |= set(ctx.qualnames(value, call_scope))
    return found


def _names(ctx: FileContext, node: cst.BaseExpression, scope: Scope) -> set[str]:
    """Qualified names of an expression, also one parsed from a string annotation: the resolver's
    cache is keyed by object identity, which a parsed expression, once freed, hands on to another
    node (asking below the top level skips the cache; the project's expansions are added here)."""
    names = set(ctx.resolver.resolve(node, scope, 1))
    return names.union(*(ctx.project.expand(name) for name in names))


def _annotation_classes(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The classes an annotation names: ``X``, ``"X"``, ``X | None``, ``Optional[X]``, ``Union[X, Y]``."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = node.evaluated_value
        if isinstance(text, str):
            try:
                yield from _annotation_classes(cst.parse_expression(text))
            except cst.ParserSyntaxError:
                return
    elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        yield from _annotation_classes(node.left)
        yield from _annotation_classes(node.right)
    elif isinstance(node, cst.Subscript):
        head = node.value.attr.value if isinstance(node.value, cst.Attribute) else getattr(node.value, "value", "")
        if head in ("Optional", "Union"):
            for element in node.slice:
                if isinstance(element.slice, cst.Index):
                    yield from _annotation_classes(element.slice.value)
    elif isinstance(node, (cst.Name, cst.Attribute)):
        yield node


__all__ = ["attribute_chain", "parameter_types", "self_class", "self_names"]
