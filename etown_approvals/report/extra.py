"""Whether the report's optional packages are installed (cheap: nothing imported)."""

from __future__ import annotations

from importlib.util import find_spec

from ..errors import MissingExtraError

#: The packages of the ``report`` extra, by import name -> distribution name.
EXTRA_PACKAGES = {"altair": "altair", "vl_convert": "vl-convert-python", "jinja2": "jinja2"}
INSTALL_HINT = "pip install 'etown-approvals[report]'"


def require_extra() -> None:
    """Raise :class:`MissingExtraError` (one line, naming the extra) unless the report's
    optional packages are installed."""
    missing = [dist for module, dist in EXTRA_PACKAGES.items() if find_spec(module) is None]
    if missing:
        raise MissingExtraError(
            f"the HTML report needs {', '.join(missing)}, not installed: {INSTALL_HINT}"
        )
