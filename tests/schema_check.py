"""Validate etown's JSON outputs against the schemas shipped in the package.

``assert_matches_schema(name, document)`` for a document in hand;
``check_cli_output(args, result)`` for any CLI invocation: when it asked for JSON
or NDJSON and printed something, the output is validated against the command's
schema. The ``run`` fixture of conftest calls it on every invocation, so every
JSON output in the test suite is checked.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

import jsonschema
from click.testing import Result

from etown_approvals.schemas import NAMES, schema

#: For NDJSON, the schema definition of one line, per command.
LINE_DEFINITIONS = {
    "summary": "summary_row",
    "projects": "project",
    "stages": "transition",
    "trend": "period",
    "compare": "compare_row",
    "timeline": "project",
    "validate": "finding_row",
    "check": "check",
}


@cache
def validator(name: str, definition: str | None = None) -> jsonschema.Draft202012Validator:
    document = schema(name)
    if definition is not None:
        document = {**document, "$ref": f"#/$defs/{definition}"}
        for key in ("type", "properties", "required", "additionalProperties", "items"):
            document.pop(key, None)
        for key in ("if", "then", "else", "dependentRequired"):
            document.pop(key, None)
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(
        document, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def assert_matches_schema(name: str, document: Any, definition: str | None = None) -> None:
    """Fail with every violation (path and message) when ``document`` does not match."""
    errors = sorted(validator(name, definition).iter_errors(document), key=lambda e: e.json_path)
    assert not errors, f"{name} output does not match its schema:\n" + "\n".join(
        f"  {error.json_path}: {error.message}" for error in errors
    )


def output_format(args: Sequence[str]) -> str | None:
    """The format an argument list asks for (None: the command's default)."""
    chosen = None
    for position, arg in enumerate(args):
        if arg == "--json":
            chosen = "json"
        elif arg in ("--format", "-f") and position + 1 < len(args):
            chosen = args[position + 1]
        elif arg.startswith("--format="):
            chosen = arg.split("=", 1)[1]
    return chosen


def check_cli_output(args: Sequence[str], result: Result) -> int:
    """Validate a CLI result's JSON or NDJSON stdout; returns how many documents were checked."""
    if not args or args[0] not in NAMES or not result.stdout:
        return 0
    name, chosen = args[0], output_format(args)
    if name == "cache":  # etown cache info --json
        if list(args[1:2]) == ["info"] and "--json" in args:
            assert_matches_schema(name, json.loads(result.stdout))
            return 1
        return 0
    if chosen == "json":
        assert_matches_schema(name, json.loads(result.stdout))
        return 1
    if chosen == "ndjson":
        lines = result.stdout.split("\n")[:-1]  # not splitlines: U+2028 is allowed in JSON text
        for line in lines:
            assert_matches_schema(name, json.loads(line), LINE_DEFINITIONS[name])
        return len(lines)
    return 0
