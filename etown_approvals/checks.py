"""Thresholds for ``etown check``: each compares one summary number with a limit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Threshold:
    """A limit on one number of the summary document."""

    name: str
    #: Where the measured value is in the summary document, e.g. ``days.median``.
    measure: str
    #: ``max``: the value must be at most the limit; ``min``: at least.
    bound: str
    help: str

    def value(self, summary: Mapping[str, Any]) -> Any:
        node: Any = summary
        for key in self.measure.split("."):
            node = None if node is None else node.get(key)
        return node

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


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
    ),
    Threshold(
        "min_fast_track_share",
        "fast_track.share",
        "min",
        "Share of fast-track projects at least X (0-1).",
    ),
    Threshold("max_open", "projects.open", "max", "At most N open projects."),
    Threshold("max_rejected_rows", "rows.rejected", "max", "At most N rejected rows."),
    Threshold(
        "max_workdays",
        "target.over",
        "max",
        "Every complete project within N working days (--calendar); reports how many are over.",
    ),
)


@dataclass(frozen=True)
class CheckResult:
    threshold: Threshold
    limit: float
    value: float | None
    #: For ``max_workdays``: the target in working days (the limit is 0 projects over it).
    target: float | None = None

    @property
    def passed(self) -> bool:
        # A number that cannot be measured (no complete project) cannot pass.
        if self.value is None:
            return False
        return (
            self.value <= self.limit if self.threshold.bound == "max" else self.value >= self.limit
        )

    def describe(self) -> str:
        sign = "<=" if self.threshold.bound == "max" else ">="
        shown = "unmeasurable" if self.value is None else _plain(self.value)
        text = f"{self.threshold.measure} {shown} (limit {sign} {_plain(self.limit)})"
        if self.target is not None:
            text = f"{shown} complete projects over {_plain(self.target)} working days"
        return text

    def as_dict(self) -> dict[str, Any]:
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
    """
    results = []
    for threshold in thresholds:
        limit = limits.get(threshold.name)
        if limit is None:
            continue
        if threshold.name == "max_workdays":
            results.append(CheckResult(threshold, 0, threshold.value(summary), target=limit))
        else:
            results.append(CheckResult(threshold, limit, threshold.value(summary)))
    return results
