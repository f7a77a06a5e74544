"""GitHub Actions workflow commands: findings and checks as annotations.

Each line is ``::error file=F,line=N,title=T::message`` (or ``::warning``, ``::notice``),
escaped as GitHub's toolkit does (``@actions/core`` ``command.ts``): in the message
``%``, CR and LF become ``%25``, ``%0D``, ``%0A``; in property values ``:`` and ``,``
also become ``%3A`` and ``%2C``. GitHub turns these lines into annotations on the
data file; elsewhere they are plain, readable log lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from ..checks import describe
from . import FORMATS

if TYPE_CHECKING:
    from ..results import Result
    from . import OutputOptions

#: Result kinds this format renders.
KINDS = FORMATS["github"].kinds

#: ``file=`` is left out for input that is not a file.
NOT_A_FILE = "<stdin>"


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as the message, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, properties: Mapping[str, object | None] | None = None) -> str:
    """One workflow command line (without the newline); properties that are None are left out."""
    given = [(key, value) for key, value in (properties or {}).items() if value is not None]
    head = f"::{name}"
    if given:
        head += " " + ",".join(f"{key}={escape_property(str(value))}" for key, value in given)
    return f"{head}::{escape_data(message)}"


def render(result: Result, out: TextIO, _options: OutputOptions) -> None:
    """Write ``result``'s findings or failed checks as GitHub Actions workflow commands."""
    kind = str(getattr(result.kind, "value", result.kind))
    if kind == "validate":
        lines = validate_lines(result.document)
    elif kind == "check":
        lines = check_lines(result.document)
    else:
        from . import UnsupportedFormatError

        raise UnsupportedFormatError(
            f"{kind} output has no github format; it is for {' and '.join(sorted(KINDS))}"
        )
    out.write("".join(line + "\n" for line in lines))


def _file(source: str) -> str | None:
    return None if source == NOT_A_FILE else source


def describe_finding(finding: Mapping[str, Any]) -> str:
    """A finding in one line: project, cell and message."""
    where = []
    if finding.get("project"):
        where.append(str(finding["project"]))
    if finding.get("field"):
        value = finding.get("value")
        where.append(finding["field"] if value is None else f"{finding['field']} = {value!r}")
    message = str(finding["message"])
    return f"{', '.join(where)}: {message}" if where else message


def validate_lines(document: Mapping[str, Any]) -> list[str]:
    """One annotation per listed finding, then a notice with the counts."""
    source, stats = document["source"], document["stats"]
    # Warnings fail validation only under --warnings-as-errors: then they are errors here too.
    warnings_fail = not document["valid"] and stats["errors"] == 0
    lines = []
    for key, default_level in (("errors", "error"), ("warnings", "warning")):
        level = "error" if key == "warnings" and warnings_fail else default_level
        for finding in document[key]:
            lines.append(
                command(
                    level,
                    describe_finding(finding),
                    {
                        "file": _file(source),
                        "line": finding["row"],
                        "title": f"etown validate: {finding['type']}",
                    },
                )
            )
        listed = len(document[key])
        if listed < stats[key]:
            lines.append(
                command(
                    "notice",
                    f"{listed} of {stats[key]} {key} shown (--limit-errors)",
                    {"file": _file(source), "title": "etown validate"},
                )
            )
    verdict = "valid" if document["valid"] else "not valid"
    lines.append(
        command(
            "notice",
            f"{source}: {verdict} - {stats['errors']} errors, {stats['warnings']} warnings "
            f"in {stats['rows']} rows, {stats['projects']} projects",
            {"file": _file(source), "title": "etown validate"},
        )
    )
    return lines


def check_lines(document: Mapping[str, Any]) -> list[str]:
    """An error per failed check, a notice per passed one."""
    source = document["source"]
    return [
        command(
            "notice" if item["passed"] else "error",
            f"{'pass' if item['passed'] else 'FAIL'}: {describe(item)}",
            {"file": _file(source), "title": f"etown check: {item['check']}"},
        )
        for item in document["checks"]
    ]
