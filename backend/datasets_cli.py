"""`overt datasets`: list, verify, export, split and describe the sealed datasets.

Works on OVERT_DATASETS_URL (default `<data dir>/datasets`; `s3://bucket/prefix` allowed) and
needs no Redis.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .core import dataset_ops
from .core.config import load_settings
from .core.dataset_manifest import ManifestError
from .core.dataset_schema import arrow_schema, json_schema
from .core.dataset_storage import open_storage


class DatasetsError(click.ClickException):
    """A one-line error; exit code 2 (as every `overt` command)."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"overt: error: {self.format_message()}", err=True)


def _storage():
    return open_storage(load_settings().datasets_location)


class DatasetsGroup(click.Group):
    """Turn unreadable storage and bad files into one-line errors (exit 2)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (OSError, ValueError) as err:
            raise DatasetsError(f"{type(err).__name__}: {err}") from None


@click.group(cls=DatasetsGroup)
def datasets():
    """Inspect, check and copy the sealed datasets (OVERT_DATASETS_URL)."""


@datasets.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(as_json: bool):
    """List shards with their events, contributors and revision."""
    rows = dataset_ops.list_shards(_storage())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['path']}  events={row['events']}  contributors={row['contributors']}  "
            f"revision={row['revision']}  sha256={row['sha256'][:12]}"
        )
    click.echo(f"{len(rows)} shard(s), {sum(r['events'] for r in rows)} event(s)")


@datasets.command()
def verify():
    """Check every shard's and card's sha256 and the manifest's hash chain (exit 1 on a fault)."""

    try:
        result = dataset_ops.verify(_storage())
    except ManifestError as err:
        click.echo(f"overt: verify failed: {err}", err=True)
        sys.exit(1)
    click.echo(
        f"ok: {result['shards']} shard(s), {result['events']} event(s), "
        f"{result['lines']} manifest line(s)"
    )


@datasets.command()
@click.option(
    "--format", "fmt", type=click.Choice(["parquet", "jsonl"]), default="parquet", show_default=True
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write.")
@click.option("--since", type=click.IntRange(min=0), default=0, help="Last manifest line seen.")
def export(fmt: str, out: str, since: int):
    """Copy the dataset into OUT, or only what changed after manifest line SINCE."""
    result = dataset_ops.export(_storage(), Path(out), fmt, since)
    click.echo(
        f"exported {result['copied']} shard(s), removed {result['removed']}; "
        f"manifest at line {result['lines']} (next: --since {result['lines']})"
    )


@datasets.command()
@click.option("--by", type=click.Choice(["contributor"]), default="contributor", show_default=True)
@click.option("--val", type=click.FloatRange(0, 1), default=0.1, show_default=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write.")
def split(by: str, val: float, out: str):
    """Write OUT/train and OUT/validation; each contributor lands in one split only."""
    result = dataset_ops.split(_storage(), Path(out), val)
    for side, counts in result.items():
        click.echo(f"{side}: {counts['events']} event(s), {counts['contributors']} contributor(s)")


@datasets.command()
@click.option(
    "--format", "fmt", type=click.Choice(["json", "arrow"]), default="json", show_default=True
)
def schema(fmt: str):
    """Print the record schema: JSON Schema, or the Arrow schema of every shard."""
    if fmt == "json":
        click.echo(json.dumps(json_schema(), indent=2))
    else:
        click.echo(arrow_schema().to_string(show_schema_metadata=True))
