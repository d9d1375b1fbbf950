"""The YAML rule catalog: rule documentation and the API knowledge detectors use.

The catalog lives in the top-level ``rules/`` folder of the repository and ships
inside the wheel as ``statelint/catalog_data``. Each ``slN.yaml`` file describes
one family. It is validated on load, so a rule without docs cannot ship.

No ``from __future__ import annotations`` here: every run defines these named tuples,
and :class:`typing.NamedTuple` compiles each annotation it gets as a string.
"""

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from statelint.digests import blake2b

REQUIRED_DOC_FIELDS = ("name", "severity", "summary", "what", "why", "example", "use_instead", "hint")
SEVERITIES = ("error", "warning", "info")
OPTION_TYPES = {
    "bool": bool,
    "int": int,
    "str": str,
    "regex": str,
    "list[str]": list,
}
CODE_RE = re.compile(r"^SL\d{3}$")
FAMILY_RE = re.compile(r"^SL\d$")


class CatalogError(Exception):
    """The catalog itself is broken: a packaging or development error."""


class OptionDoc(NamedTuple):
    name: str
    type: str
    default: Any
    description: str

    def accepts(self, value: Any, compile_patterns: bool = True) -> bool:
        """Whether ``value`` is of the option's type (a regex option's value must compile, unless
        ``compile_patterns`` is off: a string will do)."""
        expected = OPTION_TYPES[self.type]
        if self.type == "int" and isinstance(value, bool):
            return False
        if self.type == "list[str]":
            return isinstance(value, list) and all(isinstance(v, str) for v in value)
        if self.type == "regex":
            if not isinstance(value, str):
                return False
            if compile_patterns:
                try:
                    re.compile(value)
                except re.error:
                    return False
            return True
        return isinstance(value, expected)


class RuleDoc(NamedTuple):
    code: str
    family: str
    name: str
    severity: str
    summary: str
    what: str
    why: str
    example: str
    use_instead: str
    hint: str
    options: dict[str, OptionDoc]
    references: tuple[str, ...] = ()
    default_enabled: bool = True
    example_language: str = "python"  # the code-block language of example/use_instead

    def default_options(self) -> dict[str, Any]:
        return {name: option.default for name, option in self.options.items()}


class Family(NamedTuple):
    code: str
    name: str
    description: str
    knowledge: dict[str, Any]


class Catalog(NamedTuple):
    families: dict[str, Family]
    rules: dict[str, RuleDoc]
    digest: str  # changes whenever any catalog file changes (cache key)

    def knowledge(self, code: str) -> dict[str, Any]:
        return self.families[code[:3]].knowledge

    def matching(self, selector: str) -> list[str]:
        """Rule codes selected by a code or prefix (``SL3``, ``SL301``, ``ALL``)."""
        if selector == "ALL":
            return list(self.rules)
        return [code for code in self.rules if code.startswith(selector)]


def catalog_dir() -> Path:
    """The installed catalog, or the repository's ``rules/`` in a source checkout."""
    here = Path(__file__).resolve().parent
    installed = here / "catalog_data"
    if installed.is_dir():
        return installed
    return here.parent.parent / "rules"


#: A JSON copy of the YAML files, written into the wheel at build time (``hatch_build.py``):
#: it loads ten times faster than the YAML, and is used only while the YAML it was made
#: from is unchanged (its digest must match), so it can never serve a stale catalog.
SNAPSHOT = "catalog.json"


def _loader() -> type:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _sources(directory: Path) -> tuple[list[tuple[Path, bytes]], str]:
    """The catalog's YAML files with their bytes, and the digest of them all."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogError(f"no rule catalog found in {directory}")
    digest = blake2b(digest_size=8)
    sources = []
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        sources.append((path, raw))
    return sources, digest.hexdigest()


def snapshot(directory: Path) -> str:
    """The YAML files of ``directory`` as one JSON document, for :data:`SNAPSHOT`."""
    import json

    import yaml

    sources, digest = _sources(directory)
    files = {path.name: yaml.load(raw, Loader=_loader()) for path, raw in sources}  # noqa: S506 - a SafeLoader
    _build(sources, files, digest, from_snapshot=False)  # a catalog that would not load fails the wheel's build
    text = json.dumps({"digest": digest, "files": files}, sort_keys=True)
    if json.loads(text)["files"] != files:
        raise CatalogError("the catalog holds values JSON cannot carry (dates, non-string keys ...)")
    return text


def _from_snapshot(directory: Path, digest: str) -> dict[str, Any] | None:
    import json

    try:
        data = json.loads((directory / SNAPSHOT).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("digest") != digest or not isinstance(data.get("files"), dict):
        return None
    return data["files"]


@lru_cache(maxsize=4)  # statelint: ignore[SL104] the catalog ships inside the package; it cannot change during a run
def load_catalog(directory: Path | None = None) -> Catalog:
    directory = directory or catalog_dir()
    sources, digest = _sources(directory)
    parsed = _from_snapshot(directory, digest)
    if parsed is not None and all(path.name in parsed for path, _ in sources):
        return _build(sources, parsed, digest, from_snapshot=True)
    import yaml

    files = {path.name: yaml.load(raw, Loader=_loader()) for path, raw in sources}  # noqa: S506 - a SafeLoader
    return _build(sources, files, digest, from_snapshot=False)


def _build(sources: list[tuple[Path, bytes]], files: dict[str, Any], digest: str, from_snapshot: bool) -> Catalog:
    """The catalog from each YAML file's data, validated. A regex option's default is compiled
    only when the data is not the snapshot: :func:`snapshot` built the same catalog before
    writing it, so the patterns it holds compile (and a run that never uses them saves half a
    millisecond)."""
    families: dict[str, Family] = {}
    rules: dict[str, RuleDoc] = {}
    for path, _ in sources:
        data = files[path.name]
        family = _parse_family(path, data)
        families[family.code] = family
        for code, entry in (data.get("rules") or {}).items():
            rules[code] = _parse_rule(path, family.code, code, entry, compile_patterns=not from_snapshot)
    return Catalog(families, dict(sorted(rules.items())), digest)


def _fail(path: Path, where: str, problem: str) -> CatalogError:
    return CatalogError(f"{path.name}: {where}: {problem}")


def _parse_family(path: Path, data: Any) -> Family:
    if not isinstance(data, dict):
        raise _fail(path, "top level", "expected a mapping")
    code = data.get("family")
    if not isinstance(code, str) or not FAMILY_RE.match(code):
        raise _fail(path, "family", "expected a family code like SL3")
    for key in ("name", "description"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _fail(path, key, "missing or empty")
    knowledge = data.get("knowledge") or {}
    if not isinstance(knowledge, dict):
        raise _fail(path, "knowledge", "expected a mapping")
    if not isinstance(data.get("rules"), dict):
        raise _fail(path, "rules", "expected a mapping of rule codes")
    return Family(code, data["name"], data["description"], knowledge)


def _parse_rule(path: Path, family: str, code: Any, entry: Any, compile_patterns: bool = True) -> RuleDoc:
    if not isinstance(code, str) or not CODE_RE.match(code) or not code.startswith(family):
        raise _fail(path, f"rules.{code}", f"expected a code like {family}01")
    if not isinstance(entry, dict):
        raise _fail(path, f"rules.{code}", "expected a mapping")
    for key in REQUIRED_DOC_FIELDS:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise _fail(path, f"rules.{code}.{key}", "missing or empty")
    if entry["severity"] not in SEVERITIES:
        raise _fail(path, f"rules.{code}.severity", f"expected one of {', '.join(SEVERITIES)}")
    options: dict[str, OptionDoc] = {}
    for name, spec in (entry.get("options") or {}).items():
        where = f"rules.{code}.options.{name}"
        if not isinstance(spec, dict) or spec.get("type") not in OPTION_TYPES:
            raise _fail(path, where, f"expected a type among {', '.join(OPTION_TYPES)}")
        if not isinstance(spec.get("description"), str) or not spec["description"].strip():
            raise _fail(path, f"{where}.description", "missing or empty")
        option = OptionDoc(name, spec["type"], spec.get("default"), spec["description"])
        if not option.accepts(option.default, compile_patterns):
            raise _fail(path, f"{where}.default", f"not a valid {option.type}")
        options[name] = option
    references = entry.get("references") or []
    if not isinstance(references, list) or not references:
        raise _fail(path, f"rules.{code}.references", "expected a non-empty list")
    return RuleDoc(
        code=code,
        family=family,
        name=entry["name"],
        severity=entry["severity"],
        summary=entry["summary"].strip(),
        what=entry["what"].strip(),
        why=entry["why"].strip(),
        example=entry["example"].rstrip(),
        use_instead=entry["use_instead"].rstrip(),
        hint=entry["hint"].strip(),
        options=options,
        references=tuple(str(r) for r in references),
        default_enabled=bool(entry.get("default_enabled", True)),
        example_language=str(entry.get("example_language", "python")),
    )
