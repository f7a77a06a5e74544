"""A list result's rows in the shapes the formats write: JSON-ready records (the
file's own columns nested under ``attributes``) and one flat table (those columns
beside the computed ones). A neutral module: results build with it, formats write
with it, and neither imports the other for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .rawtable import apart

if TYPE_CHECKING:
    import pandas as pd
else:
    from ._lazy import pandas as pd

__all__ = ["attribute_dicts", "flat_columns", "flat_record", "frame_records"]


def flat_columns(frame: pd.DataFrame, attributes: pd.DataFrame | None) -> pd.DataFrame:
    """Computed columns, then the attributes as columns: an attribute whose name is
    taken (``status``, ``days``, a stage, ...) is renamed ``attribute:NAME``, and so is
    one already called ``attribute:...`` (see :func:`etown_approvals.rawtable.apart`)."""
    if attributes is None or not len(attributes.columns):
        return frame
    names = apart([str(c) for c in attributes.columns], set(frame.columns))
    extra = attributes.set_axis(names, axis=1).set_axis(frame.index)
    return pd.concat([frame, extra], axis=1)


def attribute_dicts(attributes: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per row of the file's attribute columns (None for a missing value)."""
    columns = list(attributes.columns)
    values = [_nullable(attributes[c]) for c in columns]
    return (
        [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
        if (columns)
        else [{} for _ in range(len(attributes))]
    )


def frame_records(
    frame: pd.DataFrame, attributes: pd.DataFrame | None = None
) -> list[dict[str, Any]]:
    """JSON-ready dicts (None for missing values, lists for tuples) of a frame's rows,
    with the file's attributes nested under ``attributes`` when given."""
    columns = list(frame.columns)
    values = [_nullable(frame[c]) for c in columns]
    for position, column in enumerate(columns):
        if column == "flags":
            values[position] = [list(v) for v in values[position]]
    records = [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
    if attributes is not None:
        for record, nested in zip(records, attribute_dicts(attributes), strict=True):
            record["attributes"] = nested
    return records


def _nullable(values: pd.Series) -> Any:
    """An object array with None where ``values`` are missing."""
    return values.to_numpy(dtype=object, na_value=None)


def flat_record(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested JSON record as one row of plain values: an inner object's keys joined
    to its key with ``_`` (``days.median`` is ``days_median``), lists left out (the
    names listed in a summary are in its JSON, not in its rows), a group of several
    columns kept as one object under ``group``."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if key == "group" and not prefix:
            flat[name] = value
        elif isinstance(value, dict):
            flat.update(flat_record(value, prefix=f"{name}_"))
        elif not isinstance(value, list | tuple):
            flat[name] = value
    return flat
