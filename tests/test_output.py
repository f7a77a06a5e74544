"""Output safety: colour only on a terminal without NO_COLOR; CSV cells safe for spreadsheets."""

from __future__ import annotations

import io

import pytest

from etown_approvals.cli.app import color_enabled
from etown_approvals.formats.csv_format import cell, write_rows

from .conftest import SAMPLE


@pytest.mark.parametrize(
    ("tty", "env", "color"),
    [
        (True, {}, True),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # the convention: only a non-empty value counts
        (False, {}, False),
        (False, {"FORCE_COLOR": "1"}, True),  # CI logs want colour
        (False, {"FORCE_COLOR": ""}, False),
        (True, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_colour_conventions(tty, env, color):
    assert color_enabled({"TERM": "xterm", **env}, tty) is color


def test_forced_colour_reaches_piped_tables(run):
    result = run("summary", SAMPLE, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in result.stdout
    assert "\x1b[" not in run("summary", SAMPLE, "--json", env={"FORCE_COLOR": "1"}).stdout


def test_piped_table_has_no_escape_codes(run):
    result = run("summary", SAMPLE)
    assert "\x1b[" not in result.stdout
    assert "\x1b[" not in run("validate", SAMPLE, expect=1).stdout


def test_terminal_table_is_coloured():
    from etown_approvals import results as reports
    from etown_approvals.analysis import analyze
    from etown_approvals.formats import OutputOptions, render

    out = io.StringIO()
    render(reports.summary(analyze(SAMPLE)), "table", out, OutputOptions(color=True, width=100))
    assert "\x1b[" in out.getvalue()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "+1"),  # plain numbers are data, not formulas
        ("-2", "-2"),
        ("-122.33", "-122.33"),
        ("-1e5", "-1e5"),
        ("-2+3", "'-2+3"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@x", "'@x"),
        ("\uff1dSUM(A1)", "'\uff1dSUM(A1)"),  # full-width equals sign
        ("\uff0d1+1", "'\uff0d1+1"),
        ("plain", "plain"),
        (-3, -3),
        (None, ""),
        (["same_day", "fast_track"], "same_day;fast_track"),
    ],
)
def test_csv_cells_are_spreadsheet_safe(value, expected):
    assert cell(value) == expected


def test_csv_writer_quotes_properly():
    out = io.StringIO()
    write_rows([{"project": 'A, "B"', "flags": ["x"]}], out)
    assert out.getvalue() == 'project,flags\n"A, ""B""",x\n'


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
def test_long_lists_are_written_in_pieces_without_seams(run, monkeypatch, fmt):
    import csv as csv_module
    import json

    from etown_approvals.formats import json_format

    whole = run("projects", SAMPLE, "--format", fmt, "--as-of", "2025-01-01").stdout
    monkeypatch.setattr(json_format, "PIECE_ROWS", 4)
    monkeypatch.setattr("etown_approvals.formats.csv_format.PIECE_ROWS", 4)
    pieces = run("projects", SAMPLE, "--format", fmt, "--as-of", "2025-01-01").stdout
    assert pieces == whole
    if fmt == "json":
        assert len(json.loads(pieces)) == 29
    elif fmt == "ndjson":
        assert [json.loads(line)["project"] for line in pieces.splitlines()][:2] == [
            "BOE 6th-generation semiconductor display line",
            "Beijing Yesemi",
        ]
    else:
        assert len(list(csv_module.reader(pieces.splitlines()))) == 30


@pytest.mark.parametrize(("fmt", "expected"), [("json", "[]\n"), ("ndjson", ""), ("csv", None)])
def test_empty_lists(run, fmt, expected):
    result = run("projects", SAMPLE, "--format", fmt, "--since", "2030-01-01")
    assert result.exit_code == 0
    if expected is None:
        assert (
            result.stdout.startswith('"project","land_acquisition"')
            and result.stdout.count("\n") == 1
        )
    else:
        assert result.stdout == expected
