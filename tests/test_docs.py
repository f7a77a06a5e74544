"""The README documents what the code does: finding types, exit codes, the quick start."""

from __future__ import annotations

import json
import re

import pytest

from etown_approvals.errors import ExitCode
from etown_approvals.findings import REGISTRY

from .conftest import ROOT, SAMPLE

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _table_after(heading: str) -> list[list[str]]:
    section = README.split(heading, 1)[1]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("## "):
            break
        if line.startswith("| ") and not line.startswith("| ---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_finding_types_are_documented_as_registered():
    documented = {
        row[0].strip("`"): (row[1], row[2])
        for row in _table_after("## `etown validate FILE`")
        if row[0].startswith("`")
    }
    assert documented == {t.code: (t.severity, t.description) for t in REGISTRY.values()}


def test_exit_codes_are_documented():
    documented = {int(row[0]) for row in _table_after("## Exit codes") if row[0].isdigit()}
    assert documented == {int(code) for code in ExitCode}


def test_quick_start_has_exactly_two_commands():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.strip().splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("etown summary data/projects.csv")
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet '.[test]' && .venv/bin/python -m pytest" in ci


@pytest.mark.parametrize("kind", ["sample", "bad"])
def test_every_emitted_finding_type_is_known(run, kind):
    paths = (
        [SAMPLE]
        if kind == "sample"
        else sorted(
            p for p in (ROOT / "tests" / "fixtures" / "bad").iterdir() if p.name != "expected.json"
        )
    )
    expected = json.loads((ROOT / "tests" / "fixtures" / "bad" / "expected.json").read_text())
    for path in paths:
        status = 1 if kind == "sample" else expected[path.name]["validate_exit"]
        doc = json.loads(run("validate", path, "--json", expect=status).stdout)
        for finding in doc["errors"] + doc["warnings"]:
            assert finding["type"] in REGISTRY, (path, finding)


def test_readme_check_examples_pass_on_the_sample(run):
    examples = re.findall(r"etown check data/projects.csv (.*)", README)
    assert len(examples) >= 2  # the check section and the GitHub Actions step
    for arguments in examples:
        result = run("check", SAMPLE, *arguments.split())
        assert result.exit_code == 0, (arguments, result.stderr)


def test_readme_summary_json_example_is_current(run, monkeypatch):
    monkeypatch.chdir(ROOT)
    block = README.split("$ etown summary data/projects.csv --json\n", 1)[1].split("```", 1)[0]
    shown = json.loads(block)
    actual = json.loads(run("summary", "data/projects.csv", "--json").stdout)
    assert shown["fast_track"].pop("projects")[:2] == actual["fast_track"].pop("projects")[:2]
    assert shown == actual
