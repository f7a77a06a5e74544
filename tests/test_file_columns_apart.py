"""A file's own columns never stand in for a computed one, in any output.

Where the file's columns sit beside computed ones (the CSV of ``projects``, the
rejected rows of ``validate --invalid-rows``), a file column whose name is taken,
or already starts with ``attribute:``, is written as ``attribute:NAME``: every value
of the file stays, under a name no other column has. (JSON nests them under
``attributes``; the report is tested in test_report.py.)
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from etown_approvals.rawtable import ATTRIBUTE_PREFIX, apart


def test_projects_csv_keeps_a_column_named_like_a_renamed_one(run, write):
    path = write("project,event,date,status,attribute:status\nA,land,2020-01-01,x,y\n")
    rows = list(csv.DictReader(io.StringIO(run("projects", path, "--format", "csv").stdout)))
    header = list(rows[0])
    assert len(header) == len(set(header))
    assert rows[0]["status"] == "open"  # computed: a land date, no permit
    assert rows[0]["attribute:status"] == "x"
    assert rows[0]["attribute:attribute:status"] == "y"
    nested = json.loads(run("projects", path, "--json").stdout)["projects"][0]["attributes"]
    assert nested == {"status": "x", "attribute:status": "y"}


def test_invalid_rows_keep_their_line_type_and_message(run, write, tmp_path):
    """A file with columns ``line``, ``type`` and ``message``: the rejected row's line
    number and reason stay, and so do the file's cells."""
    path = write(
        "project,event,date,line,type,message\n"
        "A,land,2020-01-01,L1,T1,M1\n"
        "B,land,not a date,L2,T2,M2\n"
    )
    target = tmp_path / "rejected.csv"
    run("validate", path, "--invalid-rows", target, expect=1)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["line"], row["type"]) == ("3", "invalid-date")
    assert row["message"] == "not a valid date"
    assert (row["attribute:line"], row["attribute:type"], row["attribute:message"]) == (
        "L2",
        "T2",
        "M2",
    )
    assert (row["project"], row["event"], row["date"]) == ("B", "land", "not a date")


@pytest.mark.parametrize(
    ("names", "taken", "expected"),
    [
        (["zone", "status"], {"status"}, ["zone", "attribute:status"]),
        (
            ["status", "attribute:status", "attribute:attribute:status"],
            {"status"},
            [
                "attribute:status",
                "attribute:attribute:status",
                "attribute:attribute:attribute:status",
            ],
        ),
        (["a", "b"], set(), ["a", "b"]),
    ],
)
def test_names_apart_are_unique_and_never_taken(names, taken, expected):
    renamed = apart(names, taken)
    assert renamed == expected
    assert len(set(renamed)) == len(renamed)
    assert not set(renamed) & set(taken)
    assert all(r == n or r == ATTRIBUTE_PREFIX + n for r, n in zip(renamed, names, strict=True))


def test_rejection_reasons_count_rows(run, write):
    """A wide row with two bad dates is one rejected row: stderr says 1, not 2."""
    path = write(
        "project,land_acquisition,construction_permit\n"
        "A,2020-01-01,2020-02-01\n"
        "B,bad,worse\n"
        "C,2020-01-05,\n"
    )
    result = run("summary", path, "--json")
    assert json.loads(result.stdout)["rows"]["rejected"] == 1
    assert "1 of 3 rows rejected (1 invalid-date)" in result.stderr
