"""``statelint check --add-noqa``: a suppression comment on every finding, where the suppression
machinery reads it, without breaking code or the comments already there."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.helpers import check_json, run_cli

BEFORE = '''import uvicorn
from flask import Flask

app = Flask(__name__)
app.run(host="127.0.0.1")  # noqa: E501
uvicorn.run(app, host="localhost")  # statelint: ignore[SL302] local tool
uvicorn.run(
    app,
    host="127.0.0.1",
)
uvicorn.run(app, host="127.0.0.1"); x = 1  # noqa: SL302
uvicorn.run(app, host="::1", log_config="""
a.ini""")
uvicorn.run(app)
'''
AFTER = '''import uvicorn
from flask import Flask

app = Flask(__name__)
app.run(host="127.0.0.1")  # noqa: E501  # statelint: ignore[SL301]
uvicorn.run(app, host="localhost")  # statelint: ignore[SL302, SL301] local tool
uvicorn.run(
    app,
    host="127.0.0.1",  # statelint: ignore[SL301]
)
uvicorn.run(app, host="127.0.0.1"); x = 1  # noqa: SL302, SL301
# statelint: ignore[SL301]
uvicorn.run(app, host="::1", log_config="""
a.ini""")
uvicorn.run(app)  # statelint: ignore[SL302]
'''


def test_every_finding_gets_a_comment_and_the_next_run_is_clean(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(BEFORE)
    assert len(check_json(".", cwd=tmp_path).findings) == 6
    run = run_cli("check", "--add-noqa", ".", cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (0, "")
    assert run.stderr == "statelint: added 6 suppression comments for 6 findings in 1 file\n"
    assert (tmp_path / "app.py").read_text() == AFTER
    again = check_json(".", cwd=tmp_path, extra=("--extend-select", "SL002"))
    # Every comment is used: only the ones that were already there and silenced nothing remain.
    assert again.triples == [("SL002", 6, 37), ("SL002", 11, 44)]
    assert run_cli("check", "--add-noqa", ".", cwd=tmp_path).stderr == "statelint: added 0 suppression comments for 0 findings in 0 files\n"


def test_encoding_line_endings_and_permissions_are_kept(tmp_path: Path) -> None:
    latin = '# -*- coding: latin-1 -*-\r\nimport uvicorn\r\nNAME = "café"\r\nuvicorn.run(app, host="127.0.0.1")\r\n'
    (tmp_path / "serve.py").write_bytes(latin.encode("latin-1"))
    os.chmod(tmp_path / "serve.py", 0o755)
    assert run_cli("check", "--add-noqa", "-q", "serve.py", cwd=tmp_path).exit_code == 0
    expected = latin.replace('"127.0.0.1")\r\n', '"127.0.0.1")  # statelint: ignore[SL301]\r\n')
    assert (tmp_path / "serve.py").read_bytes() == expected.encode("latin-1")
    assert stat.S_IMODE((tmp_path / "serve.py").stat().st_mode) == 0o755
    assert [p.name for p in tmp_path.iterdir() if p.name != ".statelint_cache"] == ["serve.py"]  # no temporary file left


def test_a_finding_no_comment_can_reach_is_named_and_left(tmp_path: Path) -> None:
    source = (
        'import uvicorn\n'
        'x = """abc\n'
        '""" + str(uvicorn.run(app, host="127.0.0.1")) + """\n'  # starts and ends inside strings
        '"""\n'
        'y = 1 + \\\n'
        '    uvicorn.run(app, host="127.0.0.1") + \\\n'  # after a backslash, before another
        '    2\n'
    )
    (tmp_path / "odd.py").write_text(source)
    (tmp_path / "broken.py").write_text("def f(:\n")
    run = run_cli("check", "--add-noqa", ".", cwd=tmp_path)
    assert run.exit_code == 1  # findings are left
    assert run.stderr.splitlines() == [
        "statelint: warning: broken.py:1:7: SL001 not suppressed: the file could not be parsed",
        "statelint: warning: odd.py:3:33: SL301 not suppressed: no line of it can hold a comment (each ends inside a string or after a backslash)",
        "statelint: warning: odd.py:6:27: SL301 not suppressed: no line of it can hold a comment (each ends inside a string or after a backslash)",
        "statelint: added 0 suppression comments for 0 findings in 0 files",
    ]
    assert (tmp_path / "odd.py").read_text() == source


def test_only_the_findings_reported_get_comments(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text('import os\nimport uvicorn\nuvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"))\nuvicorn.run(app)\n')
    assert run_cli("check", "--add-noqa", "--severity", "error", "-q", ".", cwd=tmp_path).exit_code == 0
    assert (tmp_path / "app.py").read_text().splitlines()[2:] == [
        'uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"))',  # SL303 is a warning
        "uvicorn.run(app)  # statelint: ignore[SL302]",
    ]


def test_standard_input_and_write_baseline_are_refused(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text('import uvicorn\nuvicorn.run(app, host="127.0.0.1")\n')
    for args in (("--stdin-filename", "app.py", "-"), ("--write-baseline", "b.json", ".")):
        run = run_cli("check", "--add-noqa", *args, cwd=tmp_path, input="x = 1\n")
        assert run.exit_code == 2
        assert "--add-noqa edits the files checked" in run.stderr
    assert (tmp_path / "app.py").read_text() == 'import uvicorn\nuvicorn.run(app, host="127.0.0.1")\n'


def test_a_finding_in_a_configuration_file_is_left_to_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "logging.ini").write_text(
        "[loggers]\nkeys=root\n\n[handlers]\nkeys=file\n\n[formatters]\nkeys=\n\n"
        "[logger_root]\nhandlers=file\n\n[handler_file]\nclass=FileHandler\nargs=('app.log',)\n"
    )
    run = run_cli("check", "--add-noqa", "--select", "SL204", ".", cwd=tmp_path)
    assert run.exit_code == 1
    assert run.stderr.splitlines()[0].startswith("statelint: warning: logging.ini:")
    assert run.stderr.splitlines()[0].endswith(" SL204 not suppressed: not a Python file: use per-file-ignores in the configuration")
