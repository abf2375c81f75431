"""What every `overt` command shares: settings, the Redis client, one-line errors, the extension id.

Kept apart from cli.py so that command modules (cli_admin.py) can use it without importing cli.py.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
from pathlib import Path

import click

from .core.config import Settings, load_settings
from .core.db import RedisUnavailableError, connect
from .locate import HOW_TO_POINT, NotFoundError, locate

EXTENSION_DIR = Path(__file__).resolve().parent.parent / "extension"


def extension_id(manifest: Path = EXTENSION_DIR / "manifest.json") -> str | None:
    """Return the extension's id, derived from the fixed key in its manifest (as Chromium does)."""
    try:
        key = json.loads(manifest.read_text())["key"]
    except (OSError, ValueError, KeyError):
        return None
    digest = hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


class CLIError(click.ClickException):
    """A one-line error; exit code 2."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"overt: error: {self.format_message()}", err=True)


class JobsFailedError(CLIError):
    """Work a command ran did not get done (a failed job); exit code 1, as a failure."""

    exit_code = 1


def settings_and_url() -> tuple[Settings, str]:
    """Return settings and the Redis URL: OVERT_REDIS_URL, else a running `overt up`."""
    try:
        found = locate()
    except NotFoundError as err:
        raise CLIError(str(err)) from None
    return load_settings(found.env), found.redis_url


def redis_client(check: bool = True):
    """Return (settings, connected Redis client); `check=False` does not ping Redis first (a
    client that waits out an outage itself)."""
    try:
        found = locate()
    except NotFoundError as err:
        raise CLIError(str(err)) from None
    settings = load_settings(found.env)  # first: a malformed OVERT_REDIS_URL is a ConfigError
    try:
        client = connect(found.redis_url, check=check)
    except RedisUnavailableError as err:
        raise CLIError(f"{err} (from {found.how}); {HOW_TO_POINT}") from None
    return settings, client


def default_actor() -> str:
    """Return who runs this command, as the audit log names them: `cli:<os user>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (e.g. a bare container)
        return f"cli:uid{os.getuid()}"
