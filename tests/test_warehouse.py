"""etown sql: the per-project step as SQL, run in DuckDB (and Spark where Java is), its
result read back by etown as a wide file and compared with etown on the raw events."""

from __future__ import annotations

import json
import random
import re
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from etown_approvals.errors import UsageError
from etown_approvals.filters import FilterError, parse
from etown_approvals.stages import ETOWN, normalize_name
from etown_approvals.warehouse import (
    DIALECTS,
    EventTable,
    per_project_columns,
    per_project_sql,
)

from .conftest import FIXTURES, SAMPLE

duckdb = pytest.importorskip("duckdb", minversion="2.0")

AS_OF = "2025-01-01"
#: What etown measures, command by command (``rows`` counts the file's rows: events in
#: one file, projects in the other, so it is compared apart).
COMMANDS = (
    ("summary",),
    ("summary", "--group-by", "zone"),
    ("stages",),
    ("stages", "--group-by", "zone"),
    ("trend", "--by", "quarter"),
    ("compare", "--group-by", "zone"),
)


def measured(run: Any, path: Path, command: tuple[str, ...], *options: str) -> dict[str, Any]:
    result = run(*command, path, "--json", "--as-of", AS_OF, "--no-cache", *options)
    document = json.loads(result.stdout)
    document.pop("source", None)
    document.pop("rows", None)
    return document


WAREHOUSE = FIXTURES / "warehouse"


def per_project_parquet(
    connection: Any, table: EventTable, out: Path, *, dialect: str = "duckdb"
) -> Path:
    query = per_project_sql(table, dialect)
    connection.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet)")
    return out


# -- the bundled sample -------------------------------------------------------

#: The sample's spellings, read here without etown (a warehouse holds them as DATE).
SAMPLE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%b %d %Y",
    "%d %b %Y",
)


def sample_date(text: str) -> date | None:
    for fmt in SAMPLE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None  # 2023-02-30: a warehouse's DATE column cannot hold it


@pytest.fixture
def sample_db() -> Any:
    """The bundled sample as a warehouse holds it: text columns and a DATE column."""
    import csv

    connection = duckdb.connect()
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    connection.execute(
        "CREATE TABLE events (project VARCHAR, event VARCHAR, date DATE, company VARCHAR, "
        "zone VARCHAR, sector VARCHAR)"
    )
    connection.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                r["project"] or None,
                r["event"],
                sample_date(r["date"]),
                r["company"],
                r["zone"],
                r["sector"],
            )
            for r in rows
        ],
    )
    return connection


def names_sorted(value: Any) -> Any:
    """Lists of project names, and groups, in name order: etown lists them in the order
    the file first uses them, and the per-project table is ordered by project name."""
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and "group" in v for v in value)
    ):
        return sorted((names_sorted(v) for v in value), key=lambda v: json.dumps(v["group"]))
    if isinstance(value, dict):
        return {
            key: sorted(item)
            if key == "projects" and isinstance(item, list)
            else names_sorted(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [names_sorted(item) for item in value]
    return value


@pytest.mark.parametrize(
    # compare's reference group is the first the file uses: the sample's order is not
    # the table's (the generated files below are in name order, and compare them too).
    "command",
    [c for c in COMMANDS if c[0] != "compare"],
    ids=" ".join,
)
def test_sample_per_project_table_gives_the_same_numbers(run, sample_db, tmp_path, command):
    table = EventTable("events", attributes=("zone",))
    parquet = per_project_parquet(sample_db, table, tmp_path / "per_project.parquet")
    from_table = measured(run, parquet, command)
    assert names_sorted(from_table) == names_sorted(measured(run, SAMPLE, command))


def test_sample_latest_stage_date(run, sample_db, tmp_path):
    table = EventTable("events", stage_date="latest", attributes=("zone",))
    parquet = per_project_parquet(sample_db, table, tmp_path / "latest.parquet")
    raw = measured(run, SAMPLE, ("summary",), "--stage-date", "latest")
    assert measured(run, parquet, ("summary",)) == names_sorted(raw)
    # Jingdong's planning permit was recorded twice: the later date counts.
    found = sample_db.execute(
        f"SELECT planning_permit FROM ({per_project_sql(table, 'duckdb')}) "
        "WHERE project = 'Jingdong Smart Logistics Hub'"
    ).fetchone()
    assert found == (date(2022, 10, 24),)


def test_sample_per_project_rows(sample_db):
    """One row per project of a used row, dates as pandas computes them from the events."""
    import pandas as pd

    events = sample_db.execute("SELECT * FROM events").fetchdf()
    names = {n: s for s in ETOWN.stages for n in (s.replace("_", " "), *ETOWN.aliases[s])}
    events["stage"] = events["event"].str.strip().str.lower().map(names)
    used = events.dropna(subset=["project", "stage", "date"])
    expected = used.pivot_table(index="project", columns="stage", values="date", aggfunc="min")
    got = sample_db.execute(per_project_sql(EventTable("events"), "duckdb")).fetchdf()
    got = got.set_index("project")
    assert list(got.index) == sorted(expected.index)
    for stage in ETOWN.stages:
        want = pd.to_datetime(expected[stage]).reindex(got.index)
        assert (
            pd.to_datetime(got[stage]).fillna(pd.Timestamp(0)) == want.fillna(pd.Timestamp(0))
        ).all(), stage


# -- generated event logs, hostile names ----------------------------------------

PROJECT, EVENT, DATE = 'Permit "No."', "Event's type", "When; DROP TABLE x"
ZONE, STATUS, KIND = 'zo"ne', "St'atus", "kind"

SPELLINGS = (
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: d.strftime("%Y.%m.%d"),
    lambda d: d.strftime("%Y%m%d"),
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: d.isoformat() + "T08:30:00+08:00",
    lambda d: d.isoformat() + " 23:59",
    lambda d: f" {d.isoformat()}\t",
)
EVENT_NAMES = {
    "land_acquisition": ("Land Acquisition", "LAND_ACQUISITION", "  land  acquisition ", "拿地"),
    "project_approval": ("approval", "Project-Filing", "立项"),
    "planning_permit": ("Planning Permit", "规划许可"),
    "construction_permit": ("construction permit", "施工许可证", "Construction_Readiness  Letter"),
}
HOSTILE_PROJECTS = (
    'O\'Brien "Tower"',
    "a,b;c",
    "  padded  ",
    "Robert'); DROP TABLE events;--",
    "北京亦庄 项目",
    "tab\tinside",
    "back\\slash",
)


def generated_events(seed: int, projects: int = 60) -> list[dict[str, str]]:
    """Events of ``projects`` projects: stages in several spellings, repeated stages,
    unknown, ignored and empty events, unreadable dates, filtered and withdrawn rows."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    names = [
        *HOSTILE_PROJECTS,
        *(f"P{seed}-{i:03d}" for i in range(projects - len(HOSTILE_PROJECTS))),
    ]
    for name in names:
        zone = rng.choice(['Core "A"', "Taihu, south", "Majuqiao", "Excluded"])
        kind = rng.choice(["new", "New", "alteration"])
        day = date(2020, 1, 1).toordinal() + rng.randrange(1500)
        for stage in ETOWN.stages:
            if rng.random() < 0.15:
                continue
            for _ in range(rng.choice((1, 1, 1, 2))):  # repeated stages
                when = date.fromordinal(day + rng.randrange(-5, 60))
                rows.append(
                    {
                        PROJECT: name,
                        EVENT: rng.choice(EVENT_NAMES[stage]),
                        DATE: rng.choice(SPELLINGS)(when),
                        ZONE: zone,
                        STATUS: rng.choice(["active", "Active", "", "pending"]),
                        KIND: kind,
                    }
                )
            day += rng.randrange(0, 90)
        for extra in rng.sample(
            [
                ("Fee paid", "2021-01-05", "active"),  # ignored
                ("Inspection", "2021-02-01", "active"),  # unknown event
                ("", "2021-02-01", "active"),  # no event
                ("planning", "2023-02-30", "active"),  # no such date
                ("planning", "0000-01-01", "active"),  # no year 0
                ("planning", "15/03/2021", "active"),  # day/month order not given
                ("planning", "Sep 2023", "active"),  # incomplete
                ("Withdrawn", "2022-05-05", "Cancelled by applicant"),  # ignored, marks
                ("approval", "2021-03-03", "CANCELLED"),
            ],
            k=rng.randrange(0, 4),
        ):
            rows.append(
                {
                    PROJECT: name,
                    EVENT: extra[0],
                    DATE: extra[1],
                    ZONE: zone,
                    STATUS: extra[2],
                    KIND: kind,
                }
            )
    rows.append(
        {PROJECT: "", EVENT: "land", DATE: "2021-01-01", ZONE: "Core", STATUS: "", KIND: "new"}
    )
    # etown lists projects in order of first use; the query orders them by name.
    rows.sort(key=lambda row: row[PROJECT].strip())
    return rows


def write_csv(rows: list[dict[str, str]], path: Path) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def config_file(path: Path, **sections: str) -> Path:
    lines = [
        "[columns]",
        f"project = {json.dumps(PROJECT)}",
        f"event = {json.dumps(EVENT)}",
        f"date = {json.dumps(DATE)}",
        *(text for text in sections.values()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_text_table(connection: Any, csv_path: Path, name: str) -> None:
    """The CSV as a table of text columns (as a warehouse holds an export it loaded)."""
    connection.execute(
        f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
        [str(csv_path)],
    )


RULES = {
    "filter": '[filter]\nwhere = ["zo\\"ne!=Excluded"]',
    "outcomes": '[outcomes]\nwithdrawn = ["St\'atus~^cancel"]',
    "ignore": '[ignore]\nevents = ["Fee paid", "withdrawn"]',
    # 15/03/2021 is read in SQL only with an order (etown would decide it from the data).
    "dates": "[dates]\ndayfirst = true",
}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("stage_date", ["earliest", "latest"])
def test_generated_same_config_gives_the_same_numbers(run, tmp_path, monkeypatch, seed, stage_date):
    """The configuration that reads the events reads the per-project table too."""
    monkeypatch.chdir(tmp_path)
    events = write_csv(generated_events(seed), tmp_path / "events.csv")
    config = config_file(
        tmp_path / "etown.toml", metric=f'[metric]\nstage_date = "{stage_date}"', **RULES
    )
    connection = duckdb.connect()
    load_text_table(connection, events, '"my events"')
    query = run("sql", "--dialect", "duckdb", "--table", '"my events"', "--group-by", ZONE)
    # (etown.toml, found in the working directory, decides which rows count: named)
    assert query.stderr.startswith("etown: note: etown.toml, found in the working directory")
    assert len(query.stderr.splitlines()) == 1
    connection.execute(f"COPY ({query.stdout}) TO 'per_project.parquet' (FORMAT parquet)")
    parquet = tmp_path / "per_project.parquet"
    for command in COMMANDS:
        grouped = tuple(ZONE if part == "zone" else part for part in command)
        assert measured(run, parquet, grouped) == measured(run, events, grouped), command
    assert config.exists()


@pytest.mark.parametrize("seed", [4, 5])
def test_generated_options_and_withdrawn_column(run, tmp_path, seed):
    """Options given to etown sql, then the per-project table read with no configuration
    at all: the same options, or --withdrawn on the withdrawn column."""
    rows = [
        {
            "project": r[PROJECT],
            "event": r[EVENT],
            "date": r[DATE],
            "zone": r[ZONE],
            STATUS: r[STATUS],
            KIND: r[KIND],
        }
        for r in generated_events(seed)
    ]
    events = write_csv(rows, tmp_path / "events.csv")
    connection = duckdb.connect()
    load_text_table(connection, events, "events")
    rules = ("--where", "kind~^new$", "--withdrawn", "St'atus~cancel", "--ignore-event", "Fee paid")
    rules += ("--dayfirst",)
    query = run(
        "sql",
        "--no-config",
        "--dialect",
        "duckdb",
        "--table",
        "events",
        "--group-by",
        "zone",
        *rules,
    )
    out = tmp_path / "per_project.csv"
    connection.execute(f"COPY ({query.stdout}) TO '{out}' (FORMAT csv, HEADER)")
    for command in COMMANDS:
        raw = measured(run, events, command, "--no-config", *rules)
        assert measured(run, out, command, "--no-config", *rules) == raw
        by_column = measured(
            run, out, command, "--no-config", "--dayfirst", "--withdrawn", "withdrawn=true"
        )
        assert by_column == raw
    # The outcome is exercised: some projects were marked.
    marked = connection.execute(f"SELECT count(*) FROM '{out}' WHERE withdrawn").fetchone()
    assert marked is not None and marked[0] > 0


def test_withdrawn_column_and_outcome_values():
    """Independent of etown: withdrawn is any non-filtered row matching, the outcome
    column a matching value, rejected rows included, filtered rows not."""
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE e (project VARCHAR, event VARCHAR, date VARCHAR, status VARCHAR, keep VARCHAR)"
    )
    connection.executemany(
        "INSERT INTO e VALUES (?, ?, ?, ?, ?)",
        [
            ("A", "land", "2021-01-01", "ok", "y"),
            ("A", "nonsense", "bad date", "Cancelled", "y"),  # rejected, still marks
            ("B", "land", "2021-01-01", "ok", "y"),
            ("B", "approval", "2021-02-01", "cancelled", "n"),  # filtered: does not mark
            ("C", "land", "2021-01-01", None, "y"),
        ],
    )
    table = EventTable("e", where=(parse("keep=y"),), withdrawn=(parse("status~^cancel"),))
    got = connection.execute(per_project_sql(table, "duckdb")).fetchall()
    assert got == [
        ("A", date(2021, 1, 1), None, None, None, "y", "Cancelled", True),
        ("B", date(2021, 1, 1), None, None, None, "y", "ok", False),
        ("C", date(2021, 1, 1), None, None, None, "y", "", False),
    ]


def test_attribute_is_the_earliest_used_events_value():
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE e (project VARCHAR, event VARCHAR, date VARCHAR, zone VARCHAR)"
    )
    connection.executemany(
        "INSERT INTO e VALUES (?, ?, ?, ?)",
        [
            ("A", "construction permit", "2021-03-01", "late"),
            ("A", "land", "2021-01-01", ""),  # earliest, but empty
            ("A", "approval", "2021-02-01", "b-second"),
            ("A", "planning", "2021-02-01", "a-second"),  # same day: the smaller
            ("A", "fee", "2020-01-01", "unused"),  # not a stage: not used
        ],
    )
    got = connection.execute(
        per_project_sql(EventTable("e", attributes=("zone",)), "duckdb")
    ).fetchall()
    assert got[0][-1] == "a-second"


def test_dates_the_query_reads():
    """Year-first text, DATE and TIMESTAMP columns; 15/03/2021 only with an order."""
    connection = duckdb.connect()
    texts = {
        "2021-03-15": date(2021, 3, 15),
        "2021/3/5": date(2021, 3, 5),
        "2021.03.05": date(2021, 3, 5),
        "20210305": date(2021, 3, 5),
        "2021年3月5日": date(2021, 3, 5),
        "2021 年 3 月 5 日": date(2021, 3, 5),
        "2021-03-05T23:30:00+08:00": date(2021, 3, 5),
        "2021-03-05 23:30:00 EST": date(2021, 3, 5),
        "2021-03-05 23:30:00.000 Asia/Shanghai": None,
        "2021-03-05 11:30 PM": date(2021, 3, 5),
        "2021-02-29": None,
        "0000-03-05": None,
        "21-03-05": None,
        "Mar 5 2021": None,
        "2021-03": None,
        "2021-03-05 garbage": None,
        "05/03/2021": None,
    }
    connection.execute("CREATE TABLE e (project VARCHAR, event VARCHAR, date VARCHAR)")
    connection.executemany("INSERT INTO e VALUES (?, 'land', ?)", [(text, text) for text in texts])
    query = per_project_sql(EventTable("e"), "duckdb")
    got = {row[0]: row[1] for row in connection.execute(query).fetchall()}
    assert got == {text: day for text, day in texts.items() if day is not None}
    for dayfirst, expected in ((True, date(2021, 3, 5)), (False, date(2021, 5, 3))):
        query = per_project_sql(EventTable("e", dayfirst=dayfirst), "duckdb")
        found = dict((row[0], row[1]) for row in connection.execute(query).fetchall())
        assert found["05/03/2021"] == expected
    connection.execute("SET TimeZone = 'Asia/Shanghai'")
    for kind, value in (
        ("TIMESTAMP", "2021-03-05 23:59:59"),
        ("TIMESTAMP_NS", "2021-03-05 23:59:59.123456789"),
        ("TIMESTAMPTZ", "2021-03-05 23:30:00+08"),
        ("DATE", "2021-03-05"),
    ):
        connection.execute(f"CREATE TABLE t (project VARCHAR, event VARCHAR, date {kind})")
        connection.execute(f"INSERT INTO t VALUES ('A', 'land', '{value}'), ('B', 'land', NULL)")
        rows = connection.execute(per_project_sql(EventTable("t"), "duckdb")).fetchall()
        assert [row[:2] for row in rows] == [("A", date(2021, 3, 5))], kind
        connection.execute("DROP TABLE t")
    # Outside the years a date is written with (four digits, from year 1): no date.
    connection.execute("CREATE TABLE t (project VARCHAR, event VARCHAR, date DATE)")
    connection.execute(
        "INSERT INTO t VALUES ('A', 'land', DATE '0000-03-05'), ('B', 'land', DATE '10000-01-01')"
    )
    assert connection.execute(per_project_sql(EventTable("t"), "duckdb")).fetchall() == []


# -- cells, dates and names as etown reads them ---------------------------------


def etown_date(text: str, dayfirst: bool) -> date | None:
    """The date etown reads from ``text`` (its own parser, each value alone)."""
    import pyarrow as pa

    from etown_approvals import dates as dates_mod

    parsed = dates_mod.parse_dates(pa.array([text]), dayfirst=dayfirst)
    if parsed.status[0] != dates_mod.OK:
        return None
    return date.fromordinal(date(1970, 1, 1).toordinal() + int(parsed.days[0]))


def query_dates(texts: list[str], dayfirst: bool | None) -> dict[str, date]:
    """Each text as a project's land acquisition date, read by the DuckDB query."""
    connection = duckdb.connect()
    connection.execute("CREATE TABLE e (project VARCHAR, event VARCHAR, date VARCHAR)")
    connection.executemany("INSERT INTO e VALUES (?, 'land', ?)", [(t, t) for t in texts])
    query = per_project_sql(EventTable("e", dayfirst=dayfirst), "duckdb")
    return {row[0]: row[1] for row in connection.execute(query).fetchall()}


#: Date parts, times of day and zones, combined into every spelling below.
HEADS = ("2023-09-15", "2023/9/5", "2023.09.15", "2023年9月15日", "20230915", "15/09/2023")
TIMES = ("", " 10:30", "T10:30:00", " 8:30:00.5", " 10:30 PM", " 13:30 PM", " 10:30 p.m.", "10:30")
ZONES = (
    "",
    "Z",
    " UTC",
    " +08:00",
    "+0800",
    " EST",
    "EST",
    " CEST",
    " ABCDE",
    " ABCDEF",
    " est",
    " EST+5",
    " EST -05:00",
    " EST+0530",
    " EST 5",
    " EST.",
    " GMT+8",
    " UTC EST",
    " Asia/Shanghai",
    " America/Argentina/Buenos_Aires",
    " Etc/GMT+5",
)


def spellings() -> dict[str, tuple[str, str, str]]:
    """Every combination of a date part, a time and a zone, by its text."""
    return {
        head + time + zone: (head, time, zone) for head in HEADS for time in TIMES for zone in ZONES
    }


def compared(head: str, zone: str) -> bool:
    """Whether the query reads the spelling as etown does. Not compared: a zone
    abbreviation after a day-first or month-first date (a documented difference), and
    one after 20230915, which etown misreads (``20230915 10:30 EST+0530`` as year 530)."""
    abbreviation = re.fullmatch(r"[A-Z]{3,5}\b.*", zone.strip()) is not None
    return not (abbreviation and zone.strip() != "UTC" and head in ("15/09/2023", "20230915"))


@pytest.mark.parametrize("dayfirst", [True, False])
def test_date_spellings_read_as_etown_reads_them(dayfirst):
    texts = spellings()
    found = query_dates(list(texts), dayfirst)
    expected = {
        text: day
        for text, (head, _, zone) in texts.items()
        if (day := etown_date(text, dayfirst)) is not None and compared(head, zone)
    }
    assert {text: day for text, day in found.items() if compared(*texts[text][::2])} == expected
    # Zone names after a time: etown reads abbreviations, not region names.
    assert found["2023-09-15 10:30 EST"] == date(2023, 9, 15)
    assert "2023-09-15T10:30:00 Asia/Shanghai" not in found


def test_a_zone_abbreviation_after_a_day_first_date_is_no_date():
    """No date in etown (day and month in digits are read only in the file's order)
    and none in the query."""
    text = "13/09/2023 10:30 EST"
    assert etown_date(text, True) is None
    assert query_dates([text], True) == {}


def test_date_spellings_file_gives_the_same_numbers(run, tmp_path):
    """Every spelling of tests/fixtures/warehouse/dates.csv, through DuckDB and back."""
    events = WAREHOUSE / "dates.csv"
    connection = duckdb.connect()
    load_text_table(connection, events, "events")
    table = EventTable("events", dayfirst=True)
    parquet = per_project_parquet(connection, table, tmp_path / "per_project.parquet")
    for command in (("summary",), ("stages",)):
        raw = measured(run, events, command, "--dayfirst")
        assert measured(run, parquet, command) == names_sorted(raw)
    got = {
        row[0]: row[-1] for row in connection.execute(per_project_sql(table, "duckdb")).fetchall()
    }
    assert got["P35"] == date(2023, 9, 15)  # 10:30:00 EST
    assert got["P08"] is None  # 08:30:00.000 Asia/Shanghai


def test_white_space_is_what_the_loader_trims():
    """One set of white space for etown and its SQL: what pyarrow trims off a cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from etown_approvals.rawtable import WHITE_SPACE

    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    trimmed = pc.utf8_trim_whitespace(pa.array([f"a{c}" for c in characters])).to_pylist()
    assert {c for c, t in zip(characters, trimmed, strict=True) if t == "a"} == set(WHITE_SPACE)
    # The same set where etown compares names and sniffs text in Python (str.strip, and
    # the \s of normalize_name's separators).
    assert {c for c in characters if c.isspace()} == set(WHITE_SPACE)
    assert {c for c in characters if re.fullmatch(r"\s", c)} == set(WHITE_SPACE)
    assert len(WHITE_SPACE) == len(set(WHITE_SPACE)) == 29


def test_every_white_space_character_is_trimmed():
    from etown_approvals.rawtable import WHITE_SPACE

    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE e (project VARCHAR, event VARCHAR, date VARCHAR, zone VARCHAR)"
    )
    connection.executemany(
        "INSERT INTO e VALUES (?, ?, ?, ?)",
        [
            (f"{c}P{i}{c}", f"{c}land{c}acquisition{c}", f"{c}2021-03-05{c}", f"{c}z{c}")
            for i, c in enumerate(WHITE_SPACE)
        ],
    )
    table = EventTable("e", attributes=("zone",))
    rows = connection.execute(per_project_sql(table, "duckdb")).fetchall()
    assert rows == sorted(
        (f"P{i}", date(2021, 3, 5), None, None, None, "z") for i in range(len(WHITE_SPACE))
    )


def test_white_space_file_gives_the_same_numbers(run, tmp_path):
    """Line and paragraph separators, vertical tab, NEL and the information separators
    around cells (tests/fixtures/warehouse/white_space.csv)."""
    events = WAREHOUSE / "white_space.csv"
    connection = duckdb.connect()
    load_text_table(connection, events, "events")
    table = EventTable("events", attributes=("zone",))
    parquet = per_project_parquet(connection, table, tmp_path / "per_project.parquet")
    for command in (("summary",), ("summary", "--group-by", "zone"), ("stages",)):
        from_table = names_sorted(measured(run, parquet, command))
        assert from_table == names_sorted(measured(run, events, command))
    projects = json.loads(run("summary", parquet, "--json", "--as-of", AS_OF).stdout)
    assert projects["projects"]["complete"] == 3


def test_regular_expressions_run_once_per_distinct_value(tmp_path):
    """Reading cells costs a regular expression per distinct value, not per row: many
    events share a few names and date strings (a DATE or TIMESTAMP column is cast on
    each row, without text). The project's name is trimmed once per project."""
    rows = [
        (f"P{i % 20:02d}", event, f"2021-0{1 + i % 3}-1{i % 7}", f"z{i % 2}")
        for i in range(3000)
        for event in ("land", "approval")
    ]
    connection = duckdb.connect()
    connection.execute("SET threads = 1")
    connection.execute(
        "CREATE TABLE e (project VARCHAR, event VARCHAR, date VARCHAR, zone VARCHAR)"
    )
    connection.executemany("INSERT INTO e VALUES (?, ?, ?, ?)", rows)
    connection.execute("CREATE TABLE d AS SELECT * REPLACE (CAST(date AS DATE) AS date) FROM e")
    connection.execute(
        "CREATE TABLE t AS SELECT * REPLACE (CAST(date AS TIMESTAMP) + INTERVAL (length(project)) "
        "SECOND AS date) FROM e"
    )
    output = tmp_path / "profile.json"
    for name in ("e", "d", "t"):
        table = EventTable(name, attributes=("zone",), withdrawn=(parse("zone~1"),))
        connection.execute("PRAGMA enable_profiling = 'json'")
        connection.execute(f"SET profiling_output = '{output}'")
        connection.execute(per_project_sql(table, "duckdb")).fetchall()
        connection.execute("PRAGMA disable_profiling")
        profile = json.loads(output.read_text(encoding="utf-8"))
        busiest = max(
            (
                max(
                    operator.get("intermediate_rows", 0),
                    operator.get("rows_scanned", 0),
                    *(child.get("intermediate_rows", 0) for child in operator.get("children", [])),
                )
                for operator in operators(profile)
                if "regexp" in json.dumps(operator.get("extra_info", {})).lower()
            ),
            default=0,
        )
        # 20 projects, 21 date strings, 2 event names, 2 zones; 6000 rows.
        assert 0 < busiest <= 21, name


def operators(node: dict[str, Any]) -> list[dict[str, Any]]:
    children = node.get("children", node.get("operator", []))
    return [node, *(o for child in children for o in operators(child))]


def test_outcome_column_named_withdrawn(run, tmp_path):
    """A table's own withdrawn flag: --withdrawn withdrawn=yes carries that column, which
    the same expression reads back (the computed flag would take its name)."""
    events = tmp_path / "events.csv"
    events.write_text(
        "project,event,date,withdrawn\n"
        "A,land,2021-01-01,no\n"
        "A,construction permit,2021-03-01,no\n"
        "B,land,2021-01-01,no\n"
        "B,approval,2021-02-01, YES\n"
        "C,land,2021-01-05,\n",
        encoding="utf-8",
    )
    connection = duckdb.connect()
    load_text_table(connection, events, "events")
    query = run(
        "sql",
        "--no-config",
        "--dialect",
        "duckdb",
        "--table",
        "events",
        "--withdrawn",
        "withdrawn=yes",
    )
    assert query.stderr == ""
    out = tmp_path / "per_project.csv"
    connection.execute(f"COPY ({query.stdout}) TO '{out}' (FORMAT csv, HEADER)")
    rules = ("--no-config", "--withdrawn", "withdrawn=yes")
    for command in (("summary",), ("stages",), ("trend", "--by", "quarter")):
        assert measured(run, out, command, *rules) == measured(run, events, command, *rules)
    summary = measured(run, out, ("summary",), *rules)
    assert summary["projects"] == {
        "total": 3,
        "complete": 1,
        "open": 1,
        "invalid": 0,
        "withdrawn": 1,
    }
    assert out.read_text(encoding="utf-8").splitlines()[0].split(",")[-1] == "withdrawn"


def test_carried_column_named_withdrawn(run, tmp_path):
    """--group-by withdrawn with --withdrawn on another column: no flag takes the
    carried column's name; the outcome's column is carried and read back."""
    events = tmp_path / "events.csv"
    events.write_text(
        "project,event,date,withdrawn,status\n"
        "A,land,2021-01-01,w1,ok\n"
        "A,construction permit,2021-03-01,w1,ok\n"
        "B,land,2021-01-01,w2,ok\n"
        "B,approval,2021-02-01,w2,cancelled\n"
        "C,land,2021-01-05,w1,\n",
        encoding="utf-8",
    )
    connection = duckdb.connect()
    load_text_table(connection, events, "events")
    rules = ("--no-config", "--withdrawn", "status~cancel")
    query = run(
        "sql", *rules, "--dialect", "duckdb", "--table", "events", "--group-by", "withdrawn"
    )
    out = tmp_path / "per_project.csv"
    connection.execute(f"COPY ({query.stdout}) TO '{out}' (FORMAT csv, HEADER)")
    assert out.read_text(encoding="utf-8").splitlines()[0].split(",")[-2:] == [
        "withdrawn",
        "status",
    ]
    for command in (("summary", "--group-by", "withdrawn"), ("stages",)):
        assert measured(run, out, command, *rules) == measured(run, events, command, *rules)
    grouped = measured(run, out, ("summary", "--group-by", "withdrawn"), *rules)
    assert {g["group"]: g["projects"]["withdrawn"] for g in grouped["groups"]} == {
        "w1": 0,
        "w2": 1,
    }


def test_columns_named_like_the_querys_own(run, tmp_path):
    """A table whose columns are named as the query names its steps' columns (project,
    event, date, a carried column, a filtered one and an outcome): each is read as the
    table's own column."""
    events = tmp_path / "events.csv"
    events.write_text(
        "etown_raw,etown_text,etown_day,etown_name,etown_withdrawn,etown_value\n"
        "A,land,2021-01-01,n,no,x\n"
        "A,construction permit,2021-03-01,n,no,x\n"
        "B,land,2021-01-01,s,no,y\n"
        "B,approval,2021-02-01,s, YES,y\n"
        "C,land,2021-01-05,n,,z\n"
        "D,land,2021-01-07,s,no,y\n"
        "D,construction permit,2021-01-09,s,no,y\n",
        encoding="utf-8",
    )
    config = tmp_path / "rules.toml"
    config.write_text(
        '[columns]\nproject = "etown_raw"\nevent = "etown_text"\ndate = "etown_day"\n'
        '[filter]\nwhere = ["etown_value!=z"]\n'
        '[outcomes]\nwithdrawn = ["etown_withdrawn=yes"]\n',
        encoding="utf-8",
    )
    connection = duckdb.connect()
    load_text_table(connection, events, "events")
    query = run(
        "sql",
        "--config",
        config,
        "--dialect",
        "duckdb",
        "--table",
        "events",
        "--group-by",
        "etown_name",
    )
    assert query.stderr == ""
    out = tmp_path / "per_project.csv"
    connection.execute(f"COPY ({query.stdout}) TO '{out}' (FORMAT csv, HEADER)")
    for command in (("summary",), ("stages",), ("summary", "--group-by", "etown_name")):
        rules = ("--config", str(config))
        assert measured(run, out, command, *rules) == measured(run, events, command, *rules)
    header, *rows = out.read_text(encoding="utf-8").splitlines()
    assert header.split(",")[0] == "etown_raw"
    assert header.split(",")[-4:] == ["etown_name", "etown_value", "etown_withdrawn", "withdrawn"]
    # C is filtered out; B was marked by its approval row; D took 2 days.
    assert [row.split(",")[0] for row in rows] == ["A", "B", "D"]
    assert [row.split(",")[-1] for row in rows] == ["false", "true", "false"]
    summary = measured(run, out, ("summary",), "--config", str(config))
    assert summary["projects"]["withdrawn"] == 1


# -- every dialect ------------------------------------------------------------


def hostile_table(**changes: Any) -> EventTable:
    fields: dict[str, Any] = {
        "table": "events",
        "where": (parse("zo\"ne!=it's"), parse("kind~^(new|a'b)$")),
        "withdrawn": (parse("St'atus~cancel\\w*"),),
        "ignore_events": ("Fee paid",),
        "attributes": ('zo"ne', "back`tick"),
    }
    fields.update(changes)
    return EventTable(**fields)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("dayfirst", [None, True])
def test_every_dialect_parses_back(dialect, dayfirst):
    table = hostile_table(dayfirst=dayfirst)
    text = per_project_sql(table, dialect)
    tree = sqlglot.parse_one(text, read=dialect)
    assert [s.alias_or_name for s in tree.selects] == per_project_columns(table).names
    # Literals came through whole: each value and pattern, and every name of a stage.
    literals = {node.name for node in tree.find_all(sqlglot.exp.Literal) if node.is_string}
    assert {"it's", "0000", *ETOWN.lookup} <= literals
    assert any("a'b" in value for value in literals)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_table_names_are_quoted_parts(dialect):
    quote = "`" if dialect in ("spark", "bigquery") else '"'
    name = f"{quote}my project{quote}.{quote}odd; name{quote}"
    tree = sqlglot.parse_one(per_project_sql(EventTable(name), dialect), read=dialect)
    tables = {t.name for t in tree.find_all(sqlglot.exp.Table)}
    assert tables == {"odd; name"}


@pytest.mark.parametrize(
    "name", ["", "events e", "a.b.c.d.e", "events; DROP TABLE x", "(select 1)"]
)
def test_a_table_name_that_is_not_one_is_refused(name):
    with pytest.raises(UsageError):
        per_project_sql(EventTable(name), "duckdb")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "name",
    [
        "db.events--old",
        "events -- x",
        "events\n--x",
        "events/* x */",
        "/* x */events",
        "events /* a /* b */ c */",
        "events--",
        "events #x",
        "events;",
        "db.events ;",
    ],
)
def test_a_table_name_with_a_comment_is_refused(dialect, name):
    """A comment or the end of a statement is no part of a name: the query would read
    another table than the one named."""
    with pytest.raises(UsageError, match="is not a table name"):
        per_project_sql(EventTable(name), dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_quoted_name_may_hold_comment_marks(dialect):
    """Inside the dialect's quotes ``--``, ``/*`` and ``;`` are part of the name, which
    stays one quoted part."""
    quote = "`" if dialect in ("spark", "bigquery") else '"'
    name = f"db.{quote}events--old /* x */;{quote}"
    tree = sqlglot.parse_one(per_project_sql(EventTable(name), dialect), read=dialect)
    tables = {(t.db, t.name) for t in tree.find_all(sqlglot.exp.Table)}
    assert tables == {("db", "events--old /* x */;")}


def test_a_quoted_name_with_comment_marks_runs():
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA db")
    connection.execute(
        'CREATE TABLE db."events--old" (project VARCHAR, event VARCHAR, date VARCHAR)'
    )
    connection.execute("CREATE TABLE db.events (project VARCHAR, event VARCHAR, date VARCHAR)")
    connection.execute("INSERT INTO db.\"events--old\" VALUES ('old', 'land', '2021-03-05')")
    connection.execute("INSERT INTO db.events VALUES ('new', 'land', '2021-03-05')")
    query = per_project_sql(EventTable('db."events--old"'), "duckdb")
    assert [row[0] for row in connection.execute(query).fetchall()] == ["old"]


def test_cli_refuses_a_table_name_with_a_comment(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(
        "sql", "--dialect", "bigquery", "--table", "my-project.permits.events--x", expect=2
    )
    assert result.stdout == ""
    assert "is not a table name in bigquery" in result.stderr


def test_a_stage_name_cannot_be_ignored():
    with pytest.raises(FilterError, match="name of stage 'land_acquisition'"):
        per_project_sql(EventTable("events", ignore_events=("Land",)), "duckdb")


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        (("approval",), "read as the date of stage 'project_approval'"),
        (("event", "date"), "event log"),
        (("Zone", "zone"), "two columns"),
    ],
)
def test_columns_that_would_not_read_back_are_refused(attributes, message):
    with pytest.raises(UsageError, match=message):
        per_project_columns(EventTable("events", attributes=attributes))


# -- the command line ---------------------------------------------------------


def test_cli_prints_the_query_only(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("sql", "--dialect", "bigquery", "--table", "proj.ds.events", "--group-by", "zone")
    assert result.stderr == ""
    tree = sqlglot.parse_one(result.stdout, read="bigquery")
    assert [s.alias_or_name for s in tree.selects][-1] == "zone"
    assert "`proj`.`ds`.`events`" in result.stdout


def test_cli_config_defaults_and_rules(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "etown.toml").write_text(
        '[columns]\nproject = "Job #"\n[stages]\nfiled = ["Filed"]\nissued = ["Issued"]\n'
        '[outcomes]\nwithdrawn = ["status~void"]\n[dates]\nformats = ["%d.%m.%Y"]\n',
        encoding="utf-8",
    )
    result = run("sql", "--dialect", "duckdb", "--table", "t", "--group-by", "borough")
    assert "dates.formats are not used in SQL" in result.stderr
    tree = sqlglot.parse_one(result.stdout, read="duckdb")
    assert [s.alias_or_name for s in tree.selects] == [
        "Job #",
        "filed",
        "issued",
        "borough",
        "status",
        "withdrawn",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--dialect", "oracle", "--table", "t"), 2, "'oracle' is not one of"),
        (("--dialect", "duckdb"), 2, "Missing option '--table'"),
        (("--dialect", "duckdb", "--table", "a b"), 2, "is not a table name in duckdb"),
        (("--dialect", "duckdb", "--table", "t", "--ignore-event", "land"), 2, "cannot be ignored"),
        (("--dialect", "duckdb", "--table", "t", "--where", "nothing"), 2, "no operator"),
    ],
)
def test_cli_errors(run, tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    result = run("sql", *args, expect=code)
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# -- Spark ----------------------------------------------------------------------


def spark_session() -> Any:
    """A local Spark session, or a skip saying what is missing."""
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java (17 or later) on PATH; none found")
    pyspark = pytest.importorskip(
        "pyspark", reason="pyspark is not installed (pip install 'etown-approvals[spark]')"
    )
    from pyspark.sql import SparkSession

    del pyspark
    return (
        SparkSession.builder.master("local[1]")
        .appName("etown-sql-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def test_spark_query_gives_the_same_numbers(run, tmp_path):
    spark = spark_session()
    rows = generated_events(7, projects=40)
    events = write_csv(rows, tmp_path / "events.csv")
    frame = (
        spark.read.option("header", True)
        .option("multiLine", True)
        .option("escape", '"')  # CSV's doubled quotes (Spark's default is a backslash)
        .csv(str(events))
    )
    frame.createOrReplaceTempView("spark_events")
    config = config_file(tmp_path / "etown.toml", **RULES)
    table = EventTable(
        "spark_events",
        stages=ETOWN.__class__(
            stages=ETOWN.stages,
            aliases=ETOWN.aliases,
            project_column=PROJECT,
            event_column=EVENT,
            date_column=DATE,
        ),
        where=(parse('zo"ne!=Excluded'),),
        withdrawn=(parse("St'atus~^cancel"),),
        ignore_events=("Fee paid", "withdrawn"),
        dayfirst=True,
        attributes=(ZONE,),
    )
    result = spark.sql(per_project_sql(table, "spark")).toPandas()
    out = tmp_path / "per_project.parquet"
    result.to_parquet(out)
    for command in COMMANDS:
        grouped = tuple(ZONE if part == "zone" else part for part in command)
        raw = measured(run, events, grouped, "--config", config)
        assert measured(run, out, grouped, "--config", config) == raw, command


def test_event_log_columns_are_not_looked_for_in_a_per_project_table(run, tmp_path):
    config = config_file(tmp_path / "log.toml")
    wide = tmp_path / "per_project.csv"
    wide.write_text(
        f'"{PROJECT.replace(chr(34), chr(34) * 2)}",land_acquisition,construction_permit\nA,2021-01-01,2021-01-04\n',
        encoding="utf-8",
    )
    result = run("summary", wide, "--config", config, "--json", "--no-cache")
    assert json.loads(result.stdout)["days"]["median"] == 3
    assert "read as one row per project" in result.stderr
    # An event log whose event column is misnamed is still an error naming the key.
    log = tmp_path / "log.csv"
    log.write_text(
        f'"{PROJECT.replace(chr(34), chr(34) * 2)}",Event type,{DATE}\nA,land,2021-01-01\n',
        encoding="utf-8",
    )
    failed = run("summary", log, "--config", config, expect=5)
    assert "columns.event" in failed.stderr


@pytest.mark.parametrize("seed", [6, 7])
def test_column_options_name_the_events_columns_as_a_configuration_would(run, tmp_path, seed):
    """--project, --event-column, --date-column and --stage NAME=EVENT given to etown sql,
    then the per-project table read back with the same options, give etown's numbers."""
    names = {"project": "Permit No", "event": "Step", "date": "When", "zone": ZONE}
    rows = [
        {
            names["project"]: r[PROJECT],
            names["event"]: r[EVENT],
            names["date"]: r[DATE],
            ZONE: r[ZONE],
        }
        for r in generated_events(seed)
    ]
    events = write_csv(rows, tmp_path / "events.csv")
    connection = duckdb.connect()
    load_text_table(connection, events, "events")
    used = {r[EVENT] for r in generated_events(seed)}
    # In process order; a stage named by several spellings is given once per spelling.
    stages = [
        word
        for stage in ETOWN.stages
        for event in sorted(e for e in used if ETOWN.lookup.get(normalize_name(e)) == stage)
        for word in ("--stage", f"s_{stage}={event}")
    ]
    assert len(stages) >= 4
    columns = (
        "--project", "Permit No", "--event-column", "Step", "--date-column", "When",
        *stages, "--dayfirst",
    )  # fmt: skip
    query = run(
        "sql",
        "--no-config",
        "--dialect",
        "duckdb",
        "--table",
        "events",
        "--group-by",
        ZONE,
        *columns,
    )
    assert query.stderr == ""
    assert '"Permit No"' in query.stdout and '"Step"' in query.stdout
    out = tmp_path / "per_project.csv"
    connection.execute(f"COPY ({query.stdout}) TO '{out}' (FORMAT csv, HEADER)")
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[0] == "Permit No"
    for command in COMMANDS:
        if command[0] == "compare":
            continue  # its reference is the first group the file uses: orders differ
        grouped = tuple(ZONE if part == "zone" else part for part in command)
        from_events = measured(run, events, grouped, "--no-config", *columns)
        assert measured(run, out, grouped, "--no-config", *columns) == from_events, command
