"""Thresholds for ``etown check``: each compares one summary number with a limit."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import EtownError, ExitCode


class ThresholdError(EtownError, ValueError):
    """A threshold's limit is not a number it can be compared with (nan, inf, out of range)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Threshold:
    """A limit on one number of the summary document."""

    name: str
    #: Where the measured value is in the summary document, e.g. ``days.median``.
    measure: str
    #: ``max``: the value must be at most the limit; ``min``: at least.
    bound: str
    help: str
    #: What the limit is: ``days`` (a finite number >= 0), ``share`` (0 to 1) or
    #: ``count`` (a whole number >= 0).
    kind: str = "days"

    def value(self, summary: Mapping[str, Any]) -> Any:
        """The measured value in a summary document (None when it cannot be measured)."""
        node: Any = summary
        for key in self.measure.split("."):
            node = None if node is None else node.get(key)
        return node

    @property
    def option(self) -> str:
        """The command-line option that sets this threshold."""
        return "--" + self.name.replace("_", "-")

    def validate(self, limit: object, *, label: str | None = None) -> float:
        """``limit`` as a float, or :class:`ThresholdError` naming ``label`` (default: the
        option) when it is not a finite number in the threshold's range.

        ``float("nan")`` passes every comparison test click's ranges make and ``1e400``
        reads as infinity, so both must be refused here, where the limit is used.
        """
        label = label or self.option
        if isinstance(limit, bool) or not isinstance(limit, int | float):
            raise ThresholdError(f"{label} must be a number, not {limit!r}")
        if not math.isfinite(limit):
            raise ThresholdError(f"{label} must be a finite number, not {limit!r}")
        number = float(limit)
        if number < 0:
            raise ThresholdError(f"{label} must be 0 or more, not {_plain(number)}")
        if self.kind == "share" and number > 1:
            raise ThresholdError(f"{label} is a share: between 0 and 1, not {_plain(number)}")
        if self.kind == "count" and not number.is_integer():
            raise ThresholdError(f"{label} must be a whole number, not {_plain(number)}")
        return number


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "max_median_days", "days.median", "max", "Median days of complete projects at most N."
    ),
    Threshold("max_p90_days", "days.p90", "max", "90th percentile of days at most N."),
    Threshold(
        "min_same_day_share",
        "same_day.share",
        "min",
        "Share of same-day projects at least X (0-1).",
        "share",
    ),
    Threshold(
        "min_fast_track_share",
        "fast_track.share",
        "min",
        "Share of fast-track projects at least X (0-1).",
        "share",
    ),
    Threshold("max_open", "projects.open", "max", "At most N open projects.", "count"),
    Threshold("max_rejected_rows", "rows.rejected", "max", "At most N rejected rows.", "count"),
    Threshold(
        "max_workdays",
        "target.over",
        "max",
        "Every complete project within N working days (--calendar); reports how many are over.",
        "count",
    ),
)


#: Threshold name -> threshold.
BY_NAME: dict[str, Threshold] = {threshold.name: threshold for threshold in THRESHOLDS}


def validate_limits(
    limits: Mapping[str, object], thresholds: tuple[Threshold, ...] = THRESHOLDS
) -> dict[str, float]:
    """The limits that are given (not None), each checked by :meth:`Threshold.validate`.

    Call it before loading anything, so that ``--max-workdays nan`` is a usage
    error at once rather than a failure deep in the working-day arithmetic.
    """
    by_name = {threshold.name: threshold for threshold in thresholds}
    unknown = [name for name in limits if name not in by_name]
    if unknown:
        raise ThresholdError(f"unknown threshold {unknown[0]!r} (thresholds: {', '.join(by_name)})")
    return {
        name: by_name[name].validate(value) for name, value in limits.items() if value is not None
    }


@dataclass(frozen=True)
class CheckResult:
    """One threshold checked: its limit, the measured value and whether it passed."""

    threshold: Threshold
    limit: float
    value: float | None
    #: For ``max_workdays``: the target in working days (the limit is 0 projects over it).
    target: float | None = None

    def __post_init__(self) -> None:
        # A limit of nan would pass or fail at random and print as "<= nan".
        for number in (self.limit, self.target):
            if number is not None and not math.isfinite(number):
                raise ThresholdError(f"{self.threshold.option}: the limit must be finite")

    @property
    def passed(self) -> bool:
        # A number that cannot be measured (no complete project) cannot pass.
        """Whether the value is within the limit (a value that cannot be measured fails)."""
        if self.value is None:
            return False
        return (
            self.value <= self.limit if self.threshold.bound == "max" else self.value >= self.limit
        )

    def describe(self) -> str:
        """One line saying what was measured against what limit."""
        return describe(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        """The check as its JSON record."""
        result = {
            "check": self.threshold.name,
            "measure": self.threshold.measure,
            "bound": self.threshold.bound,
            "limit": _plain(self.limit),
            "value": self.value,
            "passed": self.passed,
        }
        if self.target is not None:
            result["target_workdays"] = _plain(self.target)
        return result


def describe(record: Mapping[str, Any]) -> str:
    """One line saying what a check measured against what limit, from its JSON record
    (so every output format words it the same way)."""
    sign = "<=" if record["bound"] == "max" else ">="
    value = record["value"]
    shown = "unmeasurable" if value is None else str(_plain(value))
    if "target_workdays" in record:
        return f"{shown} complete projects over {_plain(record['target_workdays'])} working days"
    return f"{record['measure']} {shown} (limit {sign} {_plain(record['limit'])})"


def _plain(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


def evaluate(
    summary: Mapping[str, Any],
    limits: Mapping[str, float | None],
    thresholds: tuple[Threshold, ...] = THRESHOLDS,
) -> list[CheckResult]:
    """Compare each threshold that has a limit with its value in ``summary``.

    ``max_workdays`` is special: its limit is the target (a summary made with
    ``target_workdays``), and it passes when no complete project is over it.
    Raises :class:`ThresholdError` (a usage error) for a limit that is not a
    finite number in its threshold's range, and for an unknown threshold name.
    """
    checked = validate_limits(limits, thresholds)
    results = []
    for threshold in thresholds:
        limit = checked.get(threshold.name)
        if limit is None:
            continue
        if threshold.name == "max_workdays":
            results.append(CheckResult(threshold, 0, threshold.value(summary), target=limit))
        else:
            results.append(CheckResult(threshold, limit, threshold.value(summary)))
    return results
