"""Every hint etown prints can be followed blindly: each test below reads a real-shaped
file, takes the hint from etown's own message, runs the command again as the hint
says, and checks the numbers against a computation of its own (plain pandas).

The date files are the San Francisco permits export (``../shared/data``) written out
as other systems write dates: two-digit years month-first (``10/01/18``), day and
month name (``01-Oct-18``), with a time of day."""

from __future__ import annotations

import json
import re
import shlex
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from etown_approvals import dates

from .conftest import SF_SAMPLE

needs_sf = pytest.mark.shared_data

CONFIG = (
    '[columns]\nproject = "Permit Number"\n'
    '[stages]\napplication = ["Filed Date"]\nconstruction_permit = ["Issued Date"]\n'
)
AS_OF = "2024-03-02"
_SF_STAMP = "%m/%d/%Y %I:%M:%S %p"


@pytest.fixture(scope="module")
def sf() -> pd.DataFrame:
    """Permit number, filed and issued timestamps of the SF export, as datetimes."""
    raw = pd.read_csv(SF_SAMPLE, dtype=str, keep_default_na=False)
    frame = pd.DataFrame({"Permit Number": raw["Permit Number"]})
    for column in ("Filed Date", "Issued Date"):
        frame[column] = pd.to_datetime(raw[column].replace("", None), format=_SF_STAMP)
    return frame


def expected_summary(frame: pd.DataFrame) -> dict[str, object]:
    """Per permit the earliest filed and issued day; complete when issued on or after filed."""
    days = frame.assign(
        filed=frame["Filed Date"].dt.normalize(), issued=frame["Issued Date"].dt.normalize()
    )
    merged = days.groupby("Permit Number", sort=False)[["filed", "issued"]].min()
    spans = (merged["issued"] - merged["filed"]).dt.days.dropna()
    spans = spans[spans >= 0]
    return {
        "complete": len(spans),
        "median": spans.median(),
        "mean": round(spans.mean(), 2),
        "p90": round(spans.quantile(0.9), 2),
        "same_day": int((spans == 0).sum()),
    }


def measured(doc: dict) -> dict[str, object]:
    days = doc["days"]
    return {
        "complete": doc["projects"]["complete"],
        "median": days["median"],
        "mean": days["mean"],
        "p90": days["p90"],
        "same_day": doc["same_day"]["count"],
    }


def written(tmp_path: Path, frame: pd.DataFrame, fmt: str, name: str = "permits.csv") -> Path:
    """The frame with its timestamps written in ``fmt`` (an empty cell where none)."""
    out = frame.copy()
    for column in ("Filed Date", "Issued Date"):
        out[column] = out[column].dt.strftime(fmt).fillna("")
    path = tmp_path / name
    out.to_csv(path, index=False)
    (tmp_path / "etown.toml").write_text(CONFIG, encoding="utf-8")
    return path


def hinted_options(stderr: str) -> list[str]:
    """The ``--date-format`` options of the first hint in a message, as a shell reads them."""
    found = re.search(r"read (?:these dates )?with ((?:--date-format '[^']*' ?)+)", stderr)
    assert found, stderr
    return shlex.split(found.group(1))


def follow(run, path: Path, stderr: str, *extra: str) -> dict:  # type: ignore[no-untyped-def]
    config = path.parent / "etown.toml"
    args = ["summary", path, "--config", config, "--json", "--as-of", AS_OF, *extra]
    result = run(*args, *hinted_options(stderr))
    assert result.stderr.count("rejected") == 0, result.stderr
    return json.loads(result.stdout)


# -- date formats ------------------------------------------------------------------------


@needs_sf
@pytest.mark.parametrize(
    ("fmt", "hint"),
    [
        ("%m/%d/%y", "%m/%d/%y"),  # 10/01/18: month first, two-digit year
        ("%d-%b-%y", "%d-%b-%y"),  # 01-Oct-18
        ("%b %d, %y", "%b %d, %y"),  # Oct 01, 18
        ("%m/%d/%y %I:%M:%S %p", "%m/%d/%y %I:%M:%S %p"),  # 10/01/18 07:49:14 AM
        ("%d.%m.%y %H:%M", "%d.%m.%y %H:%M"),  # 01.10.18 07:49: day first
        ("%Y-%d-%m", "%Y-%d-%m"),  # 2018-01-10: day before month
    ],
)
def test_following_the_date_format_hint_gives_the_independent_numbers(run, tmp_path, sf, fmt, hint):
    path = written(tmp_path, sf, fmt)
    config = tmp_path / "etown.toml"
    refused = run("summary", path, "--config", config, "--as-of", AS_OF, expect=4)
    assert refused.stdout == ""
    # Every row rejected; year-day-month only where the day is past 12 (the others
    # read as year-month-day: the rejected majority stops the result).
    assert refused.stderr.startswith(f"etown: error: {path}: ")
    assert ("no usable rows: all 7302 rows" in refused.stderr) is (hint != "%Y-%d-%m")
    assert hinted_options(refused.stderr) == ["--date-format", hint]
    # validate names it on each row too
    listed = json.loads(run("validate", path, "--config", config, "--json", expect=1).stdout)
    assert f"--date-format '{hint}'" in listed["errors"][0]["message"]
    doc = follow(run, path, refused.stderr)
    assert doc["rows"]["used"] == len(sf)
    assert measured(doc) == expected_summary(sf)


@needs_sf
def test_a_month_first_file_read_day_first_gives_no_result(run, tmp_path, sf):
    """Read with the wrong order, a month-first file keeps only the rows whose days are
    12 or less (read wrongly): no result, where there used to be a median of 0 days."""
    path = written(tmp_path, sf, "%m/%d/%y")
    config = tmp_path / "etown.toml"
    result = run(
        "summary", path, "--config", config, "--date-format", "%d/%m/%y", "--as-of", AS_OF,
        expect=4,
    )  # fmt: skip
    assert result.stdout == ""
    assert "of the rows rejected" in result.stderr
    assert "more than --max-rejected 0.5 allows" in result.stderr


@needs_sf
def test_when_the_values_read_either_way_the_hint_names_both(run, tmp_path, sf):
    """Permits filed and issued on days 1-12 only: no value tells day from month."""
    small = sf[(sf["Filed Date"].dt.day <= 12) & (sf["Issued Date"].dt.day <= 12)]
    assert len(small) > 100
    path = written(tmp_path, small, "%m/%d/%y")
    config = tmp_path / "etown.toml"
    refused = run("summary", path, "--config", config, "--as-of", AS_OF, expect=4)
    assert (
        "read these dates with --date-format '%d/%m/%y' (day first) or "
        "--date-format '%m/%d/%y' (month first): the values read either way"
    ) in refused.stderr
    # The user knows the export is month-first: with --monthfirst the hint is one format.
    told = run("summary", path, "--config", config, "--monthfirst", "--as-of", AS_OF, expect=4)
    assert hinted_options(told.stderr) == ["--date-format", "%m/%d/%y"]
    assert measured(follow(run, path, told.stderr)) == expected_summary(small)


@needs_sf
def test_month_names_abbreviated_and_full_get_both_formats(run, tmp_path, sf):
    """Some exports spell May and June in full and abbreviate the rest."""
    path = written(tmp_path, sf, "%d-%b-%y")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("-Oct-", "-October-"), encoding="utf-8")
    config = tmp_path / "etown.toml"
    refused = run("summary", path, "--config", config, "--as-of", AS_OF, expect=4)
    options = hinted_options(refused.stderr)
    assert options == ["--date-format", "%d-%b-%y", "--date-format", "%d-%B-%y"]
    assert measured(follow(run, path, refused.stderr)) == expected_summary(sf)


@needs_sf
def test_a_minority_of_failing_dates_gets_its_hint_in_a_note(run, tmp_path, sf):
    """A fifth of the rows from another system (two-digit years): the rest is measured,
    with a warning, and the note's format reads the others."""
    path = written(tmp_path, sf, "%Y-%m-%d")
    other = sf.iloc[::5]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("Filed Date", "Issued Date"):
        frame.loc[other.index, column] = other[column].dt.strftime("%m/%d/%y").fillna("")
    frame.to_csv(path, index=False)
    config = tmp_path / "etown.toml"
    result = run("summary", path, "--config", config, "--as-of", AS_OF)
    assert "Warning: 20.0% of the rows that count were rejected" in result.stdout
    note = next(line for line in result.stderr.splitlines() if "spelling" in line)
    assert note.endswith("are read with --date-format '%m/%d/%y'")
    assert measured(follow(run, path, note)) == expected_summary(sf)


def test_no_hint_when_too_few_of_the_failing_values_fit():
    values = [f"{m:02d}/{d:02d}/19" for m in range(1, 13) for d in range(13, 29)]
    assert dates.suggest_formats(pa.array(values)).formats == ("%m/%d/%y",)
    garbage = [f"x{i}" for i in range(len(values) // 90)]  # just over 1% unreadable
    assert dates.suggest_formats(pa.array(values + garbage)) is None
    assert dates.suggest_formats(pa.array(values + garbage[:-1])) is not None
    mixed = ["15/03/19", "03/15/19"]  # each order proved by one value
    assert dates.suggest_formats(pa.array(mixed)) is None


def test_the_hint_is_chosen_on_distinct_values_and_checked_on_all():
    """Beyond the sample, every value counts: a sample that fits is not enough."""
    many = [f"{1 + i % 12:02d}/{1 + i % 28:02d}/{i % 100:02d}" for i in range(40_000)]
    values = pa.array(sorted(set(many)) + [f"nonsense {i}" for i in range(200)])
    hint = dates.suggest_formats(values)
    assert hint is None or hint.reads(values).mean() >= dates.HINT_SHARE
    reads = dates.suggest_formats(pa.array(sorted(set(many))))
    assert reads is not None
    assert np.all(reads.reads(pa.array(sorted(set(many)))))


# -- rejected share ----------------------------------------------------------------------


@needs_sf
def test_following_max_rejected_measures_the_rows_that_are_left(run, tmp_path, sf):
    """Three permits in five from a system with two-digit years: no result, naming the
    share, the main reason and the hint; --max-rejected measures the rest."""
    path = written(tmp_path, sf, "%Y-%m-%d")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    other = np.arange(len(sf)) % 5 < 3
    for column in ("Filed Date", "Issued Date"):
        frame.loc[other, column] = sf.loc[other, column].dt.strftime("%m/%d/%y").fillna("")
    frame.to_csv(path, index=False)
    config = tmp_path / "etown.toml"
    refused = run("summary", path, "--config", config, "--as-of", AS_OF, expect=4)
    checked = int(other.sum())
    share = checked / len(sf)
    assert refused.stderr.startswith(
        f"etown: error: {path}: no result: {share:.1%} of the rows rejected "
        f"({checked:,} of {len(sf):,}"
    )
    assert f"most: {checked:,} rows invalid-date: the year has two digits" in refused.stderr
    assert "--date-format '%m/%d/%y'" in refused.stderr
    assert "more than --max-rejected 0.5 allows" in refused.stderr
    kept = run(
        "summary", path, "--config", config, "--as-of", AS_OF, "--json", "--max-rejected", "0.7"
    )
    assert measured(json.loads(kept.stdout)) == expected_summary(sf[~other])
    assert f"{checked:,} of {len(sf):,} rows rejected" in kept.stderr  # still said on stderr
    # The table says it in a line of its own, not only on stderr.
    table = run("summary", path, "--config", config, "--as-of", AS_OF, "--max-rejected", "1")
    assert f"Warning: {share:.1%} of the rows that count were rejected" in table.stdout
    markdown = run(
        "summary", path, "--config", config, "--as-of", AS_OF, "--max-rejected", "1", "-f",
        "markdown",
    )  # fmt: skip
    assert f"> **Warning:** {share:.1%} of the rows that count were rejected" in markdown.stdout
    # And the hint reads them all.
    assert measured(follow(run, path, refused.stderr)) == expected_summary(sf)


def test_the_config_moves_the_line(run, write):
    rows = "".join(
        f"P{i},2023-01-01,{'2023-02-01' if i < 4 else '02/30/2023'}\n" for i in range(10)
    )
    path = write("project,land_acquisition,construction_permit\n" + rows)
    refused = run("summary", path, "--json", expect=4)
    assert "60.0% of the rows rejected (6 of 10" in refused.stderr
    assert "most: 6 rows invalid-date: not a valid date" in refused.stderr
    config = write("[metric]\nmax_rejected = 0.6\n", name="etown.toml")
    doc = json.loads(run("summary", path, "--config", config, "--json").stdout)
    assert (doc["projects"]["complete"], doc["days"]["median"]) == (4, 31)
    # The command line wins over the file.
    run("summary", path, "--config", config, "--json", "--max-rejected", "0.5", expect=4)


@pytest.mark.parametrize("value", ["nan", "-0.1", "1.5", "inf", "half"])
def test_max_rejected_must_be_a_share(run, value):
    from .conftest import SAMPLE

    result = run("summary", SAMPLE, "--max-rejected", value, expect=2)
    assert "--max-rejected" in result.stderr
    assert result.stdout == ""


def test_filtered_rows_do_not_count_in_the_share(run, write):
    """Of the rows that count (not filtered), most are rejected: no result."""
    rows = ["P0,keep,2023-01-01,2023-01-05", "P1,keep,2023-01-01,02/30/2023",
            "P2,keep,2023-01-01,02/30/2023"] + [f"Q{i},drop,2023-01-01,2023-01-02" for i in range(7)]  # fmt: skip
    path = write("project,kind,land_acquisition,construction_permit\n" + "\n".join(rows) + "\n")
    run("summary", path, expect=0)  # 2 of 10 rows
    result = run("summary", path, "--where", "kind=keep", expect=4)
    assert "66.7% of the rows rejected (2 of 3" in result.stderr


@pytest.mark.parametrize(
    ("values", "formats"),
    [
        (["03/15/2021", "12/31/2021"], ("%m/%d/%Y",)),  # 15 and 31 are no months
        (["15/03/2021", "31/12/2021"], ("%d/%m/%Y",)),
        (["991231", "980115"], ("%y%m%d",)),  # no day 99 or 98, no month 31 or 15
    ],
)
def test_values_that_prove_one_order_get_that_format(values, formats):
    hint = dates.suggest_formats(pa.array(values))
    assert hint == dates.FormatHint(formats)
    assert hint.reads(pa.array(values)).all()


def test_a_format_without_directives_is_refused_with_an_example():
    with pytest.raises(dates.UsageError) as raised:
        dates.check_formats(["dd/mm/yyyy"])
    assert str(raised.value) == (
        "date format 'dd/mm/yyyy': give strptime directives such as '%d/%m/%Y' "
        "or 'epoch_s' / 'epoch_ms'"
    )


def test_a_format_with_an_unknown_directive_is_refused_naming_it():
    with pytest.raises(dates.UsageError) as raised:
        dates.check_formats(["%d/%Q"])
    assert str(raised.value) == "date format '%d/%Q': 'Q' is a bad directive in format '%d/%Q'"


def test_compact_two_digit_years_name_each_order_as_written(run, write):
    """``150321`` reads as 15 March 2021 (day, month, year) or as 21 March 2015 (year,
    month, day): the hint names the second "year first", and each option it gives
    reads the values as it says."""
    path = write("project,event,date\nA,land acquisition,150321\nA,construction permit,100512\n")
    result = run("summary", path, "--json", expect=4)
    assert (
        "--date-format '%d%m%y' (day first) or --date-format '%y%m%d' (year first)" in result.stderr
    )
    assert "month first" not in result.stderr
    expected = {
        "%d%m%y": (date(2021, 3, 15), date(2012, 5, 10)),
        "%y%m%d": (date(2015, 3, 21), date(2010, 5, 12)),
    }
    for fmt, (start, end) in expected.items():
        listed = run("projects", path, "--format", "csv", "--date-format", fmt).stdout
        row = listed.splitlines()[1].split(",")
        assert row[1:5] == [start.isoformat(), "", "", end.isoformat()]


def test_a_reading_that_makes_a_date_implausible_is_no_order_to_offer(run, write):
    """``211231`` read day first is 21 December 2031, more than a year after today: the
    hint offers the year-first reading alone, and following it gives the numbers."""
    path = write("project,event,date\nA,land acquisition,210315\nA,construction permit,211231\n")
    result = run("summary", path, "--json", expect=4)
    assert "--date-format '%y%m%d'" in result.stderr
    assert "%d%m%y" not in result.stderr
    followed = json.loads(run("summary", path, "--json", "--date-format", "%y%m%d").stdout)
    assert followed["days"]["median"] == (date(2021, 12, 31) - date(2021, 3, 15)).days
