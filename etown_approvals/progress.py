"""A status line on stderr while a large file is read and measured.

Rich's status (a spinner and a line of text, redrawn in place) clears itself when
the work ends, whatever the terminal width, so no stale line is left behind. It is
shown only when stderr is a terminal and the user has not asked for quiet: a log
file or a pipe gets nothing at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from .terminal import visible

#: Called with a short description of the current step ("reading", "measuring 1,200 events").
Step = Callable[[str], None]


def _ignore(_step: str) -> None:
    """The step callback when nothing is shown."""


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (False when it cannot say)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


@contextmanager
def status(
    source: str,
    *,
    quiet: bool = False,
    stream: TextIO | None = None,
    color: bool = True,
) -> Iterator[Step]:
    """Show ``etown: SOURCE: STEP...`` on ``stream`` (stderr) while the block runs.

    Yields a callback that sets the step; it matches the ``progress`` argument of
    :func:`etown_approvals.analysis.analyze`. Nothing is written when ``quiet`` or
    when the stream is not a terminal. The line is erased when the block ends,
    also when it ends with an exception, so an error message starts on a clean line.
    """
    out = sys.stderr if stream is None else stream
    if quiet or not is_terminal(out):
        yield _ignore
        return
    # rich only when there is a terminal to draw on (its import costs 40 ms).
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=out,
        force_terminal=True,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        stderr=stream is None,
    )
    prefix = f"etown: {visible(source)}: "

    def line(step: str) -> Text:
        # A Text, not a string: rich would read a "[/]" in a file name as markup.
        return Text(f"{prefix}{visible(step)}...")

    with console.status(line("starting"), spinner="dots") as shown:

        def step(description: str) -> None:
            shown.update(line(description))

        yield step
