"""Strict JSON: one document, no NaN or Infinity, non-ASCII text kept as is."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..reports import Result
    from . import OutputOptions


def dumps(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent)


def render(result: Result, out: TextIO, options: OutputOptions) -> None:
    out.write(dumps(result.document) + "\n")
