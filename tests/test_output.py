"""Output safety: colour by the environment's conventions; data made visible before it
reaches a terminal; progress only on a terminal; CSV cells safe for spreadsheets."""

from __future__ import annotations

import io
import json
import os

import pytest

from etown_approvals.formats.csv_format import cell, write_rows
from etown_approvals.progress import status
from etown_approvals.terminal import color_enabled, message, visible

from .conftest import SAMPLE


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


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
        ("-\u0660", "'-\u0660"),  # Arabic-Indic zero: not a number a spreadsheet reads
        ("+\u0661\u0662", "'+\u0661\u0662"),
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
        assert len(json.loads(pieces)["projects"]) == 29
    elif fmt == "ndjson":
        assert [json.loads(line)["project"] for line in pieces.splitlines()][:2] == [
            "BOE 6th-generation semiconductor display line",
            "Beijing Yesemi",
        ]
    else:
        assert len(list(csv_module.reader(pieces.splitlines()))) == 30


@pytest.mark.parametrize(
    ("fmt", "expected"), [("json", '  "projects": []\n}\n'), ("ndjson", ""), ("csv", None)]
)
def test_empty_lists(run, fmt, expected):
    result = run("projects", SAMPLE, "--format", fmt, "--since", "2030-01-01")
    assert result.exit_code == 0
    if expected is None:
        assert (
            result.stdout.startswith("project,land_acquisition,") and result.stdout.count("\n") == 1
        )
    elif fmt == "json":
        assert result.stdout.endswith(expected)
        assert json.loads(result.stdout)["projects"] == []
    else:
        assert result.stdout == expected


# -- terminal conventions (etown_approvals.terminal) ------------------------------------


@pytest.mark.parametrize(
    ("env", "is_terminal", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # set but empty means nothing
        ({"FORCE_COLOR": "1"}, False, True),  # CI logs want colour
        ({"FORCE_COLOR": ""}, False, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),  # NO_COLOR wins
        ({"TERM": "dumb"}, True, False),
        ({"TERM": "dumb", "FORCE_COLOR": "1"}, True, True),
        ({"TERM": "xterm-256color"}, True, True),
    ],
)
def test_color_enabled_follows_the_conventions(env, is_terminal, expected):
    assert color_enabled(env, is_terminal) is expected


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain name", "plain name"),
        ("Building [north wing]", "Building [north wing]"),  # markup is rich's business
        ("tab\there", "tab\\there"),
        ("line\nbreak\r", "line\\nbreak\\r"),
        ("\x1b[2J clear", "\\x1b[2J clear"),
        ("bell\x07 del\x7f c1\x9b", "bell\\x07 del\\x7f c1\\x9b"),
        ("rtl \u202eevil", "rtl \\u202eevil"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\u2028sep\u2029para", "line\\u2028sep\\u2029para"),
        ("undecodable \udcff", "undecodable \\udcff"),
        ("北京 亦庄", "北京 亦庄"),
        ("no\u00a0break", "no\u00a0break"),  # a space, if not an ASCII one
        ("é combining e\u0301", "é combining e\u0301"),
        ("C:\\data\\x.csv", "C:\\data\\x.csv"),
        (42, "42"),
    ],
)
def test_visible(raw, shown):
    assert visible(raw) == shown


def test_visible_leaves_nothing_a_terminal_would_act_on():
    import unicodedata

    hidden = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}
    suspects = "".join(chr(c) for c in range(0x30000) if unicodedata.category(chr(c)) in hidden)
    assert len(suspects) > 6000
    assert not any(unicodedata.category(c) in hidden for c in visible(suspects))


def test_messages_share_one_prefix_and_show_names():
    assert message("3 rows rejected", level="warning", source="a.csv") == (
        "etown: warning: a.csv: 3 rows rejected"
    )
    assert message("not UTF-8", level="error", source="gbk\t.csv") == (
        "etown: error: gbk\\t.csv: not UTF-8"
    )
    assert message("done") == "etown: done"


# -- progress on stderr (etown_approvals.progress) ---------------------------------------


def test_progress_is_shown_on_a_terminal_and_erased():
    err = FakeTerminal()
    with status("[/]big\t.csv", stream=err, color=False) as step:
        step("reading")
        step("measuring 1,000 events")
    written = err.getvalue()
    assert "etown: [/]big\\t.csv: measuring 1,000 events..." in written
    # Rich's transient display ends by moving up over its line and erasing it.
    assert written.endswith("\x1b[2K")
    assert "\t" not in written


def test_progress_is_erased_when_the_work_fails():
    err = FakeTerminal()
    with pytest.raises(ValueError), status("a.csv", stream=err) as step:
        step("reading")
        raise ValueError("bad")
    assert err.getvalue().endswith("\x1b[2K")


@pytest.mark.parametrize("tty", [False, True])
def test_progress_writes_nothing_when_piped_or_quiet(tty):
    err = FakeTerminal() if tty else io.StringIO()
    with status("a.csv", stream=err, quiet=tty) as step:
        step("reading")
    assert err.getvalue() == ""


def test_an_empty_flags_list_is_written_as_an_empty_list(run, write):
    path = write(
        "project,event,date\n"
        '"Bracket [\n\n ] name",land acquisition,2023-01-01\n'
        '"Bracket [\n\n ] name",construction permit,2023-03-01\n'
        "Same day,land acquisition,2023-01-01\nSame day,construction permit,2023-01-01\n"
    )
    out = run("projects", path, "--json", "--as-of", "2025-01-01").stdout
    assert '"flags": [],' in out and "[\n\n" not in out
    assert '"flags": [\n        "same_day",\n        "fast_track"\n      ]' in out
    records = json.loads(out)["projects"]
    assert [r["project"] for r in records] == ["Bracket [\n\n ] name", "Same day"]
    assert [r["flags"] for r in records] == [[], ["same_day", "fast_track"]]


def test_csv_writers_agree_on_digits_of_other_scripts():
    """The cell-by-cell writer (Python's re) and the column writer (pyarrow's RE2) read
    the same cells as numbers: ASCII digits only."""
    import pandas as pd

    from etown_approvals.formats.csv_format import write_frame

    values = ["-\u0660", "+\u0661\u0662", "-12", "=1"]
    out = io.StringIO()
    write_frame(pd.DataFrame({"note": pd.Series(values, dtype="str")}), out)
    import csv as csv_module

    rows = list(csv_module.reader(io.StringIO(out.getvalue())))
    assert [row[0] for row in rows[1:]] == [cell(v) for v in values]


def test_a_csv_line_quotes_every_line_break():
    """One rule for every CSV row etown writes from Python (list results, a workbook's
    malformed record): a cell with "\r" or "\n" is quoted, so readers keep the row."""
    import csv
    import io

    from etown_approvals.formats.csv_format import csv_line, write_rows

    cells = ["a\rb", "c\nd", "e\r\nf", "plain", 'say "hi"']
    assert csv_line(cells) == '"a\rb","c\nd","e\r\nf",plain,"say ""hi"""'
    out = io.StringIO()
    write_rows([dict(zip("vwxyz", cells, strict=True))] * 2, out)
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows == [list("vwxyz"), cells, cells]
    assert out.getvalue().count("\n") == 3 + 2 * 2  # the line ends, and the "\n"s in cells


#: Runs etown's command line with its output writer stopped half way: it writes a piece
#: of the result to the temporary file, says so, and waits for a signal.
_STOPPED_HALF_WAY = """
import sys, time
from etown_approvals import formats

def half(result, name, stream, options):
    stream.write("{\\n  half a document")
    stream.flush()
    print("writing", file=sys.stderr, flush=True)
    time.sleep(60)

formats.render = half
from etown_approvals.cli import main
sys.argv = ["etown", "summary", sys.argv[1], "--json", "--quiet", "-o", sys.argv[2]]
main()
"""


@pytest.mark.parametrize(
    ("name", "status", "said"),
    [("SIGTERM", -15, ""), ("SIGHUP", -1, ""), ("SIGINT", 130, "etown: interrupted\n")],
)
def test_a_signal_while_writing_leaves_no_temporary_file(tmp_path, name, status, said):
    """A cancelled CI job (SIGTERM), a closed terminal (SIGHUP) or Ctrl-C (SIGINT) while
    -o is written: the temporary file goes, the target is not made, the process ends
    as the signal says (SIGINT as etown's interrupted, exit 130)."""
    import signal
    import subprocess
    import sys

    target = tmp_path / "out" / "summary.json"
    target.parent.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", _STOPPED_HALF_WAY, str(SAMPLE), str(target)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ETOWN_NO_CACHE": "1"},
    )
    assert child.stderr is not None
    assert child.stderr.readline() == "writing\n"
    (partial,) = list(target.parent.iterdir())
    assert partial.name.startswith(".summary.json.") and partial.stat().st_size > 0
    child.send_signal(getattr(signal, name))
    assert child.wait(timeout=60) == status
    assert child.stderr.read() == said
    assert list(target.parent.iterdir()) == []
