"""Placeholders (``NA``, ``TBD``, ``0000-00-00``) are missing dates, and implausible
dates (sentinels such as ``1753-12-14``, a year typed as ``0023``) are warnings read as
no date, in every command alike."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest

from etown_approvals import dates
from etown_approvals.loader import load
from etown_approvals.options import InputOptions

WIDE = "project,land_acquisition,project_approval,planning_permit,construction_permit\n"


def _days(doc_or_rows: list[tuple[str, str]]) -> list[int]:
    return [(date.fromisoformat(b) - date.fromisoformat(a)).days for a, b in doc_or_rows]


# -- placeholders ------------------------------------------------------------------------


@pytest.mark.parametrize("placeholder", dates.DEFAULT_MISSING)
def test_every_default_placeholder_is_no_date(tmp_path, placeholder):
    path = tmp_path / "wide.csv"
    path.write_text(
        WIDE + f'A,2023-01-01," {placeholder} ",2023-02-01,2023-03-01\n', encoding="utf-8"
    )
    loaded = load(path)
    assert loaded.rows_rejected == 0
    assert sorted(map(str, loaded.events["stage"])) == [
        "construction_permit", "land_acquisition", "planning_permit"
    ]  # fmt: skip
    assert loaded.notes == [
        f"note: 1 placeholder read as no date: 1 in 'project_approval' ({placeholder!r}; "
        "the set: [dates] missing, --missing-value)"
    ]


def test_a_placeholder_in_a_stage_the_metric_does_not_use_keeps_the_project(run, write):
    rows = [
        ("P1", "2023-01-01", "NA", "2023-02-01", "2023-03-01"),
        ("P2", "2023-01-05", "2023-01-06", "TBD", "2023-01-20"),
        ("P3", "2023-02-01", "#N/A", "N/A", "2023-02-02"),
        ("P4", "2023-03-01", "-", "0000-00-00", "NULL"),
    ]
    path = write(WIDE + "".join(",".join(r) + "\n" for r in rows))
    result = run("summary", path, "--json", "--as-of", "2024-01-01")
    doc = json.loads(result.stdout)
    # Independently: complete projects are those with both dates as ISO text.
    frame = pd.DataFrame(rows, columns=["project", "land", "approval", "planning", "permit"])
    done = frame[frame["permit"].str.match(r"^\d{4}-")]
    expected = pd.Series(_days(list(zip(done["land"], done["permit"], strict=True))))
    assert doc["rows"]["rejected"] == 0
    assert doc["projects"]["complete"] == len(done) == 3
    assert doc["projects"]["open"] == 1
    assert doc["days"]["median"] == expected.median()
    assert doc["days"]["mean"] == pytest.approx(expected.mean(), abs=0.05)
    assert result.stderr == (
        "etown: note: 7 placeholders read as no date: 3 in 'project_approval', "
        "3 in 'planning_permit', 1 in 'construction_permit' ('NA', '#N/A', '-', 'TBD', "
        "'N/A', '0000-00-00', 'NULL'; the set: [dates] missing, --missing-value)\n"
    )


def test_missing_value_replaces_the_set(run, write):
    path = write(WIDE + "A,2023-01-01,NA,unknown,2023-03-01\n")
    default = json.loads(run("validate", path, "--json", expect=1).stdout)
    assert [(e["type"], e["value"]) for e in default["errors"]] == [("invalid-date", "unknown")]
    given = run("validate", path, "--json", "--missing-value", "unknown", expect=1)
    errors = json.loads(given.stdout)["errors"]
    assert [(e["type"], e["value"]) for e in errors] == [("invalid-date", "NA")]
    both = run("summary", path, "--json", "--missing-value", "unknown", "--missing-value", "NA")
    assert json.loads(both.stdout)["projects"]["complete"] == 1
    none = run("validate", path, "--json", "--missing-value", "", expect=1)
    assert {e["value"] for e in json.loads(none.stdout)["errors"]} == {"NA", "unknown"}


def test_the_config_sets_the_placeholders(run, write):
    path = write(WIDE + "A,2023-01-01,NA,unknown,2023-03-01\n")
    config = write('[dates]\nmissing = ["unknown", "NA"]\n', name="etown.toml")
    doc = json.loads(run("validate", path, "--config", config, "--json").stdout)
    assert doc["valid"] is True
    empty = write("[dates]\nmissing = []\n", name="none.toml")
    errors = json.loads(run("validate", path, "--config", empty, "--json", expect=1).stdout)
    assert {e["value"] for e in errors["errors"]} == {"NA", "unknown"}
    # The command line wins over the file.
    only = run("validate", path, "--config", config, "--missing-value", "NA", "--json", expect=1)
    assert [e["value"] for e in json.loads(only.stdout)["errors"]] == ["unknown"]


def test_a_placeholder_in_a_long_files_date_is_a_missing_date(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "project,event,date\nA,land,2023-01-01\nA,construction permit,TBD\n", encoding="utf-8"
    )
    loaded = load(path)
    assert loaded.rejected[["type", "row", "value"]].values.tolist() == [
        ["missing-value", 3, "TBD"]
    ]
    assert "placeholder" in loaded.rejected["message"].iloc[0]
    assert loaded.notes[0].startswith("note: 1 placeholder read as no date: 1 in 'date'")


def test_placeholders_of_filtered_rows_are_not_counted(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(
        "project,kind,land_acquisition,construction_permit\n"
        "A,permit,2023-01-01,NA\nB,appeal,2023-01-01,NA\n",
        encoding="utf-8",
    )
    loaded = load(path, where=["kind=permit"])
    assert loaded.notes[0].startswith("note: 1 placeholder read as no date: 1 in")


# -- implausible dates -------------------------------------------------------------------


SENTINELS = [
    ("P1", "2023-01-01", "2023-01-05", "2023-02-01", "2023-03-01"),
    ("P2", "1753-12-14", "2023-01-06", "2023-01-08", "2023-01-20"),  # a database's "no date"
    ("P3", "2023-02-01", "1900-01-00", "1899-12-31", "2023-02-10"),
    ("P4", "2023-03-01", "2023-03-02", "2023-03-05", "2023-04-01"),
]


def _sentinel_file(write):  # type: ignore[no-untyped-def]
    return write(WIDE + "".join(",".join(r) + "\n" for r in SENTINELS))


def test_a_sentinel_date_is_a_warning_and_no_date_in_every_command(run, write):
    path = _sentinel_file(write)
    validated = json.loads(run("validate", path, "--json", expect=1).stdout)
    implausible = [
        (w["row"], w["field"], w["value"]) for w in validated["warnings"]
        if w["type"] == "implausible-date"
    ]  # fmt: skip
    # P3's 1899-12-31 is not warned of: its row is rejected (1900-01-00), so it counts
    # for nothing.
    assert implausible == [(3, "land_acquisition", "1753-12-14")]
    # 1900-01-00 does not exist: an error, the row rejected.
    assert [(e["type"], e["row"]) for e in validated["errors"]] == [
        ("invalid-date", 4), ("missing-land-acquisition", None)
    ]  # fmt: skip
    summary = run("summary", path, "--json", "--as-of", "2024-01-01")
    doc = json.loads(summary.stdout)
    assert (doc["projects"]["complete"], doc["projects"]["invalid"]) == (2, 1)
    assert "etown: warning: 1 implausible date read as no date" in summary.stderr
    projects = json.loads(run("projects", path, "--json", "--as-of", "2024-01-01").stdout)[
        "projects"
    ]
    assert {p["project"]: p["status"] for p in projects} == {
        "P1": "complete", "P2": "invalid", "P4": "complete"
    }  # fmt: skip


def test_stages_never_wait_from_a_sentinel(run, write):
    path = _sentinel_file(write)
    doc = json.loads(run("stages", path, "--json", "--as-of", "2024-01-01").stdout)
    first = next(t for t in doc["transitions"] if t["to"] == "project_approval")
    # Independently: land -> approval for the used rows whose dates are plausible.
    frame = pd.DataFrame(SENTINELS, columns=["p", "land", "approval", "planning", "permit"])
    frame = frame[frame["p"] != "P3"]  # rejected: 1900-01-00 is no date
    for column in ("land", "approval"):
        frame[column] = pd.to_datetime(frame[column], errors="coerce")
        frame.loc[frame[column] < pd.Timestamp("1900-01-01"), column] = pd.NaT
    waits = (frame["approval"] - frame["land"]).dt.days.dropna()
    assert first["count"] == len(waits) == 2
    assert first["max"] == waits.max() == 4
    assert first["mean"] == pytest.approx(waits.mean())


def test_the_earliest_plausible_date_is_configurable(run, write):
    path = _sentinel_file(write)
    config = write("[dates]\nearliest = 1700-01-01\n", name="old.toml")
    doc = json.loads(run("validate", path, "--config", config, "--json", expect=1).stdout)
    assert not [w for w in doc["warnings"] if w["type"] == "implausible-date"]
    loaded = load(path, earliest=date(1700, 1, 1))
    assert "P2" in set(loaded.events["project"])
    assert InputOptions().earliest == dates.EARLIEST


def test_a_date_more_than_a_year_from_now_is_implausible(run, write):
    soon = (date.today() + timedelta(days=400)).isoformat()
    near = (date.today() + timedelta(days=200)).isoformat()
    path = write(WIDE + f"A,2019-05-01,,,{soon}\nB,2019-05-01,,,{near}\n")
    doc = json.loads(run("validate", path, "--json").stdout)
    assert [(w["type"], w["value"]) for w in doc["warnings"]] == [("implausible-date", soon)]
    summary = run("summary", path, "--json")
    counts = json.loads(summary.stdout)["projects"]
    assert (counts["complete"], counts["open"]) == (1, 1)  # A's permit: no date
    assert "1 implausible date read as no date" in summary.stderr
    # An as-of date later than today moves the bound with it.
    ahead = (date.today() + timedelta(days=800)).isoformat()
    later = run("summary", path, "--json", "--as-of", ahead)
    assert json.loads(later.stdout)["projects"]["complete"] == 2
    assert "implausible" not in later.stderr


def test_an_as_of_date_in_the_past_makes_later_dates_unknown_not_implausible(run, write):
    path = write(WIDE + "A,2019-05-01,,,2021-06-01\nB,2019-05-01,,,2019-06-01\n")
    past = run("summary", path, "--json", "--as-of", "2020-01-01")
    doc = json.loads(past.stdout)
    assert (doc["projects"]["complete"], doc["projects"]["open"]) == (1, 1)
    assert "implausible" not in past.stderr  # A's permit was not known on 2020-01-01


def test_validate_takes_the_configs_as_of_date(run, write):
    soon = (date.today() + timedelta(days=400)).isoformat()
    path = write(WIDE + f"A,2019-05-01,,,{soon}\n")
    assert json.loads(run("validate", path, "--json").stdout)["warnings"]
    ahead = (date.today() + timedelta(days=800)).isoformat()
    config = write(f"[metric]\nas_of = {ahead}\n", name="asof.toml")
    doc = json.loads(run("validate", path, "--config", config, "--json").stdout)
    assert doc["warnings"] == []


def test_a_long_files_implausible_row_is_used_without_its_event(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "project,event,date,zone\n"
        "A,land,2023-01-01,north\nA,construction permit,2023-01-09,north\n"
        "B,land,0023-01-01,south\nB,construction permit,2023-01-09,south\n",
        encoding="utf-8",
    )
    loaded = load(path)
    assert (loaded.rows_read, loaded.rows_used, loaded.rows_rejected) == (4, 4, 0)
    assert list(loaded.events["row"]) == [2, 3, 5]
    assert list(loaded.attributes.index) == ["A", "B"]
    warnings = loaded.findings[loaded.findings["type"] == "implausible-date"]
    assert warnings[["row", "value"]].values.tolist() == [[4, "0023-01-01"]]
