"""A terminal timeline: one line per project, a bar from the metric's start to its end.

- Complete projects are drawn solid, open projects dotted.
- The time axis runs from the first to the last *recorded* date. Open projects
  wait until the as-of date (today by default), which may be years after every
  recorded date; drawing the axis to it would squash every complete bar into a
  cell or two. So when the as-of date would add more than a quarter to the axis,
  an open bar runs to the axis end and continues with an arrow, and its waiting
  days stand in the right-hand column (``723d+``); when it is near, the axis runs
  on to it.
- Each recorded stage is marked with its number in process order. Two stages that
  fall in the same cell cannot both be shown: the later stage is drawn (the legend
  says so). A same-day project's start is a diamond.
- The axis has ticks at round dates (years, half-years, quarters, months or days,
  whichever is the finest whose labels do not collide).
- Names are shown in full when there is room (up to half the width goes to names),
  cut with an ellipsis otherwise, measured in terminal cells (CJK characters take two).
- The legend wraps between items, never inside one, so a symbol stays with its meaning.

Plain ASCII when the output is not a terminal. The legend is in the user's
language (built-in stage names too); the ``d``/``wd`` suffixes stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from ..i18n import Translator
from ..terminal import visible
from .labels import stage_label, status_label

#: Names get at least this many cells (unless every name is shorter).
NAME_MIN_WIDTH = 12
#: Bars get at least this many cells.
BAR_MIN_WIDTH = 20
#: The axis runs on to the as-of date when that adds at most this share of its span.
OPEN_EXTENSION = 0.25


def _day(iso: str | None) -> int | None:
    return None if iso is None else date.fromisoformat(iso).toordinal()


def draw(
    records: Sequence[dict[str, Any]],
    stages: Any,
    as_of: date,
    width: int,
    unicode: bool,
    *,
    unit: str | None = None,
    _: Translator = str,
) -> list[Text]:
    """The lines of the timeline for ``records`` (which all have a start date);
    labels translated with ``_``."""
    solid, dotted, same_day, arrow = ("━", "┄", "◆", "→") if unicode else ("=", ".", "*", ">")
    if not records:
        return [Text(_("no projects to draw"))]
    suffix = "wd" if unit == "workdays" else "d"
    days_texts = [_days(r, suffix, _) for r in records]
    days_width = max(cell_len(t) for t in days_texts)
    names = [visible(r["project"]) for r in records]
    room_for_names = width - days_width - 2 - max(BAR_MIN_WIDTH, width // 2)
    name_width = min(max(cell_len(n) for n in names), max(NAME_MIN_WIDTH, room_for_names))
    bar_width = max(BAR_MIN_WIDTH // 2, width - name_width - days_width - 2)

    starts = [_day(r[stages.start]) for r in records]
    recorded = [_day(r[s]) for r in records for s in stages.stages if r[s] is not None]
    first = min(d for d in starts + recorded if d is not None)
    last = max(d for d in recorded if d is not None)
    today = as_of.toordinal()
    is_open = [r["status"] == "open" for r in records]
    waiting_past_axis = any(is_open) and today > last
    # Open projects to a nearby as-of date: the axis simply runs to it. Far beyond the
    # last record: cap the axis there, and the open bars continue with an arrow.
    continues = waiting_past_axis and today - last > OPEN_EXTENSION * max(last - first, 1)
    if waiting_past_axis and not continues:
        last = today
    # With open bars continuing past the axis, the last cell holds their arrow.
    plot_width = bar_width - 1 if continues else bar_width
    span = max(last - first, 1)

    def at(day: int) -> int:
        return max(0, min(plot_width - 1, round((day - first) / span * (plot_width - 1))))

    labels, ticks = _axis(first, last, plot_width, at, unicode)
    pad = " " * (name_width + 1)
    lines = [Text(pad + labels, style="dim"), Text(pad + ticks, style="dim")]
    for record, name, start, open_, days_text in zip(
        records, names, starts, is_open, days_texts, strict=True
    ):
        cells = [" "] * bar_width
        styles = [""] * bar_width
        end = _day(record[stages.end])
        if open_:
            end = today
        if start is not None and end is not None and end >= start:
            fill, style = (dotted, "yellow") if open_ else (solid, "green")
            for i in range(at(start), at(min(end, last)) + 1):
                cells[i], styles[i] = fill, style
            if open_ and end > last:
                cells[bar_width - 1], styles[bar_width - 1] = arrow, "yellow"
        # In process order, so a later stage is drawn over an earlier one in the same cell.
        for number, stage in enumerate(stages.stages, start=1):
            day = _day(record[stage])
            if day is not None:
                cells[at(day)], styles[at(day)] = str(number % 10), "bold"
        if "same_day" in record["flags"] and start is not None:
            cells[at(start)], styles[at(start)] = same_day, "bold magenta"
        line = Text(_fit(name, name_width, unicode) + " ")
        for char, style in zip(cells, styles, strict=True):
            line.append(char, style=style or None)
        line.append(" " + " " * (days_width - cell_len(days_text)) + days_text)
        lines.append(line)

    items = [
        f"{i} {stage_label(s, _, configured=stages.configured)}"
        for i, s in enumerate(stages.stages, start=1)
    ]
    items.append(_("where marks meet, the later stage is shown"))
    items.append(_("{symbol} complete").format(symbol=solid))
    if continues:
        items.append(
            _("{symbol} open, still waiting on {date}").format(
                symbol=dotted + arrow, date=as_of.isoformat()
            )
        )
    else:
        items.append(_("{symbol} open to {date}").format(symbol=dotted, date=as_of.isoformat()))
    items.append(_("{symbol} same day").format(symbol=same_day))
    if unit == "workdays":
        items.append(_("wd workdays"))
    lines += [Text(line) for line in _wrap(items, width)]
    return lines


def _wrap(items: list[str], width: int) -> Iterator[str]:
    """``items`` joined by ``"; "`` into lines of ``width`` cells, broken between items."""
    line = ""
    for item in items:
        if line and cell_len(line) + 2 + cell_len(item) > width:
            yield line + ";"
            line = item
        else:
            line = f"{line}; {item}" if line else item
    if line:
        yield line


#: Tick steps, finest first: (unit, every how many of them).
_STEPS = [
    ("day", 1),
    ("day", 2),
    ("day", 7),
    ("day", 14),
    ("month", 1),
    ("month", 2),
    ("month", 3),
    ("month", 6),
    ("year", 1),
    ("year", 2),
    ("year", 5),
    ("year", 10),
    ("year", 20),
    ("year", 50),
    ("year", 100),
]


def _tick_dates(first: int, last: int, unit: str, every: int) -> list[date]:
    start, end = date.fromordinal(first), date.fromordinal(last)
    if unit == "day":
        return [date.fromordinal(d) for d in range(first, last + 1, every)]
    if unit == "month":
        out = []
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            tick = date(year, month, 1)
            if (month - 1) % every == 0 and start <= tick <= end:
                out.append(tick)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out
    return [
        date(y, 1, 1)
        for y in range(start.year, end.year + 1)
        if y % every == 0 and start <= date(y, 1, 1) <= end
    ]


def _label(tick: date, unit: str) -> str:
    if unit == "year":
        return str(tick.year)
    if unit == "month":
        return tick.strftime("%Y-%m")
    return tick.isoformat()


def _axis(first: int, last: int, width: int, at: Any, unicode: bool) -> tuple[str, str]:
    """A line of date labels and a line of tick marks over ``width`` cells."""
    rule, mark = ("─", "┬") if unicode else ("-", "+")
    for unit, every in _STEPS:
        # Cheap bound first: at most one label per 5 cells can ever fit.
        if (last - first) / _days_in(unit, every) > width / 5 + 1:
            continue
        ticks = _tick_dates(first, last, unit, every)
        if len(ticks) < 2:
            continue
        placed = _place([(at(t.toordinal()), _label(t, unit)) for t in ticks], width)
        if placed is not None:
            labels, positions = placed
            marks = [rule] * width
            for position in positions:
                marks[position] = mark
            return labels, "".join(marks)
    # Too short or too narrow for two round dates: the two ends.
    left, right = date.fromordinal(first).isoformat(), date.fromordinal(last).isoformat()
    gap = width - len(left) - len(right)
    labels = left + " " * gap + right if gap > 0 and first != last else left
    marks = [rule] * width
    marks[0] = mark
    if gap > 0 and first != last:
        marks[-1] = mark
    return labels, "".join(marks)


def _days_in(unit: str, every: int) -> float:
    return every * {"day": 1, "month": 30.4, "year": 365.25}[unit]


def _place(ticks: list[tuple[int, str]], width: int) -> tuple[str, list[int]] | None:
    """Labels starting at their tick (ending at it near the right edge), two cells
    apart at least; None if they collide."""
    cells = [" "] * width
    end_of_previous = -2
    positions = []
    for position, label in ticks:
        begin = position if position + len(label) <= width else position - len(label) + 1
        if begin < 0 or begin < end_of_previous + 2:
            return None
        cells[begin : begin + len(label)] = label
        end_of_previous = begin + len(label)
        positions.append(position)
    return "".join(cells), positions


def _fit(name: str, width: int, unicode: bool) -> str:
    """``name`` in exactly ``width`` terminal cells (CJK characters take two)."""
    if cell_len(name) <= width:
        return set_cell_size(name, width)
    return set_cell_size(name, width - 1) + ("…" if unicode else "~")


def _days(record: dict[str, Any], suffix: str, _: Translator) -> str:
    if record["days"] is not None:
        return f"{record['days']:,}{suffix}"
    if record["waiting_days"] is not None:
        return f"{record['waiting_days']:,}{suffix}+"
    return status_label(record["status"], _)
