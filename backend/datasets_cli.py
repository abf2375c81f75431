"""`overt datasets`: list, verify, export, split and describe the sealed datasets.

Works on OVERT_DATASETS_URL (default `<data dir>/datasets`; `s3://bucket/prefix` allowed). Only
`export` needs Redis: every export is appended to the audit log (backend/core/audit.py), and an
export that cannot be audited is refused before anything is copied.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import redis

from .cli_support import CLIError, default_actor, redis_client
from .core import dataset_ops
from .core.audit import AuditChainError, audit
from .core.config import load_settings
from .core.dataset_manifest import ManifestError, latest, read_raw_lines
from .core.dataset_schema import arrow_schema_text, json_schema
from .core.dataset_storage import open_storage
from .core.steps import export_steps


class DatasetsError(click.ClickException):
    """A one-line error; exit code 2 (as every `overt` command)."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"overt: error: {self.format_message()}", err=True)


class ExportNotAuditedError(DatasetsError):
    """An export the audit log could not record (Redis unreachable); exit code 2."""


def _storage():
    return open_storage(load_settings().datasets_location)


def _audit_target():
    """Return (settings, Redis) of the deployment whose audit log records the export.

    Found as every other command finds Redis (cli_support.py); the datasets exported are that
    deployment's too. Raise ExportNotAuditedError, before anything is copied, when unreachable.
    """
    try:
        return redis_client()
    except CLIError as err:
        raise ExportNotAuditedError(
            f"nothing exported: an export must be audited, and {err.format_message()}"
        ) from None


def _record_export(r: redis.Redis, actor: str, destination: Path, **details) -> None:
    """Append the `dataset_export` audit entry, or fail loudly saying the copy is unaudited."""
    try:
        audit(r, actor, "dataset_export", destination=str(destination.resolve()), **details)
    except (redis.RedisError, OSError, AuditChainError) as err:
        raise ExportNotAuditedError(
            f"the export to {destination} was written but could not be audited "
            f"({type(err).__name__}: {err}); delete it, or export again once Redis is back"
        ) from None


def exported_records(storage, lines: int, since: int) -> int:
    """Return the records of the shards an export up to manifest line `lines` copied."""
    entries = [json.loads(line) for line in read_raw_lines(storage)[:lines]]
    return sum(
        e["events"]
        for e in latest(entries).values()
        if e["line"] > since and e["op"] in dataset_ops.LIVE
    )


def _check_actor(ctx, param, value: str) -> str:
    if not 0 < len(value) <= 100 or not value.isprintable():
        raise click.BadParameter("1-100 printable characters")
    return value


ACTOR_OPTION = click.option(
    "--actor",
    default=default_actor,
    callback=_check_actor,
    show_default="cli:<os user>",
    help="Who exports, as the audit log records it.",
)


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
    "--format",
    "fmt",
    type=click.Choice(["parquet", "jsonl", "steps"]),
    default="parquet",
    show_default=True,
    help="steps: one JSON object per episode, its observations and actions (steps.jsonl).",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write.")
@click.option("--since", type=click.IntRange(min=0), default=0, help="Last manifest line seen.")
@ACTOR_OPTION
def export(fmt: str, out: str, since: int, actor: str):
    """Copy the dataset into OUT, or only what changed after manifest line SINCE (audited)."""
    settings, r = _audit_target()
    storage, destination = open_storage(settings.datasets_location), Path(out)
    if fmt == "steps":  # agent trajectories (backend/core/steps.py); always the whole dataset
        path, episodes, steps = export_steps(storage, destination)
        _record_export(r, actor, destination, format=fmt, since=0, episodes=episodes, steps=steps)
        click.echo(f"wrote {path}: {episodes} episode(s), {steps} step(s)")
        return
    result = dataset_ops.export(storage, destination, fmt, since)
    records = exported_records(storage, result["lines"], since)
    _record_export(
        r,
        actor,
        destination,
        format=fmt,
        since=since,
        shards=result["copied"],
        removed=result["removed"],
        records=records,
        manifest_lines=result["lines"],
    )
    click.echo(
        f"exported {result['copied']} shard(s), removed {result['removed']}; {records} record(s); "
        f"manifest at line {result['lines']} (next: --since {result['lines']})"
    )


@datasets.command()
@click.option("--by", type=click.Choice(["contributor"]), default="contributor", show_default=True)
@click.option("--val", type=click.FloatRange(0, 1), default=0.1, show_default=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write.")
@ACTOR_OPTION
def split(by: str, val: float, out: str, actor: str):
    """Write OUT/train and OUT/validation; each contributor lands in one split only (audited)."""
    settings, r = _audit_target()
    destination = Path(out)
    result = dataset_ops.split(open_storage(settings.datasets_location), destination, val)
    counts = {f"{side}_records": c["events"] for side, c in result.items()}
    _record_export(r, actor, destination, format="split", by=by, val=val, **counts)
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
        click.echo(arrow_schema_text())
