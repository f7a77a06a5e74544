"""San Francisco's real building permits (../shared/data) through the example config,
checked against an independent pandas computation."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from .conftest import ROOT, SF_SAMPLE

CONFIG = ROOT / "examples" / "sf_building_permits.toml"
pytestmark = pytest.mark.skipif(
    not SF_SAMPLE.exists(), reason="../shared/data is not beside the checkout"
)


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


def test_summary_matches_pandas(run, expected):
    doc, stderr = _json(run, "summary")
    complete = expected[expected["days"].notna() & (expected["days"] >= 0)]
    assert doc["metric"] == {
        "from": "application",
        "to": "construction_permit",
        "unit": "calendar_days",
    }
    assert doc["rows"] == {"read": 7302, "used": 7302, "rejected": 0, "blank": 0}
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


def test_projects_match_pandas(run, expected):
    records, _ = _json(run, "projects")
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


def test_permit_numbers_are_kept_as_written(run):
    records, _ = _json(run, "projects")
    raw = pd.read_csv(SF_SAMPLE, dtype=str, usecols=["Permit Number"])
    assert {r["project"] for r in records} == set(raw["Permit Number"])


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


def test_from_and_to_stage_override_the_metric(run, expected):
    doc, _ = _json(
        run, "summary", "--from-stage", "construction_permit", "--to-stage", "construction_start"
    )
    assert doc["metric"]["from"] == "construction_permit"
    both = expected.dropna(subset=["issued", "start"])
    gaps = (both["start"] - both["issued"]).dt.days
    assert doc["days"]["median"] == gaps[gaps >= 0].median()


def test_validate_reports_repeated_permits_as_warnings(run):
    result = run("validate", SF_SAMPLE, "--config", CONFIG, "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["valid"] is True
    assert {w["type"] for w in doc["warnings"]} >= {"duplicate-project"}
