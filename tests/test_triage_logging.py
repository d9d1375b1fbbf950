"""Triage of SL204's Python side: server configuration files, by name (SL201-SL203 declare `requires`)."""

from __future__ import annotations

from statelint.catalog import load_catalog
from statelint.triage import logging_config
from tests.helpers import triage_source

SL2 = load_catalog().knowledge("SL201")


def verdict(predicate: object, text: str, path: str = "app", options: dict | None = None) -> bool:
    return predicate(triage_source(text, path), SL2, options or {})  # type: ignore[operator]


def test_server_config_files_by_name() -> None:
    text = "accesslog = 'access.log'\n"
    assert verdict(logging_config.server_config, text, "gunicorn.conf") is True
    assert verdict(logging_config.server_config, text, "settings") is False
    assert verdict(logging_config.server_config, text, "deploy", {"config-files": ["deploy.py"]}) is True
    assert verdict(logging_config.server_config, "workers = 4\n", "gunicorn.conf") is False
