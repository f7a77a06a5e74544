"""Step 5: results -> text. One small module per output format behind one interface.

Each format module has ``render(result, out, options)``. A format that cannot
show a kind of result (CSV of a summary) raises :class:`UnsupportedFormatError`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from ..errors import EtownError, ExitCode

if TYPE_CHECKING:
    from ..reports import Result

#: Format name -> module implementing it.
FORMATS = {"table": "table", "json": "json_format", "ndjson": "ndjson", "csv": "csv_format"}


class UnsupportedFormatError(EtownError, ValueError):
    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class OutputOptions:
    """Decided once, before rendering: colours and width of terminal output."""

    color: bool = False
    width: int | None = None
    #: Unicode box drawing and bar characters (False: plain ASCII).
    unicode: bool = True


def render(
    result: Result, name: str, out: TextIO, options: OutputOptions = OutputOptions()
) -> None:
    """Write ``result`` to ``out`` in the format called ``name``."""
    try:
        module_name = FORMATS[name]
    except KeyError:
        raise UnsupportedFormatError(
            f"unknown format {name!r}; choose one of: {', '.join(FORMATS)}"
        ) from None
    module = importlib.import_module(f"{__name__}.{module_name}")
    module.render(result, out, options)


def records_of(result: Result, format_name: str) -> list[dict]:
    rows = result.rows()
    if rows is None:
        raise UnsupportedFormatError(
            f"{result.kind} output is not a list of rows; use --format table or json"
            f" (not {format_name})"
        )
    return rows
