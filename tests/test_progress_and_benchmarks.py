"""Progress on stderr for large inputs on a terminal; --quiet; a smoke run of the benchmark runner."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
import subprocess
import sys

import pytest

from etown_approvals.cli import app

from .conftest import ROOT, SAMPLE, SF_SAMPLE


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_for_large_inputs_on_a_terminal(monkeypatch):
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(app, "PROGRESS_BYTES", 10)
    with app.progress_for(str(SAMPLE), quiet=False) as step:
        step("reading")
    assert "reading" in err.getvalue()


def test_no_progress_when_quiet_small_or_piped(monkeypatch):
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    with app.progress_for(str(SAMPLE), quiet=False) as step:  # small
        step("reading")
    monkeypatch.setattr(app, "PROGRESS_BYTES", 10)
    with app.progress_for(str(SAMPLE), quiet=True) as step:
        step("reading")
    assert err.getvalue() == ""
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with app.progress_for(str(SAMPLE), quiet=False) as step:
        step("reading")
    assert piped.getvalue() == ""


def test_quiet_silences_warnings_not_errors(run, write):
    result = run("summary", SAMPLE, "--json", "--quiet")
    assert result.exit_code == 0 and result.stderr == ""
    strict = run("summary", SAMPLE, "--quiet", "--strict", expect=1)
    assert strict.exit_code == 1 and "rows rejected" in strict.stderr
    bad = run("summary", write("nothing,here\n1,2\n"), "-q", expect=4)
    assert bad.exit_code == 4 and bad.stderr.startswith("etown: error:")


@pytest.mark.shared_data
def test_benchmark_runner_smoke(tmp_path):
    """The runner generates the scaled SF export, times it and its cached rerun, and
    writes one table row per command (timings themselves are not checked)."""
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--projects",
            "300",
            "--runs",
            "1",
            "--only",
            "SF",
            "--folder",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    commands = {tuple(cell.strip() for cell in row.split("|")[1:3]) for row in rows}
    assert ("SF export, 51 columns (0 MB)", "summary --config sf.toml --json") in commands
    assert ("cache: SF second command (0 MB)", "summary --config, from the cache") in commands
    assert any(row.startswith("| start-up | etown --help") for row in rows)
    generated = tmp_path / "sf_300.csv"
    header = generated.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("Permit Number,Permit Type,") and len(header.split(",")) == 51


SF_3000 = ("--projects", "3000", "--layout", "sf")


@pytest.mark.shared_data
def test_scaled_sf_export_keeps_columns_and_durations(tmp_path):
    """Unique permits, the sample's 51 columns, dates spread out but the filed ->
    issued days (by calendar date) as in the sample, checked with the csv module."""
    out = tmp_path / "sf.csv"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(out), *SF_3000],
        check=True,
    )

    def read(path):
        with open(path, encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def days(rows):
        def day(text):
            return dt.datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p").date()

        return [
            (day(r["Issued Date"]) - day(r["Filed Date"])).days
            for r in rows
            if r["Issued Date"] and r["Filed Date"]
        ]

    sample, scaled = read(SF_SAMPLE), read(out)
    assert len(scaled) == 3000 and list(scaled[0]) == list(sample[0])
    assert len({r["Permit Number"] for r in scaled}) == 3000
    assert statistics.median(days(scaled)) == statistics.median(days(sample))
    # Rows drawn twice from the sample get different dates: few timestamps repeat.
    filed = [r["Filed Date"] for r in scaled if r["Filed Date"]]
    assert len(set(filed)) > 0.95 * len(filed)
    assert {r["data_as_of"] for r in scaled} == {r["data_as_of"] for r in sample}
