"""Run an etown command once per file, for pre-commit hooks.

pre-commit calls a hook's entry with the hook's ``args`` and then every staged
file that matches; etown's commands read one FILE. ``python -m
etown_approvals.hooks validate [OPTIONS] FILE...`` runs ``etown validate
[OPTIONS] FILE`` for each file of approval data and exits with the highest exit
code, so one invalid file fails the commit and each file's report is shown.

A file that is not approval data never fails a commit: a table whose header names
neither the project column nor any stage (nor an event log's event and date
columns), as the configuration and the hook's column options name them, is
skipped with a note (a ``requirements.txt``, a lookup table of zones).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import click


def split_arguments(command: click.Command, argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """``argv`` as (options with their values, files), using the command's own options
    to know which take a value."""
    takes_value: dict[str, bool] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for name in (*param.opts, *param.secondary_opts):
                takes_value[name] = not (param.is_flag or param.count)
    options: list[str] = []
    files: list[str] = []
    position = 0
    while position < len(argv):
        arg = argv[position]
        if arg.startswith("-") and arg != "-":
            options.append(arg)
            if "=" not in arg and takes_value.get(arg, False) and position + 1 < len(argv):
                position += 1
                options.append(argv[position])
        else:
            files.append(arg)
        position += 1
    return options, files


def _value(options: Sequence[str], name: str) -> list[str]:
    """Every value given to option ``name`` in ``options`` (``--name VALUE`` or ``=``)."""
    found = []
    for position, option in enumerate(options):
        if option == name and position + 1 < len(options):
            found.append(options[position + 1])
        elif option.startswith(name + "="):
            found.append(option.split("=", 1)[1])
    return found


def _last(options: Sequence[str], name: str) -> str | None:
    """The value of option ``name`` given last in ``options`` (None: not given)."""
    found = _value(options, name)
    return found[-1] if found else None


def is_approval_data(path: str, options: Sequence[str] = ()) -> bool:
    """Whether ``path`` is approval data as the command would read it: a table whose
    header names the project column, a stage, or an event log's event and date
    columns. A file that cannot be read as a table is left to the command (it says
    why), so only a readable table of something else is passed over."""
    from .config import discover, load_project_config, with_columns
    from .errors import EtownError
    from .reader import read_table
    from .shape import HeaderHint
    from .stages import (
        DATE_COLUMN_ALIASES,
        EVENT_COLUMN_ALIASES,
        PROJECT_COLUMN_ALIASES,
        find_column,
    )

    try:
        configured = _value(options, "--config")
        project = None
        if configured:
            project = load_project_config(configured[-1])
        elif "--no-config" not in options:
            found = discover(Path.cwd())
            project = found[1] if found else None
        stage_pairs = [tuple(v.split("=", 1)) for v in _value(options, "--stage") if "=" in v]
        stages = with_columns(
            project,
            project=_last(options, "--project"),
            stages=[(name.strip(), column.strip()) for name, column in stage_pairs],
            event_column=_last(options, "--event-column"),
            date_column=_last(options, "--date-column"),
        ).stages
        sheet = _last(options, "--sheet")
        raw = read_table(
            path,
            encoding=_last(options, "--encoding"),
            delimiter=_last(options, "--delimiter"),
            sheet=int(sheet) if sheet and sheet.isdigit() else sheet,
            header=HeaderHint.of(stages),
        )
    except EtownError:
        return True
    headers = raw.headers
    if find_column(headers, stages.project_column, PROJECT_COLUMN_ALIASES) is not None:
        return True
    if any(stages.stage_of_header(header) for header in headers):
        return True
    event = find_column(headers, stages.event_column, EVENT_COLUMN_ALIASES)
    day = find_column(headers, stages.date_column, DATE_COLUMN_ALIASES)
    return event is not None and day is not None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on each file of approval data; the worst exit code."""
    from .cli import cli

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in cli.commands:
        print(f"usage: python -m etown_approvals.hooks {'|'.join(cli.commands)} [OPTIONS] FILE...")
        return 2
    name, rest = args[0], args[1:]
    options, files = split_arguments(cli.commands[name], rest)
    worst = 0
    for path in files:
        if not is_approval_data(path, options):
            print(
                f"etown: {path}: not approval data (no project or stage column): skipped",
                file=sys.stderr,
            )
            continue
        # A process per file: each file's exit code and output stay its own.
        done = subprocess.run(
            [sys.executable, "-m", "etown_approvals", name, path, *options], check=False
        )
        worst = max(worst, done.returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main())
