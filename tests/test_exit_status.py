"""Every documented exit code, each from a real situation."""

from __future__ import annotations

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
