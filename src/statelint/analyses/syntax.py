"""Small syntax helpers shared by rule families: string literals and call arguments."""

from __future__ import annotations

from typing import Any

import libcst as cst

ABSENT: Any = object()  # the call does not pass the argument
UNKNOWN: Any = object()  # it may, through *args or **kwargs


def literal_string(node: cst.CSTNode) -> str | None:
    """The value of a plain (non-f, non-bytes) string literal, else None."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def argument(call: cst.Call, keyword: str | None, position: int | None) -> Any:
    """The expression passed for a parameter, ``ABSENT``, or ``UNKNOWN`` behind ``*args``/``**kwargs``."""
    positional = []
    starred = False
    for arg in call.args:
        if arg.star:
            starred = True
        elif arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
        else:
            positional.append(arg.value)
    if position is not None and len(positional) > position:
        return positional[position]
    return UNKNOWN if starred else ABSENT
