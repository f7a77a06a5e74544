"""Strict JSON: one document, no NaN or Infinity, non-ASCII text kept as is."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import pandas as pd

    from ..results import Result
    from . import OutputOptions


_ENCODERS = {
    indent: json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=indent)
    for indent in (None, 2)
}


def dumps(value: Any, indent: int | None = 2) -> str:
    """Strict JSON text; the encoders are made once (json.dumps makes one per call)."""
    return _ENCODERS[indent].encode(value)


#: An empty list or object as pandas indents it ("[\n\n    ]"). A newline inside a
#: string is written as "\n", so a raw newline is always between tokens.
_EMPTY_INDENTED = re.compile(r"(?<=[\[{])\n\s*(?=[\]}])")

#: Rows per piece when writing a frame, so that a million rows never sit in memory as text.
PIECE_ROWS = 100_000


def write_frame(
    frame: pd.DataFrame,
    out: TextIO,
    *,
    lines: bool,
    attributes: pd.DataFrame | None = None,
) -> None:
    """A frame's rows as a JSON array (or JSON lines), written by pandas piece by piece,
    with ``attributes`` (the file's own columns, same rows) nested in each object.

    pandas writes missing values as null and never NaN; it escapes ``/`` as ``\\/``,
    which JSON readers read back as ``/``.
    """
    from ..results import attribute_dicts

    if frame.empty:
        out.write("" if lines else "[]\n")
        return
    if not lines:
        out.write("[\n")
    for start in range(0, len(frame), PIECE_ROWS):
        piece = frame.iloc[start : start + PIECE_ROWS]
        if attributes is not None:
            piece = piece.assign(
                attributes=attribute_dicts(attributes.iloc[start : start + PIECE_ROWS])
            )
        text = piece.to_json(
            orient="records", lines=lines, force_ascii=False, indent=0 if lines else 2
        )
        if lines:
            out.write(text if text.endswith("\n") else text + "\n")
        else:  # "[\n  {...},\n  {...}\n]" -> the objects, joined across pieces
            text = _EMPTY_INDENTED.sub("", text)
            out.write(("" if start == 0 else ",\n") + text[2:-2])
    if not lines:
        out.write("\n]\n")


def render(result: Result, out: TextIO, _options: OutputOptions) -> None:
    if result.document is None and result.frame is not None:
        write_frame(result.frame, out, lines=False, attributes=result.attributes)
    else:
        out.write(dumps(result.document) + "\n")
