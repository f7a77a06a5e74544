"""The examples of the README and the manual, read from their Markdown.

Fenced blocks are examples by their language:

- ``console``: ``$ command`` lines, each followed by the output it shows (if any).
  Output lines starting ``etown:`` (or click's ``Usage:``/``Try``/``Error:``) are the
  command's standard error, the others its standard output. A line ``...`` stands for
  any lines; ``...`` inside a line for any text. A command that is meant to fail ends in
  a comment naming its exit code: ``$ etown validate data/projects.csv  # exit 1``.
- ``sh``: one command a line (``\\`` continues a line), exit 0 unless ``# exit N``.
- ``python``: a script; ``pycon``: ``>>>`` examples whose shown results are compared
  (doctest).
- ``toml``: an etown configuration; ``yaml``: YAML.

A block that is not meant to run has a marker on the line before its fence:
``<!-- not run: the reason -->``. Blocks in other languages (``text``, ``json``) are
never run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

RUNNABLE = frozenset({"console", "sh", "python", "pycon", "toml", "yaml"})
NOT_RUN = re.compile(r"^\s*<!-- not run: (?P<reason>[^>]*\S)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)(?P<info>[^`]*)$")
STDERR_PREFIXES = ("etown:", "Usage:", "Try ", "Error:")
SNIPPET = re.compile(r'^--8<-- "(?P<path>[^"]+)"\s*$')  # a file included when built
EXIT_COMMENT = re.compile(r"\s+#\s*exit (?P<code>\d+)\s*$")


def pages() -> list[Path]:
    """The README and every page of the manual."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, counting from 1
    language: str
    text: str
    not_run: str | None = None  # the reason given by the marker

    @property
    def where(self) -> str:
        return f"{name(self.path)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with their indentation removed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        language = opening["info"].strip().split(" ")[0] if opening["info"].strip() else ""
        marker = NOT_RUN.match(lines[i - 1]) if i > 0 else None
        body = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        snippet = SNIPPET.match("\n".join(body))
        text = (ROOT / snippet["path"]).read_text(encoding="utf-8") if snippet else None
        found.append(
            Block(
                path,
                i + 1,
                language,
                text or "\n".join(body) + "\n",
                marker["reason"] if marker else None,
            )
        )
        i = j + 1
    return found


@dataclass
class Command:
    text: str
    exit_code: int = 0
    output: list[str] = field(default_factory=list)

    @property
    def shows_output(self) -> bool:
        return any(line.strip() for line in self.output)

    def expected(self) -> tuple[list[str], list[str]]:
        """The shown (stdout, stderr) lines."""
        out, err = [], []
        for line in _trimmed(self.output):
            (err if line.startswith(STDERR_PREFIXES) else out).append(line)
        return out, err


def _exit_code(command: str) -> tuple[str, int]:
    found = EXIT_COMMENT.search(command)
    if found is None:
        return command, 0
    return command[: found.start()], int(found["code"])


def console_commands(block: Block) -> list[Command]:
    commands: list[Command] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            text = line[2:]
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i].strip()
            command, code = _exit_code(text)
            commands.append(Command(command.strip(), code))
        elif commands:
            commands[-1].output.append(line)
        elif line.strip():
            raise ValueError(f"{block.where}: output before any '$ ' command: {line!r}")
        i += 1
    return commands


def sh_commands(block: Block) -> list[Command]:
    commands = []
    pending = ""
    for line in block.text.splitlines():
        if pending:
            line = pending + " " + line.strip()
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        command, code = _exit_code(line)
        commands.append(Command(command.strip(), code))
    return commands


def _trimmed(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(shown: list[str], actual: str) -> bool:
    """Whether the actual text is the shown lines, ``...`` standing for anything."""
    pattern = []
    for line in shown:
        if line == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pattern.append(r".*?".join(re.escape(part) for part in line.split("...")) + r"\n")
    text = "".join(line + "\n" for line in _trimmed(actual.splitlines()))
    return re.fullmatch("".join(pattern), text) is not None


def paragraphs(path: Path) -> list[tuple[int, str]]:
    """Prose paragraphs, list items and table rows, outside code blocks, with their line.

    Whitespace is folded and Markdown links reduced to their text, so the same words
    written twice are found however they were wrapped.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    fence = None

    def close() -> None:
        if current:
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", " ".join(current))
            found.append((start, re.sub(r"\s+", " ", text).strip()))
            current.clear()

    for number, line in enumerate(lines, 1):
        opening = FENCE.match(line)
        if fence is not None:
            if line.strip() == fence:
                fence = None
            continue
        if opening:
            close()
            fence = opening["fence"]
            continue
        stripped = line.strip()
        item = re.match(r"^(\s*)([-*]|\d+\.)\s+", line)
        if not stripped or stripped.startswith(("#", "<!--", "|---", "| ---")):
            close()
        elif stripped.startswith("|") or item:
            close()
            start = number
            current.append(line[item.end() :].strip() if item else stripped)
            if stripped.startswith("|"):
                close()
        else:
            if not current:
                start = number
            current.append(stripped)
    close()
    return found
