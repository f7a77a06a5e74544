"""``etown init`` on real exports of ten agencies: the drafted configuration names the
right columns, and the headline it gives matches an independent computation (plain
pandas and openpyxl, reading each file as a person would who looked at it)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from etown_approvals.drafting import draft
from etown_approvals.errors import ExitCode

from .conftest import ROOT, SAMPLE, SF_SAMPLE

DATA = ROOT / "tests" / "data"
QUEUES = date(2025, 1, 23)  # the day the queue reports were taken: later dates are plans
PERMITS = date(2026, 8, 1)


def day_number(value: Any, fmt: str | None = None, cut: int | None = None) -> float:
    """Days since 1970-01-01 of a workbook date or a date string (its first ``cut``
    characters; NaN if neither)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return float("nan")
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return float((value - date(1970, 1, 1)).days)
    if isinstance(value, str) and value.strip() and fmt:
        try:
            text = value.strip()[:cut]
            return float((datetime.strptime(text, fmt).date() - date(1970, 1, 1)).days)
        except ValueError:
            return float("nan")
    return float("nan")


def one_line(name: Any) -> str:
    return " ".join(str(name).split())


def csv_frame(
    path: Path, fmt: str, cut: int | None = None, **options: Any
) -> tuple[pd.DataFrame, tuple[str, int | None]]:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, **options)
    return raw.rename(columns=one_line), (fmt, cut)


def sheet_frame(path: Path, sheet: str, header_row: int, first_data_row: int) -> pd.DataFrame:
    """The sheet's rows from ``first_data_row`` to its first row without a first cell
    (what lies below is notes), each column named by the texts of the header's rows
    (``header_row`` up to the first data row), top to bottom."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    header = rows[header_row - 1 : first_data_row - 1]
    names = [
        " ".join(one_line(row[i]) for row in header if row[i] is not None) or f"unnamed {i}"
        for i in range(len(header[0]))
    ]
    body = []
    for row in rows[first_data_row - 1 :]:
        if row[0] is None:
            break
        body.append(row)
    return pd.DataFrame(body, columns=names, dtype=object)


@dataclass
class Export:
    name: str
    path: Path
    #: The columns the draft should choose: the project, the first and the last stage.
    project: str
    start: str
    end: str
    #: The table as the test reads it, and the format of its date strings (None: cells).
    table: Callable[[], tuple[pd.DataFrame, Any]]
    today: date = PERMITS
    sheet: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    notes: int = 0


EXPORTS = [
    Export(
        "Calgary building permits (Socrata CSV)",
        DATA / "calgary_building_permits_sample.csv",
        "permitnum",
        "applieddate",
        "completeddate",
        lambda: csv_frame(DATA / "calgary_building_permits_sample.csv", "%Y-%m-%d", 10),
    ),
    Export(
        "Burlington building permits (ArcGIS CSV, repeated file numbers)",
        DATA / "burlington_building_permits_sample.csv",
        "FILENO",
        "INDATE",
        "ISSUEDATE",
        lambda: csv_frame(
            DATA / "burlington_building_permits_sample.csv", "%Y/%m/%d", 10, encoding="utf-8-sig"
        ),
    ),
    Export(
        "Squamish building permits (ArcGIS CSV)",
        DATA / "squamish_building_permits.csv",
        "Folder_Number",
        "Application_Date",
        "Issued_Date",
        lambda: csv_frame(
            DATA / "squamish_building_permits.csv", "%Y/%m/%d", 10, encoding="utf-8-sig"
        ),
    ),
    Export(
        "FDA 510(k) decisions (pipe-delimited Windows-1252)",
        DATA / "fda_510k_pmnlstmn.txt",
        "KNUMBER",
        "DATERECEIVED",
        "DECISIONDATE",
        lambda: csv_frame(DATA / "fda_510k_pmnlstmn.txt", "%m/%d/%Y", sep="|", encoding="cp1252"),
        source={"encoding": "cp1252", "delimiter": "pipe"},
    ),
    Export(
        "San Francisco building permits (DataSF CSV)",
        SF_SAMPLE,
        "Permit Number",
        "Permit Creation Date",
        "Completed Date",
        lambda: csv_frame(SF_SAMPLE, "%m/%d/%Y", 10),
    ),
    Export(
        "CAISO queue report, completed projects (title, banners, notes below)",
        DATA / "caiso_queue_report.xlsx",
        "Queue Position",
        "Interconnection Request Receive Date",
        "Actual On-line Date",
        lambda: (
            sheet_frame(DATA / "caiso_queue_report.xlsx", "Completed Generation Projects", 4, 5),
            None,
        ),
        today=QUEUES,
        sheet="Completed Generation Projects",
        source={"sheet": "Completed Generation Projects", "header_row": 4},
        notes=1,
    ),
    Export(
        "NYISO interconnection queue (monthly counts and NOTES below)",
        DATA / "nyiso_interconnection_queue.xlsx",
        "Queue Pos.",
        "Date of IR",
        "IA Tender Date",
        lambda: (
            sheet_frame(DATA / "nyiso_interconnection_queue.xlsx", "Interconnection Queue", 1, 2),
            None,
        ),
        today=QUEUES,
        source={"sheet": "Interconnection Queue"},
        notes=15,
    ),
    Export(
        "ISO New England queue report (title rows of several cells)",
        DATA / "isone_queue_report.xlsx",
        "Position",
        "Requested",
        "Op Date",
        lambda: (sheet_frame(DATA / "isone_queue_report.xlsx", "Queue", 5, 6), None),
        today=QUEUES,
        source={"sheet": "Queue", "header_row": 5},
    ),
    Export(
        "SPP active generation interconnection requests ('Last Updated On' above)",
        DATA / "spp_gi_active_requests.xlsx",
        "Generation Interconnection Number",
        "Request Received",
        "In-Service Date",
        lambda: (
            sheet_frame(DATA / "spp_gi_active_requests.xlsx", "SPP GI_ActiveRequest", 2, 3),
            None,
        ),
        today=QUEUES,
        source={"sheet": "SPP GI_ActiveRequest", "header_row": 2},
    ),
    Export(
        "ERCOT GIS report, large generators (notes above, five-row merged header)",
        DATA / "ercot_gis_report_2024_12.xlsx",
        "INR",
        "FIS Requested",
        "Approved for Synchronization",
        lambda: (
            sheet_frame(
                DATA / "ercot_gis_report_2024_12.xlsx", "Project Details - Large Gen", 31, 36
            ),
            None,
        ),
        today=QUEUES,
        sheet="Project Details - Large Gen",
        source={"sheet": "Project Details - Large Gen", "header_row": 31},
    ),
]


def expected_headline(
    frame: pd.DataFrame,
    fmt: Any,
    project: str,
    stages: list[str],
    start: str,
    end: str,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Per project, the earliest date of each stage; rows with a stage cell that is not
    a date are left out whole (etown rejects them); complete: both dates, end not before
    start. As of a date, what was known then: later dates are left out, a row with only
    later dates is not used, and a project that starts later is not counted."""
    fmt, cut = fmt if fmt else (None, None)
    days = pd.DataFrame(
        {column: frame[column].map(lambda v: day_number(v, fmt, cut)) for column in stages}
    )
    filled = frame[stages].map(lambda v: v is not None and str(v).strip() != "")
    valid = ~(filled & days.isna()).any(axis=1)
    keys = frame[project].map(lambda v: None if v is None else str(v).strip())
    keep = valid & keys.notna() & (keys != "")
    starts = days[keep].assign(project=keys[keep]).groupby("project", sort=False)[start].min()
    if as_of is not None:
        limit = float((as_of - date(1970, 1, 1)).days)
        later = days > limit
        keep &= ~(later.any(axis=1) & ~(days <= limit).any(axis=1))
        days = days.mask(later)
    merged = days[keep].assign(project=keys[keep]).groupby("project", sort=False).min()
    if as_of is not None:
        merged = merged[~(starts.reindex(merged.index) > limit)]
    span = (merged[end] - merged[start]).dropna()
    span = span[span >= 0]
    return {
        "projects": len(merged),
        "complete": len(span),
        "median": None if span.empty else float(span.median()),
        "same_day": int((span == 0).sum()),
    }


@pytest.mark.parametrize(
    "export",
    [
        pytest.param(e, id=e.name, marks=[pytest.mark.shared_data] if e.path == SF_SAMPLE else [])
        for e in EXPORTS
    ],
)
def test_the_drafted_configuration_measures_what_pandas_measures(export, run, tmp_path):
    if not export.path.exists():
        pytest.skip(f"{export.path} is not beside the checkout")
    drafted = draft(export.path, sheet=export.sheet, today=export.today)
    config = tomllib.loads(drafted.text)
    assert config["columns"]["project"] == export.project
    stages = config["stages"]
    columns = {stage: names[0] for stage, names in stages.items()}
    metric = config["metric"]
    assert (columns[metric["start"]], columns[metric["end"]]) == (export.start, export.end)
    assert list(stages).index(metric["start"]) == 0
    assert list(stages).index(metric["end"]) == len(stages) - 1
    for key, value in export.source.items():
        assert config["source"][key] == value
    written = tmp_path / "etown.toml"
    written.write_text(drafted.text, encoding="utf-8")
    result = run(
        "summary", export.path, "--config", written, "--as-of", export.today.isoformat(), "--json"
    )
    document = json.loads(result.stdout)
    frame, fmt = export.table()
    expected = expected_headline(
        frame, fmt, export.project, list(columns.values()), export.start, export.end, export.today
    )
    assert {
        "projects": document["projects"]["total"],
        "complete": document["projects"]["complete"],
        "median": document["days"]["median"],
        "same_day": document["same_day"]["count"],
    } == expected
    assert document["rows"]["notes"] == export.notes


def test_ten_agencies():
    assert len({e.path for e in EXPORTS}) == 10


# -- the command ----------------------------------------------------------------------


def test_init_writes_etown_toml_and_summary_reads_it_from_the_folder(run, tmp_path, monkeypatch):
    """The walkthrough: init, then summary with no option, then stages."""
    export = EXPORTS[6]  # NYISO: counts and notes under the queue
    monkeypatch.chdir(tmp_path)
    result = run("init", export.path, "--as-of", "2025-01-23")
    assert result.stdout == ""
    assert (tmp_path / "etown.toml").is_file()
    stderr = result.stderr
    assert "etown: project: 'Queue Pos.' (192 distinct ids in 192 rows)" in stderr
    assert "15 rows after the table (lines 195-198, 200-208, 211-212) are notes" in stderr
    assert "etown: headline: ir -> ia_tender: median 1279 days over 63 complete projects" in stderr
    assert "etown: next: etown summary " in stderr and "--config" not in stderr
    document = json.loads(run("summary", export.path, "--as-of", "2025-01-23", "--json").stdout)
    frame, _ = export.table()
    expected = expected_headline(
        frame,
        None,
        "Queue Pos.",
        [export.start, "CY/FS Complete Date", export.end],
        export.start,
        export.end,
    )
    assert document["days"]["median"] == expected["median"] == 1279
    assert document["projects"]["complete"] == 63
    stages = json.loads(run("stages", export.path, "--as-of", "2025-01-23", "--json").stdout)
    assert [t["from"] for t in stages["transitions"]] == ["ir", "cy_fs_complete"]


def test_init_never_overwrites_without_force(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "etown.toml").write_text("# mine\n")
    result = run("init", SAMPLE, expect=ExitCode.USAGE)
    assert "etown.toml exists: give --force to overwrite it, or -o another file" in result.stderr
    assert (tmp_path / "etown.toml").read_text() == "# mine\n"
    run("init", SAMPLE, "--force", "-q")
    assert (tmp_path / "etown.toml").read_text().startswith("# Drafted by `etown init`")


def test_init_to_standard_output_and_another_file(run, tmp_path):
    printed = run("init", SAMPLE, "-o", "-", "-q")
    config = tomllib.loads(printed.stdout)
    assert config["columns"] == {"project": "project", "event": "event", "date": "date"}
    assert "stages" not in config  # the sample's events are the built-in stages
    assert printed.stderr == ""
    target = tmp_path / "sample.toml"
    result = run("init", SAMPLE, "-o", target)

    def body(text: str) -> str:  # without the first comments, which name the file
        return text[text.index("[columns]") :]

    assert body(target.read_text()) == body(printed.stdout)
    assert f"next: etown summary {SAMPLE} --config {target}" in result.stderr
    # The built-in stages, measured as without any configuration.
    with_config = json.loads(
        run("summary", SAMPLE, "--config", target, "--as-of", "2025-01-01", "--json").stdout
    )
    plain = json.loads(
        run("summary", SAMPLE, "--no-config", "--as-of", "2025-01-01", "--json").stdout
    )
    assert with_config["days"] == plain["days"]


def test_init_of_a_missing_file_or_folder(run, tmp_path):
    assert "no such file" in run("init", tmp_path / "nope.csv", expect=2).stderr
    result = run("init", SAMPLE, "-o", tmp_path / "no" / "etown.toml", expect=ExitCode.CANNOT_WRITE)
    assert "does not exist" in result.stderr


def test_the_project_option_steers_the_draft(run):
    printed = run(
        "init", DATA / "squamish_building_permits.csv", "--project", "OBJECTID_1", "-o", "-"
    )
    assert tomllib.loads(printed.stdout)["columns"]["project"] == "OBJECTID_1"
    result = run("init", SAMPLE, "--project", "nope", "-o", "-", expect=ExitCode.USAGE)
    assert "--project 'nope' is not a column" in result.stderr


def test_two_digit_years_get_a_format_decided_from_the_values(write, run):
    path = write(
        "Case,Received,Decided\nC-1,15/03/21,20/03/21\nC-2,02/04/21,02/04/21\n"
        "C-3,03/05/21,13/06/21\n"
    )
    printed = run("init", path, "-o", "-", "--as-of", "2025-01-01")
    config = tomllib.loads(printed.stdout)
    assert config["dates"]["formats"] == ["%d/%m/%y"]
    assert "date format: %d/%m/%y (two-digit years)" in printed.stderr
    days = pd.Series([5, 0, 41])
    assert f"median {days.median():g} days over 3 complete projects (same day: 1)" in printed.stderr


def test_two_digit_years_in_both_orders_get_no_format(write, run):
    """15/03/21 proves day first, 03/15/21 month first: no one format reads them."""
    path = write("Case,Received,Decided\nC-1,15/03/21,20/03/21\nC-2,03/15/21,03/20/21\n")
    refused = run("init", path, "-o", "-", "--as-of", "2025-01-01", expect=ExitCode.USAGE)
    assert refused.stdout == ""  # no draft read day first (C-2 would be 15 months in)
    assert "found 0 stages" in refused.stderr
    mixed = path.read_text(encoding="utf-8") + "C-3,2021-03-01,2021-03-05\n" * 4
    path.write_text(mixed, encoding="utf-8")
    printed = run("init", path, "-o", "-", "--as-of", "2025-01-01")
    assert "formats" not in tomllib.loads(printed.stdout).get("dates", {})
    assert "give their format under formats" in printed.stderr


def test_two_digit_years_with_month_names_and_times_get_their_format(write, run):
    path = write(
        "Case,Received,Decided\nC-1,15-Mar-21 10:30,20-Mar-21 09:00\n"
        "C-2,02-Apr-21 08:15,02-Apr-21 16:45\n"
    )
    printed = run("init", path, "-o", "-", "--as-of", "2025-01-01")
    assert tomllib.loads(printed.stdout)["dates"]["formats"] == ["%d-%b-%y %H:%M"]


def test_dates_that_read_either_way_are_left_to_the_user(write, run):
    path = write("Case,Received,Decided\nC-1,01/02/2021,03/04/2021\nC-2,02/03/2021,04/05/2021\n")
    printed = run("init", path, "-o", "-", "--as-of", "2025-01-01")
    assert "# dayfirst = true" in printed.stdout
    assert "read either day first or month first" in printed.stderr
    assert "headline: none yet:" in printed.stderr
    assert "choose with --dayfirst or --monthfirst" in printed.stderr


def test_a_file_with_one_date_column_cannot_be_drafted(write, run):
    path = write("Case,Received,Ward\nC-1,2021-03-01,1\nC-2,2021-03-02,2\n")
    result = run("init", path, "-o", "-", expect=ExitCode.USAGE)
    assert "found 1 stage ('Received'): a duration needs two" in result.stderr
    assert "--stage NAME=COLUMN" in result.stderr


def test_the_readme_walkthrough_is_what_the_commands_do(run, tmp_path, monkeypatch):
    """The manual's "Your own export": its three commands, run as written, and init's
    output as shown there."""
    readme = (ROOT / "docs" / "your-export.md").read_text(encoding="utf-8")
    section = readme
    block = section[section.index("```console\n") + 11 : section.index("\n```\n")]
    commands = [line for line in block.splitlines() if line.startswith("$ etown ")]
    assert len(commands) == 3
    shown = block[block.index("\n") + 1 : block.index(commands[1])].splitlines()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    first = run(*commands[0].split()[2:])
    assert first.stderr.splitlines() == shown
    document = run(*commands[1].split()[2:], "--json")
    assert json.loads(document.stdout)["days"]["median"] == 1279
    run(*commands[2].split()[2:])
    assert (tmp_path / "report.html").stat().st_size > 0
