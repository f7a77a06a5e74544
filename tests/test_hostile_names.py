"""Every command, every format, names that try to break them: rich markup, escape
sequences, tabs and newlines, right-to-left overrides, zero-width characters, CJK,
200 characters; in project names, group values and the file name.

Tables show each name escaped (``\\t``, ``\\x1b``, ``\\u202e``) and never read it as
markup; JSON, NDJSON and CSV carry it exactly.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from rich.cells import cell_len

from etown_approvals.terminal import visible

from .test_tables import HOSTILE_NAMES, HOSTILE_ZONES, RAW_CONTROLS, write_events

#: A file name with markup and a tab: a folder "[" and a file "]ev [bold]\tx.csv".
FILE_NAME = "[/]ev [bold]\tx.csv"

COMMANDS = {
    "summary": ["table", "json"],
    "projects": ["table", "json", "ndjson", "csv"],
    "stages": ["table", "json", "ndjson", "csv"],
    "trend": ["table", "json", "ndjson", "csv"],
    "timeline": ["table"],
    "validate": ["table", "json", "ndjson", "csv"],
    "check": ["table", "json"],
    "compare": ["table", "json"],
}

EXTRA_ARGS = {
    "summary": ["--group-by", "zone"],
    "stages": ["--group-by", "zone"],
    "trend": ["--group-by", "zone"],
    "check": ["--max-median-days", "1000"],
    "compare": ["--group-by", "zone"],
}


@pytest.fixture
def hostile_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    os.mkdir("[")
    path = write_events(Path(FILE_NAME), 3)
    with open(path, "a", encoding="utf-8") as out:
        # A second land acquisition: validate lists a warning naming the project.
        out.write('"Building [north wing]",land acquisition,2019-01-09,"Zone [north]"\n')
    return path


def flat(text: str) -> str:
    """Words of ``text`` joined by single spaces: wrapped lines read as one."""
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("command", "fmt"), [(c, f) for c, formats in COMMANDS.items() for f in formats]
)
def test_hostile_names_everywhere(run, hostile_file, command, fmt):
    args = [command, str(hostile_file), "--as-of", "2025-01-01", *EXTRA_ARGS.get(command, [])]
    if command == "validate":
        args.remove("--as-of")
        args.remove("2025-01-01")
    result = run(*args) if command == "timeline" else run(*args, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    if fmt == "table":
        assert not RAW_CONTROLS.search(out)
        expected = {
            "summary": [*HOSTILE_ZONES[:3], "Building [north wing]"],
            "projects": HOSTILE_NAMES,
            "stages": HOSTILE_ZONES[:3],
            "trend": HOSTILE_ZONES[:3],
            "timeline": HOSTILE_NAMES,
            "validate": [FILE_NAME, "Building [north wing]"],
            "check": [FILE_NAME],
            "compare": HOSTILE_ZONES[:3],
        }[command]
        for name in expected:
            shown = visible(name)
            if cell_len(shown) <= 16:  # longer names may wrap over lines
                assert shown in out or flat(shown) in flat(out), name
    elif fmt == "json":
        document = json.loads(out)
        if isinstance(document, dict):
            assert document["source"] == FILE_NAME
        if command in ("projects",):
            assert {r["project"] for r in document["projects"]} == set(HOSTILE_NAMES)
        if command in ("summary", "compare"):
            assert {g["group"] for g in document["groups"]} == set(HOSTILE_ZONES[:3])
    elif fmt == "ndjson":
        records = [json.loads(line) for line in out.splitlines()]
        if command == "projects":
            assert {r["project"] for r in records} == set(HOSTILE_NAMES)
        if command in ("stages", "trend"):
            assert {r["group"] for r in records} == set(HOSTILE_ZONES[:3])
    else:
        records = list(csv.DictReader(io.StringIO(out)))
        if command == "projects":
            assert {r["project"] for r in records} == set(HOSTILE_NAMES)
        if command in ("stages", "trend"):
            assert {r["group"] for r in records} == set(HOSTILE_ZONES[:3])


def test_markup_in_a_name_is_printed_as_written(run, hostile_file):
    out = run("timeline", str(hostile_file), "--as-of", "2025-01-01").stdout
    assert "Building [north wing]" in out
    assert "[bold red]not bold[/]" in out
    assert "\\x1b[2J" in out and "\x1b" not in out


@pytest.mark.parametrize("command", [["projects"], ["summary"], ["validate"], ["timeline"]])
def test_a_name_of_megabytes_is_cut_in_tables_and_whole_in_json(run, tmp_path, command):
    """A table shows the first characters of a very long value and how long it is (rich
    would take hours to wrap 200 MB into a column); JSON carries the value whole."""
    name = "N" * 3_000_000
    path = tmp_path / "long.csv"
    path.write_text(
        f"project,event,date,zone\n{name},land,2023-01-02,{name}\n"
        f"{name},construction permit,2023-01-02,Z\n{name},x,2023-01-05,Z\n",
        encoding="utf-8",
    )
    expect = 1 if command == ["validate"] else 0
    table = run(*command, path, expect=expect)
    squeezed = "".join(table.stdout.split())
    if command != ["timeline"]:  # (the timeline crops names to its name column)
        assert "charactersinall)" in squeezed
    assert len(table.stdout) < 20_000
    shown = run(*command, path, "--format", "json", expect=expect).stdout
    assert name in shown


def test_a_message_quoting_a_huge_value_is_cut(run, tmp_path):
    header = "x" * 2_000_000
    path = tmp_path / "huge_header.csv"
    path.write_text(f"{header},b\n1,2\n", encoding="utf-8")
    result = run("summary", path, expect=4)
    assert result.stderr.startswith("etown: error: ")
    assert result.stderr.rstrip("\n").endswith(" characters in all)")
    assert len(result.stderr) < 11_000
