"""Labels the text formats share (tables, timelines, Markdown): stages and statuses
in the user's language; data is shown as it is, made visible."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..i18n import STAGE_LABELS, STATUS_LABELS, Translator
from ..i18n import stage_label as translated_stage
from ..terminal import visible

__all__ = ["english", "km_median_line", "not_compared_line", "stage_label", "status_label"]


def english(message: str) -> str:
    """The translator of English: each message is its own label."""
    return message


def stage_label(stage: str, _: Translator = english, *, configured: bool = False) -> str:
    """A stage as tables show it: a built-in stage in the user's language, a
    configured one as written (underscores as spaces)."""
    if configured or stage not in STAGE_LABELS:
        return visible(stage.replace("_", " "))
    return visible(translated_stage(stage, _))


def status_label(status: str, _: Translator = english) -> str:
    """A project status in the user's language (another as written)."""
    message = STATUS_LABELS.get(status)
    return _(message) if message else visible(status)


def km_median_line(
    survival: Mapping[str, Any], unit: str, _: Translator, number: Callable[[Any], str]
) -> str:
    """The Kaplan-Meier median with its interval and what it counted, as tables and
    Markdown say it (``number`` writes each number in the format's style)."""
    if survival["median"] is None:
        estimate = _("not reached: more than half are still waiting")
    else:
        estimate = _("{median} {unit}").format(median=number(survival["median"]), unit=unit)
        low, high = survival["ci_low"], survival["ci_high"]
        # The level is a value: gettext tools read "95% i" as a printf code.
        if low is not None and high is not None:
            estimate += _(" ({level} interval {low} to {high})").format(
                level="95%", low=number(low), high=number(high)
            )
        elif low is not None:  # the band never falls below one half
            estimate += _(" ({level} interval from {low}, no upper end)").format(
                level="95%", low=number(low)
            )
    withdrawn = survival.get("withdrawn", 0)  # censored counts them too (at their last stage)
    return estimate + _(
        "; {events} complete, {waiting} still waiting and {withdrawn} withdrawn counted"
    ).format(
        events=number(survival["events"]),
        waiting=number(survival["censored"] - withdrawn),
        withdrawn=number(withdrawn),
    )


def not_compared_line(
    document: Mapping[str, Any], _: Translator, number: Callable[[Any], str]
) -> str | None:
    """compare's line on the projects left out (None when every project is compared)."""
    if not document["ungrouped"] and document["comparisons"]:
        return None
    if "split_date" in document:
        return _("Not compared, without a date to split by: {count}").format(
            count=number(document["ungrouped"])
        )
    by = document.get("group_by")
    columns = ", ".join(by) if isinstance(by, list) else str(by)
    return _("Not compared, without a value of {columns}: {count}").format(
        columns=visible(columns), count=number(document["ungrouped"])
    )
