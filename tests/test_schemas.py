"""The JSON Schemas shipped in the package: valid, complete, strict, and true of the outputs."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from etown_approvals import findings, metrics
from etown_approvals.checks import THRESHOLDS
from etown_approvals.errors import ExitCode
from etown_approvals.results import SCHEMA_VERSION
from etown_approvals.schemas import NAMES, UnknownSchemaError, schema, schema_text

from .conftest import FIXTURES, ROOT, SAMPLE
from .schema_check import assert_matches_schema, check_cli_output, output_format

README = "\n".join(
    p.read_text(encoding="utf-8")
    for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
)


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_draft_2020_12(name):
    document = schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)
    assert json.loads(schema_text(name)) == document
    assert (ROOT / "etown_approvals" / "schemas" / f"{name}.json").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_etown_schema_prints_every_schema(run, name):
    assert json.loads(run("schema", name).stdout) == schema(name)


def test_every_schema_command_in_the_readme_works(run):
    named = set(re.findall(r"`etown schema (\w+)`", README))
    assert "compare" in named
    for name in named - {"COMMAND"}:
        assert json.loads(run("schema", name).stdout)["title"] == f"etown {name}"


def test_schema_returns_a_fresh_copy():
    schema("summary")["title"] = "changed"
    assert schema("summary")["title"] == "etown summary"


def test_unknown_schema_is_a_usage_error():
    with pytest.raises(
        UnknownSchemaError, match=r"no JSON schema for 'report'; schemas: summary, "
    ) as caught:
        schema("report")
    assert caught.value.exit_code == ExitCode.USAGE


def test_schema_version_matches_the_documents():
    for name in ("summary", "stages", "trend", "validate", "check"):
        assert schema(name)["properties"]["schema_version"] == {
            "const": SCHEMA_VERSION,
            "description": "raised when a key is removed or changes meaning",
        }


def test_enumerations_follow_the_code():
    validate = schema("validate")["$defs"]["finding"]["properties"]
    assert validate["type"]["enum"] == list(findings.REGISTRY)
    project = schema("projects")["$defs"]["project"]["properties"]
    assert project["status"]["enum"] == list(metrics.STATUSES)
    assert project["flags"]["items"]["enum"] == list(metrics.FLAGS)
    check = schema("check")["$defs"]["check"]["properties"]
    assert check["check"]["enum"] == [t.name for t in THRESHOLDS]


# -- every command on the sample, with each option that changes the document ----------

RUNS = [
    ["summary"],
    ["summary", "--group-by", "zone"],
    ["summary", "--group-by", "sector", "--since", "2021-01-01", "--until", "2023-12-31"],
    ["summary", "--days", "workdays"],
    ["summary", "--days", "workdays", "--calendar", "US", "--target-workdays", "120"],
    ["summary", "--target-workdays", "60", "--group-by", "zone"],
    ["summary", "--fast-track-days", "30", "--as-of", "2024-12-31"],
    ["summary", "--since", "2030-01-01"],  # nothing in the window: nulls everywhere
    ["summary", "--from-stage", "project_approval", "--to-stage", "planning_permit"],
    ["stages"],
    ["stages", "--group-by", "zone"],
    ["stages", "--days", "workdays", "--since", "2022-01-01"],
    ["trend"],
    ["trend", "--by", "quarter", "--group-by", "zone"],
    ["trend", "--by", "month", "--days", "workdays", "--until", "2022-12-31"],
    ["projects"],
    ["projects", "--status", "open", "--as-of", "2025-01-01"],
    ["projects", "--flag", "same_day", "--sort", "days", "--desc", "--limit", "3"],
    ["projects", "--days", "workdays", "--since", "2023-01-01"],
    ["validate"],
    ["validate", "--limit-errors", "1"],
    ["validate", "--warnings-as-errors"],
    ["check", "--max-median-days", "60", "--min-same-day-share", "0.05", "--max-open", "4"],
    [
        "check",
        *("--max-median-days", "30", "--max-p90-days", "100", "--min-same-day-share", "0.5"),
        *("--min-fast-track-share", "0.1", "--max-open", "0", "--max-rejected-rows", "0"),
        *("--max-workdays", "120"),
    ],
    ["check", "--max-workdays", "30", "--days", "workdays", "--as-of", "2024-12-31"],
]


@pytest.mark.parametrize(
    ("fmt", "args"),
    [
        (fmt, args)
        for fmt in ("json", "ndjson")
        for args in RUNS
        if fmt == "json" or args[0] not in ("summary", "check")  # no NDJSON for these
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_sample_outputs_match_their_schema(run, args, fmt):
    command = args[0]
    # The sample has deliberate errors; only the first check's limits are met.
    fails = command == "validate" or (command == "check" and args != RUNS[-3])
    result = run(command, SAMPLE, *args[1:], "--format", fmt, expect=1 if fails else 0)
    # The run fixture validated it already; validate again here, so this test fails
    # on its own if the fixture ever stops doing so.
    assert check_cli_output([command, "--format", fmt], result) >= (1 if fmt == "json" else 0)
    if fmt == "json":
        assert_matches_schema(command, json.loads(result.stdout))


def test_stdin_source_matches(run):
    result = run("summary", "-", "--json", input=SAMPLE.read_bytes())
    assert json.loads(result.stdout)["source"] == "<stdin>"
    assert check_cli_output(["summary", "--json"], result) == 1


BAD_FILES = sorted(p for p in (FIXTURES / "bad").glob("*") if p.name != "expected.json")


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.name)
def test_validate_of_every_bad_file_matches(run, path):
    expected = json.loads((path.parent / "expected.json").read_text(encoding="utf-8"))
    result = run("validate", path, "--json", expect=expected[path.name]["validate_exit"])
    assert_matches_schema("validate", json.loads(result.stdout))


def test_readme_summary_example_matches():
    readme = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    start = readme.index("$ etown summary data/projects.csv --json -q\n") + len(
        "$ etown summary data/projects.csv --json -q\n"
    )
    example = json.loads(readme[start : readme.index("```", start)])
    assert_matches_schema("summary", example)


def test_output_format_is_read_like_click():
    assert output_format(["summary", "x", "--json"]) == "json"
    assert output_format(["summary", "x", "-f", "ndjson"]) == "ndjson"
    assert output_format(["summary", "x", "--format=csv"]) == "csv"
    assert output_format(["summary", "x"]) is None


# -- the schemas catch what they are for ----------------------------------------------


@pytest.fixture(scope="module")
def documents() -> dict[str, Any]:
    from click.testing import CliRunner

    from etown_approvals.cli import cli

    def get(*args: str) -> Any:
        return json.loads(CliRunner().invoke(cli, [*args, "--json", "-q"]).stdout)

    return {
        "summary": get("summary", str(SAMPLE), "--group-by", "zone", "--target-workdays", "90"),
        "stages": get("stages", str(SAMPLE)),
        "trend": get("trend", str(SAMPLE), "--group-by", "zone"),
        "projects": get("projects", str(SAMPLE)),
        "timeline": get("timeline", str(SAMPLE), "--as-of", "2024-06-30", "--limit", "5"),
        "validate": get("validate", str(SAMPLE)),
        "check": get("check", str(SAMPLE), "--max-open", "3", "--max-workdays", "100"),
    }


def _rename(key: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(node: dict[str, Any]) -> None:
        node[new] = node.pop(key)

    return change


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(node: dict[str, Any]) -> None:
        node[key] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def change(node: dict[str, Any]) -> None:
        del node[key]

    return change


MUTATIONS = [
    ("summary", [], _set("schema_version", 1)),
    ("summary", [], _rename("same_day", "sameday")),
    ("summary", [], _drop("rows")),
    ("summary", ["rows"], _rename("rejected", "invalid")),
    ("summary", ["rows"], _set("used", -1)),
    ("summary", ["days"], _set("median", "49")),
    ("summary", ["days"], _set("count", None)),
    ("summary", ["days"], _set("stdev", 3.2)),
    ("summary", ["metric"], _set("unit", "days")),
    ("summary", ["metric"], _set("calendar", "CN")),  # only with workdays
    ("summary", ["same_day"], _set("share", 1.5)),
    ("summary", ["target"], _drop("over")),
    ("summary", [], _drop("groups")),  # group_by without groups
    ("summary", ["groups", 0], _drop("group")),
    ("summary", ["groups", 0, "days"], _set("mean", True)),
    ("stages", ["transitions", 0], _rename("from", "start")),
    ("stages", ["transitions", 0], _set("group", "Core Area")),  # not grouped
    ("stages", ["transitions", 0], _set("count", 2.5)),
    ("trend", ["periods", 0], _drop("group")),  # grouped
    ("trend", ["periods", 0], _set("period", "2023 Q1")),
    ("trend", [], _set("by", "week")),
    ("projects", ["projects", 0], _set("status", "closed")),
    ("projects", ["projects", 0], _set("flags", ["same-day"])),
    ("projects", ["projects", 0], _drop("waiting_days")),
    ("projects", ["projects", 0], _set("zone", 3)),
    ("projects", [], _drop("source")),
    ("timeline", [], _drop("schema_version")),
    ("timeline", [], _drop("total")),
    ("timeline", [], _set("shown", -1)),
    ("timeline", ["projects", 0], _set("status", "closed")),
    ("validate", [], _set("valid", "no")),
    ("validate", ["errors", 0], _set("type", "bad-date")),
    ("validate", ["errors", 0], _set("row", 0)),
    ("validate", ["errors", 0], _set("severity", "error")),  # the list says it
    ("validate", ["stats"], _drop("warnings")),
    ("check", ["checks", 0], _set("check", "max_mean_days")),
    ("check", ["checks", 0], _set("limit", None)),
    ("check", ["checks", 0], _set("target_workdays", 100)),  # only for max_workdays
    ("check", ["checks", 1], _drop("target_workdays")),
    ("check", ["summary"], _drop("projects")),
]


@pytest.mark.parametrize(("name", "path", "change"), MUTATIONS)
def test_a_changed_document_fails(documents, name, path, change):
    document = copy.deepcopy(documents[name])
    assert_matches_schema(name, document)  # the original passes
    node = document
    for step in path:
        node = node[step]
    change(node)
    with pytest.raises(AssertionError, match="does not match its schema"):
        assert_matches_schema(name, document)
