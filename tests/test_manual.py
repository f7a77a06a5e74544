"""Every example of the README and the manual runs as written, and prints what it shows.

Each page runs in a scratch folder holding what the repository ships for examples
(``data/`` and ``examples/``), its blocks in order, as a reader would type them into
one terminal: a file one block writes (``etown init``'s ``etown.toml``) is there for the
next. The commands run in a shell with this environment's ``etown`` first on PATH, no
colour, no terminal (so tables are 80 columns of plain ASCII, as when piped) and a
parse cache of their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from etown_approvals.config import load_project_config

from . import manual
from .manual import Block, Command

SHIPPED = ("data", "examples")
BIN = Path(sys.executable).parent
PAGES = manual.pages()


def scratch(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    for folder in SHIPPED:
        shutil.copytree(manual.ROOT / folder, work / folder)
    return work


def environment(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ETOWN_", "FORCE_COLOR", "CLICOLOR", "COLUMNS", "LINES"))
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        NO_COLOR="1",
        ETOWN_CACHE_DIR=str(tmp_path / "cache"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def run_command(block: Block, command: Command, cwd: Path, env: dict[str, str]) -> list[str]:
    done = shell(command.text, cwd, env)
    where = f"{block.where}: $ {command.text}"
    problems = []
    if done.returncode != command.exit_code:
        problems.append(
            f"{where}: exit {done.returncode}, documented {command.exit_code}\n{done.stderr}"
        )
    if command.shows_output:
        out, err = command.expected()
        if not manual.matches(out, done.stdout):
            problems.append(f"{where}: standard output differs:\n{done.stdout}")
        if not manual.matches(err, done.stderr):
            problems.append(f"{where}: standard error differs:\n{done.stderr}")
    return problems


def run_block(block: Block, cwd: Path, env: dict[str, str]) -> list[str]:
    if block.language in ("console", "sh"):
        parse = manual.console_commands if block.language == "console" else manual.sh_commands
        commands = parse(block)
        if not commands:
            return [f"{block.where}: a {block.language} block without a command"]
        return [p for c in commands for p in run_command(block, c, cwd, env)]
    if block.language in ("python", "pycon"):
        script = cwd / f"example_{block.line}.{'py' if block.language == 'python' else 'txt'}"
        script.write_text(block.text, encoding="utf-8")
        doctest = ["-m", "doctest", "-o", "ELLIPSIS", "-o", "NORMALIZE_WHITESPACE"]
        argv = [sys.executable, *(doctest if block.language == "pycon" else []), script.name]
        done = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
        )
        if done.returncode != 0:
            return [f"{block.where}: python exited {done.returncode}\n{done.stdout}{done.stderr}"]
        return []
    if block.language == "toml":
        folder = cwd.parent / f"config_{block.line}"
        folder.mkdir()
        config = folder / ("pyproject.toml" if "[tool.etown" in block.text else "etown.toml")
        config.write_text(block.text, encoding="utf-8")
        try:
            load_project_config(config)
        except Exception as error:  # the test reports every block that fails
            return [f"{block.where}: not a valid configuration: {error}"]
        return []
    if block.language == "yaml":
        yaml.safe_load(block.text)
        return []
    return []


@pytest.mark.parametrize("page", PAGES, ids=manual.name)
def test_every_example_runs_as_shown(page: Path, tmp_path: Path) -> None:
    cwd, env = scratch(tmp_path), environment(tmp_path)
    ran = 0
    problems: list[str] = []
    for block in manual.blocks(page):
        if block.language not in manual.RUNNABLE or block.not_run:
            continue
        problems += run_block(block, cwd, env)
        ran += 1
    assert not problems, "\n\n".join(problems)
    assert ran == sum(b.language in manual.RUNNABLE and not b.not_run for b in manual.blocks(page))


def test_blocks_not_run_are_few_and_say_why() -> None:
    runnable = [b for p in PAGES for b in manual.blocks(p) if b.language in manual.RUNNABLE]
    skipped = [b for b in runnable if b.not_run]
    for block in skipped:
        assert len(block.not_run.split()) >= 3, f"{block.where}: say why it is not run"
    assert len(skipped) <= max(3, len(runnable) // 8), [b.where for b in skipped]
    other = [
        b.where
        for p in PAGES
        for b in manual.blocks(p)
        if b.not_run and b.language not in manual.RUNNABLE
    ]
    assert not other, f"a marker on a block that would not run anyway: {other}"


def test_examples_read_only_shipped_files() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, manual.name(page)
        for block in manual.blocks(page):
            if block.language in manual.RUNNABLE and not block.not_run:
                assert "tests/" not in block.text, f"{block.where}: ship the file in examples/"


def test_console_output_matching() -> None:
    assert manual.matches(["a", "...", "d"], "a\nb\nc\nd\n")
    assert manual.matches(["a", "...", "b"], "a\nb\n")
    assert manual.matches(["x ... z"], "x y z  \n\n")
    assert not manual.matches(["a", "b"], "a\nc\n")
    assert not manual.matches(["a"], "a\nb\n")
    assert manual.matches([], "")
    assert not manual.matches([], "something\n")
