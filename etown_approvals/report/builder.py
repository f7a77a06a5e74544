"""The HTML report: one self-contained page (scripts, styles and data inline).

The headline numbers are the ``summary`` command's JSON document, the trend and
stage tables those of ``trend`` and ``stages``: the report calls the same code,
so its figures and the commands' always agree.
"""

from __future__ import annotations

import html
import json
import math
import string
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .. import results as reports
from ..analysis import Analysis
from ..findings import REGISTRY
from ..i18n import (
    FLAG_LABELS,
    PROJECT_PARTS,
    PROJECTS_LINE,
    ROW_PARTS,
    ROWS_LINE,
    STATUS_LABELS,
    UNIT_LABELS,
    Translator,
    plural_translator,
    resolve,
    shown_parts,
    shown_statuses,
    stage_label,
    translator,
)
from ..metrics import STATUSES
from ..validation import duplicate_findings, project_findings
from . import data

TEMPLATE = "template.html.j2"
#: Every chart the page can have, in page order (``groups`` only with ``group_by``).
CHARTS = ("distribution", "groups", "cumulative", "trend", "trend_counts", "stages", "timeline")

#: A Kaplan-Meier curve given as arrays: ``days``, ``survival``, ``ci_low``, ``ci_high``.
Curve = Mapping[str, Sequence[float | None]]


class Report:
    """An HTML report of an :class:`~etown_approvals.Analysis`.

    ``group_by`` compares the groups of an attribute column (the
    :data:`~etown_approvals.report.data.GROUPS_SHOWN` largest are drawn and listed);
    ``by`` is the trend's period (year, quarter, month); ``lang`` the labels' language
    (see :func:`etown_approvals.i18n.resolve`); ``title`` the page's title (default:
    "Approval time: " and the file's name). ``survival=True`` draws the Kaplan-Meier
    curve counting open projects (with its 95% band) beside the curve of complete
    projects, the trend's Kaplan-Meier medians, and, when projects were withdrawn, the
    Aalen-Johansen curves of completion and withdrawal (withdrawal as a competing
    event); a curve of your own may be given as arrays ``{"days", "survival",
    "ci_low", "ci_high"}``, and Aalen-Johansen curves as ``cumulative_incidence``
    ``{"times", "completed", "withdrawn"}`` (:func:`etown_approvals.survival.incidence_curve`).

    >>> report = Report(analyze("data/projects.csv"), lang="zh-CN")
    >>> report.save("report.html")  # doctest: +SKIP
    """

    def __init__(
        self,
        analysis: Analysis,
        *,
        group_by: str | None = None,
        by: str = "year",
        lang: str | None = None,
        survival: bool | Curve = False,
        cumulative_incidence: Mapping[str, Sequence[float]] | None = None,
        timeline_limit: int = data.TIMELINE_LIMIT,
        title: str | None = None,
    ) -> None:
        from .extra import require_extra

        require_extra()
        self.analysis = analysis
        self.group_by = group_by
        self.by = by
        self.lang = resolve(lang)
        self._ = translator(self.lang)
        self.timeline_limit = timeline_limit
        self.summary = reports.summary(analysis, group_by=group_by).document
        self.stages = reports.stages(analysis, group_by=group_by).document
        self.trend = reports.trend(
            analysis, by=by, group_by=group_by, survival=survival is not False
        ).document
        self.as_of = analysis.options.as_of or date.today()
        self.file_name = _file_name(self.summary["source"])
        #: A title of the user's own (the page then names the file below it).
        self.title_given = bool(title and title.strip())
        self.title = (
            title
            if title and title.strip()
            else self._("Approval time: {name}").format(name=self.file_name)
        )
        self.survival: list[dict[str, Any]] | None = None
        self.incidence: dict[str, list[float]] | None = None
        if isinstance(survival, Mapping):
            self.survival = data.survival_curve(survival)
        elif survival:
            self.survival, self.incidence = self._survival_curves()
        if cumulative_incidence is not None:
            self.incidence = data.incidence_curve(cumulative_incidence)

    # -- data -----------------------------------------------------------------

    def _stage(self, stage: str) -> str:
        return stage_label(stage, self._, configured=self.analysis.stages.configured)

    def _survival_curves(
        self,
    ) -> tuple[list[dict[str, Any]], dict[str, list[float]] | None]:
        """The Kaplan-Meier curve of all projects, and the Aalen-Johansen curves of
        completion and withdrawal (None when no project was withdrawn)."""
        from ..survival import incidence_curve, survival_curve

        analysis = self.analysis
        points = survival_curve(analysis.projects, analysis.stages, analysis.options)
        curve = data.survival_curve(
            {
                "days": points["time"],
                "survival": points["survival"],
                "ci_low": points["ci_low"],
                "ci_high": points["ci_high"],
            }
        )
        if not self.summary["projects"].get("withdrawn"):
            return curve, None  # the completion curve would be the Kaplan-Meier one
        incidence = incidence_curve(analysis.projects, analysis.stages, analysis.options)
        last = max((p["days"] for p in curve), default=None)
        return curve, data.incidence_curve(incidence, last)

    @cached_property
    def shown_groups(self) -> tuple[list[Mapping[str, Any]], int, int]:
        """The groups drawn and listed (the most projects first), and how many groups
        and projects are left out."""
        if not self.group_by:
            return [], 0, 0
        return data.top_groups(self.summary["groups"])

    @cached_property
    def _group_names(self) -> list[str | None]:
        return [g["group"] for g in self.shown_groups[0]]

    @cached_property
    def _group_labels(self) -> list[str]:
        """The groups drawn, as labelled in the charts."""
        return [self._label(name) for name in self._group_names]

    def _label(self, group: str | None) -> str:
        return _group(group, self._)

    def datasets(self) -> dict[str, list[dict[str, Any]]]:
        """The data every chart draws, by dataset name."""
        _ = self._
        out: dict[str, list[dict[str, Any]]] = {}
        everything = self.complete_days
        out["histogram"] = [
            {
                "label": _bin_label(b),
                "count": b.count,
                "share": None if everything.size == 0 else round(b.count / everything.size, 4),
                "kind": "same_day" if b.high == 0 else "tail" if b.high is None else "days",
            }
            for b in self.histogram
        ]
        if self.group_by:
            out["groups"] = [
                {
                    "group": self._label(g["group"]),
                    "projects": g["projects"]["total"],
                    "complete": g["projects"]["complete"],
                    **{k: g["days"][k] for k in ("p25", "median", "p75", "p90")},
                }
                for g in self.shown_groups[0]
                if g["days"]["count"]
            ]
        series = self.curve_series
        curves = [{"series": series["ecdf"], **point} for point in data.ecdf(everything)]
        if self.survival is not None:
            curves += [
                {"series": series["km"], "days": p["days"], "share": p["done"]}
                for p in self.survival
            ]
            out["survival_band"] = [
                {"days": p["days"], "low": p["done_low"], "high": p["done_high"]}
                for p in self.survival
            ]
        if self.incidence is not None:
            incidence = self.incidence
            for key in ("completed", "withdrawn"):
                curves += [
                    {"series": series[key], "days": d, "share": s}
                    for d, s in zip(incidence["days"], incidence[key], strict=True)
                ]
        out["curves"] = curves
        out["trend"], out["trend_counts"] = self._trend_rows()
        shown = set(self._group_names)
        out["stages"] = [
            {
                "transition": f"{self._stage(row['from'])} → {self._stage(row['to'])}",
                **{k: row[k] for k in ("count", "median", "mean", "p90", "share")},
                **({"group": self._label(row["group"])} if self.group_by else {}),
            }
            for row in self.stages["transitions"]
            if not self.group_by or row["group"] in shown
        ]
        timeline = self.timeline
        out["timeline"] = timeline.bars
        out["timeline_points"] = timeline.points
        return out

    @cached_property
    def curve_series(self) -> dict[str, str]:
        """The cumulative chart's curves: key -> label shown."""
        _ = self._
        series = {"ecdf": _("complete projects only")}
        if self.survival is not None:
            series["km"] = _("counting open projects (Kaplan-Meier)")
        if self.incidence is not None:
            series["completed"] = _("withdrawn projects counted as ended (Aalen-Johansen)")
            series["withdrawn"] = _("withdrawn (Aalen-Johansen)")
        return series

    @cached_property
    def periods(self) -> dict[str, tuple[str, str]]:
        """Each period's first day and the next period's first day (ISO)."""
        start = self.trend.get("fiscal_year_start", 1)
        labels = dict.fromkeys(row["period"] for row in self.trend["periods"])
        return {label: data.period_span(label, self.by, start) for label in labels}

    def _trend_rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The medians per period (and group), and the projects started per period by
        status (all groups together)."""
        shown = set(self._group_names)
        spans = self.periods
        lines: list[dict[str, Any]] = []
        totals: dict[str, dict[str, int]] = {}
        for row in self.trend["periods"]:
            period = row["period"]
            counted = totals.setdefault(period, dict.fromkeys(STATUSES, 0))
            for status in STATUSES:
                counted[status] += row.get(status, 0)
            if self.group_by and row["group"] not in shown:
                continue
            total = row["projects"]
            first, after = spans[period]
            lines.append(
                {
                    **{k: row[k] for k in ("period", "median_days", "complete", "open")},
                    **(
                        {"km_median_days": row["km_median_days"]} if "km_median_days" in row else {}
                    ),
                    **({"group": self._label(row["group"])} if self.group_by else {}),
                    "mid": _middle(first, after),
                    "open_share": None if total == 0 else round(row["open"] / total, 4),
                }
            )
        counts = []
        for period, counted in totals.items():
            total = sum(counted.values())
            first, after = spans[period]
            for order, status in enumerate(STATUSES):
                if status == "withdrawn" and not counted[status]:
                    continue
                counts.append(
                    {
                        "period": period,
                        "start": first,
                        "end": after,
                        "status": self._(STATUS_LABELS[status]),
                        "order": order,
                        "count": counted[status],
                        "share": None if total == 0 else round(counted[status] / total, 4),
                    }
                )
        return lines, counts

    @cached_property
    def complete_days(self) -> np.ndarray:
        """The days of every complete project."""
        return data.complete_days(self.analysis.projects)

    @cached_property
    def bins(self) -> data.Bins:
        """Histogram bins of all complete projects."""
        return data.bins_for(self.complete_days)

    @cached_property
    def histogram(self) -> list[data.Bin]:
        """The histogram's bins of days."""
        return data.histogram(self.complete_days, self.bins)

    @cached_property
    def bin_labels(self) -> list[str]:
        """Each bin's label."""
        return [_bin_label(b) for b in self.histogram]

    @cached_property
    def timeline(self) -> data.Timeline:
        """The projects the timeline draws (a sample above ``timeline_limit``)."""
        stages = self.analysis.stages
        # The file's column for the colours, apart from the computed ones.
        groups = self.analysis.group_keys(self.group_by) if self.group_by else None
        timeline = data.timeline(
            self.analysis.projects,
            stages,
            self.as_of,
            labels={s: self._stage(s) for s in stages.stages},
            groups=groups,
            limit=self.timeline_limit,
        )
        for bar in timeline.bars:
            bar["status_code"] = bar["status"]
            bar["status"] = self._(STATUS_LABELS[bar["status"]])
            if self.group_by:
                bar["group"] = self._label(bar["group"])
        return timeline

    def _curve_end(self, datasets: dict[str, list[dict[str, Any]]]) -> float | None:
        """The longest time observed: where the cumulative chart's axis ends."""
        return max((row["days"] for row in datasets["curves"]), default=None)

    def _period_range(self) -> tuple[str | None, str | None]:
        spans = list(self.periods.values())
        if not spans:
            return None, None
        return min(s[0] for s in spans), max(s[1] for s in spans)

    def charts(self) -> dict[str, dict[str, Any]]:
        """Each chart's Vega-Lite specification, with its data, in page order."""
        from . import charts

        _ = self._
        datasets = self.datasets()
        timeline = self.timeline
        first, last = self._period_range()
        unit = _(UNIT_LABELS.get(self.summary["metric"]["unit"], self.summary["metric"]["unit"]))
        specs: dict[str, dict[str, Any]] = {
            "distribution": charts.distribution(self.bin_labels, _),
        }
        if self.group_by:
            specs["groups"] = charts.groups(_, unit_label=unit)
        specs["cumulative"] = charts.cumulative(
            _,
            series=self.curve_series if datasets["curves"] else {},
            band=self.survival is not None,
            last=self._curve_end(datasets),
        )
        specs["trend"] = charts.trend(
            _,
            by_label=_(self.by),
            groups=self._group_labels,
            km=any("km_median_days" in row for row in datasets["trend"]),
            first=first,
            last=last,
        )
        specs["trend_counts"] = charts.trend_counts(_, by_label=_(self.by), first=first, last=last)
        specs["stages"] = charts.stages(_, groups=self._group_labels)
        specs["timeline"] = charts.timeline(
            _,
            stage_labels=[self._stage(s) for s in self.analysis.stages.stages],
            names=[bar["project"] for bar in timeline.bars],
            grouped=self.group_by is not None,
            first=timeline.first,
            last=timeline.last,
        )
        for spec in specs.values():
            names = _dataset_names(spec)
            spec["datasets"] = {name: datasets[name] for name in sorted(names)}
        return specs

    def quality(self) -> data.Quality:
        """Rejected rows, invalid projects and warnings of the analysed file."""
        loaded = self.analysis.loaded
        parts = [
            loaded.findings,
            project_findings(self.analysis.projects, loaded.stages),
            duplicate_findings(self.analysis.events),  # as known on --as-of
        ]
        found = pd.concat([p for p in parts if len(p)] or [parts[0]], ignore_index=True)
        found["row"] = found["row"].astype("Int64")
        found = found.sort_values(["row", "type"], kind="stable", na_position="last")
        return data.quality(found, loaded.notes)

    def finding_types(self) -> dict[str, dict[str, Any]]:
        """Each finding type's title and meaning, in the page's language (a meaning's
        `quoted` words, codes and options, as code)."""
        _ = self._
        return {
            code: {"title": _(kind.title), "description": _quoted_as_code(_(kind.description))}
            for code, kind in REGISTRY.items()
        }

    # -- page -----------------------------------------------------------------

    def context(self) -> dict[str, Any]:
        """Everything the page template shows."""
        _ = self._
        doc = self.summary
        metric = doc["metric"]
        analysis = self.analysis
        timeline = self.timeline
        # The projects measured before the window (as known on --as-of).
        in_file = len(analysis.events["project"].cat.categories)
        unit = UNIT_LABELS.get(metric["unit"], metric["unit"])
        shown, more_groups, more_projects = self.shown_groups
        same_day = doc["same_day"]["projects"][: reports.FLAGGED_SHOWN]
        return {
            "lang": self.lang,
            "version": __version__,
            "title": self.title,
            "title_given": self.title_given,
            "file_name": self.file_name,
            "source": doc["source"],
            "start": self._stage(metric["from"]),
            "end": self._stage(metric["to"]),
            "unit": _(unit),
            "workdays": metric["unit"] == "workdays",
            "calendar": metric.get("calendar"),
            "unofficial_years": metric.get("unofficial_years") or [],
            "as_of": self.as_of.isoformat(),
            "window": doc.get("window"),
            "summary": doc,
            "headline": _headline(doc, _),
            "counts_lines": _counts_lines(doc, _),
            "stats": _stats(doc["days"]),
            "groups": _groups(shown, doc["fast_track"]["max_days"], _) if self.group_by else None,
            "more_groups": more_groups,
            "more_groups_projects": more_projects,
            "group_names": set(self._group_names),
            "group_by": self.group_by,
            "same_day_names": [(data.cut(str(n)), str(n)) for n in same_day],
            "same_day_more": max(0, doc["same_day"]["count"] - reports.FLAGGED_SHOWN),
            "fast_track_days": doc["fast_track"]["max_days"],
            "trend": self.trend,
            "by": _(self.by),
            "transitions": [
                {**row, "label": f"{self._stage(row['from'])} → {self._stage(row['to'])}"}
                for row in self.stages["transitions"]
                if not self.group_by or row["group"] in set(self._group_names)
            ],
            "timeline_total": timeline.total,
            "timeline_shown": len(timeline.bars),
            "timeline_sampled": timeline.sampled,
            "timeline_limit": self.timeline_limit,
            "survival": self.survival is not None,
            "incidence": self.incidence is not None,
            "overflow": self._overflow(),
            "chart_names": list(self.charts_present()),
            "quality": self.quality(),
            "finding_types": self.finding_types(),
            "outside_window": max(0, in_file - len(analysis.projects)),
            "snapshot_events": analysis.snapshot.events_after if analysis.snapshot else 0,
            "snapshot_projects": analysis.snapshot.projects_after if analysis.snapshot else 0,
            "undated": self.trend["undated_projects"],
            "flag_labels": {k: _(v) for k, v in FLAG_LABELS.items()},
            "validate_command": _command("validate", self.file_name),
            "summary_command": "etown summary --json",
            "groups_command": _command(
                "summary", self.file_name, "--group-by", self.group_by or ""
            ),
            "with_code": with_code,
            "code": code,
            "fmt": fmt,
            "share": fmt_share,
            "cut": data.cut,
            "value_chars": data.VALUE_CHARS,
            "value_json": _value_json,
            "rows_open": TABLE_ROWS_OPEN,
        }

    def _overflow(self) -> dict[str, int] | None:
        """The histogram's last bar when it holds the long tail: from how many days, and
        how many projects."""
        last = self.histogram[-1]
        if last.high is not None:
            return None
        return {"low": last.low, "count": last.count}

    def charts_present(self) -> tuple[str, ...]:
        """The charts this page draws, in page order."""
        return tuple(name for name in CHARTS if name != "groups" or self.group_by)

    def to_html(self) -> str:
        """The report as one HTML document, loading nothing from the network."""
        import jinja2

        from . import bundle

        specs = self.charts()
        environment = jinja2.Environment(
            loader=jinja2.PackageLoader("etown_approvals.report", "."),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.globals["_"] = self._
        environment.globals["ngettext"] = plural_translator(self.lang)
        template = environment.get_template(TEMPLATE)
        return template.render(
            **self.context(),
            specs={name: script_json(spec) for name, spec in specs.items()},
            locale=script_json(_embed_locale(self.lang, self._)),
            summary_json=script_json(self.summary),
            vega_script=bundle.script(),
            style=bundle.style(),
            page_script=bundle.page_script(),
        )

    def save(self, path: str | Path) -> Path:
        """Write the report to ``path`` (UTF-8) and return the path."""
        target = Path(path)
        target.write_text(self.to_html(), encoding="utf-8")
        return target

    def assets(self, folder: str | Path, *, width: int | None = None) -> list[Path]:
        """Write each chart as ``<name>.svg`` and ``<name>.png`` into ``folder`` (made if
        needed), drawn offline by vl-convert at ``width`` pixels (default
        :data:`~etown_approvals.report.charts.ASSET_WIDTH`), the PNG at twice that
        for print. Returns the files written, in page order."""
        from ..output import check_folder, open_output
        from . import charts

        target = Path(folder)
        check_folder(str(target), option="assets")
        written = []
        for name, spec in self.charts().items():
            svg, png = render_chart(spec, self.lang, width or charts.ASSET_WIDTH)
            for suffix, content in ((".svg", svg.encode("utf-8")), (".png", png)):
                path = target / f"{name}{suffix}"
                with open_output(str(path), binary=True, option="--assets") as stream:
                    stream.write(content)
                written.append(path)
        return written

    def _repr_html_(self) -> str:
        """The report in a Jupyter notebook: in an iframe, so that its styles and
        scripts stay apart from the notebook's."""
        page = html.escape(self.to_html(), quote=True)
        return (
            f'<iframe srcdoc="{page}" style="width:100%;height:900px;border:0" '
            'sandbox="allow-scripts allow-downloads"></iframe>'
        )


#: A table under a chart with more rows than this starts folded (one click opens it).
TABLE_ROWS_OPEN = 12


def render_chart(spec: dict[str, Any], lang: str, width: int) -> tuple[str, bytes]:
    """One chart as SVG text and PNG bytes, drawn by vl-convert with no network access
    (no base URL is allowed), ``width`` pixels wide."""
    import vl_convert

    fixed = {**spec, "width": width}
    locale: dict[str, Any] = {"allowed_base_urls": []}
    time_locale = _time_locale(lang)
    if time_locale is not None:
        locale["time_format_locale"] = time_locale
    svg: str = vl_convert.vegalite_to_svg(fixed, **locale)
    png: bytes = vl_convert.vegalite_to_png(fixed, scale=2, **locale)
    return svg, png


def script_json(value: Any) -> str:
    """``value`` as strict JSON that is safe inside a ``<script>`` element: ``<``, ``>``
    and ``&`` escaped, so a project named ``</script>`` ends nothing."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _dataset_names(spec: Any) -> set[str]:
    """Names of the datasets a specification reads (``{"data": {"name": ...}}``)."""
    names: set[str] = set()
    if isinstance(spec, dict):
        if isinstance(spec.get("data"), dict) and "name" in spec["data"]:
            names.add(spec["data"]["name"])
        for value in spec.values():
            names |= _dataset_names(value)
    elif isinstance(spec, list):
        for value in spec:
            names |= _dataset_names(value)
    return names


def _command(*words: str) -> str:
    """An etown command line, each word quoted for a POSIX shell where needed."""
    import shlex

    return " ".join(["etown", *(shlex.quote(w) for w in words)])


def code(text: str) -> Any:
    """``text`` as an HTML ``<code>`` element (escaped)."""
    from markupsafe import Markup

    return Markup("<code>{}</code>").format(text)


def with_code(template: str, **values: Any) -> Any:
    """A translated ``template`` (escaped) with ``values`` put in; a value made by
    :func:`code` stays an element, any other is escaped."""
    from markupsafe import Markup, escape

    return Markup(escape(template)).format(**values)


def _quoted_as_code(text: str) -> Any:
    """``text`` escaped, each `quoted` part an HTML ``<code>`` element."""
    import re

    from markupsafe import Markup, escape

    parts = re.split(r"`([^`]*)`", text)
    return Markup("").join(
        code(part) if index % 2 else escape(part) for index, part in enumerate(parts)
    )


def _file_name(source: str) -> str:
    """The name of the input file without its folders (``-``: standard input)."""
    if source == "-":
        return source
    name = source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return name.split("?", 1)[0] or source


def _middle(first: str, after: str) -> str:
    """The day halfway through a period (ISO): where its point is drawn."""
    low, high = date.fromisoformat(first), date.fromisoformat(after)
    return date.fromordinal((low.toordinal() + high.toordinal()) // 2).isoformat()


def _bin_label(b: data.Bin) -> str:
    if b.high is None:
        return f"≥{b.low:,}"
    if b.high == b.low:
        return f"{b.low:,}"
    return f"{b.low:,}-{b.high:,}"


def _group(value: str | None, _: Translator) -> str:
    return _("(none)") if value is None else value


def fmt(value: Any) -> str:
    """A number as the report shows it: thousands separated, at most 2 decimals."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def fmt_share(value: float | None) -> str:
    """A share as a percentage with one decimal (``-`` when missing)."""
    return "-" if value is None else f"{value:.1%}"


def _value_json(value: Any) -> str:
    return json.dumps(value, allow_nan=False)


def _headline(doc: dict[str, Any], _: Translator) -> list[dict[str, Any]]:
    """The big numbers at the top, each tied to its key in the summary JSON."""
    projects, days, same, fast = doc["projects"], doc["days"], doc["same_day"], doc["fast_track"]
    complete = projects["complete"]
    cards = [
        {
            "label": _("median days"),
            "key": "days.median",
            "value": days["median"],
            "text": fmt(days["median"]),
            "detail": _("over {count} complete projects").format(count=fmt(complete)),
        },
        {
            "label": _("same day"),
            "key": "same_day.count",
            "value": same["count"],
            "text": fmt(same["count"]),
            "detail": _("{share} of complete projects").format(share=fmt_share(same["share"])),
            "detail_key": "same_day.share",
            "detail_value": same["share"],
        },
        {
            "label": _("Within {days} days").format(days=fast["max_days"]),
            "key": "fast_track.count",
            "value": fast["count"],
            "text": fmt(fast["count"]),
            "detail": _("{share} of complete projects").format(share=fmt_share(fast["share"])),
            "detail_key": "fast_track.share",
            "detail_value": fast["share"],
        },
        {
            "label": _("p90 days"),
            "key": "days.p90",
            "value": days["p90"],
            "text": fmt(days["p90"]),
            "detail": _("9 in 10 complete projects took at most this long"),
        },
    ]
    target = doc.get("target")
    if target:
        cards.append(
            {
                "label": _("Within {days} workdays").format(days=target["workdays"]),
                "key": "target.met",
                "value": target["met"],
                "text": fmt(target["met"]),
                "detail": _("{share} of complete projects").format(
                    share=fmt_share(target["share_met"])
                ),
                "detail_key": "target.share_met",
                "detail_value": target["share_met"],
            }
        )
    return cards


def _counts_lines(doc: dict[str, Any], _: Translator) -> list[tuple[str, Any]]:
    """The projects and rows lines, each number in an element tied to its JSON key, in
    the translation's word order."""
    from markupsafe import Markup, escape

    def number(section: str, name: str) -> Markup:
        value = doc[section][name]
        return Markup('<span data-key="{}" data-value="{}">{}</span>').format(
            f"{section}.{name}", _value_json(value), fmt(value)
        )

    def line(section: str, first: str, parts: Mapping[str, str]) -> Markup:
        """The first part's numbers, then every other count that is not zero."""
        text = Markup(escape(_(first)))
        keys = [name for _literal, name, _spec, _conv in string.Formatter().parse(first) if name]
        out = text.format(**{k: number(section, k) for k in keys})
        for key, message in shown_parts(doc[section], parts):
            out += Markup(escape(_(message))).format(count=number(section, key))
        return out

    return [
        (_("Projects"), line("projects", PROJECTS_LINE, PROJECT_PARTS)),
        (_("Rows"), line("rows", ROWS_LINE, ROW_PARTS)),
    ]


STAT_KEYS = ("count", "min", "p25", "median", "mean", "p75", "p90", "max")


def _stats(days: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"key": f"days.{k}", "name": k, "value": days[k], "text": fmt(days[k])} for k in STAT_KEYS
    ]


def _groups(
    shown: Sequence[Mapping[str, Any]], fast_track_days: int, _: Translator
) -> dict[str, Any]:
    """The largest groups, one row each: projects, their statuses (complete and open,
    invalid and withdrawn where a group has any, so that a row adds up), median, p90,
    same-day and fast-track shares."""
    statuses = shown_statuses(shown)
    headers = [
        _("projects"),
        *(_(STATUS_LABELS[status]) for status in statuses),
        _("median days"),
        _("p90 days"),
        _("same day"),
        _("within {days} days").format(days=fast_track_days),
    ]
    rows = [
        (
            _group(g["group"], _),
            [
                fmt(g["projects"]["total"]),
                *(fmt(g["projects"][status]) for status in statuses),
                fmt(g["days"]["median"]),
                fmt(g["days"]["p90"]),
                fmt_share(g["same_day"]["share"]),
                fmt_share(g["fast_track"]["share"]),
            ],
        )
        for g in shown
    ]
    return {"headers": headers, "rows": rows}


@cache
def _time_locale(lang: str) -> dict[str, Any] | None:
    if lang == "en":
        return None
    import vl_convert

    locale: dict[str, Any] = vl_convert.get_time_format_locale(lang)  # type: ignore[arg-type]
    return locale


def _embed_locale(lang: str, _: Translator) -> dict[str, Any]:
    """Options of vega-embed for the language: date names and the menu's labels."""
    return {
        "time": _time_locale(lang),
        "menu": {"PNG_ACTION": _("Save as PNG"), "SVG_ACTION": _("Save as SVG")},
    }
