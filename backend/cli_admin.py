"""`overt audit`, `overt admin token` and `overt policy chrome` (registered in cli.py)."""

from __future__ import annotations

import json
import sys

import click

from .admin_auth import BOOTSTRAP, AdminTokenError, create_token, list_tokens, revoke_token
from .cli_support import CLIError, default_actor, redis_client, settings_and_url
from .cli_support import extension_id as derived_id
from .core.audit import (
    AuditArchiveError,
    AuditChainError,
    archive,
    archive_path,
    read_audit,
    verify,
)
from .core.audit import audit as append
from .core.clock import iso
from .core.config import os_problem
from .rollout import WEB_STORE_UPDATE_URL, RolloutError, chrome_policy


def _redis():
    return redis_client()[1]


def _archive():
    return archive_path(settings_and_url()[0].data_dir)


class AuditGroup(click.Group):
    """Turn an archive file that cannot be read or written into one line (exit 2)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AuditArchiveError as err:
            raise CLIError(str(err)) from None
        except OSError as err:
            raise CLIError(
                f"the audit archive cannot be used ({os_problem(err)}); nothing was "
                f"moved out of Redis: set OVERT_DATA_DIR to the data dir, one this user can write"
            ) from None


@click.group(cls=AuditGroup)
def audit():
    """Inspect the hash-chained audit log."""


@audit.command("verify")
def audit_verify():
    """Recompute the chain; exit 1 naming the first broken entry, 0 when intact."""
    verdict = verify(_redis(), _archive())
    if verdict.ok:
        click.echo(f"audit log intact: {verdict.checked} entries")
        return
    click.echo(
        f"audit log broken at entry {verdict.broken_at}: {verdict.problem} "
        f"({verdict.checked} entries before it are intact)",
        err=True,
    )
    sys.exit(1)


@audit.command("show")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
def audit_show(limit: int):
    """Print the newest entries, one JSON object per line."""
    for entry in read_audit(_redis(), limit, _archive()):
        click.echo(json.dumps(entry, sort_keys=True))


@audit.command("archive")
@click.option("--keep", default=10000, show_default=True, type=click.IntRange(0))
def audit_archive(keep: int):
    """Move all but the newest KEEP entries from Redis to <data-dir>/audit/audit.jsonl."""
    path = _archive()
    try:
        moved = archive(_redis(), path, keep)
    except AuditChainError as err:
        raise CLIError(str(err)) from None
    click.echo(f"archived {moved} audit entries to {path}")


@click.group()
def admin():
    """Manage admin access."""


@admin.group("token")
def token():
    """Labelled admin tokens (stored hashed; the label is the actor in the audit log)."""


@token.command("create")
@click.argument("label")
def token_create(label: str):
    """Issue an admin token named LABEL; it is printed once and only its hash is kept."""
    r = _redis()
    try:
        value = create_token(r, label)
    except AdminTokenError as err:
        raise CLIError(str(err)) from None
    append(r, default_actor(), "admin_token_create", label=label)
    click.echo(value)
    click.echo(f"(admin token {label}: shown once, keep it in a password manager)", err=True)


@token.command("revoke")
@click.argument("label")
def token_revoke(label: str):
    """Revoke the admin token named LABEL (its console sessions end too)."""
    r = _redis()
    try:
        revoke_token(r, label)
    except AdminTokenError as err:
        raise CLIError(str(err)) from None
    append(r, default_actor(), "admin_token_revoke", label=label)
    click.echo(f"revoked admin token {label}")


@token.command("list")
def token_list():
    """List admin token labels (the tokens themselves are not stored)."""
    tokens = list_tokens(_redis())  # first: with Redis away, the error is the only line
    click.echo(f"{BOOTSTRAP}\t(OVERT_ADMIN_TOKEN)")
    for t in tokens:
        click.echo(f"{t['label']}\tcreated {iso(t['created_at'])}")


@click.command("chrome")
@click.option("--server", required=True, help="WebSocket URL of the backend, wss://host/ws.")
@click.option("--grace-seconds", type=int, help="Stop capturing after this long offline.")
@click.option("--token", help="A device token (only for a policy written per machine).")
@click.option("--extension-id", help="Default: the id derived from extension/manifest.json.")
@click.option("--update-url", help="Self-hosted update manifest (default: Chrome Web Store).")
def policy_chrome(server, grace_seconds, token, extension_id, update_url):
    """Print the Chrome / Edge policy JSON that force-installs and configures the extension."""
    ext = extension_id or derived_id()
    if not ext:
        raise CLIError("cannot derive the extension id; pass --extension-id")
    try:
        body = chrome_policy(ext, server, grace_seconds, token, update_url or WEB_STORE_UPDATE_URL)
    except RolloutError as err:
        raise CLIError(str(err)) from None
    click.echo(json.dumps(body, indent=2))


# Registered on `overt` by cli.py; `policy_chrome` joins cli.py's `overt policy` group.
COMMANDS = (audit, admin)
