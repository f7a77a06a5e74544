"""Rows of a result kept as columns: a trend's periods, a stage table, a grouped summary.

A grouped command measures every group at once with numpy, one array per number.
Turning those arrays into a hundred thousand Python dicts, and the dicts into JSON
text one value at a time, used to cost more than the measuring. :class:`Rows` keeps
the arrays: it is a read-only sequence of dicts (made on first access, then kept, so
a change to one stays), and the JSON writer turns each column into text at once
(:func:`etown_approvals.formats.json_format.dumps`) while no dict has been made.

A column is one of a few kinds, each knowing its Python values:

- :class:`Counts`: whole numbers (``int``);
- :class:`Numbers`: measured numbers rounded to ``digits`` decimals, whole ones as
  ``int`` (``floats=False``) or all as ``float`` (``floats=True``), None where NaN;
- :class:`Picked`: one of a few values per row (a group's label, a stage, a period);
- :class:`Lists`: a list of texts per row (the project names of a group).

Keys are texts, or tuples of texts for values of nested objects (``("days",
"median")``), a nested object's keys next to each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat
from typing import Any, overload

import numpy as np

Key = tuple[str, ...]


@dataclass(frozen=True)
class Counts:
    """Whole numbers."""

    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)

    def python(self) -> list[Any]:
        """The values as Python numbers."""
        return np.asarray(self.values, dtype=np.int64).tolist()


@dataclass(frozen=True)
class Numbers:
    """Numbers rounded to ``digits`` decimals as Python's ``round`` rounds; whole ones
    as ``int`` unless ``floats``; None where a value is NaN or infinite."""

    values: np.ndarray
    digits: int = 2
    floats: bool = False

    def __len__(self) -> int:
        return len(self.values)

    def python(self) -> list[Any]:
        """The values as Python numbers (None where missing), rounded."""
        if self.floats:
            return json_floats(self.values, self.digits)
        return json_numbers(self.values, self.digits)


@dataclass(frozen=True)
class Picked:
    """``choices[codes[i]]`` for row i: few distinct values over many rows."""

    codes: np.ndarray
    choices: Sequence[Any]

    def __len__(self) -> int:
        return len(self.codes)

    def python(self) -> list[Any]:
        """The values as Python objects."""
        return list(map(list(self.choices).__getitem__, np.asarray(self.codes).tolist()))

    def mapped(self, function: Callable[[Any], Any]) -> Picked:
        """The same codes with each choice passed through ``function``."""
        return Picked(self.codes, [function(choice) for choice in self.choices])


@dataclass(frozen=True)
class Lists:
    """Row i's list is ``items[bounds[i]:bounds[i + 1]]`` (texts)."""

    items: np.ndarray  # of str (object)
    bounds: np.ndarray  # one more than there are rows

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def python(self) -> list[Any]:
        """The lists as Python lists."""
        items, bounds = self.items, np.asarray(self.bounds).tolist()
        return [items[a:b].tolist() for a, b in pairwise(bounds)]


Column = Counts | Numbers | Picked | Lists


class Rows(Sequence[dict[str, Any]]):
    """A list of equally shaped dicts, kept as columns (see the module's docstring)."""

    def __init__(self, columns: Mapping[Any, Column]) -> None:
        """``columns`` keyed by text, or by a tuple of texts (a nested object's key)."""
        self.columns: dict[Key, Column] = {
            (key,) if isinstance(key, str) else tuple(key): column
            for key, column in columns.items()
        }
        lengths = {len(column) for column in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self._length = lengths.pop() if lengths else 0
        self._dicts: list[dict[str, Any]] | None = None

    @property
    def materialized(self) -> bool:
        """Whether the dicts have been made (then they, not the columns, are the rows)."""
        return self._dicts is not None

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts, made once."""
        if self._dicts is None:
            self._dicts = _nested({key: column.python() for key, column in self.columns.items()})
        return self._dicts

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self.dicts()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.dicts())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows | list | tuple):
            return self.dicts() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({self.dicts()!r})"

    def with_first(self, key: str, column: Column) -> Rows:
        """These rows with ``key`` in front of their other keys."""
        columns: dict[Key, Column] = {(key,): column}
        columns.update(self.columns)
        return Rows(columns)

    def with_picked_mapped(self, key: str, function: Callable[[Any], Any]) -> Rows:
        """These rows with the values of the :class:`Picked` column ``key`` mapped."""
        if (key,) not in self.columns and not len(self):
            return self  # no rows: no columns either
        column = self.columns[(key,)]
        if not isinstance(column, Picked):
            raise TypeError(f"column {key!r} is not a Picked column")
        return Rows(
            {
                name: column.mapped(function) if name == (key,) else value
                for name, value in self.columns.items()
            }
        )


def _nested(columns: dict[Key, list[Any]]) -> list[dict[str, Any]]:
    """Dicts of equally long columns, keyed by paths (the keys of nested dicts)."""
    flat: dict[str, list[Any]] = {}
    for key in dict.fromkeys(path[0] for path in columns):
        inner = {path[1:]: values for path, values in columns.items() if path[0] == key}
        if () in inner:
            flat[key] = inner[()]
        else:
            flat[key] = _nested(inner)
    names = list(flat)
    # map, not a comprehension: the loop over a hundred thousand rows runs in C.
    return list(map(dict, map(zip, repeat(names), zip(*flat.values(), strict=True))))


# ---------------------------------------------------------------- rounding


def json_numbers(values: np.ndarray, digits: int = 2) -> list[Any]:
    """Rounded like Python's ``round(x, digits)``, whole numbers as int, None for NaN,
    without a Python call per value (see :func:`rounded`)."""
    result, finite = rounded(values, digits)
    whole = finite & (result == np.floor(result))
    small = np.abs(result) < 2.0**62  # whole numbers int64 holds
    ints = np.where(whole & small, result, 0).astype(np.int64).tolist()
    out = [
        i if w else (f if ok else None)
        for i, f, w, ok in zip(
            ints, result.tolist(), (whole & small).tolist(), finite.tolist(), strict=True
        )
    ]
    for at in np.flatnonzero(whole & ~small).tolist():
        out[at] = int(result[at])
    return out


def json_floats(values: np.ndarray, digits: int = 4) -> list[float | None]:
    """``round(x, digits)`` of each value as a float, None where it is NaN or infinite."""
    result, finite = rounded(values, digits)
    return [f if ok else None for f, ok in zip(result.tolist(), finite.tolist(), strict=True)]


def rounded(values: np.ndarray, digits: int) -> tuple[np.ndarray, np.ndarray]:
    """``round(x, digits)`` of every value (floats), and which values are finite.

    Python's ``round(x, digits)`` gives the float nearest the decimal rounding of
    ``x``; so does ``rint(x * 10**digits) / 10**digits`` (both operands exact, the
    division correctly rounded) unless ``x * 10**digits`` is so near a half that the
    multiplication's own rounding could cross it. Those few, and values too large
    for the product to be exact, are rounded by Python.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    scale = 10.0**digits
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = values * scale
        result = np.rint(scaled) / scale
        careful = finite & (
            (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6) | (np.abs(values) >= 2.0**40)
        )
    for at in np.flatnonzero(careful).tolist():
        result[at] = round(float(values[at]), digits)
    return result, finite
