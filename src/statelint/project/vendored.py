"""Single-file copies of other projects' libraries, told from their header.

A library copied into a service's package (``pypiserver/bottle_wrapper/bottle.py``) keeps the
header of the project it comes from: its own ``__author__``, ``__version__`` and ``__license__``,
and a docstring naming it (``Bottle is a fast and simple micro-framework ...``). That code is
not the service's: what it could do the service does only through the calls it makes, which the
rules judge where they are made. Like a ``vendor/`` folder it is not deployed code (see the
``not-deployed`` setting; ``not-deployed = []`` reports it too).

The evidence asked for is all of: a module inside a package (not its ``__init__``), whose file name
is not the top-level package's; the three header names bound to strings at the module's top; a
docstring whose first word is the file's name (``Bottle is ...`` in ``bottle.py``); and an
``__author__`` other than the one the top-level package declares, when it declares one. A project's own modules rarely carry a
header of their own, and never one naming a different author.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

#: What a copied library's module binds at its top (PEP 8's "module level dunder names").
HEADER = ("__author__", "__version__", "__license__")
_HEAD_STATEMENTS = 40  # a header is at the top of the file
#: The first word of a docstring: a library's header starts with its name (``Bottle is a fast ...``).
_FIRST_WORD = re.compile(r"\s*([A-Za-z_]\w*)")


def header_library(tree: ast.Module, module: str, is_package: bool) -> str:
    """The library ``module`` is a single-file copy of, as its docstring names it (``Bottle``); "" when
    the header does not say it is one (see the module docstring)."""
    if is_package or "." not in module:
        return ""
    top, stem = module.split(".", 1)[0], module.rsplit(".", 1)[1]
    if stem.lower() == top.lower():
        return ""
    bound = set()
    for statement in tree.body[:_HEAD_STATEMENTS]:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
            if isinstance(target, ast.Name) and target.id in HEADER and isinstance(value, ast.Constant):
                if isinstance(value.value, str):
                    bound.add(target.id)
    if bound != set(HEADER):
        return ""
    found = _FIRST_WORD.match(ast.get_docstring(tree) or "")
    return found.group(1) if found and found.group(1).lower() == stem.lower() else ""


def vendored(module: str, library: str, literals: Mapping[str, object]) -> bool:
    """Whether ``module``, whose header names ``library``, is a copy of another project's code: its
    ``__author__`` is not the one its top-level package declares (``literals``: module-level literals
    by qualified name, as summaries record them)."""
    if not library:
        return False
    top = module.split(".", 1)[0]
    own = literals.get(f"{top}.__author__")
    return own is None or own != literals.get(f"{module}.__author__")


__all__ = ["HEADER", "header_library", "vendored"]
