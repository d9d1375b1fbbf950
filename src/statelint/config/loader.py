"""Find, parse and validate configuration files.

A folder's configuration file is its ``.statelint.yaml`` (or ``.yml``),
``.statelint.toml``, ``statelint.toml``, or its ``pyproject.toml`` when that has a
``[tool.statelint]`` table, in that order; the closest one above a file applies to
it (see :mod:`statelint.workspace`). A file may ``extend`` another. Every problem
is a :class:`ConfigError` whose message names the file and the key, so the CLI can
print one line and exit 2.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from statelint.catalog import Catalog
from statelint.config.settings import (
    DEFAULT_EXCLUDES,
    DEFAULT_FILE_TIMEOUT,
    DEFAULT_NOT_DEPLOYED,
    MAX_FILE_TIMEOUT,
    SEVERITIES,
    Override,
    Settings,
)

if TYPE_CHECKING:
    import yaml

#: A folder's configuration file, by precedence (a pyproject.toml counts only with a statelint table).
CONFIG_NAMES = (".statelint.yaml", ".statelint.yml", ".statelint.toml", "statelint.toml", "pyproject.toml")
#: How messages name the keys of a pyproject.toml-style file.
PYPROJECT_PREFIX = "tool.statelint."
KNOWN_KEYS = {
    "extend",
    "select",
    "extend-select",
    "ignore",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "overrides",
    "respect-gitignore",
    "options",
    "file-timeout",
    "not-deployed",
    "extend-not-deployed",
    "severity",
    "fail-on",
}
OVERRIDE_KEYS = {"path", "select", "extend-select", "ignore", "options"}


class ConfigError(Exception):
    """A configuration problem; the message is ``file: key: problem``."""


def find_config_file(start: Path, memo: dict[Path, Path | None] | None = None) -> Path | None:
    """The closest config file from the folder ``start`` upward, or None; ``memo`` keeps the
    answer for each folder asked about (a pre-commit run names many files in few folders)."""
    visited: list[Path] = []
    found: Path | None = None
    for directory in (start, *start.parents):
        if memo is not None and directory in memo:
            found = memo[directory]
            break
        visited.append(directory)
        found = config_in(directory)
        if found is not None:
            break
    if memo is not None:
        memo.update(dict.fromkeys(visited, found))
    return found


def config_in(directory: Path, names: Collection[str] | None = None) -> Path | None:
    """``directory``'s own configuration file, or None; ``names``, when the caller listed the
    folder, are its entries (no file system call for a folder that has none of them)."""
    for name in CONFIG_NAMES:
        if names is not None and name not in names:
            continue
        candidate = directory / name
        if candidate.is_file() and (name != "pyproject.toml" or _has_statelint_table(candidate)):
            return candidate
    return None


def _has_statelint_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if "statelint" not in text:  # cheap: most pyproject files never mention us
        return False
    tool = _read_toml(path, text).get("tool", {})
    return isinstance(tool, dict) and "statelint" in tool


def _read_toml(path: Path, text: str) -> dict[str, Any]:
    """Parse ``text``; the TOML parser is imported only for a pyproject.toml that mentions statelint."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


def _read_yaml(path: Path, text: str) -> Any:
    """Compose the node graph (which constructs nothing), vet it, then build plain data.

    A tag such as ``!!python/object/apply`` or a duplicated key is reported with the
    key it sits under before any object is built. PyYAML is imported here: most
    projects configure statelint in pyproject.toml, and every run would pay for it.
    """
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _vet_yaml(path, node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {_yaml_problem(exc)}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    parts = [part for part in (exc.context, exc.problem) if part]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return " ".join(": ".join(parts).split()) + where


def _vet_yaml(path: Path, root: yaml.Node) -> None:
    """Reject tags outside plain data and duplicate keys, naming the key: the first in the file
    (depth first, in document order; iterative, and each node once: aliases may loop)."""
    import yaml

    # Plain data only: the tags PyYAML's safe loader builds (it refuses others, but names no key), and <<.
    plain = frozenset({*(tag for tag in yaml.SafeLoader.yaml_constructors if tag), "tag:yaml.org,2002:merge"})
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, str]] = [(root, "")]
    while pending:
        node, key = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in plain:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise ConfigError(
                f"{path}: {key or 'top level'}: invalid YAML: tag {tag!r} is not allowed, only plain data "
                f"(line {node.start_mark.line + 1})"
            )
        children: list[tuple[yaml.Node, str]] = []
        if isinstance(node, yaml.SequenceNode):
            children = [(item, f"{key}[{index}]") for index, item in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            lines: dict[tuple[str, str], int] = {}
            for name, value in node.value:
                shown = name.value if isinstance(name, yaml.ScalarNode) else "?"
                label = f"{key}.{shown}" if key else str(shown)
                if isinstance(name, yaml.ScalarNode) and name.tag != "tag:yaml.org,2002:merge":
                    line = name.start_mark.line + 1
                    if (name.tag, name.value) in lines:  # PyYAML would silently keep the last one
                        first = lines[(name.tag, name.value)]
                        where = f"line {line}" if first == line else f"lines {first} and {line}"
                        raise ConfigError(f"{path}: {label}: invalid YAML: duplicate key ({where})")
                    lines[(name.tag, name.value)] = line
                children += [(name, key or "top level"), (value, label)]
        pending.extend(reversed(children))


def _read_table(path: Path) -> tuple[dict[str, Any], str]:
    """The statelint table of a config file, and the prefix messages name its keys with.

    A TOML file holds the keys at its top level (``statelint.toml``), or, like a
    ``pyproject.toml`` (a top-level ``tool`` table), under ``[tool.statelint]``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if path.suffix in (".yaml", ".yml"):
        data = _read_yaml(path, text)
        if data is None:
            return {}, ""
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: top level: expected a mapping")
        return data, ""
    data = _read_toml(path, text)
    if path.name != "pyproject.toml" and "tool" not in data:
        return data, ""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: tool: expected a table")
    if path.name != "pyproject.toml" and "statelint" not in tool:
        raise ConfigError(f"{path}: no [tool.statelint] table (or statelint keys at the top level, as in statelint.toml)")
    table = tool.get("statelint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.statelint: expected a table")
    return table, PYPROJECT_PREFIX


def config_chain(path: Path) -> list[tuple[Path, dict[str, Any], str]]:
    """``path`` and the files it ``extend``s, as (file, table, key prefix), the deepest base first.

    A relative ``extend`` is relative to the folder of the file that names it; a loop is an error.
    """
    chain: list[tuple[Path, dict[str, Any], str]] = []
    seen: list[Path] = []
    current = path
    while True:
        seen.append(current.resolve())
        table, prefix = _read_table(current)
        chain.append((current, table, prefix))
        target = table.get("extend")
        if target is None:
            return chain[::-1]
        if not isinstance(target, str) or not target.strip():
            raise ConfigError(f"{current}: {prefix}extend: expected the path of a configuration file")
        following = Path(os.path.normpath(current.parent / os.path.expanduser(target)))
        if not following.is_file():
            raise ConfigError(f"{current}: {prefix}extend: no such configuration file {following}")
        if following.resolve() in seen:
            loop = " -> ".join(str(file) for file in [*(file for file, _, _ in chain), following])
            raise ConfigError(f"{current}: {prefix}extend: circular extension: {loop}")
        current = following


class _Layer(NamedTuple):
    """What one configuration file sets, validated (None: the key is absent)."""

    select: tuple[str, ...] | None
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    exclude: tuple[str, ...] | None
    extend_exclude: tuple[str, ...]
    per_file_ignores: dict[str, tuple[str, ...]]
    respect_gitignore: bool | None
    file_timeout: float | None
    severity: str | None
    fail_on: str | None
    not_deployed: tuple[str, ...] | None
    extend_not_deployed: tuple[str, ...]
    options: dict[str, dict[str, Any]]  # only what the file sets, families expanded
    overrides: tuple[Override, ...]


def load_settings(
    catalog: Catalog,
    *,
    cwd: Path,
    config_file: Path | None = None,
    root: Path | None = None,
    select: Sequence[str] | None = None,
    extend_select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] = (),
    force_exclude: bool = False,
    search: bool = True,
) -> Settings:
    """Merge a config file (and those it extends) and command-line options into validated settings.

    Without ``config_file``, the closest one above ``cwd`` is used when ``search`` is on. The
    project root is the config file's folder, or ``root`` (else ``cwd``) when there is none.
    """
    path = config_file if config_file is not None or not search else find_config_file(cwd)
    chain: list[tuple[Path, dict[str, Any], str]] = []
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        chain = config_chain(path)
    layers = [_layer(catalog, table, f"{file}: {prefix}") for file, table, prefix in chain]
    cli = _command_line(catalog, select, extend_select, ignore, exclude, extend_exclude)
    folder = path.parent if path is not None else (root if root is not None else cwd)
    extends = tuple(file for file, _, _ in chain[-2::-1])
    return _combine(catalog, layers, cli, force_exclude, folder.resolve(), path, extends, cwd.resolve())


class _CommandLine(NamedTuple):
    """The command line's selection and exclusions, validated (they apply on top of every file)."""

    select: list[str] | None
    extend_select: list[str]
    ignore: set[str]
    exclude: list[str] | None
    extend_exclude: list[str]


def _command_line(
    catalog: Catalog,
    select: Sequence[str] | None,
    extend_select: Sequence[str],
    ignore: Sequence[str],
    exclude: Sequence[str] | None,
    extend_exclude: Sequence[str],
) -> _CommandLine:
    def codes(key: str, values: Sequence[str]) -> list[str]:
        out: list[str] = []
        for value in values:
            matched = catalog.matching(value.strip().upper())
            if not matched:
                raise ConfigError(f"command line: {key}: unknown rule code or prefix {value!r}")
            out.extend(matched)
        return out

    for key, patterns in (("--exclude", exclude or ()), ("--extend-exclude", extend_exclude)):
        bad = _invalid_pattern(patterns)
        if bad is not None:
            raise ConfigError(f"command line: {key}: invalid pattern {bad!r}")
    return _CommandLine(
        codes("--select", select) if select is not None else None,
        codes("--extend-select", extend_select),
        set(codes("--ignore", ignore)),
        list(exclude) if exclude is not None else None,
        list(extend_exclude),
    )


def _layer(catalog: Catalog, raw: Mapping[str, Any], where: str) -> _Layer:
    """Validate one file's table; ``where`` (``file: prefix``) starts every message."""

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{where}{key}: {problem}")

    for key in raw:
        if key not in KNOWN_KEYS:
            raise fail(str(key), f"unknown key (known: {', '.join(sorted(KNOWN_KEYS))})")

    def str_list(key: str) -> list[str] | None:
        if key not in raw:
            return None
        value = raw[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "expected a list of strings")
        return value

    def codes(key: str, values: Sequence[str]) -> list[str]:
        out: list[str] = []
        for value in values:
            matched = catalog.matching(value.strip().upper())
            if not matched:
                raise fail(key, f"unknown rule code or prefix {value!r}")
            out.extend(matched)
        return out

    def patterns(key: str) -> tuple[str, ...] | None:
        listed = str_list(key)
        bad = _invalid_pattern(listed or ())
        if bad is not None:
            raise fail(key, f"invalid pattern {bad!r}")
        return tuple(listed) if listed is not None else None

    selected = str_list("select")
    per_file: dict[str, tuple[str, ...]] = {}
    pfi = raw.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise fail("per-file-ignores", "expected a mapping of glob -> list of codes")
    for pattern, listed in pfi.items():
        if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
            raise fail(f"per-file-ignores.{pattern}", "expected a list of rule codes")
        per_file[str(pattern)] = tuple(codes(f"per-file-ignores.{pattern}", listed))

    respect = raw.get("respect-gitignore")
    if respect is not None and not isinstance(respect, bool):
        raise fail("respect-gitignore", "expected true or false")
    timeout = raw.get("file-timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0):  # NaN too
        raise fail("file-timeout", "expected a number of seconds (0: no limit)")
    not_deployed = str_list("not-deployed")
    for key in ("severity", "fail-on"):
        if key in raw and raw[key] not in SEVERITIES:
            raise fail(key, f"expected one of {', '.join(map(repr, SEVERITIES))}, got {raw[key]!r}")
    return _Layer(
        select=tuple(codes("select", selected)) if selected is not None else None,
        extend_select=tuple(codes("extend-select", str_list("extend-select") or [])),
        ignore=tuple(codes("ignore", str_list("ignore") or [])),
        exclude=patterns("exclude"),
        extend_exclude=patterns("extend-exclude") or (),
        per_file_ignores=per_file,
        respect_gitignore=respect,
        # longer than a day (even 10**400): no limit
        file_timeout=None if timeout is None else float(timeout) if timeout <= MAX_FILE_TIMEOUT else 0.0,
        severity=raw.get("severity"),
        fail_on=raw.get("fail-on"),
        not_deployed=tuple(not_deployed) if not_deployed is not None else None,
        extend_not_deployed=tuple(str_list("extend-not-deployed") or ()),
        options=_validate_options(catalog, raw.get("options", {}), fail),
        overrides=_validate_overrides(raw.get("overrides", []), fail, codes, catalog),
    )


def _combine(
    catalog: Catalog,
    layers: Sequence[_Layer],
    cli: _CommandLine,
    force_exclude: bool,
    root: Path,
    path: Path | None,
    extends: tuple[Path, ...],
    cwd: Path,
) -> Settings:
    """The settings of ``layers`` (the deepest base first: each file's keys override the files it
    extends) with the command line on top. ``select`` replaces the set so far, ``extend-select``
    adds to it and ``ignore`` removes from it, file by file; a code a file ignores stays off even
    when ``--extend-select`` names it, unless a later file enables it again."""
    enabled = set(cli.select) if cli.select is not None else {c for c, doc in catalog.rules.items() if doc.default_enabled}
    ignored: set[str] = set()  # codes the last file that names them ignores
    exclude: tuple[str, ...] = ()
    extend_exclude: list[str] = []
    per_file: dict[str, tuple[str, ...]] = {}
    respect, timeout = True, DEFAULT_FILE_TIMEOUT
    severity = fail_on = None
    not_deployed, extend_not_deployed = DEFAULT_NOT_DEPLOYED, list[str]()
    options = {code: doc.default_options() for code, doc in catalog.rules.items() if doc.options}
    overrides: list[Override] = []
    for layer in layers:
        chosen = layer.select if layer.select is not None and cli.select is None else None
        if chosen is not None:
            enabled = set(chosen)
        enabled = (enabled | set(layer.extend_select)) - set(layer.ignore)
        ignored = (ignored - set(chosen or ()) - set(layer.extend_select)) | set(layer.ignore)
        exclude = layer.exclude if layer.exclude is not None else exclude
        extend_exclude += layer.extend_exclude
        per_file.update(layer.per_file_ignores)
        respect = layer.respect_gitignore if layer.respect_gitignore is not None else respect
        timeout = layer.file_timeout if layer.file_timeout is not None else timeout
        severity = layer.severity if layer.severity is not None else severity
        fail_on = layer.fail_on if layer.fail_on is not None else fail_on
        not_deployed = layer.not_deployed if layer.not_deployed is not None else not_deployed
        extend_not_deployed += layer.extend_not_deployed
        for code, values in layer.options.items():
            options.setdefault(code, {}).update(values)
        overrides += layer.overrides
    final = (enabled | (set(cli.extend_select) - ignored)) - cli.ignore
    # --ignore on the command line wins over overrides that would enable a code again.
    kept = tuple(o.without(cli.ignore) for o in overrides)
    everywhere = set(final)
    for override in kept:
        everywhere |= set(override.select or ()) | set(override.extend_select)
    return Settings(
        root=root,
        config_path=path,
        extends=extends,
        cwd=cwd,
        enabled=tuple(sorted(everywhere)),
        base_enabled=tuple(sorted(final)) if kept else None,
        overrides=kept,
        exclude=DEFAULT_EXCLUDES + tuple(cli.exclude if cli.exclude is not None else exclude),
        extend_exclude=tuple(extend_exclude + cli.extend_exclude),
        per_file_ignores=tuple(per_file.items()),
        options=options,
        respect_gitignore=respect,
        force_exclude=force_exclude,
        file_timeout=timeout,
        not_deployed=tuple(not_deployed) + tuple(extend_not_deployed),
        severity=severity,
        fail_on=fail_on,
    )


def _validate_options(catalog: Catalog, raw: Any, fail: Any, key: str = "options") -> dict[str, dict[str, Any]]:
    """The options a file sets, per rule code. Under a family (``SL6``) an option applies to each
    rule of the family that has it; under a rule code (``SL602``) it wins over the family's."""
    if not isinstance(raw, dict):
        raise fail(key, "expected a mapping of rule code or family -> options")
    by_family: dict[str, dict[str, Any]] = {}
    by_rule: dict[str, dict[str, Any]] = {}
    for selector, values in raw.items():
        name = str(selector).upper()
        where = f"{key}.{selector}"
        if name not in catalog.rules and name not in catalog.families:
            raise fail(where, "unknown rule code or family")
        if not isinstance(values, dict):
            raise fail(where, "expected a mapping of option -> value")
        if name in catalog.rules:
            doc = catalog.rules[name]
            for option, value in values.items():
                by_rule.setdefault(doc.code, {})[option] = _checked(doc, option, value, f"{where}.{option}", fail)
            continue
        family = [doc for doc in catalog.rules.values() if doc.family == name]
        for option, value in values.items():
            having = [doc for doc in family if option in doc.options]
            if not having:
                known = ", ".join(sorted({o for doc in family for o in doc.options})) or "none"
                raise fail(f"{where}.{option}", f"unknown option: no rule of {name} has it (known: {known})")
            for doc in having:
                by_family.setdefault(doc.code, {})[option] = _checked(doc, option, value, f"{where}.{option}", fail)
    out = by_family
    for code, values in by_rule.items():
        out.setdefault(code, {}).update(values)
    return out


def _checked(doc: Any, name: str, value: Any, where: str, fail: Any) -> Any:
    """``value``, when it suits the option ``name`` of the rule ``doc``."""
    option = doc.options.get(name)
    if option is None:
        known = ", ".join(doc.options) or "none"
        raise fail(where, f"unknown option (known: {known})")
    if not _accepts(option, value):
        raise fail(where, _wrong_value(option, value))
    return value


def _invalid_pattern(patterns: Iterable[str]) -> str | None:
    """The first pattern gitignore syntax cannot compile (``!``, a trailing backslash, ``[z-a]``)."""
    patterns = list(patterns)
    if not patterns:
        return None  # no pathspec import: it costs a pre-commit run some 10 ms
    import pathspec

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # re's FutureWarnings about odd character sets: not one line
        for pattern in patterns:
            try:
                pathspec.GitIgnoreSpec.from_lines([pattern])
            except (ValueError, re.error):
                return pattern
    return None


def _wrong_value(option: Any, value: Any) -> str:
    """What is wrong with ``value``: a regex option's pattern that does not compile gets re's reason."""
    if option.type == "regex" and isinstance(value, str):
        shown = repr(value) if len(value) <= 80 else f"{value[:77]!r}..."  # one line, even for a hostile pattern
        try:
            re.compile(value)
        except re.error as exc:
            return f"invalid regular expression {shown}: {exc}"
        except RecursionError:  # where the limit strikes (and so Python's wording) depends on the stack's depth
            return f"invalid regular expression {shown}: RecursionError: maximum recursion depth exceeded"
        except (OverflowError, ValueError) as exc:  # a huge repeat
            return f"invalid regular expression {shown}: {type(exc).__name__}: {exc}"
    return f"expected {option.type}, got {type(value).__name__}"


def _accepts(option: Any, value: Any) -> bool:
    """A regex option that cannot even compile (nested too deeply, a huge repeat) is a wrong value."""
    try:
        return bool(option.accepts(value))
    except (RecursionError, OverflowError, ValueError, re.error):
        return False


def _validate_overrides(raw: Any, fail: Any, codes: Any, catalog: Catalog) -> tuple[Override, ...]:
    """``overrides = [{path = "tests/**", ignore = [...], options = {...}}, ...]``, in order."""
    if not isinstance(raw, list):
        raise fail("overrides", "expected a list of tables with a path and select/extend-select/ignore/options")
    out: list[Override] = []
    for index, entry in enumerate(raw):
        where = f"overrides[{index}]"
        if not isinstance(entry, dict):
            raise fail(where, "expected a table with a path and select/extend-select/ignore/options")
        for key in entry:
            if key not in OVERRIDE_KEYS:
                raise fail(f"{where}.{key}", f"unknown key (known: {', '.join(sorted(OVERRIDE_KEYS))})")
        paths = entry.get("path")
        if isinstance(paths, str):
            paths = [paths]
        if not paths or not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
            raise fail(f"{where}.path", "expected a glob or a non-empty list of globs")

        out.append(
            Override(
                paths=tuple(paths),
                select=_override_codes(entry, "select", where, fail, codes),
                extend_select=_override_codes(entry, "extend-select", where, fail, codes) or (),
                ignore=_override_codes(entry, "ignore", where, fail, codes) or (),
                options=_validate_options(catalog, entry.get("options", {}), fail, f"{where}.options"),
            )
        )
    return tuple(out)


def _override_codes(entry: dict[str, Any], key: str, where: str, fail: Any, codes: Any) -> tuple[str, ...] | None:
    """The codes an override lists under ``key`` (None when absent), expanded from prefixes."""
    if key not in entry:
        return None
    value = entry[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{where}.{key}", "expected a list of strings")
    return tuple(codes(f"{where}.{key}", value))
