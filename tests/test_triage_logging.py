"""Triage of the Python side of SL201-SL204."""

from __future__ import annotations

from statelint.catalog import load_catalog
from statelint.triage import logging_config
from tests.helpers import triage_source

SL2 = load_catalog().knowledge("SL201")


def verdict(predicate: object, text: str, path: str = "app", options: dict | None = None) -> bool:
    return predicate(triage_source(text, path), SL2, options or {})  # type: ignore[operator]


def test_file_handlers() -> None:
    assert verdict(logging_config.file_handler, "import logging\nlogging.FileHandler('app.log')\n") is True
    text = "from logging.handlers import RotatingFileHandler as RFH\nh = RFH('a.log')\n"
    assert verdict(logging_config.file_handler, text) is True
    assert verdict(logging_config.file_handler, "import logging\nlogging.StreamHandler()\n# FileHandler\n") is False


def test_basic_config_needs_a_filename() -> None:
    assert verdict(logging_config.basic_config_filename, "import logging\nlogging.basicConfig(filename='a.log')\n") is True
    assert verdict(logging_config.basic_config_filename, "import logging\nlogging.basicConfig(level=10)\n") is False


def test_dict_config() -> None:
    text = "LOGGING = {'version': 1, 'handlers': {'f': {'class': 'logging.FileHandler', 'filename': 'a.log'}}}\n"
    assert verdict(logging_config.dict_config_handler, text) is True
    assert verdict(logging_config.dict_config_handler, text.replace("logging.FileHandler", "logging.StreamHandler")) is False
    by_reference = "import logging\nC = dict(version=1, handlers={'f': {'()': logging.FileHandler}})\n"
    assert verdict(logging_config.dict_config_handler, by_reference) is True
    assert verdict(logging_config.dict_config_handler, "import logging\nlogging.FileHandler\n") is False


def test_server_config_files_by_name() -> None:
    text = "accesslog = 'access.log'\n"
    assert verdict(logging_config.server_config, text, "gunicorn.conf") is True
    assert verdict(logging_config.server_config, text, "settings") is False
    assert verdict(logging_config.server_config, text, "deploy", {"config-files": ["deploy.py"]}) is True
    assert verdict(logging_config.server_config, "workers = 4\n", "gunicorn.conf") is False
