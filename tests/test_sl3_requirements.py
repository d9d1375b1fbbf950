"""What the loopback-bind rules (SL301-SL303) require of a file's summary: sound for every way the
detector finds a site."""

from __future__ import annotations

from pathlib import Path

import pytest

from statelint.catalog import load_catalog
from statelint.rules.sl3.binds import (
    ExplicitLoopbackBind,
    LoopbackByDefault,
    LoopbackConfigurableDefault,
)
from tests.helpers import requirement_met, run_cli

KNOWLEDGE = load_catalog().knowledge("SL301")
ENTRY_POINTS = sorted(call for entry in KNOWLEDGE["entry_points"] for call in entry["calls"])


def accepts(text: str, path: str = "app.py") -> bool:
    return requirement_met("SL301", text, path=path)


def _call_of(qualname: str) -> str:
    """``import flask.Flask`` then ``flask.Flask().run()``: a file that calls the entry point by its full name."""
    return f"import {qualname.split('(')[0].rsplit('.', 1)[0]}\n{qualname}(host='127.0.0.1')\n"


@pytest.mark.parametrize("qualname", ENTRY_POINTS)
def test_every_catalog_entry_point_called_by_its_name(qualname: str) -> None:
    assert accepts(_call_of(qualname)) is True


PARAMETER_METHODS = frozenset(KNOWLEDGE["parameter_methods"])


@pytest.mark.parametrize("qualname", ENTRY_POINTS)
def test_entry_point_call_without_its_import_cannot_resolve(qualname: str) -> None:
    # The methods looked for on parameters (gRPC's add_insecure_port) are looked for on anything.
    expected = qualname.rsplit(".", 1)[-1] in PARAMETER_METHODS
    assert accepts(_call_of(qualname).split("\n", 1)[1]) is expected


def test_all_three_rules_share_the_declaration() -> None:
    declarations = {repr(rule.requires) for rule in (ExplicitLoopbackBind, LoopbackByDefault, LoopbackConfigurableDefault)}
    assert len(declarations) == 1


#: Every way the detector finds a site, each with a loopback host so that a rule reports it.
SITES = {
    # an app object, and an app from a factory function defined in the module
    "flask_app.py": "from flask import Flask\napp = Flask(__name__)\napp.run()\n",
    "flask_factory.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\ncreate_app().run(port=5000)\n",
    # import aliases: of the module, of the entry point, `import a.b as c`
    "module_alias.py": "import uvicorn as uv\nuv.run(app)\n",
    "entry_alias.py": "from uvicorn import run as serve\nserve(app)\n",
    "dotted_alias.py": "import http.server as hs\nhs.HTTPServer(('localhost', 0), H)\n",
    # module-level and local aliases, chained, and `with ... as`
    "module_level_alias.py": "import uvicorn\nserve = uvicorn.run\nserve(app)\n",
    "chained_alias.py": "import uvicorn\ndef main():\n    a = uvicorn.run\n    b: object = a\n    b(app)\n",
    "with_alias.py": (
        "import asyncio\nasync def main():\n    with asyncio.start_server as start:\n        await start(cb, '127.0.0.1')\n"
    ),
    # subclasses defined in the module, also of a subclass
    "subclass.py": "import socketserver\nclass S(socketserver.TCPServer):\n    pass\nS(('127.0.0.1', 0), H)\n",
    "subsubclass.py": "from http.server import HTTPServer\nclass A(HTTPServer): ...\nclass B(A): ...\nB(('localhost', 0), H)\n",
    # a starred base is resolved like any other
    "starred_base.py": "from http.server import HTTPServer\nbases = HTTPServer\nclass S(*bases): ...\nS(('localhost', 0), H)\n",
    # a factory returning the class, called at once, through a name, or through another factory
    "nested_factory.py": (
        "from http.server import HTTPServer\ndef outer():\n    def inner():\n        return HTTPServer\n    return inner()\n"
        "outer()(('localhost', 0), H)\n"
    ),
    "class_factory.py": "from http.server import HTTPServer\ndef cls():\n    return HTTPServer\ncls()(('localhost', 0), H)\n",
    "async_factory.py": (
        "from http.server import HTTPServer\nasync def cls():\n    if x:\n        return HTTPServer\n"
        "async def main():\n    k = await cls()\n    k(('127.0.0.1', 8000), H)\n"
    ),
    # an awaited callee: (await x)(...) has no terminal name of its own
    "awaited_callee.py": "import asyncio\nasync def main():\n    (await asyncio.start_server)(cb, '127.0.0.1')\n",
    # socket objects and their bind
    "socket_bind.py": "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\n",
    "socket_alias.py": "from socket import socket as S\nS().bind(('::1', 0))\n",
    # an argparse default (SL303): the declaration only needs the server call
    "argparse_default.py": (
        "import argparse, uvicorn\np = argparse.ArgumentParser()\np.add_argument('--host', default='localhost')\n"
        "uvicorn.run(app, host=p.parse_args().host)\n"
    ),
    # hypercorn's Config.bind attribute
    "hypercorn_config.py": "from hypercorn.config import Config\nconfig = Config()\nconfig.bind = ['127.0.0.1:8000']\n",
    # a gunicorn configuration file's bind
    "gunicorn.conf.py": "bind = '127.0.0.1:8000'\nworkers = 2\n",
    # self.<attribute> assigned a server in the class's own methods, or in a base class of another module
    "self_server.py": (
        "import grpc\nclass Svc:\n    def __init__(self):\n        self.server = grpc.server(None)\n"
        "    def bind(self):\n        self.server.add_insecure_port('localhost:50051')\n"
    ),
    "self_flask.py": (
        "from flask import Flask\nclass Runner:\n    def __init__(self):\n        self.app = Flask(__name__)\n"
        "    def main(self):\n        self.app.run()\n"
    ),
    "inherited_server.py": (
        "from basesvc import BaseSvc\nclass Svc(BaseSvc):\n    def serve(self):\n        self.server.add_insecure_port('[::1]:1')\n"
    ),
    # a parameter annotated with a server class, or passed a server by a call of the module
    "annotated_server.py": "import grpc\ndef ports(server: grpc.Server):\n    server.add_insecure_port('127.0.0.1:1')\n",
    "string_annotation.py": "def ports(server: 'grpc.aio.Server'):\n    server.add_insecure_port('127.0.0.1:1')\nimport grpc\n",
    "passed_server.py": (
        "import grpc\ndef ports(server, port):\n    server.add_secure_port(f'localhost:{port}', None)\n"
        "ports(grpc.server(None), 1)\n"
    ),
    # the module that defines an entry point and calls it (the stdlib's own socketserver.py)
    "socketserver.py": "class TCPServer:\n    pass\nTCPServer(('localhost', 0), H)\n",
    # a relative import, resolved against the package
    "asyncio/__init__.py": "from .streams import start_server as serve\nserve(cb, '127.0.0.1')\n",
    "asyncio/base.py": "from .streams import start_server as serve\nserve(cb, '127.0.0.1')\n",
}

#: Near misses the predicate exists to skip: the needles (`http`, `socket`, `bind` ...) match, no site exists.
NEAR_MISSES = {
    # `http` and `bind` only in strings and comments
    "strings.py": '"""Serves over http; see bind()."""\nimport requests\nrequests.get("http://localhost")  # bind\n',
    # the library is imported, but none of its entry points is called
    "asyncio_run.py": "import asyncio\nasyncio.run(main())\n",
    "socket_connect.py": "import socket\nsock = socket.socket()\nsock.connect(('localhost', 80))\n",
    "flask_no_run.py": "from flask import Flask\napp = Flask(__name__)\n",
    "uvicorn_not_called.py": "import uvicorn\nrunner = uvicorn.run\n",
    # an entry point's name, from a library that has no entry point of that name
    "subprocess_run.py": "import subprocess\nsubprocess.run(['ls'])\n",
    "loop_create_server.py": "import asyncio\nasyncio.get_event_loop().create_server(factory, 'localhost', 0)\n",
    "http_client.py": "from http import client\nclient.HTTPConnection('localhost').connect()\n",
    "xmlrpc_client.py": "import xmlrpc.client\nxmlrpc.client.ServerProxy('http://localhost:8000')\n",
    # local definitions that only share a name
    "local_run.py": "def run(host='127.0.0.1'):\n    pass\nrun()\n",
    "mysockets.py": "class TCPServer:\n    pass\nTCPServer(('localhost', 0), H)\n",
    "uvicorn_server.py": "import uvicorn\nasync def main(config):\n    await uvicorn.Server(config).serve()\n",
    # gunicorn-style settings outside a gunicorn configuration file
    "settings.py": "bind = '127.0.0.1:8000'\n",
    # self.<attribute> that holds no server; a method of a parameter that is not looked for there
    "self_client.py": (
        "import grpc\nclass Client:\n    def __init__(self):\n        self.channel = grpc.insecure_channel('localhost:1')\n"
        "    def close(self):\n        self.channel.close()\n"
    ),
    # a relative import from another package, or above the top-level package
    "mypkg/__init__.py": "from .streams import start_server as serve\nserve(cb, '127.0.0.1')\n",
    "mypkg/deep.py": "from ...streams import start_server as serve\nserve(cb, '127.0.0.1')\n",
}


#: Files the rules read though they hold no site: a gunicorn configuration file is parsed whatever
#: it sets (there are one or two in a project, and its ``bind`` may be set in any way); a method of
#: an annotated parameter, which the summary resolves (``app: Flask`` makes ``app.run`` Flask's)
#: while the rules follow parameters only for the catalog's ``parameter_methods``.
READ_WITHOUT_SITE = {
    "gunicorn_conf.py": "workers = 2\nbacklog = 64\n",
    "parameter_run.py": "from flask import Flask\ndef main(app: Flask):\n    app.run()\n",
}


@pytest.mark.parametrize("path", sorted(SITES))
def test_accepts_every_way_a_site_resolves(path: str) -> None:
    assert accepts(SITES[path], path) is True


@pytest.mark.parametrize("path", sorted(NEAR_MISSES))
def test_skips_near_misses(path: str) -> None:
    assert accepts(NEAR_MISSES[path], path) is False


def test_a_gunicorn_configuration_file_is_always_read() -> None:
    assert accepts(READ_WITHOUT_SITE["gunicorn_conf.py"], "gunicorn_conf.py") is True
    assert accepts(READ_WITHOUT_SITE["gunicorn_conf.py"], "conf.py") is False


def test_a_bind_attribute_is_found_through_a_project_subclass_and_a_local() -> None:
    subclass = "from hypercorn.config import Config\nclass Mine(Config): ...\ndef main():\n    c = Mine()\n    c.bind = ['127.0.0.1:8000']\n"
    assert accepts(subclass) is True
    assert accepts(subclass.replace("c.bind", "c.workers")) is False


def test_cases_are_what_the_rules_find(tmp_path: Path) -> None:
    """Each SITES file is reported by some SL3 rule and no NEAR_MISSES file is, with every file parsed."""
    for path, text in {**SITES, **NEAR_MISSES, **READ_WITHOUT_SITE}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    for package in ("asyncio", "mypkg"):
        (tmp_path / package / "__init__.py").touch()
    (tmp_path / "basesvc.py").write_text("import grpc\nclass BaseSvc:\n    def __init__(self):\n        self.server = grpc.aio.server()\n")
    run = run_cli(
        "check", "--no-cache", "--output-format", "json", "--select", "SL3", ".",
        cwd=tmp_path, env={"STATELINT_PREFILTER": "off"},
    )
    assert run.exit_code == 1, run.stderr
    assert {f["path"] for f in run.findings} == set(SITES)


def test_self_attributes_follow_the_prefilter(tmp_path: Path) -> None:
    """``self.app.run()`` whose ``app`` a base class of another module assigns: the file names no library
    the rules look for, so the prefilter skips it; with the prefilter off the rules must agree (they only
    follow ``self`` in a file the prefilter would let through), and where a needle occurs both report."""
    (tmp_path / "base.py").write_text(
        "from flask import Flask\nclass Base:\n    def __init__(self):\n        self.app = Flask(__name__)\n", encoding="utf-8"
    )
    (tmp_path / "runner.py").write_text(
        "from base import Base\nclass Runner(Base):\n    def main(self):\n        self.app.run()\n", encoding="utf-8"
    )
    (tmp_path / "named.py").write_text(
        "import flask  # noqa\nfrom base import Base\nclass Named(Base):\n    def main(self):\n        self.app.run()\n",
        encoding="utf-8",
    )
    reports = []
    for prefilter in ("on", "off"):
        run = run_cli(
            "check", "--no-cache", "--output-format", "json", "--select", "SL3", ".",
            cwd=tmp_path, env={"STATELINT_PREFILTER": prefilter},
        )
        reports.append([(f["path"], f["code"], f["line"], f["column"]) for f in run.findings])
    assert reports[0] == reports[1] == [("named.py", "SL302", 5, 9)]
