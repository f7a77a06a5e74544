"""Progress on stderr for large inputs on a terminal; --quiet; a smoke run of the benchmark runner."""

from __future__ import annotations

import io
import subprocess
import sys

from etown_approvals.cli import app

from .conftest import ROOT, SAMPLE


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


def test_benchmark_runner_smoke(tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--sizes",
            "300",
            "--runs",
            "1",
            "--folder",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    cases = {tuple(cell.strip() for cell in row.split("|")[1:5]) for row in rows}
    assert ("ISO dates", "300", "0 MB", "etown summary --json") in cases
    assert ("20% non-ISO dates", "300", "0 MB", "etown summary --json") in cases
    assert any(row.startswith("| etown --help") for row in rows)
