"""A terminal timeline: one line per project, a bar from the metric's start to its end.

Complete projects are drawn solid, open projects dotted up to the as-of date;
each recorded stage is marked with its number in process order; same-day
projects get a diamond. Plain ASCII when the output is not a terminal.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text

NAME_WIDTH = 26
DAYS_WIDTH = 8


def _day(iso: str | None) -> int | None:
    return None if iso is None else date.fromisoformat(iso).toordinal()


def draw(
    records: list[dict[str, Any]], stages: Any, as_of: date, width: int, unicode: bool
) -> list[Text]:
    """The lines of the timeline for ``records`` (which all have a start date)."""
    solid, dotted, same_day = ("━", "┄", "◆") if unicode else ("=", ".", "*")
    if not records:
        return [Text("no projects to draw")]
    name_width = min(NAME_WIDTH, max(cell_len(r["project"]) for r in records))
    bar_width = max(10, width - name_width - DAYS_WIDTH - 2)
    starts = [_day(r[stages.start]) for r in records]
    ends = []
    for r in records:
        end = _day(r[stages.end])
        ends.append(
            end if end is not None else as_of.toordinal() if r["status"] == "open" else None
        )
    stage_days = [_day(r[s]) for r in records for s in stages.stages if r[s] is not None]
    first = min(d for d in starts + stage_days if d is not None)
    last = max(d for d in ends + stage_days if d is not None)
    span = max(last - first, 1)

    def at(day: int) -> int:
        return round((day - first) / span * (bar_width - 1))

    lines = [Text(" " * (name_width + 1) + _axis(first, last, bar_width))]
    for record, start, end in zip(records, starts, ends, strict=True):
        cells = [" "] * bar_width
        styles = [""] * bar_width
        if start is not None and end is not None and end >= start:
            fill, style = (solid, "green") if record["status"] == "complete" else (dotted, "yellow")
            for i in range(at(start), at(end) + 1):
                cells[i], styles[i] = fill, style
        for number, stage in enumerate(stages.stages, start=1):
            day = _day(record[stage])
            if day is not None:
                cells[at(day)], styles[at(day)] = str(number % 10), "bold"
        if "same_day" in record["flags"] and start is not None:
            cells[at(start)], styles[at(start)] = same_day, "bold magenta"
        line = Text(_fit(record["project"], name_width, unicode) + " ")
        for char, style in zip(cells, styles, strict=True):
            line.append(char, style=style or None)
        line.append(" " + _days(record).rjust(DAYS_WIDTH - 1))
        lines.append(line)
    legend = ", ".join(f"{i} {s.replace('_', ' ')}" for i, s in enumerate(stages.stages, start=1))
    lines.append(
        Text(
            f"{legend}; {solid} complete, {dotted} open to {as_of.isoformat()}; {same_day} same day"
        )
    )
    return lines


def _axis(first: int, last: int, width: int) -> str:
    left, right = date.fromordinal(first).isoformat(), date.fromordinal(last).isoformat()
    gap = width - len(left) - len(right)
    return left + " " * gap + right if gap > 0 else left


def _fit(name: str, width: int, unicode: bool) -> str:
    """``name`` in exactly ``width`` terminal cells (CJK characters take two)."""
    if cell_len(name) <= width:
        return set_cell_size(name, width)
    return set_cell_size(name, width - 1) + ("…" if unicode else "~")


def _days(record: dict[str, Any]) -> str:
    if record["days"] is not None:
        return f"{record['days']}d"
    if record["waiting_days"] is not None:
        return f"{record['waiting_days']}d+"
    return record["status"]
