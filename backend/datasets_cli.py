"""`overt datasets`: list, verify, export, split and describe the sealed datasets.

Works on OVERT_DATASETS_URL (default `<data dir>/datasets`; `s3://bucket/prefix` allowed). Only
`export` needs Redis: every export is appended to the audit log (backend/core/audit.py), and an
export that cannot be audited is refused before anything is copied.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import click
import redis

from .cli_support import CLIError, default_actor, redis_client
from .core import dataset_ops
from .core.audit import AuditChainError, audit
from .core.config import Settings, datasets_location, is_datasets_location, os_problem
from .core.dataset_manifest import MANIFEST, ManifestError
from .core.dataset_schema import arrow_schema_text, json_schema
from .core.dataset_storage import Storage, open_storage
from .core.private import make_private_dir
from .core.steps import export_steps
from .locate import NotFoundError, locate


class DatasetsError(click.ClickException):
    """A one-line error; exit code 2 (as every `overt` command)."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"overt: error: {self.format_message()}", err=True)


class ExportNotAuditedError(DatasetsError):
    """An export the audit log could not record (Redis unreachable); exit code 2."""


class DatasetsLocationError(DatasetsError):
    """The datasets location does not exist or is not a folder; exit 2 (`verify`: 1)."""


def _storage(settings: Settings | None = None) -> tuple[Storage, bool]:
    """Return the datasets storage and whether it exists yet.

    A location OVERT_DATASETS_URL names must exist (a typo must not look like an empty
    dataset); the default `<data dir>/datasets` may not exist yet, before anything is sealed.
    Without settings (`list`, `verify`, which need no Redis), the data dir is the one every
    command finds (backend/locate.py: a running `overt up`'s, from any folder), and nothing is
    created in it or here.
    """
    if settings is not None:
        location, explicit = settings.datasets_location, settings.datasets_url is not None
    else:
        try:
            env = locate(need_secret=False).env  # reading datasets needs no secret
        except NotFoundError:  # no Redis found: the environment's data dir, as before
            env = None
        location, explicit = datasets_location(env)
    origin = "OVERT_DATASETS_URL" if explicit else "OVERT_DATA_DIR"
    try:
        storage = open_storage(location)
    except (ValueError, ImportError) as err:  # fsspec: an unknown or unusable scheme
        raise DatasetsError(
            f"cannot open datasets at {location} (from {origin}): {err}; "
            f"use a folder, file://... or s3://bucket/prefix"
        ) from None
    problem = storage.root_problem()
    if problem is None:
        return storage, True
    if explicit or problem != "no such folder":
        raise DatasetsLocationError(f"no datasets at {location} (from {origin}): {problem}")
    return storage, False


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
            f"({err}); delete it, or export again once Redis is back"
        ) from None


def _check_actor(ctx, param, value: str) -> str:
    if not 0 < len(value) <= 100 or not value.isprintable():
        raise click.BadParameter("1-100 printable characters")
    return value


def _check_val(ctx, param, value: float) -> float:
    """Refuse a --val of NaN, which click's FloatRange lets through."""
    if math.isnan(value):  # FloatRange lets NaN through: every comparison with it is false
        raise click.BadParameter("a number from 0 to 1, not NaN")
    return value


ACTOR_OPTION = click.option(
    "--actor",
    default=default_actor,
    callback=_check_actor,
    show_default="cli:<os user>",
    help="Who exports, as the audit log records it.",
)


# What a copy writes at the top of --out (export, split, steps): a datasets location under
# --out by one of these names would be written into.
OUT_TOP = ("data", "cards", "train", "validation", "README.md", "manifest.jsonl")


def _out_folder(out: str, storage: Storage | None = None) -> Path:
    """Return the --out folder, made if missing, or fail with one line before anything is read.

    An --out that is the datasets location, lies inside it, or holds it where a copy writes is
    refused: a copy written there became part of the live dataset (JSONL files and a card naming
    them beside the shards, a train/ folder that readers of data/ took for the dataset).
    """
    path = Path(out)
    if storage is not None and not storage.remote:
        root, target = Path(storage.root).resolve(), path.resolve()
        inside = target == root or root in target.parents
        holds = target in root.parents and root.relative_to(target).parts[0] in OUT_TOP
        if inside or holds:
            raise DatasetsError(
                f"--out {out} would write into the datasets at {storage.root}: "
                f"choose a folder outside it"
            )
    try:
        make_private_dir(path)
    except OSError as err:
        raise DatasetsError(f"cannot write to --out {out}: {os_problem(err)}") from None
    return path


class DatasetsGroup(click.Group):
    """Turn unreadable storage and bad files into one-line errors (exit 2)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OSError as err:
            raise DatasetsError(os_problem(err)) from None
        except ValueError as err:
            raise DatasetsError(str(err)) from None


@click.group(cls=DatasetsGroup)
def datasets():
    """Inspect, check and copy the sealed datasets (OVERT_DATASETS_URL)."""


@datasets.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(as_json: bool):
    """List shards with their events, contributors and revision."""
    storage, present = _storage()
    rows, count, head = dataset_ops.list_shards_and_head(storage) if present else ([], 0, None)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['path']}  events={row['events']}  contributors={row['contributors']}  "
            f"revision={row['revision']}  sha256={row['sha256'][:12]}"
        )
    if not present:
        click.echo(f"no shards yet: nothing sealed in {storage.url}")
        return
    click.echo(f"{len(rows)} shard(s), {sum(r['events'] for r in rows)} event(s)")
    if head is not None:  # what `verify --head` on a copy made now takes
        click.echo(f"manifest: {count} line(s), last line sha256 {head}")


def _check_head(ctx, param, value: str | None) -> str | None:
    """Return --head in lower case, or refuse anything but the 64 hex digits of a sha256."""
    if value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise click.BadParameter(
            "the sha256 of a manifest line: 64 hex digits (the source's README.md names its "
            "last line's, and so does `overt datasets list`)"
        )
    return None if value is None else value.lower()


def _source(url: str) -> Storage:
    """Return the datasets at --against URL, or fail (exit 2) when there are none there."""
    hint = "'--against'"
    if not is_datasets_location(url):
        raise click.BadParameter(
            f"{url!r} is not a folder, file://... or s3://bucket/prefix", param_hint=hint
        )
    try:
        source = open_storage(url)
    except (ValueError, ImportError) as err:  # fsspec: an unusable location
        raise click.BadParameter(f"cannot open {url}: {err}", param_hint=hint) from None
    problem = source.root_problem()
    if problem is None and not source.exists(MANIFEST):
        problem = f"no {MANIFEST} there (nothing sealed, or not a datasets location)"
    if problem is not None:
        raise click.BadParameter(f"no datasets at {url}: {problem}", param_hint=hint)
    return source


@datasets.command()
@click.option(
    "--head",
    metavar="SHA256",
    callback=_check_head,
    help="Also fail unless the manifest's last line has this sha256 (the source's, for the line "
    "the copy claims to end at).",
)
@click.option(
    "--against",
    metavar="URL",
    help="Also fail unless every manifest line is the same line of the datasets at URL (the "
    "source: a folder or s3://).",
)
def verify(head: str | None, against: str | None):
    """Check every shard's and card's sha256 and the manifest's hash chain (exit 1 on a fault)."""

    source = _source(against) if against is not None else None
    try:
        storage, present = _storage()
        if not present and head is None:
            click.echo(f"nothing to verify: no shards yet, nothing sealed in {storage.url}")
            return
        if not present:  # a missing dataset holds no line, so not the one --head names
            raise ManifestError(f"nothing sealed in {storage.url}: no manifest line has --head")
        result = dataset_ops.verify(storage, head, source)
    except (ManifestError, DatasetsLocationError) as err:
        message = err.format_message() if isinstance(err, DatasetsError) else err
        click.echo(f"overt: verify failed: {message}", err=True)
        sys.exit(1)
    click.echo(
        f"ok: {result['shards']} shard(s), {result['events']} event(s), "
        f"{result['lines']} manifest line(s)"
    )
    if head is not None:
        click.echo(f"anchored: line {result['lines']} has the --head sha256")
    if source is not None:
        click.echo(f"anchored: its {result['lines']} line(s) are the first of {source.url}")


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
@click.option(
    "--since",
    type=click.IntRange(min=0),
    default=0,
    help="Last manifest line seen (parquet and jsonl; steps always writes every episode).",
)
@ACTOR_OPTION
def export(fmt: str, out: str, since: int, actor: str):
    """Copy the dataset into OUT, or only what changed after manifest line SINCE (audited)."""
    if fmt == "steps" and since:  # it was ignored, and the audit entry said since 0
        raise click.BadParameter(
            "--format steps always writes every episode; --since is for parquet and jsonl",
            param_hint="'--since'",
        )
    settings, r = _audit_target()
    storage = _storage(settings)[0]
    destination = _out_folder(out, storage)
    if fmt == "steps":  # agent trajectories (backend/core/steps.py); always the whole dataset
        path, episodes, steps = export_steps(storage, destination)
        _record_export(r, actor, destination, format=fmt, since=0, episodes=episodes, steps=steps)
        click.echo(f"wrote {path}: {episodes} episode(s), {steps} step(s)")
        return
    # A --since past the manifest's end is refused there, before anything is copied or audited.
    result = dataset_ops.export(storage, destination, fmt, since)
    records = result["records"]
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
@click.option(
    "--val", type=click.FloatRange(0, 1), default=0.1, show_default=True, callback=_check_val
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write.")
@ACTOR_OPTION
def split(by: str, val: float, out: str, actor: str):
    """Write OUT/train and OUT/validation; each contributor lands in one split only (audited)."""
    settings, r = _audit_target()
    storage = _storage(settings)[0]
    destination = _out_folder(out, storage)
    result = dataset_ops.split(storage, destination, val)
    counts = {f"{side}_records": c["events"] for side, c in result.items()}
    _record_export(r, actor, destination, format="split", by=by, val=val, **counts)
    for side, counts in result.items():
        click.echo(f"{side}: {counts['events']} event(s), {counts['contributors']} contributor(s)")
    everyone = sum(c["contributors"] for c in result.values())
    for side, counts in result.items():
        if everyone and not counts["contributors"]:
            # Not an error (a small dataset may have too few contributors), but a training
            # run on it would have no held-out people, or nothing to train on.
            click.echo(
                f"overt: warning: the {side} split is empty: --val {val} put none of the "
                f"{everyone} contributor(s) there (each is in one split only, by a hash of their "
                f"pseudonym); more contributors or another --val change that",
                err=True,
            )


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
