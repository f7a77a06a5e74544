"""etown: measure how fast construction projects move through government approval.

The library is the product; the ``etown`` command is a thin layer on top::

    from etown_approvals import analyze

    analysis = analyze("data/projects.csv")
    print(analysis.summary().document["days"]["median"])

or step by step::

    from etown_approvals import load, project_table, summarize

    loaded = load("data/projects.csv")
    projects = project_table(loaded.events, loaded.stages)
    print(summarize(projects)["days"]["median"])

Heavy modules (pandas, pyarrow) load on first use of these names, so that
importing the package for ``etown --version`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.2.0"

_LAZY = {
    "load": "loader",
    "LoadResult": "loader",
    "project_table": "metrics",
    "summarize": "metrics",
    "MetricOptions": "metrics",
    "analyze": "analysis",
    "Analysis": "analysis",
    "InputOptions": "options",
    "Selection": "options",
    "OutputOptions": "options",
    "Result": "results",
    "Kind": "kinds",
    "validate": "validation",
    "Validation": "validation",
    "load_config": "config",
    "render": "formats",
    "StageSet": "stages",
    "ETOWN": "stages",
    "EtownError": "errors",
    "ExitCode": "errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
