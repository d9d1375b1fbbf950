"""The resolved, validated settings a scan runs with."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg-info",
    "__pycache__",
    "__pypackages__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".statelint_cache",
    ".hypothesis",
    "_build",
    "build",
    "dist",
    "site-packages",
    "node_modules",
)


@dataclass(frozen=True)
class Settings:
    """Everything that decides what a scan reports. Picklable, for worker processes."""

    root: Path
    config_path: Path | None = None
    enabled: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    respect_gitignore: bool = True
    force_exclude: bool = False

    def options_for(self, code: str) -> dict[str, Any]:
        return self.options.get(code, {})

    def fingerprint(self) -> str:
        """A digest of everything that changes results (for caches)."""
        payload = {
            "enabled": self.enabled,
            "per_file_ignores": self.per_file_ignores,
            "options": self.options,
        }
        blob = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
