"""SL204: log files named by configuration files.

Text side: YAML/JSON dictConfig files, INI fileConfig files and hypercorn TOML
files, discovered by name and read only when they mention a file handler class
or a server log setting. Python side: ``accesslog``/``errorlog`` in gunicorn and
hypercorn Python configuration files, recognised by their file name.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Mapping
from typing import Any, ClassVar

import libcst as cst

from statelint.analyses.files import (
    PathResolver,
    is_test_path,
    path_of_text,
    string_value,
)
from statelint.engine.requirements import Requires
from statelint.model import Span
from statelint.rules.base import Rule, TextRule
from statelint.rules.sl2._config_formats import (
    ConfigSyntaxError,
    IniSection,
    Key,
    Node,
    mappings,
    parse_ini,
    parse_json,
    parse_toml_top_level,
    parse_yaml,
    toml_key_position,
)
from statelint.rules.sl2.handlers import handler_classes, handler_needles

_TEMPLATE_MARKS = ("{{", "{%")


def _span(key: Key) -> Span:
    return Span(key.line, key.column, key.line, key.end_column)


class FileHandlerInConfigFile(Rule, TextRule):
    """One code for log files named by configuration, whether the configuration is Python or not."""

    code = "SL204"
    # Python files: a gunicorn/hypercorn configuration file, by its name (text files are found by patterns).
    requires = Requires(files=["server_config_files"], file_options=["config-files"], outside=["tests"])
    # Narrow where the format allows: every matching file is read and decoded (an undecodable
    # one is an SL001 finding), even when no needle makes it worth parsing.
    patterns: ClassVar[tuple[str, ...]] = ("*.yaml", "*.yml", "*.json", "*.ini", "*log*.cfg", "*log*.conf", "*hypercorn*.toml")

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        return (*handler_needles(knowledge), *knowledge["server_log_settings"])

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.classes = handler_classes(self.knowledge)
        self.streams = tuple(self.knowledge["stream_paths"])
        self.server_streams = (*self.streams, *self.knowledge["server_stream_values"])
        self.settings = tuple(self.knowledge["server_log_settings"])
        self.server_config = False
        self.reported: set[Key] = set()

    # -- Python: gunicorn / hypercorn config modules ------------------------------------
    def _is_server_config(self) -> bool:
        names = (*self.knowledge["server_config_files"], *self.options.get("config-files", []))
        return any(fnmatch.fnmatchcase(self.ctx.basename, pattern) for pattern in names)

    def visit_Module(self, node: cst.Module) -> None:
        self.server_config = self._is_server_config() and not is_test_path(self.ctx.path, self.knowledge)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._setting(target.target.value, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self._setting(node.target.value, node.value)

    def _setting(self, name: str, value: cst.BaseExpression) -> None:
        if not self.server_config or name not in self.settings or self.ctx.scope.kind != "module":
            return
        text = string_value(self.ctx, value, self.ctx.scope)
        if text is not None and (not text.strip() or text.strip() in self.server_streams):
            return
        where = PathResolver(self.ctx, self.streams).resolve(value, self.ctx.scope)
        if where is not None and where.kind != "stream":
            self.report(value, self._server_message(name, where.text))

    def _server_message(self, name: str, text: str) -> str:
        return f"{name} writes the server's log to the local file {text!r}"

    # -- text files ----------------------------------------------------------------------
    def check(self, path: str, text: str) -> None:
        if is_test_path(path, self.knowledge):
            return
        name = path.rsplit("/", 1)[-1].lower()
        try:
            if name.endswith((".yaml", ".yml")):
                self._dict_config(parse_yaml(text) if self._may_be_logging(text) else [])
            elif name.endswith(".json"):
                self._dict_config(parse_json(text) if self._may_be_logging(text) else [])
            elif name.endswith(".toml"):
                self._toml(text)
            elif "[handler" in text:
                self._file_config(parse_ini(text))
        except ConfigSyntaxError as error:
            if not any(mark in text for mark in _TEMPLATE_MARKS):
                self.findings.clear()
                self.report_at(
                    Span(error.line, error.column, error.line, error.column + 1),
                    f"could not be parsed: {error.message}",
                    hint="Its log files were not checked. Fix its syntax, or exclude the file if it is neither a logging "
                    "nor a server configuration.",
                )

    def _may_be_logging(self, text: str) -> bool:
        return "handlers" in text and any(needle in text for needle in handler_needles(self.knowledge))

    def _is_file_handler(self, class_name: str) -> str | None:
        class_name = class_name.strip()
        for candidate in (class_name, f"logging.{class_name}"):
            if candidate in self.classes:
                return candidate
        return None

    def _dict_config(self, roots: list[Node]) -> None:
        for mapping in mappings(roots):
            if mapping.get("version") is None:
                continue
            handlers = mapping.get("handlers")
            for name, handler in (handlers[1].entries or []) if handlers else []:
                self._dict_handler(name.text, handler)

    def _dict_handler(self, name: str, handler: Node) -> None:
        for key_name in ("class", "()"):
            found = handler.get(key_name)
            if found is None or found[1].text is None:
                continue
            cls = self._is_file_handler(found[1].text)
            filename = handler.get("filename")
            if cls is None or (filename and self._is_stream(filename[1].text)):
                continue
            if found[0] not in self.reported:  # a YAML alias repeats the same handler
                self.reported.add(found[0])
                self.report_at(_span(found[0]), self._handler_message(name, cls))

    def _is_stream(self, text: str | None) -> bool:
        where = path_of_text(text or "", self.streams)
        return where is not None and where.kind == "stream"

    def _handler_message(self, name: str, cls: str) -> str:
        return f"logging handler {name!r} uses {cls}, which writes logs to a local file"

    def _file_config(self, sections: dict[str, IniSection]) -> None:
        listed = sections.get("handlers")
        if listed is None or "keys" not in listed.values:
            return
        for name in (part.strip() for part in listed.values["keys"].split(",")):
            section = sections.get(f"handler_{name}")
            if section is None or "class" not in section.values:
                continue
            cls = self._is_file_handler(section.values["class"])
            if cls is None or self._is_stream(_first_argument(section.values)):
                continue
            where = section.keys.get("class") or Key(f"[{section.name}]", section.line, section.column)
            self.report_at(_span(where), self._handler_message(name, cls))

    def _toml(self, text: str) -> None:
        if not any(setting in text for setting in self.settings):
            return
        data = parse_toml_top_level(text)
        for setting in self.settings:
            value = data.get(setting)
            if not isinstance(value, str) or not value.strip() or value.strip() in self.server_streams:
                continue
            key = toml_key_position(text, setting)
            if key is not None:
                self.report_at(_span(key), self._server_message(setting, value))


def _first_argument(values: Mapping[str, str]) -> str | None:
    """The file name a fileConfig handler section passes: ``args=('app.log', 'a')`` or ``kwargs={'filename': ...}``."""
    try:
        if "args" in values:
            args = ast.literal_eval(values["args"].strip())
            first = args[0] if isinstance(args, tuple) and args else None
            return first if isinstance(first, str) else None
        if "kwargs" in values:
            kwargs = ast.literal_eval(values["kwargs"].strip())
            found = kwargs.get("filename") if isinstance(kwargs, dict) else None
            return found if isinstance(found, str) else None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return None

