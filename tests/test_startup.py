"""`etown --help` and `--version` must not pay for importing pandas, pyarrow or rich."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from etown_approvals import __version__

from .conftest import SAMPLE

PROBE = """
import sys
from etown_approvals.cli import cli
try:
    cli([{args}], prog_name="etown")
except SystemExit:
    pass
heavy = sorted(m for m in ("pandas", "pyarrow", "rich", "numpy") if m in sys.modules)
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize("args", ['"--help"', '"--version"', '"summary", "--help"'])
def test_help_and_version_do_not_import_pandas(args):
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True
    )
    assert completed.stderr.strip().endswith("HEAVY:")
    assert completed.stdout


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"etown, version {__version__}\n"


# pandas is imported on a thread while pyarrow parses the input (etown_approvals._lazy),
# so nothing on the way to the parse may import it: that would wait for the thread.
PARSE_PROBE = """
import sys
import etown_approvals._lazy as lazy
lazy.warm = lambda name="pandas": None  # no thread: any import of pandas is the path's own
import etown_approvals.reader as reader
seen = []
parse = reader._parse
def spy(*args, **options):
    seen.append("pandas" in sys.modules)
    return parse(*args, **options)
reader._parse = spy
from etown_approvals.cli import cli
try:
    cli([{args}], prog_name="etown")
except SystemExit as stop:
    print("EXIT:" + str(stop.code), file=sys.stderr)
print("PANDAS BEFORE THE PARSE:" + ",".join(map(str, seen)), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "command",
    [
        ["summary", "--json"],
        ["summary", "--group-by", "zone", "--days", "workdays", "--json"],
        ["stages", "--json"],
        ["trend", "--json"],
        ["projects", "--format", "ndjson"],
        ["validate", "--json"],
        ["timeline"],
        ["check", "--max-median-days", "1000"],
    ],
    ids=lambda c: " ".join(c),
)
def test_nothing_before_the_parse_imports_pandas(command):
    args = ", ".join(repr(a) for a in [command[0], str(SAMPLE), *command[1:]])
    completed = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE.format(args=args)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ETOWN_NO_CACHE": "1"},
    )
    assert "EXIT:0" in completed.stderr or "EXIT:1" in completed.stderr  # validate: 1
    assert completed.stderr.strip().endswith("PANDAS BEFORE THE PARSE:False")


def test_warm_imports_on_a_thread_and_a_failure_waits_for_first_use(monkeypatch):
    import etown_approvals._lazy as lazy

    monkeypatch.delitem(sys.modules, "no_such_module_here", raising=False)
    lazy.warm("no_such_module_here")  # fails quietly on its thread
    module = lazy._Module("no_such_module_here")
    with pytest.raises(ModuleNotFoundError):
        module.anything  # noqa: B018 - the first use raises
    lazy.warm("json")  # imported already: nothing to do
    assert lazy.pandas.DataFrame is __import__("pandas").DataFrame


def test_imports_asked_for_after_the_parse_start_when_the_reader_says(monkeypatch):
    import etown_approvals._lazy as lazy

    started: list[str] = []
    monkeypatch.setattr(lazy, "warm", started.append)
    monkeypatch.setattr(lazy, "_after_parse", [])
    lazy.warm_after_parse("json")  # imported already: nothing to wait for
    lazy.warm_after_parse("no_such_module_here")
    lazy.warm_after_parse("no_such_module_here")  # asked twice, started once
    assert started == []
    lazy.parsed()
    assert started == ["no_such_module_here"]
    lazy.parsed()  # nothing left
    assert started == ["no_such_module_here"]


def test_the_reader_says_when_its_parse_is_over(monkeypatch, tmp_path):
    import etown_approvals._lazy as lazy
    from etown_approvals.loader import load

    calls: list[bool] = []
    monkeypatch.setattr(lazy, "parsed", lambda: calls.append(True))
    path = tmp_path / "small.csv"
    path.write_text("project,event,date\nA,land acquisition,2023-01-02\n", encoding="utf-8")
    load(path)
    assert calls == [True]
