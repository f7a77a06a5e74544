"""GitHub-flavoured Markdown: a job summary (``>> $GITHUB_STEP_SUMMARY``) for
summary, stages, trend and check.

Cells are escaped so that a project or file name can neither end a cell (``|``)
nor start emphasis, a link or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ..checks import describe
from ..i18n import PROJECT_PARTS, PROJECTS_LINE, ROW_PARTS, ROWS_LINE, shown_parts, shown_statuses
from . import FORMATS, added_percentiles, percentile_columns, rejected_share, statistic_keys

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
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else text(value)


def share(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1%}"


def stage(name: str) -> str:
    return text(name.replace("_", " "))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """A GFM table; ``right`` says which columns are right-aligned (numbers)."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if r else "---" for r in right) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines) + "\n"


def render(result: Result, out: TextIO, _options: OutputOptions) -> None:
    kind = str(getattr(result.kind, "value", result.kind))
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        from . import UnsupportedFormatError

        raise UnsupportedFormatError(
            f"{kind} output has no markdown format; it is for {', '.join(sorted(KINDS))}"
        )
    # One blank line between blocks, however the blocks were put together.
    from . import one_column_groups

    document = one_column_groups(result.document)
    out.write(re.sub(r"\n{3,}", "\n\n", renderer(document)).rstrip("\n") + "\n")


def _heading(document: Mapping[str, Any], title: str) -> list[str]:
    metric = document["metric"]
    unit = "working days" if metric["unit"] == "workdays" else "calendar days"
    if metric["unit"] == "workdays":
        unit += f" ({text(metric['calendar'])} calendar)"
    lines = [
        f"## {title}: {text(document['source'])}",
        "",
        f"{stage(metric['from'])} → {stage(metric['to'])}, in {unit}",
    ]
    window = document.get("window")
    if window:
        lines[-1] += (
            f"; {stage(metric['from'])} from {window['since'] or 'the start'}"
            f" to {window['until'] or 'the end'}"
        )
    rejected = rejected_share(document)
    if rejected:
        part, count, counted = rejected
        lines += [
            "",
            f"> **Warning:** {share(part)} of the rows that count were rejected "
            f"({number(count)} of {number(counted)}): the numbers come from the rest "
            "(`etown validate` lists the rejected rows).",
        ]
    return [*lines, "", ""]


def _rows_line(rows: Mapping[str, int]) -> str:
    """Every count of ``rows`` that is not zero, so that the line adds up (see
    :data:`etown_approvals.i18n.ROW_PARTS`)."""
    line = ROWS_LINE.format(
        read=number(rows["read"]), used=number(rows["used"]), rejected=number(rows["rejected"])
    )
    for key, message in shown_parts(rows, ROW_PARTS):
        line += message.format(count=number(rows[key]))
    return line


def _projects_line(projects: Mapping[str, int]) -> str:
    line = PROJECTS_LINE.format(
        total=number(projects["total"]),
        complete=number(projects["complete"]),
        open=number(projects["open"]),
        invalid=number(projects["invalid"]),
    )
    for key, message in shown_parts(projects, PROJECT_PARTS):
        line += message.format(count=number(projects[key]))
    return line


def summary(document: Mapping[str, Any]) -> str:
    projects, same, fast = document["projects"], document["same_day"], document["fast_track"]
    days_word = "workdays" if document["metric"]["unit"] == "workdays" else "days"
    complete = number(projects["complete"])
    overview = [
        ["Rows", _rows_line(document["rows"])],
        ["Projects", _projects_line(projects)],
        ["Same day", f"{number(same['count'])} of {complete} complete ({share(same['share'])})"],
        [
            f"Within {fast['max_days']} {days_word}",
            f"{number(fast['count'])} of {complete} complete ({share(fast['share'])})",
        ],
    ]
    target = document.get("target")
    if target:
        overview.append(
            [
                f"Within {target['workdays']} workdays",
                f"{number(target['met'])} of {complete} complete "
                f"({share(target['share_met'])}), {number(target['over'])} over",
            ]
        )
    survival = document.get("survival")
    if survival:
        overview.append(["Kaplan-Meier median", _km_median(survival, days_word)])
    keys = statistic_keys(document["days"])  # with the percentiles asked for
    parts = [
        "\n".join(_heading(document, "Approval time")),
        table(["", ""], overview, [False, False]),
        f"### {days_word.capitalize()}, complete projects\n",
        table(list(keys), [[number(document["days"][k]) for k in keys]], [True] * len(keys)),
    ]
    if "groups" in document:
        measures: list[tuple[str, Callable[[Mapping[str, Any]], str]]] = [
            ("projects", lambda g: number(g["projects"]["total"])),
            *(
                (status, lambda g, s=status: number(g["projects"][s]))
                for status in shown_statuses(document["groups"])
            ),
            (f"median {days_word}", lambda g: number(g["days"]["median"])),
            (f"p90 {days_word}", lambda g: number(g["days"]["p90"])),
            *(  # the percentiles asked for
                (f"{key} {days_word}", lambda g, k=key: number(g["days"][k]))
                for key in added_percentiles(document["days"])
            ),
            ("same day", lambda g: share(g["same_day"]["share"])),
            (f"within {fast['max_days']} {days_word}", lambda g: share(g["fast_track"]["share"])),
        ]
        groups = document["groups"]
        parts += [
            f"### By {text(document['group_by'])}\n",
            table(
                ["", *(_group(g["group"]) for g in groups)],
                [[label, *(measure(g) for g in groups)] for label, measure in measures],
                [False, *([True] * len(groups))],
            ),
        ]
    return "\n".join(parts)


def _number_of(key: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda row: number(row[key])


def _km_median(survival: Mapping[str, Any], days_word: str) -> str:
    """The Kaplan-Meier line as the table says it."""
    if survival["median"] is None:
        estimate = "not reached: more than half are still waiting"
    else:
        estimate = f"{number(survival['median'])} {days_word}"
        low, high = survival["ci_low"], survival["ci_high"]
        if low is not None and high is not None:
            estimate += f" (95% interval {number(low)} to {number(high)})"
        elif low is not None:  # the band never falls below one half
            estimate += f" (95% interval from {number(low)}, no upper end)"
    withdrawn = survival.get("withdrawn", 0)  # censored counts them too
    return (
        f"{estimate}; {number(survival['events'])} complete, "
        f"{number(survival['censored'] - withdrawn)} still waiting and "
        f"{number(withdrawn)} withdrawn counted"
    )


def _rows_footer(document: Mapping[str, Any]) -> str:
    """The Rows line of a list of measures (stages, trend), as the summary has it."""
    return f"\nRows: {_rows_line(document['rows'])}\n"


def _group(value: str | None) -> str:
    return "(none)" if value is None else text(value)


def stages(document: Mapping[str, Any]) -> str:
    rows = document["transitions"]
    grouped = "group_by" in document
    from ..metrics import slowest_transition

    slowest = slowest_transition(rows)
    keys = statistic_keys(rows[0]) if rows else ["count", "min", "median", "mean", "p90", "max"]
    headers = [*([text(document["group_by"])] if grouped else []), "from → to", *keys, "share", ""]
    body = []
    for row in rows:
        mark = "**slowest**" if row is slowest else ""
        body.append(
            [
                *([_group(row["group"])] if grouped else []),
                f"{stage(row['from'])} → {stage(row['to'])}",
                *(number(row[k]) for k in keys),
                share(row["share"]),
                mark,
            ]
        )
    return (
        "\n".join(_heading(document, "Days between stages"))
        + table(
            headers, body, [*([False] if grouped else []), False, *[True] * (len(keys) + 1), False]
        )
        + "\nshare: the transition's mean over the mean days of complete projects; "
        "slowest: the highest median (then mean)\n" + _rows_footer(document)
    )


def trend(document: Mapping[str, Any]) -> str:
    grouped = "group_by" in document
    periods = document["periods"]
    days_word = "workdays" if document["metric"]["unit"] == "workdays" else "days"
    # The table's columns, in its order: withdrawn and Kaplan-Meier where any row has them.
    columns: list[tuple[str, Callable[[Mapping[str, Any]], str]]] = [
        ("projects", lambda r: number(r["projects"])),
        ("complete", lambda r: number(r["complete"])),
        ("open", lambda r: number(r["open"])),
        ("invalid", lambda r: number(r["invalid"])),
    ]
    if any(r.get("withdrawn") for r in periods):
        columns.append(("withdrawn", lambda r: number(r.get("withdrawn", 0))))
    columns.append((f"median {days_word}", lambda r: number(r["median_days"])))
    columns += [  # the percentiles asked for
        (f"{key.removesuffix('_days')} {days_word}", _number_of(key))
        for key in percentile_columns(periods)
    ]
    if any("km_median_days" in r for r in periods):
        columns.append(("KM median", lambda r: number(r.get("km_median_days"))))
    columns += [
        ("same day", lambda r: share(r["same_day_share"])),
        ("fast track", lambda r: share(r["fast_track_share"])),
    ]
    headers = [
        *([text(document["group_by"])] if grouped else []),
        "period",
        *(label for label, _cell in columns),
    ]
    body = [
        [
            *([_group(row["group"])] if grouped else []),
            text(row["period"]),
            *(cell(row) for _label, cell in columns),
        ]
        for row in periods
    ]
    title = f"By {document['by']} of {document['metric']['from'].replace('_', ' ')}"
    out = "\n".join(_heading(document, text(title))) + table(
        headers, body, [*([False] if grouped else []), False, *[True] * len(columns)]
    )
    if document["undated_projects"]:
        out += (
            f"\n{number(document['undated_projects'])} projects without a "
            f"{stage(document['metric']['from'])} date are not shown\n"
        )
    return out + _rows_footer(document)


def check(document: Mapping[str, Any]) -> str:
    checks = document["checks"]
    failed = sum(not item["passed"] for item in checks)
    verdict = "passed" if document["passed"] else f"failed ({failed} of {len(checks)})"
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
                "✅ pass" if item["passed"] else "❌ **FAIL**",
            ]
        )
    mark = "✅" if document["passed"] else "❌"
    lines = [
        f"## {mark} etown check {verdict}: {text(document['source'])}",
        "",
        table(
            ["check", "measure", "limit", "value", "result"],
            body,
            [False, False, True, True, False],
        ),
    ]
    for item in checks:
        if not item["passed"]:
            lines.append(f"- {code(item['check'])}: {text(describe(item))}")
    return "\n".join(lines) + ("\n" if failed else "")


_RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "summary": summary,
    "stages": stages,
    "trend": trend,
    "check": check,
}
