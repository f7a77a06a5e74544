"""The ``etown`` command: thin click glue over the library.

``app`` holds the group, the error-to-exit-code mapping and output; ``options``
the shared option decorators, each yielding one typed object; ``commands`` the
commands. pandas, pyarrow and rich are imported inside commands, so
``etown --help`` and ``etown --version`` start fast.
"""

from __future__ import annotations

from .commands import cli, main

__all__ = ["cli", "main"]
