"""Run an etown command once per file, for pre-commit hooks.

pre-commit calls a hook's entry with the hook's ``args`` and then every staged
file that matches; etown's commands read one FILE. ``python -m
etown_approvals.hooks validate [OPTIONS] FILE...`` runs ``etown validate
[OPTIONS] FILE`` for each file and exits with the highest exit code, so one
invalid file fails the commit and each file's report is shown.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

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


def main(argv: Sequence[str] | None = None) -> int:
    from .cli import cli

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in cli.commands:
        print(f"usage: python -m etown_approvals.hooks {'|'.join(cli.commands)} [OPTIONS] FILE...")
        return 2
    name, rest = args[0], args[1:]
    options, files = split_arguments(cli.commands[name], rest)
    worst = 0
    for path in files:
        # A process per file: each file's exit code and output stay its own.
        done = subprocess.run(
            [sys.executable, "-m", "etown_approvals", name, path, *options], check=False
        )
        worst = max(worst, done.returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main())
