"""Newline-delimited JSON: one compact object per record (``{"key":value}``), the
same style for every command."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from . import records_of
from .json_format import line, write_frame

if TYPE_CHECKING:
    from ..results import Result
    from . import OutputOptions


def render(result: Result, out: TextIO, _options: OutputOptions) -> None:
    """Write each of ``result``'s records as one JSON line."""
    if result.bulk is not None:
        write_frame(result.bulk, out, lines=True, attributes=result.attributes)
        return
    out.writelines(line(record) + "\n" for record in records_of(result, "ndjson"))
