"""Analyse one file: read, decode, prefilter, parse once, run every rule in one walk.

Runs inside worker processes: it takes and returns plain records, never CST nodes.
Nothing here imports libcst or the rule modules until a file needs them, so a run
whose files all come from the cache (or match no rule's needles) never pays for
those imports.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import json
import os
import re
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from statelint.catalog import Catalog, RuleDoc, load_catalog
from statelint.config.settings import Settings
from statelint.engine.discovery import Target
from statelint.engine.gc_pause import no_collection
from statelint.engine.needles import NeedleIndex
from statelint.engine.requirements import FileFacts, Requires, lookup
from statelint.engine.shapes import EXTERNAL, expanded_to
from statelint.engine.source import SourceError, decode_python, decode_text, read_bytes
from statelint.engine.suppressions import (
    UNUSED_SUPPRESSION,
    file_ignored,
    file_ignores,
    parse_suppressions,
)
from statelint.model import FileResult, Finding, InternalError, Severity, Span
from statelint.project.model import ModuleView

if TYPE_CHECKING:
    from statelint.engine.context import FileContext
    from statelint.project.model import ProjectModel
    from statelint.project.summary import Summary
    from statelint.rules.base import BaseRule, Rule, TextRule

PARSE_ERROR = "SL001"
#: Code prefixes of the deployment families: none of them reports on code that is never deployed.
NOT_DEPLOYED_SKIPS = tuple(f"SL{family}" for family in range(1, 10))


class RuleIndex(NamedTuple):
    """What the engine needs to know about the enabled rules before importing them.

    Plain JSON data, so the result cache can keep it: a run that finds it there
    discovers files and prefilters them without importing a single rule module.
    """

    python: tuple[str, ...]  # codes of rules over Python source, in run order
    text: tuple[tuple[str, tuple[str, ...]], ...]  # (code, file-name patterns) of rules over other files
    needles: dict[str, tuple[str, ...]]  # code -> substrings one of which must occur; () = always
    modules: dict[str, str]  # code -> the module defining the rule
    project: tuple[str, ...]  # codes with a check_project(): the join needs their classes
    join_on: dict[str, str]  # code -> fact key without which its join finds nothing
    requires: dict[str, Requires]  # code -> what a file's summary must show for it

    def to_json(self) -> dict[str, Any]:
        return {
            "python": list(self.python),
            "text": [[c, list(p)] for c, p in self.text],
            "needles": self.needles,
            "modules": self.modules,
            "project": list(self.project),
            "join_on": self.join_on,
            "requires": {code: requires.to_json() for code, requires in self.requires.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> RuleIndex | None:
        try:
            return cls(
                tuple(str(c) for c in data["python"]),
                tuple((str(c), tuple(str(p) for p in patterns)) for c, patterns in data["text"]),
                {str(c): tuple(str(n) for n in needles) for c, needles in data["needles"].items()},
                {str(c): str(m) for c, m in data["modules"].items()},
                tuple(str(c) for c in data["project"]),
                {str(c): str(k) for c, k in data["join_on"].items()},
                {str(c): Requires.from_json(r) for c, r in data["requires"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


class Plan:
    """The enabled rules and their settings, built once per process.

    Rule classes (and libcst with them) are loaded on first use: a process that
    only needs the :class:`RuleIndex` (a warm run, a file no rule wants) never
    imports them. ``cache`` is the run's result cache, when it has one.
    """

    def __init__(self, settings: Settings, catalog: Catalog, index: RuleIndex | None = None) -> None:
        self.settings = settings
        self.catalog = catalog
        self._index = index
        self._rules: tuple[list[tuple[type[Rule], RuleDoc]], list[tuple[type[TextRule], RuleDoc]]] | None = None
        self._classes: dict[str, type[BaseRule]] = {}  # rules imported one module at a time
        self.cache: Any = None
        #: the run's project model (None: each file is judged alone, as a run without one does)
        self.model: ProjectModel | None = None
        self._views: dict[str, ModuleView] = {}
        self._builder: Callable[[], ProjectModel] | None = None
        #: CPython trees the project summaries were made from in this process, by path, with
        #: their text: the file's own analysis reuses them instead of parsing again
        self._trees: dict[str, tuple[str, ast.Module]] = {}
        self._summaries: dict[str, tuple[str, Summary]] = {}  # the summaries made of those trees
        #: what screening found while the files were summarised, by path: the content digest, a result
        #: (no rule wanted the file) or the rules left to it, and the rules its needles asked and its
        #: declarations turned down (see :func:`with_expansions`: the model may give the file library
        #: names to match)
        self.screened: dict[str, tuple[str, FileResult | Pending, frozenset[str] | None, frozenset[str] | None]] = {}
        self._packages: dict[str, tuple[str, ...]] = {}  # folder -> its package names, for this run
        self._needle_index: NeedleIndex | None = None
        #: ``STATELINT_PREFILTER=off`` parses every file for every rule: how the tests and
        #: the benchmark show that needles and declarations never change a result.
        self.prefilter = os.environ.get("STATELINT_PREFILTER", "on").lower() != "off"

    @classmethod
    def build(cls, settings: Settings, index: RuleIndex | None = None) -> Plan:
        return cls(settings, load_catalog(), index)

    def _load_rules(self) -> tuple[list[tuple[type[Rule], RuleDoc]], list[tuple[type[TextRule], RuleDoc]]]:
        if self._rules is None:
            from statelint.rules import all_rules
            from statelint.rules.base import Rule, TextRule

            python: list[tuple[type[Rule], RuleDoc]] = []
            text: list[tuple[type[TextRule], RuleDoc]] = []
            rules = all_rules()
            for code in self.settings.enabled:
                rule = rules.get(code)
                if rule is None:
                    continue
                # A rule may be both: e.g. probes in manifests checked against routes in code.
                if issubclass(rule, TextRule):
                    text.append((rule, self.catalog.rules[code]))
                if issubclass(rule, Rule):
                    python.append((rule, self.catalog.rules[code]))
            self._rules = (python, text)
        return self._rules

    @property
    def python_rules(self) -> list[tuple[type[Rule], RuleDoc]]:
        return self._load_rules()[0]

    @property
    def text_rules(self) -> list[tuple[type[TextRule], RuleDoc]]:
        return self._load_rules()[1]

    @property
    def index(self) -> RuleIndex:
        if self._index is None:
            from statelint.rules import all_rules
            from statelint.rules.base import BaseRule

            rules = all_rules()
            needles = {
                code: self._needles(rules[code], self.catalog.rules[code]) for code in self.settings.enabled if code in rules
            }
            self._index = RuleIndex(
                tuple(doc.code for _, doc in self.python_rules),
                tuple((doc.code, tuple(rule.patterns)) for rule, doc in self.text_rules),
                needles,
                {code: rules[code].__module__ for code in needles},
                tuple(code for code in needles if rules[code].check_project.__func__ is not BaseRule.check_project.__func__),
                {code: rules[code].join_on for code in needles if rules[code].join_on},  # type: ignore[misc]
                {code: rules[code].requires for code in needles if rules[code].requires is not None and needles[code]},  # type: ignore[misc]
            )
        return self._index

    def rules_for(self, codes: set[str], kind: str) -> list[tuple[Any, RuleDoc]]:
        """The enabled ``kind`` ("python" or "text") rules among ``codes``, in run order.

        Imports only the modules that define them, unless every rule is loaded already:
        a worker of a small run does not pay for the thirty rule modules it never uses.
        """
        if self._rules is not None:
            loaded = self._rules[0] if kind == "python" else self._rules[1]
            return [(rule, doc) for rule, doc in loaded if doc.code in codes]
        order = self.index.python if kind == "python" else tuple(code for code, _ in self.index.text)
        return [(self.rule_type(code), self.catalog.rules[code]) for code in order if code in codes]

    @property
    def needles(self) -> dict[str, tuple[str, ...]]:
        return self.index.needles

    @property
    def needle_index(self) -> NeedleIndex:
        """Every enabled rule's needles, prepared once per process for testing files against."""
        if self._needle_index is None:
            self._needle_index = NeedleIndex(needle for needles in self.index.needles.values() for needle in needles)
        return self._needle_index

    @property
    def text_patterns(self) -> tuple[str, ...]:
        return tuple(sorted({p for _, patterns in self.index.text for p in patterns}))

    def rule_type(self, code: str) -> type[BaseRule]:
        """The class of an enabled rule; imports only its module while the others are not needed."""
        found = self._classes.get(code)
        if found is None and self._rules is None and code in self.index.modules:
            from statelint.rules.base import BaseRule

            module_name = self.index.modules[code]
            module = importlib.import_module(module_name)
            for value in vars(module).values():  # what all_rules() accepts as a rule
                if (
                    isinstance(value, type)
                    and issubclass(value, BaseRule)
                    and value.__module__ == module_name
                    and "code" in vars(value)
                ):
                    self._classes.setdefault(value.code, value)
            found = self._classes.get(code)
        if found is None:
            found = {doc.code: rule for rule, doc in (*self.text_rules, *self.python_rules)}[code]
        return found

    def module_name(self, path: str) -> tuple[str, bool]:
        """Dotted module name from the package folders around ``path``, and whether it is a package.

        Each folder's package chain is looked up once per run (the cache key and the summary both
        ask, and files share folders), never across runs: the answer changes when an
        ``__init__.py`` appears, and the result cache keys on it.
        """
        directory, filename = os.path.split(os.path.abspath(path))
        packages = self._packages.get(directory)
        if packages is None:
            packages = self._packages[directory] = package_chain(directory)
        return _module_name(filename, packages)

    def preset_views(self, views: dict[str, ModuleView], builder: Callable[[], ProjectModel] | None) -> None:
        """Views known before the model is built (from the project record), and how to build it when a
        file has to be analysed (see :meth:`ensure_model`)."""
        self._views.update(views)
        self._builder = builder

    def ensure_model(self) -> None:
        """Build the project model if the views came from the record: a file is about to be analysed."""
        if self.model is not None or self._builder is None:
            return
        model = self._builder()
        self._builder = None
        for view in self._views.values():
            if view.model is None and view.digest:
                view.model = model  # the recorded digest is the one this model gives the module
        self.model = model

    def view(self, target: Target) -> ModuleView:
        """What the project model tells the rules checking ``target`` (once per file and run)."""
        found = self._views.get(target.path)
        if found is None:
            if target.kind != "python" or self.model is None:
                deployed = self.settings.deployed(target.display)
                found = ModuleView(None, "", deployed, "" if deployed else "not-deployed")
            else:
                found = self.model.view(self.module_name(target.path)[0])
                if found.model is None:  # a file the model was not built with
                    deployed = self.settings.deployed(target.display)
                    found = ModuleView(self.model, found.module, deployed, "" if deployed else "not-deployed")
            self._views[target.path] = found
        return found

    def keep_tree(self, path: str, text: str, tree: ast.Module, summary: Summary | None = None) -> None:
        """Keep the CPython tree of ``text`` (and the summary made of it) for the file's own analysis."""
        self._trees[path] = (text, tree)
        if summary is not None:
            self._summaries[path] = (text, summary)

    def drop_tree(self, path: str) -> None:
        self._trees.pop(path, None)
        self._summaries.pop(path, None)

    def kept_summary(self, path: str, text: str) -> Summary | None:
        """The summary :meth:`keep_tree` kept of exactly ``text``, once."""
        kept = self._summaries.pop(path, None)
        return kept[1] if kept is not None and kept[0] == text else None

    def cpython_tree(self, target: Target, text: str) -> ast.Module:
        """CPython's tree of ``text``: the one the summary step kept, or a new parse (raises SyntaxError)."""
        kept = self._trees.pop(target.path, None)
        if kept is not None and kept[0] == text:
            return kept[1]
        return _cpython_parse(text, target.display)

    def is_enabled(self, code: str) -> bool:
        return code in self.settings.enabled

    def options(self, doc: RuleDoc, path: str | None = None) -> dict[str, Any]:
        """The rule's options, for ``path`` when given (per-path ``overrides`` applied)."""
        return {**doc.default_options(), **self.settings.options_for(doc.code, path)}

    def make(self, rule: type[BaseRule], doc: RuleDoc, path: str | None = None) -> BaseRule:
        return rule(doc, self.options(doc, path), self.catalog.knowledge(doc.code))

    def _needles(self, rule: type[BaseRule], doc: RuleDoc) -> tuple[str, ...]:
        """The union of the needles for every option set the rule may run with; () = always run."""
        found: dict[str, None] = {}
        for configured in self.settings.option_variants(doc.code):
            needles = rule.prefilter(self.catalog.knowledge(doc.code), {**doc.default_options(), **configured})
            if not needles:
                return ()
            found.update(dict.fromkeys(needles))
        return minimal_needles(found)

    def path_ignores(self, display: str) -> tuple[str, ...]:
        """Codes that ``per-file-ignores`` and per-path ``overrides`` turn off for this path."""
        return self.settings.path_ignores(display)


def minimal_needles(words: Iterable[str]) -> tuple[str, ...]:
    """Drop every needle that contains a shorter one (``FileHandler`` covers ``RotatingFileHandler``):
    any of the rest occurs exactly when any of all of them does, for fewer scans of each file."""
    kept: list[str] = []
    for word in sorted(set(words), key=len):
        if not any(shorter in word for shorter in kept):
            kept.append(word)
    return tuple(sorted(kept))


def package_chain(directory: str) -> tuple[str, ...]:
    """The names of the packages ``directory`` is in, innermost first (it included)."""
    chain: list[str] = []
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        if not package:  # the file system's root
            break
        chain.append(package)
    return tuple(chain)


def _module_name(filename: str, packages: tuple[str, ...]) -> tuple[str, bool]:
    stem = filename.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    parts = ([] if is_package else [stem]) + list(packages)
    return ".".join(reversed(parts)) or stem, is_package


def _error_finding(display: str, error: SourceError, plan: Plan) -> Finding:
    doc = plan.catalog.rules[PARSE_ERROR]
    return Finding(PARSE_ERROR, error.message, display, error.span, Severity(doc.severity), doc.hint)


class Pending:
    """What a light analysis leaves to a worker: the rules that still want the file after the prefilter."""

    __slots__ = ("wanted",)

    def __init__(self, wanted: frozenset[str] | None) -> None:
        self.wanted = wanted  # None: not decided


def analyze(
    target: Target,
    plan: Plan,
    data: bytes | None = None,
    *,
    light: bool = False,
    decided: frozenset[str] | None = None,
    notes: dict[str, frozenset[str]] | None = None,
) -> FileResult | Pending:
    """Everything the enabled rules find in one file (suppressions not yet applied).

    ``data`` is the file's content when the caller has read it already. With ``light``
    a file that some rule still wants after the prefilter is left alone and :class:`Pending`
    returned: rule code and libcst (and their crashes) belong in a worker process;
    reading, needles and CPython's parser are cheap and safe anywhere. ``decided`` is
    such a :class:`Pending`'s answer for this very content: the prefilter is not run again.
    ``notes`` gets what the prefilter asked of a Python file: ``asked``, the rules whose needles
    occur in it, and ``declined``, those of them the declarations turned down (when they were
    asked): what :func:`with_expansions` needs to keep the answer once the model is known.

    It all runs without the cyclic garbage collector. A file's trees (CPython's, then
    libcst's) are alive from their parse to the end and hold no garbage: each collection
    on the way would walk them for nothing (a quarter of the time libcst's tree takes
    to analyse). Reference counting frees what the rules and the prefilter drop as they go,
    and the rare cycle (a scope and its children) goes at the first collection after.
    """
    with no_collection():
        return _analyze(target, plan, data, light, decided, notes)


def _analyze(
    target: Target,
    plan: Plan,
    data: bytes | None,
    light: bool,
    decided: frozenset[str] | None,
    notes: dict[str, frozenset[str]] | None = None,
) -> FileResult | Pending:
    result = FileResult(target.display)
    try:
        if data is None:
            data = read_bytes(target.path)
        if target.kind == "text" and not _text_rules_may_apply(target, data, plan):
            return result  # a data file no rule reads is not even decoded
        text = decode_text(data) if target.kind == "text" else decode_python(data)
    except SourceError as error:
        if plan.is_enabled(PARSE_ERROR):
            result.findings.append(_error_finding(target.display, error, plan))
        return result
    result.file_ignores = file_ignores(text)
    view = plan.view(target)
    skipped = plan.path_ignores(target.display)
    if not view.deployed:  # never deployed: only statelint's own checks (SL0) apply
        skipped = (*skipped, *NOT_DEPLOYED_SKIPS)
    wanted = _wanted_codes(target, text + view.external, plan, result, skipped)
    tree: ast.Module | None = None
    if target.kind == "python":
        result.suppressions = parse_suppressions(text)
        if decided is not None:
            wanted &= decided
        elif notes is not None:
            notes["asked"] = frozenset(wanted)
        if decided is None or not wanted:  # (an empty answer still needs the syntax check)
            wanted, tree, declined = _screen(target, text, plan, result, wanted, view)
            if notes is not None and declined is not None:
                notes["declined"] = frozenset(declined)
    if light and wanted:
        # After a declaration's crash the worker asks again, so that the crash is reported.
        return Pending(None if result.errors else frozenset(wanted))
    if target.kind == "text":
        _run_text_rules(target, text, plan, result, wanted)
    elif wanted:
        plan.ensure_model()  # the rules ask it (a no-op where the model is built, or was loaded before a fork)
        _parse_and_walk(target, text, plan, result, wanted, tree, view)
    if result.findings:
        lines = text.splitlines()
        for finding in result.findings:
            if 0 < finding.span.line <= len(lines):
                result.lines[finding.span.line] = lines[finding.span.line - 1]
    return result


def _text_rules_may_apply(target: Target, data: bytes, plan: Plan) -> bool:
    """Whether some text rule for this file name has a needle in the raw bytes (or no needles)."""
    name = target.display.rsplit("/", 1)[-1]
    for code, patterns in plan.index.text:
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            needles = plan.index.needles.get(code, ())
            if not needles or not plan.prefilter or any(needle.encode() in data for needle in needles):
                return True
    return False


def _wanted_codes(target: Target, text: str, plan: Plan, result: FileResult, skipped: tuple[str, ...]) -> set[str]:
    """The enabled rules that apply to this file and whose needles occur in it.

    Rules share many needles (a family's rules often all of them): each needle is
    tested at most once per file (see :mod:`.needles`), and a rule stops at its first
    needle found.
    """
    index = plan.index
    if target.kind == "text":
        name = target.display.rsplit("/", 1)[-1]
        candidates = [code for code, patterns in index.text if any(fnmatch.fnmatchcase(name, p) for p in patterns)]
    else:
        candidates = list(index.python)
    occurs: Callable[[str], bool] | None = None
    wanted: set[str] = set()
    for code in candidates:
        if file_ignored(code, result.file_ignores) or any(code.startswith(s) for s in skipped):
            continue
        needles = index.needles.get(code, ())
        if not needles or not plan.prefilter:
            wanted.add(code)
            continue
        if occurs is None:
            occurs = plan.needle_index.finder(text)
        if any(occurs(needle) for needle in needles):
            wanted.add(code)
    return wanted


def _plain_facts(code: str, facts: list[Any]) -> list[Any]:
    """Facts as a JSON round trip gives them back, so fresh, parallel and cached runs agree."""
    try:
        return json.loads(json.dumps(facts))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"facts must be JSON data: {exc}") from None


def _run_text_rules(target: Target, text: str, plan: Plan, result: FileResult, wanted: set[str]) -> None:
    for rule_type, doc in plan.rules_for(wanted, "text") if wanted else ():
        try:
            rule = plan.make(rule_type, doc, target.display)
            rule.check(target.display, text)  # type: ignore[attr-defined]
            facts = _plain_facts(doc.code, rule.facts) if rule.facts else None
        except Exception as exc:
            result.errors.append(_internal(target.display, doc.code, exc))
            continue
        for span, message, hint in rule.findings:
            result.findings.append(Finding(doc.code, message, target.display, span, Severity(doc.severity), hint or doc.hint))
        if facts:
            result.facts[doc.code] = [*result.facts.get(doc.code, ()), *facts]
        result.ran.append(doc.code)  # ran to completion here: SL002 may judge its suppressions


def _internal(path: str, code: str | None, exc: BaseException) -> InternalError:
    where = f"rule {code}" if code else "engine"
    return InternalError(path, f"{where} failed: {type(exc).__name__}: {exc}", code)


def _cpython_accepts(text: str, display: str) -> bool:
    """Whether CPython itself parses ``text``: tells libcst's gaps from real syntax errors."""
    try:
        _cpython_parse(text, display)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _cpython_parse(text: str, display: str) -> ast.Module:
    """Parse with CPython's own parser (raises SyntaxError), never printing its warnings
    (``"\\d"`` is a SyntaxWarning on stderr since Python 3.12)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree: ast.Module = compile(text, display, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    return tree


def _syntax_check(target: Target, text: str, plan: Plan, result: FileResult) -> None:
    """SL001 for a file no rule needed to parse: CPython's own parser is several times cheaper than libcst's."""
    if not plan.is_enabled(PARSE_ERROR) or file_ignored(PARSE_ERROR, result.file_ignores):
        return
    try:
        plan.cpython_tree(target, text)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = max(exc.offset or 1, 1)
        error = SourceError(f"cannot parse file: {exc.msg}", Span(line, column, line, column))
        result.findings.append(_error_finding(target.display, error, plan))
    except (RecursionError, MemoryError, ValueError):
        error = SourceError("cannot parse file: too deeply nested or too large to analyse")
        result.findings.append(_error_finding(target.display, error, plan))


#: A hundred brackets opened in a row (whatever lies between them, no bracket closed):
#: searched in the file's brackets alone, which keeps it linear on any input.
_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")
_OPEN_RUN = re.compile(r"[(\[{]{100}")


def _too_deep(target: Target, text: str, plan: Plan, result: FileResult) -> bool:
    """Whether CPython's parser finds the file nested too deeply for libcst's.

    libcst's native parser overflows the C stack (and kills the process) on a couple
    of thousand nested brackets, and is quadratic in nesting depth below that.
    CPython's parser refuses such files cleanly (more than 200 open brackets, or a
    tree deeper than its recursion limit). Asking it costs a fifth of libcst's parse,
    so only files with a long run of opened brackets are asked (a regular expression
    finds those at a hundredth of the cost); the worker processes and the per-file
    time limit catch whatever slips through. Other syntax errors are left to libcst,
    whose reports the SL001 messages have always used.
    """
    if _OPEN_RUN.search(_NOT_BRACKETS.sub("", text)) is None:
        return False
    try:
        _cpython_parse(text, target.display)
        return False
    except SyntaxError as exc:
        if not (exc.msg or "").startswith("too many nested parentheses"):
            return False
        line = exc.lineno or 1
        column = max(exc.offset or 1, 1)
        error = SourceError(f"cannot parse file: {exc.msg}", Span(line, column, line, column))
    except (RecursionError, MemoryError):
        error = SourceError("cannot parse file: expressions nested too deeply to analyse")
    except ValueError:
        return False
    if plan.is_enabled(PARSE_ERROR) and not file_ignored(PARSE_ERROR, result.file_ignores):
        result.findings.append(_error_finding(target.display, error, plan))
    return True


def _declared(
    target: Target, text: str, plan: Plan, result: FileResult, wanted: set[str], view: ModuleView
) -> tuple[set[str], ast.Module | None, set[str] | None]:
    """The wanted rules whose declarations (``requires``) the file's summary meets, CPython's
    tree of it when it was built (the positions of findings reuse it), and the rules the
    declarations turned down (None when they were not asked).

    The declarations only narrow when every wanted rule has one (one without forces the
    libcst parse anyway) and SL002 is not judging this file's suppression comments (a rule
    must run there for its comments to be judged). A file CPython cannot parse, or the
    summary cannot be made of, keeps every rule: libcst's parse reports the error as it
    always has.
    """
    index = plan.index
    narrow = (
        plan.prefilter
        and all(code in index.requires for code in wanted)
        and not (result.suppressions and plan.is_enabled(UNUSED_SUPPRESSION))
    )
    if not narrow:
        return wanted, None, None
    try:
        tree = plan.cpython_tree(target, text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return wanted, None, None
    facts: FileFacts | None = None
    kept: set[str] = set()
    for code in sorted(wanted):
        if _expansions_matter(code, view, plan, target.display):
            kept.add(code)
            continue
        if facts is None:
            facts = _file_facts(target, text, tree, plan, view)
            if facts is None:
                return wanted, tree, None
        doc = plan.catalog.rules[code]
        try:
            if index.requires[code].met(facts, plan.catalog.knowledge(code), plan.options(doc, target.display)):
                kept.add(code)
        except Exception as exc:  # a declaration's bug must not hide findings: run the rule
            result.errors.append(_internal(target.display, code, exc))
            kept.add(code)
    return kept, tree, wanted - kept


def _file_facts(target: Target, text: str, tree: ast.Module, plan: Plan, view: ModuleView) -> FileFacts | None:
    """The file's summary as rules' declarations ask it, expanded through the project model when
    this process has it, else through the file's own definitions (sound there: a rule whose needles
    the model's expansions hold was kept before, see :func:`_expansions_matter`); None when the
    file cannot be summarised (then every rule runs)."""
    from statelint.project.model import ProjectModel
    from statelint.project.summary import summarize

    summary = plan.kept_summary(target.path, text)
    if summary is None:
        module, is_package = plan.module_name(target.path)
        try:
            summary = summarize(tree, module, is_package)
        except Exception:  # noqa: BLE001 - odd code the summary does not foresee: the rules decide
            return None
    expand = view.expand if view.model is not None else ProjectModel.alone(summary).expand
    return FileFacts(text, summary, expand, tree, target.display, view.external)


def _expansions_matter(code: str, view: ModuleView, plan: Plan, path: str) -> bool:
    """Whether the library names the file's project names expand to may be evidence for the rule:
    the declarations read the file alone and then cannot see them (``make_worker()`` building a
    ``Thread``), so then the rule runs. A declaration asking only for calls or mentions says which
    names count (:meth:`Requires.names_expansion`: on the stdlib, ``threading``'s locks, which are
    ``_thread``'s, kept 25 files parsed for SL501 and SL502); for the others a needle of the rule
    occurring in them decides."""
    if not view.external:
        return False
    requires = plan.index.requires.get(code)
    if requires is not None:
        doc = plan.catalog.rules[code]
        verdict = requires.names_expansion(view.external, plan.catalog.knowledge(code), plan.options(doc, path))
        if verdict is not None:
            return verdict
    return any(needle in view.external for needle in plan.index.needles.get(code, ()))


def _screen(
    target: Target, text: str, plan: Plan, result: FileResult, wanted: set[str], view: ModuleView
) -> tuple[set[str], ast.Module | None, set[str] | None]:
    """The rules that need libcst's parse of this Python file (the syntax is checked when none
    does), CPython's tree of it if the prefilter built one, and the rules the declarations
    turned down (None when they were not asked)."""
    if not wanted:
        _syntax_check(target, text, plan, result)
        return wanted, None, None
    if _too_deep(target, text, plan, result):
        return set(), None, None
    return _declared(target, text, plan, result, wanted, view)  # CPython's parse there checks the syntax


def with_expansions(
    light: FileResult | Pending,
    asked: frozenset[str] | None,
    declined: frozenset[str] | None,
    view: ModuleView,
    plan: Plan,
    path: str,
) -> FileResult | Pending | None:
    """A light answer made while the file was read alone, as it stands once the model gives the file
    ``view``: the answer itself, unless the library names the view adds (``external``) may change it;
    then None, and the file is screened again, with them: a rule whose needles only those names hold
    was never asked, a rule the declarations turned down may be brought back by them
    (:func:`_expansions_matter`, or a declaration reading them, :func:`_asks_expansions`), or a
    declaration failed. Screening again parses and summarises the file a second time: on the stdlib
    corpus, 54 files with such names, a tenth of the analysis workers' time; 12 of them need it."""
    if not view.external:
        return light
    if asked is None or (isinstance(light, Pending) and light.wanted is None):
        return None
    index = plan.index
    for code in index.python:
        if code not in asked and any(needle in view.external for needle in index.needles.get(code, ())):
            return None
    for code in declined or ():
        if _expansions_matter(code, view, plan, path) or _asks_expansions(code, view, plan, path):
            return None  # a rule turned down that those names may bring back: asked again, with them
    return light


def _asks_expansions(code: str, view: ModuleView, plan: Plan, path: str) -> bool:
    """Whether the rule's declaration reads one of the library names the file's names expand to (``external``)
    where :func:`_expansions_matter` does not weigh them: through a call it asks for (``calls_any``), or a
    shape's test (:data:`statelint.engine.shapes.EXTERNAL`)."""
    requires = plan.index.requires.get(code)
    if requires is None:
        return True
    knowledge = plan.catalog.knowledge(code)
    options = plan.options(plan.catalog.rules[code], path)
    qualnames = {name for entry in requires.calls for name in lookup(knowledge, entry)}
    qualnames.update(name for option in requires.options for name in options.get(option, ()))
    if expanded_to(view.external, qualnames):
        return True
    return any(EXTERNAL[shape](view.external, knowledge, options) for shape in requires.shapes)


def _parse_and_walk(
    target: Target, text: str, plan: Plan, result: FileResult, wanted: set[str], tree: ast.Module | None, view: ModuleView
) -> None:
    """Parse with libcst and run the wanted rules in one walk."""
    import libcst as cst

    from statelint.engine.context import FileContext
    from statelint.engine.names import NameResolver
    from statelint.engine.parsing import parse_module

    try:
        module = parse_module(text)
    except cst.ParserSyntaxError as exc:
        span = Span(exc.raw_line, exc.raw_column + 1, exc.raw_line, exc.raw_column + 1)
        message = " ".join(exc.message.split())
        if _cpython_accepts(text, target.display):
            message = f"not analysed: valid Python that libcst, statelint's parser, does not support ({message})"
        else:
            message = f"cannot parse file: {message}"
        error = SourceError(message, span)
        if plan.is_enabled(PARSE_ERROR):
            result.findings.append(_error_finding(target.display, error, plan))
        return
    except RecursionError:
        if plan.is_enabled(PARSE_ERROR):
            error = SourceError("cannot parse file: expressions nested too deeply to analyse")
            result.findings.append(_error_finding(target.display, error, plan))
        return
    result.parsed = True
    module_name, is_package = plan.module_name(target.path)
    resolver = NameResolver(module, module_name, is_package, view.expand if view.model is not None else None)
    ctx = FileContext(target.display, text, module, resolver)
    ctx.project = view
    ctx.syntax_tree = tree
    try:
        _run_rules(ctx, target, plan, result, wanted)
    finally:
        ctx.close()


def _run_rules(ctx: FileContext, target: Target, plan: Plan, result: FileResult, wanted: set[str]) -> None:
    """Run the wanted rules over the parsed file in one walk, and collect what they found."""
    from statelint.engine.walker import Dispatcher, walk
    from statelint.rules.base import Rule

    rules: list[Any] = []
    for rule_type, doc in plan.rules_for(wanted, "python"):
        try:
            rule = plan.make(rule_type, doc, target.display)
            assert isinstance(rule, Rule)
            rule.bind(ctx)
        except Exception as exc:
            result.errors.append(_internal(target.display, doc.code, exc))
            continue
        rules.append(rule)
    failed: set[int] = set()

    def on_error(rule: Any, exc: BaseException) -> None:
        failed.add(id(rule))
        result.errors.append(_internal(target.display, rule.doc.code, exc))

    try:
        walk(ctx, Dispatcher(rules, on_error))
    except RecursionError:
        result.errors.append(InternalError(target.display, "engine failed: syntax tree too deep to analyse"))
        return
    ctx.prefetch([found[0] for rule in rules if id(rule) not in failed for found in rule.findings])
    for rule in rules:
        if id(rule) in failed:
            continue
        doc = rule.doc
        try:
            for node, message, hint, related in rule.findings:
                span = ctx.span(node)
                severity = Severity(doc.severity)
                result.findings.append(Finding(doc.code, message, target.display, span, severity, hint or doc.hint, "", related))
            facts = _plain_facts(doc.code, rule.facts) if rule.facts else None
        except Exception as exc:
            result.errors.append(_internal(target.display, doc.code, exc))
            continue
        if facts:
            result.facts[doc.code] = [*result.facts.get(doc.code, ()), *facts]
        result.ran.append(doc.code)  # ran to completion here: SL002 may judge its suppressions
