"""The `overt` command: run, enroll, pause, resume and inspect Overt."""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import click
from marshmallow import ValidationError
from werkzeug.serving import make_server

from . import create_app, embedded_redis
from .cli_admin import COMMANDS as ADMIN_COMMANDS
from .cli_admin import policy_chrome
from .cli_support import (
    EXTENSION_DIR,
    CLIError,
    JobsFailedError,
    default_actor,
    extension_id,
    redis_client,
    settings_and_url,
)
from .core import actions, pauses
from .core.config import ConfigError, Settings, env_value, load_settings, os_problem
from .core.db import RedisUnavailableError, connect, safe_url
from .core.policy import get_policy
from .core.private import PRIVATE_UMASK, exposed, make_private_dir
from .core.vocabulary import CATEGORIES
from .datasets_cli import datasets
from .locate import remove_pointer, write_pointer
from .policy_change import change_policy
from .schemas import MAX_REASON, NAME, NAME_RULE, PAUSE_ID, REASON, EnrollSchema
from .servers import JSONErrorRequestHandler
from .status import status as read_status
from .supervise import Supervisor
from .ws_reader import return_large_buffers_to_the_os

QUIET_LOGGERS = ("botocore", "aiobotocore", "s3fs")


class OvertGroup(click.Group):
    """Turn known failures into one-line errors instead of tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ConfigError, RedisUnavailableError, embedded_redis.EmbeddedRedisError) as err:
            raise CLIError(str(err)) from None


@click.group(cls=OvertGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Overt: consent-first capture of web-app usage for AI training.

    Configuration comes from the environment: OVERT_REDIS_URL, OVERT_DATA_DIR (default
    ./overt-data), OVERT_DATASETS_URL (default <data dir>/datasets; s3://bucket/prefix allowed),
    OVERT_ADMIN_TOKEN, OVERT_SECRET, OVERT_ALLOWED_ORIGINS, OVERT_BATCH_SIZE, OVERT_BATCH_MAX_AGE.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # botocore (through s3fs) says at INFO where it found credentials and the endpoint, on every
    # command that opens s3:// datasets: lines before an `overt datasets` answer, not news.
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.umask(PRIVATE_UMASK)  # whatever an Overt process writes is for this user only


def _host(ctx, param, value: str) -> str:
    """Refuse an empty --host: the socket layer reads "" as every interface, which a script
    passing an unset variable never meant (and the URLs printed had no host)."""
    if not value.strip():
        raise click.BadParameter("give an address, e.g. 127.0.0.1, or 0.0.0.0 for every interface")
    return value


def url_host(host: str) -> str:
    """Return `host` as written in a URL: an IPv6 address in brackets (`http://[::1]:8765`)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


HOST = click.option(
    "--host", default="127.0.0.1", show_default=True, callback=_host, help="Address to listen on."
)


def own_data_dir(data_dir: Path) -> None:
    """Make the data dir (0700), or fail with one line: `overt up` keeps the embedded Redis and
    the datasets there, and a worker that cannot write them fails every seal."""
    try:
        make_private_dir(data_dir)
        if not data_dir.is_dir():
            raise NotADirectoryError(20, "Not a directory", str(data_dir))
    except OSError as err:
        raise CLIError(
            f"OVERT_DATA_DIR {data_dir} cannot be used ({os_problem(err)}): "
            f"set OVERT_DATA_DIR to a folder this user can write"
        ) from None


def listen(host: str, port: int):
    """Bind the backend's listening socket, or fail with one line that names --port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise CLIError(
                f"port {port} on {host} is in use (another overt up?); "
                f"stop that program or choose another port with --port"
            ) from None
        raise CLIError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None


def _serve(settings: Settings, url: str, host: str, sock, on_ready=None) -> None:
    """Serve the app on werkzeug's threaded server in this process (`overt up` only).

    `overt up` owns the embedded Redis, the worker subprocess and the pointer file in this one
    process and stops them all on Ctrl-C; gunicorn's arbiter would take over the signals and
    fork. A laptop holds one or two sockets, where a thread per socket costs nothing.
    """
    return_large_buffers_to_the_os()
    settings = Settings(**{**settings.__dict__, "redis_url": url})
    app = create_app({"OVERT_SETTINGS": settings})
    # werkzeug serves a duplicate of the socket's descriptor; ours is closed once it has it.
    server = make_server(
        host,
        sock.getsockname()[1],
        app,
        threaded=True,
        fd=sock.fileno(),
        request_handler=JSONErrorRequestHandler,
    )
    sock.close()
    if on_ready:
        on_ready(server.port)
    else:
        click.echo(f"overt: backend on http://{url_host(host)}:{server.port} (WebSocket /ws)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
        app.extensions["overt.services"].stop()


def _record(settings: Settings, url: str) -> Path | str:
    """Record this `overt up` for commands run from other folders; return the pointer's path, or
    why it could not be written (a read-only or missing home: the server runs all the same)."""
    secret_from_env = env_value(os.environ, "OVERT_SECRET") is not None
    try:
        return write_pointer(settings.data_dir, url, settings.datasets_url, secret_from_env)
    except OSError as err:
        return os_problem(err)


def _pointer_line(pointer: Path | str, data_dir: Path) -> str:
    """Return the banner's line saying where other `overt` commands find this server."""
    if isinstance(pointer, Path):
        return f"  recorded in {pointer} (overt commands find this server from any folder)\n"
    return (
        f"  not recorded for other folders ({pointer}): give other overt commands\n"
        f"              OVERT_DATA_DIR={data_dir}\n"
    )


PORT = click.IntRange(0, 65535)
# What the extension's popup shows for a pause without a reason.
NO_REASON = "No reason given"


@main.command()
@HOST
@click.option("--port", default=8765, show_default=True, type=PORT, help="Port (0: any free).")
def up(host: str, port: int):
    """Start everything on this machine: Redis (embedded unless OVERT_REDIS_URL), backend, worker.

    For a laptop or a demo. Prints the URLs, the admin token and how to load the extension.
    Stop with Ctrl-C; acknowledged events survive a restart (Redis keeps an append-only file).
    """
    settings = load_settings()
    own_data_dir(settings.data_dir)
    sock = listen(host, port)  # before anything starts: a port in use is one line, exit 2
    redis_proc = worker = pointer = None
    url = settings.redis_url

    def ready(real_port: int):
        base = f"{url_host(host)}:{real_port}"
        probe = connect(url)
        apps = get_policy(probe)["allowed_origins"]
        probe.close()
        name_apps = (
            f"  2. Work apps now: {', '.join(apps)}. To change them:\n"
            if apps
            else "  2. Name the work app to capture on, your own instead of this example:\n"
        )
        click.echo(
            f"\nOvert is up.\n"
            f"  backend     http://{base}   (health: /healthz, admin console: /admin)\n"
            f"  WebSocket   ws://{base}/ws\n"
            f"  Redis       {safe_url(url)}{' (embedded)' if redis_proc else ''}\n"
            f"  data        {settings.data_dir}\n"
            f"  admin token {settings.admin_token}\n"
            f"{_pointer_line(pointer, settings.data_dir)}\n"
            f"Next, in another terminal (export PATH={Path(sys.executable).parent}:$PATH):\n"
            f"  1. overt enroll alice --team sales      (prints a device token)\n"
            f"{name_apps}"
            f"       overt policy set --origin https://crm.example.com\n"
            f"     (--origin again for each app; --category to ask for fewer categories)\n"
            f"  3. Load {EXTENSION_DIR} unpacked in Chromium\n"
            f"     (chrome://extensions, Developer mode, Load unpacked)\n"
            f"     and enter ws://{base}/ws and the token on its options page.\n"
            f"     Its origin, for OVERT_ALLOWED_ORIGINS: chrome-extension://{extension_id()}\n"
            f"  4. overt status                          (warns while nothing arrives)\n"
        )

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if not url:
            redis_proc = embedded_redis.EmbeddedRedis(settings.data_dir).start()
            url = redis_proc.url
        connect(url)
        env = {**os.environ, "OVERT_REDIS_URL": url, "OVERT_DATA_DIR": str(settings.data_dir)}
        worker = Supervisor("worker", [sys.executable, "-m", "backend.cli", "worker"], env).start()
        pointer = _record(settings, url)
        _serve(settings, url, host, sock, on_ready=ready)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if isinstance(pointer, Path):
            remove_pointer()
        if worker:
            worker.stop()
        if redis_proc:
            redis_proc.stop()


@main.command()
@HOST
@click.option("--port", default=8765, show_default=True, type=PORT, help="Port (0: any free).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="gevent worker processes; one per core in production.",
)
def serve(host: str, port: int, workers: int):
    """Run the backend only, as in production: gunicorn with gevent workers.

    Binds --host/--port here, then runs `python -m backend.production` in this process's place
    (see docs/operations.md). Stop with Ctrl-C (quick) or SIGTERM (graceful).
    """
    settings, url = settings_and_url()
    connect(url)
    sock = listen(host, port)
    sock.set_inheritable(True)
    env = {**os.environ, "OVERT_REDIS_URL": url, "OVERT_DATA_DIR": str(settings.data_dir)}
    where = ["--host", url_host(host), "--port", str(sock.getsockname()[1])]  # the ready line's
    args = ["--fd", str(sock.fileno()), *where]
    sys.stdout.flush()
    os.execve(
        sys.executable,
        [sys.executable, "-m", "backend.production", *args, "--workers", str(workers)],
        env,
    )


@main.command()
@click.option("--burst", is_flag=True, help="Drain what is queued, seal what is due, and exit.")
@click.option("--with-scheduler", is_flag=True, help="Also run RQ's scheduler (retention job).")
def worker(burst: bool, with_scheduler: bool):
    """Run an RQ worker on Overt's queue (run several to scale out)."""
    from workers.runner import run_worker

    # A long-running worker started while Redis is away waits for it; `--burst` fails at once,
    # saying where the URL came from as every other command does.
    settings, r = redis_client(check=burst)
    # Jobs read their settings from the environment (workers/jobs.py): they must use the data
    # dir this command found (a running `overt up`'s, from another folder), its secret and its
    # datasets, never a ./overt-data of their own here.
    os.environ["OVERT_DATA_DIR"] = str(settings.data_dir)
    if settings.datasets_url is not None:
        os.environ["OVERT_DATASETS_URL"] = settings.datasets_url
    failed = run_worker(r, settings, burst=burst, with_scheduler=with_scheduler)
    if failed:  # a burst that could not do its work (seal, erase) must not look done
        raise JobsFailedError(
            f"{failed} job(s) failed in this run (logged above; `overt status` lists failed jobs)"
        )


@main.command()
@click.argument("employee")
@click.option(
    "--team",
    help="The employee's team (default: their current one; 'default' for someone new). "
    "Another team moves them, every device of theirs included.",
)
def enroll(employee: str, team: str | None):
    """Issue a device token for EMPLOYEE (shown once; only its hash is stored)."""
    try:
        EnrollSchema().load({"employee": employee, **({"team": team} if team is not None else {})})
    except ValidationError as err:
        fields = ", ".join(sorted(err.messages))
        raise CLIError(f"invalid {fields}: {NAME_RULE}") from None
    _, r = redis_client()
    token, ident = actions.enroll(r, default_actor(), employee, team)
    click.echo(token)
    click.echo(f"(device {ident.device} for {ident.employee} of team {ident.team})", err=True)


def _checked(validator):
    """Return an option callback that applies one of the API's validators (backend/schemas.py)."""

    def check(ctx, param, value):
        if value is not None:
            try:
                validator(value)
            except ValidationError as err:
                raise click.BadParameter("; ".join(err.messages)) from None
        return value

    return check


def _scope(team: str | None, employee: str | None) -> dict:
    if team and employee:
        raise click.UsageError("give --team or --employee, not both")
    if team:
        return {"team": team}
    if employee:
        return {"employee": employee}
    return {"all": True}


@main.command()
@click.option("--team", callback=_checked(NAME), help="Pause only this team.")
@click.option("--employee", callback=_checked(NAME), help="Pause only this employee.")
@click.option(
    "--reason",
    default=NO_REASON,
    show_default=True,
    callback=_checked(REASON),
    help=f"Shown to employees in their extension (at most {MAX_REASON} characters).",
)
@click.option("--purge", is_flag=True, help="Also delete that scope's queued, unsealed events.")
def pause(team, employee, reason, purge):
    """Pause capture now for everyone, a team or an employee; it holds until `overt resume`.

    With --purge the scope's queued, unsealed events are deleted, also when it is already paused.
    """
    scope = _scope(team, employee)
    _, r = redis_client()
    record, created, purged = actions.pause(r, default_actor(), scope, reason, purge)
    state = "paused" if created else "already paused"
    click.echo(
        f"{state}: {record['pause_id']} {json.dumps(record['scope'])}"
        + (f" ({purged} queued events purged)" if purge else "")
    )
    for warning in actions.pause_warnings(r, record["scope"]):
        click.echo(f"overt: warning: {warning}", err=True)


@main.command()
@click.option("--team", callback=_checked(NAME), help="Resume this team's pause.")
@click.option("--employee", callback=_checked(NAME), help="Resume this employee's pause.")
@click.option("--pause-id", callback=_checked(PAUSE_ID), help="Resume this pause.")
def resume(team, employee, pause_id):
    """Resume capture (by default the pause of everyone)."""
    if pause_id is not None and (team or employee):
        raise click.UsageError("give --pause-id, --team or --employee, only one")
    scope = None if pause_id is not None else _scope(team, employee)
    _, r = redis_client()
    try:
        record = actions.resume(r, default_actor(), pause_id, scope)
    except pauses.PauseNotFoundError as err:
        raise CLIError(str(err)) from None
    click.echo(f"resumed: {record['pause_id']} {json.dumps(record['scope'])}")


@main.group()
def policy():
    """Show or change the capture policy (the work apps and the categories asked for)."""


def _origin(ctx, param, values):
    return tuple(v.strip().rstrip("/") for v in values)


@policy.command("show")
def policy_show():
    """Print the current policy as JSON."""
    _, r = redis_client()
    click.echo(json.dumps(get_policy(r), indent=2))


@policy.command("set")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    callback=_origin,
    help="A work app to capture on, as scheme://host[:port]; repeat for several. "
    "Replaces the list (default: keep it).",
)
@click.option(
    "--category",
    "categories",
    multiple=True,
    type=click.Choice(CATEGORIES),
    help="A category to ask employees for; repeat for several (default: keep the current ones).",
)
@click.option("--purpose", help="Why the data is collected, shown to employees (default: keep).")
@click.option("--retention-days", type=int, help="Days sealed batches are kept (default: keep).")
@click.option(
    "--min-contributors",
    type=int,
    help="k: a word of a label, title or URL path is sealed once k people used it (default: keep).",
)
def policy_set(origins, categories, purpose, retention_days, min_contributors):
    """Change the policy, as PUT /admin/api/policy does (same checks, same audit entry).

    Nothing is captured until the policy names the work apps, e.g.:
    overt policy set --origin https://crm.example.com --category navigation --category clicks
    """
    given = (origins, categories, purpose, retention_days, min_contributors)
    if not any(value not in (None, ()) for value in given):
        # Storing the same policy again would still audit a change and push it to every socket.
        options = list(OPTION_OF.values())
        raise click.UsageError(
            f"nothing to change: give {', '.join(options[:-1])} or {options[-1]}"
        )
    _, r = redis_client()
    current = get_policy(r)
    body = {
        "categories": list(categories) if categories else current["categories"],
        "purpose": current["purpose"] if purpose is None else purpose,
        "retention_days": current["retention_days"] if retention_days is None else retention_days,
        "allowed_origins": list(origins) if origins else current["allowed_origins"],
    }
    if min_contributors is not None:
        body["min_contributors"] = min_contributors
    try:
        new = change_policy(r, body, default_actor())
    except ValidationError as err:
        raise CLIError(f"policy not changed: {_policy_errors(err.messages, body)}") from None
    apps = ", ".join(new["allowed_origins"]) or "none (nothing is captured)"
    asked = ", ".join(new["categories"])
    click.echo(f"policy {new['version']}: work apps {apps}; asks for {asked}")
    click.echo(
        "Employees turn categories on in the extension's popup; "
        "`overt status` warns until events arrive.",
        err=True,
    )


OPTION_OF = {
    "allowed_origins": "--origin",
    "categories": "--category",
    "purpose": "--purpose",
    "retention_days": "--retention-days",
    "min_contributors": "--min-contributors",
}


def _policy_errors(messages: dict, body: dict) -> str:
    """Say which option and which value were refused, in one line."""
    parts = []
    for field, problem in sorted(messages.items()):
        option = OPTION_OF.get(field, field)
        if isinstance(problem, dict):  # per item of a list: {index: [messages]}
            for index, texts in sorted(problem.items()):
                parts.append(f"{option} {body[field][index]!r}: {'; '.join(texts)}")
        else:
            parts.append(f"{option}: {'; '.join(problem)}")
    return "; ".join(parts)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(as_json: bool):
    """Show pause state, connected clients, queue depth, workers and batches."""
    settings, r = redis_client()
    info = read_status(r)
    open_to_all = exposed(settings.data_dir)
    if as_json:
        info["data_dir_exposed"] = [str(p) for p in open_to_all]
        click.echo(json.dumps(info, indent=2))
        return
    if open_to_all:
        click.echo(
            f"warning:     {settings.data_dir} is readable by other users ({len(open_to_all)} "
            f"path(s), e.g. {open_to_all[0]}); run: chmod -R go-rwx {settings.data_dir}",
            err=True,
        )
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
    failed = info["failed_jobs"]
    click.echo(f"failed jobs: {failed['count']}" + (" (newest last)" if failed["recent"] else ""))
    for job in failed["recent"]:
        click.echo(f"  {job['id']} {job['function']}: {job['reason']} at {job['ended_at']}")
    b = info["batches"]
    if b["sealed"]:
        click.echo(f"batches:     {b['sealed']} sealed, {b['events']} events, latest {b['latest']}")
    else:
        click.echo("batches:     no batches sealed yet")
    drops = ", ".join(f"{n} {reason}" for reason, n in info["drops_pending"].items()) or "none"
    click.echo(
        f"dropped:     {drops} since the last batch; "
        f"{info['client_outbox_dropped']} by full extension outboxes"
    )
    click.echo(f"dead letter: {info['dead_letter']} event(s) a worker could not process")
    g = info["rarity"]
    click.echo(
        f"rare words:  k={g['min_contributors']}, {g['contributors']} contributor(s) counted"
    )
    work_apps = ", ".join(info["policy"]["allowed_origins"]) or "none"
    click.echo(f"work apps:   {work_apps} (policy {info['policy']['version']})")
    for warning in info["warnings"]:
        click.echo(f"warning: {warning}", err=True)


for _command in ADMIN_COMMANDS:
    main.add_command(_command)
policy.add_command(policy_chrome)
main.add_command(datasets)

if __name__ == "__main__":
    main()
