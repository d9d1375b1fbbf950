"""Find, parse and validate the configuration file.

The closest ``.statelint.yaml`` or ``pyproject.toml`` with a ``[tool.statelint]``
table, from the working directory upward, wins. Every problem is a
:class:`ConfigError` whose message names the file and the key, so the CLI can
print one line and exit 2.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statelint.catalog import Catalog
from statelint.config.settings import (
    DEFAULT_EXCLUDES,
    DEFAULT_FILE_TIMEOUT,
    DEFAULT_NOT_DEPLOYED,
    MAX_FILE_TIMEOUT,
    Override,
    Settings,
)

if TYPE_CHECKING:
    import yaml

YAML_NAMES = (".statelint.yaml", ".statelint.yml")
KNOWN_KEYS = {
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
}
OVERRIDE_KEYS = {"path", "select", "extend-select", "ignore", "options"}


class ConfigError(Exception):
    """A configuration problem; the message is ``file: key: problem``."""


def find_config_file(start: Path) -> Path | None:
    """The closest config file from ``start`` upward, or None."""
    for directory in (start, *start.parents):
        for name in YAML_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _has_statelint_table(pyproject):
            return pyproject
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


def read_config_file(path: Path) -> dict[str, Any]:
    """The statelint table of a config file (empty when it has none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if path.suffix in (".yaml", ".yml"):
        data = _read_yaml(path, text)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: top level: expected a mapping")
        return data
    data = _read_toml(path, text)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("statelint", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: tool.statelint: expected a table")
        return table
    return data


def load_settings(
    catalog: Catalog,
    *,
    cwd: Path,
    config_file: Path | None = None,
    select: Sequence[str] | None = None,
    extend_select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] = (),
    force_exclude: bool = False,
) -> Settings:
    """Merge the config file and command-line options into validated settings."""
    path = config_file if config_file is not None else find_config_file(cwd)
    raw: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        raw = read_config_file(path)
    return _validate(catalog, raw, path, cwd, select, extend_select, ignore, exclude, extend_exclude, force_exclude)


def _validate(
    catalog: Catalog,
    raw: Mapping[str, Any],
    path: Path | None,
    cwd: Path,
    cli_select: Sequence[str] | None,
    cli_extend_select: Sequence[str],
    cli_ignore: Sequence[str],
    cli_exclude: Sequence[str] | None,
    cli_extend_exclude: Sequence[str],
    force_exclude: bool,
) -> Settings:
    where = str(path) if path else "command line"
    prefix = "tool.statelint." if path is not None and path.name == "pyproject.toml" else ""

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{where}: {prefix}{key}: {problem}")

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

    def codes(key: str, values: Sequence[str], source: str | None = None) -> list[str]:
        out: list[str] = []
        for value in values:
            matched = catalog.matching(value.strip().upper())
            if not matched:
                if source == "cli":
                    raise ConfigError(f"command line: {key}: unknown rule code or prefix {value!r}")
                raise fail(key, f"unknown rule code or prefix {value!r}")
            out.extend(matched)
        return out

    default = [code for code, doc in catalog.rules.items() if doc.default_enabled]
    if cli_select is not None:
        enabled = codes("--select", cli_select, "cli")
    elif (configured := str_list("select")) is not None:
        enabled = codes("select", configured)
    else:
        enabled = default
    enabled += codes("extend-select", str_list("extend-select") or [])
    enabled += codes("--extend-select", cli_extend_select, "cli")
    ignored = set(codes("ignore", str_list("ignore") or []))
    cli_ignored = set(codes("--ignore", cli_ignore, "cli"))
    ignored |= cli_ignored
    final = tuple(sorted({code for code in enabled if code not in ignored}))

    excludes = list(cli_exclude) if cli_exclude is not None else (str_list("exclude") or [])
    extend = (str_list("extend-exclude") or []) + list(cli_extend_exclude)
    for key, patterns in (("exclude", excludes), ("extend-exclude", extend)):
        bad = _invalid_pattern(patterns)
        if bad is not None:
            from_cli = bad in (cli_exclude or ()) or bad in cli_extend_exclude
            raise ConfigError(f"command line: --{key}: invalid pattern {bad!r}") if from_cli else fail(key, f"invalid pattern {bad!r}")

    per_file: list[tuple[str, tuple[str, ...]]] = []
    pfi = raw.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise fail("per-file-ignores", "expected a mapping of glob -> list of codes")
    for pattern, listed in pfi.items():
        if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
            raise fail(f"per-file-ignores.{pattern}", "expected a list of rule codes")
        per_file.append((str(pattern), tuple(codes(f"per-file-ignores.{pattern}", listed))))

    respect = raw.get("respect-gitignore", True)
    if not isinstance(respect, bool):
        raise fail("respect-gitignore", "expected true or false")

    timeout = raw.get("file-timeout", DEFAULT_FILE_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:  # NaN too
        raise fail("file-timeout", "expected a number of seconds (0: no limit)")

    not_deployed = str_list("not-deployed")
    not_deployed_patterns = (
        tuple(not_deployed) if not_deployed is not None else DEFAULT_NOT_DEPLOYED
    ) + tuple(str_list("extend-not-deployed") or ())

    options = _validate_options(catalog, raw.get("options", {}), fail)
    # --ignore on the command line wins over overrides that would enable a code again.
    overrides = tuple(o.without(cli_ignored) for o in _validate_overrides(raw.get("overrides", []), fail, codes, catalog))
    everywhere = set(final)
    for override in overrides:
        everywhere |= set(override.select or ()) | set(override.extend_select)
    root = path.parent if path is not None else cwd
    return Settings(
        root=root.resolve(),
        config_path=path,
        enabled=tuple(sorted(everywhere)),
        base_enabled=final if overrides else None,
        overrides=overrides,
        cwd=cwd.resolve(),
        exclude=DEFAULT_EXCLUDES + tuple(excludes),
        extend_exclude=tuple(extend),
        per_file_ignores=tuple(per_file),
        options=options,
        respect_gitignore=respect,
        force_exclude=force_exclude,
        file_timeout=float(timeout) if timeout <= MAX_FILE_TIMEOUT else 0.0,  # longer (even 10**400): none
        not_deployed=not_deployed_patterns,
    )


def _validate_options(
    catalog: Catalog, raw: Any, fail: Any, key: str = "options", defaults: bool = True
) -> dict[str, dict[str, Any]]:
    """Per-rule options; ``defaults=False`` keeps only what ``raw`` sets (for overrides)."""
    if not isinstance(raw, dict):
        raise fail(key, "expected a mapping of rule code -> options")
    options = {code: doc.default_options() for code, doc in catalog.rules.items() if doc.options} if defaults else {}
    for code, values in raw.items():
        doc = catalog.rules.get(str(code).upper())
        if doc is None:
            raise fail(f"{key}.{code}", "unknown rule code")
        if not isinstance(values, dict):
            raise fail(f"{key}.{code}", "expected a mapping of option -> value")
        for name, value in values.items():
            option = doc.options.get(name)
            if option is None:
                known = ", ".join(doc.options) or "none"
                raise fail(f"{key}.{code}.{name}", f"unknown option (known: {known})")
            if not _accepts(option, value):
                raise fail(f"{key}.{code}.{name}", _wrong_value(option, value))
            options.setdefault(doc.code, {})[name] = value
    return options


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
        except (RecursionError, OverflowError, ValueError) as exc:  # nested too deeply, a huge repeat
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
                options=_validate_options(catalog, entry.get("options", {}), fail, f"{where}.options", defaults=False),
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
