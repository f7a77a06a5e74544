"""What every command shares, whatever it computes (as csvkit's test mixins):

- every format a command offers works on the sample, on standard input and on an
  empty file, with stdout for results only and one line on stderr for errors;
- ``--output FILE`` writes exactly what stdout would have, and leaves stdout empty;
- the module graph has no import cycles, and each module imports alone.
"""

from __future__ import annotations

import ast
import csv
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from etown_approvals.cli import cli
from etown_approvals.formats import FORMATS, formats_for

from .conftest import ROOT, SAMPLE

#: Each command with the arguments it needs beyond FILE, and its exit status on the sample.
COMMANDS = {
    "summary": ([], 0),
    "projects": ([], 0),
    "stages": ([], 0),
    "trend": ([], 0),
    "timeline": ([], 0),
    "validate": ([], 1),  # the sample has deliberate errors
    "check": (["--max-open", "10"], 0),
    "compare": (["--split-date", "2022-01-01"], 0),
}
CASES = [(command, name) for command in COMMANDS for name in formats_for(command)]


def test_every_command_is_covered():
    assert set(COMMANDS) <= set(cli.commands)


#: What every data command writes, and what the commands whose result can fail add.
DATA_FORMATS = {"table", "json", "ndjson", "csv", "markdown", "xlsx"}
VERDICT_FORMATS = {"github", "junit"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_data_command_writes_every_format(command):
    expected = DATA_FORMATS | (VERDICT_FORMATS if command in ("validate", "check") else set())
    assert set(formats_for(command)) == expected


def _sheets(data: bytes) -> dict[str, list[list[object]]]:
    """A workbook's sheets as rows of cell values (read back with openpyxl)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


def _parse(name: str, text: str) -> None:
    """Each format's output is well-formed of its kind."""
    if name == "json":
        json.loads(text)
    elif name == "ndjson":
        for line in text.splitlines():
            json.loads(line)
    elif name == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert len({len(row) for row in rows}) <= 1
    assert text.endswith("\n")


@pytest.mark.parametrize(("command", "name"), CASES)
def test_sample_in_every_format(run, command, name):
    arguments, status = COMMANDS[command]
    if command != "validate":
        arguments = [*arguments, "--as-of", "2024-06-30"]
    result = run(command, SAMPLE, *arguments, "--format", name, expect=status)
    assert "Traceback" not in result.stderr
    if name == "xlsx":
        sheets = _sheets(result.stdout_bytes)
        assert sheets and all(
            rows and all(isinstance(c, str) for c in rows[0]) for rows in sheets.values()
        )
        return
    assert result.stdout
    _parse(name, result.stdout)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_csv_ndjson_and_the_first_sheet_hold_the_same_rows(run, command):
    arguments, status = COMMANDS[command]
    if command != "validate":
        arguments = [*arguments, "--as-of", "2024-06-30"]
    rows = {
        name: run(command, SAMPLE, *arguments, "-q", "--format", name, expect=status)
        for name in ("csv", "ndjson", "xlsx")
    }
    table = list(csv.reader(io.StringIO(rows["csv"].stdout)))
    lines = [json.loads(line) for line in rows["ndjson"].stdout.splitlines()]
    assert len(table) - 1 == len(lines) > 0
    assert all(isinstance(line, dict) for line in lines)
    first = next(iter(_sheets(rows["xlsx"].stdout_bytes).values()))
    if command not in ("summary", "validate"):  # their first sheet: the whole, the errors
        assert len(first) == len(table)
    assert "True" not in rows["csv"].stdout and "False" not in rows["csv"].stdout


@pytest.mark.parametrize(("command", "name"), CASES)
def test_stdin_equals_the_file(run, command, name):
    arguments, status = COMMANDS[command]
    from_file = run(command, SAMPLE, *arguments, "--format", name, "-q", expect=status)
    from_stdin = run(
        command, "-", *arguments, "--format", name, "-q", input=SAMPLE.read_bytes(), expect=status
    )
    expected = from_file.stdout.replace(str(SAMPLE), "<stdin>")
    if name == "table":  # a shorter name may wrap a line differently
        assert from_stdin.stdout.split() == expected.split()
    elif name in ("json", "ndjson", "csv"):
        assert from_stdin.stdout == expected
    elif name == "xlsx":
        assert _sheets(from_stdin.stdout_bytes).keys() == _sheets(from_file.stdout_bytes).keys()
    else:  # CI formats name (and escape) the file in their own ways: same shape
        assert len(from_stdin.stdout.splitlines()) == len(expected.splitlines()) > 0


@pytest.mark.parametrize(("command", "name"), CASES)
def test_empty_file_is_one_line_exit_3(run, write, command, name):
    arguments, _ = COMMANDS[command]
    path = write(b"")
    result = run(command, path, *arguments, "--format", name, expect=3)
    assert result.stdout == "" or command == "validate"
    assert result.stderr == f"etown: error: {path}: the file is empty\n"


@pytest.mark.parametrize(("command", "name"), CASES)
def test_output_file_holds_what_stdout_would(run, tmp_path, command, name):
    arguments, status = COMMANDS[command]
    common = [*arguments, "--format", name, "-q"]
    if command != "validate":
        common += ["--as-of", "2024-06-30"]
    shown = run(command, SAMPLE, *common, expect=status)
    printed = shown.stdout_bytes if name == "xlsx" else shown.stdout
    target = tmp_path / "out" / f"result.{name}"
    target.parent.mkdir()
    written = run(command, SAMPLE, *common, "--output", target, expect=status)
    assert written.stdout == ""
    if name == "xlsx":
        assert _sheets(target.read_bytes()) == _sheets(printed)
    else:
        assert target.read_text(encoding="utf-8") == printed
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left


def test_every_format_is_offered_by_some_command():
    offered = {name for command in COMMANDS for name in formats_for(command)}
    assert offered == set(FORMATS)


def test_format_choices_come_from_the_registry(run):
    result = run("summary", SAMPLE, "--format", "github", expect=2)
    assert "'github' is not one of 'table', 'json'" in result.stderr


# -- modules ------------------------------------------------------------------

PACKAGE = ROOT / "etown_approvals"
MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
    if path.name != "__main__.py"
)


def _path(module: str) -> Path:
    folder = ROOT / module.replace(".", "/")
    return folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py")


def _imports(module: str) -> set[str]:
    """Modules of this package that ``module`` imports, at its top level or inside a
    function or method (only ``if TYPE_CHECKING:`` blocks are left out: they never
    run). ``from . import name`` counts the package itself only when ``name`` is not
    one of its modules (a submodule import needs its package: that edge is the
    language's)."""
    path = _path(module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()

    class Imports(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                for statement in node.orelse:
                    self.visit(statement)
                return
            self.generic_visit(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("etown_approvals"):
                return
            names = [f"{target}.{alias.name}" for alias in node.names]
            found.update(name for name in names if name in MODULES)
            if node.module or any(name not in MODULES for name in names):
                found.add(target)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names if a.name.startswith("etown_approvals"))

    Imports().visit(tree)
    return {m for m in found if m in MODULES and m != module}


GRAPH = {module: _imports(module) for module in MODULES}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> list[str] | None:
        if state.get(module) == 1:
            return [*trail[trail.index(module) :], module]
        if state.get(module) == 2:
            return None
        state[module] = 1
        for target in sorted(GRAPH[module]):
            found = visit(target, [*trail, module])
            if found:
                return found
        state[module] = 2
        return None

    for module in MODULES:
        found = visit(module, [])
        if found:
            return found
    return None


def test_the_import_graph_has_no_cycles_counting_imports_inside_functions():
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_sees_an_import_inside_a_function():
    assert "etown_approvals.survival" in GRAPH["etown_approvals.results"]  # inside summary()
    assert "etown_approvals.excel" in GRAPH["etown_approvals.reader"]  # inside read_table's helper


#: The modules that read input, and those that write output: reading never depends
#: on writing (a rule both need lives in a neutral module, as csvcells does).
INPUT_MODULES = {
    f"etown_approvals.{name}"
    for name in (
        "sources",
        "shape",
        "reader",
        "excel",
        "columnar",
        "rawtable",
        "dates",
        "stages",
        "config",
        "filters",
        "loader",
        "cache",
        "findings",
        "validation",
        "drafting",
    )
}
OUTPUT_MODULES = {
    m
    for m in MODULES
    if m.startswith(("etown_approvals.formats", "etown_approvals.report", "etown_approvals.cli"))
} | {"etown_approvals.output"}


def _reached(module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        for target in GRAPH[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@pytest.mark.parametrize("module", sorted(INPUT_MODULES))
def test_input_modules_never_import_output_modules(module):
    assert module in MODULES
    assert not (_reached(module) & OUTPUT_MODULES)


def test_each_module_imports_alone():
    probe = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('etown_approvals')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
    )
    subprocess.run([sys.executable, "-c", probe, *MODULES], check=True, cwd=ROOT)


def test_modules_list_is_real():
    assert "etown_approvals.cli.commands" in MODULES
    for module in MODULES[:3]:
        importlib.import_module(module)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_groups_options_in_sections(run, command):
    text = run(command, "--help").stdout
    assert "Input (how to read FILE):" in text
    assert "Output:" in text
    assert text.index("Input (how to read FILE):") < text.index("Output:")
    if command != "validate":
        assert "Metric (what is measured):" in text


def test_options_every_data_command_shares_are_in_a_named_section(run):
    """An option of the shared decorators is never listed among a command's own."""
    from etown_approvals.cli.app import HELP_SECTIONS

    data = ("summary", "projects", "stages", "trend", "compare", "timeline", "report")
    shared = set.intersection(
        *({p.name for p in cli.commands[name].params if p.name} for name in data)
    )
    sectioned = {name for names in HELP_SECTIONS.values() for name in names}
    assert shared - {"file", "help"} <= sectioned
    text = run("timeline", "--help").stdout
    own = text.split("Timeline options:", 1)[1].split("Input (how to read FILE):", 1)[0]
    assert "--missing-value" not in own and "--max-rejected" not in own
    assert "--missing-value" in text.split("Input (how to read FILE):", 1)[1].split("Metric")[0]


def test_every_command_has_help_with_an_example(run):
    for name, command in cli.commands.items():
        text = run(name, "--help").stdout
        assert command.help and "Example" in text, name


def test_shell_completion_script():
    import os

    completed = subprocess.run(
        [sys.executable, "-m", "etown_approvals"],
        env={**os.environ, "_ETOWN_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "complete -o nosort -F _etown_completion etown" in completed.stdout


def test_notebook_shows_an_analysis_and_a_result_as_html_tables():
    from etown_approvals import analyze

    analysis = analyze(SAMPLE)
    shown = analysis._repr_html_()
    assert shown == analysis.summary()._repr_html_()
    assert "<pre>" not in shown and shown.count("<table") == 1
    assert "<th>projects_total</th>" in shown and "<td>29</td>" in shown
    projects = analysis.project_list()._repr_html_()
    assert projects.count("<tr>") == 20  # the first 20 rows (the header row is styled)
    assert "20 of 29 rows" in projects
    assert json.loads(analysis.summary().to_json())["projects"]["total"] == 29


def test_every_list_result_has_a_frame_and_a_bounded_repr():
    import pandas as pd

    from etown_approvals import analyze, results, validate

    analysis = analyze(SAMPLE)
    made = {
        "summary": analysis.summary(group_by="zone"),
        "projects": analysis.project_list(),
        "stages": analysis.stage_transitions(),
        "trend": analysis.trend(by="quarter", group_by=["zone", "sector"]),
        "timeline": results.timeline(analysis, limit=5),
        "compare": results.compare(analysis, by=["zone"]),
        "validate": results.validation(validate(SAMPLE)),
    }
    for name, result in made.items():
        frame = result.frame
        assert isinstance(frame, pd.DataFrame), name
        assert len(frame) == len(result.rows() or []) > 0, name
        assert len(repr(result)) < 120 and "\n" not in repr(result), name
    assert {"zone", "sector", "period"} <= set(made["trend"].frame.columns)
    assert len(made["timeline"].frame) == 5
    for whole in (analysis, validate(SAMPLE), analysis.loaded, analysis.loaded.raw):
        assert len(repr(whole)) < 200 and "\n" not in repr(whole)
