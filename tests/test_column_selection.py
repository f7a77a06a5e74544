"""Reading only the columns a command needs, straight from disk, gives what
reading the whole file gives.

Plain UTF-8 text files are parsed by pyarrow from disk, the needed columns only
(``reader.PARSE_FROM_DISK``); everything else reads the file whole. Each test
here compares the two ways on the same file, or checks a case where the columns
left out still matter (a blank project cell beside text in a column not read,
line breaks inside a value of a column not read).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from etown_approvals import reader
from etown_approvals.config import load_config
from etown_approvals.errors import EtownError
from etown_approvals.filters import load_rules
from etown_approvals.loader import LoadResult, load
from etown_approvals.stages import ETOWN

from .conftest import ROOT, SF_SAMPLE, same_load

EXAMPLES = ROOT / "examples"
BAD = ROOT / "tests" / "fixtures" / "bad"
DATA = ROOT / "tests" / "data"

#: (file, config or None) pairs: the bundled sample, the bad-file corpus's text
#: files and the real exports with their configurations.
CASES = [
    (ROOT / "data" / "projects.csv", None),
    *[(path, None) for path in sorted(BAD.glob("*.csv"))],
    pytest.param(SF_SAMPLE, EXAMPLES / "sf_building_permits.toml", marks=pytest.mark.shared_data),
    (DATA / "calgary_building_permits_sample.csv", EXAMPLES / "calgary_building_permits.toml"),
    (
        DATA / "burlington_building_permits_sample.csv",
        EXAMPLES / "burlington_building_permits.toml",
    ),
    (DATA / "squamish_building_permits.csv", EXAMPLES / "squamish_building_permits.toml"),
]


def _outcome(path: Path, config: Path | None, **options: object) -> LoadResult | tuple[str, str]:
    kwargs: dict[str, object] = {"stages": ETOWN}
    if config is not None:
        rules = load_rules(config)
        kwargs = {"stages": load_config(config), "where": rules.where, "withdrawn": rules.withdrawn}
    try:
        return load(path, **kwargs, **options)  # type: ignore[arg-type]
    except EtownError as error:
        return type(error).__name__, str(error)


@pytest.mark.parametrize(("path", "config"), CASES, ids=lambda p: getattr(p, "name", "-"))
@pytest.mark.parametrize("attributes", [True, False], ids=["all-columns", "needed-columns"])
def test_from_disk_equals_whole_file(monkeypatch, path, config, attributes):
    assert path.exists(), path  # a file of the repository, or the shared data (marked)
    from_disk = _outcome(path, config, attributes=attributes)
    monkeypatch.setattr(reader, "PARSE_FROM_DISK", False)
    whole = _outcome(path, config, attributes=attributes)
    same_load(from_disk, whole)


def test_only_the_needed_columns_are_parsed(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(
        "project,event,date,zone,notes\nA,land acquisition,2023-01-02,Z1,x\n"
        "A,construction permit,2023-01-05,Z1,y\n",
        encoding="utf-8",
    )
    loaded = load(path, attributes=["zone"])
    assert loaded.raw is not None
    assert loaded.raw.table.column_names == ["c0", "c1", "c2", "c3"]
    assert list(loaded.attributes.columns) == ["zone"]
    assert loaded.attribute_columns == ["zone", "notes"]
    assert load(path, attributes=False).attributes.columns.empty


def test_blank_project_beside_text_in_a_column_not_read_is_still_rejected(tmp_path):
    """A row whose read cells are blank but whose other cells are not is not a blank row."""
    path = tmp_path / "blank.csv"
    path.write_text(
        "project,event,date,notes\nA,land acquisition,2023-01-02,\n,,,left here\n,,,\n",
        encoding="utf-8",
    )
    loaded = load(path, attributes=False)
    kinds = dict(zip(loaded.findings["row"].tolist(), loaded.findings["type"], strict=True))
    assert kinds == {3: "missing-value", 4: "blank-row"}
    assert loaded.rows_rejected == 1 and loaded.rows_blank == 1


def test_line_breaks_inside_a_column_not_read_keep_line_numbers(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text(
        'project,notes,event,date\nA,"two\nlines",land acquisition,2023-01-02\n'
        'A,"three\nmore\nlines",construction permit,2023-13-40\n',
        encoding="utf-8",
    )
    loaded = load(path, attributes=False)
    assert loaded.findings["row"].tolist() == [4]  # the invalid date's record starts on line 4
    assert loaded.events["row"].tolist() == [2]


def test_rejected_rows_show_every_cell_after_a_load_of_some_columns(tmp_path):
    path = tmp_path / "rejected.csv"
    path.write_text(
        "project,event,date,notes\nA,land acquisition,2023-01-02,first\n"
        "A,construction permit,not a date,second\n",
        encoding="utf-8",
    )
    rejected = load(path, attributes=False).rejected_rows()
    assert rejected.to_dict("records") == [
        {
            "line": 3,
            "type": "invalid-date",
            "message": "not a valid date",
            "project": "A",
            "event": "construction permit",
            "date": "not a date",
            "notes": "second",
        }
    ]


def test_quotes_only_past_the_first_bytes_still_allow_values_over_lines(tmp_path):
    """The parse starts as the first 64 KiB suggest (no quotes there); the scan beside
    it finds quotes further on and the parse is done again as they need."""
    path = tmp_path / "late_quotes.csv"
    rows = "".join(f"P{i},land acquisition,2023-01-02,plain\n" for i in range(3000))
    path.write_text(
        "project,event,date,notes\n"
        + rows
        + 'Q,land acquisition,2023-01-03,"said ""hi"", then left"\n',
        encoding="utf-8",
    )
    assert path.stat().st_size > 65_536
    loaded = load(path, attributes=["notes"])
    assert loaded.raw is not None and loaded.raw.parse_more is not None  # read from disk
    assert loaded.attributes.loc["Q", "notes"] == 'said "hi", then left'
    assert loaded.rows_read == 3001 and loaded.rows_rejected == 0


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(SF_SAMPLE, marks=pytest.mark.shared_data, id="sf"),
        pytest.param(ROOT / "data" / "projects.csv", id="sample"),
    ],
)
def test_many_timestamps_read_by_date_part_as_each_one(monkeypatch, path):
    """Above dates.SPLIT_THRESHOLD the loader hands every value to the date scan
    without hashing them first; the result is that of reading each distinct value."""
    from etown_approvals import dates

    config = EXAMPLES / "sf_building_permits.toml" if path == SF_SAMPLE else None
    monkeypatch.setattr(dates, "SPLIT_THRESHOLD", 10**9)
    each = _outcome(path, config, attributes=False)
    monkeypatch.setattr(dates, "SPLIT_THRESHOLD", 0)
    split = _outcome(path, config, attributes=False)
    same_load(split, each)


@pytest.mark.parametrize(
    "cells",
    [
        # day-first proven by 25/03, month-first by 03/25: a conflict, both rows named
        [("A", "25/03/2023 10:00", "30/03/2023"), ("B", "03/04/2023", "03/25/2023 09:15:00")],
        # no value tells the order: ambiguous, the first such value named
        [("A", "03/04/2023 10:00 AM", "05/06/2023"), ("B", "04/04/2023", "06/07/2023 1:00 PM")],
        # a rejected row (no project) is no evidence; the others read day-first
        [("", "03/25/2023", "03/26/2023"), ("A", "25/03/2023", "26/03/2023")],
    ],
    ids=["conflict", "ambiguous", "rejected-row-no-evidence"],
)
def test_day_month_order_read_by_date_part_as_each_one(monkeypatch, tmp_path, cells):
    """The order of day and month, and the values an error names, are the same whether
    timestamps are read one distinct value at a time or by date part through a row
    map (above dates.SPLIT_THRESHOLD, a column at a time)."""
    from etown_approvals import dates

    path = tmp_path / "wide.csv"
    rows = ["project,land acquisition,construction permit"]
    rows += [",".join(row) for row in cells]
    rows += [f"P{i},01/02/2023,01/02/2023 08:00" for i in range(40)]  # reads either way
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(dates, "SPLIT_THRESHOLD", 10**9)
    each = _outcome(path, None, attributes=False)
    monkeypatch.setattr(dates, "SPLIT_THRESHOLD", 0)
    split = _outcome(path, None, attributes=False)
    if isinstance(each, tuple):
        assert split == each
    else:
        same_load(split, each)


@pytest.mark.parametrize("multibyte", [False, True], ids=["ascii", "cut-character"])
def test_a_header_past_the_first_bytes_is_read_from_disk(monkeypatch, tmp_path, multibyte):
    # 12,000 columns: the header alone is longer than the first 64 KiB read.
    extra = [("区" if multibyte else "x") + str(i) for i in range(12_000)]
    path = tmp_path / "wide.csv"
    blanks = "," * len(extra)
    path.write_text(
        "project,event,date,zone," + ",".join(extra) + "\n"
        f"A,land acquisition,2023-01-02,Z1{blanks}\nA,construction permit,2023-01-05,Z1{blanks}\n",
        encoding="utf-8",
    )
    loaded = load(path, attributes=["zone"])
    assert loaded.raw is not None
    assert loaded.raw.table.num_columns == 4  # the needed ones only, parsed from disk
    assert loaded.raw.headers[4:] == extra
    assert loaded.attributes["zone"].tolist() == ["Z1"]
    monkeypatch.setattr(reader, "PARSE_FROM_DISK", False)
    whole = load(path, attributes=["zone"])
    assert whole.raw is not None and whole.raw.table.num_columns == len(extra) + 4
    pd.testing.assert_frame_equal(whole.events, loaded.events)
    pd.testing.assert_frame_equal(whole.attributes, loaded.attributes)
    assert (
        (whole.rows_read, whole.rows_rejected) == (loaded.rows_read, loaded.rows_rejected) == (2, 0)
    )


def test_every_column_of_a_file_of_many_is_an_attribute(tmp_path):
    names = [f"c{i}" for i in range(5_000)]
    path = tmp_path / "wide.csv"
    cells = ",".join(f"v{i}" if i % 2 else "" for i in range(len(names)))
    blanks = "," * len(names)
    path.write_text(
        "project,event,date," + ",".join(names) + "\n"
        f"A,land acquisition,2023-01-02,{cells}\nA,construction permit,2023-01-05{blanks}\n",
        encoding="utf-8",
    )
    loaded = load(path, attributes=True)
    assert list(loaded.attributes.columns) == names
    assert all(str(dtype) == "str" for dtype in loaded.attributes.dtypes)
    assert loaded.rows_rejected == 0
    row = loaded.attributes.loc["A"]
    assert row["c1"] == "v1" and row["c4999"] == "v4999"
    assert row[["c0", "c2"]].isna().all()


@pytest.mark.parametrize("from_disk", [True, False])
def test_columns_converted_a_group_at_a_time_are_the_same(monkeypatch, tmp_path, from_disk):
    """A file of very many columns is converted a group of columns at a time (pyarrow's
    reader takes kilobytes a column while converting): the table is the same."""
    path = tmp_path / "wide.csv"
    path.write_text(
        "project,event,date,zone,notes,extra\n"
        "A,land acquisition,2023-01-02,Z1,x,1\nA,construction permit,2023-01-05,Z1,,2\n"
        "B,land acquisition,2023-01-03,Z2,y\nB,construction permit,2023-01-04,Z2,z,3\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(reader, "PARSE_FROM_DISK", from_disk)
    whole = load(path)
    monkeypatch.setattr(reader, "_COLUMN_GROUP", 2)
    grouped = load(path)
    same_load(grouped, whole)
    assert grouped.rows_rejected == 1  # the malformed record, found once
    assert list(grouped.attributes.columns) == ["zone", "notes", "extra"]
