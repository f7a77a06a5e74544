"""Counts add up in every command's output, on generated files with every kind of project.

The status rule's generator (``test_status_rule.files``: complete, open, invalid and
withdrawn projects, unknown events, stages recorded twice) is extended here with rows
whose date is a placeholder (``TBD``, ``N/A`` ...: rejected, though a ``--withdrawn``
match on them still marks the project), projects that have nothing but such rows (not
counted), and as-of dates before, inside and after the data. Each command's JSON must
add up within itself and agree with what the generator wrote: rows, projects per
status, projects per period, per group and per comparison group, stage transitions
with their out-of-order pairs, Kaplan-Meier events, censored and left-out projects.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from .test_status_rule import (
    AS_OF,
    BASE,
    STAGES,
    WITHDRAWN_RULE,
    Generated,
    Row,
    files,
    tally,
)

#: Written where a date should be: no date (rejected rows in a long file).
PLACEHOLDERS = ("TBD", "N/A", "NA", "#N/A", "NULL", "-", "0000-00-00")
STATUS_KEYS = ("complete", "open", "invalid", "withdrawn")


@st.composite
def files_with_placeholders(draw: st.DrawFn) -> Generated:
    generated = draw(files())
    names = sorted(generated.zone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    extra = draw(st.lists(st.sampled_from([*names, "Only placeholders"]), max_size=6))
    for name in extra:
        zone = generated.zone.setdefault(name, "North")
        marked = draw(st.sampled_from((False, True, True)))
        stage = draw(st.sampled_from(("land", "construction permit")))
        writer.writerow(
            (name, stage, draw(st.sampled_from(PLACEHOLDERS)), zone, "Withdrawn" if marked else "")
        )
        generated.rows.append(Row(name, None, BASE, marked))  # a rejected row
    generated.text += out.getvalue()
    return generated


#: Before the data (nothing known: an error), inside it, or after it.
AS_OF_DATES = st.one_of(
    st.just(AS_OF),
    st.integers(1, 60).map(lambda n: BASE - timedelta(days=n)),
    st.integers(0, 700).map(lambda n: BASE + timedelta(days=n)),
)


def transitions(known: dict[str, dict[str, date]], statuses: dict[str, str]) -> dict[Any, Any]:
    """Per consecutive pair: (projects in order, projects out of order) over the
    projects that are not invalid and have both dates."""
    out = {}
    for a, b in pairwise(STAGES):
        both = [d for name, d in known.items() if statuses[name] != "invalid" and a in d and b in d]
        out[(a, b)] = (sum(d[b] >= d[a] for d in both), sum(d[b] < d[a] for d in both))
    return out


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files_with_placeholders(), AS_OF_DATES)
def test_counts_add_up_in_every_commands_output(run, generated: Generated, as_of: date) -> None:
    expected = generated.statuses(as_of)
    known = generated.known(as_of)
    event(f"as-of before the data: {not expected}")
    event(f"withdrawn projects: {'withdrawn' in expected.values()}")
    event(f"invalid projects: {'invalid' in expected.values()}")
    event(f"placeholder rows: {any(p in generated.text for p in ('TBD', 'N/A', 'NULL'))}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        path.write_text(generated.text, encoding="utf-8")
        # Placeholder rows can be most of a small file: measured all the same.
        options = (
            "--withdrawn",
            WITHDRAWN_RULE,
            "--as-of",
            as_of.isoformat(),
            "--max-rejected",
            "1",
        )

        def doc(*args: str) -> Any:
            return json.loads(run(*args, path, *options, "--json", "-q").stdout)

        if not expected:
            for command in ("summary", "projects", "stages", "trend"):
                result = run(command, path, *options, "-q", expect=4)
                assert result.stdout == ""
                assert "no event is dated on or before --as-of" in result.stderr
            return
        summary = doc("summary", "--survival")
        grouped = doc("summary", "--group-by", "zone")
        projects = doc("projects")["projects"]
        stages = doc("stages")
        trend = doc("trend", "--by", "quarter")
        compared = doc("compare", "--by", "zone")

    counts = tally(expected)
    total = len(expected)
    rows = summary["rows"]
    assert rows["read"] == len(generated.rows)
    assert rows["rejected"] == sum(1 for row in generated.rows if row.stage is None)
    assert rows["read"] == (
        rows["used"] + rows["rejected"] + rows["after_as_of"] + rows["filtered"] + rows["ignored"]
    )
    assert summary["projects"] == {"total": total, **counts}
    assert sum(summary["projects"][k] for k in STATUS_KEYS) == total

    km = summary["survival"]
    assert km["events"] + km["censored"] + km["left_out"] == total

    assert len(projects) == total
    assert {p["project"] for p in projects} == set(expected)

    for group in grouped["groups"]:
        assert sum(group["projects"][k] for k in STATUS_KEYS) == group["projects"]["total"]
    assert sum(g["projects"]["total"] for g in grouped["groups"]) == total
    for key in STATUS_KEYS:
        assert sum(g["projects"][key] for g in grouped["groups"]) == counts[key]

    for period in trend["periods"]:
        assert sum(period[k] for k in STATUS_KEYS) == period["projects"], period
    assert sum(p["projects"] for p in trend["periods"]) + trend["undated_projects"] == total

    found = {(t["from"], t["to"]): (t["count"], t["out_of_order"]) for t in stages["transitions"]}
    assert found == transitions(known, expected)

    groups = compared["groups"]
    assert sum(g["projects"] for g in groups) + compared["ungrouped"] == total
    for group in groups:
        parts = sum(group[k] for k in ("complete", "open", "invalid"))
        members = [n for n, z in generated.zone.items() if n in expected and z == _zone(group)]
        withdrawn = sum(expected[n] == "withdrawn" for n in members)
        assert group.get("withdrawn", withdrawn) == withdrawn
        assert parts + withdrawn == group["projects"] == len(members), group


def _zone(group: dict[str, Any]) -> str:
    label = group["group"]
    return label["zone"] if isinstance(label, dict) else label
