"""User mistakes get a one-line message and a documented exit code, never a traceback
or a silently wrong result; suggested commands run as given."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys

import pytest

from .conftest import ROOT, SAMPLE


def test_window_that_ends_before_it_starts_is_a_usage_error(run):
    result = run("summary", SAMPLE, "--since", "2024-01-01", "--until", "2023-01-01", expect=2)
    assert result.stdout == ""
    assert result.stderr == (
        "etown: error: the date window ends (2023-01-01) before it starts (2024-01-01): "
        "--since must not be after --until\n"
    )


def test_repeated_group_by_groups_by_every_combination(run):
    import csv
    from collections import Counter

    doc = json.loads(
        run("summary", SAMPLE, "--group-by", "zone", "--group-by", "sector", "--json").stdout
    )
    assert doc["group_by"] == ["zone", "sector"]
    counted = Counter(
        (r["zone"], r["sector"])
        for r in json.loads(run("projects", SAMPLE, "--json").stdout)["projects"]
        for r in [r["attributes"]]
    )
    got = {
        (g["group"]["zone"], g["group"]["sector"]): g["projects"]["total"] for g in doc["groups"]
    }
    assert got == dict(counted)
    assert csv  # the independent count above reads the projects, not the groups


@pytest.mark.parametrize("name", ["bogus", "rot13", "hex", "zlib"])
def test_encoding_that_is_not_a_text_encoding(run, name):
    result = run("summary", SAMPLE, "--encoding", name, expect=2)
    assert result.stderr.startswith(f"etown: error: encoding {name!r}")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("value", ["é", "\n", "\r", '"', "ab"])
def test_delimiter_that_cannot_split_fields(run, value):
    result = run("summary", SAMPLE, "--delimiter", value, expect=2)
    assert result.stderr.startswith("etown: error: ")
    assert "delimiter" in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-inf"])
@pytest.mark.parametrize("option", ["--max-median-days", "--max-workdays", "--max-open"])
def test_thresholds_must_be_finite(run, option, value):
    result = run("check", SAMPLE, f"{option}={value}", expect=2)
    assert result.stdout == ""
    assert "nan" not in result.stdout
    assert len(result.stderr.splitlines()) <= 4


def test_summary_hint_carries_the_options_that_matter(run, write):
    config = write(
        '[stages]\nland_acquisition = ["land"]\nconstruction_permit = ["construction permit"]\n',
        name="two.toml",
    )
    lines = ["project,event,date"] + [
        f"P{i},{event},2023-01-{1 + i % 5:02d}"
        for i in range(30)
        for event in ("land", "construction permit")
    ]
    path = write("\n".join(lines) + "\n")
    table = run("summary", path, "--config", config, "--fast-track-days", "5").stdout
    hint = next(line for line in table.splitlines() if " more: " in line)
    suggested = shlex.split(hint.split(" more: ", 1)[1])
    assert suggested[:3] == ["etown", "projects", str(path)]
    assert ["--config", str(config)] == suggested[3:5]
    assert "--fast-track-days" in suggested
    listed = json.loads(run(*suggested[1:], "--json").stdout)["projects"]
    assert len(listed) == 30


def test_no_usable_rows_names_the_file_to_validate(run, write):
    path = write("project,event,date\nA,land,not a date\n")
    result = run("summary", path, expect=4)
    assert result.stderr.rstrip().endswith(f"see them with: etown validate {path}")


def test_invalid_rows_refuses_to_overwrite_the_input(run, write):
    path = write(SAMPLE.read_bytes())
    before = path.read_bytes()
    result = run("validate", path, "--invalid-rows", path, expect=2)
    assert "is the input file" in result.stderr
    assert path.read_bytes() == before


def test_invalid_rows_into_a_missing_folder(run, tmp_path):
    result = run("validate", SAMPLE, "--invalid-rows", tmp_path / "nope" / "x.csv", expect=6)
    assert "does not exist" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_output_refuses_the_input_file(run, write):
    path = write(SAMPLE.read_bytes())
    before = path.read_bytes()
    run("summary", path, "--output", path, expect=2)
    assert path.read_bytes() == before


def test_failed_run_leaves_no_output_file(run, write, tmp_path):
    target = tmp_path / "summary.json"
    run("summary", write("no,columns\n1,2\n"), "--json", "--output", target, expect=4)
    assert not target.exists()
    assert list(tmp_path.glob(".*.tmp")) == []


def _etown(*args: str, **kwargs):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "etown_approvals", *args], cwd=ROOT, check=False, **kwargs
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_on_stdout_is_exit_6():
    with open("/dev/full", "w") as full:
        completed = _etown(
            "summary", str(SAMPLE), "--json", "-q", stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert completed.returncode == 6
    assert completed.stderr.startswith("etown: error: cannot write the output")
    assert len(completed.stderr.splitlines()) == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_to_a_device_writes_to_it_and_never_replaces_it():
    completed = _etown(
        "summary",
        str(SAMPLE),
        "--json",
        "-q",
        "--output",
        "/dev/full",
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 6
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_validate_into_a_closed_pipe_still_says_invalid(tmp_path):
    rows = "".join(f"P{i},land,2023-02-30\n" for i in range(20_000))
    path = tmp_path / "bad.csv"
    path.write_text("project,event,date\n" + rows)
    process = subprocess.Popen(
        [sys.executable, "-m", "etown_approvals", "validate", str(path), "--limit-errors", "20000"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    stderr = process.stderr.read().decode()
    assert process.wait() == 1
    assert "Traceback" not in stderr


def test_a_file_name_that_is_not_utf8_keeps_the_json_valid(tmp_path):
    name = os.fsdecode(b"permits-\xff.csv")
    path = tmp_path / name
    path.write_bytes(SAMPLE.read_bytes())
    completed = _etown("summary", str(path), "--json", "-q", capture_output=True)
    assert completed.returncode == 0
    document = json.loads(completed.stdout.decode("utf-8"))  # strict UTF-8
    assert document["source"].endswith("permits-\\xff.csv")


def test_a_wrong_date_option_is_named_plainly(run):
    result = run("summary", SAMPLE, "--since", "2023-13-01", expect=2)
    assert "'2023-13-01' is not a date such as 2024-06-30 (YYYY-MM-DD)" in result.stderr
    assert "%Y" not in result.stderr
