"""``etown report``: one self-contained HTML page of an analysis, in English or Chinese.

The charts need the optional ``report`` extra (altair, vl-convert-python, jinja2)::

    pip install 'etown-approvals[report]'

    from etown_approvals import analyze
    from etown_approvals.report import Report

    Report(analyze("data/projects.csv"), lang="zh-CN").save("report.html")

In Jupyter, a ``Report`` shows itself (``_repr_html_``).
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from ..errors import MissingExtraError

if TYPE_CHECKING:
    from .builder import Report

#: The packages of the ``report`` extra, by import name -> distribution name.
EXTRA_PACKAGES = {"altair": "altair", "vl_convert": "vl-convert-python", "jinja2": "jinja2"}
INSTALL_HINT = "pip install 'etown-approvals[report]'"

__all__ = ["EXTRA_PACKAGES", "INSTALL_HINT", "Report", "require_extra"]


def require_extra() -> None:
    """Raise :class:`MissingExtraError` (one line, naming the extra) unless the report's
    optional packages are installed."""
    missing = [dist for module, dist in EXTRA_PACKAGES.items() if find_spec(module) is None]
    if missing:
        raise MissingExtraError(
            f"the HTML report needs {', '.join(missing)}, not installed: {INSTALL_HINT}"
        )


def __getattr__(name: str) -> Any:
    # The builder imports pandas and the report's extras: only on first use.
    if name == "Report":
        from .builder import Report

        return Report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
