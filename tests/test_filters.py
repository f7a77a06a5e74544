"""Row filters (where), ignored events, withdrawn outcomes and the stage-date choice,
at library level: every read row is used, rejected, filtered or ignored."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etown_approvals.config import load_config
from etown_approvals.errors import ConfigError, EtownError, ExitCode, NoUsableRowsError
from etown_approvals.filters import (
    FilterColumnError,
    FilterError,
    FilterRegexError,
    FilterSyntaxError,
    load_rules,
    parse,
)
from etown_approvals.loader import LoadResult, load
from etown_approvals.metrics import MetricOptions, project_table, summarize
from etown_approvals.validation import validate

AS_OF = date(2024, 1, 1)

LONG = """project,event,date,zone,status
A,land acquisition,2023-01-01,North,Active
A,construction permit,2023-01-11,North,Active
B,land acquisition,2023-02-01,South, withdrawn
B,site inspection,2023-02-03,South,withdrawn
C,land acquisition,2023-03-01,north,Active
C,construction permit,2023-03-01,north,Active
C,Site  Inspection,not a date,north,Active
D,land acquisition,2023-04-01,South,Cancelled
D,construction permit,2023-05-01,South,Cancelled
E,land acquisition,2023-05-01,East,Active
E,construction permit,2023-13-45,East,Active
"""


def write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def accounted(loaded: LoadResult) -> bool:
    return loaded.rows_read == (
        loaded.rows_used + loaded.rows_rejected + loaded.rows_filtered + loaded.rows_ignored
    )


def table(loaded: LoadResult) -> pd.DataFrame:
    return project_table(
        loaded.events,
        loaded.stages,
        options=MetricOptions(as_of=AS_OF),
        withdrawn=loaded.withdrawn,
    )


# -- parsing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "operator", "value"),
    [
        ("zone=North", "zone", "=", "North"),
        (" zone = North ", "zone", "=", "North"),
        ("Permit Type!=Demolition", "Permit Type", "!=", "Demolition"),
        ("status~^(cancel|withdr)", "status", "~", "^(cancel|withdr)"),
        ("status!~cancel", "status", "!~", "cancel"),
        ("note=a=b", "note", "=", "a=b"),  # the first operator splits
        ("zone=", "zone", "=", ""),  # equal to the empty cell
    ],
)
def test_parse(text, column, operator, value):
    parsed = parse(text)
    assert (parsed.column, parsed.operator, parsed.value) == (column, operator, value)


@pytest.mark.parametrize(
    ("text", "error", "says"),
    [
        ("zone", FilterSyntaxError, "no operator"),
        ("=North", FilterSyntaxError, "no column"),
        ("  !~x", FilterSyntaxError, "no column"),
        ("status~", FilterSyntaxError, "no regular expression"),
        ("status~(unclosed", FilterRegexError, "bad regular expression"),
        ("status~(?<=look)behind", FilterRegexError, "RE2"),
    ],
)
def test_bad_expressions_are_usage_errors(text, error, says):
    with pytest.raises(error) as raised:
        parse(text)
    assert says in str(raised.value)
    assert raised.value.exit_code == ExitCode.USAGE
    assert isinstance(raised.value, EtownError) and isinstance(raised.value, ValueError)


def test_unknown_column_lists_the_columns(tmp_path):
    with pytest.raises(FilterColumnError) as raised:
        load(write(tmp_path, LONG), where=["Zoning=North"])
    message = str(raised.value)
    assert "no column 'Zoning'" in message
    assert "'project', 'event', 'date', 'zone', 'status'" in message
    assert raised.value.exit_code == ExitCode.USAGE


def test_bad_expression_fails_before_the_file_is_read(tmp_path):
    with pytest.raises(FilterSyntaxError):
        load(tmp_path / "does-not-exist.csv", where=["zone"])


# -- where --------------------------------------------------------------------


def test_where_filters_rows_neither_used_nor_rejected(tmp_path):
    path = write(tmp_path, LONG)
    everything = load(path)
    loaded = load(path, where=["zone!=south"])  # case-insensitive, trimmed
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    south = raw["zone"].str.strip().str.lower() == "south"
    assert loaded.rows_filtered == south.sum() == 4
    assert loaded.rows_read == everything.rows_read == len(raw)
    assert accounted(loaded)
    # Filtered rows are not checked: B's "site inspection" (unknown event) is not rejected.
    assert set(loaded.rejected["row"]) == {8, 12}  # C's bad date, E's impossible date
    assert set(everything.rejected["row"]) == {5, 8, 12}
    assert set(table(loaded).index) == {"A", "C", "E"}


def test_where_conditions_must_all_hold(tmp_path):
    loaded = load(write(tmp_path, LONG), where=["zone~^north$", "project!~c"])
    assert set(loaded.events["project"]) == {"A"}
    assert loaded.rows_filtered == 9
    assert accounted(loaded)


def test_regex_ignores_case_unless_told(tmp_path):
    path = write(tmp_path, LONG)
    assert load(path, where=["zone~NORTH"]).rows_filtered == 6
    assert load(path, where=["zone~(?-i)north"]).rows_filtered == 8  # "North" rows fail too
    with pytest.raises(NoUsableRowsError, match="11 filtered out"):
        load(path, where=["zone~(?-i)NORTH"]).require_rows()


def test_blank_rows_are_not_counted_as_filtered(tmp_path):
    loaded = load(write(tmp_path, LONG + ",,,,\n"), where=["zone=North"])
    assert loaded.rows_blank == 1
    assert loaded.rows_filtered == 6
    assert accounted(loaded)


def test_wide_files_are_filtered_too(tmp_path):
    text = (
        "project,land_acquisition_date,construction_permit_date,type\n"
        "A,2023-01-01,2023-01-05,new\n"
        "B,2023-01-01,2023-02-05,repair\n"
        "C,2023-01-01,bad,repair\n"
    )
    loaded = load(write(tmp_path, text), where=["type=new"])
    assert (loaded.rows_read, loaded.rows_filtered, loaded.rows_rejected) == (3, 2, 0)
    assert summarize(table(loaded))["projects"]["total"] == 1


def test_validate_and_loader_agree_with_filters(tmp_path):
    path = write(tmp_path, LONG)
    options = {"where": ["zone!=south"], "ignore_events": ["site inspection"]}
    loaded = load(path, **options)
    checked = validate(path, **options)
    assert checked.rows == loaded.rows_read
    error_rows = set(checked.errors["row"].dropna())
    assert error_rows == set(loaded.rejected["row"]) == {12}  # C's bad date is an ignored event
    assert accounted(loaded)


# -- ignored events -------------------------------------------------------------


def test_ignored_events_are_counted_not_rejected(tmp_path):
    path = write(tmp_path, LONG)
    loaded = load(path, ignore_events=["SITE inspection"])  # case/space-insensitive
    assert loaded.rows_ignored == 2
    assert "unknown-event" not in set(loaded.rejected["type"])
    # The ignored row's bad date is not checked either: only E's impossible date is left.
    assert set(loaded.rejected["row"]) == {12}
    assert accounted(loaded)


def test_unlisted_unknown_events_are_still_rejected(tmp_path):
    loaded = load(write(tmp_path, LONG), ignore_events=["permit fee paid"])
    assert loaded.rows_ignored == 0
    assert {5, 8} <= set(loaded.rejected["row"])


def test_a_stage_name_cannot_be_ignored(tmp_path):
    with pytest.raises(FilterError, match="is a name of stage 'land_acquisition'"):
        load(write(tmp_path, LONG), ignore_events=["Land"])


def test_wide_files_have_no_events_to_ignore(tmp_path):
    text = "project,land_acquisition_date,construction_permit_date\nA,2023-01-01,2023-01-05\n"
    loaded = load(write(tmp_path, text), ignore_events=["inspection"])
    assert loaded.rows_ignored == 0
    assert any("ignored events apply to long files" in note for note in loaded.notes)


# -- withdrawn outcomes ---------------------------------------------------------


def test_withdrawn_projects_without_the_end_stage(tmp_path):
    loaded = load(write(tmp_path, LONG), withdrawn=["status=withdrawn", "status~cancel"])
    projects = table(loaded)
    status = projects["status"].astype(str).to_dict()
    assert status["B"] == "withdrawn"  # no construction permit, a matching row
    assert status["D"] == "complete"  # cancelled after its permit: stays complete
    assert status["A"] == "complete"
    assert projects.loc["B", "waiting_days"] is pd.NA
    summary = summarize(projects)["projects"]
    counted = summary["complete"] + summary["open"] + summary["invalid"]
    assert summary["total"] - counted == summary["withdrawn"] == 1


def test_withdrawn_is_marked_by_ignored_rows_but_not_by_filtered_ones(tmp_path):
    text = (
        "project,event,date\n"
        "A,land,2023-01-01\nA,Withdrawn,2023-03-01\n"
        "B,land,2023-01-01\nB,withdrawn,2023-03-01\n"
    )
    path = write(tmp_path, text)
    loaded = load(path, ignore_events=["withdrawn"], withdrawn=["event=withdrawn"])
    assert loaded.rows_ignored == 2
    assert table(loaded)["status"].astype(str).to_dict() == {"A": "withdrawn", "B": "withdrawn"}
    loaded = load(
        path, ignore_events=["withdrawn"], withdrawn=["event=withdrawn"], where=["project!=B"]
    )
    assert loaded.rows_filtered == 2
    assert table(loaded)["status"].astype(str).to_dict() == {"A": "withdrawn"}


def test_without_expressions_nothing_is_withdrawn(tmp_path):
    loaded = load(write(tmp_path, LONG))
    assert loaded.withdrawn is None
    assert "withdrawn" not in set(table(loaded)["status"].astype(str))


def test_a_project_without_start_that_was_withdrawn_is_still_invalid(tmp_path):
    """No start date: invalid whatever the outcome column says (the status rule)."""
    text = "project,event,date,note\nA,construction permit,2023-01-01,\nB,planning,2023-01-01,withdrawn\n"
    loaded = load(write(tmp_path, text), withdrawn=["note=withdrawn"])
    assert table(loaded)["status"].astype(str).to_dict() == {"A": "invalid", "B": "invalid"}


# -- several dates for one stage --------------------------------------------------


def test_stage_date_earliest_or_latest(tmp_path):
    text = (
        "project,land_acquisition_date,construction_permit_date\n"
        "A,2023-01-01,2023-01-10\n"
        "A,2023-01-05,2023-02-01\n"
    )
    loaded = load(write(tmp_path, text))
    earliest = project_table(loaded.events, loaded.stages, options=MetricOptions(as_of=AS_OF))
    latest = project_table(
        loaded.events, loaded.stages, options=MetricOptions(as_of=AS_OF, stage_date="latest")
    )
    assert earliest.loc["A", "days"] == 9
    assert latest.loc["A", "days"] == 27
    assert latest.loc["A", "duplicate_stage"]  # still flagged


# -- configuration ----------------------------------------------------------------

CONFIG = """
[stages]
land_acquisition = ["land"]
construction_permit = ["construction permit"]
"""


def test_config_sections(tmp_path):
    path = write(
        tmp_path,
        CONFIG
        + '[filter]\nwhere = ["zone!=south"]\n'
        + '[outcomes]\nwithdrawn = ["status=withdrawn"]\n'
        + '[ignore]\nevents = ["site inspection"]\n'
        + '[metric]\nstage_date = "latest"\n',
        "etown.toml",
    )
    rules = load_rules(path)
    assert [f.text for f in rules.where] == ["zone!=south"]
    assert [f.text for f in rules.withdrawn] == ["status=withdrawn"]
    assert rules.ignore_events == ("site inspection",)
    assert rules.stage_date == "latest"
    assert load_config(path).stages == ("land_acquisition", "construction_permit")


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ('[filter]\nwhere = ["zone"]\n', "filter.where: 'zone': no operator"),
        ('[outcomes]\nwithdrawn = ["status~("]\n', "outcomes.withdrawn: 'status~(': bad regular"),
        ("[filter]\nwhere = 3\n", "filter.where must be a list of non-empty strings"),
        ('[filter]\nrows = ["a=b"]\n', "unknown key filter.rows"),
        ('[ignore]\nevent = ["x"]\n', "unknown key ignore.event"),
        ('[metric]\nstage_date = "middle"\n', "metric.stage_date must be one of earliest, latest"),
        ('[status]\nx = "y"\n', "unknown section [status]"),
    ],
)
def test_config_errors_name_the_key(tmp_path, section, says):
    path = write(tmp_path, CONFIG + section, "etown.toml")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert says in str(raised.value)
    assert raised.value.exit_code == ExitCode.BAD_CONFIG


def test_config_column_errors_are_config_errors(tmp_path):
    config = write(tmp_path, CONFIG + '[filter]\nwhere = ["Zoning=North"]\n', "etown.toml")
    rules = load_rules(config)
    with pytest.raises(ConfigError, match=r"filter\.where: 'Zoning=North': no column 'Zoning'"):
        load(write(tmp_path, LONG), where=rules.where)


# -- every row accounted for, whatever the filters ----------------------------------

values = st.sampled_from(["A", "B", "north", " North ", "", "land", "construction permit", "x"])
dates = st.sampled_from(["2023-01-01", "2023-02-30", "", "2023/3/1", "soon"])
expressions = st.lists(
    st.tuples(
        st.sampled_from(["project", "event", "zone"]),
        st.sampled_from(["=", "!=", "~", "!~"]),
        st.sampled_from(["A", "north", "^n", "land", "x|B"]),
    ).map("".join),
    max_size=2,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(values, values, dates, values), max_size=12),
    expressions,
    st.lists(st.sampled_from(["x", "X ", "other"]), max_size=2),
    expressions,
)
def test_every_row_is_used_rejected_filtered_or_ignored(rows, where, ignore, withdrawn):
    text = "project,event,date,zone\n" + "".join(",".join(r) + "\n" for r in rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        path.write_text(text, encoding="utf-8")
        try:
            loaded = load(path, where=where, ignore_events=ignore, withdrawn=withdrawn)
        except EtownError:
            return
    assert accounted(loaded)
    used_rows = set(loaded.events["row"])
    assert len(used_rows) == loaded.rows_used
    assert used_rows.isdisjoint(set(loaded.rejected["row"]))
    if loaded.withdrawn is not None:
        assert len(loaded.withdrawn) == len(loaded.events["project"].cat.categories)


# -- the command line: usage errors and configuration errors, as documented -------------


@pytest.mark.parametrize("option", ["--where", "--withdrawn"])
@pytest.mark.parametrize("text", ["zone", "=North", "status~(unclosed"])
def test_a_malformed_option_expression_is_a_usage_error(run, tmp_path, option, text):
    result = run("summary", write(tmp_path, LONG), option, text, "--no-config", expect=2)
    assert result.stderr.startswith(f"etown: error: {option} {text!r}: ")
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1


def test_a_configured_expression_naming_no_column_is_a_configuration_error(
    run, tmp_path, monkeypatch
):
    """Found in the working directory or given with --config, the rule's errors name the
    file and key (exit 5), as the README says; hints do not repeat it as --where."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, CONFIG + '[filter]\nwhere = ["Zoning=North"]\n', "etown.toml")
    path = write(tmp_path, LONG)
    for extra in ([], ["--config", str(tmp_path / "etown.toml")]):
        result = run("summary", path, *extra, expect=5)
        assert "etown.toml: filter.where: 'Zoning=North': no column 'Zoning'" in result.stderr
    write(tmp_path, CONFIG + '[filter]\nwhere = ["zone~^s"]\n', "etown.toml")
    # (most rows left are unknown events: no result, and a hint to see them)
    result = run("summary", path, "--config", str(tmp_path / "etown.toml"), "--json", expect=4)
    assert "see them with: etown validate" in result.stderr and "--config" in result.stderr
    assert "--where" not in result.stderr


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ('[filter]\nwhere = ["zone=North"]\n', "filter.where = ['zone=North']"),
        ('[outcomes]\nwithdrawn = ["status~withdrawn"]\n', "outcomes.withdrawn"),
        ('[ignore]\nevents = ["site inspection"]\n', "ignore.events = ['site inspection']"),
    ],
)
def test_a_discovered_configuration_that_decides_rows_is_named_even_when_quiet(
    run, tmp_path, monkeypatch, section, key
):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "[defaults]\nquiet = true\n" + section, "etown.toml")
    path = write(tmp_path, LONG)
    note = (
        f"etown: note: etown.toml, found in the working directory, decides which rows count: {key}"
    )
    for extra in ([], ["--quiet"]):
        result = run("summary", path, "--json", *extra)
        assert result.stderr.startswith(note)
        assert result.stderr.rstrip("\n").endswith("(--no-config reads without it)")
        assert len(result.stderr.splitlines()) == 1
    # Followed: without it, every row counts again.
    everything = run("summary", path, "--json", "--no-config")
    assert everything.stderr.count("etown.toml") == 0
    whole, ruled = json.loads(everything.stdout), json.loads(result.stdout)
    assert (whole["rows"]["filtered"], whole["rows"]["ignored"]) == (0, 0)
    assert whole["projects"].get("withdrawn", 0) == 0
    assert ruled != whole
    # Named on purpose with --config: no note.
    given = run("summary", path, "--json", "--config", str(tmp_path / "etown.toml"))
    assert "found in the working directory" not in given.stderr


def test_a_discovered_configuration_without_rules_is_not_named(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "[defaults]\nquiet = true\n", "etown.toml")
    result = run("summary", write(tmp_path, LONG), "--json")
    assert result.stderr == ""
