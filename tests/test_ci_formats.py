"""CI formats: GitHub workflow commands, JUnit XML, Markdown job summaries."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import given
from hypothesis import strategies as st

from etown_approvals import results as reports
from etown_approvals.analysis import analyze
from etown_approvals.checks import evaluate
from etown_approvals.findings import REGISTRY
from etown_approvals.formats import OutputOptions, UnsupportedFormatError, github, junit, markdown
from etown_approvals.kinds import Kind
from etown_approvals.options import Selection
from etown_approvals.results import Result
from etown_approvals.validation import validate

from .conftest import FIXTURES, ROOT, assert_golden

JUNIT_XSD = FIXTURES / "junit" / "junit.xsd"
MODULES = {"github": github, "junit": junit, "markdown": markdown}
ALL_KINDS = ("summary", "projects", "stages", "trend", "timeline", "validate", "check")


@pytest.fixture
def sample(monkeypatch: pytest.MonkeyPatch) -> str:
    """The sample, named relative to the repository (as golden files show it)."""
    monkeypatch.chdir(ROOT)
    return "data/projects.csv"


def rendered(module: Any, result: Result) -> str:
    out = io.StringIO()
    module.render(result, out, OutputOptions())
    return out.getvalue()


def check_result(path: str, limits: dict[str, float]) -> Result:
    """What `etown check PATH` with these limits produces (the target comes from max_workdays)."""
    from etown_approvals.metrics import MetricOptions

    target = limits.get("max_workdays")
    analysis = analyze(
        path, options=MetricOptions(target_workdays=None if target is None else int(target))
    )
    summary = reports.summary(analysis).document
    return reports.check(analysis, evaluate(summary, limits), summary)


FAILING = {"max_median_days": 30, "max_open": 5, "min_same_day_share": 0.5, "max_workdays": 100}


# -- which formats render what ---------------------------------------------------------


def test_kinds_declared():
    assert github.KINDS == junit.KINDS == {"validate", "check"}
    assert frozenset(Kind) == markdown.KINDS  # every command writes Markdown


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        (name, kind)
        for name, module in MODULES.items()
        for kind in ALL_KINDS
        if kind not in module.KINDS
    ],
)
def test_kinds_not_declared_are_refused(name, kind):
    module = MODULES[name]
    with pytest.raises(UnsupportedFormatError, match=f"{kind} output has no {name} format"):
        module.render(Result(kind=kind, content={}), io.StringIO(), OutputOptions())


# -- golden outputs ----------------------------------------------------------------------


def test_github_golden(sample):
    assert_golden(
        "github_validate_sample.txt", rendered(github, reports.validation(validate(sample)))
    )
    assert_golden("github_check_sample.txt", rendered(github, check_result(sample, FAILING)))


def test_junit_golden(sample):
    assert_golden(
        "junit_validate_sample.xml", rendered(junit, reports.validation(validate(sample)))
    )
    assert_golden("junit_check_sample.xml", rendered(junit, check_result(sample, FAILING)))


def test_markdown_golden(sample):
    from etown_approvals.metrics import MetricOptions

    analysis = analyze(sample)
    targeted = analyze(sample, options=MetricOptions(target_workdays=120))
    windowed = analyze(
        sample,
        options=MetricOptions(unit="workdays"),
        selection=Selection(since=date(2021, 1, 1)),
    )
    assert_golden("markdown_summary_sample.md", rendered(markdown, reports.summary(analysis)))
    assert_golden(
        "markdown_summary_by_zone.md",
        rendered(markdown, reports.summary(targeted, group_by="zone")),
    )
    assert_golden("markdown_summary_workdays.md", rendered(markdown, reports.summary(windowed)))
    assert_golden("markdown_stages_sample.md", rendered(markdown, reports.stages(analysis)))
    assert_golden(
        "markdown_stages_by_zone.md", rendered(markdown, reports.stages(analysis, group_by="zone"))
    )
    assert_golden("markdown_trend_sample.md", rendered(markdown, reports.trend(analysis)))
    assert_golden(
        "markdown_trend_by_zone.md",
        rendered(markdown, reports.trend(analysis, by="quarter", group_by="zone")),
    )
    assert_golden("markdown_check_sample.md", rendered(markdown, check_result(sample, FAILING)))
    assert_golden(
        "markdown_check_passed.md", rendered(markdown, check_result(sample, {"max_open": 4}))
    )


# -- GitHub workflow commands, parsed by the documented grammar ------------------------

# ::NAME[ KEY=VALUE[,KEY=VALUE]...]::MESSAGE, as @actions/core writes them: a property
# value has no raw ":" "," CR LF; a message no raw CR LF; "%" only in an escape.
PROPERTY_VALUE = r"(?:[^%,:\r\n]|%(?:25|0D|0A|3A|2C))*"
MESSAGE = r"(?:[^%\r\n]|%(?:25|0D|0A))*"
KEYS = ("title", "file", "line", "endLine", "col", "endColumn")
COMMAND = re.compile(
    rf"^::(?P<name>error|warning|notice)"
    rf"(?: (?P<properties>(?:{'|'.join(KEYS)})={PROPERTY_VALUE}"
    rf"(?:,(?:{'|'.join(KEYS)})={PROPERTY_VALUE})*))?"
    rf"::(?P<message>{MESSAGE})$"
)


def unescape(text: str) -> str:
    """GitHub's decoding of a workflow command's message or property value."""
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse(output: str) -> list[dict[str, Any]]:
    """Each line as {name, properties, message}, decoded; fails on a line off the grammar."""
    assert output.endswith("\n")
    commands = []
    for line in output[:-1].split("\n"):
        match = COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        properties = {}
        for pair in (match["properties"] or "").split(","):
            if pair:
                key, value = pair.split("=", 1)
                assert key not in properties
                properties[key] = unescape(value)
        if "line" in properties:
            assert properties["line"].isdigit()
        commands.append(
            {"name": match["name"], "properties": properties, "message": unescape(match["message"])}
        )
    return commands


def test_github_validate_lines_follow_the_grammar(sample):
    document = reports.validation(validate(sample)).document
    commands = parse(rendered(github, Result(kind="validate", content=document)))
    errors = [c for c in commands if c["name"] == "error"]
    warnings = [c for c in commands if c["name"] == "warning"]
    assert len(errors) == document["stats"]["errors"] == 5
    assert len(warnings) == document["stats"]["warnings"] == 4
    # Lines and types as the file has them (row 77: 2023-02-30, row 80: 环评批复, row 113: no name).
    assert [c["properties"].get("line") for c in errors] == ["77", "80", "113", None, None]
    assert errors[0]["properties"]["title"] == "etown validate: invalid-date"
    assert all(c["properties"]["file"] == sample for c in commands)
    assert (
        commands[-1]["name"] == "notice"
        and "not valid - 5 errors, 4 warnings" in commands[-1]["message"]
    )


def test_github_check_lines(sample):
    commands = parse(rendered(github, check_result(sample, FAILING)))
    assert [(c["name"], c["properties"]["title"]) for c in commands] == [
        ("error", "etown check: max_median_days"),
        ("error", "etown check: min_same_day_share"),
        ("notice", "etown check: max_open"),
        ("error", "etown check: max_workdays"),
    ]
    assert commands[0]["message"] == "FAIL: days.median 49 (limit <= 30)"


def test_github_escapes_hostile_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "permits, 2024: 100% final.csv"
    Path(name).write_text(
        'project,event,date\n"50% plot\r\nnorth, phase:2",land,2023-02-30\n'
        '"50% plot\r\nnorth, phase:2",construction permit,2023-03-01\n',
        encoding="utf-8",
    )
    output = rendered(github, reports.validation(validate(name)))
    commands = parse(output)
    assert commands[0]["properties"] == {
        "file": name,
        "line": "2",
        "title": "etown validate: invalid-date",
    }
    assert commands[0]["message"].startswith("50% plot\r\nnorth, phase:2, date = '2023-02-30'")
    # The exact escaping GitHub documents.
    assert output.splitlines()[0].startswith(
        "::error file=permits%2C 2024%3A 100%25 final.csv,line=2,"
        "title=etown validate%3A invalid-date::50%25 plot%0D%0Anorth, phase:2, "
    )


@given(st.text())
def test_escaping_round_trips(text):
    assert unescape(github.escape_data(text)) == text
    assert unescape(github.escape_property(text)) == text
    assert re.fullmatch(MESSAGE, github.escape_data(text))
    assert re.fullmatch(PROPERTY_VALUE, github.escape_property(text))


def test_command_without_properties():
    assert github.command("warning", "a\nb") == "::warning::a%0Ab"
    assert github.command("error", "m", {"file": None, "line": 3}) == "::error line=3::m"


def test_github_stdin_has_no_file():
    document = {
        "schema_version": 1,
        "source": "<stdin>",
        "passed": False,
        "checks": [
            {
                "check": "max_open",
                "measure": "projects.open",
                "bound": "max",
                "limit": 0,
                "value": 2,
                "passed": False,
            }
        ],
        "summary": {},
    }
    assert parse(rendered(github, Result(kind="check", content=document)))[0]["properties"] == {
        "title": "etown check: max_open"
    }


def test_github_warnings_are_errors_when_they_fail(sample):
    clean = reports.validation(validate(sample), warnings_as_errors=True)
    clean.document["errors"], clean.document["stats"]["errors"] = [], 0
    clean.document["valid"] = False  # what --warnings-as-errors says of a file with warnings
    names = [c["name"] for c in parse(rendered(github, clean))]
    assert names == ["error"] * 4 + ["notice"]
    clean.document["valid"] = True
    assert [c["name"] for c in parse(rendered(github, clean))] == ["warning"] * 4 + ["notice"]


def test_github_says_when_findings_are_capped(sample):
    result = reports.validation(validate(sample), limit=2)
    commands = parse(rendered(github, result))
    assert [c["message"] for c in commands if c["name"] == "notice"][:2] == [
        "2 of 5 errors shown (--limit-errors)",
        "2 of 4 warnings shown (--limit-errors)",
    ]


# -- JUnit XML, against the XSD ------------------------------------------------------------


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(JUNIT_XSD)


def test_junit_validate_is_valid_xml(sample, junit_schema):
    document = reports.validation(validate(sample)).document
    text = rendered(junit, Result(kind="validate", content=document))
    junit_schema.validate(text)
    suite = ET.fromstring(text).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == list(REGISTRY)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    # Independently: the types of the listed errors.
    assert failed == {f["type"] for f in document["errors"]}
    assert suite.get("tests") == str(len(REGISTRY)) and suite.get("failures") == str(len(failed))
    out_of_order = next(c for c in cases if c.get("name") == "out-of-order")
    assert out_of_order.findtext("system-out").count("\n") == 2  # three warnings listed


def test_junit_check_is_valid_xml(sample, junit_schema):
    result = check_result(sample, FAILING)
    text = rendered(junit, result)
    junit_schema.validate(text)
    suite = ET.fromstring(text).find("testsuite")
    assert suite is not None
    # Independently: compare each measured value with its limit.
    expected = {
        item["check"]: (
            item["value"] <= item["limit"]
            if item["bound"] == "max"
            else item["value"] >= item["limit"]
        )
        for item in result.document["checks"]
    }
    got = {c.get("name"): c.find("failure") is None for c in suite.findall("testcase")}
    assert (
        got
        == expected
        == {
            "max_median_days": False,
            "min_same_day_share": False,
            "max_open": True,
            "max_workdays": False,
        }
    )
    assert suite.get("failures") == "3" and ET.fromstring(text).get("failures") == "3"


def test_junit_holds_characters_xml_cannot(junit_schema):
    document = {
        "schema_version": 1,
        "source": "bad\x01name.csv",
        "valid": False,
        "stats": {"rows": 2, "projects": 1, "errors": 1, "warnings": 0},
        "errors": [
            {
                "type": "invalid-date",
                "row": 2,
                "field": "date",
                "value": "2023\x00-01\x1b",
                "project": "A & <B>",
                "message": "not a valid date",
            }
        ],
        "warnings": [],
    }
    text = rendered(junit, Result(kind="validate", content=document))
    junit_schema.validate(text)
    failure = ET.fromstring(text).find(".//failure")
    assert failure is not None
    assert failure.text == "line 2: A & <B>, date = '2023\\x00-01\\x1b': not a valid date"


def test_junit_of_an_unreadable_file(junit_schema):
    result = reports.validation(validate(FIXTURES / "bad" / "empty.csv"))
    text = rendered(junit, result)
    junit_schema.validate(text)
    assert [
        c.get("name") for c in ET.fromstring(text).iter("testcase") if c.find("failure") is not None
    ] == ["unreadable"]


# -- Markdown ----------------------------------------------------------------------------

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_markdown_tables_survive_hostile_names(write):
    path = write(
        "project,event,date,zone\n"
        "A|1,land,2023-01-01,North|South\n"
        "A|1,construction permit,2023-01-05,North|South\n"
        '"B *x*\nsecond line",land,2023-02-01,<b>West</b>\n'
        '"B *x*\nsecond line",construction permit,2023-02-01,<b>West</b>\n'
    )
    analysis = analyze(path)
    text = rendered(markdown, reports.summary(analysis, group_by="zone"))
    for block in text.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        widths = {len(UNESCAPED_PIPE.findall(row)) for row in rows}
        assert len(widths) <= 1, block
    assert "North\\|South" in text and "\\<b\\>West\\</b\\>" in text
    assert "<b>" not in text


def test_markdown_check_verdict(sample):
    assert rendered(markdown, check_result(sample, {"max_open": 4})).startswith(
        "## ✅ etown check passed: data/projects.csv\n"
    )
    failed = rendered(markdown, check_result(sample, FAILING))
    assert failed.startswith("## ❌ etown check failed (3 of 4): data/projects.csv\n")
    assert "- `max_workdays`: 3 complete projects over 100 working days" in failed


# -- on the command line (after wiring) ----------------------------------------------------

WIRING = "needs CLI wiring: --format {fmt} for etown {command} (formats.FORMATS entry '{fmt}')"


@pytest.mark.parametrize(
    ("command", "fmt", "golden", "extra"),
    [
        ("validate", "github", "github_validate_sample.txt", []),
        ("validate", "junit", "junit_validate_sample.xml", []),
        (
            "check",
            "github",
            "github_check_sample.txt",
            [
                "--max-median-days",
                "30",
                "--max-open",
                "5",
                "--min-same-day-share",
                "0.5",
                "--max-workdays",
                "100",
            ],
        ),
        (
            "check",
            "junit",
            "junit_check_sample.xml",
            [
                "--max-median-days",
                "30",
                "--max-open",
                "5",
                "--min-same-day-share",
                "0.5",
                "--max-workdays",
                "100",
            ],
        ),
        (
            "check",
            "markdown",
            "markdown_check_sample.md",
            [
                "--max-median-days",
                "30",
                "--max-open",
                "5",
                "--min-same-day-share",
                "0.5",
                "--max-workdays",
                "100",
            ],
        ),
        ("summary", "markdown", "markdown_summary_sample.md", []),
        ("stages", "markdown", "markdown_stages_sample.md", []),
        ("trend", "markdown", "markdown_trend_sample.md", []),
    ],
)
def test_cli_formats(run, sample, command, fmt, golden, extra):
    assert fmt in run(command, "--help").stdout
    result = run(
        command,
        sample,
        "--format",
        fmt,
        *extra,
        expect=0 if command not in ("validate", "check") else 1,
    )
    assert result.exit_code == (0 if command not in ("validate", "check") else 1), result.stderr
    assert result.stdout == (FIXTURES / "golden" / golden).read_text(encoding="utf-8")


def test_json_golden_inputs_are_schema_valid(sample):
    from .schema_check import assert_matches_schema

    assert_matches_schema("check", json.loads(json.dumps(check_result(sample, FAILING).document)))
