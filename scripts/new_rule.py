"""Scaffold a new rule: its class, catalog entry, fixture and test, in the places CONTRIBUTING.md names.

    python scripts/new_rule.py SL509 unjoined-widget --module widgets --api widgets.Widget

creates (or extends) ``src/statelint/rules/sl5/widgets.py`` with a rule class that reports calls
of the ``--api`` names, adds the rule's documentation and the names as knowledge to
``rules/sl5.yaml``, and writes ``tests/fixtures/sl5/unjoined_widget.py`` (a finding and a
near miss, each line's expectation in a ``# expect:`` comment) with
``tests/test_sl5_unjoined_widget.py`` running it through the CLI. The README's rules table is
regenerated from the catalog. Nothing is overwritten: an existing rule code, fixture or test
stops the script before it writes anything. Then fill in the TODOs and run the tests.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ScaffoldError(Exception):
    """The arguments or the tree do not allow the rule to be added as asked."""


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def rule_class(code: str, name: str, key: str) -> str:
    return f'''

class {class_name(name)}(Rule):
    code = "{code}"
    # A file matters only when it calls one of the catalog's `{key}` (see engine/requirements.py).
    requires = Requires(calls=["{key}"])

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        # Substrings a file must contain first: the last part of each name (`Widget` of `widgets.Widget`).
        return tuple(sorted({{name.rsplit(".", 1)[-1] for name in knowledge["{key}"]}}))

    def visit_Call(self, node: cst.Call) -> None:
        api = self.ctx.match(node.func, frozenset(self.knowledge["{key}"]))
        if api is not None:  # TODO: report only what breaks statelessness; exempt the near misses
            self.report(node, f"`{{api}}` is called here")  # TODO: what and where, in one short line
'''


def new_module(code: str, summary: str) -> str:
    return f'''"""{code}: {summary}"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst

from statelint.engine.requirements import Requires
from statelint.rules.base import Rule
'''


def catalog_entry(code: str, name: str, summary: str, api: list[str]) -> str:
    first = api[0]
    return f"""  {code}:
    name: {name}
    severity: warning
    summary: {summary}
    what: >
      TODO: what the rule reports, and what it leaves alone (the near misses).
    why: >
      TODO: why this breaks a stateless service (replicas, restarts, SIGTERM, read-only disk).
    example: |
      import {first.split(".")[0]}

      {first}()
    use_instead: |
      # TODO: the fix
    hint: TODO - one sentence on why it matters, then one on what to do instead.
    references:
      - TODO - a link to the documentation of {first.split(".")[0]} that shows the behaviour
"""


def fixture(code: str, api: list[str]) -> str:
    module = api[0].rpartition(".")[0] or api[0]
    return f"""import {module}

{api[0]}()  # expect: {code}@1


def near_miss():
    # TODO: code that looks alike but is fine (it must stay silent)
    return None
"""


def test_module(code: str, family: str, snake: str) -> str:
    return f'''"""{code}: the fixture's `# expect:` comments are exactly what statelint reports."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import expected_and_found


def test_{snake}_reports_what_the_fixture_expects(tmp_path: Path) -> None:
    expected, found = expected_and_found("{family}/{snake}.py", tmp_path, select="{code}")
    assert expected, "the fixture announces no finding"
    assert found == expected
'''


def insert_rule(catalog: str, entry: str, key: str, api: list[str]) -> str:
    """The catalog text with the rule's entry at the end of ``rules:`` and its names at the end of ``knowledge:``."""
    lines = catalog.splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("knowledge:"))
    except StopIteration:
        raise ScaffoldError("the family's catalog has no `knowledge:` section") from None
    if re.search(rf"^  {re.escape(key)}:", catalog[catalog.index("\nknowledge:") :], re.M):
        raise ScaffoldError(f"knowledge key {key!r} exists already: pick another --key")
    body = "".join(lines[:start]).rstrip("\n") + "\n\n" + entry + "\n" + "".join(lines[start:])
    return body.rstrip("\n") + f"\n  {key}: [{', '.join(api)}]\n"


def scaffold(root: Path, code: str, name: str, module: str, api: list[str], summary: str) -> list[Path]:
    """Write the rule's pieces under ``root``; returns the files written."""
    if not re.fullmatch(r"SL[1-9]\d\d", code):
        raise ScaffoldError(f"{code}: a rule code is SL, then the family digit, then two digits")
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name):
        raise ScaffoldError(f"{name}: a rule name is lowercase words joined by hyphens")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", module):
        raise ScaffoldError(f"{module}: a module name is a lowercase Python identifier (helpers start with `_`)")
    family = code[:3].lower()
    snake = name.replace("-", "_")
    key = f"{snake}_calls"
    catalog_path = root / "rules" / f"{family}.yaml"
    module_path = root / "src" / "statelint" / "rules" / family / f"{module}.py"
    fixture_path = root / "tests" / "fixtures" / family / f"{snake}.py"
    test_path = root / "tests" / f"test_{family}_{snake}.py"
    if not catalog_path.is_file():
        raise ScaffoldError(f"{catalog_path}: no such family catalog")
    catalog = catalog_path.read_text(encoding="utf-8")
    if re.search(rf"^  {code}:", catalog, re.M):
        raise ScaffoldError(f"{code} exists already in {catalog_path.name}")
    for path in (fixture_path, test_path):
        if path.exists():
            raise ScaffoldError(f"{path} exists already")
    new_catalog = insert_rule(catalog, catalog_entry(code, name, summary, api), key, api)
    source = module_path.read_text(encoding="utf-8") if module_path.exists() else new_module(code, summary)
    for needed in ("from collections.abc import Mapping", "from typing import Any", "import libcst as cst",
                   "from statelint.engine.requirements import Requires", "from statelint.rules.base import Rule"):
        if needed not in source:
            raise ScaffoldError(f"{module_path} lacks `{needed}`: add it, or scaffold into a new module")
    catalog_path.write_text(new_catalog, encoding="utf-8")
    module_path.write_text(source.rstrip("\n") + "\n" + rule_class(code, name, key), encoding="utf-8")
    fixture_path.parent.mkdir(parents=True, exist_ok=True)
    fixture_path.write_text(fixture(code, api), encoding="utf-8")
    test_path.write_text(test_module(code, family, snake), encoding="utf-8")
    return [module_path, catalog_path, fixture_path, test_path]


def refresh_readme(root: Path) -> bool:
    """Replace each family's table in the README with the catalog's (``statelint rules --output-format markdown``)."""
    readme = root / "README.md"
    run = subprocess.run(
        [sys.executable, "-m", "statelint", "rules", "--output-format", "markdown"],
        capture_output=True, text=True, env={"PYTHONPATH": str(root / "src"), "PATH": ""}, check=False,
    )
    if run.returncode != 0 or not readme.is_file():
        return False
    text = readme.read_text(encoding="utf-8")
    for section in re.split(r"\n\n(?=### )", run.stdout.strip()):
        heading = section.split("\n", 1)[0]
        pattern = re.compile(rf"^{re.escape(heading)}\n\n(?:\|.*\n)+", re.M)
        text = pattern.sub(lambda _, table=section: table + "\n", text, count=1)
    readme.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("code", help="the new rule's code, e.g. SL509")
    parser.add_argument("name", help="its name: lowercase words joined by hyphens")
    parser.add_argument("--module", required=True, help="the family module to put it in (created when missing)")
    parser.add_argument("--api", action="append", required=True, help="a qualified name the rule reports calls of (repeatable)")
    parser.add_argument("--summary", default="TODO: one sentence, as `statelint rules` lists it.")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to write into (default: this one)")
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.root, args.code, args.name, args.module, args.api, args.summary)
    except ScaffoldError as exc:
        print(f"new_rule: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(args.root)}")
    if not refresh_readme(args.root):
        print("README.md not updated: run `statelint rules --output-format markdown` and paste the family's table")
    print("next: fill in the TODOs, then run the new test and `statelint check src/` (see CONTRIBUTING.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
