"""GitHub-flavoured Markdown: a job summary (``>> $GITHUB_STEP_SUMMARY``) or a page
of a report, for every command.

Cells are escaped so that a project or file name can neither end a cell (``|``)
nor start emphasis, a link or HTML. Labels are in ``--lang`` (the same catalog as
the tables); data, codes and check names are shown as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ..checks import describe
from ..i18n import (
    FLAG_LABELS,
    PROJECT_PARTS,
    PROJECTS_LINE,
    ROW_PARTS,
    ROWS_LINE,
    STATUS_LABELS,
    PluralTranslator,
    Translator,
    counted,
    plural_translator,
    shown_parts,
    shown_statuses,
    translator,
)
from ..i18n import stage_label as translated_stage
from . import FORMATS, added_percentiles, percentile_columns, rejected_share, statistic_keys
from .labels import km_median_line, not_compared_line

if TYPE_CHECKING:
    from ..results import Result
    from . import OutputOptions

#: Result kinds this format renders.
KINDS = FORMATS["markdown"].kinds

# Cells and headings never start a line, so only inline syntax needs escaping.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def text(value: object) -> str:
    """Markdown-safe inline text: special characters escaped, line breaks as spaces."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(value).splitlines()))


#: Shown for a number that cannot be measured (no complete project).
MISSING = "-"


def code(name: str) -> str:
    """An identifier (a check or measure name) as a code span."""
    return f"`{name}`" if "`" not in name else text(name)


def number(value: Any) -> str:
    """A number with thousands separators (``-`` when it cannot be measured)."""
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else text(value)


def share(value: float | None) -> str:
    """A share as a percentage with one decimal."""
    return MISSING if value is None else f"{value:.1%}"


def stage(name: str, _: Translator = str, *, configured: bool = False) -> str:
    """A stage as shown: a built-in one in the user's language, a configured one as named."""
    if configured:
        return text(name.replace("_", " "))
    return text(translated_stage(name, _).replace("_", " "))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """A GFM table; ``right`` says which columns are right-aligned (numbers)."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if r else "---" for r in right) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Words:
    """The user's language: labels (``_``), counts (``n``) and how stages are named."""

    _: Translator
    ngettext: PluralTranslator
    configured: bool = False

    def stage(self, name: str) -> str:
        """A stage as shown in this language."""
        return stage(name, self._, configured=self.configured)

    def counted(self, value: int, singular: str, plural: str) -> str:
        """``singular`` or ``plural`` for ``value``, counted in this language."""
        return counted(value, singular, plural, self.ngettext)


def render(result: Result, out: TextIO, options: OutputOptions) -> None:
    """Write ``result`` as Markdown in ``options.lang``."""
    kind = str(getattr(result.kind, "value", result.kind))
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        from . import UnsupportedFormatError

        raise UnsupportedFormatError(
            f"{kind} output has no markdown format; it is for {', '.join(sorted(KINDS))}"
        )
    from . import one_column_groups

    stages = result.extras.get("stages")
    words = Words(
        translator(options.lang),
        plural_translator(options.lang),
        configured=bool(stages.configured) if stages is not None else _configured(result),
    )
    document = one_column_groups(result.document)
    # One blank line between blocks, however the blocks were put together.
    out.write(re.sub(r"\n{3,}", "\n\n", renderer(document, words)).rstrip("\n") + "\n")


def _configured(result: Result) -> bool:
    """Whether the stages were named in a configuration (shown as written)."""
    from ..i18n import STAGE_LABELS

    document = result.document
    metric = document.get("metric") if isinstance(document, dict) else None
    if not metric:
        return False
    return any(s not in STAGE_LABELS for s in (metric["from"], metric["to"]))


def _heading(document: Mapping[str, Any], title: str, w: Words) -> list[str]:
    _ = w._
    metric = document["metric"]
    unit = _("working days") if metric["unit"] == "workdays" else _("calendar days")
    if metric["unit"] == "workdays":
        unit += _(" ({calendar} calendar)").format(calendar=text(metric["calendar"]))
    lines = [
        f"## {title}: {text(document['source'])}",
        "",
        _("{start} → {end}, in {unit}").format(
            start=w.stage(metric["from"]), end=w.stage(metric["to"]), unit=unit
        ),
    ]
    window = document.get("window")
    if window:
        lines[-1] += _("; {stage} from {since} to {until}").format(
            stage=w.stage(metric["from"]),
            since=window["since"] or _("the start"),
            until=window["until"] or _("the end"),
        )
    rejected = rejected_share(document)
    if rejected:
        part, count, out_of = rejected
        lines += [
            "",
            "> **"
            + _("Warning:")
            + "** "
            + _(
                "{share} of the rows that count were rejected ({count} of {total}): the "
                "numbers come from the rest ({command} lists the rejected rows)."
            ).format(
                share=share(part),
                count=number(count),
                total=number(out_of),
                command="`etown validate`",
            ),
        ]
    return [*lines, "", ""]


def _rows_line(rows: Mapping[str, int], _: Translator) -> str:
    """Every count of ``rows`` that is not zero, so that the line adds up (see
    :data:`etown_approvals.i18n.ROW_PARTS`)."""
    line = _(ROWS_LINE).format(
        read=number(rows["read"]), used=number(rows["used"]), rejected=number(rows["rejected"])
    )
    for key, message in shown_parts(rows, ROW_PARTS):
        line += _(message).format(count=number(rows[key]))
    return line


def _projects_line(projects: Mapping[str, int], _: Translator) -> str:
    line = _(PROJECTS_LINE).format(
        total=number(projects["total"]),
        complete=number(projects["complete"]),
        open=number(projects["open"]),
        invalid=number(projects["invalid"]),
    )
    for key, message in shown_parts(projects, PROJECT_PARTS):
        line += _(message).format(count=number(projects[key]))
    return line


def _days_word(document: Mapping[str, Any], _: Translator) -> str:
    return _("workdays") if document["metric"]["unit"] == "workdays" else _("days")


def summary(document: Mapping[str, Any], w: Words) -> str:
    """The summary: overview, days of complete projects, groups side by side."""
    _ = w._
    projects, same, fast = document["projects"], document["same_day"], document["fast_track"]
    days = _days_word(document, _)
    complete = number(projects["complete"])
    of_complete = _("{count} of {complete} complete ({share})")
    within = _("Within {days} workdays") if days == _("workdays") else _("Within {days} days")
    overview = [
        [_("Rows"), _rows_line(document["rows"], _)],
        [_("Projects"), _projects_line(projects, _)],
        [
            _("Same day"),
            of_complete.format(
                count=number(same["count"]), complete=complete, share=share(same["share"])
            ),
        ],
        [
            within.format(days=fast["max_days"]),
            of_complete.format(
                count=number(fast["count"]), complete=complete, share=share(fast["share"])
            ),
        ],
    ]
    target = document.get("target")
    if target:
        overview.append(
            [
                _("Within {days} workdays").format(days=target["workdays"]),
                _("{met} of {complete} complete ({share}), {over} over").format(
                    met=number(target["met"]),
                    complete=complete,
                    share=share(target["share_met"]),
                    over=number(target["over"]),
                ),
            ]
        )
    survival = document.get("survival")
    if survival:
        overview.append([_("Kaplan-Meier median"), _km_median(survival, days, _)])
    keys = statistic_keys(document["days"])  # with the percentiles asked for
    parts = [
        "\n".join(_heading(document, _("Approval time"), w)),
        table(["", ""], overview, [False, False]),
        "### "
        + (
            _("Workdays, complete projects")
            if days == _("workdays")
            else _("Days, complete projects")
        )
        + "\n",
        table(
            [_stat(k, _) for k in keys],
            [[number(document["days"][k]) for k in keys]],
            [True] * len(keys),
        ),
    ]
    if "groups" in document:
        workdays = days == _("workdays")
        measures: list[tuple[str, Callable[[Mapping[str, Any]], str]]] = [
            (_("projects"), lambda g: number(g["projects"]["total"])),
            *(
                (_(STATUS_LABELS[status]), lambda g, s=status: number(g["projects"][s]))
                for status in shown_statuses(document["groups"])
            ),
            (
                _("median workdays") if workdays else _("median days"),
                lambda g: number(g["days"]["median"]),
            ),
            (_("p90 workdays") if workdays else _("p90 days"), lambda g: number(g["days"]["p90"])),
            *(  # the percentiles asked for
                (f"{key} {days}", lambda g, k=key: number(g["days"][k]))
                for key in added_percentiles(document["days"])
            ),
            (_("same day"), lambda g: share(g["same_day"]["share"])),
            (
                (_("within {days} workdays") if workdays else _("within {days} days")).format(
                    days=fast["max_days"]
                ),
                lambda g: share(g["fast_track"]["share"]),
            ),
        ]
        groups = document["groups"]
        parts += [
            "### " + _("By {column}").format(column=text(document["group_by"])) + "\n",
            table(
                ["", *(_group(g["group"], _) for g in groups)],
                [[label, *(measure(g) for g in groups)] for label, measure in measures],
                [False, *([True] * len(groups))],
            ),
        ]
    return "\n".join(parts)


#: Summary statistics of durations, as column headers (the tables' messages).
STAT = {
    "count": "count",
    "min": "min",
    "p25": "p25",
    "median": "median",
    "mean": "mean",
    "p75": "p75",
    "p90": "p90",
    "max": "max",
}


def _stat(key: str, _: Translator) -> str:
    """A statistic's column header: a known one in the user's language, an added
    percentile (``p95``, ``p99_5``) as its key."""
    return _(STAT[key]) if key in STAT else key


def _number_of(key: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda row: number(row[key])


def _km_median(survival: Mapping[str, Any], days: str, _: Translator) -> str:
    """The Kaplan-Meier line as the table says it."""
    return km_median_line(survival, days, _, number)


def _rows_footer(document: Mapping[str, Any], _: Translator) -> str:
    """The Rows line of a list of measures (stages, trend), as the summary has it."""
    return "\n" + _("Rows") + ": " + _rows_line(document["rows"], _) + "\n"


def _group(value: str | None, _: Translator = str) -> str:
    return _("(none)") if value is None else text(value)


def stages(document: Mapping[str, Any], w: Words) -> str:
    """Days between stages, the slowest marked."""
    _ = w._
    rows = document["transitions"]
    grouped = "group_by" in document
    from ..metrics import slowest_transition

    slowest = slowest_transition(rows)
    keys = statistic_keys(rows[0]) if rows else ["count", "min", "median", "mean", "p90", "max"]
    headers = [
        *([text(document["group_by"])] if grouped else []),
        _("from → to"),
        *(_stat(k, _) for k in keys),
        _("share"),
        "",
    ]
    body = []
    for row in rows:
        mark = "**" + _("slowest") + "**" if row is slowest else ""
        body.append(
            [
                *([_group(row["group"], _)] if grouped else []),
                f"{w.stage(row['from'])} → {w.stage(row['to'])}",
                *(number(row[k]) for k in keys),
                share(row["share"]),
                mark,
            ]
        )
    return (
        "\n".join(_heading(document, _("Days between stages"), w))
        + table(
            headers, body, [*([False] if grouped else []), False, *[True] * (len(keys) + 1), False]
        )
        + "\n"
        + _("share: the transition's mean over the mean days of complete projects;")
        + " "
        + _("slowest: the highest median (then mean)")
        + "\n"
        + _rows_footer(document, _)
    )


def trend(document: Mapping[str, Any], w: Words) -> str:
    """One row per period."""
    _ = w._
    grouped = "group_by" in document
    periods = document["periods"]
    workdays = document["metric"]["unit"] == "workdays"
    days = _days_word(document, _)
    # The table's columns, in its order: withdrawn and Kaplan-Meier where any row has them.
    columns: list[tuple[str, Callable[[Mapping[str, Any]], str]]] = [
        (_("projects"), lambda r: number(r["projects"])),
        (_("complete"), lambda r: number(r["complete"])),
        (_("open"), lambda r: number(r["open"])),
        (_("invalid"), lambda r: number(r["invalid"])),
    ]
    if any(r.get("withdrawn") for r in periods):
        columns.append((_("withdrawn"), lambda r: number(r.get("withdrawn", 0))))
    columns.append(
        (
            _("median workdays") if workdays else _("median days"),
            lambda r: number(r["median_days"]),
        )
    )
    columns += [  # the percentiles asked for
        (f"{key.removesuffix('_days')} {days}", _number_of(key))
        for key in percentile_columns(periods)
    ]
    if any("km_median_days" in r for r in periods):
        columns.append((_("KM median"), lambda r: number(r.get("km_median_days"))))
    columns += [
        (_("same day"), lambda r: share(r["same_day_share"])),
        (_("fast track"), lambda r: share(r["fast_track_share"])),
    ]
    headers = [
        *([text(document["group_by"])] if grouped else []),
        _("period"),
        *(label for label, _cell in columns),
    ]
    body = [
        [
            *([_group(row["group"], _)] if grouped else []),
            text(row["period"]),
            *(cell(row) for _label, cell in columns),
        ]
        for row in periods
    ]
    of = document.get("period_of") or document["metric"]["from"]
    title = _("By {period} of {stage}").format(period=_(document["by"]), stage=w.stage(of))
    out = "\n".join(_heading(document, title, w)) + table(
        headers, body, [*([False] if grouped else []), False, *[True] * len(columns)]
    )
    undated = document["undated_projects"]
    if undated:
        message = w.ngettext(
            "{count} project without a {stage} date is not shown",
            "{count} projects without a {stage} date are not shown",
            undated,
        )
        out += "\n" + message.format(count=number(undated), stage=w.stage(of)) + "\n"
    return out + _rows_footer(document, _)


def _flags(flags: list[str], _: Translator) -> str:
    return ", ".join(text(_(FLAG_LABELS.get(f, f))) for f in flags)


def _project_rows(rows: list[dict[str, Any]], start: str, end: str, w: Words) -> str:
    _ = w._
    body = [
        [
            text(r["project"]),
            text(r[start] or MISSING),
            text(r[end] or MISSING),
            number(r["days"])
            if r["days"] is not None or r["waiting_days"] is None
            else number(r["waiting_days"]) + "+",
            text(_(STATUS_LABELS.get(r["status"], r["status"]))),
            _flags(r["flags"], _),
        ]
        for r in rows
    ]
    return table(
        [_("project"), w.stage(start), w.stage(end), _("days"), _("status"), _("flags")],
        body,
        [False, False, False, True, False, False],
    )


def projects(document: Mapping[str, Any], w: Words) -> str:
    """One row per project."""
    rows = document["projects"]
    metric = document["metric"]
    title = w.counted(len(rows), "{count} project", "{count} projects")
    out = "\n".join(_heading(document, text(title), w))
    out += _project_rows(rows, metric["from"], metric["to"], w)
    if any(r["days"] is None and r["waiting_days"] is not None for r in rows):
        out += "\n" + w._("N+: open, waiting N days so far") + "\n"
    return out


def timeline(document: Mapping[str, Any], w: Words) -> str:
    """The projects drawn, and how many of how many."""
    _ = w._
    rows = document["projects"]
    metric = document["metric"]
    out = "\n".join(_heading(document, _("Timeline"), w))
    out += _project_rows(rows, metric["from"], metric["to"], w)
    out += "\n" + _shown_of(document["shown"], document["total"], w) + "\n"
    return out


def _shown_of(shown: int, total: int, w: Words) -> str:
    message = w.ngettext(
        "{shown} of {count} project with a start date, earliest first",
        "{shown} of {count} projects with a start date, earliest first",
        total,
    )
    return message.format(shown=f"{shown:,}", count=f"{total:,}")


def validate(document: Mapping[str, Any], w: Words) -> str:
    """The verdict, the counts and each list of findings."""
    _ = w._
    stats = document["stats"]
    verdict = "✅ " + _("valid") if document["valid"] else "❌ " + _("not valid")
    lines = [
        f"## {verdict}: {text(document['source'])}",
        "",
        _("{errors}, {warnings} in {rows}, {projects}").format(
            errors=w.counted(stats["errors"], "{count} error", "{count} errors"),
            warnings=w.counted(stats["warnings"], "{count} warning", "{count} warnings"),
            rows=w.counted(stats["rows"], "{count} row", "{count} rows"),
            projects=w.counted(stats["projects"], "{count} project", "{count} projects"),
        ),
        "",
    ]
    for title, key in ((_("Errors"), "errors"), (_("Warnings"), "warnings")):
        found = document[key]
        if not found:
            continue
        shown = (
            _(" (first {shown} of {total})").format(shown=len(found), total=stats[key])
            if len(found) < stats[key]
            else ""
        )
        lines += [
            f"### {title}{shown}",
            "",
            table(
                [_("type"), _("row"), _("field"), _("value"), _("project"), _("message")],
                [
                    [
                        code(f["type"]),
                        number(f["row"]),
                        text(f["field"] or ""),
                        text("" if f["value"] is None else f["value"]),
                        text(f["project"] or ""),
                        text(f["message"]),
                    ]
                    for f in found
                ],
                [False, True, False, False, False, False],
            ),
        ]
    return "\n".join(lines)


def compare(document: Mapping[str, Any], w: Words) -> str:
    """The groups, then each group against the reference."""
    _ = w._
    groups, comparisons = document["groups"], document["comparisons"]
    reference = document.get("reference")
    title = _("Compared with {reference}").format(
        reference=_group(reference, _) if reference is not None else MISSING
    )
    lines = ["\n".join(_heading(document, title, w))]
    lines.append(
        table(
            [
                _("group"),
                _("projects"),
                _("complete"),
                _("open"),
                _("invalid"),
                _("withdrawn"),
                _("median days"),
                _("KM median"),
            ],
            [
                [
                    _group(g["group"], _),
                    number(g["projects"]),
                    number(g["complete"]),
                    number(g["open"]),
                    number(g["invalid"]),
                    number(g["withdrawn"]),
                    number(g["median"]),
                    number(g["km_median"]),
                ]
                for g in groups
            ],
            [False, True, True, True, True, True, True, True],
        )
    )
    said = not_compared_line(document, _, number)
    if said is not None:
        lines.append(said)
    if comparisons:

        def interval(estimate: Any, low: Any, high: Any) -> str:
            if estimate is None:
                return MISSING
            if low is None and high is None:
                return number(estimate)
            ends = ["…" if v is None else number(v) for v in (low, high)]
            return f"{number(estimate)} " + _("({low} to {high})").format(low=ends[0], high=ends[1])

        lines.append(
            table(
                [
                    _("group"),
                    _("median diff (95% CI)"),
                    _("KM median diff"),
                    _("RMST diff"),
                    _("to day"),
                    _("shift (HL)"),
                    _("p MWU"),
                    _("p Holm"),
                    _("p log-rank"),
                    _("p log-rank Holm"),
                ],
                [
                    [
                        _group(c["group"], _),
                        interval(c["median_difference"], c["ci_low"], c["ci_high"]),
                        interval(
                            *(
                                c["km_median_difference"][k]
                                for k in ("estimate", "ci_low", "ci_high")
                            )
                        ),
                        interval(
                            *(c["rmst_difference"][k] for k in ("estimate", "ci_low", "ci_high"))
                        ),
                        number(c["rmst_difference"]["horizon"]),
                        interval(
                            *(c["hodges_lehmann"][k] for k in ("estimate", "ci_low", "ci_high"))
                        ),
                        _p(c["p_value"]),
                        _p(c["p_value_holm"]),
                        _p(c["logrank_p_value"]),
                        _p(c["logrank_p_value_holm"]),
                    ]
                    for c in comparisons
                ],
                [False, True, True, True, True, True, True, True, True, True],
            )
        )
    return "\n\n".join(lines)


def _p(value: float | None) -> str:
    if value is None:
        return MISSING
    return "< 1e-300" if value <= 1e-300 else f"{value:.3g}"


def check(document: Mapping[str, Any], w: Words) -> str:
    """Each threshold with its value and verdict, the failed ones explained."""
    _ = w._
    checks = document["checks"]
    failed = sum(not item["passed"] for item in checks)
    verdict = (
        _("passed")
        if document["passed"]
        else _("failed ({failed} of {total})").format(failed=failed, total=len(checks))
    )
    body = []
    for item in checks:
        name = item["check"] + (
            f" {number(item['target_workdays'])}" if "target_workdays" in item else ""
        )
        sign = "≤" if item["bound"] == "max" else "≥"
        body.append(
            [
                code(name),
                code(item["measure"]),
                f"{sign} {number(item['limit'])}",
                number(item["value"]),
                "✅ " + _("pass") if item["passed"] else "❌ **" + _("FAIL") + "**",
            ]
        )
    mark = "✅" if document["passed"] else "❌"
    lines = [
        f"## {mark} etown check {verdict}: {text(document['source'])}",
        "",
        table(
            [_("check"), _("measure"), _("limit"), _("value"), _("result")],
            body,
            [False, False, True, True, False],
        ),
    ]
    for item in checks:
        if not item["passed"]:
            lines.append(f"- {code(item['check'])}: {text(describe(item))}")
    return "\n".join(lines) + ("\n" if failed else "")


_RENDERERS: dict[str, Callable[[Mapping[str, Any], Words], str]] = {
    "summary": summary,
    "projects": projects,
    "stages": stages,
    "trend": trend,
    "timeline": timeline,
    "compare": compare,
    "validate": validate,
    "check": check,
}
