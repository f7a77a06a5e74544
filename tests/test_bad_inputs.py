"""The corpus of bad files in fixtures/bad: each gets its documented exit code and a
one-line message (and the notes its expectation counts in ``lines``), from every
command, and never a traceback."""

from __future__ import annotations

import json

import pytest

from .conftest import FIXTURES

BAD = FIXTURES / "bad"
EXPECTED = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))


def test_every_bad_file_has_an_expectation():
    files = {p.name for p in BAD.iterdir() if p.name != "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_summary(run, name):
    expected = EXPECTED[name]
    result = run("summary", BAD / name, "--json", expect=expected["exit"])
    assert result.exit_code == expected["exit"]
    assert expected["message"] in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == expected.get("lines", 1)
    if expected["exit"] == 0:
        json.loads(result.stdout)
    else:
        assert result.stdout == ""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate(run, name):
    expected = EXPECTED[name]
    result = run("validate", BAD / name, "--json", expect=expected["validate_exit"])
    assert result.exit_code == expected["validate_exit"]
    doc = json.loads(result.stdout)
    assert doc["valid"] is (expected["validate_exit"] == 0)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == expected.get("lines", 1)


def test_five_megabyte_field(run, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(
        "project,event,date,notes\n"
        + "A,land,2023-01-01,"
        + "x" * 5_000_000
        + "\nA,construction permit,2023-01-02,\n"
    )
    result = run("summary", path, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["days"]["median"] == 1
