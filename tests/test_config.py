"""Stage configuration files, other cities' layouts, Excel."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from etown_approvals.config import load_config
from etown_approvals.errors import ConfigError

from .conftest import ROOT, SAMPLE

NYC = ROOT / "examples" / "nyc_dob.toml"


def test_nyc_layout(run, write):
    path = write(
        "Job #,Borough,Filing Date,Issuance Date,Job Start Date,Permit Type\n"
        "121184752,MANHATTAN,01/05/2015,01/05/2015 12:00:00 AM,01/20/2015,AL\n"
        "121184752,MANHATTAN,01/06/2015,02/10/2015,,PL\n"
        "320612349,BROOKLYN,03/02/2015,04/15/2015,05/01/2015,NB\n"
        "420089999,QUEENS,06/30/2015,,,AL\n"
        "012345678,BRONX,07/01/2015,06/15/2015,,AL\n",
        name="dob_permits.csv",
    )
    result = run("summary", path, "--config", NYC, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["metric"] == {"from": "filing", "to": "permit_issued", "unit": "calendar_days"}
    assert doc["projects"] == {"total": 4, "complete": 2, "open": 1, "invalid": 1}
    assert doc["same_day"]["projects"] == ["121184752"]
    assert doc["days"]["max"] == 44  # 2015-03-02 -> 2015-04-15
    records = json.loads(
        run("projects", path, "--config", NYC, "--json", "--as-of", "2016-01-01").stdout
    )
    assert [r["project"] for r in records] == ["121184752", "320612349", "420089999", "012345678"]
    assert set(records[0]) >= {"filing", "permit_issued", "job_start", "Borough"}
    assert "1 rows repeat a project" in result.stderr


def test_long_file_with_configured_columns_and_events(run, write):
    config = write(
        '[columns]\nproject = "Case"\nevent = "Step"\ndate = "When"\n'
        '[stages]\napplied = ["Application received"]\napproved = ["Approved", "Approval"]\n',
        name="c.toml",
    )
    path = write("Case,Step,When\nX,Application received,2024-01-02\nX,Approval,2024-01-05\n")
    doc = json.loads(run("summary", path, "--config", config, "--json").stdout)
    assert doc["metric"] == {"from": "applied", "to": "approved", "unit": "calendar_days"}
    assert doc["days"]["median"] == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[stages\n", "malformed TOML"),
        ('[stages]\na = ["A"]\n', "at least two stages"),
        (
            '[stages]\na = ["A"]\nb = ["B"]\n[metric]\nstart = "c"\n',
            "metric.start = 'c' is not a stage",
        ),
        (
            '[stages]\na = ["A"]\nb = ["B"]\n[metric]\nstart = "b"\nend = "a"\n',
            "must come before end",
        ),
        ('[stages]\na = ["A"]\nb = 3\n', "stages.b must be a list of names"),
        (
            '[columns]\nproject = 1\n[stages]\na = ["A"]\nb = ["B"]\n',
            "columns.project must be a column name",
        ),
        ("[colums]\n", "unknown section [colums]"),
        ('[metric]\nfrom = "a"\n[stages]\na = ["A"]\nb = ["B"]\n', "unknown key metric.from"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(run, write, text, message):
    config = write(text, name="bad.toml")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_config(config)
    result = run("summary", SAMPLE, "--config", config)
    assert result.exit_code == 5
    assert result.stdout == ""
    assert message in result.stderr and len(result.stderr.splitlines()) == 1


def test_config_column_not_in_file(run, write):
    config = write(
        '[columns]\nproject = "Permit Number"\n[stages]\na = ["A"]\nb = ["B"]\n', name="c.toml"
    )
    result = run("summary", SAMPLE, "--config", config)
    assert result.exit_code == 5
    assert "columns.project = 'Permit Number' is not a column of" in result.stderr


def test_config_stage_column_not_in_wide_file(run, write):
    config = write(
        '[columns]\nproject = "id"\n[stages]\nfiled = ["Filed"]\nissued = ["Issued"]\n',
        name="c.toml",
    )
    path = write("id,Filed,Other\n1,2024-01-01,x\n")
    result = run("summary", path, "--config", config)
    assert result.exit_code == 5
    assert "stages.issued = ['Issued']: no such column" in result.stderr


def test_unknown_from_stage_is_a_usage_error(run):
    result = run("summary", SAMPLE, "--from-stage", "groundbreaking")
    assert result.exit_code == 2
    assert "--from-stage/--to-stage: metric start 'groundbreaking' is not a stage" in result.stderr


def test_from_stage_on_builtin_stages(run):
    doc = json.loads(run("summary", SAMPLE, "--json", "--from-stage", "planning_permit").stdout)
    assert doc["metric"]["from"] == "planning_permit"


def test_every_command_takes_a_config(run):
    for command in ("summary", "projects", "stages", "trend", "timeline", "validate", "check"):
        assert "--config" in run(command, "--help").stdout


def test_excel(run, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "events"
    sheet.append(["项目名称", "审批事项", "办结日期", "zone"])
    sheet.append(["京东方", "拿地", datetime(2023, 6, 16), "Core"])
    sheet.append(["京东方", "施工许可证", "2023-06-16", "Core"])
    sheet.append(["Yesemi", "land", datetime(2023, 3, 20, 9, 30), None])
    sheet.append(["Yesemi", "construction permit", datetime(2023, 3, 23), None])
    other = workbook.create_sheet("notes")
    other.append(["nothing here"])
    path = tmp_path / "events.xlsx"
    workbook.save(path)
    doc = json.loads(run("summary", path, "--json").stdout)
    assert doc["same_day"]["projects"] == ["京东方"]
    assert doc["days"]["max"] == 3
    assert json.loads(run("summary", path, "--json", "--sheet", "0").stdout) == doc
    assert (
        json.loads(run("summary", path, "--json", "--sheet", "events").stdout)["days"]
        == doc["days"]
    )
    missing = run("summary", path, "--sheet", "data")
    assert missing.exit_code == 2  # a usage error, like a mistyped option
    assert "no sheet named 'data' (sheets: events, notes)" in missing.stderr
    notes = run("summary", path, "--sheet", "notes")
    assert notes.exit_code == 4


def test_stdin_for_every_command(run):
    data = SAMPLE.read_bytes()
    for args in (
        ["summary"],
        ["projects"],
        ["stages"],
        ["trend"],
        ["validate"],
        ["check", "--max-open", "10"],
    ):
        result = run(*args, "-", "--format", "json", input=data)
        assert result.exit_code in (0, 1), (args, result.stderr)
        json.loads(result.stdout)
    assert run("timeline", "-", input=data).exit_code == 0
