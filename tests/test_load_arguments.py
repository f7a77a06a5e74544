"""The seams between the command line, the analysis and the loader."""

from __future__ import annotations

import inspect
import subprocess
import sys

from etown_approvals.analysis import analyze
from etown_approvals.loader import load
from etown_approvals.options import InputOptions

from .conftest import ROOT

SAMPLE = ROOT / "data" / "projects.csv"


def test_input_options_name_every_loader_option():
    """A new option of load() must be carried by InputOptions too (or the command
    line would silently drop it)."""
    parameters = set(inspect.signature(load).parameters) - {"path", "stdin"}
    assert set(InputOptions().load_arguments()) == parameters


def test_analysis_lets_the_text_cells_go_when_asked():
    kept = analyze(SAMPLE)
    assert kept.loaded.raw is not None
    assert "company" in kept.loaded.rejected_rows().columns  # the rejected rows' cells
    dropped = analyze(SAMPLE, keep_raw=False)
    assert dropped.loaded.raw is None
    assert list(dropped.loaded.rejected_rows().columns) == ["line", "type", "message"]
    assert dropped.projects.equals(kept.projects)


def test_json_summary_does_not_import_rich_without_a_terminal():
    """rich draws the status line; with stderr not a terminal it is not even imported."""
    code = (
        "import sys\n"
        "from etown_approvals.cli import cli\n"
        f"cli.main(['summary', {str(SAMPLE)!r}, '--json', '--no-cache'], standalone_mode=False)\n"
        "print('rich' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.stdout.lstrip().startswith("{")
    assert done.stderr.strip().splitlines()[-1] == "False"
