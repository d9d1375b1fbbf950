"""SL105: signing and encryption keys generated in each process, asserted by exact code, line and column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.helpers import (
    check_json,
    copy_fixture,
    lint_fixture,
    requirement_met,
    run_cli,
)

FLASK_AND_SINKS = [
    ("SL105", 17, 18),  # app.secret_key = os.urandom(24)
    ("SL105", 18, 68),  # app.config["JWT_SECRET_KEY"] = os.environ.get(...) or secrets.token_urlsafe()
    ("SL105", 19, 39),  # app.config.update(WTF_CSRF_SECRET_KEY=secrets.token_hex(16))
    ("SL105", 20, 46),  # os.getenv("SESSION_SECRET", secrets.token_hex())
    ("SL105", 21, 53),  # SECURITY_PASSWORD_SALT = os.environ.get("SALT", str(uuid.uuid4().hex))
    ("SL105", 25, 19),  # if not SIGNING_KEY: SIGNING_KEY = secrets.token_bytes(32)
    ("SL105", 27, 8),  # _raw = os.urandom(32) -> Fernet(base64.urlsafe_b64encode(_raw))
    ("SL105", 30, 37),  # URLSafeTimedSerializer(secrets.token_hex())
    ("SL105", 32, 15),  # PRIVATE_KEY = rsa.generate_private_key(...)
    ("SL105", 35, 13),  # _hmac_key, made at import and used by hmac.new() per request
]


def test_keys_generated_at_import_flask_style_and_key_sinks(tmp_path: Path) -> None:
    # Not reported: API_TOKEN (only looks secret), os.environ["SECRET_KEY"], os.getenv("JWT_SECRET")
    # without a fallback, a constant default, new_csrf_token(), a request id, a nonce and a key made
    # per call in handle(), keys printed under __main__, a key a function writes to a file.
    assert lint_fixture("sl1/secrets.py", tmp_path, "SL1") == FLASK_AND_SINKS


def test_django_settings(tmp_path: Path) -> None:
    # Not reported: INSTANCE_SUFFIX = get_random_string(6) (no key), a password read from /run/secrets,
    # keys generated only when DEBUG is on (if DEBUG: ... else: raise; ... if DEBUG else None;
    # if os.environ.get("DJANGO_DEBUG") == "True": ...).
    assert lint_fixture("sl1/secrets_django.py", tmp_path, "SL1") == [
        ("SL105", 12, 50),  # SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", get_random_secret_key())
        ("SL105", 15, 61),  # SECRET_KEY_FALLBACKS = [os.environ.get(...) or get_random_string(50)]
        ("SL105", 19, 28),  # SIMPLE_JWT["SIGNING_KEY"]: "".join(random.choice(...) for _ in range(50))
        ("SL105", 41, 19),  # global SIGNING_KEY set by init_signing(), a startup function
    ]


def test_pydantic_settings_an_app_factory_and_a_memoized_getter(tmp_path: Path) -> None:
    # Not reported: instance_id's default factory (no key), the OAuth state made in a route, the
    # default factory of a model that is not a settings class (it runs per object), and the same
    # settings made per call by a function no memoizer keeps.
    # (SL104 reports the lru_cache of get_settings() too: it memoizes a function that reads randomness.)
    assert lint_fixture("sl1/secrets_pydantic.py", tmp_path, "SL105") == [
        ("SL105", 13, 23),  # secret_key: str = secrets.token_urlsafe(32)
        ("SL105", 14, 53),  # Field(default_factory=lambda: secrets.token_hex(32))
        ("SL105", 15, 61),  # Field(default_factory=partial(secrets.token_urlsafe, 32))
        ("SL105", 28, 54),  # add_middleware(SessionMiddleware, secret_key=secrets.token_urlsafe()) in create_app()
        ("SL105", 46, 59),  # Settings(secret_key=... or secrets.token_hex(32)) in an lru_cache'd get_settings()
    ]


def test_messages_name_the_key_the_generator_and_the_fallback(tmp_path: Path) -> None:
    copy_fixture("sl1/secrets.py", tmp_path)
    findings = check_json("secrets.py", cwd=tmp_path, select="SL105").findings
    messages = {f["line"]: f["message"] for f in findings}
    assert messages[17] == "`app.secret_key` is generated per process (`os.urandom()`)"
    assert messages[18] == '`app.config["JWT_SECRET_KEY"]` falls back to a per-process key (`secrets.token_urlsafe()`) when unset'
    assert messages[27] == "`_raw` (the key passed to `Fernet()`) is generated per process (`os.urandom()`)"
    assert messages[32].startswith("`PRIVATE_KEY` (the key passed to `jwt.encode()`) is generated per process")
    # why it matters is said once, in the hint
    assert all("every restart" in f["hint"] and "every restart" not in f["message"] for f in findings)
    assert {f["severity"] for f in findings} == {"error"}


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    (root / "svc").mkdir(parents=True)
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    (root / "svc" / "__init__.py").write_text("", encoding="utf-8")
    for name, text in files.items():
        (root / "svc" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


FACTORY = """\
    import secrets


    def load_or_create(path):
        try:
            with open(path) as f:
                return f.read()
        except FileNotFoundError:
            key = secrets.token_hex(32)
            with open(path, "w") as f:
                f.write(key)
            return key


    def install(app):
        app.secret_key = load_or_create("/data/secret.txt")


    def view_token():
        return {"SECRET_KEY": secrets.token_urlsafe()}
    """


@pytest.mark.parametrize(
    ("main", "expected"),
    [
        # install() runs at import of another module: the key read back, or generated on first start, is per replica
        ("from flask import Flask\nfrom svc.factory import install\napplication = Flask(__name__)\ninstall(application)\n",
         [("svc/factory.py", "SL105", 9, 15)]),
        # called only from a route: per request, not this rule
        ("from flask import Blueprint, current_app\nfrom svc.factory import install\nbp = Blueprint('b', __name__)\n"
         "@bp.get('/x')\ndef x():\n    install(current_app)\n    return ''\n", []),
        # no caller the model sees: not reported
        ("", []),
    ],
    ids=["startup", "request", "unknown"],
)
def test_where_the_key_is_made_decides_across_modules(tmp_path: Path, main: str, expected: list) -> None:
    root = _project(tmp_path, {"factory.py": FACTORY, "main.py": main})
    run = check_json(".", cwd=root, select="SL105")
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in run.findings] == expected


def test_a_project_function_that_returns_a_generated_value(tmp_path: Path) -> None:
    root = _project(tmp_path, {
        "keys.py": "import secrets\n\ndef make_secret():\n    return secrets.token_hex(32)\n",
        "settings.py": "from svc.keys import make_secret\n\nSECRET_KEY = make_secret()\nINSTANCE = make_secret()\n",
    })
    for prefilter in ("on", "off"):
        run = run_cli("check", "--no-cache", "--output-format", "json", "--select", "SL105", ".", cwd=root,
                      env={"STATELINT_PREFILTER": prefilter})
        assert run.triples == [("SL105", 3, 14)], prefilter  # INSTANCE is no key
        assert "(`make_secret()`, which returns `secrets.token_hex()`)" in run.findings[0]["message"]


def test_extra_key_names(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import secrets\nAPP_SIGNER = secrets.token_hex()\n", encoding="utf-8")
    assert check_json("app.py", cwd=tmp_path, select="SL105").triples == []
    (tmp_path / "pyproject.toml").write_text(
        '[tool.statelint.options.SL105]\nextra-key-names = ["app_signer"]\n', encoding="utf-8"
    )
    assert check_json("app.py", cwd=tmp_path, select="SL105").triples == [("SL105", 2, 14)]


def test_startup_function_names(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import os\n\ndef configure(app):\n    app.secret_key = os.urandom(24)\n", encoding="utf-8"
    )
    assert check_json("app.py", cwd=tmp_path, select="SL105").triples == [("SL105", 4, 22)]
    (tmp_path / "pyproject.toml").write_text("[tool.statelint.options.SL105]\nstartup-functions = []\n", encoding="utf-8")
    assert check_json("app.py", cwd=tmp_path, select="SL105").triples == []


@pytest.mark.parametrize(
    ("source", "met", "reported"),
    [
        ("import os\nSECRET_KEY = os.urandom(24)\n", True, True),
        ("from secrets import token_hex as th\nSECRET_KEY = th()\n", True, True),
        # only named, as a default factory: no call of it in the file
        ("import secrets\nfrom pydantic import Field\nfrom pydantic_settings import BaseSettings\n"
         "class S(BaseSettings):\n    secret_key: str = Field(default_factory=secrets.token_hex)\n", True, True),
        ("import random\nrng = random.SystemRandom()\nSECRET_KEY = ''.join(rng.choice('ab') for _ in range(50))\n",
         True, True),
        # random data that no key takes: no key name, key sink or key-only generator in the file
        ("import random\nJITTER = random.random()\n", False, False),
        ("import os\nclass Conn:\n    def __init__(self):\n        self.nonce = os.urandom(8)\n", False, False),
        ("import os\nSECRET_KEY = os.environ['SECRET_KEY']\n", False, False),
        ("import random\nSECRET_KEY = 'a random choice'\n", False, False),
        # a key it may become: a key name in any case, in a string, joined from pieces; a key sink; a key-only generator
        ("import os\napp.config.update(secret_key=os.urandom(24))\n", True, True),
        ("import os\nsettings = {'JWT_' 'SECRET_KEY': os.urandom(24)}\n", True, True),
        ("import os\nfrom cryptography.fernet import Fernet\nBOX = Fernet(os.urandom(32))\n", True, True),
        ("import os\nfrom cryptography.fernet import Fernet\nnonce = os.urandom(8)\nKEY = Fernet.generate_key()\n", True, True),
        # a key-only generator named as a settings field's default factory, not called
        ("from cryptography.fernet import Fernet\nfrom pydantic import Field\nfrom pydantic_settings import BaseSettings\n"
         "class S(BaseSettings):\n    box: bytes = Field(default_factory=Fernet.generate_key)\n", True, True),
        # the keyword, and a generator's name only in prose: nothing is named to make random data
        ("from collections import defaultdict\nd = defaultdict(int)\nprint(d.default_factory)  # generate secrets\n", False, False),
    ],
    ids=[
        "call", "alias", "default_factory", "instance_method", "not_a_key", "a_nonce", "no_generator", "names_in_a_string",
        "keyword", "concatenated", "sink", "key_only_generator", "key_only_default_factory", "prose",
    ],
)
def test_what_a_file_needs_for_it(tmp_path: Path, source: str, met: bool, reported: bool) -> None:
    """The declaration keeps every file SL105 reports in, even with the prefilter off."""
    assert requirement_met("SL105", source) is met
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    off = run_cli("check", "--no-cache", "--output-format", "json", "--select", "SL105", "app.py", cwd=tmp_path,
                  env={"STATELINT_PREFILTER": "off"})
    assert bool(off.triples) is reported


def test_the_rule_is_documented_and_listed() -> None:
    doc = run_cli("rule", "SL105")
    assert doc.exit_code == 0
    assert doc.stdout.startswith("# SL105 (per-process-secret)")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "`extra-key-names`"):
        assert section in doc.stdout
    listed = run_cli("rules")
    assert "SL105" in listed.stdout and "per-process-secret" in listed.stdout
