"""Vega-Lite specifications of the report's charts, built with altair.

Each chart reads a *named* dataset (``alt.Data(name=...)``); the builder adds the
data to the specification afterwards. So altair validates the small spec, never
thousands of data rows, and the same spec serves any number of projects.
Every label a reader sees goes through the translator ``_``.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from ..i18n import Translator

#: Colours of project statuses, the same in every chart.
STATUS_COLORS = {"complete": "#2f7d4f", "open": "#d08a1c", "invalid": "#b03a2e"}
SAME_DAY_COLOR = "#7b2fbe"
#: Marks of the timeline's same-day layer carry this name (the SVG class ``same_day_marks``).
SAME_DAY_NAME = "same_day"

FONT = (
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'Source Han Sans SC', "
    "'PingFang SC', 'Microsoft YaHei', sans-serif"
)

#: Vega-Lite config shared by every chart.
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "grid": True, "gridColor": "#eee"},
    "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom", "labelLimit": 360},
    "title": {"fontSize": 13, "anchor": "start"},
}

WIDTH: Any = "container"
#: Width of each panel when groups are drawn side by side (containers cannot be shared).
PANEL_WIDTH = 260


def _finish(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict()  # validates against the Vega-Lite schema
    spec.pop("$schema", None)  # a URL; the bundled Vega-Lite needs none
    spec["config"] = CONFIG
    return spec


def _status_scale(_: Translator) -> alt.Scale:
    return alt.Scale(
        domain=[_(k) for k in STATUS_COLORS],
        range=list(STATUS_COLORS.values()),
    )


def _side_by_side(panel: alt.Chart, grouped: bool, _: Translator) -> alt.TopLevelMixin:
    """One panel, or one per group side by side (wrapping after three)."""
    if not grouped:
        return panel.properties(width=WIDTH)
    return (
        panel.properties(width=PANEL_WIDTH)
        .facet(
            facet=alt.Facet("group:N", title=None, sort=None, header=alt.Header(labelFontSize=12)),
            columns=3,
        )
        .resolve_scale(y="shared")
    )


def distribution(bin_labels: list[str], _: Translator, *, grouped: bool) -> dict[str, Any]:
    """Histogram of days of complete projects; the same-day bin in its own colour."""
    bars = (
        alt.Chart(alt.Data(name="histogram"))
        .mark_bar()
        .encode(
            x=alt.X("label:O", sort=bin_labels, title=_("days"), axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("count:Q", title=_("complete projects")),
            color=alt.condition(
                "datum.same_day", alt.value(SAME_DAY_COLOR), alt.value(STATUS_COLORS["complete"])
            ),
            tooltip=[
                alt.Tooltip("label:N", title=_("days")),
                alt.Tooltip("count:Q", title=_("projects"), format=","),
                alt.Tooltip("share:Q", title=_("share"), format=".1%"),
            ],
        )
        .properties(height=220)
    )
    return _finish(_side_by_side(bars, grouped, _))


def cumulative(
    _: Translator, *, survival: bool, empty: bool, incidence: bool = False
) -> dict[str, Any]:
    """Share of projects with the end stage within N days: over complete projects
    (the empirical curve), and, when ``survival``, counting the projects still
    waiting (Kaplan-Meier, with its 95% band); when ``incidence``, also counting
    withdrawn projects as ended without it (Aalen-Johansen, dotted). ``empty``: no
    curve has a point (an axis without data would be infinitely long)."""
    share_axis = alt.Axis(format="%")
    days_scale = alt.Scale(domain=[0, 1]) if empty else alt.Undefined
    ecdf = (
        alt.Chart(alt.Data(name="ecdf"))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("days:Q", title=_("days"), scale=days_scale),
            y=alt.Y(
                "share:Q", title=_("share done"), axis=share_axis, scale=alt.Scale(domain=[0, 1])
            ),
            # (a legend without entries would have no finite size either)
            color=alt.Color(
                "series:N",
                title=None,
                legend=None if empty else alt.Legend(orient="bottom"),
                sort=None,
            ),
            tooltip=[
                alt.Tooltip("series:N", title=" "),
                alt.Tooltip("days:Q", title=_("days"), format=","),
                alt.Tooltip("share:Q", title=_("share done"), format=".1%"),
            ],
        )
    )
    layers: list[alt.Chart] = [ecdf]
    if survival:
        band = (
            alt.Chart(alt.Data(name="survival"))
            .mark_area(interpolate="step-after", opacity=0.2)
            .encode(x="days:Q", y="done_low:Q", y2="done_high:Q", color=alt.Color("series:N"))
        )
        curve = (
            alt.Chart(alt.Data(name="survival"))
            .mark_line(interpolate="step-after", strokeDash=[6, 3])
            .encode(
                x="days:Q",
                y=alt.Y("done:Q"),
                color=alt.Color("series:N"),
                tooltip=[
                    alt.Tooltip("series:N", title=" "),
                    alt.Tooltip("days:Q", title=_("days"), format=","),
                    alt.Tooltip("done:Q", title=_("share done"), format=".1%"),
                    alt.Tooltip("done_low:Q", title=_("95% CI, low"), format=".1%"),
                    alt.Tooltip("done_high:Q", title=_("95% CI, high"), format=".1%"),
                ],
            )
        )
        layers = [band, curve, ecdf]
    if incidence:
        layers.append(
            alt.Chart(alt.Data(name="incidence"))
            .mark_line(interpolate="step-after", strokeDash=[2, 2])
            .encode(
                x="days:Q",
                y=alt.Y("done:Q"),
                color=alt.Color("series:N"),
                tooltip=[
                    alt.Tooltip("series:N", title=" "),
                    alt.Tooltip("days:Q", title=_("days"), format=","),
                    alt.Tooltip("done:Q", title=_("share done"), format=".1%"),
                ],
            )
        )
    # with groups, each group's curve in one panel, told apart by colour
    return _finish(alt.layer(*layers).properties(width=WIDTH, height=220))


def trend(_: Translator, *, by_label: str, grouped: bool, km: bool) -> dict[str, Any]:
    """Median days per period (a line), and the projects started in each period by
    status (stacked bars), so that the share still open is in view."""
    x = alt.X("period:O", title=by_label, sort=None, axis=alt.Axis(labelAngle=0))
    median_tooltip = [
        alt.Tooltip("period:N", title=by_label),
        alt.Tooltip("median_days:Q", title=_("median days"), format=","),
        alt.Tooltip("complete:Q", title=_("complete"), format=","),
        alt.Tooltip("open:Q", title=_("open"), format=","),
        alt.Tooltip("open_share:Q", title=_("open share"), format=".1%"),
    ]
    if grouped:
        median_tooltip.insert(0, alt.Tooltip("group:N", title=_("group")))
    color = alt.Color("group:N", title=None, sort=None) if grouped else alt.value("#1f5f99")
    median = (
        alt.Chart(alt.Data(name="trend"))
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("median_days:Q", title=_("median days")),
            color=color,
            tooltip=median_tooltip,
        )
    )
    top: Any = median
    if km:
        km_line = (
            alt.Chart(alt.Data(name="trend"))
            .mark_line(point=True, strokeDash=[6, 3])
            .encode(
                x=x,
                y=alt.Y("km_median_days:Q"),
                color=color,
                tooltip=[
                    alt.Tooltip("period:N", title=by_label),
                    alt.Tooltip(
                        "km_median_days:Q", title=_("median counting open projects"), format=","
                    ),
                ],
            )
        )
        top = alt.layer(median, km_line)
    counts_encoding: dict[str, Any] = {
        "x": x,
        "y": alt.Y("count:Q", title=_("projects started"), stack="zero"),
        "color": alt.Color("status:N", title=_("status"), scale=_status_scale(_), sort=None),
        "order": alt.Order("order:Q"),
        "tooltip": [
            alt.Tooltip("period:N", title=by_label),
            alt.Tooltip("status:N", title=_("status")),
            alt.Tooltip("count:Q", title=_("projects"), format=","),
            alt.Tooltip("share:Q", title=_("share"), format=".1%"),
        ],
    }
    if grouped:
        counts_encoding["tooltip"].insert(0, alt.Tooltip("group:N", title=_("group")))
    counts = alt.Chart(alt.Data(name="trend_counts")).mark_bar().encode(**counts_encoding)
    if grouped:
        # medians of all groups in one panel to compare; counts per group side by side
        chart = alt.vconcat(
            top.properties(width=PANEL_WIDTH * 3, height=180),
            counts.properties(width=PANEL_WIDTH, height=120).facet(
                facet=alt.Facet("group:N", title=None, sort=None), columns=3
            ),
            spacing=16,
        )
    else:
        chart = alt.vconcat(
            top.properties(width=WIDTH, height=180),
            counts.properties(width=WIDTH, height=150),
            spacing=12,
        )
    # group colours above, status colours below: two scales, not one
    spec = _finish(chart.resolve_scale(color="independent"))
    if not grouped:
        # the container's width includes the padding, as for the single views
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def stages(_: Translator, *, grouped: bool, bars: int) -> dict[str, Any]:
    """Median days of each transition between consecutive stages, in process order."""
    tooltip = [
        alt.Tooltip("transition:N", title=_("from -> to")),
        alt.Tooltip("count:Q", title=_("projects"), format=","),
        alt.Tooltip("median:Q", title=_("median"), format=","),
        alt.Tooltip("mean:Q", title=_("mean"), format=","),
        alt.Tooltip("p90:Q", title=_("p90"), format=","),
        alt.Tooltip("share:Q", title=_("share of the time"), format=".1%"),
    ]
    encoding: dict[str, Any] = {
        "y": alt.Y("transition:N", title=None, sort=None, axis=alt.Axis(labelLimit=220)),
        "x": alt.X("median:Q", title=_("median days")),
        "tooltip": tooltip,
    }
    if grouped:
        tooltip.insert(0, alt.Tooltip("group:N", title=_("group")))
        encoding["yOffset"] = alt.YOffset("group:N", sort=None)
        encoding["color"] = alt.Color("group:N", title=None, sort=None)
    else:
        encoding["color"] = alt.value("#1f5f99")
    chart = alt.Chart(alt.Data(name="stages")).mark_bar().encode(**encoding)
    return _finish(chart.properties(width=WIDTH, height=max(bars, 1) * (28 if not grouped else 14)))


def timeline(
    _: Translator, *, stage_labels: list[str], projects: int, grouped: bool
) -> dict[str, Any]:
    """A dotted chart: one line per project from its start to its end stage (dashed up
    to the as-of date while open), a dot per recorded stage, a diamond for each
    same-day project (a zero-length line would not show). Names on hover."""
    y = alt.Y(
        "rank:Q",
        axis=None,
        scale=alt.Scale(
            domain=[-0.5, max(projects, 1) - 0.5], reverse=True, nice=False, zero=False
        ),
    )
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
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("start:T", title=None, axis=alt.Axis(labelOverlap=True)),
            x2="end:T",
            y=y,
            color=alt.Color("status:N", title=_("status"), scale=_status_scale(_), sort=None),
            strokeDash=alt.condition(
                "datum.status_code == 'open'", alt.value([3, 3]), alt.value([1, 0])
            ),
            tooltip=bar_tooltip,
        )
        .transform_filter("datum.end != null")
    )
    points = (
        alt.Chart(alt.Data(name="timeline_points"))
        .mark_point(filled=True, size=28, opacity=0.9)
        .encode(
            x="date:T",
            y=y,
            fill=alt.Fill(
                "stage:N",
                title=_("stage"),
                sort=stage_labels,
                scale=alt.Scale(domain=stage_labels, scheme="tableau10"),
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
        .mark_point(shape="diamond", filled=True, size=110, color=SAME_DAY_COLOR)
        .encode(
            x="start:T",
            y=y,
            tooltip=[
                alt.Tooltip("project:N", title=_("project")),
                alt.Tooltip("start:N", title=_("same day")),
            ],
            description=alt.Description("project:N"),
        )
        .transform_filter("datum.same_day")
    )
    height = min(max(projects * 12, 160), 640)
    chart = alt.layer(bars, points, same_day).resolve_scale(color="independent")
    return _finish(chart.properties(width=WIDTH, height=height))
