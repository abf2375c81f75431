"""Find the Redis and data dir a running `overt up` uses, from any folder.

`overt up` writes a pointer file (mode 0600) in the user's config dir: `current` under
click's app dir for "overt" (`$XDG_CONFIG_HOME/overt` or `~/.config/overt` on Linux). Other
commands read it only when neither OVERT_DATA_DIR nor OVERT_REDIS_URL is set and there is no
`./overt-data` here.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import click

from . import embedded_redis
from .core.config import DEFAULT_DATA_DIR, env_value
from .core.db import safe_url

POINTER_NAME = "current"
HOW_TO_POINT = (
    "start `overt up`, or run from the folder holding its overt-data, "
    "or set OVERT_DATA_DIR to its data dir or OVERT_REDIS_URL to its Redis"
)


def pointer_path() -> Path:
    """Return where `overt up` records what it runs."""
    return Path(click.get_app_dir("overt")) / POINTER_NAME


def write_pointer(
    data_dir: Path,
    redis_url: str,
    datasets_url: str | None = None,
    secret_from_env: bool = False,
) -> Path:
    """Record this process's data dir and Redis URL for commands run from other folders, with
    its OVERT_DATASETS_URL and whether its OVERT_SECRET came from the environment (never the
    secret itself)."""
    path = pointer_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = {"data_dir": str(data_dir), "redis_url": redis_url, "pid": os.getpid()}
    if datasets_url:
        body["datasets_url"] = datasets_url
    if secret_from_env:
        body["secret_from_env"] = True
    tmp = path.with_name(f".{POINTER_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(body, fh)
    os.replace(tmp, path)
    return path


def read_pointer() -> dict | None:
    """Return the pointer's content, or None when there is none or it is unreadable."""
    try:
        body = json.loads(pointer_path().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or not body.get("data_dir") or not body.get("redis_url"):
        return None
    return body


def remove_pointer() -> None:
    """Remove the pointer if it is this process's (a later `overt up` may have replaced it)."""
    body = read_pointer()
    if body and body.get("pid") == os.getpid():
        with contextlib.suppress(OSError):
            pointer_path().unlink()


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Located:
    """Where a command should look: the environment to load settings from, and the Redis URL."""

    env: dict
    redis_url: str | None
    how: str  # said in errors: where the data dir / URL came from


class NotFoundError(RuntimeError):
    """No Redis could be found; the message says where the CLI looked."""


def locate(environ: dict | None = None, need_secret: bool = True) -> Located:
    """Return the environment and Redis URL a command should use, or raise NotFoundError.

    OVERT_REDIS_URL wins; else the embedded Redis of OVERT_DATA_DIR (default ./overt-data);
    else, when neither variable is set and ./overt-data does not exist, the pointer left by a
    running `overt up`, with its OVERT_DATASETS_URL unless one is set here. When that `overt up`
    took OVERT_SECRET from its environment, a command that needs the secret (`need_secret`: every
    one that loads its settings) must be given the same: one generated into its data dir would
    pseudonymise with another key. Nothing is created on disk before a Redis is found.
    """
    env = dict(os.environ if environ is None else environ)
    url = env_value(env, "OVERT_REDIS_URL")
    if url:
        return Located(env, url, "OVERT_REDIS_URL")
    explicit = env_value(env, "OVERT_DATA_DIR")
    data_dir = Path(explicit or DEFAULT_DATA_DIR).resolve()
    if explicit or data_dir.exists():
        how = "OVERT_DATA_DIR" if explicit else "the current folder"
        if embedded_redis.socket_path(data_dir).exists():
            return Located(env, embedded_redis.socket_url(data_dir), how)
        raise NotFoundError(
            f"no Redis: no `overt up` is running on data dir {data_dir} (from {how}); "
            f"{HOW_TO_POINT}"
        )
    pointer = read_pointer()
    where = pointer_path()
    if pointer is None:
        raise NotFoundError(
            f"no Redis: no {data_dir} here and no running `overt up` recorded in {where}; "
            f"{HOW_TO_POINT}"
        )
    if not _alive(pointer.get("pid")):
        raise NotFoundError(
            f"no Redis: the `overt up` recorded in {where} (data dir {pointer['data_dir']}, "
            f"Redis {safe_url(pointer['redis_url'])}) is no longer running; {HOW_TO_POINT}"
        )
    if need_secret and pointer.get("secret_from_env") and not env_value(env, "OVERT_SECRET"):
        raise NotFoundError(
            f"the `overt up` recorded in {where} (data dir {pointer['data_dir']}) takes "
            f"OVERT_SECRET from its environment: set the same OVERT_SECRET here (a secret "
            f"generated here would pseudonymise with another key)"
        )
    if pointer.get("datasets_url") and not env_value(env, "OVERT_DATASETS_URL"):
        env["OVERT_DATASETS_URL"] = pointer["datasets_url"]
    env["OVERT_DATA_DIR"] = pointer["data_dir"]
    env["OVERT_REDIS_URL"] = pointer["redis_url"]
    return Located(env, pointer["redis_url"], f"the running `overt up` recorded in {where}")
