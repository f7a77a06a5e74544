"""MkDocs hook: the command reference is the ``--help`` of every command, made at build time.

``docs/reference/cli.md`` holds a marker line; each build replaces it with the help
text click prints for ``etown``, each command and each subcommand, so the manual
cannot say anything ``--help`` does not. ``tests/test_docs.py`` renders it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
from click.testing import CliRunner

MARKER = "<!-- the help of every command is inserted here when the manual is built -->"
WIDTH = 88  # columns of the rendered help: fits a code block on the page


def commands(
    group: click.Command | None = None, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """The path of every command under ``etown``, groups before their subcommands."""
    if group is None:
        from etown_approvals.cli import cli

        group = cli
    yield path
    if isinstance(group, click.Group):
        for name in sorted(group.list_commands(click.Context(group))):
            command = group.get_command(click.Context(group), name)
            if command is not None and not command.hidden:
                yield from commands(command, (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    """What ``etown PATH --help`` prints, at a fixed width."""
    from etown_approvals.cli import cli

    result = CliRunner().invoke(
        cli, [*path, "--help"], prog_name="etown", terminal_width=WIDTH, catch_exceptions=False
    )
    if result.exit_code != 0:
        raise RuntimeError(f"etown {' '.join(path)} --help exited {result.exit_code}")
    return result.stdout.rstrip() + "\n"


def reference() -> str:
    """The Markdown of every command's help, a section each."""
    parts = []
    for path in commands():
        title = " ".join(("etown", *path))
        parts.append(f"## `{title}`\n\n```text\n{help_text(path)}```\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, **_: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, reference())
    return markdown
