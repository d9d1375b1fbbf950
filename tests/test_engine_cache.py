"""The result cache: where it lives, what invalidates it, and that it can never make a run fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from statelint.engine import runner
from statelint.engine.cache import (
    CACHEDIR_TAG,
    ResultCache,
    decode_result,
    encode_result,
    sources_stamp,
)
from statelint.model import (
    FileResult,
    Finding,
    InternalError,
    Severity,
    Span,
    Suppression,
)
from tests.helpers import check_json, copy_fixture, run_cli

LOOPBACK = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="127.0.0.1")\n'
CLEAN = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="0.0.0.0")\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app.py").write_text(LOOPBACK)
    (tmp_path / "svc" / "ok.py").write_text(CLEAN)
    (tmp_path / "svc" / "plain.py").write_text("VALUE = 1\n")
    return tmp_path


def _entries(cache: Path) -> list[Path]:
    return sorted((cache).glob("v*/files/*/*.json"))


class Spy:
    """Counts files analysed in this process (small runs analyse misses here first)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        original = runner.analyze

        def spy(target, plan, data=None, **options):  # type: ignore[no-untyped-def]
            self.paths.append(target.display)
            return original(target, plan, data, **options)

        monkeypatch.setattr(runner, "analyze", spy)


def test_cache_folder_is_tagged_and_ignored_by_git(project: Path) -> None:
    run = check_json("svc", cwd=project)
    assert run.exit_code == 1
    cache = project / ".statelint_cache"
    assert (cache / "CACHEDIR.TAG").read_text() == CACHEDIR_TAG
    assert CACHEDIR_TAG.startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert len(_entries(cache)) == 3
    for entry in _entries(cache):
        json.loads(entry.read_text())  # plain JSON, never pickle


def test_cache_lives_in_the_project_root_next_to_the_config(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.statelint]\nignore = []\n")
    run = check_json(".", cwd=project / "svc")
    assert run.exit_code == 1
    assert (project / ".statelint_cache").is_dir()
    assert not (project / "svc" / ".statelint_cache").exists()


def test_no_cache_writes_nothing_and_cache_dir_moves_it(project: Path, tmp_path: Path) -> None:
    assert check_json("svc", cwd=project, extra=("--no-cache",)).exit_code == 1
    assert not (project / ".statelint_cache").exists()
    elsewhere = tmp_path / "elsewhere" / "cache"
    assert check_json("svc", cwd=project, extra=("--cache-dir", str(elsewhere))).exit_code == 1
    assert len(_entries(elsewhere)) == 3
    assert not (project / ".statelint_cache").exists()
    assert run_cli("check", "svc", cwd=project, env={"STATELINT_NO_CACHE": "1"}).exit_code == 1
    assert not (project / ".statelint_cache").exists()


def test_warm_run_reads_the_cache_and_reanalyses_only_the_changed_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = check_json("svc", cwd=project)
    spy = Spy(monkeypatch)
    warm = check_json("svc", cwd=project)
    assert spy.paths == []
    assert warm.stdout == cold.stdout
    (project / "svc" / "ok.py").write_text(LOOPBACK)
    changed = check_json("svc", cwd=project)
    assert spy.paths == ["svc/ok.py"]
    assert changed.triples == [("SL301", 3, 14), ("SL301", 3, 14)]
    assert [f["path"] for f in changed.findings] == ["svc/app.py", "svc/ok.py"]
    (project / "svc" / "ok.py").write_text(CLEAN)  # back to a content seen before: a hit again
    assert check_json("svc", cwd=project).stdout == cold.stdout
    assert spy.paths == ["svc/ok.py"]


def test_settings_and_selection_are_part_of_the_key(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_json("svc", cwd=project)
    spy = Spy(monkeypatch)
    assert check_json("svc", cwd=project, select="SL302").triples == []
    assert sorted(spy.paths) == ["svc/app.py", "svc/ok.py", "svc/plain.py"]
    assert check_json("svc", cwd=project).triples == [("SL301", 3, 14)]
    assert len(spy.paths) == 3  # the first settings' entries are still there


def test_a_file_moved_to_another_path_is_analysed_again(project: Path) -> None:
    check_json("svc", cwd=project)
    (project / "svc" / "app.py").rename(project / "svc" / "moved.py")
    run = check_json("svc", cwd=project)
    assert [(f["path"], f["code"]) for f in run.findings] == [("svc/moved.py", "SL301")]


@pytest.mark.parametrize(
    "garbage",
    [b"", b"{not json", b"[]", b'{"key": "x", "result": {}}', b"\xff\xfe\x00", b'{"key": null}'],
)
def test_corrupt_entries_are_misses_and_get_rewritten(project: Path, garbage: bytes) -> None:
    cold = check_json("svc", cwd=project)
    cache = project / ".statelint_cache"
    for entry in _entries(cache):
        entry.write_bytes(garbage)
    for record in cache.glob("v*/rules.json"):
        record.write_bytes(garbage)
    run = check_json("svc", cwd=project)
    assert (run.exit_code, run.stdout, run.stderr) == (cold.exit_code, cold.stdout, cold.stderr)
    for entry in _entries(cache):
        assert json.loads(entry.read_text())["result"] is not None


def test_entry_under_the_wrong_key_is_a_miss(project: Path) -> None:
    """A copied or colliding file must not serve another file's findings."""
    check_json("svc", cwd=project)
    entries = {json.loads(e.read_text())["key"]: e for e in _entries(project / ".statelint_cache")}
    texts = [e.read_text() for e in entries.values()]
    for entry, text in zip(entries.values(), texts[1:] + texts[:1]):
        entry.write_text(text)  # every entry now holds another file's record
    assert check_json("svc", cwd=project).triples == [("SL301", 3, 14)]


def test_unusable_cache_dir_only_turns_caching_off(project: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    run = check_json("svc", cwd=project, extra=("--cache-dir", str(blocker / "cache")))
    assert run.exit_code == 1, run.stderr
    assert run.triples == [("SL301", 3, 14)]
    assert run.stderr == ""


def test_results_with_internal_errors_are_not_cached(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from statelint.rules.sl3 import binds as sl3_binds

    def explode(self: object, site: object) -> None:
        raise ValueError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(sl3_binds.ExplicitLoopbackBind, "judge", explode)
        assert check_json("svc", cwd=project).exit_code == 2
    run = check_json("svc", cwd=project)
    assert (run.exit_code, run.triples) == (1, [("SL301", 3, 14)])


def test_two_runs_sharing_one_cache_at_once(project: Path) -> None:
    for number in range(40):
        (project / "svc" / f"mod_{number}.py").write_text(LOOPBACK if number % 3 == 0 else CLEAN)
    command = [sys.executable, "-m", "statelint", "check", "--output-format", "json", "--jobs", "2", "svc"]
    runs = [subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [1, 1, 1]
    assert all(err == b"" for _, err in outputs)
    assert outputs[0][0] == outputs[1][0] == outputs[2][0]
    warm = subprocess.run(command, cwd=project, capture_output=True, timeout=300, check=False)
    assert warm.stdout == outputs[0][0]
    leftovers = [p for p in (project / ".statelint_cache").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_cross_module_facts_stay_correct_with_a_warm_cache(tmp_path: Path) -> None:
    """SL103 joins facts of several files: change only the mutating module, the rest from the cache."""
    app = copy_fixture("sl1/crossmodule", tmp_path)
    first = check_json(".", cwd=app, select="SL103")
    assert [(f["path"], f["line"]) for f in first.findings] == [
        ("app/handlers.py", 8),
        ("app/handlers.py", 16),
        ("app/views.py", 10),
    ]
    assert check_json(".", cwd=app, select="SL103").stdout == first.stdout
    views = app / "app" / "views.py"
    original = views.read_text()
    views.write_text("import app.state as s\n\n\ndef peek(key):\n    return s.CACHE.get(key)\n")
    assert [(f["path"], f["line"]) for f in check_json(".", cwd=app, select="SL103").findings] == [
        ("app/handlers.py", 8),
        ("app/handlers.py", 16),
    ]
    (app / "app" / "state.py").write_text('"""No module state any more."""\n')
    assert check_json(".", cwd=app, select="SL103").triples == []
    views.write_text(original)
    (app / "app" / "state.py").unlink()
    copy_fixture("sl1/crossmodule/app/state.py", app / "app")
    assert check_json(".", cwd=app, select="SL103").stdout == first.stdout


def test_cross_module_probes_and_routes_with_a_warm_cache(tmp_path: Path) -> None:
    """SL605 joins probes in manifests with routes in code: a route removed from the code shows up."""
    service = copy_fixture("sl6/service", tmp_path)
    first = check_json(".", cwd=service, select="SL605")
    assert check_json(".", cwd=service, select="SL605").stdout == first.stdout
    assert [f["line"] for f in first.findings] == [25, 40, 44]
    health = service / "app" / "health.py"
    text = health.read_text()
    health.write_text(text.replace('@router.get("/ready")', '@router.get("/readiness")'))
    # The manifest is unchanged (a cache hit); the readiness probe (line 21) lost its route.
    assert [f["line"] for f in check_json(".", cwd=service, select="SL605").findings] == [21, 25, 40, 44]
    health.write_text(text)
    assert check_json(".", cwd=service, select="SL605").stdout == first.stdout


def test_codec_round_trip_is_exact() -> None:
    result = FileResult(
        "a/b.py",
        findings=[Finding("SL301", "msg", "a/b.py", Span(3, 14, 3, 25), Severity.WARNING, "hint")],
        errors=[],
        suppressions=[Suppression(2, 5, ("SL301", "SL3"), "why", "ignore", (3,), 20), Suppression(4, 1, None, "", "noqa", (4,))],
        file_ignores=("SL1",),
        facts={"SL103": [{"name": "CACHE", "line": 2, "nested": [1, "x", None]}]},
        lines={3: 'app.run(host="127.0.0.1")'},
        parsed=True,
    )
    assert decode_result(json.loads(json.dumps(encode_result(result))), "a/b.py") == result
    assert decode_result(encode_result(FileResult("x.py")), "x.py") == FileResult("x.py")
    errors = FileResult("x.py", errors=[InternalError("x.py", "rule SL301 failed", "SL301")])
    assert decode_result(encode_result(errors), "x.py") == errors


def test_cache_run_key_changes_with_settings(tmp_path: Path) -> None:
    one = ResultCache.open(tmp_path, "catalog", "settings-a")
    two = ResultCache.open(tmp_path, "catalog", "settings-b")
    three = ResultCache.open(tmp_path, "catalog-2", "settings-a")
    assert len({one.folder, two.folder, three.folder}) == 3
    assert ResultCache.open(tmp_path, "catalog", "settings-a").folder == one.folder


def test_the_code_stamp_changes_with_any_module_and_ignores_bytecode(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub" / "__pycache__").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "b.py").write_text("y = 2\n")
    (package / "notes.txt").write_text("not code\n")
    (package / "z.py").write_text("z = 3\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "c.py").write_text("c = 4\n")
    (package / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    stamp = sources_stamp(str(package))
    # os.walk's order (a folder's files, then its subfolders), linked folders not followed
    assert [line.split("\0")[0] for line in stamp.split("\n")] == ["a.py", "z.py", "sub/b.py"]
    (package / "sub" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\0")
    (package / "notes.txt").write_text("still not code\n")
    assert sources_stamp(str(package)) == stamp
    (package / "sub" / "b.py").write_text("y = 22\n")  # another size
    assert sources_stamp(str(package)) != stamp
    stamp = sources_stamp(str(package))
    os.utime(package / "a.py", ns=(0, 1_000_000_000))  # same size, another time
    assert sources_stamp(str(package)) != stamp


def test_module_names_come_from_the_package_folders_and_are_looked_up_once_per_run(tmp_path: Path) -> None:
    """Cache keys and summaries name modules alike; a new run sees a package that appeared since."""
    from statelint.catalog import load_catalog
    from statelint.config.settings import Settings
    from statelint.engine.analyze import Plan

    (tmp_path / "app" / "api").mkdir(parents=True)
    for folder in ("app", "app/api"):
        (tmp_path / folder / "__init__.py").write_text("")
    plan = Plan(Settings(root=tmp_path), load_catalog())
    assert plan.module_name(str(tmp_path / "app" / "api" / "views.py")) == ("app.api.views", False)
    assert plan.module_name(str(tmp_path / "app" / "api" / "__init__.py")) == ("app.api", True)
    assert plan.module_name(str(tmp_path / "script.py")) == ("script", False)
    (tmp_path / "__init__.py").write_text("")  # the project root becomes a package mid-run ...
    assert plan.module_name(str(tmp_path / "app" / "api" / "views.py")) == ("app.api.views", False)  # ... not seen
    fresh = Plan(Settings(root=tmp_path), load_catalog())  # ... until the next run
    assert fresh.module_name(str(tmp_path / "app" / "api" / "views.py")) == (f"{tmp_path.name}.app.api.views", False)
