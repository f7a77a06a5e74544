"""Property tests: the loader either returns a table that accounts for every row,
or raises etown's own error, whatever text it is given."""

from __future__ import annotations

import string
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etown_approvals.errors import EtownError
from etown_approvals.loader import load

HEADER = "project,event,date,zone\n"
cells = st.one_of(
    st.sampled_from(
        [
            "",
            "A",
            "B",
            "京东方",
            "land",
            "拿地",
            "construction permit",
            "施工许可证",
            "planning permit",
            "2023-09-15",
            "2023/9/16",
            "2023-02-30",
            "15/03/2023",
            "03/04/2023",
            "Sep 15, 2023",
            '"q,uoted"',
            "x\ny",
            "  ",
            "NA",
            "TBD",
            "0000-00-00",
            "1753-12-14",
            "12/6/10",
            "15-Dec-21",
        ]
    ),
    st.text(alphabet=string.printable + "项目日期年月日", max_size=12),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=5).map(lambda r: ",".join(r)), max_size=12)


def _load(text: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        path.write_bytes(text)
        return load(path)


def _check(text: bytes) -> None:
    try:
        result = _load(text)
    except EtownError:
        return
    assert result.rows_used + result.rows_rejected == result.rows_read
    # A long file's used row is an event, unless its date is implausible (no date).
    findings = result.findings
    implausible = set(findings.loc[findings["type"] == "implausible-date", "row"])
    if result.layout == "long":
        assert implausible.isdisjoint(set(result.events["row"]))
        assert result.rows_used == len(set(result.events["row"]) | implausible)
    rejected_rows = set(result.rejected["row"].dropna())
    assert rejected_rows.isdisjoint(set(result.events["row"]))
    assert len(rejected_rows) <= result.rows_rejected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_event_tables(body):
    _check((HEADER + "\n".join(body) + "\n").encode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes(data):
    _check(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text(text):
    _check(text.encode("utf-8"))


STAGE_NAMES = [
    "land acquisition",
    "拿地",
    "project approval",
    "立项",
    "planning permit",
    "施工许可证",
    "construction permit",
]
DEFECTS = {
    "invalid-date": lambda p, e, _d: (p, e, "2023-02-30"),
    "unknown-event": lambda p, _e, d: (p, "groundbreaking", d),
    "missing-project": lambda _p, e, d: ("", e, d),
    "missing-date": lambda p, e, _d: (p, e, ""),
    "blank": lambda _p, _e, _d: ("", "", ""),
}


@st.composite
def event_tables(draw):
    """Clean event rows, and the same rows with some replaced by defective ones."""
    n = draw(st.integers(1, 25))
    clean = []
    for _ in range(n):
        project = draw(st.sampled_from(["A", "B", "C", "京东方", "D E"]))
        event = draw(st.sampled_from(STAGE_NAMES))
        day = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2024, 12, 31)))
        clean.append((project, event, day.isoformat()))
    kinds = draw(st.lists(st.sampled_from([None, *DEFECTS]), min_size=n, max_size=n))
    injected = [
        row if kind is None else DEFECTS[kind](*row) for row, kind in zip(clean, kinds, strict=True)
    ]
    kept = [row for row, kind in zip(clean, kinds, strict=True) if kind is None]
    return injected, kept, kinds


def _summary_of(rows):
    from etown_approvals.metrics import project_table, summarize

    text = "project,event,date\n" + "".join(f"{p},{e},{d}\n" for p, e, d in rows)
    result = _load(text.encode())
    return result, summarize(project_table(result.events, result.stages))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_tables())
def test_defective_rows_are_rejected_and_the_rest_measured_alike(table):
    injected, kept, kinds = table
    try:
        result, summary = _summary_of(injected)
    except EtownError:
        return
    defects = [k for k in kinds if k is not None]
    assert result.rows_blank == defects.count("blank")
    assert result.rows_rejected == len(defects) - defects.count("blank")
    assert result.rows_used + result.rows_rejected == result.rows_read
    if kept:
        _, expected = _summary_of(kept)
        assert summary == expected
