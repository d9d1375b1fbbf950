"""An offline wheelhouse made of the distributions installed in the test environment.

The packaging tests install statelint into fresh environments (a virtual environment, a
pre-commit hook's) with ``pip --no-index --find-links WHEELHOUSE``: tests never reach the
package index. pip cannot rebuild an installed distribution into a wheel, so each one is
packed again from the files its ``RECORD`` lists, under the tags of its ``WHEEL`` file.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement

#: Files of an installed ``.dist-info`` that belong to the installation, not to the wheel.
_INSTALLATION = {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"}


class Unavailable(Exception):
    """A distribution the wheelhouse needs is not installed (or not as a wheel): the test is skipped."""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(requirements: Iterable[str]) -> list[importlib.metadata.Distribution]:
    """The installed distributions that ``requirements`` (PEP 508 strings) ask for in this
    interpreter, and what they require in turn."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = [Requirement(text) for text in requirements]
    while pending:
        wanted = pending.pop()
        name = _normal(wanted.name)
        if name in found or (wanted.marker is not None and not wanted.marker.evaluate({"extra": ""})):
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise Unavailable(f"{name} is not installed in the test environment") from None
        found[name] = dist
        pending.extend(Requirement(text) for text in dist.requires or ())
    return list(found.values())


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def repack(dist: importlib.metadata.Distribution, folder: Path) -> Path:
    """``dist`` as a wheel in ``folder``: its files under the site folder (not the scripts pip
    writes elsewhere, which pip writes again from ``entry_points.txt``), without bytecode."""
    wheel_text = dist.read_text("WHEEL")
    if wheel_text is None or dist.files is None or dist.read_text("direct_url.json"):
        raise Unavailable(f"{dist.metadata['Name']} is not installed from a wheel")
    tags = [line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")]
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    target = folder / f"{name}-{dist.version}-{tags[0]}.whl"
    info = next(file.parts[0] for file in dist.files if file.name == "METADATA" and file.parts[0].endswith(".dist-info"))
    record_name = f"{info}/RECORD"
    record: list[str] = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in dist.files:
            parts = file.parts
            if parts[0] == ".." or "__pycache__" in parts or (parts[0] == info and file.name in _INSTALLATION):
                continue
            data = Path(str(file.locate())).read_bytes()
            archive.writestr(file.as_posix(), data)
            record.append(_record_line(file.as_posix(), data))
        record.append(f"{record_name},,")
        archive.writestr(record_name, "\n".join(record) + "\n")
    return target


def build(folder: Path, requirements: Iterable[str]) -> Path:
    """A wheelhouse in ``folder`` holding what ``requirements`` ask for and everything it requires."""
    folder.mkdir(parents=True, exist_ok=True)
    for dist in closure(requirements):
        repack(dist, folder)
    return folder


def statelint_wheel(root: Path, folder: Path) -> Path:
    """statelint's own wheel, built from ``root`` with the installed hatchling (no build isolation,
    which would fetch hatchling from the index)."""
    closure(["hatchling"])  # Unavailable when the build backend is not installed
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(folder), str(root)]
    subprocess.run(command, check=True, capture_output=True, env=offline_pip_env())
    (wheel,) = folder.glob("statelint*.whl")
    return wheel


def offline_pip_env(find_links: Path | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a pip that reads no configuration file and asks no index (``find_links``
    only); a proxy that refuses every connection makes any attempt fail at once instead of hanging."""
    env = {key: value for key, value in (base if base is not None else os.environ).items() if not key.startswith("PIP_")}
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
            "http_proxy": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "no_proxy": "",
            "NO_PROXY": "",
        }
    )
    if find_links is not None:
        env["PIP_FIND_LINKS"] = str(find_links)
    return env
