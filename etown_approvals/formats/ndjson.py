"""Newline-delimited JSON: one compact object per record."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from . import records_of
from .json_format import dumps, write_frame

if TYPE_CHECKING:
    from ..results import Result
    from . import OutputOptions


def render(result: Result, out: TextIO, _options: OutputOptions) -> None:
    if result.frame is not None:
        write_frame(result.frame, out, lines=True, attributes=result.attributes)
        return
    for record in records_of(result, "ndjson"):
        out.write(dumps(record, indent=None) + "\n")
