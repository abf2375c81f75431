"""`overt datasets`: read the sealed datasets (registered in backend/cli.py)."""

from __future__ import annotations

from pathlib import Path

import click

from .core.config import load_settings
from .core.steps import export_steps


@click.group()
def datasets():
    """Read the sealed datasets."""


@datasets.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["steps"]),
    required=True,
    help="steps: one JSON object per episode, its observations and actions (JSON Lines).",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
def datasets_export(fmt: str, out_dir: Path):
    """Export the sealed datasets in a training format."""
    settings = load_settings()
    path, episodes, steps = export_steps(settings.datasets_dir, out_dir)
    click.echo(f"wrote {path}: {episodes} episode(s), {steps} step(s)")
