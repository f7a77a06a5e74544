"""pandas named before it is imported, so that importing it can overlap other work.

pandas takes about a third of a second to import. The command line asks for that
import on a thread once pyarrow has parsed the input (:func:`warm_after_parse`;
the reader calls :func:`parsed`): the parse itself keeps both cores busy and runs
slower beside an import, while the steps right after it (dictionary-encoding the
project column, reading dates) leave a core free. The modules on the way to the
parse (``analysis``, ``cache``, ``loader``, ``metrics``, ``findings``, ``results``)
therefore name pandas through :data:`pandas`, which imports it on first use.
Whatever uses it first waits for the import already under way (Python's import
lock), then goes on; an input that is never parsed (a cached one, a workbook)
imports it on first use.
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


#: Modules to import on a thread once the input is parsed.
_after_parse: list[str] = []


def warm_after_parse(name: str = "pandas") -> None:
    """Import ``name`` on a thread as soon as pyarrow's parse of the input is over
    (see :func:`parsed`), unless it is imported already."""
    if name not in sys.modules and name not in _after_parse:
        _after_parse.append(name)


def parsed() -> None:
    """The reader's parse is over: start the imports :func:`warm_after_parse` asked for."""
    while _after_parse:
        warm(_after_parse.pop(0))
