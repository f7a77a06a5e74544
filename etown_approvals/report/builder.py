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

import pandas as pd

from .. import __version__
from .. import results as reports
from ..analysis import Analysis
from ..i18n import (
    FLAG_LABELS,
    PROJECT_PARTS,
    PROJECTS_LINE,
    ROW_PARTS,
    ROWS_LINE,
    STATUS_LABELS,
    UNIT_LABELS,
    Translator,
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
#: The chart sections, in page order.
CHARTS = ("distribution", "cumulative", "trend", "stages", "timeline")


class Report:
    """An HTML report of an :class:`~etown_approvals.Analysis`.

    ``group_by`` draws the groups of an attribute column side by side; ``by`` is the
    trend's period (year, quarter, month); ``lang`` the labels' language (see
    :func:`etown_approvals.i18n.resolve`); ``survival`` a Kaplan-Meier curve as arrays
    ``{"days", "survival", "ci_low", "ci_high"}``, drawn with the distribution;
    ``cumulative_incidence`` the Aalen-Johansen curve ``{"times", "completed",
    "withdrawn"}`` (:func:`etown_approvals.survival.incidence_curve`), drawn beside it
    when projects were withdrawn.

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
        survival: Mapping[str, Sequence[float | None]] | None = None,
        cumulative_incidence: Mapping[str, Sequence[float]] | None = None,
        timeline_limit: int = data.TIMELINE_LIMIT,
    ) -> None:
        from . import require_extra

        require_extra()
        self.analysis = analysis
        self.group_by = group_by
        self.by = by
        self.lang = resolve(lang)
        self._ = translator(self.lang)
        self.survival = None if survival is None else data.survival_curve(survival)
        self.incidence = (
            None if cumulative_incidence is None else data.incidence_curve(cumulative_incidence)
        )
        self.timeline_limit = timeline_limit
        self.summary = reports.summary(analysis, group_by=group_by).document
        self.stages = reports.stages(analysis, group_by=group_by).document
        self.trend = reports.trend(analysis, by=by, group_by=group_by).document
        self.as_of = analysis.options.as_of or date.today()

    # -- data -----------------------------------------------------------------

    def _stage(self, stage: str) -> str:
        return stage_label(stage, self._, configured=self.analysis.stages.configured)

    def _parts(self) -> list[tuple[str | None, pd.DataFrame]]:
        return self.analysis.grouped(self.group_by)

    def datasets(self) -> dict[str, list[dict[str, Any]]]:
        """The data every chart draws, by dataset name."""
        _ = self._
        bins = self.bins
        histogram, ecdf = [], []
        for group, part in self._parts():
            days = data.complete_days(part)
            for b in data.histogram(days, bins):
                row = {
                    "label": _bin_label(b),
                    "count": b.count,
                    "share": None if days.size == 0 else round(b.count / days.size, 4),
                    "same_day": b.high == 0,
                }
                if self.group_by:
                    row["group"] = _group(group, _)
                histogram.append(row)
            series = _group(group, _) if self.group_by else _("complete projects only")
            ecdf += [{"series": series, **point} for point in data.ecdf(days)]
        out: dict[str, list[dict[str, Any]]] = {"histogram": histogram, "ecdf": ecdf}
        if self.survival is not None:
            series = _("counting open projects (Kaplan-Meier)")
            out["survival"] = [{"series": series, **point} for point in self.survival]
        if self.incidence is not None:
            series = _("withdrawn projects counted as ended (Aalen-Johansen)")
            out["incidence"] = [{"series": series, **point} for point in self.incidence]
        out["trend"], out["trend_counts"] = self._trend_rows()
        out["stages"] = [
            {
                "transition": f"{self._stage(row['from'])} → {self._stage(row['to'])}",
                **{k: row[k] for k in ("count", "median", "mean", "p90", "share")},
                **({"group": _group(row["group"], _)} if self.group_by else {}),
            }
            for row in self.stages["transitions"]
        ]
        timeline = self.timeline
        out["timeline"] = timeline.bars
        out["timeline_points"] = timeline.points
        return out

    def _trend_rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        _ = self._
        lines, counts = [], []
        for row in self.trend["periods"]:
            extra = {"group": _group(row["group"], _)} if self.group_by else {}
            total = row["projects"]
            lines.append(
                {
                    **row,
                    **extra,
                    "open_share": None if total == 0 else round(row["open"] / total, 4),
                }
            )
            for order, status in enumerate(STATUSES):
                counts.append(
                    {
                        "period": row["period"],
                        **extra,
                        "status": _(STATUS_LABELS[status]),
                        "status_code": status,
                        "order": order,
                        "count": row[status],
                        "share": None if total == 0 else round(row[status] / total, 4),
                    }
                )
        return lines, counts

    @cached_property
    def bins(self) -> data.Bins:
        """Histogram bins of all complete projects (every group uses the same)."""
        return data.bins_for(data.complete_days(self.analysis.projects))

    @cached_property
    def bin_labels(self) -> list[str]:
        everything = data.complete_days(self.analysis.projects)
        return [_bin_label(b) for b in data.histogram(everything, self.bins)]

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
                bar["group"] = _group(bar["group"], self._)
        return timeline

    def charts(self) -> dict[str, dict[str, Any]]:
        """Each chart's Vega-Lite specification, with its data."""
        from . import charts

        _ = self._
        datasets = self.datasets()
        grouped = self.group_by is not None
        timeline = self.timeline
        specs = {
            "distribution": charts.distribution(self.bin_labels, _, grouped=grouped),
            "cumulative": charts.cumulative(
                _,
                survival=self.survival is not None,
                empty=not datasets["ecdf"] and not self.survival,
                incidence=self.incidence is not None,
            ),
            "trend": charts.trend(
                _,
                by_label=_(self.by),
                grouped=grouped,
                km=any("km_median_days" in row for row in self.trend["periods"]),
            ),
            "stages": charts.stages(_, grouped=grouped, bars=len(self.stages["transitions"])),
            "timeline": charts.timeline(
                _,
                stage_labels=[self._stage(s) for s in self.analysis.stages.stages],
                projects=len(timeline.bars),
                grouped=grouped,
            ),
        }
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
        return {
            "lang": self.lang,
            "version": __version__,
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
            "groups": _groups(doc, _) if "groups" in doc else None,
            "group_by": self.group_by,
            "same_day_names": doc["same_day"]["projects"][: reports.FLAGGED_SHOWN],
            "same_day_more": max(0, doc["same_day"]["count"] - reports.FLAGGED_SHOWN),
            "fast_track_days": doc["fast_track"]["max_days"],
            "trend": self.trend,
            "by": _(self.by),
            "transitions": [
                {**row, "label": f"{self._stage(row['from'])} → {self._stage(row['to'])}"}
                for row in self.stages["transitions"]
            ],
            "timeline_total": timeline.total,
            "timeline_shown": len(timeline.bars),
            "timeline_sampled": timeline.sampled,
            "timeline_limit": self.timeline_limit,
            "survival": self.survival is not None,
            "incidence": self.incidence is not None,
            "quality": self.quality(),
            "outside_window": max(0, in_file - len(analysis.projects)),
            "snapshot_events": analysis.snapshot.events_after if analysis.snapshot else 0,
            "snapshot_projects": analysis.snapshot.projects_after if analysis.snapshot else 0,
            "undated": self.trend["undated_projects"],
            "flag_labels": {k: _(v) for k, v in FLAG_LABELS.items()},
            "fmt": fmt,
            "share": fmt_share,
            "value_json": _value_json,
        }

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
        template = environment.get_template(TEMPLATE)
        return template.render(
            **self.context(),
            specs={name: script_json(spec) for name, spec in specs.items()},
            chart_names=CHARTS,
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

    def _repr_html_(self) -> str:
        """The report in a Jupyter notebook: in an iframe, so that its styles and
        scripts stay apart from the notebook's."""
        page = html.escape(self.to_html(), quote=True)
        return (
            f'<iframe srcdoc="{page}" style="width:100%;height:900px;border:0" '
            'sandbox="allow-scripts allow-downloads"></iframe>'
        )


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


def _groups(doc: dict[str, Any], _: Translator) -> dict[str, Any]:
    """The summary's groups side by side: one column per group."""
    measures = [
        (_("projects"), lambda g: fmt(g["projects"]["total"])),
        *(
            (_(STATUS_LABELS[status]), lambda g, s=status: fmt(g["projects"][s]))
            for status in shown_statuses(doc["groups"])
        ),
        (_("median days"), lambda g: fmt(g["days"]["median"])),
        (_("p90 days"), lambda g: fmt(g["days"]["p90"])),
        (_("same day"), lambda g: fmt_share(g["same_day"]["share"])),
        (
            _("within {days} days").format(days=doc["fast_track"]["max_days"]),
            lambda g: fmt_share(g["fast_track"]["share"]),
        ),
    ]
    return {
        "names": [_group(g["group"], _) for g in doc["groups"]],
        "rows": [(label, [measure(g) for g in doc["groups"]]) for label, measure in measures],
    }


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
