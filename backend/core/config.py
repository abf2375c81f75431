"""Settings from the environment, with generated secrets kept in the data dir."""

from __future__ import annotations

import math
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from redis.connection import parse_url

from .db import safe_url
from .private import make_private_dir

DEFAULT_DATA_DIR = "./overt-data"
DEFAULT_BATCH_SIZE = 1000
DEFAULT_BATCH_MAX_AGE = 60.0
# Events per sealed shard at most: a worker holds a whole batch in memory to seal it, and the
# staging script's LRANGE takes no count beyond a 64-bit integer (a larger one failed every seal).
MAX_BATCH_SIZE = 1_000_000
MAX_FRAME_BYTES = 1024 * 1024
# How long a process waits for the one that created a secret file to write it.
SECRET_WAIT = 2.0


class ConfigError(ValueError):
    """A setting in the environment is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Everything Overt reads from its environment."""

    data_dir: Path
    redis_url: str | None
    admin_token: str
    secret: str
    allowed_origins: tuple[str, ...] = ()
    batch_size: int = DEFAULT_BATCH_SIZE
    batch_max_age: float = DEFAULT_BATCH_MAX_AGE
    extra: dict = field(default_factory=dict)
    datasets_url: str | None = None

    @property
    def datasets_dir(self) -> Path:
        """Return the local datasets folder used when OVERT_DATASETS_URL is unset."""
        return self.data_dir / "datasets"

    @property
    def datasets_location(self) -> str:
        """Return where shards, cards and the manifest live: OVERT_DATASETS_URL or the folder."""
        return self.datasets_url or str(self.datasets_dir)


def env_value(env: dict, name: str) -> str | None:
    """Return the variable `name` without surrounding spaces and newlines, or None when it is
    unset or blank: an env file's or a secret file's trailing newline or space is no part of a
    path, URL or key (it made `/srv/overt ` another data dir, shown without its space)."""
    value = (env.get(name) or "").strip()
    return value or None


def _read_or_create_secret(path: Path) -> str:
    """Return the secret stored at `path`, creating it (mode 0600) on first use."""
    if path.exists():
        return _read_secret(path)
    make_private_dir(path.parent)
    value = secrets.token_urlsafe(32)
    # O_EXCL: two processes starting at once must agree on one secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())  # never an empty file after a crash
    return value


def _read_secret(path: Path) -> str:
    """Return the secret in `path`, waiting for a process that created it to write it; an
    empty secret (an HMAC key, a session-signing key) is never used."""
    deadline = time.monotonic() + SECRET_WAIT
    while not (value := path.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.02)
    if not value:
        raise ConfigError(
            f"{path} is empty: restore it from a backup, or delete it to generate a new one "
            f"(a new secret gives new pseudonyms; a new admin token, new sign-ins)"
        )
    return value


def os_problem(err: OSError) -> str:
    """Say what failed on which file, in words (no exception class names): for one-line errors."""
    where = f"{err.filename}: " if err.filename else ""
    return f"{where}{err.strerror or err}"


def _kept_secret(data_dir: Path, name: str) -> str:
    """Return the secret `name` kept in the data dir, or raise ConfigError when the data dir
    cannot hold it (a file, a folder that cannot be made or read)."""
    try:
        return _read_or_create_secret(data_dir / name)
    except OSError as err:
        raise ConfigError(
            f"OVERT_DATA_DIR {data_dir} cannot keep the generated {name} "
            f"({os_problem(err)}): set OVERT_DATA_DIR to a folder this user can write"
        ) from None


def _positive(env: dict, name: str, default: float, kind: type, most: float = math.inf) -> float:
    raw = env_value(env, name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        whole = " (a whole one: events)" if kind is int else ""  # int() refuses "2.5", "1e3"
        raise ConfigError(f"{name} must be a number{whole}, got {raw!r}") from None
    if not math.isfinite(value):  # float() reads "nan" and "inf"
        raise ConfigError(f"{name} must be a finite number, got {raw!r}")
    if value < 0 or (kind is int and value == 0):
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    if value > most:
        raise ConfigError(f"{name} must be at most {most:,}, got {raw!r}")
    return value


# An origin as a browser sends it in `Origin`: scheme://host[:port], no path.
ORIGIN_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s,*]+")


def _allowed_origins(env: dict) -> tuple[str, ...]:
    """Return OVERT_ALLOWED_ORIGINS as origins (a trailing / dropped), or raise ConfigError for
    a list naming none (commas: that read as unset, allowing any) or an entry no browser would
    send (an id alone, a path, upper case: every extension refused, nothing saying why)."""
    raw = env.get("OVERT_ALLOWED_ORIGINS", "")
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    if raw.strip() and not origins:
        raise ConfigError(
            f"OVERT_ALLOWED_ORIGINS={raw!r} names no origin; unset it to allow any (development)"
        )
    for origin in origins:
        if not ORIGIN_SHAPE.fullmatch(origin):
            raise ConfigError(
                f"OVERT_ALLOWED_ORIGINS: {origin!r} is not an origin: scheme://host[:port], "
                "e.g. chrome-extension://<extension id>"
            )
        if origin != origin.lower():
            raise ConfigError(
                f"OVERT_ALLOWED_ORIGINS: {origin!r}: write origins in lower case, as browsers "
                f"send them: {origin.lower()}"
            )
    return origins


def _redis_url(env: dict) -> str | None:
    """Return OVERT_REDIS_URL, or raise ConfigError when redis-py could not use it."""
    url = env_value(env, "OVERT_REDIS_URL")
    if url is not None:
        try:
            parse_url(url)
        except (ValueError, TypeError) as err:
            raise ConfigError(
                f"cannot use Redis at {safe_url(url)} (from OVERT_REDIS_URL): {err}"
            ) from None
    return url


def is_datasets_location(url: str) -> bool:
    """Return whether `url` is a folder, a file:// URL or s3://bucket[/prefix]: the locations
    backend/core/dataset_storage.py opens (by fsspec for s3)."""
    if "://" not in url:
        return True
    scheme, rest = url.split("://", 1)
    return scheme == "file" or (scheme in ("s3", "s3a") and bool(rest.split("/", 1)[0]))


def _datasets_url(env: dict) -> str | None:
    """Return OVERT_DATASETS_URL, or raise ConfigError unless it is a datasets location
    (`is_datasets_location`)."""
    url = env_value(env, "OVERT_DATASETS_URL")
    if url is None or is_datasets_location(url):
        return url
    raise ConfigError(
        f"OVERT_DATASETS_URL must be a folder, file://... or s3://bucket/prefix, got {url!r}"
    )


def datasets_location(env: dict | None = None) -> tuple[str, bool]:
    """Return where the datasets are and whether OVERT_DATASETS_URL named them (else they are
    `<data dir>/datasets`). Unlike load_settings, nothing is generated in the data dir."""
    env = dict(os.environ if env is None else env)
    url = _datasets_url(env)
    if url is not None:
        return url, True
    data_dir = Path(env_value(env, "OVERT_DATA_DIR") or DEFAULT_DATA_DIR).resolve()
    return str(data_dir / "datasets"), False


def load_settings(env: dict | None = None) -> Settings:
    """Build Settings from `env` (default: os.environ), generating missing secrets."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env_value(env, "OVERT_DATA_DIR") or DEFAULT_DATA_DIR).resolve()
    # Stripped: no Authorization header carries a token's newline (a secret file's, an env file's),
    # and a process given the secret with one must give the same pseudonyms as one given it
    # without (backends and workers share it; the kept file is read stripped too).
    admin = env_value(env, "OVERT_ADMIN_TOKEN") or _kept_secret(data_dir, "admin-token")
    secret = env_value(env, "OVERT_SECRET") or _kept_secret(data_dir, "secret")
    return Settings(
        data_dir=data_dir,
        redis_url=_redis_url(env),
        admin_token=admin,
        secret=secret,
        allowed_origins=_allowed_origins(env),
        batch_size=int(
            _positive(env, "OVERT_BATCH_SIZE", DEFAULT_BATCH_SIZE, int, most=MAX_BATCH_SIZE)
        ),
        batch_max_age=float(_positive(env, "OVERT_BATCH_MAX_AGE", DEFAULT_BATCH_MAX_AGE, float)),
        datasets_url=_datasets_url(env),
    )
