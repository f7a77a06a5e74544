"""pandas named before it is imported, so that importing it can overlap other work.

pandas takes about a third of a second to import. The command line starts that
import on a thread (:func:`warm`) just before pyarrow parses the input, which
releases the GIL for most of its work; the modules on the way to the parse
(``analysis``, ``cache``, ``loader``, ``metrics``, ``findings``) therefore name
pandas through :data:`pandas`, which imports it on first use. Whatever uses it
first waits for the import already under way (Python's import lock), then goes on.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from typing import Any


class _Module:
    """A module imported on first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(importlib.import_module(self._name), attribute)
        setattr(self, attribute, value)  # found directly from now on, as a module's own
        return value

    def __repr__(self) -> str:
        return f"<{self._name}, imported on first use>"


pandas: Any = _Module("pandas")


def warm(name: str = "pandas") -> None:
    """Start importing ``name`` on a daemon thread, unless it is imported already.

    A failed import is left for the first real use to raise, with its traceback
    where it belongs.
    """
    if name in sys.modules:
        return

    def load() -> None:
        with contextlib.suppress(BaseException):  # raised again on first use
            importlib.import_module(name)

    threading.Thread(target=load, name=f"etown-import-{name}", daemon=True).start()
