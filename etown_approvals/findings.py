"""Findings: every problem etown notices in the input, as one table.

A finding has a fixed ``type`` code (documented in the README), a ``severity``
(``error`` makes the row unusable; ``warning`` keeps it), the ``row`` (line in
the file, header = 1; empty for findings about a whole project), the ``field``
(column), the cell ``value``, the ``project`` and a human ``message``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .rawtable import RawTable, TextColumn

ERROR = "error"
WARNING = "warning"

COLUMNS = ("type", "severity", "row", "field", "value", "project", "message")

#: Every finding type etown reports, with its severity.
TYPES: dict[str, str] = {
    "unreadable": ERROR,
    "no-data": ERROR,
    "missing-column": ERROR,
    "encoding": ERROR,
    "ambiguous-date": ERROR,
    "malformed-row": ERROR,
    "missing-value": ERROR,
    "invalid-date": ERROR,
    "unknown-event": ERROR,
    "construction-before-land": ERROR,
    "missing-land-acquisition": ERROR,
    "duplicate-stage": WARNING,
    "duplicate-project": WARNING,
    "out-of-order": WARNING,
    "blank-row": WARNING,
}


def empty() -> pd.DataFrame:
    return pd.DataFrame(
        {name: pd.Series(dtype="Int64" if name == "row" else object) for name in COLUMNS}
    )


def from_records(records: list[dict[str, Any]]) -> pd.DataFrame:
    if not records:
        return empty()
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    return frame


class FindingsBuilder:
    """Collects row-level findings as vectors, one chunk per check."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.project_column: TextColumn | None = None
        self._chunks: list[pd.DataFrame] = []

    def add(
        self,
        mask: np.ndarray,
        kind: str,
        severity: str,
        *,
        field: str | None,
        column: TextColumn | None,
        message: str,
    ) -> None:
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return
        self._chunks.append(
            pd.DataFrame(
                {
                    "type": kind,
                    "severity": severity,
                    "row": self.raw.line_numbers()[rows],
                    "field": field,
                    "value": column.text(rows) if column is not None else None,
                    "project": self.project_column.text(rows) if self.project_column else None,
                    "message": message,
                }
            )
        )

    def add_line(
        self, line: int | None, kind: str, severity: str, *, value: str, message: str
    ) -> None:
        self._chunks.append(
            from_records(
                [
                    {
                        "type": kind,
                        "severity": severity,
                        "row": line,
                        "field": None,
                        "value": value,
                        "project": None,
                        "message": message,
                    }
                ]
            )
        )

    def build(self) -> pd.DataFrame:
        if not self._chunks:
            return empty()
        frame = pd.concat(self._chunks, ignore_index=True)
        frame["row"] = frame["row"].astype("Int64")
        return frame.sort_values("row", kind="stable", na_position="last").reset_index(drop=True)
