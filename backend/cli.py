"""The `overt` command: run, enroll, pause, resume and inspect Overt."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import click

from . import embedded_redis
from .config import ConfigError, Settings, load_settings
from .store import RedisUnavailableError, connect, safe_url

EXTENSION_DIR = Path(__file__).resolve().parent.parent / "extension"


def extension_id(manifest: Path = EXTENSION_DIR / "manifest.json") -> str | None:
    """Return the extension's id, derived from the fixed key in its manifest (as Chromium does)."""
    import base64
    import hashlib

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


class OvertGroup(click.Group):
    """Turn known failures into one-line errors instead of tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ConfigError, RedisUnavailableError, embedded_redis.EmbeddedRedisError) as err:
            raise CLIError(str(err)) from None


def settings_and_url() -> tuple[Settings, str]:
    """Return settings and the Redis URL: OVERT_REDIS_URL, else a running embedded Redis."""
    settings = load_settings()
    if settings.redis_url:
        return settings, settings.redis_url
    sock = embedded_redis.socket_path(settings.data_dir)
    if sock.exists():
        return settings, embedded_redis.socket_url(settings.data_dir)
    raise RedisUnavailableError(
        "no Redis: set OVERT_REDIS_URL, or start `overt up` "
        f"(embedded Redis in {settings.data_dir})"
    )


def redis_client():
    """Return (settings, connected Redis client)."""
    settings, url = settings_and_url()
    return settings, connect(url)


@click.group(cls=OvertGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Overt: consent-first capture of web-app usage for AI training.

    Configuration comes from the environment: OVERT_REDIS_URL, OVERT_DATA_DIR (default
    ./overt-data), OVERT_DATASETS_URL (default <data dir>/datasets; s3://bucket/prefix allowed),
    OVERT_ADMIN_TOKEN, OVERT_SECRET, OVERT_ALLOWED_ORIGINS, OVERT_BATCH_SIZE, OVERT_BATCH_MAX_AGE.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def _serve(settings: Settings, url: str, host: str, port: int, on_ready=None) -> None:
    from werkzeug.serving import make_server

    from . import create_app

    settings = Settings(**{**settings.__dict__, "redis_url": url})
    app = create_app({"OVERT_SETTINGS": settings})
    server = make_server(host, port, app, threaded=True)
    if on_ready:
        on_ready(server.server_port)
    else:
        click.echo(f"overt: backend on http://{host}:{server.server_port} (WebSocket /ws)")
    try:
        server.serve_forever()
    finally:
        app.extensions["overt.services"].stop()


PORT = click.IntRange(0, 65535)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=PORT, help="Port (0: any free).")
def up(host: str, port: int):
    """Start everything on this machine: Redis (embedded unless OVERT_REDIS_URL), backend, worker.

    For a laptop or a demo. Prints the URLs, the admin token and how to load the extension.
    Stop with Ctrl-C; acknowledged events survive a restart (Redis keeps an append-only file).
    """
    settings = load_settings()
    redis_proc = None
    url = settings.redis_url
    if not url:
        redis_proc = embedded_redis.EmbeddedRedis(settings.data_dir).start()
        url = redis_proc.url
    connect(url)
    env = {**os.environ, "OVERT_REDIS_URL": url, "OVERT_DATA_DIR": str(settings.data_dir)}
    worker = subprocess.Popen([sys.executable, "-m", "backend.cli", "worker"], env=env)

    def ready(real_port: int):
        base = f"{host}:{real_port}"
        click.echo(
            f"\nOvert is up.\n"
            f"  backend     http://{base}   (health: /healthz, admin console: /admin)\n"
            f"  WebSocket   ws://{base}/ws\n"
            f"  Redis       {safe_url(url)}{' (embedded)' if redis_proc else ''}\n"
            f"  data        {settings.data_dir}\n"
            f"  admin token {settings.admin_token}\n\n"
            f"Next:\n"
            f"  1. overt enroll alice --team sales      (prints a device token)\n"
            f"  2. Load {EXTENSION_DIR} unpacked in Chromium\n"
            f"     (chrome://extensions, Developer mode, Load unpacked)\n"
            f"     and enter ws://{base}/ws and the token on its options page.\n"
            f"     Its origin, for OVERT_ALLOWED_ORIGINS: chrome-extension://{extension_id()}\n"
            f"  3. Name the work apps to capture on: PUT /admin/api/policy (docs/operations.md).\n"
        )

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        _serve(settings, url, host, port, on_ready=ready)
    except KeyboardInterrupt:
        pass
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        if redis_proc:
            redis_proc.stop()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=PORT, help="Port (0: any free).")
def serve(host: str, port: int):
    """Run the backend only (threads; for production use gunicorn, see docs/operations.md)."""
    settings, url = settings_and_url()
    connect(url)
    _serve(settings, url, host, port)


@main.command()
@click.option("--burst", is_flag=True, help="Drain what is queued, seal what is due, and exit.")
@click.option("--with-scheduler", is_flag=True, help="Also run RQ's scheduler (retention job).")
def worker(burst: bool, with_scheduler: bool):
    """Run an RQ worker on Overt's queue (run several to scale out)."""
    from workers.runner import run_worker

    settings, r = redis_client()
    run_worker(r, settings, burst=burst, with_scheduler=with_scheduler)


@main.command()
@click.argument("employee")
@click.option("--team", default="default", show_default=True, help="The employee's team.")
def enroll(employee: str, team: str):
    """Issue a device token for EMPLOYEE (shown once; only its hash is stored)."""
    from marshmallow import ValidationError

    from .employees import enroll as do_enroll
    from .schemas import EnrollSchema
    from .store import audit

    try:
        EnrollSchema().load({"employee": employee, "team": team})
    except ValidationError as err:
        fields = ", ".join(sorted(err.messages))
        raise CLIError(f"invalid {fields}: use letters, digits, . _ @ + -") from None
    _, r = redis_client()
    token, ident = do_enroll(r, employee, team)
    audit(r, "cli", "enroll", employee=ident.employee, team=ident.team, device=ident.device)
    click.echo(token)
    click.echo(f"(device {ident.device} for {ident.employee} of team {ident.team})", err=True)


def _name(ctx, param, value):
    """Validate a --team/--employee value like enrollment does."""

    if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}", value):
        raise click.BadParameter("use letters, digits, . _ @ + - (not empty)")
    return value


def _scope(team: str | None, employee: str | None) -> dict:
    if team and employee:
        raise click.UsageError("give --team or --employee, not both")
    if team:
        return {"team": team}
    if employee:
        return {"employee": employee}
    return {"all": True}


@main.command()
@click.option("--team", callback=_name, help="Pause only this team.")
@click.option("--employee", callback=_name, help="Pause only this employee.")
@click.option("--reason", required=True, help="Shown to employees in their extension.")
@click.option("--purge", is_flag=True, help="Also delete that scope's queued, unsealed events.")
def pause(team, employee, reason, purge):
    """Pause capture now for everyone, a team or an employee; it holds until `overt resume`."""
    from . import pauses
    from .store import audit

    if not reason.strip():
        raise click.BadParameter("must not be empty", param_hint="--reason")
    _, r = redis_client()
    record, created = pauses.pause(r, _scope(team, employee), reason, purge, "cli")
    purged = 0
    if created and purge:
        from workers.purge import purge_scope

        purged = purge_scope(r, record["scope"])
    audit(r, "cli", "pause", pause_id=record["pause_id"], scope=record["scope"], purged=purged)
    state = "paused" if created else "already paused"
    click.echo(
        f"{state}: {record['pause_id']} {json.dumps(record['scope'])}"
        + (f" ({purged} queued events purged)" if purge else "")
    )


@main.command()
@click.option("--team", callback=_name, help="Resume this team's pause.")
@click.option("--employee", callback=_name, help="Resume this employee's pause.")
@click.option("--pause-id", help="Resume this pause.")
def resume(team, employee, pause_id):
    """Resume capture (by default the pause of everyone)."""
    from . import pauses
    from .store import audit

    _, r = redis_client()
    try:
        record = pauses.resume(r, pause_id, None if pause_id else _scope(team, employee))
    except pauses.PauseNotFoundError as err:
        raise CLIError(str(err)) from None
    audit(r, "cli", "resume", pause_id=record["pause_id"], scope=record["scope"])
    click.echo(f"resumed: {record['pause_id']} {json.dumps(record['scope'])}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(as_json: bool):
    """Show pause state, connected clients, queue depth, workers and batches."""
    from .status import status as read_status

    _, r = redis_client()
    info = read_status(r)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    paused = (
        ", ".join(
            f"{p['pause_id']} {json.dumps(p['scope'])} ({p['reason']})" for p in info["paused"]
        )
        or "no"
    )
    q = info["queue"]
    click.echo(f"paused:      {paused}")
    click.echo(f"clients:     {info['connected_clients']} connected")
    click.echo(
        f"queue:       {q['incoming_events']} incoming, {q['events_in_flight']} in flight, "
        f"{q['staged_events']} staged, {q['jobs']} job(s)"
    )
    click.echo(f"workers:     {info['workers']}")
    b = info["batches"]
    click.echo(f"batches:     {b['sealed']} sealed, {b['events']} events, latest {b['latest']}")
    drops = ", ".join(f"{n} {reason}" for reason, n in info["drops_pending"].items()) or "none"
    click.echo(
        f"dropped:     {drops} since the last batch; "
        f"{info['client_outbox_dropped']} by full extension outboxes"
    )


def _register_datasets() -> None:
    from .datasets_cli import datasets

    main.add_command(datasets)


_register_datasets()

if __name__ == "__main__":
    main()
