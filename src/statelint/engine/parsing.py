"""libcst's parser, without the node validation it runs on every node it builds.

Each libcst node validates itself in ``__post_init__`` (whitespace holds only
whitespace, parentheses pair up, ...): a sixth of the parse time, spent checking
what the parser has just built from valid source. libcst's own code notes that the
work belongs elsewhere ("PERF: ... avoid validating the tree when parsing a file").
This skips it for the duration of a parse, and only while ``__post_init__`` does
nothing but validate: a libcst version that puts more there keeps it.

The cyclic garbage collector is paused around the parse and the walk that follows
it by the caller (:func:`statelint.engine.analyze.analyze`), not here.
"""

from __future__ import annotations

import libcst as cst
from libcst._nodes.base import CSTNode

_POST_INIT = CSTNode.__post_init__


def _no_validation(self: CSTNode) -> None:
    """Stands in for ``CSTNode.__post_init__`` while the parser builds a tree."""


def _only_validates() -> bool:
    code = getattr(_POST_INIT, "__code__", None)
    return code is not None and code.co_names == ("_validate",)


_SKIPPABLE = _only_validates()


def parse_module(text: str) -> cst.Module:
    """``libcst.parse_module(text)``, the same tree, about a fifth faster."""
    if not _SKIPPABLE or CSTNode.__post_init__ is not _POST_INIT:
        return cst.parse_module(text)  # someone else patched it: leave it alone
    CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    finally:
        CSTNode.__post_init__ = _POST_INIT  # type: ignore[method-assign]
