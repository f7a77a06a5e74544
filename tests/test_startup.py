"""`etown --help` and `--version` must not pay for importing pandas, pyarrow or rich."""

from __future__ import annotations

import subprocess
import sys

import pytest

from etown_approvals import __version__

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
