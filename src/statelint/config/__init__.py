"""Configuration: ``[tool.statelint]`` in pyproject.toml, ``.statelint.yaml``, ``.statelint.toml`` or ``statelint.toml``."""

from statelint.config.loader import ConfigError, find_config_file, load_settings
from statelint.config.settings import Settings

__all__ = ["ConfigError", "Settings", "find_config_file", "load_settings"]
