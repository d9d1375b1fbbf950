"""Configuration: ``[tool.statelint]`` in pyproject.toml or ``.statelint.yaml``."""

from statelint.config.loader import ConfigError, find_config_file, load_settings
from statelint.config.settings import Settings

__all__ = ["ConfigError", "Settings", "find_config_file", "load_settings"]
