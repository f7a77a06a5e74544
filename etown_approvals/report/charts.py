"""Vega-Lite specifications of the report's charts, built with altair.

Each chart reads a *named* dataset (``alt.Data(name=...)``); the builder adds the
data to the specification afterwards. So the same small spec serves any number of
projects (the tests check every spec against the Vega-Lite schema; the command
skips that check, which costs more than drawing the page).

Every chart is one view (or layers of one view) as wide as its container, so it
fits any screen: text that could collide is thinned (``labelOverlap``), cut to a
width (``labelLimit``, the full text in the tooltip) or given a row of its own.
Time axes are UTC, with years in every label. Every label a reader sees goes
through the translator ``_``.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any, Final

import altair as alt

from ..i18n import Translator

#: Colours of project statuses, the same in every chart.
STATUS_COLORS = {
    "complete": "#2f7d4f",
    "open": "#d08a1c",
    "invalid": "#b03a2e",
    "withdrawn": "#7f7f7f",
}
SAME_DAY_COLOR = "#7b2fbe"
TAIL_COLOR = "#8aa89a"
ACCENT = "#1f5f99"
#: Marks of the timeline's same-day layer carry this name (the SVG class ``same_day_marks``).
SAME_DAY_NAME = "same_day"
#: Colours of the groups (at most :data:`~etown_approvals.report.data.GROUPS_SHOWN`).
GROUP_SCHEME: Final = "tableau10"

FONT = (
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'Source Han Sans SC', "
    "'PingFang SC', 'Microsoft YaHei', sans-serif"
)

#: Vega-Lite config shared by every chart. Axis labels that would overlap are thinned
#: (every other one removed until none touch), on every axis.
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 12,
        "grid": True,
        "gridColor": "#eee",
        "labelOverlap": True,
        "labelSeparation": 6,
    },
    # Rows of a legend far enough apart for the boxes of Chinese text (taller than
    # Vega's estimate of a line) never to touch.
    "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom", "rowPadding": 7},
    "title": {"fontSize": 13, "anchor": "start"},
}

#: The width of every chart on the page: its container's.
WIDTH: Any = "container"
#: Width of a chart drawn outside the page (``--assets``), in pixels.
ASSET_WIDTH = 800
#: A container narrower than this (px) gets shorter names beside its rows.
NARROW = 560
#: Pixels of a row that carries a name (a label is about 13 px high).
ROW_STEP = 20


def _finish(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict(validate=False)
    spec.pop("$schema", None)  # a URL; the bundled Vega-Lite needs none
    spec["config"] = CONFIG
    return spec


def _by_width(narrow: float, wide: float) -> dict[str, str]:
    """``narrow`` in a container narrower than :data:`NARROW`, else ``wide`` (an
    expression: a chart drawn outside a page counts as :data:`ASSET_WIDTH` wide)."""
    return {"expr": f"(containerSize()[0] || {ASSET_WIDTH}) < {NARROW} ? {narrow} : {wide}"}


def _legend(title: str | None, *, entry_width: int = 190) -> alt.Legend:
    """A legend under the chart, as many entries a line as fit the chart's width."""
    return alt.Legend(
        title=title,
        orient="bottom",
        direction="horizontal",
        columns={"expr": f"max(1, floor(width / {entry_width}))"},
        labelLimit=entry_width - 30,
        symbolLimit=0,
    )


def _status_scale(_: Translator) -> alt.Scale:
    return alt.Scale(
        domain=[_(k) for k in STATUS_COLORS],
        range=list(STATUS_COLORS.values()),
    )


def time_axis(first: str | None, last: str | None, title: str | None = None) -> alt.Axis:
    """An axis of dates from ``first`` to ``last`` (ISO) whose every label names its
    year: years (``2023``) over two years or more, months (``2023-04``) over two months
    or more, else days (``2023-04-05``); ticks about a year, month or day apart so
    that at most about a dozen are labelled."""
    span = _span_days(first, last)
    if span >= 730:
        interval, fmt, count = "year", "%Y", span / 365.25
    elif span >= 60:
        interval, fmt, count = "month", "%Y-%m", span / 30.4
    else:
        interval, fmt, count = "day", "%Y-%m-%d", max(span, 1)
    step = _step(count)
    return alt.Axis(
        title=title,
        format=fmt,
        tickCount={"interval": interval, "step": step},
        labelOverlap=True,
        labelAngle=0,
    )


def time_scale(first: str | None, last: str | None) -> alt.Scale:
    """A UTC scale from ``first`` to ``last`` (a few days either side when they are
    close, so that a single date is not drawn on an axis of one instant)."""
    if first is None or last is None:
        today = date.today()
        first, last = (today - timedelta(days=365)).isoformat(), today.isoformat()
    low, high = date.fromisoformat(first), date.fromisoformat(last)
    pad = timedelta(days=max(1, (high - low).days // 40))
    return alt.Scale(type="utc", domain=[_ms(low - pad), _ms(high + pad)], nice=False)


def _ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * 86_400_000


def _span_days(first: str | None, last: str | None) -> int:
    if first is None or last is None:
        return 365
    return (date.fromisoformat(last) - date.fromisoformat(first)).days


def _step(count: float, most: int = 12) -> int:
    """A step of 1, 2, 3, 5 or a multiple of 5 giving at most ``most`` ticks."""
    for step in (1, 2, 3, 5, 10, 20, 25, 50):
        if count / step <= most:
            return step
    return 5 * math.ceil(count / most / 5)


def distribution(bin_labels: list[str], _: Translator) -> dict[str, Any]:
    """Histogram of days of complete projects: the same-day bin in its own colour, the
    long tail (the overflow bin) in a paler one."""
    bars = (
        alt.Chart(alt.Data(name="histogram"))
        .mark_bar()
        .encode(
            x=alt.X(
                "label:O",
                sort=bin_labels,
                title=_("days"),
                axis=alt.Axis(labelAngle=0, labelOverlap="parity", grid=False),
            ),
            y=alt.Y("count:Q", title=_("complete projects")),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["same_day", "days", "tail"],
                    range=[SAME_DAY_COLOR, STATUS_COLORS["complete"], TAIL_COLOR],
                ),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("label:N", title=_("days")),
                alt.Tooltip("count:Q", title=_("projects"), format=","),
                alt.Tooltip("share:Q", title=_("share"), format=".1%"),
            ],
        )
    )
    return _finish(bars.properties(width=WIDTH, height=220))


def groups(_: Translator, *, unit_label: str) -> dict[str, Any]:
    """One row per group (the largest groups): the middle half of its complete
    projects' days as a bar (p25 to p75), a line on to p90, and a tick at the median."""
    tooltip = [
        alt.Tooltip("group:N", title=_("group")),
        alt.Tooltip("projects:Q", title=_("projects"), format=","),
        alt.Tooltip("complete:Q", title=_("complete"), format=","),
        alt.Tooltip("p25:Q", title="p25", format=","),
        alt.Tooltip("median:Q", title=_("median"), format=","),
        alt.Tooltip("p75:Q", title="p75", format=","),
        alt.Tooltip("p90:Q", title="p90", format=","),
    ]
    y = alt.Y(
        "group:N",
        sort=None,
        title=None,
        axis=alt.Axis(labelLimit=_by_width(110, 220), grid=False),
    )
    base = alt.Chart(alt.Data(name="groups")).encode(y=y, tooltip=tooltip)
    whisker = base.mark_rule(color="#7b8794").encode(x=alt.X("p25:Q", title=unit_label), x2="p90:Q")
    box = base.mark_bar(color=STATUS_COLORS["complete"], height=12).encode(x="p25:Q", x2="p75:Q")
    median = base.mark_tick(color="#1d2733", thickness=3, size=16).encode(x="median:Q")
    chart = alt.layer(whisker, box, median).properties(width=WIDTH, height=alt.Step(ROW_STEP + 4))
    return _finish(chart)


#: The cumulative chart's curves, by key: drawn solid or dashed.
CURVE_DASHES = {"ecdf": [1, 0], "km": [6, 3], "completed": [2, 2], "withdrawn": [2, 2]}
CURVE_COLORS = {"ecdf": ACCENT, "km": "#d08a1c", "completed": "#2f7d4f", "withdrawn": "#7f7f7f"}


def cumulative(
    _: Translator, *, series: dict[str, str], band: bool, last: float | None
) -> dict[str, Any]:
    """Share of projects with the end stage within N days, one line per curve in
    ``series`` (key -> label shown): over complete projects (``ecdf``), counting the
    projects still waiting (``km``, Kaplan-Meier, with its 95% band when ``band``),
    and with withdrawal as a competing event (``completed`` and ``withdrawn``,
    Aalen-Johansen). The axis runs from 0 to ``last``, the longest time observed."""
    keys = list(series)
    domain = [series[k] for k in keys]
    days_scale = alt.Scale(domain=[0, last if last else 1], nice=False, zero=True)
    share_scale = alt.Scale(domain=[0, 1])
    lines = (
        alt.Chart(alt.Data(name="curves"))
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=alt.X("days:Q", title=_("days"), scale=days_scale),
            y=alt.Y("share:Q", title=_("share done"), axis=alt.Axis(format="%"), scale=share_scale),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=domain, range=[CURVE_COLORS[k] for k in keys]),
                legend=_legend(None, entry_width=330) if keys else None,
                sort=domain,
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=domain, range=[CURVE_DASHES[k] for k in keys]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("series:N", title=" "),
                alt.Tooltip("days:Q", title=_("days"), format=","),
                alt.Tooltip("share:Q", title=_("share done"), format=".1%"),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if band:
        layers.insert(
            0,
            alt.Chart(alt.Data(name="survival_band"))
            .mark_area(interpolate="step-after", opacity=0.18, color=CURVE_COLORS["km"])
            .encode(x="days:Q", y="low:Q", y2="high:Q"),
        )
    return _finish(alt.layer(*layers).properties(width=WIDTH, height=240))


def _group_color(groups: list[str]) -> alt.Color:
    """Colours of the groups drawn, in the page's order (the most projects first)."""
    return alt.Color(
        "group:N",
        title=None,
        sort=groups,
        scale=alt.Scale(domain=groups, scheme=GROUP_SCHEME),
        legend=_legend(None, entry_width=150),
    )


def trend(
    _: Translator,
    *,
    by_label: str,
    groups: list[str],
    km: bool,
    first: str | None,
    last: str | None,
) -> dict[str, Any]:
    """Median days of the projects started in each period (a line per group of
    ``groups``), and, dashed, the Kaplan-Meier median counting the open ones (with
    groups, in the tooltip only: two lines a group would hide each other)."""
    x = alt.X("mid:T", scale=time_scale(first, last), axis=time_axis(first, last, by_label))
    tooltip = [
        alt.Tooltip("period:N", title=by_label),
        alt.Tooltip("median_days:Q", title=_("median days"), format=","),
        alt.Tooltip("complete:Q", title=_("complete"), format=","),
        alt.Tooltip("open:Q", title=_("open"), format=","),
        alt.Tooltip("open_share:Q", title=_("open share"), format=".1%"),
    ]
    if km:
        tooltip.insert(
            2,
            alt.Tooltip("km_median_days:Q", title=_("median counting open projects"), format=","),
        )
    color: Any = alt.value(ACCENT)
    if groups:
        tooltip.insert(0, alt.Tooltip("group:N", title=_("group")))
        color = _group_color(groups)
    median = (
        alt.Chart(alt.Data(name="trend"))
        .mark_line(point=True)
        .encode(x=x, y=alt.Y("median_days:Q", title=_("median days")), color=color, tooltip=tooltip)
    )
    layers: list[alt.Chart] = [median]
    if km and not groups:
        layers.append(
            alt.Chart(alt.Data(name="trend"))
            .mark_line(strokeDash=[6, 3], point=alt.OverlayMarkDef(shape="triangle-up"))
            .encode(x=x, y=alt.Y("km_median_days:Q"), color=color, tooltip=tooltip)
        )
    return _finish(alt.layer(*layers).properties(width=WIDTH, height=200))


def trend_counts(
    _: Translator, *, by_label: str, first: str | None, last: str | None
) -> dict[str, Any]:
    """The projects started in each period by status (stacked bars), so that the share
    still open is in view."""
    chart = (
        alt.Chart(alt.Data(name="trend_counts"))
        .mark_bar(orient="vertical", stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X(
                "start:T", scale=time_scale(first, last), axis=time_axis(first, last, by_label)
            ),
            x2="end:T",
            y=alt.Y("count:Q", title=_("projects started"), stack="zero"),
            color=alt.Color(
                "status:N",
                title=_("status"),
                scale=_status_scale(_),
                sort=None,
                legend=_legend(None, entry_width=130),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("period:N", title=by_label),
                alt.Tooltip("status:N", title=_("status")),
                alt.Tooltip("count:Q", title=_("projects"), format=","),
                alt.Tooltip("share:Q", title=_("share"), format=".1%"),
            ],
        )
    )
    return _finish(chart.properties(width=WIDTH, height=160))


def stages(_: Translator, *, groups: list[str]) -> dict[str, Any]:
    """Median days of each transition between consecutive stages, in process order;
    with ``groups`` (those drawn), a bar per group in each transition's row."""
    tooltip = [
        alt.Tooltip("transition:N", title=_("from -> to")),
        alt.Tooltip("count:Q", title=_("projects"), format=","),
        alt.Tooltip("median:Q", title=_("median"), format=","),
        alt.Tooltip("mean:Q", title=_("mean"), format=","),
        alt.Tooltip("p90:Q", title=_("p90"), format=","),
        alt.Tooltip("share:Q", title=_("share of the time"), format=".1%"),
    ]
    encoding: dict[str, Any] = {
        "y": alt.Y(
            "transition:N",
            title=None,
            sort=None,
            axis=alt.Axis(labelLimit=_by_width(120, 260), grid=False),
        ),
        "x": alt.X("median:Q", title=_("median days")),
        "tooltip": tooltip,
    }
    if groups:
        tooltip.insert(0, alt.Tooltip("group:N", title=_("group")))
        encoding["yOffset"] = alt.YOffset("group:N", sort=groups, scale=alt.Scale(domain=groups))
        encoding["color"] = _group_color(groups)
        step = 12  # a bar per group: the step is the group's
    else:
        encoding["color"] = alt.value(ACCENT)
        step = 28
    chart = alt.Chart(alt.Data(name="stages")).mark_bar().encode(**encoding)
    return _finish(chart.properties(width=WIDTH, height=alt.Step(step)))


def timeline(
    _: Translator,
    *,
    stage_labels: list[str],
    names: list[str],
    grouped: bool,
    first: str | None,
    last: str | None,
) -> dict[str, Any]:
    """A dotted chart: one named row per project from its start to its end stage
    (dashed up to the as-of date while open), a dot per recorded stage, a diamond for
    each same-day project (a zero-length line would not show). Names are cut to fit
    beside the rows; the whole name is in the tooltip."""
    y = alt.Y(
        "project:N",
        title=None,
        scale=alt.Scale(domain=names or [""]),
        axis=alt.Axis(labelLimit=_by_width(100, 220), grid=False, labelFontSize=10),
    )
    x_scale = time_scale(first, last)
    x_axis = time_axis(first, last)
    bar_tooltip = [
        alt.Tooltip("project:N", title=_("project")),
        alt.Tooltip("status:N", title=_("status")),
        alt.Tooltip("start:N", title=_("from")),
        alt.Tooltip("end:N", title=_("to")),
        alt.Tooltip("days:Q", title=_("days"), format=","),
        alt.Tooltip("waiting_days:Q", title=_("waiting days"), format=","),
    ]
    if grouped:
        bar_tooltip.insert(1, alt.Tooltip("group:N", title=_("group")))
    bars = (
        alt.Chart(alt.Data(name="timeline"))
        .transform_filter("datum.end != null")
        .transform_calculate(start_time="toDate(datum.start)", end_time="toDate(datum.end)")
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("start_time:T", title=None, scale=x_scale, axis=x_axis),
            x2="end_time:T",
            y=y,
            color=alt.Color(
                "status:N",
                title=_("status"),
                scale=_status_scale(_),
                sort=None,
                legend=_legend(_("status"), entry_width=130),
            ),
            strokeDash=alt.condition(
                "datum.status_code == 'open'", alt.value([3, 3]), alt.value([1, 0])
            ),
            tooltip=bar_tooltip,
        )
    )
    points = (
        alt.Chart(alt.Data(name="timeline_points"))
        .transform_calculate(time="toDate(datum.date)")
        .mark_point(filled=True, size=30, opacity=0.9)
        .encode(
            x=alt.X("time:T", scale=x_scale, axis=x_axis, title=None),
            y=y,
            fill=alt.Fill(
                "stage:N",
                title=_("stage"),
                sort=stage_labels,
                scale=alt.Scale(domain=stage_labels, scheme="tableau10"),
                legend=_legend(_("stage"), entry_width=170),
            ),
            stroke=alt.value(None),
            tooltip=[
                alt.Tooltip("project:N", title=_("project")),
                alt.Tooltip("stage:N", title=_("stage")),
                alt.Tooltip("date:N", title=_("date")),
            ],
        )
    )
    same_day = (
        alt.Chart(alt.Data(name="timeline"), name=SAME_DAY_NAME)
        .transform_filter("datum.same_day")
        .transform_calculate(start_time="toDate(datum.start)")
        .mark_point(shape="diamond", filled=True, size=110, color=SAME_DAY_COLOR)
        .encode(
            x=alt.X("start_time:T", scale=x_scale, axis=x_axis, title=None),
            y=y,
            tooltip=[
                alt.Tooltip("project:N", title=_("project")),
                alt.Tooltip("start:N", title=_("same day")),
            ],
            description=alt.Description("project:N"),
        )
    )
    chart = alt.layer(bars, points, same_day).resolve_scale(color="independent")
    return _finish(chart.properties(width=WIDTH, height=alt.Step(ROW_STEP)))
