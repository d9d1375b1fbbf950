"""The project model: facts joined across modules decide what a file's rules report.

Fixture projects under ``tests/fixtures/project/`` hold their expected findings next to
the lines (``# expect: CODE@COLUMN``). Every case runs through the CLI, as users run it:
over the whole project, and file by file as a pre-commit hook passes staged files.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Any

import pytest

from statelint.catalog import load_catalog
from statelint.project.model import ProjectModel, not_deployed
from statelint.project.summary import summarize
from tests.helpers import check_json, copy_fixture, expectations, quads

PROJECTS = [
    "factory_app", "lifecycle_hooks", "limiter_settings", "namespace_app", "once_init", "plugin_loader", "settings_app",
    "stop_signals", "vendored_copy", "wrapped_app",
]


@pytest.mark.parametrize("name", PROJECTS)
def test_whole_project_reports_exactly_what_the_fixture_expects(name: str, tmp_path: Path) -> None:
    project = copy_fixture(f"project/{name}", tmp_path)
    run = check_json(".", cwd=project, extra=("--no-cache",))
    assert run.exit_code in (0, 1), run.stderr
    assert quads(run) == expectations(project)


@pytest.mark.parametrize("name", PROJECTS)
@pytest.mark.parametrize("cache", [False, True])
def test_each_file_alone_reports_what_the_whole_project_run_reports_for_it(name: str, cache: bool, tmp_path: Path) -> None:
    """What pre-commit runs (the staged files, --force-exclude) sees the rest of the project too."""
    project = copy_fixture(f"project/{name}", tmp_path)
    options = ("--force-exclude",) if cache else ("--force-exclude", "--no-cache")
    whole = quads(check_json(".", cwd=project, extra=options))
    for path in sorted(p.relative_to(project).as_posix() for p in project.rglob("*.py")):
        alone = check_json(path, cwd=project, extra=options)
        assert alone.exit_code in (0, 1), alone.stderr
        assert quads(alone) == [f for f in whole if f[0] == path], path


def test_a_change_in_another_module_invalidates_the_cached_result(tmp_path: Path) -> None:
    """plugins.py does not change, but once make_app() stops calling load(), nothing shows that
    load() runs only at startup: the cached (silent) result of plugins.py must not be reused."""
    project = copy_fixture("project/factory_app", tmp_path)
    assert ("shop/plugins.py", "SL101", 1, 1) not in quads(check_json(".", cwd=project))
    web = project / "shop" / "web.py"
    web.write_text(web.read_text().replace('    plugins.load("echo", print)\n', ""))
    assert ("shop/plugins.py", "SL101", 1, 1) in quads(check_json(".", cwd=project))


def test_not_deployed_code_is_reported_when_the_setting_is_emptied(tmp_path: Path) -> None:
    project = copy_fixture("project/factory_app", tmp_path)
    assert not [f for f in quads(check_json(".", cwd=project)) if f[0].startswith("tests/")]
    (project / "pyproject.toml").write_text("[tool.statelint]\nnot-deployed = []\n")
    assert ("tests/test_views.py", "SL101", 3, 1) in quads(check_json(".", cwd=project))


def test_a_vendored_copy_is_reported_when_the_setting_is_emptied(tmp_path: Path) -> None:
    """bottle.py's header says it is a copy of Bottle: not deployed code, as a vendor/ folder is,
    until ``not-deployed = []`` asks for everything (issue 21)."""
    project = copy_fixture("project/vendored_copy", tmp_path)
    assert not [f for f in quads(check_json(".", cwd=project)) if f[0] == "svc/web/bottle.py"]
    (project / "pyproject.toml").write_text("[tool.statelint]\nnot-deployed = []\n")
    assert ("svc/web/bottle.py", "SL101", 12, 1) in quads(check_json(".", cwd=project))


@pytest.mark.parametrize(
    ("header", "vendored"),
    [
        ('"""Bottle is a micro-framework."""\n__author__ = "M"\n__version__ = "1"\n__license__ = "MIT"\n', "Bottle"),
        ('"""\n  bottle: a micro-framework."""\n__author__ = "M"\n__version__ = "1"\n__license__ = "MIT"\n', "bottle"),
        # near misses: a header name missing or not a string, the docstring not starting with the file's
        # name, or no docstring
        ('"""Bottle is a micro-framework."""\n__author__ = "M"\n__version__ = "1"\n', ""),
        ('"""Bottle is a micro-framework."""\n__author__ = "M"\n__version__ = (1, 0)\n__license__ = "MIT"\n', ""),
        ('"""A copy of Bottle."""\n__author__ = "M"\n__version__ = "1"\n__license__ = "MIT"\n', ""),
        ('__author__ = "M"\n__version__ = "1"\n__license__ = "MIT"\n', ""),
    ],
)
def test_the_header_of_a_single_file_copy_of_a_library(header: str, vendored: str) -> None:
    assert summarize(ast.parse(header), "svc.web.bottle").vendored == vendored
    assert summarize(ast.parse(header), "bottle").vendored == ""  # not inside another project's package
    assert summarize(ast.parse(header), "bottle.web.bottle").vendored == ""  # the project's own name
    assert summarize(ast.parse(header), "svc.bottle", is_package=True).vendored == ""  # a package's __init__


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_app.py", True),
        ("src/app/tests/helpers.py", True),
        ("test_app.py", True),
        ("app/conftest.py", True),
        ("docs/conf.py", True),
        ("examples/demo.py", True),
        ("integ_tests/common.py", True),
        ("app/views.py", False),
        ("app/contests/views.py", False),
        ("app/testing_utils.py", False),  # a file name is matched whole, not by prefix
        ("contest.py", False),
        ("svc/vendor/six.py", True),  # copies of other projects' code
        ("svc/_vendor/six.py", True),
        ("thirdparty/bottle.py", True),
        ("src/extern/bottle.py", True),
        ("svc/externals.py", False),
        ("svc/external/api.py", False),
    ],
)
def test_not_deployed_patterns(path: str, expected: bool) -> None:
    from statelint.config.settings import DEFAULT_NOT_DEPLOYED

    assert not_deployed(path, DEFAULT_NOT_DEPLOYED) is expected


# -- the model on its own: summaries in, answers out -------------------------------------------
def model_of(files: dict[str, str]) -> ProjectModel:
    knowledge = load_catalog().families["SL0"].knowledge["contexts"]
    summaries = []
    for module, text in files.items():
        is_package = module.endswith(".__init__")
        name = module.removesuffix(".__init__")
        summaries.append((summarize(ast.parse(textwrap.dedent(text)), name, is_package), True))
    return ProjectModel.build(summaries, knowledge)


def test_expansion_follows_reexports_factories_and_subclasses() -> None:
    model = model_of(
        {
            "pkg.__init__": "from .web import make_app\n",
            "pkg.web": """
                from flask import Flask
                class ApiFlask(Flask): ...
                def make_app():
                    return ApiFlask(__name__)
            """,
        }
    )
    assert "flask.Flask().run" in model.expand("pkg.make_app().run")
    assert model.expand("pkg.web.ApiFlask") == {"flask.Flask"}
    assert model.expand("pkg.web.make_app") == frozenset()  # the function itself stands for nothing else


def test_a_submodule_and_the_package_name_bound_to_its_function_are_told_apart() -> None:
    """``from .main import main`` in ``pkg/__init__.py``: ``pkg.main`` is the function, ``pkg.main.main``
    still the submodule's def (not ``pkg.main.main.main``, and so on to the depth bound)."""
    model = model_of(
        {
            "pkg.__init__": "from .main import main\n",
            "pkg.main": "from flask import Flask\ndef main():\n    return Flask(__name__)\n",
            "wsgi": "from pkg import main\ndef app():\n    return main()\n",
        }
    )
    assert model.expand("pkg.main()") == {"pkg.main.main()", "flask.Flask()"}
    assert model.expand("wsgi.app()") == {"pkg.main()", "pkg.main.main()", "flask.Flask()"}


def test_cycles_self_reference_and_deep_chains_terminate() -> None:
    files = {
        "a": "from b import x\nclass A(A): ...\nclass B(C): ...\nclass C(B): ...\ndef f():\n    return f()\n",
        "b": "from a import x\n",
    }
    files.update({f"m{i}": f"from m{i + 1} import name\n" for i in range(50)})
    files["m50"] = "import flask\nname = flask.Flask()\n"
    model = model_of(files)
    assert model.expand("a.x") == {"b.x"}
    assert "a.B" in model.expand("a.C")
    assert isinstance(model.expand("a.f()"), frozenset)  # a function returning its own call: terminates
    assert "flask.Flask()" not in model.expand("m0.name")  # past the depth bound: not followed
    assert "flask.Flask()" in model.expand("m45.name")


def test_run_contexts_come_from_callers_not_names() -> None:
    model = model_of(
        {
            "app": """
                from flask import Flask
                import plugins
                app = Flask(__name__)
                plugins.setup()
                @app.get("/items")
                def items():
                    plugins.record()
                def main():
                    plugins.connect()
                if __name__ == "__main__":
                    main()
            """,
            "plugins": """
                import threading
                def setup(): ...
                def record(): ...
                def connect(): ...
                def worker():
                    while True: ...
                def warm_up(): ...
                def orphan(): ...
                threading.Thread(target=worker).start()
                threading.Thread(target=warm_up).start()
            """,
        }
    )
    assert model.context("plugins.setup") == {"startup"}
    assert model.context("plugins.connect") == {"startup"}
    assert model.context("plugins.record") == {"request"}
    assert model.context("plugins.worker") == {"background"}  # a loop beside the requests
    assert model.context("plugins.warm_up") == {"startup"}  # one-shot work of a thread started at import
    assert model.context("plugins.orphan") == frozenset()  # unknown
    assert model.is_lifecycle("plugins.setup") and not model.is_lifecycle("plugins.record")
    assert not model.is_lifecycle("plugins.orphan")


def test_a_method_called_on_what_nothing_types_may_be_any_project_method_of_that_name() -> None:
    """A class taken from a project dict and called (``self.kinds.get(name)(engine).initialize()``)
    makes an object nothing types, so every project method of that name is called from there; a
    method of a library's object (``httpx.Client().post``) is the library's, never a project one."""
    model = model_of(
        {
            "app": """
                from flask import Flask
                import httpx
                import engines
                app = Flask(__name__)
                CLIENT = httpx.Client()
                class Loader:
                    kinds = {"online": engines.Online}
                    def init(self, name):
                        self.kinds.get(name)(name).initialize()
                Loader().init("online")
                @app.post("/send")
                def send():
                    return CLIENT.post("/x")
            """,
            "engines": """
                class Online:
                    def initialize(self): ...
                class Upload:
                    def post(self): ...
            """,
        }
    )
    assert model.context("engines.Online.initialize") == {"startup"}
    assert model.context("engines.Upload.post") == frozenset()  # nothing calls it: unknown


def test_an_unparseable_file_contributes_an_empty_summary_and_its_sl001(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text("from bad import x\nx.run(host='127.0.0.1')\n")
    (tmp_path / "bad.py").write_text("def broken(:\n")
    run = check_json(".", cwd=tmp_path, extra=("--no-cache",))
    assert [(f["path"], f["code"]) for f in run.findings] == [("bad.py", "SL001")]


def test_a_new_module_is_seen_by_a_run_on_other_files(tmp_path: Path) -> None:
    """A pre-commit run lists the project's files from the cache while no folder changed: a module
    added since (here, a route that calls load()) changes its folder, and so what load() is."""
    project = copy_fixture("project/factory_app", tmp_path)
    check_json(".", cwd=project)  # fills the cache
    assert ("shop/plugins.py", "SL101", 3, 1) in quads(check_json("shop/plugins.py", cwd=project))
    assert ("shop/plugins.py", "SL101", 1, 1) not in quads(check_json("shop/plugins.py", cwd=project))
    (project / "shop" / "admin.py").write_text(
        "from . import plugins\nfrom .views import bp\n\n\n@bp.post('/plugins/<name>')\ndef add(name):\n"
        "    plugins.load(name, print)\n"
    )
    assert ("shop/plugins.py", "SL101", 1, 1) in quads(check_json("shop/plugins.py", cwd=project))


def test_the_stored_model_answers_as_the_joined_one() -> None:
    model = model_of(
        {
            "pkg.__init__": "from .web import make_app\n",
            "pkg.web": """
                from flask import Flask
                import threading
                class ApiFlask(Flask): ...
                def make_app():
                    threading.Thread(target=loop).start()
                    return ApiFlask(__name__)
                def loop():
                    while True: ...
            """,
        }
    )
    model.compact()
    stored = ProjectModel.from_json(model.to_json())
    assert stored is not None
    for name in ("pkg.make_app().run", "pkg.web.ApiFlask", "pkg.web.loop"):
        assert stored.expand(name) == model.expand(name)
    for function in ("pkg.web.make_app", "pkg.web.loop"):
        assert stored.context(function) == model.context(function)
        assert stored.steps(function, "startup") == model.steps(function, "startup")
    assert ProjectModel.from_json({"kinds": []}) is None


def test_sl103_definitions_come_from_the_module_level_only() -> None:
    from statelint.project.model import ModuleView

    model = model_of(
        {
            "pkg.state": """
                from collections import defaultdict
                CACHE = {}
                if True:
                    HITS = defaultdict(int)
                __all__ = ["CACHE"]
                def f():
                    LOCAL = []
                class C:
                    ATTR = {}
            """
        }
    )
    view = ModuleView(model, "pkg.app")
    calls = ["collections.defaultdict"]
    found = {name: view.container(f"pkg.state.{name}", calls) for name in ("CACHE", "HITS", "__all__", "f.LOCAL", "C.ATTR")}
    assert found == {
        "CACHE": ("dict", "pkg.state"),  # no path known to this model: the module's name
        "HITS": ("defaultdict", "pkg.state"),
        "__all__": None,
        "f.LOCAL": None,
        "C.ATTR": None,
    }


@pytest.mark.parametrize(
    "use",
    [
        "import store\n\n\ndef add(item):\n    store.ITEMS[item] = 1\n",  # through the module object, no call
        "def add(item):\n    from store import ITEMS\n\n    ITEMS[item] = 1\n",  # an import inside the function
    ],
)
def test_a_cached_result_follows_an_edit_of_what_it_imports(use: str, tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text("ITEMS = {}\n")
    (tmp_path / "use.py").write_text(use)
    assert [f[1] for f in quads(check_json(".", cwd=tmp_path, select="SL103"))] == ["SL103"]
    (tmp_path / "store.py").write_text("ITEMS = ()\n")  # no longer a container: use.py's cached result must go
    assert quads(check_json(".", cwd=tmp_path, select="SL103")) == []


def test_findings_on_state_name_the_path_that_makes_it_matter(tmp_path: Path) -> None:
    project = copy_fixture("project/plugin_loader", tmp_path)
    hints = {(f["path"], f["code"], f["line"]): f["hint"] for f in check_json(".", cwd=project).findings}
    messages = {(f["path"], f["code"], f["line"]): f["message"] for f in check_json(".", cwd=project).findings}
    assert hints[("search/app.py", "SL501", 26)].startswith(
        "Started on the request path: @post('/notify') -> app.notify(). "
    )
    assert hints[("search/app.py", "SL101", 12)].startswith(
        "Written in the background: Thread() -> app.refresh_forever(). "
    )
    assert hints[("search/engines/books.py", "SL102", 4)].startswith(
        "Written on the request path: @get('/search') -> app.search() -> books.fetch(). "
    )
    # the headline says when, the hint how
    assert messages[("search/app.py", "SL101", 12)] == (
        "module list `RECENT` is mutated in the background (append() in `refresh_forever()`, line 36)"
    )
    assert messages[("search/engines/books.py", "SL102", 4)] == "module global `LAST_QUERY` is rebound per request (in `fetch()`, line 14)"
    # Upload.post() has no caller in the project. That app.forward() calls post() on an httpx
    # client says nothing about it: only a method called on what a plugin loader returned may be
    # a project module's hook.
    assert not hints[("search/uploads.py", "SL101", 1)].startswith("Written on")
    assert "at run time" in messages[("search/uploads.py", "SL101", 1)]


def test_each_step_of_the_path_points_at_its_definition(tmp_path: Path) -> None:
    project = copy_fixture("project/plugin_loader", tmp_path)
    related = {(f["path"], f["code"]): f["related"] for f in check_json(".", cwd=project).findings}
    assert related[("search/engines/books.py", "SL102")] == [
        {"label": "@get('/search')", "path": None, "line": None},
        {"label": "app.search()", "path": "search/app.py", "line": 16},
        {"label": "books.fetch()", "path": "search/engines/books.py", "line": 12},
    ]
    assert related[("search/app.py", "SL502")] == []  # started at startup: no request or background path


def test_a_summary_is_the_same_in_every_process(tmp_path: Path) -> None:
    """Summaries are compared across runs (an edit that changes none keeps the model): nothing in
    them may depend on the hash seed of the process that made them."""
    import json
    import subprocess
    import sys

    source = tmp_path / "app.py"  # a callback bound on two branches: a set of names
    source.write_text(
        "import threading\nif FAST:\n    from fast import work, loop\nelse:\n    from slow import work, loop\n"
        "threading.Thread(target=work).start()\nthreading.Timer(1, loop).start()\n"
    )
    probe = (
        "import ast, json, sys\n"
        "from statelint.project.summary import summarize\n"
        "text = open(sys.argv[1]).read()\n"
        "print(json.dumps(summarize(ast.parse(text), 'search.app').to_json()))\n"
    )
    outputs = set()
    for seed in ("1", "2", "3", "4", "5"):
        done = subprocess.run(
            [sys.executable, "-c", probe, str(source)], capture_output=True, text=True, check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}, cwd=tmp_path,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["callbacks"]  # the probe did summarise callbacks


def test_a_damaged_summary_in_the_cache_is_made_again(tmp_path: Path) -> None:
    project = copy_fixture("project/factory_app", tmp_path)
    expected = quads(check_json(".", cwd=project))
    for entry in project.glob(".statelint_cache/*/summaries/*/*.json"):
        entry.write_text(entry.read_text().replace('"values":{', '"values":{"x":[1],', 1))
    for entry in project.glob(".statelint_cache/*/model*.json"):
        entry.unlink()  # the model is joined again, from the damaged summaries
    (project / "shop" / "views.py").write_text((project / "shop" / "views.py").read_text() + "\n\ndef extra():\n    pass\n")
    assert quads(check_json(".", cwd=project)) == expected


def test_one_stored_model_is_kept(tmp_path: Path) -> None:
    project = copy_fixture("project/factory_app", tmp_path)
    for number in range(3):  # each run changes a definition: the model is joined and stored again
        (project / "shop" / "extra.py").write_text(f"def added_{number}():\n    pass\n")
        check_json(".", cwd=project)
    assert len(list(project.glob(".statelint_cache/*/model-*.json"))) == 1


def test_without_a_project_marker_a_run_on_a_file_sees_only_the_files_given(tmp_path: Path) -> None:
    """The project is the configuration file's folder or the closest one with a marker (.git,
    pyproject.toml ...). Without either, checking a file from the working folder must not walk it."""
    project = copy_fixture("project/factory_app", tmp_path)
    assert ("shop/plugins.py", "SL101", 1, 1) not in quads(check_json("shop/plugins.py", cwd=project))
    (project / "pyproject.toml").unlink()
    alone = quads(check_json("shop/plugins.py", cwd=project, extra=("--no-cache",)))
    assert ("shop/plugins.py", "SL101", 1, 1) in alone  # nothing shows that only make_app() calls load()


def test_the_project_is_found_from_the_checked_files_not_the_working_folder(tmp_path: Path) -> None:
    project = copy_fixture("project/factory_app", tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text('[project]\nname = "other"\n')  # a project of its own
    run = check_json(str(project / "shop" / "plugins.py"), cwd=elsewhere, extra=("--no-cache",))
    assert [(f["code"], f["line"]) for f in run.findings] == [("SL101", 3)]  # only SEEN: factory_app's model


def test_spawned_workers_judge_files_as_the_parent_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where workers are spawned, not forked (macOS, Windows), the pickled plan carries the model and the views."""
    import multiprocessing

    from statelint.engine import pool as pool_module

    monkeypatch.setattr(pool_module, "context", lambda: multiprocessing.get_context("spawn"))
    project = copy_fixture("project/factory_app", tmp_path)
    for number in range(45):  # enough files for the summaries, too, to go to worker processes
        (project / "shop" / f"filler_{number:02}.py").write_text("VALUE = 1\n")
    run = check_json(".", cwd=project, extra=("--no-cache", "--jobs", "2"))
    assert (run.exit_code, run.stderr) == (1, "")
    assert quads(run) == expectations(project)


def test_a_stop_signal_set_on_shutdown_in_another_module_stops_the_worker(tmp_path: Path) -> None:
    """The SIGTERM handler sets an Event another module's worker loop checks: the worker is
    stopped; once the handler no longer sets it, the cached result of the worker's file follows."""
    project = copy_fixture("project/stop_signals", tmp_path)
    assert [(f[0], f[2]) for f in quads(check_json(".", cwd=project, select="SL501"))] == [("relay/workers.py", 18)]
    handler = project / "relay" / "shutdown.py"
    handler.write_text(handler.read_text().replace("    STOP.set()\n", "    print('bye')\n"))
    assert [(f[0], f[2]) for f in quads(check_json(".", cwd=project, select="SL501"))] == [
        ("relay/workers.py", 17), ("relay/workers.py", 18),
    ]


def test_a_module_outside_any_package_is_also_known_by_the_folders_above_it() -> None:
    """``app/core/config.py`` with no ``app/__init__.py`` is module ``core.config``, and imported as
    ``app.core.config`` by code run from the folder above: both names reach it, unless two
    modules could be meant (two services side by side), where neither longer name is guessed."""
    knowledge = load_catalog().families["SL0"].knowledge["contexts"]
    records = [
        (summarize(ast.parse("HOST = '127.0.0.1'\n"), "core.config"), True, "svc/app/core/config.py"),
        (summarize(ast.parse("def main(): pass\n"), "main"), True, "svc/app/main.py"),
        (summarize(ast.parse("def main(): pass\n"), "worker"), True, "a/jobs/worker.py"),
        (summarize(ast.parse("def main(): pass\n"), "tasks.worker"), True, "b/tasks/worker.py"),
        (summarize(ast.parse("PORT = 1\n"), "db.settings"), True, "s1/app/db/settings.py"),
        (summarize(ast.parse("PORT = 2\n"), "settings"), True, "s2/app/db/settings.py"),
    ]
    model = ProjectModel.build(records, knowledge)
    assert model.canonical("app.core.config.HOST") == "core.config.HOST"
    assert model.canonical("svc.app.main.main") == "main.main"
    assert model.canonical("jobs.worker.main") == "worker.main"
    assert model.canonical("b.tasks.worker") == "tasks.worker"
    assert model.canonical("core.config.HOST") == "core.config.HOST"  # the module's own name
    assert model.expand("app.core.config.HOST") == {"core.config.HOST"}
    assert model.canonical("flask.Flask") == "flask.Flask"
    assert model.canonical("app.db.settings.PORT") == "app.db.settings.PORT"  # two modules: not guessed
    assert model.canonical("s1.app.db.settings.PORT") == "db.settings.PORT"


def test_a_cached_finding_points_at_where_the_path_is_now(tmp_path: Path) -> None:
    """Moving a function down another file changes no summary, so the finding's cached result stays
    valid; the line of each step is found as the run reports, never taken from the cache."""
    project = copy_fixture("project/plugin_loader", tmp_path)

    def steps() -> list[Any]:
        found = {(f["path"], f["code"]): f["related"] for f in check_json(".", cwd=project).findings}
        return [(step["path"], step["line"]) for step in found[("search/engines/books.py", "SL102")]]

    assert steps() == [(None, None), ("search/app.py", 16), ("search/engines/books.py", 12)]
    app = project / "search" / "app.py"
    app.write_text("# moved\n# down\n" + app.read_text())
    assert steps() == [(None, None), ("search/app.py", 18), ("search/engines/books.py", 12)]


def test_fields_only_the_declarations_read_leave_the_model_as_it_was() -> None:
    """An edit that changes only what a function writes, its parameters or a decorator nothing resolves
    joins as before (the stored model is reused); a change of what the model reads does not."""

    def summary(text: str) -> Any:
        return summarize(ast.parse(textwrap.dedent(text)), "app")

    before = summary("STATE = {}\n@app.get('/x')\ndef view(request):\n    STATE['a'] = 1\n")
    declared_only = summary("STATE = {}\n@app.post('/x')\ndef view(req):\n    STATE['b'] = 2\n")
    assert before != declared_only
    assert (before.parameters, before.dynamic_decorators) != (declared_only.parameters, declared_only.dynamic_decorators)
    assert before.joins_as(declared_only)
    assert not before.joins_as(summary("STATE = {}\n@app.get('/x')\ndef other(request):\n    STATE['a'] = 1\n"))


def test_a_stop_method_is_a_shutdown_path_by_what_calls_it_and_the_cache_follows_its_callers(tmp_path: Path) -> None:
    """Forwarder.stop() is a shutdown path because the app's lifespan calls it after its yield; once
    the lifespan no longer does (and only a request handler does), the cached result of workers.py
    follows, though the file did not change (issue 21: a name alone is not a shutdown path)."""
    project = copy_fixture("project/lifecycle_hooks", tmp_path)
    assert [(f[0], f[1], f[2]) for f in quads(check_json(".", cwd=project, select="SL5"))] == [
        ("hub/workers.py", "SL501", 46), ("hub/workers.py", "SL505", 59),
    ]
    app = project / "hub" / "app.py"
    app.write_text(app.read_text().replace("    forwarder.stop()\n", "    app.state.forwarder = forwarder\n"))
    assert [(f[0], f[1], f[2]) for f in quads(check_json(".", cwd=project, select="SL5"))] == [
        ("hub/workers.py", "SL501", 14), ("hub/workers.py", "SL501", 46), ("hub/workers.py", "SL505", 59),
    ]
    app.write_text(app.read_text().replace("    tailer.stop()\n", "    tailer.stop()\n    app.state.forwarder.stop()\n"))
    assert [(f[0], f[1], f[2]) for f in quads(check_json(".", cwd=project, select="SL5"))] == [
        ("hub/workers.py", "SL501", 14), ("hub/workers.py", "SL501", 46), ("hub/workers.py", "SL505", 59),
    ]


def test_the_join_in_parts_gives_what_one_join_gives(tmp_path: Path) -> None:
    """The join's children each build the model and compute the views of their share of the files (the
    first also writes the model's text): together, and in any order one child is given them, they give
    the records and the text of a single join."""
    import json

    from statelint.config.settings import Settings
    from statelint.engine.analyze import Plan
    from statelint.engine.discovery import discover
    from statelint.project import build

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'svc'\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("from flask import Flask\n\ndef make():\n    return Flask(__name__)\n", encoding="utf-8")
    (tmp_path / "run.py").write_text("from app import make\n\nmake().run(host='127.0.0.1')\n", encoding="utf-8")
    (tmp_path / "cache.py").write_text("CACHE = {}\n\ndef put(k, v):\n    CACHE[k] = v\n", encoding="utf-8")
    plan = Plan(Settings(root=tmp_path, enabled=("SL101", "SL301")), load_catalog())
    targets, _ = discover(["."], plan.settings, tmp_path)
    files = [build._File(t, plan) for t in targets if t.kind == "python"]
    summaries = build.gather_summaries(files, plan, 1, None)
    model, views = build._join_with_views(files, summaries, plan)
    expected = (json.dumps(model.to_json(), separators=(",", ":")), [build._view_record(v) for v in views])
    for order in ([0, 1], [1, 0]):
        handle = build._join_handler(files, summaries, plan)  # one child given every part
        answers = {part: handle(part) for part in order}
        records: list[Any] = [None] * len(files)
        for part, (_, found) in answers.items():
            records[part :: build.JOIN_PARTS] = found
        assert (answers[0][0], records) == expected
        assert answers[1][0] is None
