"""The small API every rule is written against.

A rule is a class with a ``code`` (``SL`` + three digits) and ``visit_<Node>`` /
``leave_<Node>`` methods for the libcst nodes it needs, like a Fixit rule. The
engine instantiates the enabled rules once per file and runs all of them in one
traversal. Rules never know about output formats: they report nodes and messages.

Three optional hooks cover what a single traversal cannot:

* ``needles``: substrings of which at least one must occur in a file for the rule
  to be able to fire there. Files that match no enabled rule's needles are never
  parsed, which is what keeps large scans fast.
* ``requires``: what a file must contain for the rule to matter there (words,
  calls of catalog APIs, writes of module state, a request handler writing a
  file ...), asked of the file's summary for files that pass the needles
  (:mod:`statelint.engine.requirements`); a file that lacks it is not parsed
  for the rule.
* ``fact()`` + ``check_project()``: rules that need the whole tree (module state
  mutated from another module, probes against routes) emit small per-file records
  and join them once every file is done, so parallel and cached runs agree.
* :class:`TextRule`: rules over non-Python files (YAML, INI, manifests), found by
  file-name patterns during discovery. A class may subclass both ``Rule`` and
  ``TextRule`` to join what it sees in code and in config files under one code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst

from statelint.engine.requirements import Requires
from statelint.model import Finding, Related, Severity, Span
from statelint.project.model import BACKGROUND, REQUEST

if TYPE_CHECKING:
    from statelint.catalog import RuleDoc
    from statelint.engine.context import FileContext


#: How a headline says where code runs, by the project model's context of its function.
WHEN = {REQUEST: "per request", BACKGROUND: "in the background"}


class BaseRule:
    """What Python and text rules share: identity, options, catalog knowledge."""

    code: ClassVar[str]
    #: Substrings that must occur in a file for this rule to possibly report; () = always run.
    needles: ClassVar[tuple[str, ...]] = ()
    #: What a file's summary must show for the rule to matter there (see :mod:`statelint.engine.requirements`):
    #: sound, so a file without it is one where the rule reports nothing and records no fact.
    #: None = every file its needles let through is parsed for it.
    requires: ClassVar[Requires | None] = None
    #: A fact key without which :meth:`check_project` finds nothing: a scan without one
    #: skips the join and its imports.
    join_on: ClassVar[str | None] = None

    def __init__(self, doc: RuleDoc, options: Mapping[str, Any], knowledge: Mapping[str, Any]) -> None:
        self.doc = doc
        self.options = options
        self.knowledge = knowledge
        self.findings: list[tuple[Any, str, str | None]] = []
        self.facts: list[Any] = []

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        """The needles for this run; override to derive them from the catalog or options."""
        return cls.needles

    def fact(self, record: Any) -> None:
        """Record a JSON-compatible summary for :meth:`check_project`."""
        self.facts.append(record)

    @classmethod
    def check_project(
        cls,
        facts: Mapping[str, list[Any]],
        doc: RuleDoc,
        options: Mapping[str, Any],
        knowledge: Mapping[str, Any],
    ) -> Iterable[Finding]:
        """Join the per-file facts of the whole scan; yields findings. Default: nothing."""
        return ()

    @classmethod
    def make_finding(
        cls, doc: RuleDoc, path: str, span: Span, message: str, hint: str | None = None
    ) -> Finding:
        """A finding for :meth:`check_project`, with the catalog's severity and hint."""
        return Finding(doc.code, message, path, span, Severity(doc.severity), hint or doc.hint)

    def hint(self, *lead: str | None) -> str:
        """This rule's hint after what only this finding says (see :func:`compose_hint`)."""
        return compose_hint(self.doc, *lead)


def compose_hint(doc: RuleDoc, *lead: str | None) -> str:
    """A finding's hint: the sentences only it says (the path it runs on, the other site it names, its
    own consequence), then the catalog's hint (why it matters, what to do). A headline says what and
    where; the why lives here, so message and hint never repeat each other."""
    sentences = [_sentence(text) for text in lead if text]
    return " ".join([*sentences, doc.hint])


def _sentence(text: str) -> str:
    """``text`` as a sentence: capitalised unless it starts with a name (``healthz() calls ...``), with a full stop."""
    text = text.strip()
    if re.match(r"[a-z]+[ ,]", text):
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


class Rule(BaseRule):
    """A rule over Python source, fed by the shared traversal."""

    ctx: FileContext

    def bind(self, ctx: FileContext) -> None:
        self.ctx = ctx

    def report(self, node: cst.CSTNode, message: str, *, hint: str | None = None, related: tuple[Related, ...] = ()) -> None:
        """Report ``node``; its position is computed later, only if needed. ``related``: the path
        that makes it matter (see :meth:`explain`)."""
        self.findings.append((node, message, hint, related))

    def span(self, node: cst.CSTNode) -> Span:
        """The position of ``node`` (computes libcst positions: use only for facts)."""
        return self.ctx.span(node)

    def explain(self, scope: Any, what: str = "written", *lead: str | None) -> dict[str, Any]:
        """``report()``'s ``hint`` and ``related`` for code in ``scope``: when the project model knows the
        path on which it runs, the hint starts with that path (``Written on the request path:
        @get('/cart') -> views.cart() -> store.add().``) and ``related`` places each step; then ``lead``
        (see :meth:`hint`). Empty when there is neither path nor lead."""
        explained = self.ctx.project.explain(scope.prefix, what) if scope is not None and scope.kind == "function" else None
        if explained is None:
            return {"hint": self.hint(*lead)} if any(lead) else {}
        why, related = explained
        return {"hint": self.hint(why, *lead), "related": related}

    def when(self, scope: Any, otherwise: str = "at run time") -> str:
        """How a headline says when code in ``scope`` runs: ``per request`` or ``in the background`` when
        the project model knows a path that reaches it (the hint then shows that path), else ``otherwise``."""
        context = self.ctx.project.run_context(scope.prefix) if scope is not None and scope.kind == "function" else None
        return WHEN.get(context, otherwise) if context is not None else otherwise


class TextRule(BaseRule):
    """A rule over a non-Python file (a logging config, a Kubernetes manifest ...)."""

    #: gitignore-style patterns (``*.yaml``, ``gunicorn.conf.py``) naming the files it reads.
    patterns: ClassVar[tuple[str, ...]] = ()

    def check(self, path: str, text: str) -> None:
        """Inspect one file; call :meth:`report_at`."""
        raise NotImplementedError

    def report_at(self, span: Span, message: str, *, hint: str | None = None) -> None:
        self.findings.append((span, message, hint))
