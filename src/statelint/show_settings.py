"""``statelint check --show-settings PATH``: the settings one file (or folder) is checked with.

Which configuration file applies (and the files it extends), the project root and
cache folder that follow from it, the rules in effect for the file once per-file
ignores and overrides are applied, their options' effective values, the exclusions,
and whether the file counts as deployed code. Values are written as TOML would
write them, so that one can be copied into a configuration file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from statelint.catalog import Catalog
from statelint.config.settings import Settings, path_matches
from statelint.engine.discovery import excluded, shown


def describe(path: Path, settings: Settings, catalog: Catalog, cwd: Path, cache_dir: Path | None) -> dict[str, Any]:
    """What ``path`` (a file or folder) is checked with, as plain data."""
    path = Path(os.path.normpath(path.absolute()))
    display = shown(path, settings, cwd)
    # A folder is matched as a folder (``svc/``): patterns such as ``svc/*`` and ``svc/`` apply to it.
    probe = display.rstrip("/") + "/" if path.is_dir() else display
    ignores = settings.path_ignores(probe)
    rules = [code for code in settings.enabled if not any(code.startswith(off) for off in ignores)]
    relative = settings.project_path(probe)
    candidates = {probe, relative}
    return {
        "path": display,
        "config_file": _text(settings.config_path),
        "extends": [_text(file) for file in settings.extends],
        "project_root": str(settings.root),
        "cache_dir": _text(cache_dir),
        "rules": rules,
        "off_for_this_path": [code for code in settings.enabled if code not in rules],
        "options": {code: settings.options_for(code, probe) for code in rules if catalog.rules[code].options},
        "per_file_ignores": [
            {"pattern": pattern, "codes": list(codes)}
            for pattern, codes in settings.per_file_ignores
            if any(path_matches(c, pattern) for c in candidates)
        ],
        "overrides": [
            _override(index, override)
            for index, override in enumerate(settings.overrides)
            if any(path_matches(c, p) for c in candidates for p in override.paths)
        ],
        "exclude": list(settings.exclude),
        "extend_exclude": list(settings.extend_exclude),
        "excluded": excluded(path, settings, is_dir=path.is_dir()),
        "respect_gitignore": settings.respect_gitignore,
        "not_deployed": list(settings.not_deployed),
        "not_deployed_match": _not_deployed_match(relative, settings.not_deployed),
        "vendored": _vendored(path) if settings.not_deployed else None,
        "file_timeout": settings.file_timeout,
        "severity": settings.severity,
        "fail_on": settings.fail_on,
    }


def _override(index: int, override: Any) -> dict[str, Any]:
    """An override that applies, as the configuration wrote it (codes expanded from prefixes)."""
    out: dict[str, Any] = {"index": index, "path": list(override.paths)}
    if override.select is not None:
        out["select"] = list(override.select)
    for key, codes in (("extend-select", override.extend_select), ("ignore", override.ignore)):
        if codes:
            out[key] = list(codes)
    if override.options:
        out["options"] = override.options
    return out


def _text(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _not_deployed_match(relative: str, patterns: tuple[str, ...]) -> str | None:
    """The first ``not-deployed`` pattern ``relative`` (to the project root) matches, if any."""
    from statelint.project.model import not_deployed

    return next((pattern for pattern in patterns if not_deployed(relative, (pattern,))), None)


def _vendored(path: Path) -> str | None:
    """The library a Python file is a single-file copy of, as its header names it (see
    :mod:`statelint.project.vendored`); None for any other path, or a file that cannot be read."""
    import ast

    from statelint.engine.analyze import _module_name, package_chain
    from statelint.project.vendored import header_library, vendored

    if path.suffix not in (".py", ".pyi") or not path.is_file():
        return None
    try:
        tree = ast.parse(path.read_bytes())
        chain = package_chain(str(path.parent))
        module, is_package = _module_name(path.name, chain)
        library = header_library(tree, module, is_package)
        if not library:
            return None
        top_init = path.parent.joinpath(*[".."] * (len(chain) - 1), "__init__.py")
        literals = {
            f"{module.split('.', 1)[0]}.__author__": _author(ast.parse(top_init.read_bytes())) if top_init.is_file() else None,
            f"{module}.__author__": _author(tree),
        }
    except (OSError, SyntaxError, ValueError):
        return None
    return library if vendored(module, library, {k: v for k, v in literals.items() if v is not None}) else None


def _author(tree: Any) -> str | None:
    """The string a module binds ``__author__`` to at its top, if any."""
    import ast

    for statement in tree.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
            if any(isinstance(t, ast.Name) and t.id == "__author__" for t in statement.targets):
                return str(statement.value.value)
    return None


def render_json(described: dict[str, Any]) -> str:
    return json.dumps(described, indent=2, ensure_ascii=False) + "\n"


def render_text(described: dict[str, Any]) -> str:
    """The description as aligned ``name: value`` lines, values as TOML writes them."""
    rows: list[tuple[str, str]] = [
        ("configuration file", described["config_file"] or "none (defaults)"),
        *(("extends", file) for file in described["extends"]),
        ("project root", described["project_root"]),
        ("cache dir", described["cache_dir"] or "none"),
        (f"rules ({len(described['rules'])})", ", ".join(described["rules"]) or "none"),
        ("off for this path", ", ".join(described["off_for_this_path"]) or "none"),
        *(("per-file-ignores", f"{_value(entry['pattern'])} = {_value(entry['codes'])}") for entry in described["per_file_ignores"]),
        *(("overrides", _override_text(entry)) for entry in described["overrides"]),
        ("exclude", _value(described["exclude"])),
        ("extend-exclude", _value(described["extend_exclude"])),
        ("excluded", "yes" if described["excluded"] else "no"),
        ("respect-gitignore", _value(described["respect_gitignore"])),
        ("not-deployed", _value(described["not_deployed"])),
        ("deployed", _deployed_text(described)),
        ("file-timeout", f"{described['file_timeout']:g} seconds" if described["file_timeout"] else "no limit"),
        ("severity", _value(described["severity"]) if described["severity"] else "none (every finding is reported)"),
        ("fail-on", _value(described["fail_on"]) if described["fail_on"] else "none (any finding fails the run)"),
    ]
    width = max(len(name) for name, _ in rows) + 2
    lines = [f"Settings for {described['path']}"]
    lines += [f"  {name + ':':<{width}}{value}" for name, value in rows]
    lines.append("  options:" if described["options"] else "  options: none")
    for code, values in described["options"].items():
        lines += [f"    {code}.{name} = {_value(value)}" for name, value in values.items()]
    return "\n".join(lines) + "\n"


def _deployed_text(described: dict[str, Any]) -> str:
    if described["not_deployed_match"]:
        return f"no (not-deployed pattern {_value(described['not_deployed_match'])})"
    if described["vendored"]:
        return f"no (a copy of the library {described['vendored']}: its header says so)"
    return "yes"


def _override_text(entry: dict[str, Any]) -> str:
    """``overrides[0]: path = ["ops/"], ignore = ["SL301"]``."""
    keys = ", ".join(f"{key} = {_value(value)}" for key, value in entry.items() if key != "index")
    return f"overrides[{entry['index']}]: {keys}"


def _value(value: Any) -> str:
    """``value`` as TOML writes it (a string in double quotes, booleans in lower case, lists)."""
    return json.dumps(value, ensure_ascii=False)
