"""Configuration files read into one positioned tree, for SL204.

YAML, JSON and TOML parsers drop positions, yet a finding must point at the
``class`` entry it is about. YAML is composed (never constructed) with PyYAML's
safe loader, which keeps marks; JSON is validated by :mod:`json` and then walked
with its own scanner functions to record offsets; INI files are validated by
:mod:`configparser` and scanned line by line for the places of sections and keys.
A file that does not parse raises :class:`ConfigSyntaxError` with the position
the parser gave.
"""

from __future__ import annotations

import bisect
import configparser
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_MAX_NODES = 200_000


class ConfigSyntaxError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.line = max(line, 1)
        self.column = max(column, 1)


@dataclass
class Node:
    """A mapping (``entries``), a sequence (``elements``) or a scalar (``text``), with its 1-based position."""

    line: int
    column: int
    text: str | None = None
    entries: list[tuple[Key, Node]] | None = None
    elements: list[Node] | None = None

    def get(self, name: str) -> tuple[Key, Node] | None:
        for key, value in self.entries or ():
            if key.text == name:
                return key, value
        return None


@dataclass(frozen=True)
class Key:
    text: str
    line: int
    column: int
    width: int = 0  # characters the key takes in the file (quotes included), when not len(text)

    @property
    def end_column(self) -> int:
        return self.column + max(self.width or len(self.text), 1)


def mappings(roots: list[Node], max_depth: int = 12) -> Iterator[Node]:
    """Every mapping in the trees, outermost first (shared YAML aliases once)."""
    seen: set[int] = set()
    pending = [(root, 0) for root in reversed(roots)]
    while pending:
        node, depth = pending.pop()
        if id(node) in seen or depth > max_depth:
            continue
        seen.add(id(node))
        if node.entries is not None:
            yield node
            pending.extend((value, depth + 1) for _, value in reversed(node.entries))
        elif node.elements is not None:
            pending.extend((value, depth + 1) for value in reversed(node.elements))


# -- YAML ------------------------------------------------------------------------------
def _yaml_loader() -> type:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> list[Node]:
    try:
        documents = list(yaml.compose_all(text, Loader=_yaml_loader()))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise ConfigSyntaxError(f"{exc.problem or exc.context or 'invalid YAML'}", line, column) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ConfigSyntaxError(str(exc) or "invalid YAML") from None
    memo: dict[int, Node] = {}
    return [_from_yaml(document, memo) for document in documents if document is not None]


def _from_yaml(node: yaml.Node, memo: dict[int, Node]) -> Node:
    """Iterative conversion; aliases map to the same Node, so anchors cannot blow up."""
    if id(node) in memo:
        return memo[id(node)]
    root = _yaml_shell(node)
    memo[id(node)] = root
    pending: list[tuple[yaml.Node, Node]] = [(node, root)]
    while pending:
        if len(memo) > _MAX_NODES:
            raise ConfigSyntaxError("file too large to analyse")
        source, target = pending.pop()
        if isinstance(source, yaml.MappingNode):
            assert target.entries is not None
            for key_node, value_node in source.value:
                key_text = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
                key = Key(str(key_text), key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                target.entries.append((key, _yaml_child(value_node, memo, pending)))
        elif isinstance(source, yaml.SequenceNode):
            assert target.elements is not None
            target.elements.extend(_yaml_child(item, memo, pending) for item in source.value)
    return root


def _yaml_child(node: yaml.Node, memo: dict[int, Node], pending: list[tuple[yaml.Node, Node]]) -> Node:
    if id(node) not in memo:
        memo[id(node)] = _yaml_shell(node)
        pending.append((node, memo[id(node)]))
    return memo[id(node)]


def _yaml_shell(node: yaml.Node) -> Node:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, yaml.MappingNode):
        return Node(line, column, entries=[])
    if isinstance(node, yaml.SequenceNode):
        return Node(line, column, elements=[])
    return Node(line, column, text=str(node.value))


# -- JSON ------------------------------------------------------------------------------
_SPACE = re.compile(r"[ \t\n\r]*")


class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def parse_json(text: str) -> list[Node]:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigSyntaxError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise ConfigSyntaxError("nested too deeply to analyse") from None
    try:
        node, _ = _JsonWalker(text).value(0)
    except (RecursionError, IndexError, ValueError):
        raise ConfigSyntaxError("nested too deeply to analyse") from None
    return [node]


@dataclass
class _JsonWalker:
    """Re-reads text that :func:`json.loads` accepted, recording where each value starts."""

    text: str
    lines: _Lines = field(init=False)
    decoder: json.JSONDecoder = field(default_factory=json.JSONDecoder)

    def __post_init__(self) -> None:
        self.lines = _Lines(self.text)

    def skip(self, index: int) -> int:
        match = _SPACE.match(self.text, index)
        return match.end() if match else index

    def value(self, index: int) -> tuple[Node, int]:
        index = self.skip(index)
        line, column = self.lines.position(index)
        char = self.text[index]
        if char == "{":
            node = Node(line, column, entries=[])
            return node, self._object(node, index + 1)
        if char == "[":
            node = Node(line, column, elements=[])
            return node, self._array(node, index + 1)
        scalar, end = self.decoder.raw_decode(self.text, index)
        return Node(line, column, text=scalar if isinstance(scalar, str) else json.dumps(scalar)), end

    def _object(self, node: Node, index: int) -> int:
        assert node.entries is not None
        index = self.skip(index)
        if self.text[index] == "}":
            return index + 1
        while True:
            index = self.skip(index)
            key_text, end = json.decoder.scanstring(self.text, index + 1)  # type: ignore[attr-defined]
            line, column = self.lines.position(index)
            key = Key(key_text, line, column, end - index)
            value, index = self.value(self.skip(end) + 1)  # past the colon
            node.entries.append((key, value))
            index = self.skip(index)
            if self.text[index] == "}":
                return index + 1
            index += 1  # the comma

    def _array(self, node: Node, index: int) -> int:
        assert node.elements is not None
        index = self.skip(index)
        if self.text[index] == "]":
            return index + 1
        while True:
            value, index = self.value(index)
            node.elements.append(value)
            index = self.skip(index)
            if self.text[index] == "]":
                return index + 1
            index += 1


# -- INI -------------------------------------------------------------------------------
@dataclass
class IniSection:
    name: str
    line: int
    column: int
    keys: dict[str, Key] = field(default_factory=dict)  # option name (lower case) -> where it is set
    values: dict[str, str] = field(default_factory=dict)


_SECTION = re.compile(r"\[(?P<name>.+)\]")


def parse_ini(text: str) -> dict[str, IniSection]:
    """Sections as :func:`logging.config.fileConfig` reads them (configparser, keys lower-cased)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except (configparser.Error, ValueError) as exc:
        errors = getattr(exc, "errors", None)
        line = errors[0][0] if errors else getattr(exc, "lineno", None) or 1
        detail = f"cannot parse line {errors[0][1]}" if errors else str(getattr(exc, "message", exc))
        if isinstance(exc, configparser.MissingSectionHeaderError):
            detail = "an option appears before the first [section] header"
        raise ConfigSyntaxError(f"invalid INI syntax: {re.sub(r'^While reading from .*?: ', '', detail)}", line) from None
    sections: dict[str, IniSection] = {}
    current: IniSection | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;" or raw[0].isspace():
            continue
        match = _SECTION.match(stripped)
        if match:
            name = match.group("name")
            current = sections.setdefault(name, IniSection(name, number, raw.index("[") + 1))
            continue
        if current is not None:
            option = re.split(r"[=:]", stripped, maxsplit=1)[0].strip().lower()
            current.keys.setdefault(option, Key(option, number, len(raw) - len(raw.lstrip()) + 1))
    for name, section in sections.items():
        if parser.has_section(name):
            section.values = dict(parser.items(name, raw=True))
    return sections


# -- TOML ------------------------------------------------------------------------------
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_toml_top_level(text: str) -> dict[str, Any]:
    """The top-level keys of a TOML document (tables included)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.search(str(exc))
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        raise ConfigSyntaxError(_TOML_POSITION.sub("", str(exc)).strip() or "invalid TOML", line, column) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigSyntaxError("nested too deeply to analyse") from None


def toml_key_position(text: str, key: str) -> Key | None:
    """Where a top-level ``key = ...`` is written (before the first table header)."""
    pattern = re.compile(rf"""^(\s*)["']?{re.escape(key)}["']?\s*=""")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("["):
            return None
        match = pattern.match(line)
        if match:
            return Key(key, number, len(match.group(1)) + 1)
    return None


_TOML_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_TOML_ASSIGNMENT = re.compile(r"""^(\s*)((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _toml_dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in re.findall(r"""\s*(?:"[^"]*"|'[^']*'|[^.]+)""", text))


def toml_path_position(text: str, path: tuple[str, ...]) -> Key | None:
    """Where the key at ``path`` (``("server", "address")``) is written: under its ``[server]`` table,
    or as a dotted key (``server.address = ...``) at the top level or in a parent table. An inline
    table (``server = {address = ...}``) points at its outer key. None when it is not found."""
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TOML_TABLE.match(line)
        if header and not line.lstrip().startswith("[["):
            table = _toml_dotted(header.group(1))
            continue
        match = _TOML_ASSIGNMENT.match(line)
        if match is None:
            continue
        full = table + _toml_dotted(match.group(2))
        if full == path or (len(full) < len(path) and path[: len(full)] == full and "{" in line[match.end():]):
            return Key(match.group(2).strip(), number, len(match.group(1)) + 1)
    return None
