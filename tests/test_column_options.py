"""Columns named on the command line: --project, --stage NAME=COLUMN, --event-column and
--date-column, with or without a configuration; the hints that point to them."""

from __future__ import annotations

import json
import re
import shlex
from datetime import datetime

import pandas as pd
import pytest

from etown_approvals.config import ProjectConfig, config_from_dict, with_columns
from etown_approvals.errors import ExitCode, UsageError

from .conftest import ROOT, SAMPLE

DATA = ROOT / "tests" / "data"
CALGARY = DATA / "calgary_building_permits_sample.csv"
SQUAMISH = DATA / "squamish_building_permits.csv"


def days_between(frame: pd.DataFrame, project: str, start: str, end: str, fmt: str) -> pd.Series:
    """Per project, days from the earliest start to the earliest end (plain pandas)."""

    def day(text: str) -> float:
        if not text:
            return float("nan")
        return float(datetime.strptime(text[:10], fmt).toordinal())

    days = pd.DataFrame(
        {"project": frame[project], "start": frame[start].map(day), "end": frame[end].map(day)}
    )
    merged = days.groupby("project", sort=False).min()
    span = (merged["end"] - merged["start"]).dropna()
    return span[span >= 0]


def headline(document: dict) -> tuple:
    return (
        document["projects"]["complete"],
        document["days"]["median"],
        document["same_day"]["count"],
    )


def expected(span: pd.Series) -> tuple:
    return (len(span), span.median(), int((span == 0).sum()))


@pytest.fixture(scope="module")
def calgary() -> pd.DataFrame:
    return pd.read_csv(CALGARY, dtype=str, keep_default_na=False)


CALGARY_STAGES = ("--stage", "applied=applieddate", "--stage", "issued=issueddate")


def test_project_and_stages_without_a_configuration(run, calgary):
    result = run(
        "summary",
        CALGARY,
        "--project",
        "permitnum",
        *CALGARY_STAGES,
        "--as-of",
        "2026-08-01",
        "--json",
    )
    document = json.loads(result.stdout)
    assert document["metric"]["from"] == "applied" and document["metric"]["to"] == "issued"
    span = days_between(calgary, "permitnum", "applieddate", "issueddate", "%Y-%m-%d")
    assert headline(document) == expected(span)


def test_the_first_and_last_stage_are_measured_unless_told(run, calgary):
    three = (*CALGARY_STAGES, "--stage", "completed=completeddate")
    document = json.loads(
        run("summary", CALGARY, "--project", "permitnum", *three, "--json").stdout
    )
    span = days_between(calgary, "permitnum", "applieddate", "completeddate", "%Y-%m-%d")
    assert headline(document) == expected(span)
    document = json.loads(
        run(
            "summary", CALGARY, "--project", "permitnum", *three, "--to-stage", "issued", "--json"
        ).stdout
    )
    span = days_between(calgary, "permitnum", "applieddate", "issueddate", "%Y-%m-%d")
    assert headline(document) == expected(span)


def test_options_combine_with_a_configuration(run, calgary, tmp_path):
    """The file's outcomes stay; the command line's columns and stages win."""
    config = tmp_path / "calgary.toml"
    config.write_text(
        '[columns]\nproject = "statuscurrent"\n'
        '[stages]\nfiled = ["applieddate"]\ndone = ["completeddate"]\n'
        '[outcomes]\nwithdrawn = ["statuscurrent~^(cancelled|refused)$"]\n'
    )
    document = json.loads(
        run(
            "summary",
            CALGARY,
            "--config",
            config,
            "--project",
            "permitnum",
            *CALGARY_STAGES,
            "--as-of",
            "2026-08-01",
            "--json",
        ).stdout
    )
    span = days_between(calgary, "permitnum", "applieddate", "issueddate", "%Y-%m-%d")
    assert headline(document) == expected(span)
    ended = calgary["statuscurrent"].str.lower().isin(["cancelled", "refused"])
    assert document["projects"]["withdrawn"] == int((ended & (calgary["issueddate"] == "")).sum())
    # Only --project: the configuration's stages stay.
    document = json.loads(
        run("summary", CALGARY, "--config", config, "--project", "permitnum", "--json").stdout
    )
    assert document["metric"]["from"] == "filed" and document["metric"]["to"] == "done"


def test_options_build_what_the_toml_builds():
    from_options = with_columns(
        None, project="permitnum", stages=[("applied", "applieddate"), ("issued", "issueddate")]
    ).stages
    from_toml = config_from_dict(
        {
            "columns": {"project": "permitnum"},
            "stages": {"applied": ["applieddate"], "issued": ["issueddate"]},
        }
    ).stages
    assert from_options.stages == from_toml.stages
    assert from_options.aliases == from_toml.aliases
    assert (from_options.start, from_options.end) == (from_toml.start, from_toml.end)
    assert from_options.project_column == from_toml.project_column == "permitnum"
    assert from_options.from_options == {"project", "stages"}
    assert with_columns(None) == ProjectConfig()


def test_a_stage_named_twice_takes_either_column():
    stages = with_columns(None, stages=[("filed", "Filed"), ("filed", "Received"), ("done", "X")])
    assert stages.stages.aliases["filed"] == ("Filed", "Received")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--stage", "applied"], "'applied': give NAME=COLUMN"),
        (["--stage", "=applieddate"], "give NAME=COLUMN"),
        (["--stage", "days=applieddate", "--stage", "x=issueddate"], "--stage: stages.days"),
        (["--stage", "only=applieddate"], "--stage: [stages] must list at least two stages"),
    ],
)
def test_bad_stage_options_are_usage_errors(run, arguments, message):
    result = run("summary", CALGARY, "--project", "permitnum", *arguments, expect=ExitCode.USAGE)
    assert message in result.stderr
    assert result.stdout == ""


def test_columns_that_are_not_there_name_the_option(run):
    result = run("summary", CALGARY, "--project", "nope", *CALGARY_STAGES, expect=ExitCode.USAGE)
    assert "--project 'nope' is not a column; columns are: 'permitnum'" in result.stderr
    result = run(
        "summary",
        CALGARY,
        "--project",
        "permitnum",
        "--stage",
        "applied=applieddate",
        "--stage",
        "issued=Issued On",
        expect=ExitCode.USAGE,
    )
    assert "--stage issued='Issued On': no such column" in result.stderr
    result = run("summary", SAMPLE, "--event-column", "step", expect=ExitCode.USAGE)
    assert "--event-column 'step' is not a column" in result.stderr
    with pytest.raises(UsageError):
        with_columns(None, stages=[("gap_x", "a"), ("b", "c")])


def test_an_event_log_with_its_own_column_names(run, tmp_path):
    """The bundled sample with its columns renamed: named on the command line, the same
    numbers as the original, computed here from the original with pandas."""
    original = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    renamed = original.rename(columns={"project": "Case", "event": "Step", "date": "When"})
    path = tmp_path / "log.csv"
    renamed.to_csv(path, index=False)
    document = json.loads(
        run(
            "summary",
            path,
            "--project",
            "Case",
            "--event-column",
            "Step",
            "--date-column",
            "When",
            "--stage",
            "land=land acquisition",
            "--stage",
            "land=拿地",
            "--stage",
            "permit=construction permit",
            "--stage",
            "permit=施工许可证",
            "--ignore-event",
            "project approval",
            "--as-of",
            "2025-01-01",
            "--json",
        ).stdout
    )

    def ordinal(text: str) -> float:
        """The sample's spellings of dates, read with the standard library."""
        spellings = ("%Y-%m-%d", "%Y%m%d", "%Y.%m.%d", "%Y/%m/%d", "%Y年%m月%d日")
        for fmt in (*spellings, "%b %d, %Y", "%b %d %Y", "%d %b %Y"):
            try:
                return float(datetime.strptime(text.strip(), fmt).toordinal())
            except ValueError:
                continue
        return float("nan")  # the sample's deliberate mistakes (2023-02-30)

    events = original
    when = events["date"].map(ordinal)
    stage = events["event"].map(
        {
            "land acquisition": "land",
            "拿地": "land",
            "construction permit": "permit",
            "施工许可证": "permit",
        }
    )
    frame = pd.DataFrame({"project": events["project"], "stage": stage, "day": when}).dropna()
    earliest = frame.groupby(["project", "stage"])["day"].min().unstack()
    span = (earliest["permit"] - earliest["land"]).dropna()
    span = span[span >= 0]
    assert document["metric"] == {"from": "land", "to": "permit", "unit": "calendar_days"}
    assert headline(document) == expected(span)


def test_a_missing_project_column_names_the_ids_and_following_it_works(run, calgary):
    """The error names the id-like column, --project and etown init; both work."""
    result = run("summary", CALGARY, expect=ExitCode.BAD_DATA)
    assert "no project column" in result.stderr
    assert "columns that look like ids: 'permitnum'" in result.stderr
    assert "name the project column with --project COLUMN" in result.stderr
    command = re.search(r"draft a configuration with: (etown init [^;]+);", result.stderr)
    assert command is not None
    named = re.search(r"columns that look like ids: '([^']+)'", result.stderr).group(1)
    document = json.loads(
        run("summary", CALGARY, "--project", named, *CALGARY_STAGES, "--json").stdout
    )
    span = days_between(calgary, "permitnum", "applieddate", "issueddate", "%Y-%m-%d")
    assert headline(document) == expected(span)
    printed = run(*shlex.split(command.group(1))[1:], "-o", "-", "--as-of", "2026-08-01")
    assert 'project = "permitnum"' in printed.stdout


def test_no_stage_columns_points_to_stage_and_init(run):
    result = run("summary", SQUAMISH, expect=ExitCode.BAD_DATA)
    assert "name them with --stage NAME=COLUMN" in result.stderr
    assert f"etown init {SQUAMISH}" in result.stderr


def test_hints_repeat_the_column_options(run, tmp_path, calgary):
    """The rejected rows' hint names the columns as given; followed, it lists them."""
    bad = calgary.copy()
    bad.loc[0, "issueddate"] = "not a date"
    path = tmp_path / "calgary.csv"
    bad.to_csv(path, index=False)
    result = run("summary", path, "--project", "permitnum", *CALGARY_STAGES, "--json")
    hint = re.search(r"see them with: (etown validate .*)$", result.stderr.strip())
    assert hint is not None
    words = shlex.split(hint.group(1))
    assert words[3:] == ["--project", "permitnum", *CALGARY_STAGES]
    checked = run(*words[1:], "--json", expect=ExitCode.CHECK_FAILED)
    errors = json.loads(checked.stdout)["errors"]
    assert [(e["row"], e["type"]) for e in errors] == [(2, "invalid-date")]


def test_help_lists_the_options_with_the_input_ones(run):
    text = run("summary", "--help").stdout
    section = text[text.index("Input (how to read FILE)") : text.index("Metric (what is measured)")]
    for option in ("--header-row", "--project", "--stage", "--event-column", "--date-column"):
        assert option in section
    assert "--show NAME" in run("timeline", "--help").stdout
