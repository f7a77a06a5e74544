"""``etown report``: one self-contained HTML page of an analysis, in English or Chinese.

The charts need the optional ``report`` extra (altair, vl-convert-python, jinja2)::

    pip install 'etown-approvals[report]'

    from etown_approvals import analyze
    from etown_approvals.report import Report

    Report(analyze("data/projects.csv"), lang="zh-CN").save("report.html")

In Jupyter, a ``Report`` shows itself (``_repr_html_``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .extra import EXTRA_PACKAGES, INSTALL_HINT, require_extra

if TYPE_CHECKING:
    from .builder import Report

__all__ = ["EXTRA_PACKAGES", "INSTALL_HINT", "Report", "require_extra"]


def __getattr__(name: str) -> Any:
    # The builder imports pandas and the report's extras: only on first use.
    if name == "Report":
        from .builder import Report

        return Report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
