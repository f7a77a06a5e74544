"""Every documented exit code, each from a real situation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from etown_approvals.errors import ExitCode

from .conftest import SAMPLE


def test_ok(run):
    assert run("summary", SAMPLE, expect=ExitCode.OK).exit_code == ExitCode.OK


def test_check_failed(run):
    assert (
        run("summary", SAMPLE, "--strict", expect=ExitCode.CHECK_FAILED).exit_code
        == ExitCode.CHECK_FAILED
    )


@pytest.mark.parametrize(
    "args",
    [
        ["summary", "no-such-file.csv"],
        ["summary"],
        ["summary", SAMPLE, "--format", "xml"],
        ["summary", SAMPLE, "--fast-track-days", "-1"],
        ["no-such-command"],
    ],
)
def test_usage(run, args):
    result = run(*args, expect=ExitCode.USAGE)
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert "error" in result.stderr.lower()


def test_directory_is_usage_error(run, tmp_path):
    assert run("summary", tmp_path, expect=ExitCode.USAGE).exit_code == ExitCode.USAGE


def test_unreadable(run, write):
    path = write(b"\x00\x01\x02garbage")
    result = run("summary", path, expect=ExitCode.UNREADABLE)
    assert result.exit_code == ExitCode.UNREADABLE
    assert (
        result.stderr
        == f"etown: error: {path}: contains NUL bytes: binary data, not a text table\n"
    )


def test_bad_data(run, write):
    path = write("name,when\nA,2023-01-01\n")
    result = run("summary", path, expect=ExitCode.BAD_DATA)
    assert result.exit_code == ExitCode.BAD_DATA
    assert result.stderr.startswith(f"etown: error: {path}, column 'project': no project column")


def test_internal_errors_are_one_line_unless_debugging(run, monkeypatch):
    from etown_approvals import results

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(results, "summary", broken)
    result = run("summary", SAMPLE, expect=ExitCode.INTERNAL)
    assert result.exit_code == ExitCode.INTERNAL
    assert result.stderr.splitlines()[-1] == (
        "etown: internal error: RuntimeError: boom (run with --debug for a traceback, and please report it)"
    )
    with pytest.raises(RuntimeError):
        run("--debug", "summary", SAMPLE)


def test_debug_shows_library_errors_as_exceptions(run, write):
    from etown_approvals.errors import MissingColumnError

    path = write("name,when\nA,2023-01-01\n")
    with pytest.raises(MissingColumnError):
        run("summary", path, "--debug")


def test_debug_from_the_environment(run, write):
    from etown_approvals.errors import MissingColumnError

    path = write("name,when\nA,2023-01-01\n")
    with pytest.raises(MissingColumnError):
        run("summary", path, env={"ETOWN_DEBUG": "1"})
    assert (
        run("summary", path, env={"ETOWN_DEBUG": "0"}, expect=ExitCode.BAD_DATA).exit_code
        == ExitCode.BAD_DATA
    )


@pytest.mark.parametrize(
    ("name", "char"), [("tab", "\t"), ("\\t", "\t"), ("semicolon", ";"), ("pipe", "|"), (";", ";")]
)
def test_delimiter_by_name(run, write, name, char):
    path = write(
        f"project{char}event{char}date\nA{char}land{char}2023-01-01\nA{char}construction permit{char}2023-01-02\n"
    )
    result = run("summary", path, "--json", "--delimiter", name)
    assert result.exit_code == 0, result.stderr


def test_bad_delimiter_is_a_usage_error(run):
    result = run("summary", SAMPLE, "--delimiter", "ab", expect=ExitCode.USAGE)
    assert result.exit_code == ExitCode.USAGE
    assert "give one ASCII character" in result.stderr


# -- the console script: it ends with os._exit once its output is flushed ------------


def _etown(*args: str, **options: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "etown_approvals", *args],
        stdout=options.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        check=False,
        env={**os.environ, "ETOWN_NO_CACHE": "1"},
        **options,  # type: ignore[call-overload]
    )


def test_the_command_writes_its_whole_output_before_it_leaves():
    done = _etown("projects", str(SAMPLE), "--format", "ndjson")
    assert done.returncode == ExitCode.OK
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(rows) == len({row["project"] for row in rows}) > 10
    assert done.stderr.decode().startswith("etown: warning:")  # stderr flushed too


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_one_line_and_exit_6():
    with open("/dev/full", "wb") as full:
        done = _etown("summary", str(SAMPLE), "--json", stdout=full)
    assert done.returncode == ExitCode.CANNOT_WRITE
    assert done.stderr.decode().splitlines()[-1] == (
        "etown: error: cannot write the output: No space left on device"
    )


def test_a_reader_that_goes_away_is_quiet():
    reader = subprocess.Popen(
        [sys.executable, "-m", "etown_approvals", "projects", str(SAMPLE), "--format", "ndjson"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "ETOWN_NO_CACHE": "1"},
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.read(10)
    reader.stdout.close()
    errors = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == ExitCode.OK
    assert "Traceback" not in errors and "Exception ignored" not in errors


WARNING_PROBE = """
import sys, warnings
import etown_approvals.metrics as metrics
summarize = metrics.summarize
def noisy(*args, **options):
    warnings.warn("a library changed its mind\\nover two lines", FutureWarning)
    return summarize(*args, **options)
metrics.summarize = noisy
sys.argv = ["etown", "summary", {sample!r}, "--json"] + {extra!r}
from etown_approvals.cli.commands import main
main()
"""


@pytest.mark.parametrize("debug", [False, True])
def test_a_library_warning_is_one_line_on_stderr(debug):
    """Warnings of the libraries etown uses read as etown's own one-line messages
    (Python's own shows two lines and a source file); --debug shows Python's."""
    probe = WARNING_PROBE.format(sample=str(SAMPLE), extra=["--debug"] if debug else [])
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ETOWN_NO_CACHE": "1"},
    )
    assert done.returncode == ExitCode.OK
    json.loads(done.stdout)
    lines = done.stderr.splitlines()
    if debug:
        assert any(line.endswith("FutureWarning: a library changed its mind") for line in lines)
    else:
        assert "etown: warning: FutureWarning: a library changed its mind over two lines" in lines
        assert all(line.startswith("etown: ") for line in lines)


def _with_closed(fd: int, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The command run with file descriptor ``fd`` (1: stdout, 2: stderr) closed."""
    return subprocess.run(
        [sys.executable, "-m", "etown_approvals", *args],
        stdout=subprocess.PIPE if fd != 1 else None,
        stderr=subprocess.PIPE if fd != 2 else None,
        check=False,
        env={**os.environ, "ETOWN_NO_CACHE": "1"},
        pass_fds=(),
        preexec_fn=lambda: os.close(fd),  # the descriptor closed in the child only
    )


def test_closed_stdout_is_one_line_and_exit_6():
    done = _with_closed(1, "summary", str(SAMPLE), "--json")
    assert done.returncode == ExitCode.CANNOT_WRITE
    assert done.stderr.decode().splitlines()[-1] == (
        "etown: error: cannot write the output: standard output is closed"
    )
    assert "Traceback" not in done.stderr.decode()


def test_closed_stdout_does_not_stop_output_to_a_file(tmp_path):
    target = tmp_path / "summary.json"
    done = _with_closed(1, "summary", str(SAMPLE), "--json", "--output", str(target))
    assert done.returncode == ExitCode.OK
    assert json.loads(target.read_text(encoding="utf-8"))["projects"]["total"] > 0


def test_closed_stderr_keeps_the_exit_status():
    done = _with_closed(2, "summary", str(SAMPLE), "--json")
    assert done.returncode == ExitCode.OK
    assert json.loads(done.stdout)["projects"]["total"] > 0
    failed = _with_closed(2, "summary", "no-such-file.csv")
    assert failed.returncode == ExitCode.USAGE
