"""The result cache in ``.statelint_cache/``: per-file results keyed by everything that decides them.

One folder per *run key* (statelint's version and code, the rule catalog, the
effective settings, the Python and libcst versions) holds one small JSON file per
analysed file, named by the file's content hash, path and module name. A warm run
reads the files, hashes them and loads these records instead of parsing anything.

Cross-file rules stay correct because what is cached is the per-file
:class:`~statelint.model.FileResult`, facts included; they are joined again on
every run (and the join's own output is cached by the digest of its inputs).

Safe to share between concurrent runs: every write goes to a temporary file that
is renamed into place, and an unreadable or foreign entry is a miss, never an
error. A cache folder that cannot be created just turns caching off.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from statelint import __version__
from statelint.atomic import write_text
from statelint.digests import blake2b
from statelint.model import (
    FileResult,
    Finding,
    InternalError,
    Related,
    Severity,
    Span,
    Suppression,
)
from statelint.project.summary import Summary

FORMAT = 1
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by statelint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
#: Run folders nobody used for this long are removed (settings and versions come and go).
STALE_AFTER = 30 * 24 * 3600
_RUN_DIR = re.compile(r"^v\d+-[0-9a-f]{16}$")


def content_digest(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


def code_digest() -> str:
    """statelint's own code and libcst's version: an editable install changes without a new version."""
    digest = blake2b(digest_size=16)
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    digest.update(sources_stamp(package).encode("utf-8", "surrogatepass"))
    digest.update(_libcst_version().encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def sources_stamp(package: str) -> str:
    """The Python modules under ``package``, known by name, size and modification time.

    As mypy and Python's own bytecode cache know sources: reading them all cost every run 5 ms.
    Listed in :func:`os.walk`'s order (a folder's files, then its subfolders, sorted by name),
    walked with :func:`os.scandir` directly: ``os.walk`` and ``relpath`` cost twice as much.
    """
    parts: list[str] = []
    pending = [(package, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir():
                    if entry.name != "__pycache__" and not entry.is_symlink():
                        subfolders.append((entry.path, f"{prefix}{entry.name}/"))
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    parts.append(f"{prefix}{entry.name}\0{info.st_size}\0{info.st_mtime_ns}")
            except OSError:
                continue
        pending.extend(reversed(subfolders))
    return "\n".join(parts)


def _libcst_version() -> str:
    """Without importing libcst (which costs more than a warm run): read its version file,
    where the import system would find the package first (``find_spec`` when not in a folder)."""
    for entry in sys.path:
        try:
            return Path(entry or ".", "libcst", "_version.py").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    import importlib.util

    try:
        spec = importlib.util.find_spec("libcst")
    except (ImportError, ValueError):
        return "?"
    if spec is None or not spec.origin:
        return "?"
    folder = Path(spec.origin).parent
    try:
        return (folder / "_version.py").read_text(encoding="utf-8", errors="replace")
    except OSError:
        try:
            return str(Path(spec.origin).stat().st_mtime_ns)
        except OSError:
            return "?"


class ResultCache:
    """Per-file results of one kind of run (same code, catalog and settings)."""

    def __init__(self, directory: Path, run_key: str) -> None:
        self.root = directory
        self.folder = directory / f"v{FORMAT}-{run_key}"
        self.enabled = True
        self._made: set[Path] = set()

    @classmethod
    def open(cls, directory: Path, catalog_digest: str, settings_fingerprint: str) -> ResultCache:
        key = blake2b(
            "\0".join((__version__, code_digest(), catalog_digest, settings_fingerprint)).encode(),
            digest_size=8,
        ).hexdigest()
        return cls(directory, key)

    # -- per-file results --------------------------------------------------------------
    def file_key(self, display: str, path: str, kind: str, module: tuple[str, bool], digest: str, view: str = "") -> str:
        """A file's key: its content, the names it is analysed under, and the digest of what the
        project model tells its rules (:attr:`~statelint.project.model.ModuleView.digest`)."""
        blob = "\0".join((display, os.path.abspath(path), kind, module[0], str(module[1]), digest, view))
        # surrogatepass: file names with bytes the file system encoding cannot decode
        return blake2b(blob.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def get(self, key: str, display: str) -> FileResult | None:
        data = self._read(self.folder / "files" / key[:2] / f"{key}.json")
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        try:
            return decode_result(data["result"], display)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def put(self, key: str, result: FileResult) -> None:
        try:
            encoded = encode_result(result)
        except (TypeError, ValueError):
            return
        self._write(self.folder / "files" / key[:2] / f"{key}.json", {"key": key, "result": encoded})

    # -- per-file summaries (the project model's input) ---------------------------------------
    def summary_key(self, module: tuple[str, bool], data: bytes) -> str:
        """A summary's key: the file's content and the module name it is summarised under."""
        return blake2b(f"{module[0]}\0{module[1]}\0".encode("utf-8", "surrogatepass") + data, digest_size=16).hexdigest()

    def get_summary(self, key: str) -> Summary | None:
        data = self._read(self.folder / "summaries" / key[:2] / f"{key}.json")
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        return Summary.from_json(data.get("summary"))

    def put_summary(self, key: str, summary: Summary) -> None:
        self._write(self.folder / "summaries" / key[:2] / f"{key}.json", {"key": key, "summary": summary.to_json()})

    # -- small named records (the rule index, project-wide results) ----------------------
    def get_record(self, name: str) -> Any:
        data = self._read(self.folder / f"{name}.json")
        return data.get("value") if isinstance(data, dict) and data.get("name") == name else None

    def drop_record(self, name: str) -> None:
        """Forget a named record (one that a newer record replaced)."""
        try:
            (self.folder / f"{name}.json").unlink()
        except OSError:
            pass

    def put_record(self, name: str, value: Any) -> None:
        self._write(self.folder / f"{name}.json", {"name": name, "value": value})

    def put_record_text(self, name: str, value: str) -> None:
        """:meth:`put_record` for a value that is JSON text already (a stored model: not encoded twice)."""
        self._write_text(self.folder / f"{name}.json", f'{{"name":{json.dumps(name)},"value":{value}}}')

    # -- project-wide results: check_project() is a function of the facts it joins ------
    def _project_key(self, code: str, facts: dict[str, list[Any]]) -> str | None:
        try:
            blob = json.dumps(facts, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return None
        return code + "-" + blake2b(blob.encode(), digest_size=16).hexdigest()

    def get_project(self, code: str, facts: dict[str, list[Any]]) -> list[Finding] | None:
        key = self._project_key(code, facts)
        data = self.get_record(f"project/{key}") if key else None
        if not isinstance(data, list):
            return None
        try:
            return [_decode_finding(item, item.pop("path")) for item in data]
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def put_project(self, code: str, facts: dict[str, list[Any]], findings: list[Finding]) -> None:
        key = self._project_key(code, facts)
        if key is None:
            return
        try:
            encoded = [dict(_encode_finding(f), path=f.path) for f in findings]
        except (TypeError, ValueError, AttributeError):
            return
        self.put_record(f"project/{key}", encoded)

    # -- storage -----------------------------------------------------------------------
    def _read(self, path: Path) -> Any:
        if not self.enabled:
            return None
        try:
            with open(path, "rb") as handle:
                return json.loads(handle.read())
        except (OSError, ValueError):
            return None

    def _write(self, path: Path, value: Any) -> None:
        if not self.enabled:
            return
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return
        self._write_text(path, text)

    def _write_text(self, path: Path, text: str) -> None:
        if not self.enabled:
            return
        try:
            self._ensure(path.parent)
            write_text(path, text)
        except UnicodeEncodeError:
            return  # a name with bytes the file system could not decode: not cached
        except OSError:
            self.enabled = False  # read-only or full disk: run without a cache

    def _ensure(self, folder: Path) -> None:
        if folder in self._made:
            return
        if not self.root.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "# Created by statelint.\n*\n")):
            marker = self.root / name
            if not marker.exists():
                write_text(marker, text)
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
            self._prune()
        folder.mkdir(parents=True, exist_ok=True)
        self._made.add(folder)

    def touch(self) -> None:
        """Mark this run folder as used (stale ones are pruned when a new one is made)."""
        try:
            os.utime(self.folder)
        except OSError:
            pass

    def _prune(self) -> None:
        now = time.time()
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return
        for entry in entries:
            if entry.name == self.folder.name or not _RUN_DIR.match(entry.name):
                continue
            try:
                stale = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            except OSError:
                continue
            if stale and entry.is_dir(follow_symlinks=False):
                import shutil  # seldom needed, and costly to import

                shutil.rmtree(entry.path, ignore_errors=True)


# -- JSON codec for FileResult --------------------------------------------------------------
# Explicit per record type, so a cached result is equal (==) to a fresh one: tuples come
# back as tuples, enums as enums. Fields added to the records later are carried along by
# name; a field the codec cannot represent makes the result uncacheable, never wrong.


def encode_result(result: FileResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FileResult.FIELDS:
        value = getattr(result, name)
        if name == "path":
            continue
        if name == "findings":
            value = [_encode_finding(x) for x in value]
        elif name == "errors":
            value = [[e.message, e.code] for e in value]
        elif name == "suppressions":
            value = [_encode_plain(s) for s in value]
        elif name == "lines":
            value = {str(k): v for k, v in value.items()}
        out[name] = value
    return out


def decode_result(data: dict[str, Any], path: str) -> FileResult:
    kwargs: dict[str, Any] = {"path": path}
    names = set(FileResult.FIELDS)
    if set(data) != names - {"path"}:
        raise ValueError("cached result has other fields than this version's FileResult")
    for name, value in data.items():
        if name == "findings":
            value = [_decode_finding(x, path) for x in value]
        elif name == "errors":
            value = [InternalError(path, message, code) for message, code in value]
        elif name == "suppressions":
            value = [_decode_plain(Suppression, s) for s in value]
        elif name == "lines":
            value = {int(k): v for k, v in value.items()}
        elif name == "file_ignores":
            value = tuple(value) if value is not None else None
        kwargs[name] = value
    return FileResult(**kwargs)


def _encode_finding(finding: Finding) -> dict[str, Any]:
    out = _encode_plain(finding)
    del out["path"]
    out["span"] = [finding.span.line, finding.span.column, finding.span.end_line, finding.span.end_column]
    out["severity"] = finding.severity.value
    out["related"] = [[step.label, step.path, step.name] for step in finding.related]  # lines: found per run
    return out


def _decode_finding(data: dict[str, Any], path: str) -> Finding:
    values = dict(data, path=path)
    values["span"] = Span(*values["span"])
    values["severity"] = Severity(values["severity"])
    values["related"] = tuple(Related(str(label), str(path), str(name)) for label, path, name in values["related"])
    return _decode_plain(Finding, values)


def _encode_plain(record: Any) -> dict[str, Any]:
    """A named-tuple record as a JSON object (tuples in it as lists)."""
    return {name: list(value) if isinstance(value, tuple) else value for name, value in record._asdict().items()}


def _decode_plain(cls: Any, data: dict[str, Any]) -> Any:
    values = {}
    for name in cls._fields:
        value = data[name]
        if isinstance(value, list) and "tuple" in str(cls.__annotations__[name]):
            value = tuple(value)
        values[name] = value
    if len(values) != len(data):
        raise ValueError(f"cached {cls.__name__} has unknown fields")
    return cls(**values)
