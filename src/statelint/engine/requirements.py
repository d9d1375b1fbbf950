"""What a file must contain for a rule to matter there, asked of the file's summary.

A rule declares it beside its code as a :class:`Requires`: words its code must spell, and
calls of catalog APIs it must make (``calls=("workers.thread.calls",)``: a path into the
rule's catalog knowledge), strings, writes of state, or a shape of its own where one call
is not evidence enough (:mod:`statelint.engine.shapes`: a route, a request handler writing
a file). Before libcst parses a file that passed a rule's needles, the
engine asks the declaration of the file's :class:`~statelint.project.summary.Summary`,
the record the project model is built from: when it says no, the file is not parsed for
that rule. Nothing here re-implements a rule's logic over another tree; the summary
resolves names as the rules' resolver does (:mod:`statelint.engine.names`), and the
project model expands them as the rules do (a subclass of ``Thread``, a factory returning
a ``Flask``, an app imported from another module).

A declaration must be *sound*: when it says no, the rule reports nothing and records no
fact there. It may say yes too often; that only costs a parse. The test suite runs every
fixture with and without the prefilter (``STATELINT_PREFILTER=off``) and requires the same
findings.

Nothing here imports libcst or a rule module: the run's :class:`RuleIndex` carries each
declaration as plain data.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from statelint.engine.shapes import SHAPES, expanded_to
from statelint.project.summary import MAIN, MODULE, Summary
from statelint.project.syntax import identifiers, string_constants

_STDLIB = frozenset(sys.stdlib_module_names) | {"builtins"}


class Requires:
    """What a file must hold for a rule to report or record anything there.

    The file must not be one of the kinds ``outside`` lists (:data:`PLACES`: ``tests``, test
    code the rule never reports in), and all of ``words`` must occur in its text. Then, when
    any of the other fields is given, the file must show one piece of evidence:

    * ``calls``: a call (or a decorator) resolving, directly or through the project's
      definitions, to a qualified name these paths list (or making an instance of one);
    * ``options``: the same, for the qualified names these rule options list;
    * ``methods``: a call of a method these paths name, on any receiver;
    * ``mentions``: the last name of a string these paths list (``RotatingFileHandler`` of
      ``logging.handlers.RotatingFileHandler``, a settings key) occurring in the text;
    * ``assigns``: an attribute assignment to a qualified name these paths list
      (``hypercorn.config.Config().bind``), also through a project subclass;
    * ``files``: the file's name matches a pattern these paths list (``gunicorn.conf.py``,
      ``*.conf.py``); ``file_options``: the same, for the patterns these rule options list;
    * ``strings``: a string constant of the file (escapes decoded) is one these paths list (a
      setting's value: ``"filesystem"``);
    * ``patterns``: a regular expression these paths hold finds a match in a string constant
      of the file (a piece of an f-string counts on its own: ``sqlite:///`` of
      ``f"sqlite:///{name}"``);
    * ``writes``: a function writes state of one of these kinds (:data:`WRITES`), as the
      summary's ``writes`` record it;
    * ``shapes``: the summary shows one of these shapes (:data:`statelint.engine.shapes.SHAPES`:
      a request handler writing a file, a route, ...), each a documented test of it.

    A path is a dotted path into the rule's catalog knowledge; where it meets a list of
    entries it goes on in each (``executors.calls``: every executor's ``calls``).
    """

    __slots__ = (
        "words", "calls", "options", "methods", "mentions", "assigns", "files", "file_options", "strings",
        "patterns", "writes", "shapes", "outside",
    )

    def __init__(
        self,
        *,
        words: Iterable[str] = (),
        calls: Iterable[str] = (),
        options: Iterable[str] = (),
        methods: Iterable[str] = (),
        mentions: Iterable[str] = (),
        assigns: Iterable[str] = (),
        files: Iterable[str] = (),
        file_options: Iterable[str] = (),
        strings: Iterable[str] = (),
        patterns: Iterable[str] = (),
        writes: Iterable[str] = (),
        shapes: Iterable[str] = (),
        outside: Iterable[str] = (),
    ) -> None:
        self.words = tuple(words)
        self.calls = tuple(calls)
        self.options = tuple(options)
        self.methods = tuple(methods)
        self.mentions = tuple(mentions)
        self.assigns = tuple(assigns)
        self.files = tuple(files)
        self.file_options = tuple(file_options)
        self.strings = tuple(strings)
        self.patterns = tuple(patterns)
        self.writes = tuple(writes)
        self.shapes = tuple(shapes)
        self.outside = tuple(outside)
        for field, known in (("writes", WRITES), ("shapes", SHAPES), ("outside", PLACES)):
            unknown = set(getattr(self, field)) - set(known)
            if unknown:
                raise ValueError(f"unknown {field}: {sorted(unknown)} (known: {sorted(known)})")

    def __repr__(self) -> str:
        return f"Requires({self.to_json()!r})"

    def to_json(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in self.__slots__}

    @classmethod
    def from_json(cls, data: Any) -> Requires:
        """The declaration a :meth:`to_json` record holds (raises on anything else)."""
        if not isinstance(data, dict) or set(data) != set(cls.__slots__):
            raise ValueError(f"not a Requires record: {data!r}")
        return cls(**{name: [str(item) for item in data[name]] for name in cls.__slots__})

    def met(self, facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
        if any(PLACES[kind](facts, knowledge) for kind in self.outside):
            return False
        if not all(facts.mentions(word) for word in self.words):
            return False
        if not any(getattr(self, name) for name in _EVIDENCE):
            return True
        qualnames = {name for path in self.calls for name in lookup(knowledge, path)}
        qualnames.update(name for option in self.options for name in options.get(option, ()))
        if qualnames and facts.calls_any(qualnames):
            return True
        methods = {name for path in self.methods for name in lookup(knowledge, path)}
        if methods and facts.calls_method(methods):
            return True
        if any(facts.mentions(_last_name(name)) for path in self.mentions for name in lookup(knowledge, path)):
            return True
        assigned = {name for path in self.assigns for name in lookup(knowledge, path)}
        if assigned and facts.assigns_any(assigned):
            return True
        names = [name for path in self.files for name in lookup(knowledge, path)]
        names += [name for option in self.file_options for name in options.get(option, ())]
        if any(fnmatch.fnmatchcase(facts.basename, name) for name in names):
            return True
        if self.strings or self.patterns:
            strings = facts.strings
            if not strings.isdisjoint(name for path in self.strings for name in lookup(knowledge, path)):
                return True
            regexes = [_compiled(text) for path in self.patterns for text in lookup(knowledge, path)]
            if any(regex.search(string) for regex in regexes for string in strings):
                return True
        if any(WRITES[kind](facts, knowledge, options) for kind in self.writes):
            return True
        return any(SHAPES[kind](facts, knowledge, options) for kind in self.shapes)

    def names_expansion(self, external: str, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool | None:
        """Whether the library names a file's project names expand to (``external``, one per line, as
        :meth:`ModuleView.external <statelint.project.model.ModuleView>` lists them) may be evidence for
        this declaration, which reads the file alone and cannot see them: one of them is (or makes, or
        is a member of) a qualified name of ``calls`` or ``options`` (``_thread.allocate_lock`` is no
        ``threading.Thread``), or spells a ``mentions`` name. None when the declaration also asks what
        no such name can answer (writes, shapes, strings, assignments): then a needle of the rule
        occurring in them decides, as it always did."""
        if any(getattr(self, name) for name in _UNNAMED):
            return None
        qualnames = {name for path in self.calls for name in lookup(knowledge, path)}
        qualnames.update(name for option in self.options for name in options.get(option, ()))
        if expanded_to(external, qualnames):
            return True
        mentioned = {_last_name(name) for path in self.mentions for name in lookup(knowledge, path)}
        return any(name in word for name in mentioned for word in external.split("\n"))


#: A word of printable characters, no quote or backslash: no simple escape (``\n``, ``\\``, ``\"``) spells one.
_PLAIN = re.compile(r"[^\x00-\x1f\x7f\\'\"]*")
#: An escape that may spell a printable character in a string (``\x2e``, ``\u00e9``, ``\N{...}``, octal).
_SPELLING_ESCAPE = re.compile(r"\\[xuUN0-7]")
#: A backslash ending a line: in a string, it joins what is around it.
_CONTINUED = re.compile(r"\\(?:\r\n?|\n)")
#: The fields that name evidence (all but ``words`` and ``outside``): without any, ``words`` decide.
_EVIDENCE = ("calls", "options", "methods", "mentions", "assigns", "files", "file_options", "strings", "patterns", "writes", "shapes")
#: The evidence a file's own names decide whatever the project expands them to: ``methods`` (the method
#: names it spells), ``files`` and ``file_options`` (its name); the rest are asked of the expansions.
_UNNAMED = ("assigns", "strings", "patterns", "writes", "shapes")
_COMPILED: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    found = _COMPILED.get(pattern)
    if found is None:
        found = _COMPILED[pattern] = re.compile(pattern)
    return found


def lookup(knowledge: Mapping[str, Any], path: str) -> list[str]:
    """The strings at ``path`` in ``knowledge``, going on in each entry of a list it meets."""
    return list(_strings(knowledge, path.split(".")))


def _strings(value: Any, keys: list[str]) -> Iterator[str]:
    if isinstance(value, str):
        if not keys:
            yield value
        return
    if isinstance(value, list):
        for item in value:
            yield from _strings(item, keys)
    elif isinstance(value, Mapping) and keys:
        yield from _strings(value.get(keys[0]), keys[1:])


class FileFacts:
    """One file's summary, as declarations ask it. ``expand`` gives what a qualified name stands
    for through the project's definitions (:meth:`ProjectModel.expand`); ``tree`` is CPython's tree
    the summary was made from (its string constants are read from it, only when asked); ``path``
    is the file's path as reports show it (and rules see it); ``external``: the library names the
    file's names of other project modules expand to, one per line (the view's), which ``expand``
    cannot show while it reads the file alone."""

    __slots__ = (
        "text", "summary", "expand", "tree", "path", "basename", "external", "_called", "_methods", "_strings", "_identifiers",
        "_escapes", "_expansions",
    )

    def __init__(
        self,
        text: str,
        summary: Summary,
        expand: Callable[[str], frozenset[str]],
        tree: ast.AST | None = None,
        path: str = "",
        external: str = "",
    ) -> None:
        self.text = text
        self.external = external
        self.summary = summary
        self.expand = expand
        self.tree = tree
        self.path = path.replace("\\", "/")
        self.basename = self.path.rsplit("/", 1)[-1]
        self._called: set[str] | None = None
        self._methods: set[str] | None = None
        self._strings: frozenset[str] | None = None
        self._identifiers: frozenset[str] | None = None
        self._escapes: bool | None = None
        self._expansions: tuple[frozenset[str], frozenset[str]] | None = None

    @property
    def strings(self) -> frozenset[str]:
        """The file's string constants, escapes decoded (docstrings and the pieces of f-strings included)."""
        if self._strings is None:
            self._strings = string_constants(self.tree) if self.tree is not None else frozenset()
        return self._strings

    def names_any(self, names: Iterable[str]) -> bool:
        """Whether the file's code spells one of ``names`` as a name, an attribute or an imported name
        (``generate_key`` of ``default_factory=Fernet.generate_key``: referred to, not called). Without the
        tree every name may be there."""
        if self.tree is None:
            return True
        if self._identifiers is None:
            self._identifiers = identifiers(self.tree)
        return not self._identifiers.isdisjoint(names)

    def expanded_to(self, qualnames: Iterable[str]) -> bool:
        """Whether a library name the file's project names expand to through other modules is, makes or is a
        member of one of ``qualnames`` (see :func:`expanded_to`)."""
        return expanded_to(self.external, qualnames)

    def spells(self, names: Iterable[str]) -> bool:
        """Whether one of ``names`` (upper case) occurs in the file whatever its case: in its text, or in a
        string constant (escapes decoded, implicit concatenations joined)."""
        wanted = list(names)
        upper = self.text.upper()
        if any(name in upper for name in wanted):
            return True
        return any(name in string.upper() for string in self.strings for name in wanted)

    def mentions(self, word: str) -> bool:
        """``word`` occurs in the file: in its text (code, a string or a comment: a cheap
        over-approximation), or in a string constant an escape sequence spells."""
        text = self.text
        if word in text:
            return True
        if "\\" not in text:
            return False
        if _PLAIN.fullmatch(word):  # only an escape spelling a character of it can hide it: ``\x2e``, not ``\n``
            if _CONTINUED.search(text) and word in _CONTINUED.sub("", text):
                return True  # perhaps a string's lines joined (``"SEC\<newline>RET"``): a cheap over-approximation
            if self._escapes is None:
                self._escapes = _SPELLING_ESCAPE.search(text) is not None
            if not self._escapes:
                return False  # the file's strings, walked for nothing: a twelfth of the stdlib's screening
        return any(word in string for string in self.strings)

    def calls_any(self, qualnames: set[str]) -> bool:
        """Some call or decorator of the file resolves to one of ``qualnames``, or makes an instance
        of one (a project subclass, a factory returning one), or is a method of such an instance; or
        a name of another module the file uses expands to one (:attr:`external`)."""
        if not self.called.isdisjoint(qualnames):
            return True
        expanded, made = self.called_expansions
        if not expanded.isdisjoint(qualnames) or not made.isdisjoint(f"{name}()" for name in qualnames):
            return True
        return self.expanded_to(qualnames)  # a name of another module may stand for one (``echo = print``)

    def assigns_any(self, qualnames: set[str]) -> bool:
        """Some attribute assignment writes one of ``qualnames`` (``X().attr``), also through what the
        written object's name expands to (an instance of a project subclass)."""
        for records in self.summary.writes.values():
            for how, target, _ in records:
                if how != "attr":
                    continue
                if target in qualnames:
                    return True
                owner, _, attribute = target.rpartition(".")
                if any(f"{name}.{attribute}" in qualnames for name in self.expand(owner)):
                    return True
        return False

    def function_writes(self) -> Iterator[tuple[str, str, str, list[str]]]:
        """``(caller, how, target, stored)`` for each write a function (or lambda) makes: code that runs
        while the module is imported, or under ``if __name__ == "__main__":``, sets up the process."""
        for caller, records in self.summary.writes.items():
            if caller not in (MODULE, MAIN):
                for how, target, stored in records:
                    yield caller, how, target, stored

    def is_instance_of(self, value: str, classes: set[str]) -> bool:
        """Whether ``value`` (``X()``) makes an instance of one of ``classes``, through the project's
        definitions too (a project subclass, a factory returning one)."""
        if not value.endswith("()"):
            return False
        if value[:-2] in classes:
            return True
        return not self.expand(value).isdisjoint({f"{name}()" for name in classes})

    def calls_method(self, names: set[str]) -> bool:
        """Some call of the file is of a method (or function) named one of ``names``."""
        return not self.methods.isdisjoint(names)

    @property
    def called(self) -> set[str]:
        """The qualified names the file calls or applies as decorators, anywhere in it."""
        if self._called is None:
            summary = self.summary
            self._called = {callee for callees in summary.calls.values() for callee in callees}
            for applied in summary.decorators.values():
                for decorator, _ in applied:
                    self._called.add(decorator)
                    if decorator.endswith("()"):  # ``@lru_cache(maxsize=1)`` is what the call returns: it calls ``lru_cache``
                        self._called.add(decorator[:-2])
        return self._called

    @property
    def called_expansions(self) -> tuple[frozenset[str], frozenset[str]]:
        """What the file's callees stand for, and what calling them makes, through the project's
        definitions (asked by every declaration that asks for calls: computed once per file)."""
        if self._expansions is None:
            expanded: set[str] = set()
            made: set[str] = set()
            for callee in self.called:
                expanded |= self.expand(callee)
                made |= self.expand(f"{callee}()")
            self._expansions = (frozenset(expanded), frozenset(made))
        return self._expansions

    @property
    def decorator_methods(self) -> set[str]:
        """The last names of the decorators the file applies (``get`` for ``@app.get("/x")``), resolved
        or not (the summary's ``dynamic_decorators``)."""
        summary = self.summary
        found = {_last_name(name) for applied in summary.decorators.values() for name, _ in applied}
        found.update(name for names in summary.dynamic_decorators.values() for name in names)
        return found

    @property
    def methods(self) -> set[str]:
        """The last names of everything the file calls (``start`` for ``worker.start()``)."""
        if self._methods is None:
            self._methods = {_last_name(callee) for callee in self.called}
            self._methods.update(name for names in self.summary.dynamic.values() for name in names)
        return self._methods


# -- the kinds of writes a rule may require -------------------------------------------------
def _mutates(facts: FileFacts, how: str, knowledge: Mapping[str, Any]) -> bool:
    """Whether a write recorded as ``how`` changes what it is made through, as the SL1 catalog says:
    an item assignment or deletion, an augmented assignment, a mutating method or function."""
    if how in ("item", "augmented"):
        return True
    if how.startswith("."):
        return how[1:] in knowledge.get("mutating_methods", ())
    if how.endswith("()"):
        functions = {entry["call"] for entry in knowledge.get("mutating_functions", ())}
        return how[:-2] in functions or not facts.expand(how[:-2]).isdisjoint(functions)
    return False


def _module_containers(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """A function writes through a container the module binds at module level: a display or
    comprehension, or an instance of ``knowledge.container_calls`` or of the option
    ``extra-container-classes`` (SL101)."""
    summary = facts.summary
    prefix = f"{summary.module}."
    containers = set(summary.containers)
    classes = {*knowledge.get("container_calls", ()), *options.get("extra-container-classes", ())}
    for qualname, values in summary.values.items():
        if qualname.startswith(prefix) and "." not in qualname[len(prefix):]:
            if any(facts.is_instance_of(value, classes) for value in values):
                containers.add(qualname)
    if not containers:
        return False
    return any(
        target in containers and _mutates(facts, how, knowledge) for _, how, target, _ in facts.function_writes()
    )


def _rebound_globals(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """A function rebinds a module global it declares ``global`` (not a dunder; not to None; not in a
    one-time initialisation), and is not named like the option ``startup-functions`` (SL102)."""
    startup = tuple(options.get("startup-functions", ()))
    for caller, how, target, _ in facts.function_writes():
        if how not in ("global", "augmented"):
            continue
        name = target.rsplit(".", 1)[-1]
        if name.startswith("__") and name.endswith("__"):
            continue
        function = caller.rsplit(".", 1)[-1]
        if not any(fnmatch.fnmatchcase(function, pattern) for pattern in startup):
            return True
    return False


def _imported_state(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """A function writes through a name imported from a module outside the standard library, by an
    item or attribute assignment or a mutating method or function (SL103)."""
    imported = [name for name in facts.summary.imports if name.split(".", 1)[0] not in _STDLIB]
    if not imported:
        return False
    for _, how, target, _ in facts.function_writes():
        if "()" in target or not any(target == name or target.startswith(f"{name}.") for name in imported):
            continue
        if how == "attr" or _mutates(facts, how, knowledge):
            return True
    return False


def _stored_clock(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """A function stores a reading of one of ``knowledge.clocks`` where it outlives the call, as SL403
    counts a write (:class:`statelint.rules._state_clock.ClockAnalysis`): a rebind of a global (a
    one-time initialisation too), an item or attribute assignment, or a call of a mutating method or
    function of the SL1 catalog (``append``, ``heapq.heappush``: what ``stored`` holds are their
    arguments), through a name of this module (a module variable, or the instance or class of the
    method writing it). A limiter's state lives beyond ``__init__``: an attribute only methods named
    like an initialiser write (``self.started = time.time()``) is no limiter (on the stdlib, 17 of
    the 28 files this kept were only such writes, or calls like ``self._wait(time.monotonic())``)."""
    clocks = set(knowledge.get("clocks", ()))
    methods = clock_methods(knowledge)
    mutations = _sl1_knowledge()
    summary = facts.summary
    prefix = f"{summary.module}."
    for caller, how, target, stored in facts.function_writes():
        if not target.startswith(prefix) or not _clock_in(facts, stored, clocks, methods):
            continue
        if how not in ("attr", "global", "lazy") and not _mutates(facts, how, mutations):
            continue
        owner, _, method = caller.rpartition(".")
        initialiser = method in _INITIALISERS and summary.kinds.get(owner) == "class"
        if initialiser and target.startswith((f"{owner}().", f"{owner}.")):
            continue
        return True
    return False


#: The methods that initialise an instance or class: SL403 wants a limiter's state written elsewhere too.
_INITIALISERS = frozenset({"__init__", "__new__", "__post_init__", "__init_subclass__"})


def _clock_in(facts: FileFacts, stored: list[str], clocks: set[str], methods: Mapping[str, frozenset[str]]) -> bool:
    for name in stored:
        if name in clocks or method_clock(name, methods):
            return True
        expanded = facts.expand(name)
        if not expanded.isdisjoint(clocks) or any(method_clock(e, methods) for e in expanded):
            return True
    return False


def _sl1_knowledge() -> Mapping[str, Any]:
    """The SL1 catalog's knowledge (its mutating methods and functions), which SL403's analysis shares."""
    from statelint.catalog import load_catalog

    families = load_catalog().families
    return families["SL1"].knowledge if "SL1" in families else {}


def clock_methods(knowledge: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """``knowledge.clock_methods`` as method -> the receiver names it reads the clock on."""
    return {entry["method"]: frozenset(entry.get("receivers", ())) for entry in knowledge.get("clock_methods", ())}


def method_clock(qualname: str, methods: Mapping[str, frozenset[str]]) -> bool:
    """Whether ``qualname`` is a clock method called on a receiver the catalog names
    (``app.Bot().loop.time`` for ``self.loop.time()``): the rule (SL403) and this
    declaration judge the same qualified name, as the resolver and the summary spell it."""
    receiver, _, method = qualname.rpartition(".")
    return receiver.rpartition(".")[2] in methods.get(method, ())


#: The kinds of writes a :class:`Requires` may ask for, each with its test of a file's facts.
WRITES: dict[str, Callable[[FileFacts, Mapping[str, Any], Mapping[str, Any]], bool]] = {
    "module-containers": _module_containers,
    "rebound-globals": _rebound_globals,
    "imported-state": _imported_state,
    "stored-clock": _stored_clock,
}


# -- the kinds of files a rule never reports in -----------------------------------------------
def is_test_path(path: str, knowledge: Mapping[str, Any]) -> bool:
    """A file under a folder the catalog's ``test_folders`` name, or named like its ``test_files``
    (pytest's and unittest's test modules): the local-file rules report nothing there."""
    parts = path.replace("\\", "/").split("/")
    folders = set(knowledge.get("test_folders", ()))
    if any(part in folders for part in parts[:-1]):
        return True
    return any(fnmatch.fnmatchcase(parts[-1], pattern) for pattern in knowledge.get("test_files", ()))


def _test_code(facts: FileFacts, knowledge: Mapping[str, Any]) -> bool:
    return is_test_path(facts.path, knowledge)


#: The kinds of files a :class:`Requires` may leave out (``outside``), each with its test.
PLACES: dict[str, Callable[[FileFacts, Mapping[str, Any]], bool]] = {"tests": _test_code}


def _last_name(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1].split("(", 1)[0]
