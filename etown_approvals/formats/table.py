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

Every label is a gettext message (:mod:`etown_approvals.i18n`) translated into
``options.lang``; the English messages are the labels themselves. Data (names,
group values, periods, finding types, check names, commands) is never translated,
and neither are stage names from a configuration file.
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

from ..i18n import (
    FLAG_LABELS,
    N_,
    PROJECT_PARTS,
    PROJECTS_LINE,
    ROW_PARTS,
    ROWS_LINE,
    STAGE_LABELS,
    STATUS_LABELS,
    UNIT_LABELS,
    Translator,
    plural_translator,
    shown_parts,
    shown_statuses,
    translator,
)
from ..terminal import visible
from . import added_percentiles, percentile_columns, rejected_share, statistic_keys
from .labels import english as _english
from .labels import km_median_line, not_compared_line
from .labels import stage_label as stage_label
from .labels import status_label as status_label

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
    """Register the decorated function as the table of results of ``kind``."""

    def register(
        function: Callable[[Result, Console, OutputOptions], None],
    ) -> Callable[[Result, Console, OutputOptions], None]:
        _RENDERERS[kind] = function
        return function

    return register


def console_for(out: TextIO, options: OutputOptions) -> Console:
    """A rich console writing to ``out`` at the options' width and colour (data never markup)."""
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
    """Write ``result`` as terminal tables in ``options.lang``."""
    from dataclasses import replace

    from . import one_column_groups

    buffer = io.StringIO()
    console = console_for(buffer, options)
    result = replace(result, content=one_column_groups(result.document))
    _RENDERERS[result.kind](result, console, options)
    # rich pads every line to the table width; trailing blanks only get in the way.
    out.write("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n")


# -- words and numbers ------------------------------------------------------------


def text(value: Any, style: str | None = None) -> Text:
    """Data as a rich ``Text``: control characters visible, markup never read."""
    return Text(visible("" if value is None else value), style=style or "")


def fmt_number(value: Any) -> str:
    """A number with thousands separators and at most four decimals (``-`` when missing)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else str(value)


def fmt_share(value: float | None) -> str:
    """A share as a percentage with one decimal (``-`` when missing)."""
    return "-" if value is None else f"{value:.1%}"


def counted(count: int, one: str, many: str, _: Translator = _english) -> str:
    """``one`` or ``many`` for ``count`` in the language of ``_`` (its catalog's
    ``ngettext``), with ``{count}`` written with thousands separators."""
    return _plural(_)(one, many, count).format(count=f"{count:,}")


def _plural(_: Translator) -> Callable[[str, str, int], str]:
    """The ``ngettext`` of the catalog whose ``gettext`` is ``_`` (English: by count)."""
    catalog = getattr(_, "__self__", None)
    if catalog is not None and hasattr(catalog, "ngettext"):
        return catalog.ngettext  # type: ignore[no-any-return]
    return lambda one, many, count: one if count == 1 else many


def is_configured(result: Result, *stages: str) -> bool:
    """Whether the result's stages were named in a configuration file (shown as written).

    The stage set says so when the result carries it; otherwise a stage that is
    not one of the built-in E-Town stages can only have come from a configuration.
    """
    stage_set = result.extras.get("stages")
    if stage_set is not None:
        return bool(stage_set.configured)
    return any(stage not in STAGE_LABELS for stage in stages)


def days_word(unit: str | None, _: Translator = _english) -> str:
    """What a duration is counted in, as tables say it: ``days`` or ``workdays``."""
    return _("workdays") if unit == "workdays" else _("days")


def _workdays(unit: str | None) -> bool:
    return unit == "workdays"


def unit_label(unit: str, _: Translator = _english) -> str:
    """``calendar days`` or ``workdays`` (another unit as written)."""
    message = UNIT_LABELS.get(unit)
    return _(message) if message else visible(unit.replace("_", " "))


#: Flags as the projects table writes them (one word each, so that a cell wraps
#: between flags): the JSON codes with hyphens.
FLAG_WORDS: dict[str, str] = {
    "same_day": N_("same-day"),
    "fast_track": N_("fast-track"),
    "out_of_order": N_("out-of-order"),
    "duplicate_stage": N_("duplicate-stage"),
}

#: Summary statistics of durations, as column headers.
STAT_LABELS: dict[str, str] = {
    "count": N_("count"),
    "min": N_("min"),
    "p25": N_("p25"),
    "median": N_("median"),
    "mean": N_("mean"),
    "p75": N_("p75"),
    "p90": N_("p90"),
    "max": N_("max"),
}

#: Trend periods (``--by``) as titles say them.
PERIOD_LABELS: dict[str, str] = {
    "year": N_("year"),
    "quarter": N_("quarter"),
    "month": N_("month"),
}


def _stat(key: str, _: Translator) -> str:
    message = STAT_LABELS.get(key)
    return _(message) if message else visible(key)


#: A period whose open projects are at least this share of its complete and open ones
#: gets its plain median marked as biased low.
BIASED_OPEN_SHARE = 0.2


def _median_word(unit: str | None, _: Translator) -> str:
    return _("median workdays") if _workdays(unit) else _("median days")


def _group_column(doc: dict[str, Any], rows: list[dict[str, Any]], _: Translator) -> Column:
    """The column of group values that starts a grouped table."""
    return Column(
        visible(doc["group_by"]),
        [Text(_group_label(r["group"], _)) for r in rows],
        justify="left",
        flexible=True,
        min_width=GROUP_MIN_WIDTH,
    )


def _group_label(value: str | None, _: Translator = _english) -> str:
    return _("(none)") if value is None else visible(value)


def _ellipsis(options: OutputOptions) -> str:
    return "…" if options.unicode else "..."


def _more_groups(left_out: int, options: OutputOptions, _: Translator) -> Text:
    ngettext = _plural(_)
    message = ngettext(
        "{ellipsis} and {count} more group: use --format json",
        "{ellipsis} and {count} more groups: use --format json",
        left_out,
    )
    return Text(
        message.format(ellipsis=_ellipsis(options), count=f"{left_out:,}"),
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


def _group_measures(
    doc: dict[str, Any], _: Translator
) -> list[tuple[str, Callable[[dict[str, Any]], str]]]:
    unit = doc["metric"]["unit"]
    workdays = _workdays(unit)
    within = _("within {days} workdays") if workdays else _("within {days} days")
    return [
        (_("projects"), lambda g: fmt_number(g["projects"]["total"])),
        *(
            (_(STATUS_LABELS[status]), lambda g, s=status: fmt_number(g["projects"][s]))
            for status in shown_statuses(doc["groups"])
        ),
        (_median_word(doc["metric"]["unit"], _), lambda g: fmt_number(g["days"]["median"])),
        (
            _("p90 workdays") if workdays else _("p90 days"),
            lambda g: fmt_number(g["days"]["p90"]),
        ),
        *(  # the percentiles asked for
            (f"{visible(key)} {days_word(unit, _)}", lambda g, k=key: fmt_number(g["days"][k]))
            for key in added_percentiles(doc["days"])
        ),
        (_("same day"), lambda g: fmt_share(g["same_day"]["share"])),
        (
            within.format(days=doc["fast_track"]["max_days"]),
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
    """The summary: counts, days of complete projects, groups, the fast projects listed."""
    _ = translator(options.lang)
    doc = result.document
    metric, rows, projects, days = doc["metric"], doc["rows"], doc["projects"], doc["days"]
    configured = is_configured(result, metric["from"], metric["to"])
    workdays = _workdays(metric["unit"])
    console.print(Text(_("Approval time: {source}").format(source=visible(doc["source"])), "bold"))
    console.print(
        Text(
            _("{start} -> {end}, in {unit}").format(
                start=stage_label(metric["from"], _, configured=configured),
                end=stage_label(metric["to"], _, configured=configured),
                unit=unit_label(metric["unit"], _),
            )
        )
    )
    console.print()

    _rejected_warning(doc, console, _)
    n = fmt_number
    row_text = _rows_text(rows, _)
    project_text = _(PROJECTS_LINE).format(
        total=n(projects["total"]),
        complete=n(projects["complete"]),
        open=n(projects["open"]),
        invalid=n(projects["invalid"]),
    )
    for key, message in shown_parts(projects, PROJECT_PARTS):
        project_text += _(message).format(count=n(projects[key]))
    same, fast = doc["same_day"], doc["fast_track"]
    complete = n(projects["complete"])
    of_complete = _("{count} of {complete} complete ({share})")
    within = _("Within {days} workdays") if workdays else _("Within {days} days")
    overview = [
        (_("Rows"), row_text),
        (_("Projects"), project_text),
        (
            _("Same day"),
            of_complete.format(
                count=n(same["count"]), complete=complete, share=fmt_share(same["share"])
            ),
        ),
        (
            within.format(days=fast["max_days"]),
            of_complete.format(
                count=n(fast["count"]), complete=complete, share=fmt_share(fast["share"])
            ),
        ),
    ]
    target = doc.get("target")
    if target:
        overview.append(
            (
                _("Within {days} workdays").format(days=target["workdays"]),
                _("{met} of {complete} complete ({share}), {over} over").format(
                    met=n(target["met"]),
                    complete=complete,
                    share=fmt_share(target["share_met"]),
                    over=n(target["over"]),
                ),
            )
        )
    survival = doc.get("survival")
    if survival:
        unit_word = _("workdays") if workdays else _("days")
        estimate = km_median_line(survival, unit_word, _, n)
        overview.append((_("Kaplan-Meier median"), estimate))
    label_width = max(cell_len(label) for label, _value in overview)
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("what", style="bold", width=label_width, no_wrap=True)
    table.add_column("numbers", overflow="fold")
    for label, value in overview:
        table.add_row(Text(label), Text(value))
    console.print(table)
    console.print()

    keys = statistic_keys(days)  # with the percentiles asked for
    show(
        console,
        [Column(_stat(key, _), [Text(fmt_number(days[key]))]) for key in keys],
        lambda: [(Text(""), [(_stat(key, _), Text(fmt_number(days[key]))) for key in keys])],
        options,
        title=_title(
            _("Workdays, complete projects") if workdays else _("Days, complete projects")
        ),
    )

    if "groups" in doc:
        console.print()
        _groups(doc, console, options, _)

    flagged = result.extras.get("flagged") or []
    if flagged:
        console.print()
        _flagged(result, flagged, console, options, _, configured=configured)


def _rows_text(rows: dict[str, int], _: Translator) -> str:
    """Every count of ``rows`` that is not zero, so that the line adds up (see
    :data:`etown_approvals.i18n.ROW_PARTS`)."""
    text = _(ROWS_LINE).format(
        read=fmt_number(rows["read"]),
        used=fmt_number(rows["used"]),
        rejected=fmt_number(rows["rejected"]),
    )
    for key, message in shown_parts(rows, ROW_PARTS):
        text += _(message).format(count=fmt_number(rows[key]))
    return text


def _rows_line(doc: dict[str, Any], console: Console, _: Translator) -> None:
    """The Rows line of a list of measures (stages, trend), as the summary has it."""
    console.print()
    console.print(Text.assemble((_("Rows"), "bold"), "  ", _rows_text(doc["rows"], _)))


def _rejected_warning(doc: dict[str, Any], console: Console, _: Translator) -> None:
    """A line of its own when more than a few of the rows that count were rejected."""
    rejected = rejected_share(doc)
    if rejected is None:
        return
    part, count, counted = rejected
    console.print(
        Text(
            _(
                "Warning: {share} of the rows that count were rejected ({rejected} of "
                "{counted}): the numbers come from the rest (etown validate lists the "
                "rejected rows)."
            ).format(
                share=fmt_share(part), rejected=fmt_number(count), counted=fmt_number(counted)
            ),
            "bold",
        )
    )
    console.print()


def _groups(doc: dict[str, Any], console: Console, options: OutputOptions, _: Translator) -> None:
    """Groups side by side when a few fit, else one row per group, else stacked."""
    groups = doc["groups"]
    by = visible(doc["group_by"])
    if not groups:
        console.print(_title(_("By {column}: no groups (no projects)").format(column=by)))
        return
    shown = _by_size(groups)
    left_out = len(groups) - len(shown)
    measures = _group_measures(doc, _)
    if len(groups) <= SIDE_BY_SIDE_GROUPS:
        columns = [Column("", [Text(label) for label, _m in measures], justify="left")]
        columns += [
            Column(_group_label(g["group"], _), [Text(m(g)) for _label, m in measures])
            for g in shown
        ]
        # Side by side, a group value is a header: it must fit on one line, or the
        # columns would not say which group they are.
        if natural_width(columns) <= console.width:
            title = _title(_("By {column} (most projects first)").format(column=by))
            table = fitted_table(columns, console.width, options, title)
            if table is not None:
                console.print(table)
                return
    count = counted(len(groups), "{count} group", "{count} groups", _)
    title = _title(_("By {column}: {groups}, most projects first").format(column=by, groups=count))
    columns = [_group_column(doc, shown, _)]
    columns += [Column(label, [Text(m(g)) for g in shown]) for label, m in measures]
    show(
        console,
        columns,
        lambda: [
            (Text(name.plain, style="bold"), [(label, Text(m(g))) for label, m in measures])
            for name, g in zip(columns[0].cells, shown, strict=True)
        ],
        options,
        title=title,
    )
    if left_out:
        console.print(_more_groups(left_out, options, _))


def _flagged(
    result: Result,
    flagged: list[dict[str, Any]],
    console: Console,
    options: OutputOptions,
    _: Translator,
    *,
    configured: bool,
) -> None:
    doc = result.document
    metric, fast = doc["metric"], doc["fast_track"]
    word = days_word(metric["unit"], _)
    marks = [
        Text(_("same day"), style="bold green") if "same_day" in r["flags"] else Text("")
        for r in flagged
    ]
    start = stage_label(metric["from"], _, configured=configured)
    end = stage_label(metric["to"], _, configured=configured)
    title = (
        _("Same-day and within-{days}-workday projects")
        if _workdays(metric["unit"])
        else _("Same-day and within-{days}-day projects")
    )
    columns = [
        Column(
            _("project"),
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
        title=_title(title.format(days=fast["max_days"])),
    )
    more = result.extras.get("flagged_total", len(flagged)) - len(flagged)
    if more > 0:
        command = result.extras.get("more_command") or (
            f"etown projects {shlex.quote(doc['source'])} --flag fast_track"
        )
        # A command to copy: never wrapped, however long the path.
        console.print(
            Text(
                _("{ellipsis} and {more} more: {command}").format(
                    ellipsis=_ellipsis(options), more=fmt_number(more), command=visible(command)
                ),
                style="dim",
            ),
            soft_wrap=True,
        )


# -- validate and check ---------------------------------------------------------------


@renders("validate")
def validate(result: Result, console: Console, options: OutputOptions) -> None:
    """The verdict, then the findings grouped by type."""
    _ = translator(options.lang)
    doc = result.document
    stats = doc["stats"]
    verdict = (
        Text(_("valid"), style="bold green")
        if doc["valid"]
        else Text(_("not valid"), style="bold red")
    )
    console.print(
        Text.assemble(
            f"{visible(doc['source'])}: ",
            verdict,
            _(" - {errors}, {warnings} in {rows}, {projects}").format(
                errors=counted(stats["errors"], "{count} error", "{count} errors", _),
                warnings=counted(stats["warnings"], "{count} warning", "{count} warnings", _),
                rows=counted(stats["rows"], "{count} row", "{count} rows", _),
                projects=counted(stats["projects"], "{count} project", "{count} projects", _),
            ),
        )
    )
    for title, key, style in (
        (_("Errors"), "errors", "red"),
        (_("Warnings"), "warnings", "yellow"),
    ):
        found = doc[key]
        if not found:
            continue
        shown = (
            _(" (first {shown} of {total})").format(shown=len(found), total=stats[key])
            if len(found) < stats[key]
            else ""
        )
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
                console.print(Padding(Text(visible(_describe(finding, _))), (0, 0, 0, 4)))


def _describe(finding: dict[str, Any], _: Translator = _english) -> str:
    where = []
    if finding["row"] is not None:
        where.append(_("row {row}").format(row=finding["row"]))
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
    """Each threshold with its limit, value and verdict."""
    _ = translator(options.lang)
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
        Text(_("pass"), style="green") if item["passed"] else Text(_("FAIL"), style="bold red")
        for item in rows
    ]
    measures = [text(item["measure"]) for item in rows]
    values = [Text(fmt_number(item["value"])) for item in rows]
    measure, limit, value, verdict = _("measure"), _("limit"), _("value"), _("result")
    columns = [
        Column(_("check"), names, justify="left", flexible=True, min_width=NAME_MIN_WIDTH),
        Column(measure, measures, justify="left", flexible=True, min_width=NAME_MIN_WIDTH),
        Column(limit, limits),
        Column(value, values),
        Column(verdict, verdicts, justify="left"),
    ]
    show(
        console,
        columns,
        lambda: [
            (name, [(measure, m), (limit, lim), (value, v), (verdict, r)])
            for name, m, lim, v, r in zip(names, measures, limits, values, verdicts, strict=True)
        ],
        options,
        title=Text(_("Checks: {source}").format(source=visible(doc["source"])), "bold"),
    )


# -- compare --------------------------------------------------------------------------


def _label(group: Any, _: Translator = _english) -> str:
    if isinstance(group, dict):
        return " / ".join(_("(none)") if v is None else str(v) for v in group.values())
    return _("(none)") if group is None else str(group)


def _p_value(value: float | None) -> str:
    """A p-value with its three significant digits (``< 1e-300`` at the floor)."""
    if value is None:
        return "-"
    return "< 1e-300" if value <= 1e-300 else f"{value:.3g}"


def _with_interval(estimate: Any, low: Any, high: Any, _: Translator, open_end: str) -> Text:
    """``estimate (low to high)``; an open side of the interval is ``open_end``."""
    if estimate is None:
        return Text("-")
    if low is None and high is None:
        return Text(fmt_number(estimate))
    ends = [open_end if v is None else fmt_number(v) for v in (low, high)]
    interval = _("({low} to {high})").format(low=ends[0], high=ends[1])
    return Text(f"{fmt_number(estimate)} {interval}")


@renders("compare")
def compare(result: Result, console: Console, options: OutputOptions) -> None:
    """The groups, then each group against the reference, with the methods named."""
    _ = translator(options.lang)
    doc = result.document
    median = _median_word(doc["metric"]["unit"], _)
    workdays = _workdays(doc["metric"]["unit"])
    groups = doc["groups"]
    comparisons = doc["comparisons"]
    reference = visible(_label(doc["reference"], _)) if doc.get("reference") is not None else "-"
    names = [text(_label(g["group"], _)) for g in groups]
    columns = [
        Column(_("group"), names, justify="left", flexible=True, min_width=NAME_MIN_WIDTH),
        Column(_("projects"), [Text(fmt_number(g["projects"])) for g in groups]),
        Column(_("complete"), [Text(fmt_number(g["complete"])) for g in groups]),
        Column(_("open"), [Text(fmt_number(g["open"])) for g in groups]),
        Column(_("invalid"), [Text(fmt_number(g["invalid"])) for g in groups]),
        Column(_("withdrawn"), [Text(fmt_number(g["withdrawn"])) for g in groups]),
        Column(median, [Text(fmt_number(g["median"])) for g in groups]),
        Column(_("KM median"), [Text(fmt_number(g["km_median"])) for g in groups]),
    ]
    if any("completed_by" in g for g in groups):
        for days in groups[0]["completed_by"]:
            done_by = _("done by workday {days}") if workdays else _("done by day {days}")
            columns.append(
                Column(
                    done_by.format(days=days),
                    [Text(fmt_share(g["completed_by"][days])) for g in groups],
                )
            )
    show(
        console,
        columns,
        lambda: [
            (name, [(c.header, c.cells[i]) for c in columns[1:]]) for i, name in enumerate(names)
        ],
        options,
        title=_title(_("Compared with {reference}").format(reference=reference)),
    )
    said = not_compared_line(doc, _, fmt_number)
    if said is not None:
        console.print(Text(said), overflow="fold")
    if comparisons:
        console.print()
        more = _ellipsis(options)
        against = [text(_label(c["group"], _)) for c in comparisons]
        pairs = [
            Column(_("group"), against, justify="left", flexible=True, min_width=NAME_MIN_WIDTH),
            Column(
                _("median diff (95% CI)"),
                [
                    _with_interval(c["median_difference"], c["ci_low"], c["ci_high"], _, more)
                    for c in comparisons
                ],
            ),
            Column(
                _("KM median diff"),
                [_with_interval(*_triple(c["km_median_difference"]), _, more) for c in comparisons],
            ),
            Column(
                _("RMST diff"),
                [_with_interval(*_triple(c["rmst_difference"]), _, more) for c in comparisons],
            ),
            Column(
                _("to workday") if workdays else _("to day"),
                [Text(fmt_number(c["rmst_difference"]["horizon"])) for c in comparisons],
            ),
            Column(
                _("shift (HL)"),
                [_with_interval(*_triple(c["hodges_lehmann"]), _, more) for c in comparisons],
            ),
            Column(_("p MWU"), [Text(_p_value(c["p_value"])) for c in comparisons]),
            Column(_("p Holm"), [Text(_p_value(c["p_value_holm"])) for c in comparisons]),
            Column(_("p log-rank"), [Text(_p_value(c["logrank_p_value"])) for c in comparisons]),
            Column(
                _("p log-rank Holm"),
                [Text(_p_value(c["logrank_p_value_holm"])) for c in comparisons],
            ),
        ]
        show(
            console,
            pairs,
            lambda: [
                (name, [(c.header, c.cells[i]) for c in pairs[1:]])
                for i, name in enumerate(against)
            ],
            options,
        )
    bootstrap = doc["bootstrap"]
    if workdays:
        legend = _(
            "Differences: group minus {reference}. median diff: {median}, complete "
            "projects only; KM: Kaplan-Meier medians, counting open projects ({level} "
            "intervals from {resamples} bootstrap resamples, seed {seed}); RMST: mean "
            "time up to the workday shown (restricted mean); shift (HL): Hodges-Lehmann; "
            "p MWU: Mann-Whitney U, exact for small groups; p log-rank: log-rank test, "
            "counting open projects; Holm: adjusted for the number of pairs"
        )
    else:
        legend = _(
            "Differences: group minus {reference}. median diff: {median}, complete "
            "projects only; KM: Kaplan-Meier medians, counting open projects ({level} "
            "intervals from {resamples} bootstrap resamples, seed {seed}); RMST: mean "
            "time up to the day shown (restricted mean); shift (HL): Hodges-Lehmann; "
            "p MWU: Mann-Whitney U, exact for small groups; p log-rank: log-rank test, "
            "counting open projects; Holm: adjusted for the number of pairs"
        )
    console.print(
        Text(
            legend.format(
                reference=reference,
                median=median,
                # Outside the message: "95% i" would read as a printf directive to gettext tools.
                level="95%",
                resamples=fmt_number(bootstrap["resamples"]),
                seed=bootstrap["seed"],
            ),
            style="dim",
        )
    )
    notes = [(g["group"], g["note"]) for g in groups if g.get("note")]
    notes += [(c["group"], c["note"]) for c in comparisons if c.get("note")]
    for group, note in notes:
        said = "; ".join(_(part) for part in note.split("; "))
        console.print(Text(f"{visible(_label(group, _))}: {said}", style="dim"), overflow="fold")
    if doc.get("note"):
        console.print(Text(_(doc["note"]), style="dim"), overflow="fold")


def _triple(value: dict[str, Any]) -> tuple[Any, Any, Any]:
    return value["estimate"], value["ci_low"], value["ci_high"]


# -- projects -------------------------------------------------------------------------

#: One-letter flag abbreviations for narrow terminals (with a legend under the table).
FLAG_LETTERS = {
    "same_day": "S",
    "fast_track": "F",
    "out_of_order": "O",
    "duplicate_stage": "D",
}


def _flag_word(flag: str, _: Translator = _english) -> str:
    message = FLAG_WORDS.get(flag)
    return _(message) if message else visible(flag.replace("_", "-"))


@renders("projects")
def projects(result: Result, console: Console, options: OutputOptions) -> None:
    """One row per project (as many as the table shows), with a legend of flags."""
    _ = translator(options.lang)
    stages = result.extras["stages"]
    unit = result.extras.get("unit")
    word = days_word(unit, _)
    records = result.rows() or []
    start = stage_label(stages.start, _, configured=stages.configured)
    end = stage_label(stages.end, _, configured=stages.configured)
    title = _title(counted(len(records), "{count} project", "{count} projects", _))
    names = [text(r["project"]) for r in records]
    starts = [text(r[stages.start] or "-") for r in records]
    ends = [text(r[stages.end] or "-") for r in records]
    days = []
    for record in records:
        if record["days"] is None and record["waiting_days"] is not None:
            days.append(Text(f"{fmt_number(record['waiting_days'])}+", style="yellow"))
        else:
            days.append(Text(fmt_number(record["days"])))
    statuses = [Text(status_label(r["status"], _)) for r in records]
    # Flags wrap one per line in their cell; abbreviated to letters when space is short.
    full_flags = [Text(" ".join(_flag_word(f, _) for f in r["flags"])) for r in records]
    short_flags = [
        Text(" ".join(FLAG_LETTERS.get(f, _flag_word(f, _)) for f in r["flags"])) for r in records
    ]

    def columns(flags: list[Text]) -> list[Column]:
        return [
            Column(_("project"), names, justify="left", flexible=True, min_width=NAME_MIN_WIDTH),
            Column(start, starts, justify="left"),
            Column(end, ends, justify="left"),
            Column(word, days),
            Column(_("status"), statuses, justify="left"),
            Column(
                _("flags"),
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
            f"{letter} {_(FLAG_LABELS[flag])}"
            for flag, letter in FLAG_LETTERS.items()
            if flag in used
        )
    if table is not None:
        console.print(table)
        if legend:
            console.print(Text(_("flags: {legend}").format(legend=legend)))
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
        console.print(
            Text(
                _("N+: open, waiting N workdays so far")
                if _workdays(unit)
                else _("N+: open, waiting N days so far")
            )
        )
    left_out = result.extras.get("left_out", 0)
    if left_out:
        console.print(
            Text(
                _("{ellipsis} and {count} more: use --format csv or json, or --limit N").format(
                    ellipsis=_ellipsis(options), count=fmt_number(left_out)
                ),
                style="dim",
            )
        )


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
    """Days between stages, the slowest marked."""
    _ = translator(options.lang)
    doc = result.document
    rows = doc["transitions"]
    grouped = "group_by" in doc
    metric = doc["metric"]
    workdays = _workdays(metric["unit"])
    configured = is_configured(
        result, metric["from"], metric["to"], *(s for r in rows for s in (r["from"], r["to"]))
    )

    def label(stage: str) -> str:
        return stage_label(stage, _, configured=configured)

    from ..metrics import slowest_transition

    slowest = slowest_transition(rows)  # among all transitions, not only the metric's
    title_words = _("Workdays between stages") if workdays else _("Days between stages")
    left_out = 0
    if grouped:
        rows, count, left_out = _limit_groups(rows, "count", total=False)
        title_words += _(", by {column}: {groups}, most measured projects first").format(
            column=visible(doc["group_by"]),
            groups=counted(count, "{count} group", "{count} groups", _),
        )
    keys = statistic_keys(rows[0]) if rows else ["count", "min", "median", "mean", "p90", "max"]
    transitions = [Text(f"{label(r['from'])} -> {label(r['to'])}") for r in rows]
    # "from ->" over "to" at the narrowest, never a few letters a line.
    transition_width = max(
        (max(cell_len(label(r["from"])) + 3, cell_len(label(r["to"]))) for r in rows),
        default=0,
    )
    styles = ["bold" if r is slowest else "" for r in rows]
    columns = [_group_column(doc, rows, _)] if grouped else []
    columns.append(
        Column(
            _("from -> to"), transitions, justify="left", flexible=True, min_width=transition_width
        )
    )
    columns += [Column(_stat(key, _), [Text(fmt_number(r[key])) for r in rows]) for key in keys]
    columns.append(Column(_("share"), [Text(fmt_share(r["share"])) for r in rows]))
    columns.append(
        Column("", [Text(_("slowest") if r is slowest else "") for r in rows], justify="left")
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
                name = Text.assemble(Text(f"{_group_label(row['group'], _)}: "), name)
            if row is slowest:
                name.append(_(" (slowest)"))
            name.stylize("bold")
            pairs = [(_stat(key, _), Text(fmt_number(row[key]))) for key in keys]
            pairs.append((_("share"), Text(fmt_share(row["share"]))))
            out.append((name, pairs))
        return out

    _rejected_warning(doc, console, _)
    if not rows:
        console.print(_title(title_words))
        console.print(Text(_("no transitions to show")))
    else:
        show(console, columns, records, options, title=_title(title_words))
    if left_out:
        console.print(_more_groups(left_out, options, _))
    console.print()
    console.print(
        Text(
            _("share: the transition's mean over the mean workdays of complete projects;")
            if workdays
            else _("share: the transition's mean over the mean days of complete projects;")
        )
    )
    console.print(Text(_("slowest: the highest median (then mean)")))
    _rows_line(doc, console, _)


@renders("trend")
def trend(result: Result, console: Console, options: OutputOptions) -> None:
    """One row per period, a plain median biased by open projects marked."""
    _ = translator(options.lang)
    doc = result.document
    grouped = "group_by" in doc
    metric = doc["metric"]
    rows = doc["periods"]
    # The stage whose date places a project in a period (the metric's start unless
    # --period-of chose another).
    of = doc.get("period_of") or metric["from"]
    start = stage_label(of, _, configured=is_configured(result, metric["from"], metric["to"], of))
    period = PERIOD_LABELS.get(doc["by"])
    title_words = _("By {period} of {stage}").format(
        period=_(period) if period else visible(doc["by"]), stage=start
    )
    left_out = 0
    if grouped:
        rows, count, left_out = _limit_groups(rows, "projects", total=True)
        title_words += _(", by {column}: {groups}, most projects first").format(
            column=visible(doc["group_by"]),
            groups=counted(count, "{count} group", "{count} groups", _),
        )

    def biased(row: dict[str, Any]) -> bool:
        # Many projects still open: the slow ones are missing from the plain median.
        waiting = row["open"]
        return row["median_days"] is not None and waiting >= BIASED_OPEN_SHARE * max(
            row["complete"] + waiting, 1
        )

    def median(row: dict[str, Any]) -> str:
        return fmt_number(row["median_days"]) + ("*" if biased(row) else "")

    measures: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        (_("projects"), lambda r: fmt_number(r["projects"])),
        (_("complete"), lambda r: fmt_number(r["complete"])),
        (_("open"), lambda r: fmt_number(r["open"])),
        (_("invalid"), lambda r: fmt_number(r["invalid"])),
    ]
    if any(r.get("withdrawn") for r in rows):
        measures.append((_("withdrawn"), lambda r: fmt_number(r.get("withdrawn", 0))))
    measures += [
        (_median_word(metric["unit"], _), median),
        *(  # the percentiles asked for
            (
                f"{visible(key.removesuffix('_days'))} {days_word(metric['unit'], _)}",
                lambda r, k=key: fmt_number(r[k]),
            )
            for key in percentile_columns(rows)
        ),
    ]
    if any("km_median_days" in r for r in rows):
        measures.append((_("KM median"), lambda r: fmt_number(r.get("km_median_days"))))
    measures += [
        (_("same day"), lambda r: fmt_share(r["same_day_share"])),
        (_("fast track"), lambda r: fmt_share(r["fast_track_share"])),
    ]
    columns = [_group_column(doc, rows, _)] if grouped else []
    columns.append(Column(_("period"), [text(r["period"]) for r in rows], justify="left"))
    columns += [Column(label, [Text(m(r)) for r in rows]) for label, m in measures]

    def records() -> list[Record]:
        return [
            (
                Text(
                    (f"{_group_label(r['group'], _)}: " if grouped else "") + visible(r["period"]),
                    style="bold",
                ),
                [(label, Text(m(r))) for label, m in measures],
            )
            for r in rows
        ]

    _rejected_warning(doc, console, _)
    if not rows:
        console.print(_title(title_words))
        console.print(Text(_("no periods to show")))
    else:
        show(console, columns, records, options, title=_title(title_words))
    if left_out:
        console.print(_more_groups(left_out, options, _))
    if any(biased(r) for r in rows):
        console.print(
            Text(
                _(
                    "* at least {share} of the period's projects are still open: its plain "
                    "median leaves out the slow ones (see --survival)"
                ).format(share=f"{BIASED_OPEN_SHARE:.0%}"),
                style="dim",
            )
        )
    undated = doc["undated_projects"]
    if undated:
        console.print()
        ngettext = _plural(_)
        message = ngettext(
            "{count} project without a {stage} date is not shown",
            "{count} projects without a {stage} date are not shown",
            undated,
        )
        console.print(Text(message.format(count=f"{undated:,}", stage=start)))
    _rows_line(doc, console, _)


# -- timeline -------------------------------------------------------------------------


@renders("timeline")
def timeline(result: Result, console: Console, options: OutputOptions) -> None:
    """The timeline drawn, and how many projects it shows of how many."""
    from .timeline import draw

    lines = draw(
        result.rows() or [],
        result.extras["stages"],
        result.extras["as_of"],
        console.width,
        options.unicode,
        unit=result.extras.get("unit"),
        _=translator(options.lang),
    )
    for line in lines:
        console.print(line, overflow="crop", no_wrap=True)
    total = result.extras.get("total")
    shown = len(result.rows() or [])
    if total is None or not shown:
        return
    ngettext = plural_translator(options.lang)
    said = ngettext(
        "{shown} of {count} project with a start date, earliest first",
        "{shown} of {count} projects with a start date, earliest first",
        total,
    ).format(shown=f"{shown:,}", count=f"{total:,}")
    command = None
    if shown < total:
        _ = translator(options.lang)
        said += _("; more with --limit N, or pick with --show NAME:")
        command = visible(result.extras.get("more_command", ""))
    console.print(Text(said, style="dim"))  # wrapped to the width, as the drawing is
    if command:
        # A command to copy: on its own line, never wrapped, however long the path.
        console.print(Text(command, style="dim"), soft_wrap=True)
