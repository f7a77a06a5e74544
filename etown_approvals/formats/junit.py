"""JUnit XML test reports: the format CI systems (Jenkins, GitLab, GitHub test
reporters) read, in the shape of the widely used Ant/Jenkins JUnit schema.

``check``: one test case per threshold, a ``<failure>`` when it is missed.
``validate``: one test case per finding type etown knows (plus any other found),
a ``<failure>`` listing the findings of an error type, or of a warning type under
``--warnings-as-errors``; other warnings are listed in ``<system-out>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from ..checks import describe
from ..findings import ERROR, REGISTRY
from . import FORMATS
from .github import describe_finding

if TYPE_CHECKING:
    from ..results import Result
    from . import OutputOptions

#: Result kinds this format renders.
KINDS = FORMATS["junit"].kinds

# Characters XML 1.0 cannot hold, even escaped (a cell of a damaged file may have them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with characters XML cannot hold written as ``\\xNN`` escapes."""
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def render(result: Result, out: TextIO, _options: OutputOptions) -> None:
    """Write ``result`` as JUnit XML."""
    kind = str(getattr(result.kind, "value", result.kind))
    if kind == "validate":
        cases = validate_cases(result.document)
    elif kind == "check":
        cases = check_cases(result.document)
    else:
        from . import UnsupportedFormatError

        raise UnsupportedFormatError(
            f"{kind} output has no junit format; it is for {' and '.join(sorted(KINDS))}"
        )
    out.write(report(f"etown {kind}", result.document, cases, summary_line(result.document)))


class Case:
    """A test case: its name, and the failure and output it has, if any."""

    def __init__(
        self,
        name: str,
        failure: str | None = None,
        details: str = "",
        output: str = "",
        kind: str = "",
    ) -> None:
        self.name = name
        self.failure = failure
        #: The failure's ``type`` attribute.
        self.kind = kind
        self.details = details
        self.output = output


def check_cases(document: Mapping[str, Any]) -> list[Case]:
    """One test case per check."""
    cases = []
    for item in document["checks"]:
        line = describe(item)
        cases.append(
            Case(item["check"], output=line)
            if item["passed"]
            else Case(item["check"], failure=line, details=line, kind="threshold")
        )
    return cases


def validate_cases(document: Mapping[str, Any]) -> list[Case]:
    """One test case per finding type, failing where it has findings."""
    stats = document["stats"]
    warnings_fail = not document["valid"] and stats["errors"] == 0
    listed: dict[str, list[dict[str, Any]]] = {name: [] for name in REGISTRY}
    for key in ("errors", "warnings"):
        for finding in document[key]:
            listed.setdefault(finding["type"], []).append(finding)
    cases = []
    for name, found in listed.items():
        lines = "\n".join(_finding_line(finding) for finding in found)
        fails = bool(found) and (
            (REGISTRY[name].severity if name in REGISTRY else ERROR) == ERROR or warnings_fail
        )
        if fails:
            count = f"{len(found)} listed" if len(found) > 1 else "1 listed"
            severity = REGISTRY[name].severity if name in REGISTRY else ERROR
            cases.append(Case(name, failure=f"{name}: {count}", details=lines, kind=severity))
        else:
            cases.append(Case(name, output=lines))
    return cases


def _finding_line(finding: Mapping[str, Any]) -> str:
    row = finding["row"]
    return ("" if row is None else f"line {row}: ") + describe_finding(finding)


def summary_line(document: Mapping[str, Any]) -> str:
    """The verdict in one line, for the suite's output."""
    if "stats" not in document:
        return f"{document['source']}: {'passed' if document['passed'] else 'failed'}"
    stats = document["stats"]
    line = (
        f"{document['source']}: {'valid' if document['valid'] else 'not valid'} - "
        f"{stats['errors']} errors, {stats['warnings']} warnings in {stats['rows']} rows, "
        f"{stats['projects']} projects"
    )
    for key in ("errors", "warnings"):
        if len(document[key]) < stats[key]:
            line += f"; first {len(document[key])} of {stats[key]} {key} listed"
    return line


def report(
    suite_name: str, document: Mapping[str, Any], cases: list[Case], output: str = ""
) -> str:
    """The XML text of one test suite of ``cases``, inside ``<testsuites>``."""
    source = str(document["source"])
    failures = sum(case.failure is not None for case in cases)
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", {"name": suite_name, **counts, "time": "0"})
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": xml_text(f"{suite_name}: {source}"), **counts, "skipped": "0", "time": "0"},
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (("source", source), ("schema_version", document["schema_version"])):
        ET.SubElement(properties, "property", {"name": name, "value": xml_text(str(value))})
    classname = suite_name.replace(" ", ".")
    for case in cases:
        element = ET.SubElement(
            suite, "testcase", {"name": xml_text(case.name), "classname": classname, "time": "0"}
        )
        if case.failure is not None:
            failure = ET.SubElement(
                element, "failure", {"message": xml_text(case.failure), "type": case.kind}
            )
            failure.text = xml_text(case.details)
        if case.output:
            ET.SubElement(element, "system-out").text = xml_text(case.output)
    if output:
        ET.SubElement(suite, "system-out").text = xml_text(output)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
