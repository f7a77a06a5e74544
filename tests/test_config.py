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
    assert doc["projects"] == {"total": 4, "complete": 2, "open": 1, "invalid": 1, "withdrawn": 0}
    assert doc["same_day"]["projects"] == ["121184752"]
    assert doc["days"]["max"] == 44  # 2015-03-02 -> 2015-04-15
    records = json.loads(
        run("projects", path, "--config", NYC, "--json", "--as-of", "2016-01-01").stdout
    )["projects"]
    assert [r["project"] for r in records] == ["121184752", "320612349", "420089999", "012345678"]
    assert set(records[0]) >= {"filing", "permit_issued", "job_start", "attributes"}
    assert "Borough" in records[0]["attributes"]
    assert "1 row repeats a project" in result.stderr


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
    result = run("summary", SAMPLE, "--config", config, expect=5)
    assert result.exit_code == 5
    assert result.stdout == ""
    assert message in result.stderr and len(result.stderr.splitlines()) == 1


def test_config_column_not_in_file(run, write):
    config = write(
        '[columns]\nproject = "Permit Number"\n[stages]\na = ["A"]\nb = ["B"]\n', name="c.toml"
    )
    result = run("summary", SAMPLE, "--config", config, expect=5)
    assert result.exit_code == 5
    assert "columns.project = 'Permit Number' is not a column of" in result.stderr


def test_config_stage_column_not_in_wide_file(run, write):
    config = write(
        '[columns]\nproject = "id"\n[stages]\nfiled = ["Filed"]\nissued = ["Issued"]\n',
        name="c.toml",
    )
    path = write("id,Filed,Other\n1,2024-01-01,x\n")
    result = run("summary", path, "--config", config, expect=5)
    assert result.exit_code == 5
    assert "stages.issued = ['Issued']: no such column" in result.stderr


def test_unknown_from_stage_is_a_usage_error(run):
    result = run("summary", SAMPLE, "--from-stage", "groundbreaking", expect=2)
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
    missing = run("summary", path, "--sheet", "data", expect=2)
    assert missing.exit_code == 2  # a usage error, like a mistyped option
    assert "no sheet named 'data' (sheets: events, notes)" in missing.stderr
    notes = run("summary", path, "--sheet", "notes", expect=4)
    assert notes.exit_code == 4


def test_stdin_for_every_command(run):
    data = SAMPLE.read_bytes()
    for args, status in (
        (["summary"], 0),
        (["projects"], 0),
        (["stages"], 0),
        (["trend"], 0),
        (["validate"], 1),  # the sample has deliberate errors
        (["check", "--max-open", "10"], 0),
    ):
        result = run(*args, "-", "--format", "json", input=data, expect=status)
        json.loads(result.stdout)
    assert run("timeline", "-", input=data).exit_code == 0


# -- project configuration: every section, typed -------------------------------------

from datetime import date  # noqa: E402

from etown_approvals.config import (  # noqa: E402
    RESERVED_STAGE_NAMES,
    RESERVED_STAGE_PREFIX,
    ProjectConfig,
    config_from_dict,
    discover,
    load_project_config,
)
from etown_approvals.stages import ETOWN  # noqa: E402

FULL = """
[columns]
project = "Permit"

[stages]
filed = ["Filed Date"]
issued = ["Issued Date"]

[metric]
start = "filed"
end = "issued"
days = "workdays"
calendar = "us-ca"
fast_track_days = 5
as_of = 2024-06-30

[source]
delimiter = "semicolon"
encoding = "cp1252"
sheet = 2

[dates]
formats = ["%d.%m.%Y", "epoch_ms"]
dayfirst = true

[filter]
where = ["Type=AL", "Borough!=BRONX"]

[outcomes]
withdrawn = ["Status~(?i)withdrawn"]

[ignore]
events = "Fee paid"

[check]
max_median_days = 60
min_same_day_share = 0.05
max_open = 4

[defaults]
strict = true
format = "json"

[defaults.trend]
by = "quarter"

[defaults.check]
format = "github"
"""


def test_every_section_is_read_into_typed_fields(write):
    config = load_project_config(write(FULL, name="etown.toml"))
    assert config.stages.stages == ("filed", "issued")
    assert config.stages.project_column == "Permit" and config.stages.configured
    assert (config.source.delimiter, config.source.encoding, config.source.sheet) == (
        ";",
        "cp1252",
        2,
    )
    assert config.dates.formats == ("%d.%m.%Y", "epoch_ms") and config.dates.dayfirst is True
    assert config.metric.days == "workdays" and config.metric.calendar == "US-CA"
    assert config.metric.fast_track_days == 5 and config.metric.as_of == date(2024, 6, 30)
    assert config.where == ("Type=AL", "Borough!=BRONX")
    assert config.withdrawn == ("Status~(?i)withdrawn",)
    assert config.ignore_events == ("Fee paid",)
    assert config.check == {"max_median_days": 60.0, "min_same_day_share": 0.05, "max_open": 4}
    assert isinstance(config.check["max_open"], int)
    assert config.defaults == {"strict": True, "format": "json"}
    assert config.command_defaults == {"trend": {"by": "quarter"}, "check": {"format": "github"}}


def test_option_defaults_per_command(write):
    config = load_project_config(write(FULL, name="etown.toml"))
    check = config.option_defaults("check")
    assert check["max_median_days"] == 60 and check["format"] == "github"
    assert check["days"] == "workdays" and check["date_format"] == ("%d.%m.%Y", "epoch_ms")
    assert check["where"] == ("Type=AL", "Borough!=BRONX") and check["ignore_event"] == (
        "Fee paid",
    )
    summary = config.option_defaults("summary")
    assert "max_median_days" not in summary and summary["format"] == "json"
    assert config.option_defaults("trend")["by"] == "quarter"
    # Only the options a command has; [defaults.COMMAND] naming another is a mistake.
    assert config.defaults_for("trend", {"by", "format", "days"}) == {
        "by": "quarter",
        "format": "json",
        "days": "workdays",
    }
    with pytest.raises(ConfigError, match=r"defaults.trend.by: etown trend has no option --by"):
        config.defaults_for("trend", {"format"})


def test_empty_config_means_built_in_stages_and_no_defaults():
    config = config_from_dict({})
    assert config == ProjectConfig(path="config")
    assert config.stages == ETOWN
    assert config.option_defaults("summary") == {}


def test_columns_and_metric_without_stages_apply_to_built_in_stages():
    config = config_from_dict(
        {"columns": {"project": "项目"}, "metric": {"start": "planning_permit"}}
    )
    assert config.stages.stages == ETOWN.stages and not config.stages.configured
    assert config.stages.start == "planning_permit" and config.stages.project_column == "项目"
    assert config.stages.stage_of_event("拿地") == "land_acquisition"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # issue 11: a list where a stage name belongs crashed with "unhashable type"
        (
            '[stages]\na = ["A"]\nb = ["B"]\n[metric]\nstart = ["x"]\n',
            "metric.start must be a stage name (a string), not ['x']",
        ),
        ("[metric]\nend = 3\n", "metric.end must be a stage name (a string), not 3"),
        # issue 11: stages named like computed fields
        (
            '[stages]\ndays = ["A"]\nb = ["B"]\n',
            "stages.days: 'days' is the name of a computed field",
        ),
        (
            '[stages]\na = ["A"]\nStatus = ["B"]\n',
            "stages.Status: 'Status' is the name of a computed field",
        ),
        ('[stages]\na = ["A"]\n"waiting days" = ["B"]\n', "is the name of a computed field"),
        (
            '[stages]\na = ["A"]\ngap_b = ["B"]\n',
            "stages.gap_b: 'gap_b' is the name of a computed field",
        ),
        # issue 11: one alias under two stages silently went to the first
        (
            '[stages]\na = ["Filed"]\nb = ["filed "]\n',
            "stages.b: 'filed ' already means stage 'a' (as 'Filed')",
        ),
        ('[stages]\na = ["B"]\nb = ["X"]\n', "stages.b: 'b' already means stage 'a' (as 'B')"),
        (
            '[metric]\ndays = "weekdays"\n',
            "metric.days must be one of calendar, workdays, not 'weekdays'",
        ),
        (
            "[metric]\nfast_track_days = -1\n",
            "metric.fast_track_days must be a whole number, 0 or more",
        ),
        ("[metric]\nfast_track_days = true\n", "metric.fast_track_days must be a whole number"),
        (
            "[metric]\nas_of = 2024-06-30T10:00:00\n",
            "metric.as_of must be a date such as 2024-06-30",
        ),
        ('[metric]\nas_of = "30.6.2024"\n', "metric.as_of must be a date such as 2024-06-30"),
        ('[source]\nencoding = "rot13"\n', "source.encoding: 'rot13' is not a text encoding"),
        ('[source]\nencoding = "bogus"\n', "source.encoding: 'bogus' is not a text encoding"),
        ('[source]\ndelimiter = "é"\n', "source.delimiter must be one ASCII punctuation character"),
        (
            '[source]\ndelimiter = "\\n"\n',
            "source.delimiter must be one ASCII punctuation character",
        ),
        (
            '[source]\ndelimiter = ",,"\n',
            "source.delimiter must be one ASCII punctuation character",
        ),
        ("[source]\nsheet = -1\n", "source.sheet index must be 0 or more"),
        ("[source]\nsheet = 1.5\n", "source.sheet must be a sheet name or index"),
        (
            '[dates]\nformats = ["%d.%m.%Q"]\n',
            "dates.formats[0] = '%d.%m.%Q': 'Q' is a bad directive",
        ),
        (
            '[dates]\nformats = ["dd.mm.yyyy"]\n',
            "dates.formats[0] = 'dd.mm.yyyy' has no strptime directive",
        ),
        ("[dates]\nformats = [1]\n", "dates.formats must be a list of non-empty strings"),
        ('[dates]\ndayfirst = "yes"\n', "dates.dayfirst must be true or false, not 'yes'"),
        ('[filter]\nwhere = ["zone=A", ""]\n', "filter.where must be a list of non-empty strings"),
        ('[filter]\nwher = ["zone=A"]\n', "unknown key filter.wher (did you mean where?"),
        ("[outcomes]\nwithdrawn = 1\n", "outcomes.withdrawn must be a list of non-empty strings"),
        ('[ignore]\nevents = [["x"]]\n', "ignore.events must be a list of non-empty strings"),
        # issue 11: nan, inf and 1e400 must not reach a comparison
        (
            "[check]\nmax_median_days = nan\n",
            "check.max_median_days must be a finite number, not nan",
        ),
        ("[check]\nmax_p90_days = inf\n", "check.max_p90_days must be a finite number, not inf"),
        ("[check]\nmax_p90_days = 1e400\n", "check.max_p90_days must be a finite number, not inf"),
        (
            "[check]\nmin_same_day_share = 5\n",
            "check.min_same_day_share is a share: between 0 and 1",
        ),
        ("[check]\nmax_open = 2.5\n", "check.max_open must be a whole number, not 2.5"),
        ("[check]\nmax_open = true\n", "check.max_open must be a number, not True"),
        ('[check]\nmax_median_days = "60"\n', "check.max_median_days must be a number, not '60'"),
        (
            "[check]\nmax-median-days = 60\n",
            "unknown key check.max-median-days (did you mean max_median_days?",
        ),
        ("[defaults]\nstrict = 1\n", "defaults.strict must be true or false, not 1"),
        (
            '[defaults]\nby = "week"\n',
            "defaults.by must be one of year, quarter, month, not 'week'",
        ),
        ('[defaults]\nsince = "soon"\n', "defaults.since must be a date such as 2024-06-30"),
        ("[defaults]\ntrend = 1\n", "defaults.trend must be a table"),
        ("[defaults.trend]\nsummary = {}\n", "unknown key defaults.trend.summary"),
        ("[defaults]\nmax_median_days = 3\n", "unknown key defaults.max_median_days"),
        ("source = 1\n", "source must be a table ([source])"),
    ],
)
def test_bad_project_config_names_the_key(run, write, text, message):
    config = write(text, name="bad.toml")
    with pytest.raises(ConfigError, match=_literal(message)):
        load_project_config(config)
    if text.startswith(("[stages]", "[metric]")):  # the parts today's --config reads
        result = run("summary", SAMPLE, "--config", config, expect=5)
        assert (result.exit_code, result.stdout) == (5, "")
        assert message in result.stderr and len(result.stderr.splitlines()) == 1


def _literal(message: str) -> str:
    import re

    return re.escape(message)


def test_reserved_names_cover_every_computed_column():
    from etown_approvals import metrics, results

    computed = set(results.project_columns(ETOWN)) - set(ETOWN.stages)
    computed = {c for c in computed if not c.startswith(RESERVED_STAGE_PREFIX)}
    assert computed | set(metrics.FLAGS) | {"attributes"} <= set(RESERVED_STAGE_NAMES)


# -- encodings of the config file (issue 11) -------------------------------------------

STAGES = '[columns]\nproject = "id"\n[stages]\napplied = ["Filed"]\nissued = ["Issued"]\n'


def test_utf8_bom_is_accepted(run, write):
    config = write(b"\xef\xbb\xbf" + STAGES.encode(), name="bom.toml")
    assert load_config(config).stages == ("applied", "issued")
    path = write("id,Filed,Issued\n1,2024-01-01,2024-01-03\n")
    result = run("summary", path, "--config", config, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["days"]["median"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("# Étapes\n".encode("latin-1") + STAGES.encode(), "line 1: byte 0xc9 is not UTF-8"),
        (STAGES.encode() + "# 阶段\n".encode("gb18030"), "line 6: byte 0xbd is not UTF-8"),
        (STAGES.encode("utf-16"), "the file is UTF-16 text; TOML must be UTF-8"),
        (STAGES.encode("utf-32"), "the file is UTF-32 text; TOML must be UTF-8"),
    ],
)
def test_config_not_utf8_is_exit_5(run, write, content, message):
    config = write(content, name="enc.toml")
    with pytest.raises(ConfigError, match=message):
        load_config(config)
    result = run("summary", SAMPLE, "--config", config, expect=5)
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == f"etown: error: {config}: {message}" + (
        "; TOML must be UTF-8 (save it as UTF-8)\n"
        if "byte" in message
        else " (save it as UTF-8)\n"
    )


# -- discovery ---------------------------------------------------------------------------


def test_discover_etown_toml(tmp_path):
    (tmp_path / "etown.toml").write_text("[check]\nmax_open = 3\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.etown.check]\nmax_open = 9\n", encoding="utf-8")
    found = discover(tmp_path)
    assert found is not None
    path, config = found
    assert path == tmp_path / "etown.toml" and config.check == {"max_open": 3}
    assert config.path == str(tmp_path / "etown.toml")


def test_discover_pyproject_tool_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "permits"\n\n[tool.etown.metric]\ndays = "workdays"\n'
        "[tool.etown.check]\nmax_median_days = 90\n",
        encoding="utf-8",
    )
    found = discover(tmp_path)
    assert found is not None
    assert found[1].metric.days == "workdays" and found[1].check == {"max_median_days": 90}


def test_pyproject_errors_name_the_nested_key(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.etown.check]\nmax_open = -1\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"tool\.etown\.check\.max_open must be 0 or more"):
        discover(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.etown]\ncolums = {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown section \[tool\.etown\.colums\]"):
        discover(tmp_path)


@pytest.mark.parametrize(
    "pyproject",
    [
        None,
        '[project]\nname = "x"\n',
        "[tool.ruff\nbroken = \n",  # another tool's broken file is not etown's business
        '[project]\nname = "etown-data"\n',  # mentions etown, but has no [tool.etown]
    ],
)
def test_discover_nothing(tmp_path, pyproject):
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    assert discover(tmp_path) is None


def test_discover_looks_only_in_the_folder_given(tmp_path):
    (tmp_path / "etown.toml").write_text("[check]\nmax_open = 3\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    assert discover(tmp_path / "sub") is None


def test_discover_reports_a_broken_etown_toml(tmp_path):
    (tmp_path / "etown.toml").write_bytes(b"[check]\nmax_open = \xff\n")
    with pytest.raises(ConfigError, match="line 2: byte 0xff is not UTF-8"):
        discover(tmp_path)


def test_explicit_pyproject_without_tool_table(write):
    path = write('[project]\nname = "x"\n', name="pyproject.toml")
    with pytest.raises(ConfigError, match=r"no \[tool.etown\] table"):
        load_project_config(path)


@pytest.mark.parametrize(
    ("given", "delimiter"), [("\t", "\t"), ("tab", "\t"), ("Pipe", "|"), (";", ";")]
)
def test_delimiter_names(given, delimiter):
    assert config_from_dict({"source": {"delimiter": given}}).source.delimiter == delimiter


def test_load_config_still_returns_the_stage_set(write):
    stages = load_config(write(FULL, name="etown.toml"))
    assert stages.stages == ("filed", "issued") and stages.start == "filed"


@pytest.mark.parametrize(
    "nested", ["[" * 10_000 + "]" * 10_000, "{a = " * 5_000 + "1" + "}" * 5_000]
)
def test_values_nested_thousands_deep_are_a_configuration_error(run, write, nested):
    config = write(f"[filter]\nwhere = {nested}\n", "etown.toml")
    with pytest.raises(ConfigError, match="values nested too deeply") as raised:
        load_config(config)
    assert raised.value.exit_code == 5
    result = run("summary", SAMPLE, "--config", config, expect=5)
    assert result.stderr == (
        f"etown: error: {config}: malformed TOML: values nested too deeply "
        "(arrays or tables inside one another)\n"
    )


@pytest.mark.parametrize(
    ("columns", "says"),
    [
        ('project = "project"\nevent = "Project"', "columns.event = 'Project' names the project"),
        ('project = "zone"\ndate = "Zone "', "columns.date = 'Zone ' names the project"),
        ('event = "kind"\ndate = "KIND"', "columns.date = 'KIND' names the event column"),
    ],
)
def test_one_column_for_two_roles_is_a_configuration_error(run, write, columns, says):
    config = write(f"[columns]\n{columns}\n", "etown.toml")
    with pytest.raises(ConfigError, match=says) as raised:
        load_config(config)
    assert raised.value.exit_code == 5
    run("summary", SAMPLE, "--config", config, expect=5)


def test_a_configured_event_column_found_as_the_project_column_is_a_configuration_error(run, write):
    """Only the event column is named, and it is the column the project role takes by
    its built-in name: every row would be an unknown event (exit 4) without this."""
    config = write('[columns]\nevent = "project"\n', "etown.toml")
    result = run("summary", SAMPLE, "--config", config, expect=5)
    assert "columns.event = 'project' is the project column of" in result.stderr
