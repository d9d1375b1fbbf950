"""URL paths and handler names, as routes, probes and the SL6 rules' declarations read them.

Plain string functions: the route finder (:mod:`statelint.analyses.routes`), the health rules
(:mod:`statelint.rules.sl6._project`) and what those rules require of a file's summary
(:mod:`statelint.engine.shapes`) must read a path, and tell a health path, the same way.
Nothing here imports libcst.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_REGEX_META = re.compile(r"[\\\[\](){}*+?|.^$]")


def normalize(path: str) -> str:
    """A URL path without query, fragment, or leading and trailing slashes."""
    return path.split("?", 1)[0].split("#", 1)[0].strip("/")


def plain_path(path: str, style: str) -> str | None:
    """``/healthz`` for a route without parameters, as a probe would request it; else None.
    ``style`` is how the route is written: ``template`` (``/users/<id>``) or ``regex`` (``^users/$``)."""
    if style == "regex":
        text = path.removeprefix("^").removesuffix("$").removesuffix("/?").replace("\\/", "/").replace("\\-", "-")
        if _REGEX_META.search(text):
            return None
    elif "<" in path or "{" in path:
        return None
    else:
        text = path
    return "/" + normalize(text)


def name_tokens(name: str) -> list[str]:
    """``readiness_check`` / ``isReady`` -> lower-case words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[_\W]+", spaced.lower()) if t]


@lru_cache(maxsize=16)
def health_path(pattern: str) -> Callable[[str], bool]:
    """Whether a path as written, read as a template or as a regex, is a health path for the regex
    ``pattern`` (the option ``health-paths``)."""
    regex = re.compile(pattern)

    @lru_cache(maxsize=4096)
    def healthy(path: str) -> bool:
        return any(p is not None and regex.search(p) is not None for p in (plain_path(path, "template"), plain_path(path, "regex")))

    return healthy


__all__ = ["health_path", "name_tokens", "normalize", "plain_path"]
