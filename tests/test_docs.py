"""The README and the manual document what the code does; the README stays a short door.

The examples themselves run in tests/test_manual.py.
"""

from __future__ import annotations

import json
import re

import pytest

from etown_approvals.errors import ExitCode
from etown_approvals.findings import REGISTRY

from . import manual
from .conftest import ROOT, SAMPLE

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"


def _table_after(heading: str, text: str = README) -> list[list[str]]:
    section = text.split(heading, 1)[1]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("## "):
            break
        if line.startswith("| ") and not line.startswith("| ---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_finding_types_are_documented_as_registered():
    page = (DOCS / "reference" / "findings.md").read_text(encoding="utf-8")
    documented = {
        row[0].strip("`"): (row[1], row[2])
        for row in _table_after("# Finding types", page)
        if row[0].startswith("`")
    }
    assert documented == {t.code: (t.severity, t.description) for t in REGISTRY.values()}


@pytest.mark.parametrize("page", [README, (DOCS / "reference" / "exit-codes.md").read_text()])
def test_exit_codes_are_documented(page):
    documented = {int(row[0]) for row in _table_after("# Exit codes", page) if row[0].isdigit()}
    assert documented == {int(code) for code in ExitCode}


def test_quick_start_has_exactly_two_commands():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.strip().splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("etown summary data/projects.csv")
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    # CI runs the README's test command (quietly).
    assert commands[1].replace("pip install ", "pip install --quiet ") in ci


@pytest.mark.parametrize("kind", ["sample", "bad"])
def test_every_emitted_finding_type_is_known(run, kind):
    paths = (
        [SAMPLE]
        if kind == "sample"
        else sorted(
            p for p in (ROOT / "tests" / "fixtures" / "bad").iterdir() if p.name != "expected.json"
        )
    )
    expected = json.loads((ROOT / "tests" / "fixtures" / "bad" / "expected.json").read_text())
    for path in paths:
        status = 1 if kind == "sample" else expected[path.name]["validate_exit"]
        doc = json.loads(run("validate", path, "--json", expect=status).stdout)
        for finding in doc["errors"] + doc["warnings"]:
            assert finding["type"] in REGISTRY, (path, finding)


def test_readme_is_a_short_door():
    assert len(README.splitlines()) <= 400
    for heading in ("## Quick start", "## A five-minute tour", "## Exit codes", "## The manual"):
        assert heading in README
    assert "![" in README  # the picture of the report


def test_no_paragraph_appears_twice():
    """A paragraph, list item or table row said twice drifts apart: link to it instead."""
    seen: dict[str, str] = {}
    twice = []
    for page in manual.pages():
        for line, text in manual.paragraphs(page):
            if len(re.findall(r"\w+", text)) < 8:
                continue  # short rows and labels ("| 0 | success |") may repeat
            where = f"{manual.name(page)}:{line}"
            if text in seen:
                twice.append(f"{where} repeats {seen[text]}: {text[:80]}")
            seen.setdefault(text, where)
    assert not twice, "\n".join(twice)


def test_paragraph_reader_finds_what_is_repeated(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "One two three four\nfive six.\n\n- an item\n  that wraps\n\n```sh\ncode\n```\n"
        "| a | b |\n| --- | --- |\n| [x](y.md) | z |\n",
        encoding="utf-8",
    )
    assert [text for _, text in manual.paragraphs(page)] == [
        "One two three four five six.",
        "an item that wraps",
        "| a | b |",
        "| x | z |",
    ]


def _hooks():
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_every_commands_help():
    from click.testing import CliRunner

    from etown_approvals.cli import cli

    hooks = _hooks()
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    assert hooks.MARKER in page
    built = hooks.on_page_markdown(page, page=None)
    paths = list(hooks.commands())
    assert ("summary",) in paths and ("cache", "clear") in paths
    assert set(cli.commands) <= {p[0] for p in paths if p}
    for path in paths:
        shown = (
            CliRunner()
            .invoke(cli, [*path, "--help"], prog_name="etown", terminal_width=hooks.WIDTH)
            .stdout
        )
        assert f"```text\n{shown.rstrip()}\n```" in built, path


def test_manual_pages_are_all_in_the_navigation():
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from pages(item)
        elif isinstance(node, dict):
            for value in node.values():
                yield from pages(value)

    listed = set(pages(config["nav"]))
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert listed == on_disk
    assert "social" not in str(config["plugins"]) and "privacy" not in str(config["plugins"])
    assert config["theme"]["font"] is False  # no web fonts fetched


def test_schema_version_is_stated_as_the_schemas_say():
    from etown_approvals.schemas import schema

    version = schema("summary")["properties"]["schema_version"]["const"]
    page = (DOCS / "ci.md").read_text(encoding="utf-8")
    stated = re.findall(r"It is `(\d+)` today", page)
    assert stated == [str(version)]
    for command in ("projects", "stages", "trend", "validate", "check"):
        document = schema(command)
        if "properties" in document and "schema_version" in document["properties"]:
            assert document["properties"]["schema_version"]["const"] == version, command


def test_docs_extra_and_ci_build_the_manual():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(r.startswith("mkdocs-material") for r in extras["docs"])
    assert any(r.startswith("mkdocstrings[python]") for r in extras["docs"])
    ci = (ROOT / ".ci" / "run").read_text()
    assert "'.[docs]'" in ci and "mkdocs build --strict" in ci
