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


_SCALARS = (str, int, float, bool, type(None))


def dumps(value: Any, indent: int | None = 2) -> str:
    """Strict JSON text; the encoders are made once (json.dumps makes one per call).

    The same text as ``json.dumps(value, ensure_ascii=False, allow_nan=False,
    indent=indent)``. Indented, Python's encoder runs in Python; here containers
    are laid out in Python while every list of plain values (a summary's
    million project names) goes through the C encoder in one call, with the
    line break and indent as its item separator.
    """
    if indent is None:
        return _ENCODERS[None].encode(value)
    return _indented(value, indent, 0)


def _indented(value: Any, indent: int, depth: int) -> str:
    inner = "\n" + " " * (indent * (depth + 1))
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            _key(key) + ": " + _indented(item, indent, depth + 1) for key, item in value.items()
        ]
        return "{" + inner + ("," + inner).join(items) + inner[: -indent or None] + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        if all(isinstance(item, _SCALARS) for item in value):
            text = _flat_encoder(inner).encode(list(value))
            return "[" + inner + text[1:-1] + inner[: -indent or None] + "]"
        items = [_indented(item, indent, depth + 1) for item in value]
        return "[" + inner + ("," + inner).join(items) + inner[: -indent or None] + "]"
    return _ENCODERS[None].encode(value)


def _key(key: Any) -> str:
    """A mapping key as Python's encoder writes it (numbers, booleans and None as text)."""
    if isinstance(key, str):
        return _ENCODERS[None].encode(key)
    return _ENCODERS[None].encode({key: 0})[1:-4]


_FLAT: dict[str, json.JSONEncoder] = {}


def _flat_encoder(separator: str) -> json.JSONEncoder:
    if separator not in _FLAT:
        _FLAT[separator] = json.JSONEncoder(
            ensure_ascii=False, allow_nan=False, separators=("," + separator, ": ")
        )
    return _FLAT[separator]


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
