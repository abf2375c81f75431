"""The README stays true: two quick-start commands (the second is CI's), every doc listed,
every `overt` command it shows parses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from backend.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def sh_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_quick_start_is_two_commands_and_the_second_is_what_ci_runs():
    """One command sets up and starts Overt, one sets up and runs the suite exactly as CI does."""
    use, test = sh_blocks(section("Quick start"))
    assert "\n" not in use and use.endswith("overt up")
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert test == ci


def test_layout_lists_every_doc():
    """Every file in docs/ is named in the Layout table."""
    docs_row = next(line for line in section("Layout").splitlines() if line.startswith("| `docs/`"))
    for doc in sorted((ROOT / "docs").glob("*.md")):
        assert f"`{doc.name}`" in docs_row, f"docs/{doc.name} missing from README's Layout"


def overt_lines() -> list[str]:
    lines = []
    for block in sh_blocks(README):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("overt "):
                lines.append(line)
    return lines


@pytest.mark.parametrize("line", overt_lines())
def test_every_overt_command_in_the_readme_parses(line):
    """Each `overt ...` line shown in the README names real commands and options."""
    args = shlex.split(line, comments=True)[1:]
    command: click.Command = main
    while isinstance(command, click.Group):
        name, *args = args
        command = command.get_command(click.Context(main), name)
        assert command is not None, f"no command {name!r} in {line!r}"
    command.make_context(command.name, list(args))  # raises on an unknown option or a bad value
