"""`etown compare` from the command line: the reference, the horizon, --survival,
notes, and nothing but results on stdout."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter

import pytest

from .conftest import SAMPLE

AS_OF = "2025-01-01"


def _compare(run, *args, expect: int = 0):
    return run("compare", SAMPLE, "--as-of", AS_OF, *args, expect=expect)


def _json(run, *args):
    return json.loads(_compare(run, *args, "--json", "-q").stdout)


def _projects_per_zone():
    """Distinct projects per zone, read from the file with the standard library (a row
    without a project name is rejected, so it is no project)."""
    with open(SAMPLE, encoding="utf-8", newline="") as handle:
        zone_of = {row["project"]: row["zone"] for row in csv.DictReader(handle) if row["project"]}
    return Counter(zone_of.values())


def test_default_reference_is_the_largest_zone(run):
    doc = _json(run, "--group-by", "zone")
    sizes = _projects_per_zone()
    largest = max(sizes.values())
    assert doc["reference"] == min(zone for zone, count in sizes.items() if count == largest)
    assert {g["group"]: g["projects"] for g in doc["groups"]} == sizes
    rest = [(-g["projects"], g["group"]) for g in doc["groups"][1:]]
    assert doc["groups"][0]["group"] == doc["reference"] and rest == sorted(rest)


def test_reference_by_name(run):
    doc = _json(run, "--group-by", "zone", "--reference", "Taihu")
    assert doc["reference"] == "Taihu"
    assert doc["groups"][0]["group"] == "Taihu"
    assert {c["reference"] for c in doc["comparisons"]} == {"Taihu"}
    text = _compare(run, "--group-by", "zone", "--reference", "Taihu", "-q").stdout
    assert "Compared with Taihu" in text


def test_reference_with_several_columns(run):
    doc = _json(
        run,
        "--group-by",
        "zone",
        "--group-by",
        "sector",
        "--reference",
        "Taihu",
        "--reference",
        "semiconductors",
    )
    assert doc["reference"] == {"zone": "Taihu", "sector": "semiconductors"}
    result = _compare(
        run, "--group-by", "zone", "--group-by", "sector", "--reference", "Taihu", expect=2
    )
    assert result.stdout == ""
    assert result.stderr == (
        "etown: error: give --reference once per --group-by column: 2 values, got 1\n"
    )


def test_unknown_reference_names_the_groups_and_one_of_them_works(run):
    result = _compare(run, "--group-by", "zone", "--reference", "Atlantis", "-q", expect=2)
    assert result.stdout == ""
    found = re.fullmatch(
        r"etown: error: no group 'Atlantis' to compare with \(groups: (.*)\)\n", result.stderr
    )
    assert found is not None
    listed = found.group(1).split(", ")
    assert sorted(listed) == sorted(g["group"] for g in _json(run, "--group-by", "zone")["groups"])
    # following the hint: a group it lists is accepted
    assert _json(run, "--group-by", "zone", "--reference", listed[-1])["reference"] == listed[-1]


def test_split_date_reference_is_before_unless_told(run):
    doc = _json(run, "--split-date", "2022-01-01")
    assert doc["reference"] == "before 2022-01-01"
    flipped = _json(run, "--split-date", "2022-01-01", "--reference", "on or after 2022-01-01")
    assert (
        flipped["comparisons"][0]["median_difference"]
        == -doc["comparisons"][0]["median_difference"]
    )


def test_horizon(run):
    doc = _json(run, "--group-by", "zone", "--horizon", "60")
    assert doc["horizon"] == 60
    assert all(c["rmst_difference"]["horizon"] == 60 for c in doc["comparisons"])
    default = _json(run, "--group-by", "zone")
    assert default["horizon"] is None
    result = _compare(run, "--group-by", "zone", "--horizon", "0", expect=2)
    assert "--horizon" in result.stderr and result.stdout == ""
    # more days than lie between any two dates: a usage error, not a traceback
    for huge in ("3652059", "99999999999999999999"):
        result = _compare(run, "--by", "zone", "--horizon", huge, expect=2)
        assert "--horizon" in result.stderr and result.stdout == ""
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    longest = _json(run, "--by", "zone", "--horizon", "3652058")
    assert longest["horizon"] == 3652058


def test_survival_adds_cumulative_incidence(run):
    plain = _json(run, "--group-by", "zone")
    doc = _json(run, "--group-by", "zone", "--survival")
    for group, before in zip(doc["groups"], plain["groups"], strict=True):
        incidence = group["cumulative_incidence"]
        assert len(incidence["times"]) == len(incidence["completed"]) == len(incidence["withdrawn"])
        assert incidence["completed"] == sorted(incidence["completed"])
        assert set(group["completed_by"]) == {"90", "180", "365"}
        assert "cumulative_incidence" not in before
    assert doc["comparisons"] == plain["comparisons"]
    text = _compare(run, "--group-by", "zone", "--survival", "-q").stdout
    assert "done by day 90" in text


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_nothing_but_results_and_no_warning(run, quiet):
    # One or two projects per zone and sector: every kind of tiny group.
    result = _compare(run, "--group-by", "zone", "--group-by", "sector", *quiet)
    if quiet:
        assert result.stderr == ""
    else:  # the file's rejected rows, said once, and no library warning
        assert result.stderr.count("\n") == 1 and "rows rejected" in result.stderr
    assert "Compared with Core Area / biomedicine" in result.stdout
    assert "fewer than 3 complete projects" in result.stdout
    doc = json.loads(
        _compare(run, "--group-by", "zone", "--group-by", "sector", "--json", *quiet).stdout
    )
    assert any(c["note"] for c in doc["comparisons"])


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_no_library_warning_on_stderr_of_the_real_command(quiet, tmp_path):
    """The console script, as a user runs it (pytest would catch a warning itself)."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "etown_approvals", "compare", str(SAMPLE)]
    options = ["--group-by", "zone", "--group-by", "sector", "--as-of", AS_OF, "--survival", *quiet]
    found = subprocess.run(
        [*command, *options], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert "Warning" not in found.stderr
    assert found.stderr == ("" if quiet else found.stderr.splitlines(keepends=True)[0])
    assert "Compared with Core Area / biomedicine" in found.stdout


def test_group_names_in_the_title_and_notes_are_shown_escaped(run, tmp_path):
    """The reference names the title and a tiny group its note: both escaped."""
    lines = ["project,event,date,zone"]
    zones = ["Zone\tTab"] * 5 + ["Red\x1b[31m"]
    for i, zone in enumerate(zones):
        lines.append(f'p{i},land acquisition,2024-01-{i + 1:02d},"{zone}"')
        lines.append(f'p{i},construction permit,2024-02-{i + 1:02d},"{zone}"')
    path = tmp_path / "zones.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run("compare", path, "--group-by", "zone", "-q").stdout
    assert "\x1b" not in out and "\t" not in out
    assert "Compared with Zone\\tTab" in out
    assert "Red\\x1b[31m: fewer than 3 complete projects" in " ".join(out.split())


def test_seeds_depend_on_the_groups_values_not_the_columns_name(run, tmp_path):
    """The same groups under another column name: the same intervals (each group's
    resamples are seeded with its values only)."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[4] == "zone"
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(
        "\n".join([lines[0].replace(",zone,", ",area,"), *lines[1:]]) + "\n", encoding="utf-8"
    )
    options = ["--as-of", AS_OF, "--json", "-q"]
    before = json.loads(run("compare", SAMPLE, "--by", "zone", *options).stdout)
    after = json.loads(run("compare", renamed, "--by", "area", *options).stdout)
    assert before["comparisons"] == after["comparisons"]
    assert any(c["km_median_difference"]["ci_low"] is not None for c in after["comparisons"])
    # two columns: the values in order, whatever the columns are called
    both = ["--by", "sector", "--reference", "Core Area", "--reference", "display"]
    before = json.loads(run("compare", SAMPLE, "--by", "zone", *both, *options).stdout)
    after = json.loads(run("compare", renamed, "--by", "area", *both, *options).stdout)
    strip = [
        {k: v for k, v in c.items() if k not in ("group", "reference")}
        for c in before["comparisons"]
    ]
    assert strip == [
        {k: v for k, v in c.items() if k not in ("group", "reference")}
        for c in after["comparisons"]
    ]


def _without_zone(tmp_path, projects):
    """The sample with these projects' zone left blank."""
    with open(SAMPLE, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        if row[0] in projects:
            row[4] = ""
    path = tmp_path / "some_without_zone.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_the_table_shows_every_count_and_both_p_values(run, tmp_path):
    path = _without_zone(tmp_path, {"Beijing Yesemi", "Fortune Precision"})
    table = run("compare", path, "--by", "zone", "--as-of", AS_OF, "-q").stdout
    doc = json.loads(run("compare", path, "--by", "zone", "--as-of", AS_OF, "-q", "--json").stdout)
    assert doc["ungrouped"] == 2
    assert "Not compared, without a value of zone: 2" in " ".join(table.split())
    header = next(line for line in table.splitlines() if line.startswith("group"))
    assert "invalid" in header
    core = next(line for line in table.splitlines() if line.startswith("Core Area"))
    counts = next(g for g in doc["groups"] if g["group"] == "Core Area")
    # the numbers in header order: projects, complete, open, invalid, withdrawn
    assert core.split()[2:7] == [
        str(counts[k]) for k in ("projects", "complete", "open", "invalid", "withdrawn")
    ]
    assert counts["invalid"] == 1
    flat = " ".join(table.split())
    for entry in doc["comparisons"]:
        for key, word in (("p_value_holm", "p Holm"), ("logrank_p_value_holm", "p log-rank Holm")):
            value = entry[key]
            assert f"{word} {'-' if value is None else f'{value:.3g}'}" in flat


def test_one_group_is_nothing_to_compare(run):
    result = _compare(run, "--by", "zone", "--where", "zone=Taihu")
    flat = " ".join(result.stdout.split())
    assert "only one group: nothing to compare it with" in flat
    assert "Not compared, without a value of zone: 0" in flat
    doc = _json(run, "--by", "zone", "--where", "zone=Taihu")
    assert doc["comparisons"] == [] and doc["ungrouped"] == 0
    assert doc["note"] == "only one group: nothing to compare it with"


def test_workdays_label_the_units_as_workdays(run):
    result = _compare(run, "--by", "zone", "--days", "workdays", "--survival")
    flat = " ".join(result.stdout.split())
    assert "median workdays" in flat and "to workday" in flat and "done by workday 90" in flat
    assert "to day" not in flat and "by day" not in flat and "the day shown" not in flat
    plain = " ".join(_compare(run, "--by", "zone", "--survival").stdout.split())
    assert "to day" in plain and "done by day 90" in plain


def test_a_reference_that_is_no_group_names_a_few_and_counts_them(run, tmp_path):
    path = tmp_path / "many_zones.csv"
    lines = ["project,event,date,zone"]
    for i in range(3000):
        zone = f"zone {i:05d} " + "x" * 200
        lines += [f"P{i},land acquisition,2023-01-01,{zone}"]
        lines += [f"P{i},construction permit,2023-02-{1 + i % 28:02d},{zone}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("compare", path, "--group-by", "zone", "--reference", "nowhere", "-q", expect=2)
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "no group 'nowhere'" in line and "3,000 groups" in line
    assert len(line) < 600
    assert line.count("zone 0") <= 5
