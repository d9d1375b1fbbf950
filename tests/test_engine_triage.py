"""Needles and the rules' declarations (``requires``) only decide what is parsed: they never change a result.

Every fixture tree is scanned twice through the CLI, once as usual and once with
``STATELINT_PREFILTER=off`` (every rule parses every file), and the reports must
be identical. Projects with their own configuration are scanned from their own
folder, so their options (extra container classes, startup functions ...) apply.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES, run_cli

CONFIGS = ("pyproject.toml", ".statelint.yaml", ".statelint.yml")


def _roots() -> list[Path]:
    """Each fixture family, and each folder inside one that carries its own configuration."""
    roots = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
    for family in list(roots):
        roots += sorted({p.parent for name in CONFIGS for p in family.rglob(name)} - {family})
    return roots


def _report(cwd: Path, select: str, prefilter: str) -> list[dict[str, Any]]:
    env = {"STATELINT_PREFILTER": prefilter}
    run = run_cli("check", "--no-cache", "--output-format", "json", "--select", select, ".", cwd=cwd, env=env)
    assert run.exit_code in (0, 1), run.stderr
    return sorted(run.findings, key=lambda f: (f["path"], f["line"], f["column"], f["code"], f["message"]))


@pytest.mark.parametrize("root", _roots(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_prefilter_never_changes_findings(root: Path, tmp_path: Path) -> None:
    copy = tmp_path / root.name
    shutil.copytree(root, copy)
    for select in ("SL0,SL1,SL3,SL4,SL5,SL6,SL7,SL8", "SL2"):
        filtered = _report(copy, select, "on")
        everything = _report(copy, select, "off")
        assert filtered == everything


def test_prefilter_off_parses_what_the_prefilter_skips(tmp_path: Path) -> None:
    """The switch the test above relies on really turns the prefilter off: SL002 sees it."""
    (tmp_path / "app.py").write_text("VALUE = 1  # statelint: ignore[SL101]\n", encoding="utf-8")
    on = run_cli("check", "--no-cache", "--output-format", "json", "--select", "SL002,SL101", ".", cwd=tmp_path)
    off = run_cli(
        "check", "--no-cache", "--output-format", "json", "--select", "SL002,SL101", ".",
        cwd=tmp_path, env={"STATELINT_PREFILTER": "off"},
    )
    # No needle of SL101 occurs, so it never runs there and its comment is not judged ...
    assert on.triples == []
    # ... unless the prefilter is off: then SL101 runs, and SL002 reports the unused comment.
    assert [(f["code"], f["line"]) for f in off.findings] == [("SL002", 1)]


def test_every_python_rule_declares_what_a_file_needs_for_it() -> None:
    """One rule without a declaration would send every file its needles pass to libcst; a path
    naming nothing in the catalog (a typo) would make its declaration skip every file."""
    from statelint.catalog import load_catalog
    from statelint.engine.requirements import lookup
    from statelint.rules import all_rules
    from statelint.rules.base import Rule

    catalog = load_catalog()
    missing, empty_paths = [], []
    for code, rule in all_rules().items():
        if not issubclass(rule, Rule):
            continue
        requires = rule.requires
        if requires is None:
            missing.append(code)
            continue
        knowledge = catalog.knowledge(code)
        paths = (*requires.calls, *requires.methods, *requires.mentions, *requires.assigns, *requires.files)
        paths += (*requires.strings, *requires.patterns)
        empty_paths += [(code, p) for p in paths if not lookup(knowledge, p)]
        options = catalog.rules[code].default_options()
        empty_paths += [(code, o) for o in (*requires.options, *requires.file_options) if o not in options]
    assert missing == []
    assert empty_paths == []


def test_screening_while_summarising_never_changes_findings(tmp_path: Path) -> None:
    """A project big enough to be summarised by worker processes, which screen each file on the way
    (and a warm cache reuses their answers): the findings are the prefilter-off ones, including
    those only the project model shows (an app built by a factory in another module)."""
    package = tmp_path / "pkg"
    package.mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "web.py").write_text(
        "from flask import Flask\n\nclass ApiFlask(Flask):\n    pass\n\ndef make_app():\n    return ApiFlask(__name__)\n",
        encoding="utf-8",
    )
    bodies = (
        "from pkg.web import make_app\n\nmake_app().run(host='127.0.0.1')\n",  # SL301 through the model only
        "import threading\n\ndef job():\n    while True:\n        pass\n\ndef serve():\n"
        "    worker = threading.Thread(target=job)\n    worker.start()\n",  # SL501, left to a worker by screening
        "# run a Thread elsewhere\nCOUNT = 1\n\ndef value():\n    return COUNT\n",  # needles, nothing to find
    )
    for number in range(60):
        (package / f"svc_{number}.py").write_text(bodies[number % 3], encoding="utf-8")

    def report(prefilter: str, cache: str | None) -> list[tuple[str, int, str]]:
        caching = ("--cache-dir", str(tmp_path / cache)) if cache else ("--no-cache",)
        run = run_cli(
            "check", "-j", "2", *caching, "--output-format", "json", ".", cwd=tmp_path, env={"STATELINT_PREFILTER": prefilter},
        )
        assert run.exit_code in (0, 1), run.stderr
        return sorted((f["path"], f["line"], f["code"]) for f in run.findings)

    everything = report("off", "cache-off")
    assert {("pkg/svc_0.py", 3, "SL301"), ("pkg/svc_1.py", 8, "SL501")} <= set(everything)
    assert len(everything) == 40
    assert report("on", "cache-on") == everything  # cold: screened while summarised
    assert report("on", "cache-on") == everything  # warm
    assert report("on", None) == everything  # the model handed to the workers without a cache


def test_a_screening_answer_stands_as_far_as_the_models_library_names_leave_it(tmp_path: Path) -> None:
    """Screening reads a file alone; once the model gives it library names (the view's ``external``) its
    answer is kept for the rules those names cannot bring back, and the rest are asked again."""
    from statelint.catalog import load_catalog
    from statelint.config.settings import Settings
    from statelint.engine.analyze import Pending, Plan, with_expansions
    from statelint.model import FileResult
    from statelint.project.model import ModuleView

    plan = Plan(Settings(root=tmp_path, enabled=("SL101", "SL501")), load_catalog())
    done = FileResult("a.py")

    def answer(light: FileResult | Pending, asked: set[str], declined: set[str] | None, external: str) -> object:
        view = ModuleView(None, "a", True, "digest", external)
        return with_expansions(light, frozenset(asked), None if declined is None else frozenset(declined), view, plan, "a.py")

    assert answer(done, {"SL501"}, {"SL501"}, "") is done  # no library names: as screened
    assert answer(done, {"SL501"}, {"SL501"}, "\n_thread.allocate_lock") is done  # a lock is no thread: still declined
    assert answer(done, {"SL501"}, {"SL501"}, "\nthreading.Thread") is None  # a thread: screened again, with it
    kept = Pending(frozenset({"SL101"}))
    assert answer(kept, {"SL101", "SL501"}, {"SL501"}, "\n_thread.allocate_lock") is kept
    assert answer(kept, {"SL101", "SL501"}, {"SL501"}, "\nthreading.Thread()") is None
    # a rule the text alone did not ask for, whose needle the names hold: the file is screened again
    assert answer(done, set(), None, "\nthreading.Thread") is None
    # a declaration that failed: asked again where its failure is reported
    assert answer(Pending(None), {"SL501"}, set(), "\nthreading.Thread") is None


def test_a_thread_only_the_model_shows_is_found_after_screening(tmp_path: Path) -> None:
    """A file that spells ``threading`` only in a comment and makes its thread through another module's
    name: screening (alone) turns SL501 down, the model's names bring it back, and it is reported."""
    package = tmp_path / "pkg"
    package.mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "kinds.py").write_text("import threading\n\nmake_thread = threading.Thread\nmake_lock = threading.Lock\n", encoding="utf-8")
    (package / "worker.py").write_text(
        "# threading, through kinds\nfrom pkg.kinds import make_thread\n\n\ndef job():\n    while True:\n        pass\n\n\n"
        "def serve():\n    worker = make_thread(target=job)\n    worker.start()\n",
        encoding="utf-8",
    )
    (package / "locked.py").write_text(
        "# threading, through kinds\nfrom pkg.kinds import make_lock\n\nLOCK = make_lock()\n\n\ndef start():\n    LOCK.acquire()\n",
        encoding="utf-8",
    )
    for number in range(60):
        (package / f"svc_{number}.py").write_text(f"VALUE_{number} = {number}\n", encoding="utf-8")
    found = {}
    for prefilter in ("on", "off"):
        run = run_cli(
            "check", "-j", "2", "--cache-dir", str(tmp_path / f"cache-{prefilter}"), "--select", "SL5", "--output-format", "json", ".",
            cwd=tmp_path, env={"STATELINT_PREFILTER": prefilter},
        )
        assert run.exit_code == 1, run.stderr
        found[prefilter] = sorted((f["path"], f["line"], f["column"], f["code"]) for f in run.findings)
    assert found["on"] == found["off"] == [("pkg/worker.py", 11, 14, "SL501")]
