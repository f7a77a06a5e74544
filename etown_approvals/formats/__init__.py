"""Step 5: results -> text. One small module per output format behind one interface.

Each format is one module with ``render(result, out, options)`` writing to a
text stream, and one entry in :data:`FORMATS` declaring the result kinds it
renders. The CLI derives each command's ``--format`` choices from the registry
without importing any format module (``--help`` stays fast), so adding a format
is one module, one entry and its tests.
"""

from __future__ import annotations

import importlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import UnsupportedFormatError
from ..kinds import ALL, LISTS, VERDICTS
from ..options import DEFAULT_OUTPUT, OutputOptions

if TYPE_CHECKING:
    from ..results import Result

__all__ = ["FORMATS", "OutputOptions", "formats_for", "render", "render_text"]


@dataclass(frozen=True)
class Format:
    """An output format: the module that renders it and the kinds of result it can show."""

    module: str
    kinds: frozenset[str]
    #: What it is for, in a few words.
    description: str


#: Format name -> format, in the order ``--help`` lists them.
FORMATS: dict[str, Format] = {
    "table": Format("table", ALL, "tables for people (rich)"),
    "json": Format("json_format", ALL, "one strict JSON document"),
    "ndjson": Format("ndjson", LISTS, "one JSON object per line"),
    "csv": Format("csv_format", LISTS, "a header row and one row per record"),
    "markdown": Format("markdown", ALL, "GitHub-flavoured tables, e.g. for $GITHUB_STEP_SUMMARY"),
    "xlsx": Format("xlsx", LISTS, "an Excel workbook, one sheet per list (needs --output)"),
    "github": Format(
        "github", VERDICTS, "GitHub Actions workflow commands: annotations on the file's lines"
    ),
    "junit": Format("junit", VERDICTS, "JUnit XML: one test case per check or finding type"),
}


#: Above this share of the rows that count rejected, tables and markdown say so in a
#: line of their own (a warning on stderr alone is easily missed).
REJECTED_WARNING = 0.05


def rejected_share(document: Any) -> tuple[float, int, int] | None:
    """(share, rejected, rows that count) of a measuring result whose rejected share is
    above :data:`REJECTED_WARNING`; None otherwise (or without row counts)."""
    rows = document.get("rows") if isinstance(document, dict) else None
    if not rows:
        return None
    counted = rows["read"] - rows.get("filtered", 0) - rows.get("ignored", 0)
    if counted <= 0 or rows["rejected"] <= REJECTED_WARNING * counted:
        return None
    return rows["rejected"] / counted, rows["rejected"], counted


#: The statistics of days every summary has; ``--percentiles`` adds to them.
DEFAULT_STATISTICS = ("count", "min", "p25", "median", "mean", "p75", "p90", "max")


def statistic_keys(statistics: Mapping[str, Any]) -> list[str]:
    """The statistics of days a row holds, in its order: ``count`` to ``max``, with any
    percentiles ``--percentiles`` added (``p95``, ``p99_5`` ...)."""
    keys = list(statistics)
    return keys[keys.index("count") : keys.index("max") + 1]


def added_percentiles(statistics: Mapping[str, Any]) -> list[str]:
    """The percentiles of ``statistics`` beyond :data:`DEFAULT_STATISTICS` (those asked for)."""
    return [key for key in statistic_keys(statistics) if key not in DEFAULT_STATISTICS]


def percentile_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """A trend's percentile columns beyond its median (``p95_days`` ...), in order."""
    return [key for key in (rows[0] if rows else ()) if re.fullmatch(r"p[0-9_]+_days", key)]


def module(name: str) -> ModuleType:
    """The module of format ``name`` (imported on first use)."""
    try:
        spec = FORMATS[name]
    except KeyError:
        raise UnsupportedFormatError(
            f"unknown format {name!r}; choose one of: {', '.join(FORMATS)}"
        ) from None
    return importlib.import_module(f"{__name__}.{spec.module}")


def formats_for(kind: str) -> list[str]:
    """The formats that render results of ``kind``, in registry order."""
    return [name for name, spec in FORMATS.items() if kind in spec.kinds]


def render(result: Result, name: str, out: TextIO, options: OutputOptions = DEFAULT_OUTPUT) -> None:
    """Write ``result`` to ``out`` in the format called ``name``."""
    chosen = module(name)
    if result.kind not in FORMATS[name].kinds:
        offered = ", ".join(formats_for(result.kind))
        raise UnsupportedFormatError(
            f"{result.kind} output cannot be shown as {name}; use one of: {offered}"
        )
    chosen.render(result, out, options)


def render_text(result: Result, name: str, options: OutputOptions = DEFAULT_OUTPUT) -> str:
    """``result`` in format ``name`` as a string."""
    buffer = io.StringIO()
    render(result, name, buffer, options)
    return buffer.getvalue()


def group_text(group: Any) -> Any:
    """A group of several columns (an object) as one text: its values joined with " / "."""
    if not isinstance(group, dict):
        return group
    return " / ".join("(none)" if v is None else str(v) for v in group.values())


def one_column_groups(document: Any) -> Any:
    """``document`` with groups of several columns shown as one: ``group_by`` joined
    with ", " and each ``group`` object as its values joined with " / " (a missing value
    as "(none)"), for the formats that lay groups out as text. Other documents as given."""
    if not isinstance(document, dict) or not isinstance(document.get("group_by"), list):
        return document

    label = group_text

    flat = dict(document)
    flat["group_by"] = ", ".join(document["group_by"])
    for key in ("groups", "transitions", "periods", "comparisons"):
        if isinstance(document.get(key), list):
            flat[key] = [
                {**row, "group": label(row.get("group"))} if "group" in row else row
                for row in document[key]
            ]
    return flat


def records_of(result: Result, format_name: str) -> Sequence[dict[str, Any]]:
    rows = result.rows()
    if rows is None:
        raise UnsupportedFormatError(
            f"{result.kind} output is not a list of rows; use --format table or json"
            f" (not {format_name})"
        )
    return rows
