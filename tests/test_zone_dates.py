"""Dates followed by a zone name (``10:30 EST``): read only where the written date
reads one way, never in an order the user did not give, never a year made of other
digits."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from etown_approvals import dates


def reading(value: str) -> int | None:
    """The date etown reads from ``value`` alone (days since 1970), or None."""
    parsed = dates.parse_dates(pa.array([value]))
    return int(parsed.days[0]) if parsed.status[0] == dates.OK else None


def days(text: str) -> int:
    from datetime import date

    return (date.fromisoformat(text) - date(1970, 1, 1)).days


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-09-15 10:30 EST", "2023-09-15"),  # year first: one reading
        ("2023-09-15T10:30:00 PST", "2023-09-15"),
        ("Sep 15, 2023 10:30 EST", "2023-09-15"),  # a month name: one reading
        ("15 September 2023 10:30 CET", "2023-09-15"),
    ],
)
def test_a_date_that_reads_one_way_keeps_its_zone_name(value: str, expected: str) -> None:
    assert reading(value) == days(expected)


@pytest.mark.parametrize(
    "value",
    [
        # Day and month in digits: their order is the file's (--dayfirst or the other
        # values), which a value read alone cannot know.
        "09/13/2023 10:30 EST",
        "13/09/2023 10:30 EST",
        "03/04/2023 10:30 PST",
        # Eight digits then a zone offset: the offset's digits are no year.
        "20230915 10:30 EST+0530",
    ],
)
def test_digits_whose_order_is_not_written_are_no_date(value: str) -> None:
    assert reading(value) is None


def test_dayfirst_never_reads_a_date_month_first(run, write) -> None:
    """``--dayfirst`` says 09/13/2023 is day 9 of month 13: no date, a rejected row
    with its line, never 13 September."""
    path = write(
        "project,event,date\n"
        "A,land acquisition,01/09/2023\n"
        "A,construction permit,09/13/2023 10:30 EST\n"
        "B,land acquisition,02/09/2023\n"
        "B,construction permit,20/09/2023\n"
    )
    result = run("projects", str(path), "--dayfirst", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    listed = document["projects"] if isinstance(document, dict) else document
    rows = {p["project"]: p for p in listed}
    assert rows["A"]["construction_permit"] is None
    assert rows["B"]["days"] == 18  # 2 to 20 September
    assert "1 of 4 rows rejected (1 invalid-date)" in result.stderr
    checked = run("validate", str(path), "--dayfirst", "--json", expect=1)
    errors = json.loads(checked.stdout)["errors"]
    assert [(f["row"], f["type"], f["value"]) for f in errors] == [
        (3, "invalid-date", "09/13/2023 10:30 EST")
    ]
