"""Options set once for a rule family (``[tool.statelint.options.SL6]``), a rule's own value winning.

Every run starts from a folder outside the checked project.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from statelint.catalog import load_catalog
from tests.helpers import check_json, copy_fixture, run_cli


def _known(family: str) -> str:
    """The options some rule of ``family`` has, as the error lists them (from the catalog: a family
    that gains a rule or an option does not break this test)."""
    catalog = load_catalog()
    names = sorted({name for code in catalog.matching(family) for name in catalog.rules[code].default_options()})
    return ", ".join(names) or "none"

# /ok is no health path by default; made one, it is the only health endpoint and always answers success
# while startup loads a model in a thread (SL601's premise for an endpoint neither named nor probed as readiness).
OK_APP = (
    'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route("/ok")\ndef ok():\n    return {"ok": True}\n'
    "\n\nimport threading\n\n\ndef load():\n    return open('model.bin').read()\n\n\nthreading.Thread(target=load).start()\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "app.py").write_text(OK_APP)
    (tmp_path / "elsewhere").mkdir()
    return tmp_path / "proj"


def findings(project: Path, select: str) -> list[tuple[str, int, int]]:
    run = check_json(str(project), cwd=project.parent / "elsewhere", select=select)
    assert run.exit_code in (0, 1), run.stderr
    return run.triples


def effective_options(project: Path, path: str = "app.py") -> dict[str, dict[str, object]]:
    run = run_cli("check", "--show-settings", "--output-format", "json", str(project / path), cwd=project.parent / "elsewhere")
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)["options"]


def test_a_family_option_applies_to_every_rule_of_the_family_that_has_it(project: Path) -> None:
    assert findings(project, "SL6") == []
    (project / "pyproject.toml").write_text('[tool.statelint.options.SL6]\nhealth-paths = "(^|/)ok$"\n')
    assert findings(project, "SL6") == [("SL601", 7, 5)]
    options = effective_options(project)
    assert {code: values["health-paths"] for code, values in options.items() if "health-paths" in values} == {
        "SL601": "(^|/)ok$",
        "SL602": "(^|/)ok$",
        "SL603": "(^|/)ok$",
        "SL604": "(^|/)ok$",
    }


def test_a_rule_s_own_value_wins_over_its_family_s(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.statelint.options.SL601]\nhealth-paths = "^/never$"\n\n[tool.statelint.options.SL6]\nhealth-paths = "(^|/)ok$"\n'
    )
    assert findings(project, "SL6") == []  # SL601 keeps its own pattern, whichever table comes first
    options = effective_options(project)
    assert (options["SL601"]["health-paths"], options["SL603"]["health-paths"]) == ("^/never$", "(^|/)ok$")


def test_an_option_only_some_rules_of_the_family_have_is_set_for_those(project: Path) -> None:
    (project / ".statelint.yaml").write_text("options:\n  SL1:\n    extra-container-classes: [Bag]\n    extra-cache-classes: [Memo]\n")
    options = effective_options(project)
    assert options["SL101"]["extra-container-classes"] == ["Bag"]
    assert options["SL103"]["extra-container-classes"] == ["Bag"]
    assert options["SL104"]["extra-cache-classes"] == ["Memo"]
    assert "extra-cache-classes" not in options["SL101"]


def test_family_startup_functions_equal_setting_each_rule(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    copy_fixture("sl1/containers_ok.py", project)
    copy_fixture("sl1/globals_ok.py", project)
    (tmp_path / "elsewhere").mkdir()
    (project / ".statelint.yaml").write_text("options:\n  SL1:\n    startup-functions: []\n")
    run = check_json(str(project), cwd=tmp_path / "elsewhere", select="SL101,SL102")
    assert [(f["path"], f["code"], f["line"]) for f in run.findings] == [
        ("containers_ok.py", "SL101", 20),  # STARTUP, appended by init_app()
        ("globals_ok.py", "SL102", 13),  # _mode, set by configure()
        ("globals_ok.py", "SL101", 14),
    ]


def test_family_options_in_an_override(project: Path) -> None:
    (project / "ops").mkdir()
    (project / "ops" / "app.py").write_text(OK_APP)
    (project / "pyproject.toml").write_text(
        '[[tool.statelint.overrides]]\npath = "ops/"\noptions = { SL6 = { health-paths = "(^|/)ok$" } }\n'
    )
    run = check_json(str(project), cwd=project.parent / "elsewhere", select="SL6")
    assert [(f["path"], f["code"], f["line"]) for f in run.findings] == [("ops/app.py", "SL601", 7)]
    assert effective_options(project, "ops/app.py")["SL602"]["health-paths"] == "(^|/)ok$"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "[tool.statelint.options.SL6]\nhealth-path = 'x'\n",
            "tool.statelint.options.SL6.health-path: unknown option: no rule of SL6 has it "
            "(known: health-paths, liveness-names, readiness-names)",
        ),
        ("[tool.statelint.options.SL5]\nhealth-paths = 'x'\n", f"tool.statelint.options.SL5.health-paths: unknown option: no rule of SL5 has it (known: {_known('SL5')})"),
        ("[tool.statelint.options.SL6]\nhealth-paths = 3\n", "tool.statelint.options.SL6.health-paths: expected regex, got int"),
        ("[tool.statelint.options.SL9]\nx = 1\n", "tool.statelint.options.SL9: unknown rule code or family"),
        ("[tool.statelint.options.SL602]\nstartup-functions = []\n", "tool.statelint.options.SL602.startup-functions: unknown option (known: health-paths, liveness-names, readiness-names)"),
    ],
)
def test_family_option_errors_name_the_key(project: Path, text: str, problem: str) -> None:
    (project / "pyproject.toml").write_text(text)
    run = run_cli("check", str(project), cwd=project.parent / "elsewhere")
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == f"statelint: error: {project / 'pyproject.toml'}: {problem}\n"
