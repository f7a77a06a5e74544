"""One surface: defaults of repeatable options from etown.toml, compare's --group-by,
and hints whose command lines read the file as the command did."""

from __future__ import annotations

import csv
import io
import json
import shlex
import statistics
from datetime import date, datetime

import pytest

from .conftest import FIXTURES, SAMPLE


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _in(tmp_path, monkeypatch, toml: str) -> None:
    """Work in a folder whose etown.toml is ``toml``."""
    (tmp_path / "etown.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def _json(run, *args: str) -> dict:
    return json.loads(run(*args, "--json", "-q").stdout)


# -- a repeatable option's default: one string is a list of one -------------------------


@pytest.mark.parametrize(
    "toml",
    ['[defaults]\ngroup_by = "zone"\n', '[defaults.summary]\ngroup_by = "zone"\n'],
    ids=["defaults", "defaults.summary"],
)
def test_a_group_by_default_of_one_string_groups_by_that_column(run, tmp_path, monkeypatch, toml):
    _in(tmp_path, monkeypatch, toml)
    document = _json(run, "summary", SAMPLE, "--as-of", "2024-06-30")
    zones = {row["zone"] for row in _sample_rows()}
    assert document["group_by"] == "zone"
    assert {g["group"] for g in document["groups"]} == zones


def test_a_group_by_default_list_groups_by_every_column(run, tmp_path, monkeypatch):
    _in(tmp_path, monkeypatch, '[defaults.stages]\ngroup_by = ["zone", "sector"]\n')
    document = _json(run, "stages", SAMPLE)
    pairs = {(row["zone"], row["sector"]) for row in _sample_rows()}
    assert document["group_by"] == ["zone", "sector"]
    assert {(t["group"]["zone"], t["group"]["sector"]) for t in document["transitions"]} <= pairs


def test_a_reference_default_of_one_string(run, tmp_path, monkeypatch):
    _in(tmp_path, monkeypatch, '[defaults.compare]\nreference = "Taihu"\ngroup_by = "zone"\n')
    document = _json(run, "compare", SAMPLE, "--as-of", "2024-06-30")
    assert document["reference"] == "Taihu"
    assert document["group_by"] == "zone"


def test_a_where_default_of_one_string_adds_to_the_rules(run, tmp_path, monkeypatch):
    _in(tmp_path, monkeypatch, '[defaults]\nwhere = "zone=Taihu"\n')
    document = _json(run, "summary", SAMPLE, "--as-of", "2024-06-30")
    rows = _sample_rows()
    assert document["rows"]["filtered"] == sum(row["zone"] != "Taihu" for row in rows)
    # The command line's --where adds to it: both must hold.
    both = _json(
        run, "summary", SAMPLE, "--as-of", "2024-06-30", "--where", "sector=semiconductors"
    )
    kept = [r for r in rows if r["zone"] == "Taihu" and r["sector"] == "semiconductors"]
    assert both["rows"]["filtered"] == len(rows) - len(kept)


def test_withdrawn_and_ignore_event_defaults_of_one_string(run, tmp_path, monkeypatch, write):
    path = write(
        "project,event,date\n"
        "A,land acquisition,2023-01-01\nA,cancelled,2023-02-01\n"
        "B,land acquisition,2023-01-01\nB,construction permit,2023-01-11\n"
        "B,site visit,2023-01-05\n"
    )
    _in(
        tmp_path,
        monkeypatch,
        '[defaults]\nwithdrawn = "event=cancelled"\n'
        '[defaults.summary]\nignore_event = ["site visit", "cancelled"]\n',
    )
    document = _json(run, "summary", path, "--as-of", "2024-06-30")
    assert document["projects"]["withdrawn"] == 1
    assert document["rows"]["ignored"] == 2
    assert document["days"]["median"] == 10


def test_flag_and_show_defaults_of_one_string(run, tmp_path, monkeypatch):
    _in(
        tmp_path,
        monkeypatch,
        '[defaults.projects]\nflag = "same_day"\n[defaults.timeline]\nshow = "Beijing Yesemi"\n',
    )
    listed = _json(run, "projects", SAMPLE, "--as-of", "2024-06-30")["projects"]
    assert listed and all("same_day" in p["flags"] for p in listed)
    drawn = _json(run, "timeline", SAMPLE, "--as-of", "2024-06-30")["projects"]
    assert [p["project"] for p in drawn] == ["Beijing Yesemi"]


def test_a_repeatable_default_of_the_wrong_type_is_a_config_error(run, tmp_path, monkeypatch):
    _in(tmp_path, monkeypatch, "[defaults]\ngroup_by = 3\n")
    result = run("summary", SAMPLE, expect=5)
    assert "defaults.group_by must be a list of non-empty strings" in result.stderr


# -- compare groups with --group-by ------------------------------------------------------


def test_compare_by_is_a_deprecated_alias_of_group_by(run):
    common = ("compare", SAMPLE, "--as-of", "2024-06-30", "--json")
    new = run(*common, "--group-by", "zone", "-q")
    old = run(*common, "--by", "zone")
    assert old.stdout == new.stdout
    assert "etown: warning: --by is deprecated in compare: use --group-by" in old.stderr
    assert new.stderr == ""


# -- a hint's command line reads the file as the command did ------------------------------


def test_the_rejected_rows_hint_repeats_every_reading_option(run, write):
    text = (
        "Approvals export\n"
        "project;event;date;zone\n"
        "北区一号;land acquisition;2023-01-01;北区\n"
        "北区一号;construction permit;2023-02-01;北区\n"
        "南区二号;land acquisition;2023-01-05;南区\n"
        "南区二号;construction permit;2023-13-40;南区\n"
    )
    path = write(text, encoding="gb18030")
    result = run("summary", path, "--encoding", "gb18030", "--delimiter", ";", "--header-row", "2")
    hint = next(line for line in result.stderr.splitlines() if "see them with: " in line)
    words = shlex.split(hint.split("see them with: ", 1)[1])
    assert words[:3] == ["etown", "validate", str(path)]
    assert words[3:] == ["--encoding", "gb18030", "--delimiter", "semicolon", "--header-row", "2"]
    followed = run(*words[1:], "--json", expect=1)
    document = json.loads(followed.stdout)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[2:]

    def readable(value: str) -> bool:
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True

    assert document["stats"]["errors"] == sum(not readable(row[2]) for row in rows) == 1
    assert [e["row"] for e in document["errors"]] == [6]


def test_the_no_usable_rows_hint_repeats_the_reading_options(run, write):
    path = write("x\nproject|event|date\nA|land acquisition|2023-99-01\n")
    result = run("summary", path, "--delimiter", "pipe", "--header-row", "2", expect=4)
    command = result.stderr.split("see them with: ", 1)[1].strip()
    words = shlex.split(command)
    assert words[3:] == ["--delimiter", "pipe", "--header-row", "2"]
    document = json.loads(run(*words[1:], "--json", expect=1).stdout)
    assert document["stats"]["errors"] == 1


def test_the_hint_repeats_the_input_limits_given(run, tmp_path):
    """A compressed file larger than the limit in the environment, read with a larger
    --max-input-size: the hint's command line carries that limit (and --url-timeout),
    so following it reads the file instead of refusing it."""
    import gzip

    lines = ["project,event,date,note"]
    lines += [
        f"P{i:05d},{stage},2023-0{1 + i % 9}-1{i % 10},{'x' * 60}"
        for i in range(20_000)
        for stage in ("land acquisition", "construction permit")
    ]
    lines.append("Q,land acquisition,2023-13-40,bad")
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) > 2 * 1024**2
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    env = {"ETOWN_MAX_INPUT_SIZE": "1M"}
    assert "decompresses to more than 1 MiB" in run("summary", path, env=env, expect=3).stderr
    options = ("--max-input-size", "4M", "--url-timeout", "30.5")
    result = run("summary", path, *options, env=env)
    hint = next(line for line in result.stderr.splitlines() if "see them with: " in line)
    words = shlex.split(hint.split("see them with: ", 1)[1])
    assert words == ["etown", "validate", str(path), *options]
    document = json.loads(run(*words[1:], "--json", env=env, expect=1).stdout)

    def readable(value: str) -> bool:
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True

    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert document["stats"]["errors"] == sum(not readable(row[2]) for row in rows) == 1
    assert [e["row"] for e in document["errors"]] == [len(rows) + 1]


@pytest.mark.parametrize("size", [1, 1000, 1024, 16 * 1024**2, 3 * 1024**3 + 1, 4 * 1024**4])
def test_a_size_in_a_hint_reads_back_as_the_same_size(size):
    from etown_approvals.options import parse_size, size_word

    assert parse_size(size_word(size)) == size


# -- formats: one rule each ------------------------------------------------------------------


def test_json_with_another_format_is_a_usage_error(run):
    result = run("summary", SAMPLE, "--json", "--format", "csv", expect=2)
    assert result.stdout == ""
    assert result.stderr == "etown: error: --json and --format csv contradict each other\n"
    assert run("summary", SAMPLE, "--json", "--format", "json", "-q").stdout.startswith("{")


def test_a_format_from_the_configuration_gives_way_to_json(run, tmp_path, monkeypatch):
    _in(tmp_path, monkeypatch, '[defaults]\nformat = "csv"\n')
    assert run("summary", SAMPLE, "--json", "-q").stdout.startswith("{")


@pytest.mark.parametrize(
    ("options", "env", "marked"),
    [
        ([], {}, False),
        (["--lang", "zh-CN"], {}, True),
        ([], {"ETOWN_LANG": "zh-CN"}, True),
        (["--lang", "zh-CN", "--no-bom"], {}, False),
        (["--bom"], {}, True),
    ],
)
def test_csv_starts_with_a_byte_order_mark_for_excel(run, options, env, marked):
    result = run("projects", SAMPLE, "-f", "csv", "-q", *options, env=env)
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf") is marked
    text = result.stdout_bytes.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len({r["project"] for r in _sample_rows() if r["project"]})
    assert next(iter(rows[0])) == "project"


def test_a_workbook_is_never_written_to_a_terminal():
    from etown_approvals.errors import UsageError
    from etown_approvals.formats import xlsx
    from etown_approvals.results import validation
    from etown_approvals.validation import validate

    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    with pytest.raises(UsageError, match=r"not for a terminal: give --output FILE\.xlsx"):
        xlsx.render(validation(validate(SAMPLE)), Terminal(io.BytesIO()), None)


def test_a_workbook_holds_names_in_any_script_and_formulas_as_text(run, write, tmp_path):
    import openpyxl

    path = write(
        "project,event,date,zone\n"
        '北区一号,land acquisition,2023-01-01,=HYPERLINK("x")\n'
        '北区一号,construction permit,2023-01-11,=HYPERLINK("x")\n'
    )
    target = tmp_path / "out.xlsx"
    run("projects", path, "-f", "xlsx", "-o", target, "-q")
    sheet = openpyxl.load_workbook(target)["projects"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["project"] == "北区一号"
    assert row["days"] == 10 and isinstance(row["days"], int)
    assert (
        row["zone"] == '=HYPERLINK("x")'
        and sheet.cell(2, header.index("zone") + 1).data_type == "s"
    )


# -- timeline: how many of how many, and how to see more ---------------------------------


def test_timeline_says_how_many_it_shows_and_its_hint_shows_them_all(run):

    from etown_approvals.stages import ETOWN

    def day(text: str) -> date | None:
        for form in (
            "%Y-%m-%d",
            "%Y/%m/%d",
            "%Y.%m.%d",
            "%Y%m%d",
            "%Y年%m月%d日",
            "%b %d %Y",
            "%d %b %Y",
        ):
            try:
                return datetime.strptime(text.strip(), form).date()
            except ValueError:
                continue
        return None

    started = {
        r["project"]
        for r in _sample_rows()
        if r["project"]
        and ETOWN.lookup.get(r["event"].strip().lower()) == "land_acquisition"
        and (day(r["date"]) or date.max) <= date(2024, 6, 30)
    }
    drawn = run("timeline", SAMPLE, "--limit", "5", "--as-of", "2024-06-30")
    lines = drawn.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("5 of "))
    said, command = " ".join(lines[start:-1]), lines[-1]  # wrapped to the width; the command whole
    document = json.loads(
        run("timeline", SAMPLE, "--limit", "5", "--as-of", "2024-06-30", "--json", "-q").stdout
    )
    total = document["total"]
    assert document["shown"] == len(document["projects"]) == 5
    assert said == (
        f"5 of {total} projects with a start date, earliest first; more with --limit N, "
        "or pick with --show NAME:"
    )
    # Every project with a land acquisition date known by then (an independent count).
    assert total == len(started)
    words = shlex.split(command)
    assert words[:3] == ["etown", "timeline", str(SAMPLE)]
    everything = json.loads(run(*words[1:], "--json", "-q").stdout)
    assert everything["shown"] == everything["total"] == total
    assert run(*words[1:], "-q").stdout.splitlines()[-1] == (
        f"{total} of {total} projects with a start date, earliest first"
    )


def test_an_as_of_date_before_every_usable_date_is_one_line_even_without_dates(run):
    """Every event of this file has an implausible year or an invalid date: with
    --as-of, no event is known by then, and none has a date to name as the earliest."""
    path = FIXTURES / "bad" / "year_0023_spellings.csv"
    result = run("summary", path, "--as-of", "2024-06-30", expect=4)
    assert result.stderr.splitlines()[-1] == (
        f"etown: error: {path}: no event is dated on or before --as-of 2024-06-30 "
        "(no event has a usable date)"
    )


# -- every repeatable option's default: one string, or a list -------------------------------

#: option key of [defaults] -> (command, one value, two values, the command's extra options).
REPEATABLE_DEFAULTS = {
    "group_by": ("summary", "zone", ["zone", "sector"], []),
    "reference": ("compare", "Taihu", ["Taihu"], ["--group-by", "zone"]),
    "flag": ("projects", "same_day", ["same_day", "fast_track"], []),
    "show": ("timeline", "Beijing Yesemi", ["Beijing Yesemi", "Fortune Precision"], []),
    "where": ("summary", "zone=Taihu", ["zone=Taihu", "sector=semiconductors"], []),
    "withdrawn": ("summary", "zone=Taihu", ["zone=Taihu", "sector=semiconductors"], []),
    "ignore_event": ("summary", "环评批复", ["环评批复", "site visit"], []),
}


def test_every_repeatable_default_is_listed():
    from etown_approvals.config import DEFAULT_OPTIONS

    assert set(REPEATABLE_DEFAULTS) == {k for k, s in DEFAULT_OPTIONS.items() if s.kind == "names"}


@pytest.mark.parametrize("form", ["string", "list"])
@pytest.mark.parametrize("key", sorted(REPEATABLE_DEFAULTS))
def test_a_repeatable_default_as_a_string_or_a_list_is_the_option_given(
    run, tmp_path, monkeypatch, key, form
):
    """``key = "A"`` is ``--key A``; ``key = ["A", "B"]`` is ``--key A --key B``: the
    same document, in ``[defaults]`` and in ``[defaults.COMMAND]``."""
    command, one, two, extra = REPEATABLE_DEFAULTS[key]
    values = [one] if form == "string" else two
    toml_value = json.dumps(one if form == "string" else two, ensure_ascii=False)
    option = "--" + key.replace("_", "-")
    common = (command, SAMPLE, "--as-of", "2024-06-30", *extra)
    given = _json(run, *common, "--no-config", *[w for v in values for w in (option, v)])
    for section in ("defaults", f"defaults.{command}"):
        _in(tmp_path, monkeypatch, f"[{section}]\n{key} = {toml_value}\n")
        assert _json(run, *common) == given, section
    assert _json(run, *common, "--no-config") != given  # the option changes the result


def test_the_rejected_rows_hint_of_a_workbook_repeats_sheet_formats_and_columns(run, tmp_path):
    """A per-project sheet, its header on row 2, named columns, a date format and a
    placeholder: the hint's command reads the same rows and finds the rejected one."""
    import openpyxl

    rows = [
        ("A-1", "03.01.2023", "13.01.2023"),
        ("A-2", "05.01.2023", "pending"),
        ("A-3", "07.01.2023", "31.02.2023"),  # no such day: rejected
        ("A-4", "09.01.2023", "19.02.2023"),
    ]
    book = openpyxl.Workbook()
    book.active.title = "cover"
    book.active.append(["Exported for the zone office"])
    sheet = book.create_sheet("export")
    sheet.append(["Approvals, January"])
    sheet.append(["Permit No", "Got land", "Permit date"])
    for row in rows:
        sheet.append(list(row))
    path = tmp_path / "permits.xlsx"
    book.save(path)
    options = [
        "--sheet", "export", "--header-row", "2", "--date-format", "%d.%m.%Y",
        "--missing-value", "pending", "--project", "Permit No",
        "--stage", "land_acquisition=Got land", "--stage", "construction_permit=Permit date",
    ]  # fmt: skip
    result = run("summary", path, *options, "--as-of", "2024-06-30", "--max-rejected", "1")
    hint = next(line for line in result.stderr.splitlines() if "see them with: " in line)
    words = shlex.split(hint.split("see them with: ", 1)[1])
    assert words[:3] == ["etown", "validate", str(path)]
    assert sorted(words[3:]) == sorted(options)
    document = json.loads(run(*words[1:], "--json", expect=1).stdout)

    def day(text: str) -> date | None:
        try:
            return datetime.strptime(text, "%d.%m.%Y").date()
        except ValueError:
            return None

    bad = [i for i, row in enumerate(rows) if row[2] != "pending" and day(row[2]) is None]
    assert document["stats"]["errors"] == len(bad) == 1
    assert [e["row"] for e in document["errors"]] == [3 + i for i in bad]  # sheet rows
    measured = _json(run, "summary", path, *options, "--as-of", "2024-06-30", "--max-rejected", "1")
    complete = [(day(e) - day(s)).days for _, s, e in rows if e != "pending" and day(e)]
    assert measured["projects"]["complete"] == len(complete) == 2
    assert measured["days"]["median"] == statistics.median(complete)
