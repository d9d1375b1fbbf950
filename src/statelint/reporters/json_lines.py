"""One JSON object per line, with the fields of the ``json`` format: easy to stream and grep."""

from __future__ import annotations

import json
from typing import TextIO

from statelint.reporters.base import Report
from statelint.reporters.json_format import finding_record


def render(report: Report, stream: TextIO) -> None:
    for finding in report.located_findings():
        stream.write(json.dumps(finding_record(report, finding), ensure_ascii=False) + "\n")
