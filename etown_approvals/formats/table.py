"""Terminal tables with rich: one function per kind of result.

Tables fit an 80-column terminal; colour is used only when the options say so
(a terminal, and no ``NO_COLOR``), so piped output is plain text.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from ..results import Result
    from . import OutputOptions

_RENDERERS: dict[str, Callable[[Result, Console, OutputOptions], None]] = {}


def renders(
    kind: str,
) -> Callable[
    [Callable[[Result, Console, OutputOptions], None]],
    Callable[[Result, Console, OutputOptions], None],
]:
    def register(
        function: Callable[[Result, Console, OutputOptions], None],
    ) -> Callable[[Result, Console, OutputOptions], None]:
        _RENDERERS[kind] = function
        return function

    return register


def console_for(out: TextIO, options: OutputOptions) -> Console:
    return Console(
        file=out,
        width=options.width or 80,
        color_system="auto" if options.color else None,
        force_terminal=options.color,
        no_color=not options.color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        legacy_windows=False,
    )


def render(result: Result, out: TextIO, options: OutputOptions) -> None:
    buffer = io.StringIO()
    console = console_for(buffer, options)
    _RENDERERS[result.kind](result, console, options)
    # rich pads every line to the table width; trailing blanks only get in the way.
    out.write("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n")


#: box.SIMPLE_HEAD drawn with ASCII, for output that is not a terminal.
ASCII_SIMPLE_HEAD = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


def _box(options: OutputOptions) -> box.Box:
    return box.SIMPLE_HEAD if options.unicode else ASCII_SIMPLE_HEAD


def fmt_number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else str(value)


def fmt_share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def stage_label(stage: str) -> str:
    return stage.replace("_", " ")


@renders("summary")
def summary(result: Result, console: Console, options: OutputOptions) -> None:
    doc = result.document
    metric, rows, projects, days = doc["metric"], doc["rows"], doc["projects"], doc["days"]
    unit = metric["unit"].replace("_", " ")
    days_word = "workdays" if metric["unit"] == "workdays" else "days"
    console.print(Text(f"Approval time: {doc['source']}", style="bold"))
    console.print(f"{stage_label(metric['from'])} -> {stage_label(metric['to'])}, in {unit}")
    console.print()

    overview = Table(box=None, show_header=False, pad_edge=False)
    overview.add_column("what", style="bold")
    overview.add_column("numbers")
    n = fmt_number
    row_text = f"{n(rows['read'])} read, {n(rows['used'])} used, {n(rows['rejected'])} rejected"
    if rows.get("blank"):
        row_text += f", {n(rows['blank'])} blank"
    overview.add_row("Rows", row_text)
    overview.add_row(
        "Projects",
        f"{n(projects['total'])} total, {n(projects['complete'])} complete, "
        f"{n(projects['open'])} open, {n(projects['invalid'])} invalid",
    )
    same, fast = doc["same_day"], doc["fast_track"]
    complete = n(projects["complete"])
    overview.add_row(
        "Same day", f"{n(same['count'])} of {complete} complete ({fmt_share(same['share'])})"
    )
    overview.add_row(
        f"Within {fast['max_days']} {days_word}",
        f"{n(fast['count'])} of {complete} complete ({fmt_share(fast['share'])})",
    )
    target = doc.get("target")
    if target:
        overview.add_row(
            f"Within {target['workdays']} workdays",
            f"{n(target['met'])} of {complete} complete ({fmt_share(target['share_met'])}), "
            f"{n(target['over'])} over",
        )
    console.print(overview)
    console.print()

    stats = Table(
        title=f"{days_word.capitalize()}, complete projects",
        box=_box(options),
        title_justify="left",
        pad_edge=False,
    )
    for key in ("count", "min", "p25", "median", "mean", "p75", "p90", "max"):
        stats.add_column(key, justify="right")
    stats.add_row(
        *(
            fmt_number(days[key])
            for key in ("count", "min", "p25", "median", "mean", "p75", "p90", "max")
        )
    )
    console.print(stats)

    if "groups" in doc:
        _groups_side_by_side(doc, console, options)

    flagged = result.extras.get("flagged") or []
    if flagged:
        table = Table(
            title=f"Same-day and within-{fast['max_days']}-day projects",
            box=_box(options),
            title_justify="left",
            pad_edge=False,
        )
        table.add_column("project", overflow="fold", ratio=1)
        table.add_column(stage_label(metric["from"]), no_wrap=True)
        table.add_column(stage_label(metric["to"]), no_wrap=True)
        table.add_column("days", justify="right")
        table.add_column("", no_wrap=True)
        for record in flagged:
            mark = "same day" if "same_day" in record["flags"] else ""
            table.add_row(
                record["project"],
                record[metric["from"]],
                record[metric["to"]],
                fmt_number(record["days"]),
                Text(mark, style="bold green") if mark else "",
            )
        console.print(table)
        more = result.extras.get("flagged_total", len(flagged)) - len(flagged)
        if more > 0:
            # A command to copy: never wrapped, however long the path.
            console.print(
                f"... and {more:,} more: {result.extras.get('more_command', 'etown projects')}",
                soft_wrap=True,
            )


def _groups_side_by_side(doc: dict[str, Any], console: Console, options: OutputOptions) -> None:
    table = Table(
        title=f"By {doc['group_by']}", title_justify="left", box=_box(options), pad_edge=False
    )
    table.add_column("")
    for group in doc["groups"]:
        table.add_column(_group_label(group["group"]), justify="right", overflow="fold")
    measures: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("projects", lambda g: fmt_number(g["projects"]["total"])),
        ("complete", lambda g: fmt_number(g["projects"]["complete"])),
        ("open", lambda g: fmt_number(g["projects"]["open"])),
        ("median days", lambda g: fmt_number(g["days"]["median"])),
        ("p90 days", lambda g: fmt_number(g["days"]["p90"])),
        ("same day", lambda g: fmt_share(g["same_day"]["share"])),
        (
            f"within {doc['fast_track']['max_days']} days",
            lambda g: fmt_share(g["fast_track"]["share"]),
        ),
    ]
    for label, measure in measures:
        table.add_row(label, *(measure(g) for g in doc["groups"]))
    console.print(table)
    console.print()


@renders("validate")
def validate(result: Result, console: Console, _options: OutputOptions) -> None:
    doc = result.document
    stats = doc["stats"]
    verdict = (
        Text("valid", style="bold green") if doc["valid"] else Text("not valid", style="bold red")
    )
    console.print(
        Text.assemble(
            f"{doc['source']}: ",
            verdict,
            f" - {stats['errors']} errors, {stats['warnings']} warnings"
            f" in {stats['rows']} rows, {stats['projects']} projects",
        )
    )
    for title, key, style in (("Errors", "errors", "red"), ("Warnings", "warnings", "yellow")):
        found = doc[key]
        if not found:
            continue
        shown = f" (first {len(found)} of {stats[key]})" if len(found) < stats[key] else ""
        console.print()
        console.print(Text(title + shown, style="bold"))
        groups: dict[str, list[dict[str, Any]]] = {}
        for finding in found:
            groups.setdefault(finding["type"], []).append(finding)
        for kind, items in groups.items():
            console.print(Padding(Text(f"{kind} ({len(items)})", style=style), (0, 0, 0, 2)))
            for finding in items:
                console.print(Padding(Text(_describe(finding)), (0, 0, 0, 4)))


def _describe(finding: dict[str, Any]) -> str:
    where = []
    if finding["row"] is not None:
        where.append(f"row {finding['row']}")
    if finding["project"]:
        where.append(finding["project"])
    if finding["field"]:
        cell = (
            finding["field"]
            if finding["value"] is None
            else f"{finding['field']} = {finding['value']!r}"
        )
        where.append(cell)
    return f"{', '.join(where)}: {finding['message']}" if where else finding["message"]


@renders("check")
def check(result: Result, console: Console, options: OutputOptions) -> None:
    doc = result.document
    table = Table(
        title=f"Checks: {doc['source']}", title_justify="left", box=_box(options), pad_edge=False
    )
    table.add_column("check")
    table.add_column("measure")
    table.add_column("limit", justify="right")
    table.add_column("value", justify="right")
    table.add_column("result")
    for item in doc["checks"]:
        sign = "<=" if item["bound"] == "max" else ">="
        name = item["check"]
        if "target_workdays" in item:
            name += f" {fmt_number(item['target_workdays'])}"
        table.add_row(
            name,
            item["measure"],
            f"{sign} {fmt_number(item['limit'])}",
            fmt_number(item["value"]),
            Text("pass", style="green") if item["passed"] else Text("FAIL", style="bold red"),
        )
    console.print(table)


def _group_label(value: str | None) -> str:
    return "(none)" if value is None else value


@renders("projects")
def projects(result: Result, console: Console, options: OutputOptions) -> None:
    stages = result.extras["stages"]
    records = result.rows() or []
    table = Table(
        box=_box(options), pad_edge=False, title=f"{len(records)} projects", title_justify="left"
    )
    table.add_column("project", overflow="fold", ratio=1, min_width=18)
    table.add_column(stage_label(stages.start), min_width=10, max_width=12)
    table.add_column(stage_label(stages.end), min_width=10, max_width=12)
    table.add_column("days", justify="right")
    table.add_column("status")
    table.add_column("flags", min_width=10, max_width=14)
    for record in records:
        days = record["days"]
        if days is None and record["waiting_days"] is not None:
            days_text = Text(f"{record['waiting_days']}+", style="yellow")
        else:
            days_text = Text(fmt_number(days))
        table.add_row(
            record["project"],
            record[stages.start] or "-",
            record[stages.end] or "-",
            days_text,
            record["status"],
            " ".join(f.replace("_", "-") for f in record["flags"]),
        )
    console.print(table)
    if any(r["status"] == "open" for r in records):
        console.print("N+: open, waiting N days so far")


@renders("stages")
def stages(result: Result, console: Console, options: OutputOptions) -> None:
    doc = result.document
    rows = doc["transitions"]
    grouped = "group_by" in doc
    measured = [r for r in rows if r["median"] is not None and r["share"] is not None]
    slowest = max(measured, key=lambda r: (r["median"], r["mean"]), default=None)
    table = Table(
        title="Days between stages", title_justify="left", box=_box(options), pad_edge=False
    )
    if grouped:
        table.add_column(doc["group_by"], overflow="fold")
    table.add_column("from -> to", overflow="fold", ratio=1)
    for key in ("count", "min", "median", "mean", "p90", "max"):
        table.add_column(key, justify="right")
    table.add_column("share", justify="right")
    table.add_column("", no_wrap=True)
    for row in rows:
        is_slowest = row is slowest
        cells = [] if not grouped else [_group_label(row["group"])]
        cells.append(f"{stage_label(row['from'])} -> {stage_label(row['to'])}")
        cells += [fmt_number(row[k]) for k in ("count", "min", "median", "mean", "p90", "max")]
        cells.append(fmt_share(row["share"]))
        cells.append("slowest" if is_slowest else "")
        table.add_row(*cells, style="bold" if is_slowest else "")
    console.print(table)
    console.print("share: the transition's mean over the mean days of complete projects;")
    console.print("slowest: the highest median (then mean)")


@renders("trend")
def trend(result: Result, console: Console, options: OutputOptions) -> None:
    doc = result.document
    grouped = "group_by" in doc
    table = Table(
        title=f"By {doc['by']} of {stage_label(doc['metric']['from'])}",
        title_justify="left",
        box=_box(options),
        pad_edge=False,
    )
    if grouped:
        table.add_column(doc["group_by"], overflow="fold")
    table.add_column("period", no_wrap=True)
    for key in ("projects", "complete", "open", "median days", "same day", "fast track"):
        table.add_column(key, justify="right")
    for row in doc["periods"]:
        cells = [] if not grouped else [_group_label(row["group"])]
        cells += [
            row["period"],
            fmt_number(row["projects"]),
            fmt_number(row["complete"]),
            fmt_number(row["open"]),
            fmt_number(row["median_days"]),
            fmt_share(row["same_day_share"]),
            fmt_share(row["fast_track_share"]),
        ]
        table.add_row(*cells)
    console.print(table)
    if doc["undated_projects"]:
        start = stage_label(doc["metric"]["from"])
        console.print(f"{doc['undated_projects']} projects without a {start} date are not shown")


@renders("timeline")
def timeline(result: Result, console: Console, options: OutputOptions) -> None:
    from .timeline import draw

    lines = draw(
        result.rows() or [],
        result.extras["stages"],
        result.extras["as_of"],
        options.width or 80,
        options.unicode,
    )
    *bars, legend = lines
    for line in bars:
        console.print(line, overflow="crop", no_wrap=True)
    console.print(legend)
