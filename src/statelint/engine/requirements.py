"""What a file must contain for a rule to matter there, asked of the file's summary.

A rule declares it beside its code as a :class:`Requires`: words its code must spell, and
calls of catalog APIs it must make (``calls=("workers.thread.calls",)``: a path into the
rule's catalog knowledge). Before libcst parses a file that passed a rule's needles, the
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

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from statelint.project.summary import Summary


class Requires:
    """What a file must hold for a rule to report or record anything there.

    All of ``words`` must occur in the file's text. Then, when any of the other fields is
    given, the file must show one piece of evidence:

    * ``calls``: a call (or a decorator) resolving, directly or through the project's
      definitions, to a qualified name these paths list (or making an instance of one);
    * ``options``: the same, for the qualified names these rule options list;
    * ``methods``: a call of a method these paths name, on any receiver;
    * ``mentions``: the last name of a string these paths list (``RotatingFileHandler`` of
      ``logging.handlers.RotatingFileHandler``, a settings key) occurring in the text.

    A path is a dotted path into the rule's catalog knowledge; where it meets a list of
    entries it goes on in each (``executors.calls``: every executor's ``calls``).
    """

    __slots__ = ("words", "calls", "options", "methods", "mentions")

    def __init__(
        self,
        *,
        words: Iterable[str] = (),
        calls: Iterable[str] = (),
        options: Iterable[str] = (),
        methods: Iterable[str] = (),
        mentions: Iterable[str] = (),
    ) -> None:
        self.words = tuple(words)
        self.calls = tuple(calls)
        self.options = tuple(options)
        self.methods = tuple(methods)
        self.mentions = tuple(mentions)

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
        if not all(facts.mentions(word) for word in self.words):
            return False
        if not (self.calls or self.options or self.methods or self.mentions):
            return True
        qualnames = {name for path in self.calls for name in lookup(knowledge, path)}
        qualnames.update(name for option in self.options for name in options.get(option, ()))
        if qualnames and facts.calls_any(qualnames):
            return True
        methods = {name for path in self.methods for name in lookup(knowledge, path)}
        if methods and facts.calls_method(methods):
            return True
        return any(facts.mentions(_last_name(name)) for path in self.mentions for name in lookup(knowledge, path))


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
    for through the project's definitions (:meth:`ProjectModel.expand`)."""

    __slots__ = ("text", "summary", "expand", "strings", "_called", "_methods")

    def __init__(
        self,
        text: str,
        summary: Summary,
        expand: Callable[[str], frozenset[str]],
        strings: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.text = text
        self.summary = summary
        self.expand = expand
        self.strings = strings  # the file's string constants, escapes decoded (asked only when the text has one)
        self._called: set[str] | None = None
        self._methods: set[str] | None = None

    def mentions(self, word: str) -> bool:
        """``word`` occurs in the file: in its text (code, a string or a comment: a cheap
        over-approximation), or in a string constant an escape sequence spells."""
        if word in self.text:
            return True
        return "\\" in self.text and any(word in string for string in self.strings())

    def calls_any(self, qualnames: set[str]) -> bool:
        """Some call or decorator of the file resolves to one of ``qualnames``, or makes an instance
        of one (a project subclass, a factory returning one), or is a method of such an instance."""
        called = self.called
        if not called.isdisjoint(qualnames):
            return True
        instances = {f"{name}()" for name in qualnames}
        for callee in called:
            expanded = self.expand(callee)
            if not expanded.isdisjoint(qualnames):
                return True
            if not self.expand(f"{callee}()").isdisjoint(instances):
                return True
        return False

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
    def methods(self) -> set[str]:
        """The last names of everything the file calls (``start`` for ``worker.start()``)."""
        if self._methods is None:
            self._methods = {_last_name(callee) for callee in self.called}
            self._methods.update(name for names in self.summary.dynamic.values() for name in names)
        return self._methods


def _last_name(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1].split("(", 1)[0]
