"""Source positions of CST nodes, for findings and facts.

libcst's ``MetadataWrapper(...).resolve(PositionProvider)`` first runs a batched
visit over the whole tree (rebuilding every node, for no provider at all) and only
then the code-generation pass that records positions: the visit is a third of the
cost. This runs libcst's own position-recording code generation directly, so the
ranges are exactly libcst's; if libcst's internals ever move, it falls back to the
public way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst


def compute_positions(module: cst.Module) -> Mapping[cst.CSTNode, Any]:
    """Every node's ``CodeRange`` (what ``PositionProvider`` gives)."""
    from libcst.metadata import PositionProvider

    try:
        from libcst.metadata.position_provider import PositionProvidingCodegenState

        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=provider,
        )
        codegen = module._codegen
        computed = provider._computed
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - a future libcst
        return cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    codegen(state)
    return computed
