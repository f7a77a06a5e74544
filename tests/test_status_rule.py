"""One status rule: every command and output agrees on complete, open, invalid, withdrawn.

The rule, in order of precedence (README, Measures): no start date, or an end before
the start, is ``invalid`` whatever the outcome column says; an end on or after the
start is ``complete``; a project marked by ``--withdrawn`` is ``withdrawn``; any other
project is ``open``. Generated long files with withdrawn and invalid projects go
through ``summary`` (with ``--survival``, grouped or not), ``projects``, ``validate``,
``trend``, ``compare`` and ``report``; the statuses are recomputed here from what the
generator wrote, by the rule above written in plain Python.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from etown_approvals.analysis import analyze
from etown_approvals.metrics import (
    COMPLETE,
    INVALID,
    OPEN,
    STATUSES,
    WITHDRAWN,
    MetricOptions,
    status_codes,
)
from etown_approvals.options import InputOptions
from etown_approvals.survival import survival, survival_times

STAGES = ("land_acquisition", "project_approval", "planning_permit", "construction_permit")
EVENTS = {
    "land_acquisition": "land",
    "project_approval": "project approval",
    "planning_permit": "planning permit",
    "construction_permit": "construction permit",
}
BASE = date(2020, 1, 1)
#: After every generated date: the snapshot leaves nothing out, so every status is the
#: file's own.
AS_OF = date(2024, 1, 1)
ZONES = ("North", "South", "East")
WITHDRAWN_RULE = "outcome=Withdrawn"


def expected_status(dates: dict[str, date], marked: bool) -> str:
    """The README's precedence, written out."""
    start, end = dates.get("land_acquisition"), dates.get("construction_permit")
    if start is None or (end is not None and end < start):
        return "invalid"
    if end is not None:
        return "complete"
    return "withdrawn" if marked else "open"


@dataclass
class Row:
    project: str
    stage: str | None  # None: an unknown event, rejected
    day: date
    marked: bool


@dataclass
class Generated:
    text: str
    rows: list[Row] = field(default_factory=list)
    zone: dict[str, str] = field(default_factory=dict)

    def known(self, as_of: date, latest: bool = False) -> dict[str, dict[str, date]]:
        """The snapshot on ``as_of``, by hand: per project counted then, the earliest
        (``latest``: the last) date of each stage recorded on or before it. A project
        counts if it has an event by then and, if it records a start at all, started by
        then."""
        pick = max if latest else min
        known: dict[str, dict[str, date]] = {}
        started_ever: set[str] = set()
        for row in self.rows:
            if row.stage is None:
                continue
            if row.stage == "land_acquisition":
                started_ever.add(row.project)
            if row.day <= as_of:
                dates = known.setdefault(row.project, {})
                dates[row.stage] = pick(row.day, dates.get(row.stage, row.day))
        return {
            name: dates
            for name, dates in known.items()
            if name not in started_ever or "land_acquisition" in dates
        }

    def statuses(self, as_of: date, latest: bool = False) -> dict[str, str]:
        # A --withdrawn match has no date: any row of the project marks it.
        marked = {row.project for row in self.rows if row.marked}
        known = self.known(as_of, latest)
        return {name: expected_status(d, name in marked) for name, d in known.items()}

    def repeated(self, as_of: date, latest: bool = False) -> set[int]:
        """Lines (header = 1) of the rows known on ``as_of`` that record a stage of a
        counted project again with a date other than the one that counts."""
        known = self.known(as_of, latest)
        return {
            line
            for line, row in enumerate(self.rows, start=2)
            if row.stage is not None
            and row.day <= as_of
            and row.project in known
            and known[row.project][row.stage] != row.day
        }

    def rows_after(self, as_of: date) -> int:
        """Rows dated after ``as_of`` (in a long file a row is one event)."""
        return sum(1 for row in self.rows if row.stage is not None and row.day > as_of)


@st.composite
def files(draw: st.DrawFn) -> Generated:
    generated = Generated("")
    names = draw(st.lists(st.sampled_from([f"P{i}" for i in range(12)]), min_size=1, max_size=9))
    for name in dict.fromkeys(names):
        zone = draw(st.sampled_from(ZONES))
        recorded = draw(st.lists(st.sampled_from(STAGES), min_size=1, max_size=5))
        generated.zone[name] = zone
        for stage in recorded:
            # Later stages tend to be later; often enough they are not (invalid projects).
            day = BASE + timedelta(days=100 * STAGES.index(stage) + draw(st.integers(0, 300)))
            mark = draw(st.sampled_from((False, False, True)))
            generated.rows.append(Row(name, stage, day, mark))
        if draw(st.booleans()):  # a rejected row (unknown event) still marks its project
            generated.rows.append(Row(name, None, BASE, draw(st.booleans())))
    order = draw(st.permutations(range(len(generated.rows))))
    generated.rows = [generated.rows[i] for i in order]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("project", "event", "date", "zone", "outcome"))
    for row in generated.rows:
        event_name = "site visit" if row.stage is None else EVENTS[row.stage]
        writer.writerow(
            (
                row.project,
                event_name,
                row.day.isoformat(),
                generated.zone[row.project],
                "Withdrawn" if row.marked else "",
            )
        )
    generated.text = out.getvalue()
    return generated


def tally(statuses: dict[str, str], names: set[str] | None = None) -> dict[str, int]:
    counted = Counter(s for n, s in statuses.items() if names is None or n in names)
    return {s: counted[s] for s in STATUSES}


#: As-of dates: after every generated date (nothing left out), or inside the range.
AS_OF_DATES = st.one_of(st.just(AS_OF), st.integers(0, 700).map(lambda n: BASE + timedelta(days=n)))


#: How the date of a stage recorded several times is chosen: (how it is asked for, the
#: latest?). A configuration's ``[metric] stage_date`` counts as the option does, and
#: ``--stage-date`` given on the command line wins over it.
STAGE_DATE_CHOICES = (
    ("", False),
    ("--stage-date latest", True),
    ("config latest", True),
    ("config latest, --stage-date earliest", False),
)


def stage_date_options(choice: str, folder: Path) -> tuple[str, ...]:
    words: list[str] = []
    if choice.startswith("config"):
        config = folder / "latest.toml"
        config.write_text('[metric]\nstage_date = "latest"\n', encoding="utf-8")
        words += ["--config", str(config)]
    if "--stage-date" in choice:
        words += ["--stage-date", choice.rsplit(" ", 1)[-1]]
    return tuple(words)


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files(), AS_OF_DATES, st.sampled_from(STAGE_DATE_CHOICES))
def test_every_command_counts_statuses_alike(
    run, generated: Generated, as_of: date, stage_date: tuple[str, bool]
) -> None:
    choice, latest = stage_date
    expected = generated.statuses(as_of, latest)
    known = generated.known(as_of, latest)
    for status, n in Counter(expected.values()).items():
        event(f"{status}: {min(n, 2)}+")
    event(f"rows after the as-of date: {bool(generated.rows_after(as_of))}")
    event(f"stage date: {choice or 'default'}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        path.write_text(generated.text, encoding="utf-8")
        options = (
            "--withdrawn",
            WITHDRAWN_RULE,
            "--as-of",
            as_of.isoformat(),
            *stage_date_options(choice, Path(folder)),
        )

        def doc(*args: str, expect: int = 0) -> Any:
            return json.loads(run(*args, path, *options, "--json", expect=expect).stdout)

        if not expected:  # nothing had happened by then: an error naming the earliest date
            result = run("summary", path, *options, expect=4)
            assert "no event is dated on or before --as-of" in result.stderr
            return
        summary = doc("summary", "--survival")
        grouped = doc("summary", "--group-by", "zone")
        projects = doc("projects")["projects"]
        trend = doc("trend")
        grouped_trend = doc("trend", "--group-by", "zone")
        compared = doc("compare", "--group-by", "zone")
        bad = bool(summary["rows"]["rejected"] or summary["projects"]["invalid"])
        validation = doc("validate", expect=1 if bad else 0)
        zones = {generated.zone[name] for name in expected}
        by_zone = {
            zone: doc("summary", "--survival", "--where", f"zone={zone}") for zone in sorted(zones)
        }

    # Rows: the rejected ones, those dated after the as-of date, and the used ones.
    rows = summary["rows"]
    rejected = sum(1 for row in generated.rows if row.stage is None)
    assert (rows["read"], rows["rejected"]) == (len(generated.rows), rejected)
    assert rows["after_as_of"] == generated.rows_after(as_of)
    assert rows["read"] == rows["used"] + rows["rejected"] + rows["after_as_of"]

    # projects: every status is the rule's, on the dates known then.
    assert {p["project"]: p["status"] for p in projects} == expected
    for p in projects:
        start = known[p["project"]].get("land_acquisition")
        waited = (as_of - start).days if p["status"] == OPEN and start else None
        assert p["waiting_days"] == waited
    counts = tally(expected)
    assert summary["projects"] == {"total": len(expected), **counts}

    # validate measures the same projects with the same options: the invalid projects
    # and no others are its errors about whole projects, and the rows it says were
    # recorded again are those whose date is not the one that counts.
    project_errors = {f["project"] for f in validation["errors"] if f["row"] is None}
    assert project_errors == {n for n, s in expected.items() if s == INVALID}
    assert validation["stats"]["projects"] == len(expected)
    repeated = {f["row"] for f in validation["warnings"] if f["type"] == "duplicate-stage"}
    assert repeated == generated.repeated(as_of, latest)

    # survival: complete projects are events, open and withdrawn ones censored, invalid
    # ones left out (every project counted started by the as-of date).
    km = summary["survival"]
    assert km["events"] == counts[COMPLETE]
    assert km["censored"] == counts[OPEN] + counts[WITHDRAWN]
    assert km["withdrawn"] == counts[WITHDRAWN]
    assert km["left_out"] == counts[INVALID]

    # trend: statuses by period add up to the summary's (undated projects are invalid).
    undated = sum(1 for d in known.values() if "land_acquisition" not in d)
    assert trend["undated_projects"] == undated
    for status in STATUSES:
        in_periods = sum(p[status] for p in trend["periods"])
        assert in_periods + (undated if status == INVALID else 0) == counts[status], status

    # Grouped: every group's counts are the tally of its projects.
    members = {zone: {n for n in expected if generated.zone[n] == zone} for zone in zones}
    assert {g["group"]: g["projects"] for g in grouped["groups"]} == {
        zone: {"total": len(names), **tally(expected, names)} for zone, names in members.items()
    }
    for zone, names in members.items():
        zone_counts = tally(expected, names)
        dated = [p for p in grouped_trend["periods"] if p["group"] == zone]
        zone_undated = sum(1 for n in names if "land_acquisition" not in known[n])
        for status in STATUSES:
            found = sum(p[status] for p in dated) + (zone_undated if status == INVALID else 0)
            assert found == zone_counts[status], (zone, status)
        group_row = next(g for g in compared["groups"] if g["group"] == zone)
        assert {k: group_row[k] for k in ("complete", "open", "invalid")} == {
            k: zone_counts[k] for k in ("complete", "open", "invalid")
        }
        assert group_row["projects"] == len(names)
        alone = by_zone[zone]
        assert alone["projects"] == {"total": len(names), **zone_counts}
        assert alone["survival"]["withdrawn"] == zone_counts[WITHDRAWN]
        assert alone["survival"]["events"] == zone_counts[COMPLETE]
        assert alone["survival"]["left_out"] == zone_counts[INVALID]


MARKED_WITHOUT_START = """project,event,date,outcome
A,land,2020-01-01,
A,construction permit,2020-03-01,
B,land,2020-02-01,
C,land,2020-02-01,Withdrawn
D,project approval,2020-02-01,Withdrawn
E,land,2020-05-01,
E,construction permit,2020-04-01,Withdrawn
F,land,2020-05-01,Withdrawn
F,construction permit,2020-06-01,
"""


def test_a_withdrawn_mark_does_not_make_an_invalid_project_valid(run, write):
    """D has no start and E ends before it starts: both invalid in every command, even
    though a row of each matches --withdrawn; F reached the end: complete."""
    path = write(MARKED_WITHOUT_START)
    options = ("--withdrawn", WITHDRAWN_RULE, "--as-of", "2021-01-01", "--json")
    projects = json.loads(run("projects", path, *options).stdout)["projects"]
    assert {p["project"]: p["status"] for p in projects} == {
        "A": "complete",
        "B": "open",
        "C": "withdrawn",
        "D": "invalid",
        "E": "invalid",
        "F": "complete",
    }
    summary = json.loads(run("summary", path, *options, "--survival").stdout)
    assert summary["projects"] == {
        "total": 6,
        "complete": 2,
        "open": 1,
        "invalid": 2,
        "withdrawn": 1,
    }
    km = summary["survival"]
    assert (km["events"], km["censored"], km["withdrawn"], km["left_out"]) == (2, 2, 1, 2)
    validation = json.loads(run("validate", path, *options[:2], "--json", expect=1).stdout)
    assert {(f["project"], f["type"]) for f in validation["errors"]} == {
        ("D", "missing-land-acquisition"),
        ("E", "construction-before-land"),
    }


def test_the_library_rule_and_its_precedence():
    none = np.iinfo(np.int64).min
    start = np.array([none, 10, 10, 10, 10, 10, none], dtype=np.int64)
    end = np.array([5, 5, 10, 20, none, none, none], dtype=np.int64)
    marked = np.array([True, True, True, True, True, False, False])
    codes = status_codes(start, end, marked)
    assert [STATUSES[c] for c in codes] == [
        "invalid",  # no start, marked: still invalid
        "invalid",  # end before start, marked: still invalid
        "complete",  # same day, marked: complete
        "complete",
        "withdrawn",
        "open",
        "invalid",
    ]
    assert [STATUSES[c] for c in status_codes(start, end)] == [
        "invalid",
        "invalid",
        "complete",
        "complete",
        "open",
        "open",
        "invalid",
    ]


def test_survival_given_a_withdrawn_mask_applies_the_same_rule(write):
    """The notebook API's ``withdrawn=`` argument goes through the one rule too: a
    marked project without a start stays invalid (left out), not censored."""
    path = write(MARKED_WITHOUT_START)
    analysis = analyze(path, InputOptions(), MetricOptions(as_of=date(2021, 1, 1)))
    projects = analysis.projects
    marked = projects.index.isin(["C", "D", "E"])
    result = survival(projects, analysis.stages, analysis.options, withdrawn=marked)
    assert (result["withdrawn"], result["left_out"]) == (1, 2)
    _times, _observed, usable = survival_times(
        projects, analysis.stages, analysis.options, withdrawn=marked
    )
    assert not usable[projects.index.get_indexer(["D", "E"])].any()


def test_the_report_counts_the_same_statuses(run, write, tmp_path):
    pytest.importorskip("jinja2")
    path = write(MARKED_WITHOUT_START)
    page = tmp_path / "report.html"
    run("report", path, "--withdrawn", WITHDRAWN_RULE, "--as-of", "2021-01-01", "-o", page, "-q")
    html = page.read_text(encoding="utf-8")
    embedded = re.search(r'id="etown-summary">(.*?)</script>', html, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1))["projects"]["invalid"] == 2
    assert 'data-key="projects.withdrawn" data-value="1"' in html
    assert 'data-key="projects.invalid" data-value="2"' in html


SEVERAL_DATES = """project,event,date
A,land,2020-01-01
A,land,2020-03-01
A,construction permit,2020-02-01
B,land,2020-01-01
B,construction permit,2019-12-01
B,construction permit,2020-02-01
"""


def _by_hand(text: str, latest: bool) -> tuple[dict[str, str], set[int]]:
    """Statuses and the lines of rows recorded again with a date that does not count,
    by plain pandas: each stage's earliest (or latest) date per project."""
    import pandas as pd

    events = pd.read_csv(io.StringIO(text), parse_dates=["date"])
    events["line"] = events.index + 2
    counted = events.groupby(["project", "event"])["date"].transform("max" if latest else "min")
    chosen = events[events["date"] == counted].groupby(["project", "event"])["date"].first()
    statuses = {}
    for name in events["project"].unique():
        land = chosen.get((name, "land"))
        permit = chosen.get((name, "construction permit"))
        dates = {"land_acquisition": land, "construction_permit": permit}
        statuses[name] = expected_status({k: v for k, v in dates.items() if v is not None}, False)
    return statuses, set(events.loc[events["date"] != counted, "line"])


@pytest.mark.parametrize(
    ("stage_date", "latest"),
    [(choice, latest) for choice, latest in STAGE_DATE_CHOICES if choice],
)
def test_validate_takes_the_date_every_command_takes(run, write, tmp_path, stage_date, latest):
    """With ``[metric] stage_date = "latest"`` A's last land date is after its permit
    (invalid) and B's last permit after its land (complete): validate says so, as
    projects and summary do, and names the date that counts."""
    path = write(SEVERAL_DATES)
    options = stage_date_options(stage_date, tmp_path)
    statuses, repeated = _by_hand(SEVERAL_DATES, latest)
    assert statuses == ({"A": INVALID, "B": COMPLETE} if latest else {"A": COMPLETE, "B": INVALID})
    projects = json.loads(run("projects", path, *options, "--json").stdout)["projects"]
    assert {p["project"]: p["status"] for p in projects} == statuses
    summary = json.loads(run("summary", path, *options, "--json").stdout)
    assert summary["projects"]["invalid"] == 1
    validation = json.loads(run("validate", path, *options, "--json", expect=1).stdout)
    assert {(f["project"], f["type"]) for f in validation["errors"]} == {
        (name, "construction-before-land") for name, s in statuses.items() if s == INVALID
    }
    duplicates = [f for f in validation["warnings"] if f["type"] == "duplicate-stage"]
    assert {f["row"] for f in duplicates} == repeated
    word = "latest" if latest else "earliest"
    for finding in duplicates:
        assert f"the {word} date" in finding["message"], finding
    table = run("validate", path, *options, expect=1).stdout
    assert "the earliest date" not in table if latest else "the latest date" not in table


def test_validate_measures_the_configured_as_of_snapshot(run, write, tmp_path):
    """``[metric] as_of`` applies to validate as to summary: C's land date comes after
    it, so C had not started then and is not counted (nor invalid); D's permit came
    before its land, both known then: invalid in both."""
    path = write(
        "project,event,date\n"
        "C,construction permit,2020-01-01\n"
        "C,land,2020-06-01\n"
        "D,construction permit,2020-01-01\n"
        "D,land,2020-02-01\n"
    )
    config = tmp_path / "etown.toml"
    config.write_text("[metric]\nas_of = 2020-03-01\n", encoding="utf-8")
    summary = json.loads(run("summary", path, "--config", config, "--json").stdout)
    assert summary["projects"] == {
        "total": 1,
        "complete": 0,
        "open": 0,
        "invalid": 1,
        "withdrawn": 0,
    }
    validation = json.loads(run("validate", path, "--config", config, "--json", expect=1).stdout)
    assert [(f["project"], f["type"]) for f in validation["errors"]] == [
        ("D", "construction-before-land")
    ]
    assert validation["stats"]["projects"] == 1
    # Without the configuration the whole file is known: both are invalid.
    validation = json.loads(run("validate", path, "--json", expect=1).stdout)
    assert {f["project"] for f in validation["errors"]} == {"C", "D"}
