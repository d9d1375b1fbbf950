"""Configuration follows the code, not the working directory (as in ruff).

Each file is checked with the closest configuration file above it; the cache lives in
that configuration's project root; reports show paths relative to the working directory
when it holds them, else to the project root; SARIF, GitLab and GitHub name files
relative to the repository's root. Every run here starts from a folder outside the
checked project, unless it says otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import FIXTURES, check_json, run_cli

# SL301 at 2:23 (explicit loopback), SL302 at 3:1 (no host).
LOOPBACK = 'import uvicorn\nuvicorn.run(app, host="127.0.0.1")\nuvicorn.run(app)\n'
SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git checkout with two services, each with its own configuration, and a folder outside it."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for path in ("services/api/svc/app.py", "services/jobs/run.py"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(LOOPBACK)
    (root / "services/api/pyproject.toml").write_text('[project]\nname = "api"\n\n[tool.statelint]\nignore = ["SL302"]\n')
    (root / "services/jobs/.statelint.yaml").write_text("ignore: [SL301]\n")
    (tmp_path / "elsewhere").mkdir()
    return root


def found(run_dir: Path, *paths: str, extra: tuple[str, ...] = ()) -> list[tuple[str, str, int, int]]:
    run = check_json(*paths, cwd=run_dir, extra=extra)
    assert run.exit_code in (0, 1), run.stderr
    return [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings]


def test_a_project_checked_from_elsewhere_uses_its_own_configuration(repo: Path) -> None:
    elsewhere = repo.parent / "elsewhere"
    # Paths relative to the project root: not absolute ones that depend on where the checkout is.
    assert found(elsewhere, str(repo / "services/api")) == [("svc/app.py", "SL301", 2, 23)]
    assert found(elsewhere, str(repo / "services/api/svc/app.py")) == [("svc/app.py", "SL301", 2, 23)]
    assert found(elsewhere, "../repo/services/jobs") == [("run.py", "SL302", 3, 1)]


def test_each_project_of_a_run_uses_its_closest_configuration(repo: Path) -> None:
    both = [("services/api/svc/app.py", "SL301", 2, 23), ("services/jobs/run.py", "SL302", 3, 1)]
    assert found(repo, "services/api", "services/jobs") == both
    assert found(repo, ".") == both  # a walk leaves each nested project to its own configuration
    assert found(repo / "services", "api/svc/app.py", "jobs/run.py") == [
        ("api/svc/app.py", "SL301", 2, 23),
        ("jobs/run.py", "SL302", 3, 1),
    ]
    # From outside the repository: relative to the folder holding both projects.
    assert found(repo.parent / "elsewhere", str(repo / "services/api"), str(repo / "services/jobs")) == [
        ("api/svc/app.py", "SL301", 2, 23),
        ("jobs/run.py", "SL302", 3, 1),
    ]


def test_a_parent_configuration_still_decides_what_its_walk_enters(repo: Path) -> None:
    (repo / "main.py").write_text(LOOPBACK)
    (repo / ".statelint.yaml").write_text("select: [SL302]\nextend-exclude: [services/jobs]\n")
    assert found(repo, ".") == [
        ("main.py", "SL302", 3, 1),  # the repository's own configuration
        ("services/api/svc/app.py", "SL301", 2, 23),  # the nested project's, not the parent's select
        # services/jobs: excluded by the parent, so its configuration is never reached
    ]


def test_config_option_applies_one_file_to_every_path(repo: Path) -> None:
    (repo / "ci.toml").write_text('select = ["SL3"]\n')
    assert found(repo, ".", extra=("--config", "ci.toml")) == [
        ("services/api/svc/app.py", "SL301", 2, 23),
        ("services/api/svc/app.py", "SL302", 3, 1),
        ("services/jobs/run.py", "SL301", 2, 23),
        ("services/jobs/run.py", "SL302", 3, 1),
    ]


def test_paths_outside_the_working_directory_but_in_its_project_climb_with_dots(repo: Path) -> None:
    (repo / "services/api/lib").mkdir()
    (repo / "services/api/lib/serve.py").write_text(LOOPBACK)
    assert found(repo / "services/api/svc", ".", str(repo / "services/api/lib")) == [
        ("../lib/serve.py", "SL301", 2, 23),
        ("app.py", "SL301", 2, 23),
    ]


def test_the_cache_lives_in_the_project_root_never_in_the_working_directory(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    assert found(elsewhere, str(repo / "services/api/svc")) == [("svc/app.py", "SL301", 2, 23)]
    assert (repo / "services/api/.statelint_cache").is_dir()
    assert not (elsewhere / ".statelint_cache").exists()
    assert not (repo / "services/api/svc/.statelint_cache").exists()
    plain = tmp_path / "plain"  # no configuration file: the checked folder is the project root
    (plain / "pkg").mkdir(parents=True)
    (plain / "pkg" / "app.py").write_text(LOOPBACK)
    assert [f[:2] for f in found(elsewhere, str(plain))] == [("pkg/app.py", "SL301"), ("pkg/app.py", "SL302")]
    assert (plain / ".statelint_cache").is_dir()
    assert not (elsewhere / ".statelint_cache").exists()
    assert found(plain, "pkg")[0][:2] == ("pkg/app.py", "SL301")  # the working directory holds it: as before
    assert not (plain / "pkg" / ".statelint_cache").exists()


def test_the_cache_is_never_written_in_the_file_system_root(tmp_path: Path) -> None:
    existed = Path("/.statelint_cache").exists()
    (tmp_path / "app.py").write_text(LOOPBACK)
    run = check_json(str(tmp_path), cwd="/")
    assert run.exit_code == 1, run.stderr
    assert [f["path"] for f in run.findings] == [f"{(tmp_path / 'app.py').relative_to('/').as_posix()}"] * 2
    assert (tmp_path / ".statelint_cache").is_dir()
    assert existed or not Path("/.statelint_cache").exists()


def sarif_results(cwd: Path, *args: str) -> dict:
    run = run_cli("check", "--output-format", "sarif", *args, cwd=cwd)
    assert run.exit_code == 1, run.stderr
    log = json.loads(run.stdout)
    jsonschema.validate(log, SCHEMA)
    return log["runs"][0]


def test_sarif_uris_are_relative_to_the_repository_root_from_any_folder(repo: Path) -> None:
    for cwd, path in ((repo.parent / "elsewhere", str(repo / "services/api")), (repo / "services/api/svc", ".")):
        run = sarif_results(cwd, path)
        assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.as_uri() + "/"}}
        assert [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]] == [
            {"uri": "services/api/svc/app.py", "uriBaseId": "%SRCROOT%"}
        ]


def test_sarif_without_a_repository_is_relative_to_the_project(tmp_path: Path) -> None:
    (tmp_path / "proj" / "svc").mkdir(parents=True)
    (tmp_path / "proj" / "svc" / "app.py").write_text(LOOPBACK)
    (tmp_path / "proj" / "statelint.toml").write_text('select = ["SL301"]\n')
    (tmp_path / "elsewhere").mkdir()
    run = sarif_results(tmp_path / "elsewhere", str(tmp_path / "proj"))
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": (tmp_path / "proj").as_uri() + "/"}}
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "svc/app.py",
        "uriBaseId": "%SRCROOT%",
    }


def test_gitlab_and_github_name_files_relative_to_the_repository_root(repo: Path) -> None:
    for cwd, path in ((repo.parent / "elsewhere", str(repo / "services/api")), (repo / "services/api/svc", ".")):
        gitlab = run_cli("check", "--output-format", "gitlab", path, cwd=cwd)
        assert [issue["location"]["path"] for issue in json.loads(gitlab.stdout)] == ["services/api/svc/app.py"]
        github = run_cli("check", "--output-format", "github", path, cwd=cwd)
        assert github.stdout.startswith("::error file=services/api/svc/app.py,line=2,col=23,")
        text = run_cli("check", "--output-format", "concise", "--no-color", path, cwd=cwd)
        assert text.stdout.startswith("svc/app.py:2:23: SL301 " if cwd.name == "elsewhere" else "app.py:2:23: SL301 ")


def test_a_baseline_matches_whichever_folder_the_run_starts_from(repo: Path) -> None:
    api = repo / "services/api"
    baseline = repo.parent / "elsewhere" / "baseline.json"
    written = run_cli("check", "--write-baseline", str(baseline), cwd=api / "svc")
    assert written.exit_code == 0, written.stderr
    recorded = json.loads(baseline.read_text())["findings"]
    assert [(f["code"], f["path"], f["line"]) for f in recorded] == [("SL301", "app.py", 2)]
    again = run_cli("check", "--baseline", "baseline.json", str(api), cwd=repo.parent / "elsewhere")
    assert (again.exit_code, again.stdout.splitlines()[-1]) == (0, "All checks passed (1 file scanned).")
    assert again.stderr == "statelint: 1 finding hidden by the baseline baseline.json\n"


def test_standard_input_is_checked_with_the_configuration_of_its_file_name(repo: Path) -> None:
    run = run_cli(
        "check",
        "--output-format",
        "json",
        "--stdin-filename",
        str(repo / "services/jobs/run.py"),
        "-",
        cwd=repo.parent / "elsewhere",
        input=LOOPBACK,
    )
    assert [(f["path"], f["code"]) for f in json.loads(run.stdout)] == [("run.py", "SL302")]


def test_show_files_lists_every_project_of_a_walk(repo: Path) -> None:
    (repo / "services/jobs/.statelint.yaml").unlink()  # a YAML file is listed too: some rules read YAML files
    (repo / "services/jobs/.statelint.toml").write_text('extend-exclude = ["run.py"]\n')
    run = run_cli("check", "--show-files", ".", cwd=repo)
    assert (run.exit_code, run.stdout.splitlines()) == (0, ["services/api/svc/app.py"])


def test_project_findings_and_their_paths_read_files_relative_to_the_display_folder(tmp_path: Path) -> None:
    """A project-wide finding's line and a related step's ``def`` are read from disk by the path
    reports show: from outside the project too, so fingerprints and related lines are the same."""
    from tests.helpers import copy_fixture

    project = copy_fixture("sl6/identical_db", tmp_path)
    (tmp_path / "elsewhere").mkdir()
    inside = check_json(".", cwd=project, select="SL604").findings
    outside = check_json(str(project), cwd=tmp_path / "elsewhere", select="SL604").findings
    assert [(f["path"], f["line"], f["fingerprint"], f["related"]) for f in outside] == [
        (f["path"], f["line"], f["fingerprint"], f["related"]) for f in inside
    ]
    assert outside[0]["related"][1] == {"label": "app.healthz()", "path": "shop/app.py", "line": 10}
    full = run_cli("check", "--no-color", "--select", "SL604", str(project), cwd=tmp_path / "elsewhere")
    line = outside[0]["line"]
    source = (project / outside[0]["path"]).read_text().splitlines()[line - 1]
    assert f"{line} | {source}" in full.stdout


def test_a_project_named_through_a_link_is_shown_and_matched_as_its_real_folder(repo: Path) -> None:
    link = repo.parent / "link"
    link.symlink_to(repo / "services", target_is_directory=True)
    (repo / "services/api/pyproject.toml").write_text('[tool.statelint]\n[tool.statelint.per-file-ignores]\n"svc/*" = ["SL302"]\n')
    assert found(repo.parent / "elsewhere", str(link / "api")) == [("svc/app.py", "SL301", 2, 23)]
