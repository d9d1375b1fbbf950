"""SL301-SL303: loopback-only binds, asserted by exact code, line and column.

Each fixture mixes findings with near misses on neighbouring lines; the expected
lists are the complete output, so a near miss that fires fails the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import check_json, copy_fixture, lint_fixture


def test_flask_default_and_explicit_hosts(tmp_path: Path) -> None:
    assert lint_fixture("sl3/flask_app.py", tmp_path, "SL3") == [
        ("SL302", 20, 5),  # app.run()
        ("SL302", 21, 5),  # app.run(debug=True, use_reloader=False): the reloader is off, a server like any
        ("SL301", 22, 18),  # host="127.0.0.1"
        ("SL301", 23, 13),  # positional "localhost"
        # run() (a local function), host="0.0.0.0", os.environ["HOST"], **kwargs: silent; and a
        # development server (debug=True alone, use_reloader=True): the reloader is on
    ]


def test_uvicorn_literal_default_and_configurable_hosts(tmp_path: Path) -> None:
    assert lint_fixture("sl3/uvicorn_app.py", tmp_path, "SL3") == [
        ("SL302", 21, 5),  # uvicorn.run(app)
        ("SL301", 22, 37),
        ("SL301", 23, 27),  # through a module constant
        ("SL303", 24, 27),  # os.environ.get("HOST", "127.0.0.1") via a constant
        ("SL303", 25, 27),  # os.getenv("HOST", "::1")
        ("SL303", 26, 27),  # argparse --host default="localhost"
        ("SL301", 27, 34),  # uvicorn.Config positional 127.0.0.2
        ("SL302", 29, 5),  # uvicorn.Config(app)
        # main_ok(): 0.0.0.0, ::, env with public or no default, argparse 0.0.0.0, "", **kwargs;
        # develop(): reload=True, a developer's command
        ("SL302", 51, 5),  # reload=False
        ("SL302", 52, 5),  # reload from configuration: not known to be on
    ]


def test_stdlib_servers(tmp_path: Path) -> None:
    assert lint_fixture("sl3/stdlib_servers.py", tmp_path, "SL3") == [
        ("SL301", 12, 17),  # HTTPServer(("localhost", 8000))
        ("SL301", 13, 25),  # ThreadingHTTPServer(ADDRESS) via a constant tuple
        ("SL301", 14, 29),  # socketserver.TCPServer
        ("SL301", 15, 17),  # make_server
        ("SL301", 16, 25),  # SimpleXMLRPCServer
        ("SL301", 18, 16),  # sock.bind
        ("SL301", 19, 27),  # socket.create_server(("::1", ...))
        ("SL301", 23, 41),  # asyncio.start_server positional host
        ("SL301", 24, 46),  # asyncio.start_server host=
        # serve_ok(): "", 0.0.0.0, a unix socket path, create_connection (a client), no host
    ]


def test_async_and_rpc_servers(tmp_path: Path) -> None:
    assert lint_fixture("sl3/async_servers.py", tmp_path, "SL3") == [
        ("SL301", 13, 32),  # web.TCPSite(runner, "localhost")
        ("SL301", 20, 30),  # add_insecure_port("localhost:50051")
        ("SL301", 21, 30),  # f"127.0.0.1:{PORT}"
        ("SL301", 22, 28),  # add_secure_port("[::1]:50052")
        ("SL301", 30, 30),  # tornado listen(8888, "127.0.0.1")
        ("SL301", 36, 20),  # hypercorn config.bind = ["localhost:8000"]
        ("SL301", 42, 27),  # web.run_app(app, host="127.0.0.1")
        # [::], 0.0.0.0, listen without address, run_app without host (all interfaces): silent
    ]


def test_framework_dev_servers(tmp_path: Path) -> None:
    assert lint_fixture("sl3/frameworks.py", tmp_path, "SL3") == [
        ("SL302", 14, 5),  # Quart().run()
        ("SL302", 15, 5),  # Dash().run(debug=True)
        ("SL302", 16, 5),  # gradio Blocks launch() (bound with `with ... as demo`)
        ("SL302", 17, 5),  # demo.queue().launch()
        ("SL301", 18, 34),  # launch(server_name="localhost")
    ]


def test_configurable_defaults(tmp_path: Path) -> None:
    assert lint_fixture("sl3/configurable.py", tmp_path, "SL3") == [
        ("SL303", 24, 27),  # click option default
        ("SL303", 28, 27),  # typer.Option default
        ("SL303", 32, 27),  # parameter default
        ("SL303", 36, 27),  # settings class attribute
        ("SL303", 40, 27),  # os.environ.get("HOST") or "localhost"
        ("SL303", 45, 30),  # f"{host}:50051", host from an environment default
        # serve_public (0.0.0.0 default) and serve_required (no default): silent
    ]


def test_parameter_following_can_be_turned_off(tmp_path: Path) -> None:
    copy_fixture("sl3/configurable.py", tmp_path)
    (tmp_path / ".statelint.yaml").write_text("options:\n  SL303:\n    follow-parameters: false\n")
    run = check_json("configurable.py", cwd=tmp_path, select="SL303")
    lines = [line for _, line, _ in run.triples]
    assert 32 not in lines and 45 not in lines
    assert lines == [24, 28, 36, 40]


def test_clients_and_lookalikes_are_never_flagged(tmp_path: Path) -> None:
    assert lint_fixture("sl3/not_servers.py", tmp_path, "SL3") == []


def test_gunicorn_config_files(tmp_path: Path) -> None:
    copy_fixture("sl3/gunicorn_project", tmp_path)
    run = check_json(".", cwd=tmp_path / "gunicorn_project", select="SL3")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("gunicorn.conf.py", "SL301", 4, 8),
        ("gunicorn_conf.py", "SL303", 3, 9),
        # gunicorn_public.conf.py and settings.py are not gunicorn config file names
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('from flask import Flask as F\nF("x").run(host="127.0.0.1")\n', [("SL301", 2, 17)]),
        ('import flask\napp = flask.Flask("x")\napp.run("::1")\n', [("SL301", 3, 9)]),
        (
            "try:\n    import uvicorn\nexcept ImportError:\n    uvicorn = None\nuvicorn.run(app)\n",
            [("SL302", 5, 1)],
        ),
        ('from flask import Flask\nclass Api(Flask):\n    pass\nApi("x").run()\n', [("SL302", 4, 1)]),
        ('import socket\nsocket.socket().bind(("127.1.2.3", 80))\n', [("SL301", 2, 23)]),
        (
            'from flask import Flask\ndef create_app():\n    app = Flask("x")\n    return app\napp = create_app()\napp.run()\n',
            [("SL302", 6, 1)],
        ),
        ('import uvicorn\nuvicorn.run(app, host="localhost.example.com")\n', []),
        ('import uvicorn\nuvicorn.run(app, *args)\n', []),
        ('from .server import app\napp.run(host="127.0.0.1")\n', []),
    ],
)
def test_name_resolution_cases(tmp_path: Path, source: str, expected: list[tuple[str, int, int]]) -> None:
    (tmp_path / "case.py").write_text(source)
    assert check_json("case.py", cwd=tmp_path, select="SL3").triples == expected


def test_the_entry_point_chosen_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """SimpleXMLRPCServer resolves to two catalog entries (xmlrpc and socketserver); which one
    names the finding used to follow the iteration order of a set of strings."""
    import json
    import subprocess
    import sys

    package = tmp_path / "xmlrpc"  # the stdlib's own layout: the class resolves to itself and to its base
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "server.py").write_text(
        "import socketserver\n"
        "class SimpleXMLRPCServer(socketserver.TCPServer):\n    pass\n"
        "SimpleXMLRPCServer(('localhost', 8000))\n",
        encoding="utf-8",
    )
    messages = set()
    for seed in map(str, range(10)):  # a wrong order survives 10 seeds once in 512 runs
        done = subprocess.run(
            [sys.executable, "-m", "statelint", "check", "--no-cache", "--exit-zero", "--output-format", "json", "xmlrpc/server.py"],
            cwd=tmp_path, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        messages.add(tuple(f["message"] for f in json.loads(done.stdout)))
    assert len(messages) == 1 and len(next(iter(messages))) == 1


def test_more_servers_and_their_defaults(tmp_path: Path) -> None:
    assert lint_fixture("sl3/more_servers.py", tmp_path, "SL3") == [
        ("SL301", 18, 35),  # waitress host="127.0.0.1"
        ("SL301", 19, 37),  # waitress listen="127.0.0.1:8080"
        ("SL301", 20, 37),  # waitress listen of loopback items only
        # listen on 0.0.0.0, on *, on one loopback and one public item, no host at all: silent
        ("SL302", 28, 5),  # Sanic run() without a host
        ("SL302", 29, 24),  # Sanic run(host=None)
        ("SL301", 30, 23),  # Sanic prepare("localhost", ...)
        ("SL301", 35, 16),  # werkzeug run_simple("localhost", ...)
        ("SL302", 37, 5),  # Dash run_server() without a host
        ("SL302", 39, 34),  # gradio launch(server_name=None)
        ("SL301", 41, 25),  # tornado HTTPServer.listen(port, "127.0.0.1")
        ("SL301", 42, 31),  # tornado HTTPServer.bind(port, address="localhost")
        ("SL301", 44, 40),  # tornado bind_sockets(port, "::1")
        ("SL301", 46, 37),  # Bokeh Server(address="127.0.0.1")
        ("SL301", 48, 56),  # Bokeh Server.init_from_settings(address="localhost")
        # listen(8890) and bind_sockets(8892) (all interfaces), Bokeh without an address: silent
    ]


def test_more_servers_messages(tmp_path: Path) -> None:
    copy_fixture("sl3/more_servers.py", tmp_path)
    run = check_json("more_servers.py", cwd=tmp_path, select="SL3")
    found = {f["line"]: f["message"] for f in run.findings}
    hints = {f["line"]: f["hint"] for f in run.findings}
    assert found[20] == "waitress serve binds to loopback addresses '127.0.0.1 [::1]'"
    assert found[29] == "Sanic server (app.run, app.prepare) is given the host None, so it listens on '127.0.0.1' by default"
    assert found[39] == "gradio launch is given the host None, so it listens on '127.0.0.1' by default"
    assert hints[39].startswith("The environment variable GRADIO_SERVER_NAME overrides that default when set. Nothing outside")
    assert hints[37].startswith("The environment variable HOST overrides that default when set.")
    assert hints[29].startswith("Nothing outside the container")  # Sanic reads no variable


def test_grpc_servers_the_file_cannot_name(tmp_path: Path) -> None:
    assert lint_fixture("sl3/grpc_receivers.py", tmp_path, "SL3") == [
        ("SL301", 16, 39),  # self.server, assigned grpc.server(...) in __init__
        ("SL301", 22, 30),  # a parameter annotated grpc.Server
        ("SL301", 26, 28),  # annotated "grpc.aio.Server" (a string), "localhost:%d" % port
        ("SL301", 30, 30),  # Optional[grpc.Server], "{}:{}".format(HOST, PORT)
        ("SL301", 34, 30),  # a parameter the module passes grpc.server(...) to
        # [::] on self.server, 0.0.0.0 on a passed server, self.channel (a client), and a parameter
        # passed something else: silent
    ]


def test_grpc_servers_through_the_project_model(tmp_path: Path) -> None:
    copy_fixture("sl3/grpc_project", tmp_path)
    run = check_json(".", cwd=tmp_path / "grpc_project", select="SL3")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        ("svc/api.py", "SL301", 6, 39),  # self.server, assigned by a base class in another module
        ("svc/api.py", "SL301", 13, 28),  # a server from a factory of another module
        # "[::]" and a list of client addresses: silent
    ]


def test_traitlets_defaults(tmp_path: Path) -> None:
    assert lint_fixture("sl3/traits.py", tmp_path, "SL3") == [
        ("SL303", 17, 44),  # Unicode("localhost", config=True)
        ("SL303", 18, 52),  # Unicode("127.0.0.1").tag(config=True)
        ("SL303", 19, 44),  # Unicode(default_value="127.0.0.1")
        # a public default, a loopback trait used by a database client, and a trait __init__
        # assigns on the instance: silent
    ]
    (tmp_path / "again").mkdir()
    copy_fixture("sl3/traits.py", tmp_path / "again")
    run = check_json("traits.py", cwd=tmp_path / "again", select="SL3")
    assert run.findings[0]["message"] == "tornado listen falls back to 'localhost' (the default of configurable trait NotebookApp.ip)"
    assert "(the default of trait NotebookApp.fixed_ip)" in run.findings[2]["message"]


def test_server_settings_in_toml_files(tmp_path: Path) -> None:
    copy_fixture("sl3/config_files", tmp_path)
    run = check_json(".", cwd=tmp_path / "config_files", select="SL3")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == [
        (".streamlit/config.toml", "SL301", 8, 1),  # [server] address = "127.0.0.1"
        ("hypercorn.toml", "SL301", 1, 1),  # bind = ["localhost:8000"]
        # browser.serverAddress (not a bind), 0.0.0.0 under public/.streamlit, a config.toml outside
        # .streamlit/, and a hypercorn bind list with a public item: silent
    ]
    assert run.findings[0]["message"].startswith("Streamlit server.address binds to loopback address '127.0.0.1'")


def test_toml_settings_are_found_as_dotted_keys_and_files_that_do_not_parse_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / ".streamlit").mkdir()
    config = tmp_path / ".streamlit" / "config.toml"
    config.write_text('server.address = "::1"\n[browser]\nserverAddress = "localhost"\n', encoding="utf-8")
    assert check_json(".", cwd=tmp_path, select="SL3").triples == [("SL301", 1, 1)]
    config.write_text('[server]\naddress = [\n', encoding="utf-8")
    assert check_json(".", cwd=tmp_path, select="SL3").triples == []


def test_the_catalog_toml_files_are_the_rules_patterns() -> None:
    import fnmatch

    from statelint.catalog import load_catalog
    from statelint.rules.sl3.binds import ExplicitLoopbackBind

    files = [f for entry in load_catalog().knowledge("SL301")["config_files"] for f in entry["files"]]
    assert sorted(files) == sorted(ExplicitLoopbackBind.patterns)
    assert all(any(fnmatch.fnmatchcase(f, p) for p in ExplicitLoopbackBind.patterns) for f in files)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # a call that turns on the library's reloader is a developer's command: silent
        ("from sanic import Sanic\napp = Sanic('a')\napp.run(dev=True)\napp.run(auto_reload=True)\n", []),
        ("from quart import Quart\napp = Quart('a')\napp.run(use_reloader=True)\n", []),
        ("from werkzeug.serving import run_simple\nrun_simple('localhost', 5000, app, use_reloader=True)\n", []),
        ("import uvicorn\nuvicorn.Config(app, host='127.0.0.1', reload=True)\n", []),
        # ... near misses: the same servers with the reloader off or not set
        ("from sanic import Sanic\napp = Sanic('a')\napp.run(debug=True)\n", [("SL302", 3, 1)]),
        ("from werkzeug.serving import run_simple\nrun_simple('localhost', 5000, app, use_reloader=False)\n", [("SL301", 2, 12)]),
        ("import uvicorn\nuvicorn.Config(app, host='127.0.0.1', reload=DEBUG)\n", [("SL301", 2, 26)]),
    ],
)
def test_development_servers(tmp_path: Path, source: str, expected: list[tuple[str, int, int]]) -> None:
    (tmp_path / "case.py").write_text(source)
    assert check_json("case.py", cwd=tmp_path, select="SL3").triples == expected
