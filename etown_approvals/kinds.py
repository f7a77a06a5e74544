"""The kinds of result a command produces (a light module: no pandas)."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a result is; each output format declares the kinds it can render."""

    SUMMARY = "summary"
    PROJECTS = "projects"
    STAGES = "stages"
    TREND = "trend"
    TIMELINE = "timeline"
    VALIDATE = "validate"
    CHECK = "check"
    COMPARE = "compare"


#: Every kind.
ALL = frozenset(Kind)
#: The kinds that are lists of rows (one record each in NDJSON and CSV): every kind
#: (a summary is one row, or one per group; a comparison one per group).
LISTS = ALL
#: The kinds whose result can fail (exit 1), for CI formats.
VERDICTS = frozenset({Kind.VALIDATE, Kind.CHECK})
