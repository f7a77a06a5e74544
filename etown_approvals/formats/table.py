"""Terminal tables with rich: one function per kind of result.

Three rules hold at any width and for any data:

- Data is shown, never interpreted: every name, group value, stage label and file
  name goes through :func:`etown_approvals.terminal.visible` into a
  :class:`rich.text.Text` (rich never reads a ``Text`` as markup, and the console
  has markup off besides), so ``Building [north wing]`` prints as it is and a tab
  prints as ``\\t``.
- A number is never folded. Each table's column widths are worked out here (see
  :func:`layout`): number and date columns get the width of their widest cell,
  headers wrap between words, names take what is left down to a minimum. When even
  the minimum does not fit, the same data is printed as stacked records (a name
  line, then ``label value`` pairs), which fit any width.
- Long lists are cut with a count of what was left out: groups are shown most
  projects first, :data:`GROUP_ROWS` of them, then ``... and N more groups``.

Colour is used only when the options say so, so piped output is plain text.
"""

from __future__ import annotations

import heapq
import io
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from rich import box
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..terminal import visible

if TYPE_CHECKING:
    from ..results import Result
    from . import OutputOptions

_RENDERERS: dict[str, Callable[[Result, Console, OutputOptions], None]] = {}

#: Groups listed in a grouped table before "... and N more groups".
GROUP_ROWS = 20
#: Side by side (one column per group) only up to this many groups; more read better as rows.
SIDE_BY_SIDE_GROUPS = 6
#: A name column is never narrower than this (unless every name is shorter).
NAME_MIN_WIDTH = 16
#: A group value column is never narrower than this (unless every value is shorter).
GROUP_MIN_WIDTH = 12
#: Columns are separated by two cells (one of padding, one of the table's invisible rule).
GAP = 2


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
        # Data never becomes markup, emoji codes or highlighted "numbers".
        markup=False,
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


# -- words and numbers ------------------------------------------------------------


def text(value: Any, style: str | None = None) -> Text:
    """Data as a rich ``Text``: control characters visible, markup never read."""
    return Text(visible("" if value is None else value), style=style or "")


def fmt_number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else str(value)


def fmt_share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 project``, ``2 projects``, ``1,200 projects``."""
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def stage_label(stage: str) -> str:
    return visible(stage.replace("_", " "))


def days_word(unit: str | None) -> str:
    """What a duration is counted in, as tables say it: ``days`` or ``workdays``."""
    return "workdays" if unit == "workdays" else "days"


def _group_label(value: str | None) -> str:
    return "(none)" if value is None else visible(value)


def _ellipsis(options: OutputOptions) -> str:
    return "…" if options.unicode else "..."


def _more_groups(left_out: int, options: OutputOptions) -> Text:
    return Text(
        f"{_ellipsis(options)} and {plural(left_out, 'more group')}: use --format json",
        style="dim",
    )


# -- layout -------------------------------------------------------------------------


@dataclass
class Column:
    """One column of a table whose widths :func:`layout` works out."""

    header: str
    cells: list[Text]
    justify: JustifyMethod = "right"
    #: A flexible column (names) wraps its cells to fit; others show each cell on one line.
    flexible: bool = False
    #: The narrowest a flexible column may get (its cells' longest line, if less).
    min_width: int = 0
    style: str | None = None


def _longest_line(cells: Sequence[Text]) -> int:
    return max((cell_len(line) for cell in cells for line in cell.plain.split("\n")), default=0)


def natural_width(columns: Sequence[Column]) -> int:
    """Width of the table with every cell and header on one line."""
    widths = [max(_longest_line(c.cells), cell_len(c.header)) for c in columns]
    return sum(widths) + GAP * (len(columns) - 1)


def layout(columns: Sequence[Column], width: int) -> list[int] | None:
    """Content width of each column so that the table fits ``width``, or None.

    A fixed column is as wide as its widest cell (so no number or date is folded)
    and at least its header's longest word (headers wrap between words). A flexible
    column gets at least ``min_width``. Room left over goes first to the flexible
    columns, in order, then to headers so that they stay on one line.
    """
    minimum: list[int] = []
    maximum: list[int] = []
    for column in columns:
        data = _longest_line(column.cells)
        header_words = max((cell_len(w) for w in column.header.split()), default=0)
        header = cell_len(column.header)
        most = max(data, header)
        least = min(most, max(column.min_width, header_words)) if column.flexible else None
        minimum.append(least if least is not None else max(data, header_words))
        maximum.append(most)
    available = width - GAP * (len(columns) - 1)
    if sum(maximum) <= available:
        return maximum
    if sum(minimum) > available:
        return None
    widths = list(minimum)
    extra = available - sum(widths)
    order = [i for i, c in enumerate(columns) if c.flexible]
    order += [i for i, c in enumerate(columns) if not c.flexible]
    for i in order:
        grant = min(extra, maximum[i] - widths[i])
        widths[i] += grant
        extra -= grant
    return widths


def _table(title: Text | None, options: OutputOptions) -> Table:
    return Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD if options.unicode else ASCII_SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


def fitted_table(
    columns: Sequence[Column], width: int, options: OutputOptions, title: Text | None = None
) -> Table | None:
    """``columns`` as a rich table that fits ``width`` without folding a number, or None."""
    widths = layout(columns, width)
    if widths is None:
        return None
    table = _table(title, options)
    for column, column_width in zip(columns, widths, strict=True):
        table.add_column(
            column.header,
            justify=column.justify,
            width=column_width,
            overflow="fold",
            style=column.style,
        )
    for row in zip(*(c.cells for c in columns), strict=True):
        table.add_row(*row)
    return table


Record = tuple[Text, list[tuple[str, Text]]]


def stacked(records: Sequence[Record], width: int, options: OutputOptions) -> list[Text]:
    """Records as a name line, then ``label value`` pairs packed into indented lines.

    A pair is never split over two lines (unless it is longer than a line), so
    every number stays next to its label at any width.
    """
    separator = " · " if options.unicode else " | "
    indent = "  "
    lines: list[Text] = []
    for title, pairs in records:
        lines.append(title)
        line = Text(indent)
        for label, value in pairs:
            item = Text.assemble(Text(label, style="dim"), " ", value) if label else value
            if len(line) > len(indent):
                if cell_len(line.plain) + len(separator) + item.cell_len > width:
                    lines.append(line)
                    line = Text(indent)
                else:
                    line.append(separator)
            line.append_text(item)
        if len(line) > len(indent):
            lines.append(line)
    return lines


def show(
    console: Console,
    columns: Sequence[Column],
    records: Callable[[], Sequence[Record]],
    options: OutputOptions,
    title: Text | None = None,
) -> None:
    """Print ``columns`` as a table if it fits the console, else as stacked records."""
    table = fitted_table(columns, console.width, options, title)
    if table is not None:
        console.print(table)
        return
    if title is not None:
        console.print(title)
    for line in stacked(records(), console.width, options):
        console.print(line, overflow="fold")


#: box.SIMPLE_HEAD drawn with ASCII, for output that is not a terminal.
ASCII_SIMPLE_HEAD = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


def _title(words: str) -> Text:
    return Text(words, style="bold")


# -- summary ------------------------------------------------------------------------


def _group_measures(doc: dict[str, Any]) -> list[tuple[str, Callable[[dict[str, Any]], str]]]:
    word = days_word(doc["metric"]["unit"])
    return [
        ("projects", lambda g: fmt_number(g["projects"]["total"])),
        ("complete", lambda g: fmt_number(g["projects"]["complete"])),
        ("open", lambda g: fmt_number(g["projects"]["open"])),
        (f"median {word}", lambda g: fmt_number(g["days"]["median"])),
        (f"p90 {word}", lambda g: fmt_number(g["days"]["p90"])),
        ("same day", lambda g: fmt_share(g["same_day"]["share"])),
        (
            f"within {doc['fast_track']['max_days']} {word}",
            lambda g: fmt_share(g["fast_track"]["share"]),
        ),
    ]


def _by_size(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The :data:`GROUP_ROWS` groups with most projects, most first; equal sizes by
    group value, no value last."""
    return heapq.nsmallest(
        GROUP_ROWS,
        groups,
        key=lambda g: (-g["projects"]["total"], g["group"] is None, g["group"] or ""),
    )


@renders("summary")
def summary(result: Result, console: Console, options: OutputOptions) -> None:
    doc = result.document
    metric, rows, projects, days = doc["metric"], doc["rows"], doc["projects"], doc["days"]
    word = days_word(metric["unit"])
    unit = visible(metric["unit"].replace("_", " "))
    console.print(Text.assemble(("Approval time: ", "bold"), (visible(doc["source"]), "bold")))
    console.print(Text(f"{stage_label(metric['from'])} -> {stage_label(metric['to'])}, in {unit}"))
    console.print()

    n = fmt_number
    row_text = f"{n(rows['read'])} read, {n(rows['used'])} used, {n(rows['rejected'])} rejected"
    if rows.get("blank"):
        row_text += f", {n(rows['blank'])} blank"
    same, fast = doc["same_day"], doc["fast_track"]
    complete = n(projects["complete"])
    overview = [
        ("Rows", row_text),
        (
            "Projects",
            f"{n(projects['total'])} total, {complete} complete, "
            f"{n(projects['open'])} open, {n(projects['invalid'])} invalid",
        ),
        ("Same day", f"{n(same['count'])} of {complete} complete ({fmt_share(same['share'])})"),
        (
            f"Within {fast['max_days']} {word}",
            f"{n(fast['count'])} of {complete} complete ({fmt_share(fast['share'])})",
        ),
    ]
    target = doc.get("target")
    if target:
        overview.append(
            (
                f"Within {target['workdays']} workdays",
                f"{n(target['met'])} of {complete} complete ({fmt_share(target['share_met'])}), "
                f"{n(target['over'])} over",
            )
        )
    label_width = max(cell_len(label) for label, _ in overview)
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("what", style="bold", width=label_width, no_wrap=True)
    table.add_column("numbers", overflow="fold")
    for label, value in overview:
        table.add_row(Text(label), Text(value))
    console.print(table)
    console.print()

    keys = ("count", "min", "p25", "median", "mean", "p75", "p90", "max")
    show(
        console,
        [Column(key, [Text(fmt_number(days[key]))]) for key in keys],
        lambda: [(Text(""), [(key, Text(fmt_number(days[key]))) for key in keys])],
        options,
        title=_title(f"{word.capitalize()}, complete projects"),
    )

    if "groups" in doc:
        console.print()
        _groups(doc, console, options)

    flagged = result.extras.get("flagged") or []
    if flagged:
        console.print()
        _flagged(result, flagged, console, options)


def _groups(doc: dict[str, Any], console: Console, options: OutputOptions) -> None:
    """Groups side by side when a few fit, else one row per group, else stacked."""
    groups = doc["groups"]
    by = visible(doc["group_by"])
    if not groups:
        console.print(_title(f"By {by}: no groups (no projects)"))
        return
    shown = _by_size(groups)
    left_out = len(groups) - len(shown)
    measures = _group_measures(doc)
    if len(groups) <= SIDE_BY_SIDE_GROUPS:
        columns = [Column("", [Text(label) for label, _ in measures], justify="left")]
        columns += [
            Column(_group_label(g["group"]), [Text(m(g)) for _, m in measures]) for g in shown
        ]
        # Side by side, a group value is a header: it must fit on one line, or the
        # columns would not say which group they are.
        if natural_width(columns) <= console.width:
            title = _title(f"By {by} (most projects first)")
            table = fitted_table(columns, console.width, options, title)
            if table is not None:
                console.print(table)
                return
    count = plural(len(groups), "group")
    title = _title(f"By {by}: {count}, most projects first")
    names = [Text(_group_label(g["group"])) for g in shown]
    columns = [
        Column(
            by,
            names,
            justify="left",
            flexible=True,
            min_width=GROUP_MIN_WIDTH,
        )
    ]
    columns += [Column(label, [Text(m(g)) for g in shown]) for label, m in measures]
    show(
        console,
        columns,
        lambda: [
            (Text(name.plain, style="bold"), [(label, Text(m(g))) for label, m in measures])
            for name, g in zip(names, shown, strict=True)
        ],
        options,
        title=title,
    )
    if left_out:
        console.print(_more_groups(left_out, options))


def _flagged(
    result: Result, flagged: list[dict[str, Any]], console: Console, options: OutputOptions
) -> None:
    doc = result.document
    metric, fast = doc["metric"], doc["fast_track"]
    word = days_word(metric["unit"])
    marks = [
        Text("same day", style="bold green") if "same_day" in r["flags"] else Text("")
        for r in flagged
    ]
    start, end = stage_label(metric["from"]), stage_label(metric["to"])
    columns = [
        Column(
            "project",
            [text(r["project"]) for r in flagged],
            justify="left",
            flexible=True,
            min_width=NAME_MIN_WIDTH,
        ),
        Column(start, [text(r[metric["from"]] or "-") for r in flagged], justify="left"),
        Column(end, [text(r[metric["to"]] or "-") for r in flagged], justify="left"),
        Column(word, [Text(fmt_number(r["days"])) for r in flagged]),
        Column("", marks, justify="left"),
    ]
    show(
        console,
        columns,
        lambda: [
            (
                text(r["project"], style="bold"),
                [
                    (start, text(r[metric["from"]] or "-")),
                    (end, text(r[metric["to"]] or "-")),
                    (word, Text(fmt_number(r["days"]))),
                ]
                + ([("", mark)] if mark.plain else []),
            )
            for r, mark in zip(flagged, marks, strict=True)
        ],
        options,
        title=_title(f"Same-day and within-{fast['max_days']}-{word[:-1]} projects"),
    )
    more = result.extras.get("flagged_total", len(flagged)) - len(flagged)
    if more > 0:
        command = result.extras.get("more_command") or (
            f"etown projects {shlex.quote(doc['source'])} --flag fast_track"
        )
        # A command to copy: never wrapped, however long the path.
        console.print(
            Text(
                f"{_ellipsis(options)} and {fmt_number(more)} more: {visible(command)}",
                style="dim",
            ),
            soft_wrap=True,
        )


# -- validate and check ---------------------------------------------------------------


@renders("validate")
def validate(result: Result, console: Console, _options: OutputOptions) -> None:
    doc = result.document
    stats = doc["stats"]
    verdict = (
        Text("valid", style="bold green") if doc["valid"] else Text("not valid", style="bold red")
    )
    console.print(
        Text.assemble(
            f"{visible(doc['source'])}: ",
            verdict,
            f" - {plural(stats['errors'], 'error')}, {plural(stats['warnings'], 'warning')}"
            f" in {plural(stats['rows'], 'row')}, {plural(stats['projects'], 'project')}",
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
            console.print(
                Padding(Text(f"{visible(kind)} ({len(items)})", style=style), (0, 0, 0, 2))
            )
            for finding in items:
                console.print(Padding(Text(visible(_describe(finding))), (0, 0, 0, 4)))


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
    rows = doc["checks"]
    names, limits = [], []
    for item in rows:
        name = item["check"]
        if "target_workdays" in item:
            name += f" {fmt_number(item['target_workdays'])}"
        names.append(text(name))
        sign = "<=" if item["bound"] == "max" else ">="
        limits.append(Text(f"{sign} {fmt_number(item['limit'])}"))
    verdicts = [
        Text("pass", style="green") if item["passed"] else Text("FAIL", style="bold red")
        for item in rows
    ]
    measures = [text(item["measure"]) for item in rows]
    values = [Text(fmt_number(item["value"])) for item in rows]
    columns = [
        Column("check", names, justify="left", flexible=True, min_width=NAME_MIN_WIDTH),
        Column("measure", measures, justify="left", flexible=True, min_width=NAME_MIN_WIDTH),
        Column("limit", limits),
        Column("value", values),
        Column("result", verdicts, justify="left"),
    ]
    show(
        console,
        columns,
        lambda: [
            (name, [("measure", m), ("limit", lim), ("value", v), ("result", r)])
            for name, m, lim, v, r in zip(names, measures, limits, values, verdicts, strict=True)
        ],
        options,
        title=Text.assemble(("Checks: ", "bold"), (visible(doc["source"]), "bold")),
    )


# -- compare --------------------------------------------------------------------------


def _label(group: Any) -> str:
    if isinstance(group, dict):
        return " / ".join("(none)" if v is None else str(v) for v in group.values())
    return "(none)" if group is None else str(group)


@renders("compare")
def compare(result: Result, console: Console, options: OutputOptions) -> None:
    doc = result.document
    word = days_word(doc["metric"]["unit"])
    groups = doc["groups"]
    names = [text(_label(g["group"])) for g in groups]
    against = {_label(c["group"]): c for c in doc["comparisons"]}

    def difference(name: str) -> Text:
        found = against.get(name)
        if found is None:
            return Text("reference")
        low, high = found["ci_low"], found["ci_high"]
        interval = "" if low is None else f" ({fmt_number(low)} to {fmt_number(high)})"
        return Text(f"{fmt_number(found['median_difference'])}{interval}")

    def p_value(name: str, key: str) -> Text:
        found = against.get(name)
        return Text("-" if found is None else fmt_number(found[key]))

    labels = [n.plain for n in names]
    columns = [
        Column("group", names, justify="left", flexible=True, min_width=NAME_MIN_WIDTH),
        Column("projects", [Text(fmt_number(g["projects"])) for g in groups]),
        Column("complete", [Text(fmt_number(g["complete"])) for g in groups]),
        Column("open", [Text(fmt_number(g["open"])) for g in groups]),
        Column(f"median {word}", [Text(fmt_number(g["median"])) for g in groups]),
        Column("KM median", [Text(fmt_number(g["km_median"])) for g in groups]),
        Column("diff (95% CI)", [difference(n) for n in labels]),
        Column("p MWU", [p_value(n, "p_value") for n in labels]),
        Column("p log-rank", [p_value(n, "logrank_p_value") for n in labels]),
    ]
    show(
        console,
        columns,
        lambda: [
            (name, [(c.header, c.cells[i]) for c in columns[1:]]) for i, name in enumerate(names)
        ],
        options,
        title=_title(f"Compared with {labels[0] if labels else '-'}"),
    )
    bootstrap = doc["bootstrap"]
    console.print(
        Text(
            f"diff: median {word} minus the reference's (95% interval from "
            f"{fmt_number(bootstrap['resamples'])} bootstrap resamples (seed "
            f"{bootstrap['seed']})); KM: Kaplan-Meier, counting open projects; p MWU: "
            "Mann-Whitney U; p log-rank: log-rank test",
            style="dim",
        )
    )


# -- projects -------------------------------------------------------------------------

#: One-letter flag abbreviations for narrow terminals (with a legend under the table).
FLAG_LETTERS = {
    "same_day": "S",
    "fast_track": "F",
    "out_of_order": "O",
    "duplicate_stage": "D",
}


def _flag_word(flag: str) -> str:
    return visible(flag.replace("_", "-"))


@renders("projects")
def projects(result: Result, console: Console, options: OutputOptions) -> None:
    stages = result.extras["stages"]
    word = days_word(result.extras.get("unit"))
    records = result.rows() or []
    start, end = stage_label(stages.start), stage_label(stages.end)
    title = _title(plural(len(records), "project"))
    names = [text(r["project"]) for r in records]
    starts = [text(r[stages.start] or "-") for r in records]
    ends = [text(r[stages.end] or "-") for r in records]
    days = []
    for record in records:
        if record["days"] is None and record["waiting_days"] is not None:
            days.append(Text(f"{fmt_number(record['waiting_days'])}+", style="yellow"))
        else:
            days.append(Text(fmt_number(record["days"])))
    statuses = [text(r["status"]) for r in records]
    # Flags wrap one per line in their cell; abbreviated to letters when space is short.
    full_flags = [Text(" ".join(_flag_word(f) for f in r["flags"])) for r in records]
    short_flags = [
        Text(" ".join(FLAG_LETTERS.get(f, _flag_word(f)) for f in r["flags"])) for r in records
    ]

    def columns(flags: list[Text]) -> list[Column]:
        return [
            Column("project", names, justify="left", flexible=True, min_width=NAME_MIN_WIDTH),
            Column(start, starts, justify="left"),
            Column(end, ends, justify="left"),
            Column(word, days),
            Column("status", statuses, justify="left"),
            Column(
                "flags",
                flags,
                justify="left",
                flexible=True,
                min_width=max((cell_len(w) for f in flags for w in f.plain.split()), default=0),
            ),
        ]

    table = fitted_table(columns(full_flags), console.width, options, title)
    legend = None
    if table is None:
        table = fitted_table(columns(short_flags), console.width, options, title)
        used = {f for r in records for f in r["flags"]}
        legend = ", ".join(
            f"{letter} {flag.replace('_', ' ')}"
            for flag, letter in FLAG_LETTERS.items()
            if flag in used
        )
    if table is not None:
        console.print(table)
        if legend:
            console.print(Text(f"flags: {legend}"))
    else:
        # One line of name, one of "start -> end · N days · status · flags": the
        # title says which stages the dates are.
        console.print(Text.assemble(title, f" ({start} -> {end})"))
        lines = stacked(
            [
                (
                    Text(name.plain, style="bold"),
                    [
                        ("", Text.assemble(s, " -> ", e)),
                        ("", Text.assemble(d, f" {word}")),
                        ("", st),
                    ]
                    + ([("", fl)] if fl.plain else []),
                )
                for name, s, e, d, st, fl in zip(
                    names, starts, ends, days, statuses, full_flags, strict=True
                )
            ],
            console.width,
            options,
        )
        for line in lines:
            console.print(line, overflow="fold")
    if any(r["status"] == "open" for r in records):
        console.print(Text(f"N+: open, waiting N {word} so far"))


# -- stages and trend ---------------------------------------------------------------


def _limit_groups(
    rows: list[dict[str, Any]], measure: str, *, total: bool
) -> tuple[list[dict[str, Any]], int, int]:
    """The rows of the :data:`GROUP_ROWS` largest groups, largest first, each group's
    rows in their order; how many groups there are; how many are left out.

    A group's size is the sum (``total``) or the largest of its rows' ``measure``.
    One pass over the rows and a partial sort: 20,000 groups take milliseconds.
    """
    sizes: dict[Any, int] = {}
    for row in rows:
        group, value = row["group"], row[measure] or 0
        before = sizes.get(group)
        sizes[group] = value if before is None else before + value if total else max(before, value)
    kept = heapq.nsmallest(
        GROUP_ROWS, sizes, key=lambda group: (-sizes[group], group is None, group or "")
    )
    place = {group: i for i, group in enumerate(kept)}
    shown = sorted((r for r in rows if r["group"] in place), key=lambda r: place[r["group"]])
    return shown, len(sizes), len(sizes) - len(kept)


@renders("stages")
def stages(result: Result, console: Console, options: OutputOptions) -> None:
    doc = result.document
    rows = doc["transitions"]
    grouped = "group_by" in doc
    word = days_word(doc["metric"]["unit"])
    measured = [r for r in rows if r["median"] is not None and r["share"] is not None]
    slowest = max(measured, key=lambda r: (r["median"], r["mean"]), default=None)
    title_words = f"{word.capitalize()} between stages"
    left_out = 0
    if grouped:
        rows, count, left_out = _limit_groups(rows, "count", total=False)
        title_words += f", by {visible(doc['group_by'])}: {plural(count, 'group')}"
        title_words += ", most measured projects first"
    keys = ("count", "min", "median", "mean", "p90", "max")
    transitions = [Text(f"{stage_label(r['from'])} -> {stage_label(r['to'])}") for r in rows]
    # "from ->" over "to" at the narrowest, never a few letters a line.
    transition_width = max(
        (max(cell_len(stage_label(r["from"])) + 3, cell_len(stage_label(r["to"]))) for r in rows),
        default=0,
    )
    styles = ["bold" if r is slowest else "" for r in rows]
    columns = []
    if grouped:
        columns.append(
            Column(
                visible(doc["group_by"]),
                [Text(_group_label(r["group"])) for r in rows],
                justify="left",
                flexible=True,
                min_width=GROUP_MIN_WIDTH,
            )
        )
    columns.append(
        Column("from -> to", transitions, justify="left", flexible=True, min_width=transition_width)
    )
    columns += [Column(key, [Text(fmt_number(r[key])) for r in rows]) for key in keys]
    columns.append(Column("share", [Text(fmt_share(r["share"])) for r in rows]))
    columns.append(
        Column("", [Text("slowest" if r is slowest else "") for r in rows], justify="left")
    )
    for column in columns:
        for cell, style in zip(column.cells, styles, strict=True):
            if style:
                cell.stylize(style)

    def records() -> list[Record]:
        out: list[Record] = []
        for i, row in enumerate(rows):
            name = transitions[i].copy()
            if grouped:
                name = Text.assemble(Text(f"{_group_label(row['group'])}: "), name)
            if row is slowest:
                name.append(" (slowest)")
            name.stylize("bold")
            pairs = [(key, Text(fmt_number(row[key]))) for key in keys]
            pairs.append(("share", Text(fmt_share(row["share"]))))
            out.append((name, pairs))
        return out

    if not rows:
        console.print(_title(title_words))
        console.print(Text("no transitions to show"))
    else:
        show(console, columns, records, options, title=_title(title_words))
    if left_out:
        console.print(_more_groups(left_out, options))
    console.print()
    console.print(Text(f"share: the transition's mean over the mean {word} of complete projects;"))
    console.print(Text("slowest: the highest median (then mean)"))


@renders("trend")
def trend(result: Result, console: Console, options: OutputOptions) -> None:
    doc = result.document
    grouped = "group_by" in doc
    word = days_word(doc["metric"]["unit"])
    rows = doc["periods"]
    title_words = f"By {visible(doc['by'])} of {stage_label(doc['metric']['from'])}"
    left_out = 0
    if grouped:
        rows, count, left_out = _limit_groups(rows, "projects", total=True)
        title_words += f", by {visible(doc['group_by'])}: {plural(count, 'group')}"
        title_words += ", most projects first"
    measures: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("projects", lambda r: fmt_number(r["projects"])),
        ("complete", lambda r: fmt_number(r["complete"])),
        ("open", lambda r: fmt_number(r["open"])),
        (f"median {word}", lambda r: fmt_number(r["median_days"])),
        ("same day", lambda r: fmt_share(r["same_day_share"])),
        ("fast track", lambda r: fmt_share(r["fast_track_share"])),
    ]
    columns = []
    if grouped:
        columns.append(
            Column(
                visible(doc["group_by"]),
                [Text(_group_label(r["group"])) for r in rows],
                justify="left",
                flexible=True,
                min_width=GROUP_MIN_WIDTH,
            )
        )
    columns.append(Column("period", [text(r["period"]) for r in rows], justify="left"))
    columns += [Column(label, [Text(m(r)) for r in rows]) for label, m in measures]

    def records() -> list[Record]:
        return [
            (
                Text(
                    (f"{_group_label(r['group'])}: " if grouped else "") + visible(r["period"]),
                    style="bold",
                ),
                [(label, Text(m(r))) for label, m in measures],
            )
            for r in rows
        ]

    if not rows:
        console.print(_title(title_words))
        console.print(Text("no periods to show"))
    else:
        show(console, columns, records, options, title=_title(title_words))
    if left_out:
        console.print(_more_groups(left_out, options))
    if doc["undated_projects"]:
        start = stage_label(doc["metric"]["from"])
        console.print()
        console.print(
            Text(
                f"{plural(doc['undated_projects'], 'project')} without a {start} date "
                f"{'is' if doc['undated_projects'] == 1 else 'are'} not shown"
            )
        )


# -- timeline -------------------------------------------------------------------------


@renders("timeline")
def timeline(result: Result, console: Console, options: OutputOptions) -> None:
    from .timeline import draw

    lines = draw(
        result.rows() or [],
        result.extras["stages"],
        result.extras["as_of"],
        console.width,
        options.unicode,
        unit=result.extras.get("unit"),
    )
    for line in lines:
        console.print(line, overflow="crop", no_wrap=True)
