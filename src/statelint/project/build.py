"""Build the run's :class:`~statelint.project.model.ProjectModel` from every Python file of the project.

The model covers the whole project, not only the files a run reports on: a pre-commit
hook passes the staged files, and what they mean depends on the others (who calls a
function, what a factory returns).

Three levels of reuse keep that cheap (all in the result cache, keyed by content):

* each file's :class:`~statelint.project.summary.Summary`, by content hash and module name;
* the *project record*: every file's size, modification time and summary key, and the
  view digest of each module. When no summary key changed, every file's view is known
  without building the model at all (a warm run);
* when some files changed but each one's summary is what it was (an edit inside a
  function body that changes no definition or call, a comment), the model is the same,
  so the recorded views still hold. The model is then built only if some file's result
  is not in the cache, and only then are the summaries of the other files read.

A file that cannot be read, decoded or parsed contributes an empty summary; its SL001
comes from its own analysis, as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statelint.digests import blake2b
from statelint.engine.discovery import Target, discover
from statelint.engine.gc_pause import no_collection
from statelint.engine.source import SourceError, decode_python, read_bytes
from statelint.project.model import ModuleView, ProjectModel, watched_heads
from statelint.project.summary import Summary, summarize
from statelint.project.vendored import vendored

if TYPE_CHECKING:
    from statelint.engine.analyze import Plan

#: Above this many files to summarise, the work goes to worker processes.
PARALLEL_ABOVE = 48
#: Up to this many changed files, each is summarised at once to see whether the model changed at all.
FEW_CHANGED = 32
RECORD = "model"
LISTING = "listing"  # the project's Python files, and the stamps of the folders they were found in


#: What marks a folder as a project's root when no configuration file names one.
PROJECT_MARKERS = (
    ".git",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    ".statelint.yaml",
    ".statelint.yml",
    ".statelint.toml",
    "statelint.toml",
)


def project_targets(paths: Sequence[str], targets: list[Target], plan: Plan, cwd: Path) -> list[Target]:
    """The Python files the model is built from: the project root's, unless the scanned paths cover it.

    The root is the configuration file's folder, or else the closest folder above the checked
    files that holds a project marker (``.git``, ``pyproject.toml`` ...). Without either, the
    model covers the files given: a file checked from ``/`` must not make statelint walk the disk.
    """
    python = [t for t in targets if t.kind == "python"]
    root = project_root(plan.settings, [Path(cwd, p) for p in paths])
    if root is None or any(_covers(Path(cwd, p), root) for p in paths):
        return python
    found = _listing(plan, cwd, root)
    known = {os.path.abspath(t.path) for t in python}
    return python + [t for t in found if os.path.abspath(t.path) not in known]


def project_root(settings: Any, paths: Sequence[Path]) -> Path | None:
    """The folder whose Python files make up the project of ``paths`` (see :func:`project_targets`):
    the configuration's folder, or the closest folder above the first path that holds a marker;
    None when there is none, or when some path lies outside it."""
    if settings.config_path is not None:
        root: Path | None = Path(settings.root)
    else:
        first = paths[0].resolve() if paths else Path.cwd()
        root = next(
            (f for f in (first, *first.parents) if any(os.path.exists(os.path.join(f, m)) for m in PROJECT_MARKERS)),
            None,
        )
    if root is None:
        return None
    for path in paths:
        resolved = path.resolve()
        if resolved != root and root not in resolved.parents:
            return None  # files of several projects: each run sees what it is given
    return root


def _listing(plan: Plan, cwd: Path, root: Path) -> list[Target]:
    """The project's Python files, as a walk of the root finds them; the last walk's answer while no
    folder it went through, and no ``.gitignore`` in one, changed since (a file added, removed or
    renamed changes its folder's modification time), as git's untracked cache does."""
    settings = plan.settings
    cache = plan.cache
    record = cache.get_record(LISTING) if cache is not None else None
    where = [str(cwd), str(root), str(settings.cwd), str(settings.display_root)]  # what displays depend on
    if isinstance(record, dict) and record.get("cwd") == where and _stamps(record.get("folders", ())) == record.get("stamps"):
        try:
            return [Target(str(display), str(path), "python") for display, path in record["files"]]
        except (KeyError, TypeError, ValueError):
            pass
    found, _ = discover([str(root)], settings, cwd, ())
    python = [t for t in found if t.kind == "python"]
    if cache is not None:
        folders = sorted({os.path.dirname(os.path.abspath(t.path)) for t in python} | {str(root)})
        folders = sorted({f for folder in folders for f in _up_to(folder, str(root))})
        files = [[t.display, t.path] for t in python]
        cache.put_record(LISTING, {"cwd": where, "folders": folders, "stamps": _stamps(folders), "files": files})
    return python


def _up_to(folder: str, root: str) -> list[str]:
    """``folder`` and each folder above it up to ``root``."""
    out = [folder]
    while folder != root and len(folder) > len(root):
        folder = os.path.dirname(folder)
        out.append(folder)
    return out


def _stamps(folders: Any) -> list[Any]:
    """The modification times of ``folders`` and of the ``.gitignore`` in each (None: none there)."""
    stamps: list[Any] = []
    for folder in folders if isinstance(folders, list) else ():
        for path in (folder, os.path.join(str(folder), ".gitignore")):
            try:
                info = os.stat(path)
                stamps.append([info.st_mtime_ns, info.st_size])
            except (OSError, TypeError, ValueError):
                stamps.append(None)
    return stamps


def _covers(path: Path, root: Path) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return resolved == root or resolved in root.parents


def summarize_file(target: Target, plan: Plan, data: bytes | None = None, keep: bool = False) -> Summary:
    """The part of one file's summary the model joins (an empty one when the file cannot be read or
    parsed). With ``keep``, the file's CPython tree and whole summary stay with ``plan`` for the file's
    own analysis in this process."""
    from statelint.engine.analyze import _cpython_parse

    module, is_package = plan.module_name(target.path)
    with no_collection():  # a tree holds no cycles: on the stdlib the collector's walks cost 4x the parse
        try:
            text = decode_python(data if data is not None else read_bytes(target.path))
            tree = _cpython_parse(text, target.display)
        except (SourceError, SyntaxError, ValueError, RecursionError, MemoryError):
            return Summary(module, is_package)
        try:
            summary = summarize(tree, module, is_package)
        except Exception:  # noqa: BLE001 - odd code the summary does not foresee costs its facts, never the run
            return Summary(module, is_package)
    if keep:
        plan.keep_tree(target.path, text, tree, summary)  # whole: the file's own analysis asks its writes
    return summary.joined_part()


class _File:
    """One file of the model: where it is, whether it is deployed, and its summary's cache key."""

    __slots__ = ("target", "real", "stat", "key", "deployed")

    def __init__(self, target: Target, plan: Plan) -> None:
        self.target = target
        self.real = os.path.abspath(target.path)
        try:
            info = os.stat(target.path)
            self.stat: list[int] | None = [info.st_mtime_ns, info.st_size]
        except OSError:
            self.stat = None
        self.key: str | None = None
        self.deployed = plan.settings.deployed(target.display, self.real)


def prepare(paths: Sequence[str], targets: list[Target], plan: Plan, cwd: Path, jobs: int) -> None:
    """Give ``plan`` every Python target's view: from the project record when the project's summaries
    are what it records, else from a model built now. The model itself is left to be built when a
    file must be analysed (:meth:`Plan.ensure_model`)."""
    files = [_File(t, plan) for t in project_targets(paths, targets, plan, cwd)]
    cache = plan.cache
    record = cache.get_record(RECORD) if cache is not None else None
    recorded: dict[str, Any] = record.get("files", {}) if isinstance(record, dict) else {}
    changed: dict[str, bytes] = {}  # files whose content is not what the record says: path -> content
    for file in files:
        known = recorded.get(file.real)
        if isinstance(known, list) and len(known) == 3 and file.stat is not None and known[:2] == file.stat:
            file.key = known[2]
        elif cache is not None:
            try:
                data = read_bytes(file.target.path)
            except SourceError:
                continue
            file.key = cache.summary_key(plan.module_name(file.target.path), data)
            if not isinstance(known, list) or len(known) != 3 or known[2] != file.key:
                changed[file.real] = data
    fresh: dict[str, Summary] = {}
    if recorded and len(changed) <= FEW_CHANGED:  # a pre-commit run: summarise them here, and compare
        fresh = {f.real: summarize_file(f.target, plan, changed[f.real], keep=True) for f in files if f.real in changed}
    if cache is not None:
        for file in files:
            if file.real in fresh and file.key is not None:
                cache.put_summary(file.key, fresh[file.real])
    fingerprint = _fingerprint(files)
    views = record.get("views", {}) if isinstance(record, dict) else {}
    same = isinstance(record, dict) and record.get("fingerprint") == fingerprint
    if not same and isinstance(record, dict) and len(recorded) == len(files) and all(f.real in recorded for f in files):
        same = _same_summaries(files, recorded, fresh, plan)  # only edits that change no definition or call
    if same and all(f.real in views for f in files):
        model_key = record.get("model")
        plan.preset_views(
            {f.target.path: _view_from_record(views[f.real], f.target.path, plan) for f in files},
            partial_loader(files, plan, fresh, model_key),
        )
    else:
        with no_collection():
            summaries = gather_summaries(files, plan, jobs, fresh)
        joined = _join_elsewhere(files, summaries, plan) if len(files) > PARALLEL_ABOVE and jobs > 1 else None
        model_key = fingerprint
        if joined is not None:
            text, records = joined
            del summaries
            _give_back_memory()  # the summaries are gone: the workers forked next need not share them
            views = {f.real: record for f, record in zip(files, records, strict=True)}
            plan.preset_views({f.target.path: _view_from_record(views[f.real], f.target.path, plan) for f in files}, StoredModel(text))
            if cache is not None:
                cache.put_record_text(f"{RECORD}-{model_key}", text)
        else:
            model, computed = _join_with_views(files, summaries, plan)
            del summaries
            views = {f.real: _view_record(v) for f, v in zip(files, computed, strict=True)}
            _give_back_memory()  # the summaries and the join's memos are gone: forked workers need not share them
            plan.preset_views({f.target.path: v for f, v in zip(files, computed, strict=True)}, None)
            plan.model = model
            if cache is not None:
                cache.put_record(f"{RECORD}-{model_key}", model.to_json())
        if cache is not None:
            previous = record.get("model") if isinstance(record, dict) else None
            if isinstance(previous, str) and previous != model_key and previous.isalnum():
                cache.drop_record(f"{RECORD}-{previous}")  # one stored model per run folder
    if cache is not None and (not same or record.get("fingerprint") != fingerprint):
        entries = {f.real: [*f.stat, f.key] for f in files if f.stat is not None and f.key is not None}
        cache.put_record(RECORD, {"fingerprint": fingerprint, "files": entries, "views": views, "model": model_key})


def partial_loader(files: list[_File], plan: Plan, fresh: dict[str, Summary], model_key: Any) -> Callable[[], ProjectModel]:
    """How to get the model when a file must be analysed: the stored one the record names (its
    summaries are all as they were), or a join of the summaries again. It runs where a rule first
    asks, often in a worker process (which may not start processes of its own: one job)."""

    def load() -> ProjectModel:
        cache = plan.cache
        if cache is not None and isinstance(model_key, str):
            stored = ProjectModel.from_json(cache.get_record(f"{RECORD}-{model_key}"))
            if stored is not None:
                return stored
        model = build_model(files, plan, 1, fresh)
        model.compact()
        return model

    return load


def _give_back_memory() -> None:
    """Free the join's garbage and hand the heap's free pages back to the system (glibc): worker
    processes forked next then start from a smaller parent (the summaries of a 600-file project
    take some 50 MB while they are joined; see bench/run.py's peak memory)."""
    import gc

    from statelint.engine.gc_pause import trim_heap

    gc.collect()
    trim_heap()


def _fingerprint(files: Iterable[_File]) -> str:
    digest = blake2b(digest_size=16)
    for file in sorted(files, key=lambda f: f.real):
        # the display path too: the model names files as reports show them (relative to the working folder)
        digest.update(f"{file.real}\0{file.target.display}\0{file.key}\0{file.deployed}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _same_summaries(files: list[_File], recorded: dict[str, Any], fresh: dict[str, Summary], plan: Plan) -> bool:
    """Whether every changed file's new summary equals the one recorded for it (so the model is unchanged)."""
    cache = plan.cache
    for file in files:
        old = recorded[file.real][2]
        if file.key == old:
            continue
        before = cache.get_summary(old) if cache is not None else None
        if before is None or file.real not in fresh or not fresh[file.real].joins_as(before):
            return False
    return True


def _view_record(view: ModuleView) -> list[Any]:
    """What the project record keeps of a view (read back by :func:`_view_from_record`)."""
    return [view.deployed, view.digest, view.external]


def _view_from_record(entry: Any, path: str, plan: Plan) -> ModuleView:
    module = plan.module_name(path)[0]
    try:
        deployed, digest, external = entry
        return ModuleView(None, module, bool(deployed), str(digest), str(external))
    except (TypeError, ValueError):
        return ModuleView(None, module, True, "")


def build_model(files: list[_File], plan: Plan, jobs: int = 1, fresh: dict[str, Summary] | None = None) -> ProjectModel:
    """The model of ``files``: summaries from ``fresh``, then the cache, then computed (in parallel when many)."""
    # Summaries and the join's tables hold no reference cycles, and they only grow while the
    # model is built: the collector's walks over them found nothing and cost 4x the join.
    with no_collection():
        return join(files, gather_summaries(files, plan, jobs, fresh), plan)


def gather_summaries(files: list[_File], plan: Plan, jobs: int, fresh: dict[str, Summary] | None) -> dict[str, Summary]:
    """Every file's summary, by real path: from ``fresh``, then the cache, then computed."""
    cache = plan.cache
    fresh = fresh or {}
    summaries: dict[str, Summary] = {}
    missing: list[_File] = []
    for file in files:
        found = fresh.get(file.real)
        if found is None and cache is not None and file.key is not None:
            found = cache.get_summary(file.key)
        if found is None:
            missing.append(file)
        else:
            summaries[file.real] = found
    for file, summary in zip(missing, _summarize_all([(f.target, f.key) for f in missing], plan, jobs), strict=True):
        summaries[file.real] = summary
    return summaries


def join(files: list[_File], summaries: dict[str, Summary], plan: Plan) -> ProjectModel:
    """The summaries joined into the model, with the catalog's context roots and watched libraries."""
    ordered = sorted(files, key=lambda f: f.target.display)
    catalog = plan.catalog
    knowledge = catalog.families["SL0"].knowledge.get("contexts", {}) if "SL0" in catalog.families else {}
    watched = watched_heads(family.knowledge for code, family in catalog.families.items() if code != "SL0")
    return ProjectModel.build(((summaries[f.real], _deployed(f, summaries, plan), f.target.display) for f in ordered), knowledge, watched)


def _deployed(file: _File, summaries: Mapping[str, Summary], plan: Plan) -> bool:
    """Whether the file is deployed code: no ``not-deployed`` pattern matches it, and its header does
    not say it is a copy of another project's library (:mod:`statelint.project.vendored`), unless
    ``not-deployed = []`` asks for every file to be reported."""
    summary = summaries[file.real]
    if not file.deployed or not summary.vendored or not plan.settings.not_deployed:
        return file.deployed
    literals: dict[str, object] = {}
    top = summary.module.split(".", 1)[0]
    for other in summaries.values():
        if other.module in (top, summary.module):
            literals.update(other.literals)
    return not vendored(summary.module, summary.vendored, literals)


class StoredModel:
    """The compacted model as JSON text, parsed where a rule first needs it: in each worker process,
    so the parent that forks them never holds the model (see :func:`_join_elsewhere`)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __call__(self) -> ProjectModel:
        model = ProjectModel.from_json(json.loads(self.text))
        if model is None:  # cannot happen: the text is this version's own
            raise ValueError("the stored project model is not this version's")
        return model


#: The join runs in this many forked children: each builds the model, and each computes the views of
#: its share of the files (the first also writes the model's text). Views are half the join's time
#: (0.5 of 1.1 s on the stdlib corpus), which the second core, idle while the parent waits, halves.
JOIN_PARTS = 2


def _join_elsewhere(files: list[_File], summaries: dict[str, Summary], plan: Plan) -> tuple[str, list[Any]] | None:
    """Join the summaries in forked children (:data:`JOIN_PARTS`): the compacted model as JSON text and each
    file's view record (``[deployed, digest, external]``), or None where that cannot be done (no fork, a crash).

    The join's tables and garbage take some 50 MB on a 600-file project; made in the parent, every
    worker forked after it would count them again (bench/run.py's peak memory)."""
    from statelint.engine.pool import IsolatedPool, context

    if context().get_start_method() != "fork":
        return None
    answers: dict[int, Any] = {}
    pool = IsolatedPool(JOIN_PARTS, _join_handler, (files, summaries, plan), None, None)
    pool.run({part: part for part in range(JOIN_PARTS)}, [[part] for part in range(JOIN_PARTS)], answers.__setitem__)
    records: list[Any] = [None] * len(files)
    text = None
    for part in range(JOIN_PARTS):
        found = answers.get(part)
        if not (isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], list)):
            return None
        if part == 0:
            text = found[0]
        records[part::JOIN_PARTS] = found[1]
    return (text, records) if isinstance(text, str) else None


def _join_handler(files: list[_File], summaries: dict[str, Summary], plan: Plan) -> Callable[[Any], tuple[str | None, list[Any]]]:
    """In a join child: the model (built once per child), then the views of one share of the files."""
    built: list[ProjectModel] = []

    def handle(part: int) -> tuple[str | None, list[Any]]:
        with no_collection():
            if not built:
                built.append(join(files, summaries, plan))
            model = built[0]
            views = [model.view(plan.module_name(f.target.path)[0]) for f in files[part::JOIN_PARTS]]
        if part != 0:
            return None, [_view_record(v) for v in views]
        built.clear()  # compacted, it has no views left to give: a part this child is given next joins again
        model.compact()  # after the views, which read what compacting drops
        return json.dumps(model.to_json(), separators=(",", ":")), [_view_record(v) for v in views]

    return handle


def _join_with_views(files: list[_File], summaries: dict[str, Summary], plan: Plan) -> tuple[ProjectModel, list[ModuleView]]:
    """The compacted model of ``summaries``, and each file's view of it (in ``files`` order)."""
    with no_collection():
        model = join(files, summaries, plan)
        views = [model.view(plan.module_name(f.target.path)[0]) for f in files]
    model.compact()
    return model, views


def _summarize_all(tasks: list[tuple[Target, str | None]], plan: Plan, jobs: int) -> list[Summary]:
    """Summaries of the targets, each cached under its key (when it has one). Many files go to worker
    processes, which also cache them and screen each file on the way (:data:`Plan.screened`): the tree
    CPython built for the summary serves the file's prefilter and syntax check too, and a file no rule
    wants is then finished without a second parse."""
    targets = [target for target, _ in tasks]
    if len(targets) <= PARALLEL_ABOVE or jobs <= 1:
        found = [summarize_file(target, plan, keep=True) for target in targets]
        if plan.cache is not None:
            for (_, key), summary in zip(tasks, found, strict=True):
                if key is not None:
                    plan.cache.put_summary(key, summary)
        return found
    from statelint.engine.pool import IsolatedPool

    results: dict[int, Summary] = {}

    def on_result(index: int, value: Any) -> None:
        # A crash, an overrun or an engine error leaves the file an empty summary: its own
        # analysis reports it (SL001), as it does for any file it cannot analyse.
        if isinstance(value, tuple) and len(value) == 4 and isinstance(value[0], Summary):
            summary, digest, screened, notes = value
            if screened is not None and digest is not None:
                plan.screened[targets[index].path] = (digest, screened, notes.get("asked"), notes.get("declined"))
        else:
            summary = Summary(*plan.module_name(targets[index].path))
        results[index] = summary

    from statelint.engine.runner import _chunks

    # Largest files first, the last chunks small, as for the analysis: chunks of every eighth file
    # left one worker idle for the last of them (on the stdlib, 0.5 of its 3 CPU seconds).
    chunks = _chunks(list(range(len(targets))), {i: _size(t.path) for i, t in enumerate(targets)}, jobs)
    _ = plan.index  # computed before forking, so no worker repeats it
    pool = IsolatedPool(min(jobs, len(chunks)), _summary_handler, (plan,), plan.settings.file_timeout, 200.0)
    pool.run(dict(enumerate(tasks)), chunks, on_result)
    return [results[index] for index in range(len(targets))]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _summary_handler(plan: Plan) -> Callable[[tuple[Target, str | None]], tuple[Summary, str | None, Any, dict[str, Any]]]:
    from statelint.engine.analyze import analyze
    from statelint.engine.cache import content_digest

    def handle(task: tuple[Target, str | None]) -> tuple[Summary, str | None, Any, dict[str, Any]]:
        target, key = task
        try:
            data = read_bytes(target.path)
        except SourceError:
            return summarize_file(target, plan), None, None, {}
        summary = summarize_file(target, plan, data, keep=True)
        cache = plan.cache
        if key is not None and cache is not None and cache.summary_key(plan.module_name(target.path), data) == key:
            cache.put_summary(key, summary)  # here, in parallel, and only for the content the key names
        notes: dict[str, Any] = {}
        screened = analyze(target, plan, data, light=True, notes=notes)  # the model is not built: the file's own view
        plan.drop_tree(target.path)
        return summary, content_digest(data), screened, notes

    return handle
