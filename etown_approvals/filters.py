"""Row filter expressions: which rows count, and which mark an outcome.

An expression compares one column of the input with a value::

    COLUMN=VALUE     the cell equals VALUE (after trimming, ignoring case)
    COLUMN!=VALUE    the cell does not equal VALUE
    COLUMN~REGEX     the cell contains a match of REGEX (ignoring case)
    COLUMN!~REGEX    the cell contains no match of REGEX

Used by ``--where`` (rows that fail are *filtered*: neither used nor
rejected), ``--withdrawn`` (rows that match mark their project as withdrawn)
and the ``[filter]`` / ``[outcomes]`` sections of a configuration file.

Expressions are evaluated on the distinct values of a column (pyarrow
compute), then spread to rows by the column's dictionary indices: no Python
work per row. Regular expressions use RE2 syntax (pyarrow's engine): no
look-around and no back-references; ``(?-i)`` makes one case-sensitive.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import ConfigError, EtownError, ExitCode
from .stages import normalize_name

if TYPE_CHECKING:
    import numpy as np

    from .rawtable import TextColumn

Operator = Literal["=", "!=", "~", "!~"]
StageDate = Literal["earliest", "latest"]
STAGE_DATES: tuple[StageDate, ...] = ("earliest", "latest")

USAGE = (
    "expected COLUMN=VALUE, COLUMN!=VALUE, COLUMN~REGEX or COLUMN!~REGEX "
    "(e.g. 'Status!=Cancelled', 'Permit Type~^new')"
)


class FilterError(EtownError, ValueError):
    """A row filter expression is malformed or names no column of the input."""

    exit_code = ExitCode.USAGE


class FilterSyntaxError(FilterError):
    """An expression without a column, an operator or a value."""


class FilterRegexError(FilterError):
    """A ``~`` / ``!~`` expression whose regular expression does not compile."""


class FilterColumnError(FilterError, KeyError):
    """An expression names a column the input does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return FilterError.__str__(self)


@dataclass(frozen=True)
class RowFilter:
    """One parsed expression: ``column`` ``operator`` ``value``."""

    text: str
    column: str
    operator: Operator
    value: str
    #: Where the expression came from when that was a configuration file
    #: (``"path: filter.where"``): its errors are then configuration errors.
    origin: str | None = None

    @property
    def negated(self) -> bool:
        """Whether the expression holds where its value does not match (``!=``, ``!~``)."""
        return self.operator.startswith("!")

    @property
    def is_regex(self) -> bool:
        """Whether the value is a regular expression (``~``, ``!~``)."""
        return self.operator.endswith("~")

    def fail(self, error: FilterError) -> EtownError:
        """``error`` as the caller should see it: a config error for config expressions."""
        if self.origin is None:
            return error
        return ConfigError(f"{self.origin}: {error.message}")

    def column_index(self, headers: Sequence[str]) -> int:
        """Position of the filtered column: exact header first, then case/space-insensitive."""
        if self.column in headers:
            return list(headers).index(self.column)
        wanted = normalize_name(self.column)
        folded = [normalize_name(h) for h in headers]
        if wanted in folded:
            return folded.index(wanted)
        shown = ", ".join(repr(h) for h in headers[:30]) + (", ..." if len(headers) > 30 else "")
        raise self.fail(
            FilterColumnError(
                f"{self.text!r}: no column {self.column!r}; columns are: {shown}",
                field=self.column,
            )
        )

    def evaluate(self, column: TextColumn) -> np.ndarray:
        """Per row of ``column``: whether the expression holds (an empty cell is ``""``)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        # The distinct values plus "" for rows whose cell is null (index -1).
        values = pa.concat_arrays([column.values.cast(pa.string()), pa.array([""], pa.string())])
        if self.is_regex:
            matched = pc.match_substring_regex(values, self.value, ignore_case=True)
        else:
            matched = pc.equal(pc.utf8_lower(values), pc.utf8_lower(pa.scalar(self.value.strip())))
        per_value = np.asarray(matched.to_numpy(zero_copy_only=False), dtype=bool)
        if self.negated:
            per_value = ~per_value
        return per_value[column.indices]


def parse(text: str, *, origin: str | None = None) -> RowFilter:
    """Parse one expression; raise :class:`FilterError` (or ``ConfigError`` for config ones)."""
    error: FilterError | None = None
    position = _operator_position(text)
    if position is None:
        error = FilterSyntaxError(f"{text!r}: no operator; {USAGE}")
    else:
        start, operator = position
        column = text[:start].strip()
        value = text[start + len(operator) :]
        if not column:
            error = FilterSyntaxError(f"{text!r}: no column before {operator!r}; {USAGE}")
        elif operator.endswith("~") and not value.strip():
            error = FilterSyntaxError(f"{text!r}: no regular expression after {operator!r}")
        else:
            row_filter = RowFilter(
                text=text,
                column=column,
                operator=operator,  # type: ignore[arg-type]
                value=value.strip(),
                origin=origin,
            )
            if row_filter.is_regex:
                _check_regex(row_filter)
            return row_filter
    raise error if origin is None else ConfigError(f"{origin}: {error.message}")


def parse_all(
    texts: Iterable[str | RowFilter] | None, *, origin: str | None = None
) -> tuple[RowFilter, ...]:
    """Parse each expression (already parsed ones are kept as they are)."""
    return tuple(
        text if isinstance(text, RowFilter) else parse(text, origin=origin) for text in texts or ()
    )


def _operator_position(text: str) -> tuple[int, str] | None:
    """Start and spelling of the first operator: the first ``=`` or ``~``, with a ``!`` before."""
    for index, char in enumerate(text):
        if char in "=~":
            if index > 0 and text[index - 1] == "!":
                return index - 1, "!" + char
            return index, char
    return None


def _check_regex(row_filter: RowFilter) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""], pa.string()), row_filter.value, ignore_case=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        detail = str(error).split(":", 1)[-1].strip()
        raise row_filter.fail(
            FilterRegexError(
                f"{row_filter.text!r}: bad regular expression {row_filter.value!r} ({detail}); "
                "RE2 syntax: no look-around or back-references"
            )
        ) from None


def matching_rows(
    filters: Sequence[RowFilter], headers: Sequence[str], column_at: Callable[[int], TextColumn]
) -> np.ndarray | None:
    """Per row: whether every filter holds (``column_at(i)`` gives column ``i``); None if none."""
    result = None
    for row_filter in filters:
        held = row_filter.evaluate(column_at(row_filter.column_index(headers)))
        result = held if result is None else result & held
    return result


def any_matching_rows(
    filters: Sequence[RowFilter], headers: Sequence[str], column_at: Callable[[int], TextColumn]
) -> np.ndarray | None:
    """Per row: whether any filter holds; None if there are no filters."""
    result = None
    for row_filter in filters:
        held = row_filter.evaluate(column_at(row_filter.column_index(headers)))
        result = held if result is None else result | held
    return result


# -- configuration ----------------------------------------------------------

#: Sections of a configuration file read here (the rest is read by :mod:`config`).
SECTIONS = {"filter": {"where"}, "outcomes": {"withdrawn"}, "ignore": {"events"}}


@dataclass(frozen=True)
class RowRules:
    """Which rows count and what they mean, beyond the stages: from options or a config file."""

    #: All must hold for a row to be used; rows failing one are filtered.
    where: tuple[RowFilter, ...] = ()
    #: Any may match; the matching rows' projects are withdrawn unless complete.
    withdrawn: tuple[RowFilter, ...] = ()
    #: Event names (long files) that are neither stages nor errors: counted as ignored.
    ignore_events: tuple[str, ...] = ()
    #: How several dates of one stage of a project combine.
    stage_date: StageDate = "earliest"

    def combined(self, other: RowRules) -> RowRules:
        """These rules and ``other``'s (command-line options added to a config file's)."""
        return RowRules(
            where=self.where + other.where,
            withdrawn=self.withdrawn + other.withdrawn,
            ignore_events=self.ignore_events + other.ignore_events,
            stage_date=other.stage_date if other.stage_date != "earliest" else self.stage_date,
        )


def rules_from_dict(data: Mapping[str, Any], *, source: str = "config") -> RowRules:
    """The ``[filter]``, ``[outcomes]`` and ``[ignore]`` sections of a parsed config file.

    Expressions are parsed here, so a malformed one is a configuration error
    (exit 5) naming the key; whether its column exists is known only when a
    file is read (then also a configuration error).
    """
    lists: dict[str, tuple[str, ...]] = {}
    for section, keys in SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{section} must be a table ([{section}])", source=source)
        for key, value in table.items():
            if key not in keys:
                raise ConfigError(
                    f"unknown key {section}.{key} (keys: {', '.join(sorted(keys))})", source=source
                )
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                raise ConfigError(f"{section}.{key} must be a list of strings", source=source)
            lists[f"{section}.{key}"] = tuple(value)
    metric = data.get("metric", {})
    stage_date = metric.get("stage_date", "earliest") if isinstance(metric, dict) else "earliest"
    if stage_date not in STAGE_DATES:
        raise ConfigError(
            f"metric.stage_date = {stage_date!r}: expected one of {', '.join(STAGE_DATES)}",
            source=source,
        )
    return RowRules(
        where=parse_all(lists.get("filter.where"), origin=f"{source}: filter.where"),
        withdrawn=parse_all(
            lists.get("outcomes.withdrawn"), origin=f"{source}: outcomes.withdrawn"
        ),
        ignore_events=lists.get("ignore.events", ()),
        stage_date=stage_date,
    )


def load_rules(path: str | Path) -> RowRules:
    """The row rules of a TOML configuration file (empty rules when it has none)."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read config: {error.strerror}", source=name) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"malformed TOML: {error}", source=name) from None
    except RecursionError:  # arrays or tables nested thousands deep
        raise ConfigError("malformed TOML: values nested too deeply", source=name) from None
    return rules_from_dict(data, source=name)
