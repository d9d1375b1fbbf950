"""The YAML catalog: every rule documented, every documented rule implemented, validation works."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from statelint.catalog import (
    REQUIRED_DOC_FIELDS,
    SNAPSHOT,
    CatalogError,
    catalog_dir,
    load_catalog,
    snapshot,
)
from statelint.rules import all_rules
from tests.helpers import run_cli

#: Codes the engine reports itself, with no rule class.
ENGINE_CODES = {"SL001", "SL002"}


def test_every_rule_class_has_a_catalog_entry_and_back() -> None:
    catalog = load_catalog()
    implemented = set(all_rules())
    documented = set(catalog.rules)
    assert implemented - documented == set()
    assert documented - implemented - ENGINE_CODES == set()


@pytest.mark.parametrize("code", sorted(load_catalog().rules))
def test_every_rule_is_fully_documented(code: str) -> None:
    doc = load_catalog().rules[code]
    for name in REQUIRED_DOC_FIELDS:
        assert getattr(doc, name).strip(), f"{code}: {name} is empty"
    assert doc.references and all(ref.startswith("http") for ref in doc.references)
    assert doc.code.startswith(doc.family)
    run = run_cli("rule", code)
    assert run.exit_code == 0
    assert doc.why.split()[0] in run.stdout
    for option in doc.options.values():
        assert f"`{option.name}`" in run.stdout


def test_catalog_ships_with_the_package_or_checkout() -> None:
    assert (catalog_dir() / "sl3.yaml").is_file()


def _write_family(tmp_path: Path, rule: dict) -> Path:
    data = {"family": "SL9", "name": "Test", "description": "d", "rules": {"SL901": rule}}
    (tmp_path / "sl9.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def _valid_rule() -> dict:
    return {field: f"{field} text" for field in REQUIRED_DOC_FIELDS} | {"severity": "error", "references": ["https://x"]}


def test_validation_accepts_a_complete_rule(tmp_path: Path) -> None:
    catalog = load_catalog(_write_family(tmp_path, _valid_rule()))
    assert list(catalog.rules) == ["SL901"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"why": ""}, "sl9.yaml: rules.SL901.why: missing or empty"),
        ({"example": None}, "sl9.yaml: rules.SL901.example: missing or empty"),
        ({"severity": "fatal"}, "sl9.yaml: rules.SL901.severity: expected one of"),
        ({"references": []}, "sl9.yaml: rules.SL901.references: expected a non-empty list"),
        ({"options": {"x": {"type": "float", "default": 1, "description": "d"}}}, "rules.SL901.options.x: expected a type"),
        ({"options": {"x": {"type": "bool", "default": "no", "description": "d"}}}, "rules.SL901.options.x.default: not a valid bool"),
        ({"options": {"x": {"type": "regex", "default": "(", "description": "d"}}}, "rules.SL901.options.x.default: not a valid regex"),
    ],
)
def test_validation_names_the_broken_field(tmp_path: Path, change: dict, message: str) -> None:
    rule = _valid_rule() | change
    with pytest.raises(CatalogError, match=message.replace(".", r"\.")):
        load_catalog(_write_family(tmp_path, rule))


def test_a_catalog_that_would_not_load_gets_no_snapshot(tmp_path: Path) -> None:
    # The snapshot's regex defaults are not compiled again on load: building it is their check.
    bad = _valid_rule() | {"options": {"x": {"type": "regex", "default": "(", "description": "d"}}}
    with pytest.raises(CatalogError, match=r"rules\.SL901\.options\.x\.default: not a valid regex"):
        snapshot(_write_family(tmp_path, bad))


def _copy_catalog(tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(catalog_dir(), copy, ignore=shutil.ignore_patterns(SNAPSHOT))
    return copy


def test_the_json_snapshot_loads_the_same_catalog_as_the_yaml(tmp_path: Path) -> None:
    plain = load_catalog(_copy_catalog(tmp_path, "yaml_only"))
    copy = _copy_catalog(tmp_path, "with_snapshot")
    (copy / SNAPSHOT).write_text(snapshot(copy), encoding="utf-8")
    fast = load_catalog(copy)
    assert (fast.digest, fast.rules, fast.families) == (plain.digest, plain.rules, plain.families)


def test_the_snapshot_is_read_while_it_matches_the_yaml_and_ignored_once_stale(tmp_path: Path) -> None:
    copy = _copy_catalog(tmp_path, "matching")
    data = json.loads(snapshot(copy))
    data["files"]["sl3.yaml"]["rules"]["SL301"]["summary"] = "read from the snapshot"
    (copy / SNAPSHOT).write_text(json.dumps(data), encoding="utf-8")
    assert load_catalog(copy).rules["SL301"].summary == "read from the snapshot"

    stale = _copy_catalog(tmp_path, "stale")
    (stale / SNAPSHOT).write_text(json.dumps(data), encoding="utf-8")
    sl3 = stale / "sl3.yaml"
    sl3.write_text(sl3.read_text(encoding="utf-8") + "\n# edited after the snapshot was made\n", encoding="utf-8")
    assert load_catalog(stale).rules["SL301"].summary != "read from the snapshot"


def test_an_installed_statelint_ships_a_matching_snapshot() -> None:
    directory = catalog_dir()
    if directory.name != "catalog_data":
        pytest.skip("a source checkout or editable install reads the YAML (the build hook writes the snapshot)")
    data = json.loads((directory / SNAPSHOT).read_text(encoding="utf-8"))
    assert data["digest"] == load_catalog().digest
