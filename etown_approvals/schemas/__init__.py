"""JSON Schemas (draft 2020-12) of etown's JSON outputs, one per command.

``schema("summary")`` is the schema of ``etown summary --format json``; the
files ship in this package (``etown_approvals/schemas/NAME.json``). Each
describes the output of this version of etown exactly: every key, its type and
whether it may be null; objects with a fixed set of keys are closed
(``additionalProperties: false``), so a renamed, missing or undocumented key
fails validation. ``schema_version`` in the documents is the schema's ``const``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ..errors import EtownError, ExitCode

#: Commands with a JSON output and so a schema, in the order of ``etown --help``
#: (``cache`` is ``etown cache info --json``).
NAMES = (
    "summary",
    "projects",
    "stages",
    "trend",
    "compare",
    "timeline",
    "validate",
    "check",
    "cache",
)


class UnknownSchemaError(EtownError, KeyError):
    """No schema of that name (a usage error: the name comes from the command line)."""

    exit_code = ExitCode.USAGE

    def __str__(self) -> str:  # KeyError would quote the message
        return EtownError.__str__(self)


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of command ``name``'s JSON output, as a new dict."""
    return json.loads(schema_text(name))


@cache
def schema_text(name: str) -> str:
    """The schema file of command ``name`` as text (what ``etown schema NAME`` prints)."""
    if name not in NAMES:
        raise UnknownSchemaError(f"no JSON schema for {name!r}; schemas: {', '.join(NAMES)}")
    return resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
