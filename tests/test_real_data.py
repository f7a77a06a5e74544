"""Real public exports read raw through the example configs, checked against an
independent pandas computation: San Francisco's building permits (../shared/data)
and the samples in tests/data (see tests/data/README.md for their provenance)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from etown_approvals import results
from etown_approvals.analysis import analyze
from etown_approvals.config import load_config
from etown_approvals.filters import load_rules
from etown_approvals.loader import load
from etown_approvals.metrics import MetricOptions, project_table, summarize
from etown_approvals.options import InputOptions

from .conftest import ROOT, SF_SAMPLE

CONFIG = ROOT / "examples" / "sf_building_permits.toml"
needs_sf = pytest.mark.shared_data


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    """Per permit: earliest filed and issued date, computed with plain pandas."""
    raw = pd.read_csv(SF_SAMPLE, dtype=str, keep_default_na=False)
    frame = pd.DataFrame({"permit": raw["Permit Number"]})
    for column, name in (
        ("Filed Date", "filed"),
        ("Issued Date", "issued"),
        ("First Construction Document Date", "start"),
    ):
        frame[name] = pd.to_datetime(
            raw[column].replace("", None), format="%m/%d/%Y %I:%M:%S %p"
        ).dt.normalize()
    merged = frame.groupby("permit", sort=False).min()
    merged["days"] = (merged["issued"] - merged["filed"]).dt.days
    return merged


def _json(run, *args):
    result = run(*args, SF_SAMPLE, "--config", CONFIG, "--json", "--as-of", "2024-03-02")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


@needs_sf
def test_summary_matches_pandas(run, expected):
    doc, stderr = _json(run, "summary")
    complete = expected[expected["days"].notna() & (expected["days"] >= 0)]
    assert doc["metric"] == {
        "from": "application",
        "to": "construction_permit",
        "unit": "calendar_days",
    }
    assert doc["rows"] == {
        "read": 7302,
        "used": 7302,
        "rejected": 0,
        "filtered": 0,
        "ignored": 0,
        "after_as_of": 0,
        "blank": 0,
        "notes": 0,
    }
    assert doc["projects"]["total"] == len(expected)
    assert doc["projects"]["complete"] == len(complete)
    assert doc["projects"]["open"] == int(
        (expected["filed"].notna() & expected["issued"].isna()).sum()
    )
    assert doc["days"]["median"] == complete["days"].median()
    assert doc["days"]["mean"] == round(complete["days"].mean(), 2)
    assert doc["days"]["p90"] == round(complete["days"].quantile(0.9), 2)
    assert doc["same_day"]["count"] == int((complete["days"] == 0).sum())
    assert doc["same_day"]["share"] == round((complete["days"] == 0).mean(), 4)
    assert "427 rows repeat a project" in stderr


@needs_sf
def test_projects_match_pandas(run, expected):
    document, _ = _json(run, "projects")
    records = document["projects"]
    assert len(records) == len(expected)
    by_permit = {r["project"]: r for r in records}
    for permit in expected.index[:200]:
        row, record = expected.loc[permit], by_permit[permit]
        assert record["application"] == (
            None if pd.isna(row["filed"]) else row["filed"].date().isoformat()
        )
        assert record["days"] == (
            None if pd.isna(row["days"]) or row["days"] < 0 else int(row["days"])
        )
    assert set(records[0]) >= {
        "project",
        "application",
        "construction_permit",
        "construction_start",
        "completion",
    }
    assert "Permit Type" in records[0]["attributes"]  # the file's columns carried through


@needs_sf
def test_permit_numbers_are_kept_as_written(run):
    document, _ = _json(run, "projects")
    records = document["projects"]
    raw = pd.read_csv(SF_SAMPLE, dtype=str, usecols=["Permit Number"])
    assert {r["project"] for r in records} == set(raw["Permit Number"])


@needs_sf
def test_stages_match_pandas(run, expected):
    doc, _ = _json(run, "stages")
    first = doc["transitions"][0]
    assert (first["from"], first["to"]) == ("application", "construction_permit")
    both = expected.dropna(subset=["filed", "issued"])
    gaps = (both["issued"] - both["filed"]).dt.days
    assert first["count"] == len(both)
    assert first["median"] == gaps.median()
    second = doc["transitions"][1]
    both = expected.dropna(subset=["issued", "start"])
    assert second["count"] == len(both)
    assert second["median"] == (both["start"] - both["issued"]).dt.days.median()
    assert second["share"] is None  # outside application..construction_permit


@needs_sf
def test_from_and_to_stage_override_the_metric(run, expected):
    doc, _ = _json(
        run, "summary", "--from-stage", "construction_permit", "--to-stage", "construction_start"
    )
    assert doc["metric"]["from"] == "construction_permit"
    both = expected.dropna(subset=["issued", "start"])
    gaps = (both["start"] - both["issued"]).dt.days
    assert doc["days"]["median"] == gaps[gaps >= 0].median()


@needs_sf
def test_validate_reports_repeated_permits_as_warnings(run):
    result = run("validate", SF_SAMPLE, "--config", CONFIG, "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["valid"] is True
    assert {w["type"] for w in doc["warnings"]} >= {"duplicate-project"}


# -- exports in tests/data, read raw ---------------------------------------------------

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ROOT / "examples"
CALGARY = DATA / "calgary_building_permits_sample.csv"
FDA_LAST_MONTH = DATA / "fda_510k_pmnlstmn.txt"
FDA_1976_1980 = DATA / "fda_510k_pmn7680_sample.txt"
BURLINGTON = DATA / "burlington_building_permits_sample.csv"
SQUAMISH = DATA / "squamish_building_permits.csv"
AS_OF = date(2026, 8, 1)


def etown_summary(path: Path, config: Path, **inputs: Any) -> dict[str, Any]:
    """The summary document, read raw through the library as the CLI does."""
    analysis = analyze(
        path,
        InputOptions(stages=load_config(config), **inputs),
        MetricOptions(as_of=AS_OF),
    )
    return results.summary(analysis).document


def measure(path: Path, config: Path, **load_options: Any) -> tuple[Any, pd.DataFrame]:
    """Load with the config's row rules (plus ``load_options``) and build the project table."""
    rules = load_rules(config)
    options = {"where": rules.where, "withdrawn": rules.withdrawn, **load_options}
    loaded = load(path, stages=load_config(config), **options)
    projects = project_table(
        loaded.events,
        loaded.stages,
        options=MetricOptions(as_of=AS_OF, stage_date=rules.stage_date),
        withdrawn=loaded.withdrawn,
    )
    return loaded, projects.join(loaded.attributes)


def headline(start: pd.Series, end: pd.Series) -> dict[str, Any]:
    """Complete count, median days and same-day count from per-project day numbers."""
    days = (end - start).dropna()
    days = days[days >= 0]
    return {
        "complete": len(days),
        "median": None if days.empty else days.median(),
        "same_day": int((days == 0).sum()),
    }


def etown_headline(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "complete": doc["projects"]["complete"],
        "median": doc["days"]["median"],
        "same_day": doc["same_day"]["count"],
    }


def day_number(text: pd.Series, fmt: str) -> pd.Series:
    """Days since 0001-01-01 of each date string (stdlib, so that year 0020 works too)."""
    distinct = {v: datetime.strptime(v, fmt).toordinal() for v in text[text != ""].unique()}
    return text.map(distinct).astype("Float64")


# Calgary: Socrata ISO timestamps, one row per permit, cancelled and refused permits.


@pytest.fixture(scope="module")
def calgary() -> pd.DataFrame:
    raw = pd.read_csv(CALGARY, dtype=str, keep_default_na=False)
    for column in ("applieddate", "issueddate"):
        raw[column + "_day"] = day_number(raw[column].str[:10], "%Y-%m-%d")
    return raw


def test_calgary_summary_matches_pandas(calgary):
    doc = etown_summary(CALGARY, EXAMPLES / "calgary_building_permits.toml")
    assert calgary["permitnum"].is_unique  # one row per permit: no merging to mirror
    assert doc["rows"] == {
        "read": 900,
        "used": 900,
        "rejected": 0,
        "filtered": 0,
        "ignored": 0,
        "after_as_of": 0,
        "blank": 0,
        "notes": 0,
    }
    assert doc["projects"]["total"] == len(calgary)
    assert etown_headline(doc) == headline(calgary["applieddate_day"], calgary["issueddate_day"])


def test_calgary_cancelled_and_refused_permits_are_withdrawn(calgary):
    loaded, projects = measure(CALGARY, EXAMPLES / "calgary_building_permits.toml")
    ended = calgary["statuscurrent"].str.lower().isin(["cancelled", "refused"])
    withdrawn = ended & (calgary["issueddate"] == "")
    assert withdrawn.sum() > 0
    status = projects["status"].astype(str)
    assert set(status.index[status == "withdrawn"]) == set(calgary.loc[withdrawn, "permitnum"])
    assert (status == "open").sum() == ((calgary["issueddate"] == "") & ~withdrawn).sum()
    # A cancelled permit that had been issued stays complete.
    issued_then_cancelled = calgary.loc[ended & (calgary["issueddate"] != ""), "permitnum"]
    assert len(issued_then_cancelled) > 0
    assert (status[issued_then_cancelled] == "complete").all()
    assert projects.loc[status == "withdrawn", "waiting_days"].isna().all()
    assert loaded.rows_filtered == loaded.rows_ignored == 0


def test_calgary_where_keeps_new_buildings(calgary):
    config = EXAMPLES / "calgary_building_permits.toml"
    loaded, projects = measure(config=config, path=CALGARY, where=["workclassgroup=new"])
    kept = calgary[calgary["workclassgroup"].str.strip().str.lower() == "new"]
    assert loaded.rows_filtered == len(calgary) - len(kept)
    assert loaded.rows_read == loaded.rows_used + loaded.rows_rejected + loaded.rows_filtered
    assert set(projects.index) == set(kept["permitnum"])
    summary = summarize(projects)
    assert etown_headline(summary) == headline(kept["applieddate_day"], kept["issueddate_day"])


# FDA 510(k): pipe-delimited Windows-1252 text with CRLF line ends.


def fda_frame(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, sep="|", dtype=str, keep_default_na=False, encoding="cp1252")
    for column in ("DATERECEIVED", "DECISIONDATE"):
        raw[column + "_day"] = day_number(raw[column], "%m/%d/%Y")
    return raw


def test_fda_last_month_matches_pandas():
    """As of 2026-08-01 (a snapshot): the decisions dated after it, to 2026-08-07, were
    not known yet, so those submissions were still waiting then."""
    expected = fda_frame(FDA_LAST_MONTH)
    doc = etown_summary(FDA_LAST_MONTH, EXAMPLES / "fda_510k.toml", encoding="cp1252")
    assert doc["metric"]["from"] == "received" and doc["metric"]["to"] == "decided"
    as_of = AS_OF.toordinal()
    decided = expected["DECISIONDATE_day"]
    known = decided.where(decided <= as_of)  # later decisions did not exist yet
    assert (expected["DATERECEIVED_day"] <= as_of).all()  # every submission was in
    later = int((decided > as_of).sum())
    assert later > 0
    rows = doc["rows"]
    assert rows["read"] == len(expected)
    # A row is wholly after the as-of date only if its receipt is too: none here.
    assert (rows["used"], rows["after_as_of"]) == (len(expected), 0)
    assert etown_headline(doc) == headline(expected["DATERECEIVED_day"], known)
    assert doc["projects"]["open"] == int(known.isna().sum())
    # Without the snapshot (an as-of date after every decision): every decision counts.
    whole = analyze(
        FDA_LAST_MONTH,
        InputOptions(stages=load_config(EXAMPLES / "fda_510k.toml"), encoding="cp1252"),
        MetricOptions(as_of=date(2026, 9, 1)),
    )
    assert etown_headline(results.summary(whole).document) == headline(
        expected["DATERECEIVED_day"], decided
    )


def test_fda_where_keeps_510k_submissions_only():
    expected = fda_frame(FDA_LAST_MONTH)
    kept = expected[expected["KNUMBER"].str.match("(?i)^K")]
    loaded, projects = measure(
        FDA_LAST_MONTH, EXAMPLES / "fda_510k.toml", encoding="cp1252", where=["KNUMBER~^K"]
    )
    assert loaded.rows_filtered == (~expected["KNUMBER"].str.startswith("K")).sum() > 0
    assert etown_headline(summarize(projects)) == headline(
        kept["DATERECEIVED_day"], kept["DECISIONDATE_day"]
    )


def test_fda_1976_1980_matches_pandas():
    expected = fda_frame(FDA_1976_1980)
    doc = etown_summary(FDA_1976_1980, EXAMPLES / "fda_510k.toml", encoding="cp1252")
    assert doc["rows"]["read"] == doc["rows"]["used"] == len(expected)
    assert etown_headline(doc) == headline(
        expected["DATERECEIVED_day"], expected["DECISIONDATE_day"]
    )
    # Two decisions are dated in the year 0020 (a typing slip for 2026): implausible,
    # so read as no decision (those submissions are open) rather than measured.
    implausible = expected["DECISIONDATE_day"] < date(1900, 1, 1).toordinal()
    undecided = expected["DECISIONDATE_day"].isna() | implausible
    assert implausible.sum() == 2
    assert doc["projects"]["invalid"] == 0
    assert doc["projects"]["open"] == undecided.sum()


def test_fda_nul_padding_is_dropped_and_counted():
    raw = FDA_1976_1980.read_bytes()
    loaded = load(FDA_1976_1980, stages=load_config(EXAMPLES / "fda_510k.toml"), encoding="cp1252")
    assert not any(
        "\x00" in str(value) for value in loaded.attributes.to_numpy().ravel() if value is not None
    )
    assert loaded.attributes.loc["K790608", "STREET1"] == "Shorashim"
    assert any(str(raw.count(b"\x00")) in note for note in loaded.notes)


# Burlington and Squamish: ArcGIS exports with hour-only UTC offsets.


def arcgis_frame(path: Path, project: str, start: str, end: str) -> pd.DataFrame:
    """Per project: the earliest date of each stage (rows of one project merged)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = pd.DataFrame({"project": raw[project]})
    for column, name in ((start, "start"), (end, "end")):
        frame[name] = day_number(raw[column].str[:10], "%Y/%m/%d")
    return frame.groupby("project", sort=False).min()


def test_burlington_summary_matches_pandas():
    expected = arcgis_frame(BURLINGTON, "FILENO", "INDATE", "ISSUEDATE")
    doc = etown_summary(BURLINGTON, EXAMPLES / "burlington_building_permits.toml")
    assert doc["rows"]["rejected"] == 0
    assert doc["projects"]["total"] == len(expected)
    assert etown_headline(doc) == headline(expected["start"], expected["end"])


def test_squamish_summary_matches_pandas():
    expected = arcgis_frame(SQUAMISH, "Folder_Number", "Application_Date", "Issued_Date")
    doc = etown_summary(SQUAMISH, EXAMPLES / "squamish_building_permits.toml")
    assert doc["rows"] == {
        "read": 401,
        "used": 401,
        "rejected": 0,
        "filtered": 0,
        "ignored": 0,
        "after_as_of": 0,
        "blank": 0,
        "notes": 0,
    }
    assert doc["projects"]["total"] == len(expected)
    assert etown_headline(doc) == headline(expected["start"], expected["end"])


# Several permits per project: earliest or latest date of each stage.


@needs_sf
@pytest.mark.parametrize("stage_date", ["earliest", "latest"])
def test_stage_date_combines_repeated_permits(stage_date):
    raw = pd.read_csv(SF_SAMPLE, dtype=str, keep_default_na=False)
    frame = pd.DataFrame({"permit": raw["Permit Number"]})
    for column, name in (("Filed Date", "filed"), ("Issued Date", "issued")):
        frame[name] = day_number(raw[column].str[:10], "%m/%d/%Y")
    merged = frame.groupby("permit", sort=False).agg("min" if stage_date == "earliest" else "max")
    loaded = load(SF_SAMPLE, stages=load_config(ROOT / "examples" / "sf_building_permits.toml"))
    projects = project_table(
        loaded.events, loaded.stages, options=MetricOptions(as_of=AS_OF, stage_date=stage_date)
    )
    assert etown_headline(summarize(projects)) == headline(merged["filed"], merged["issued"])
