"""Where datasets live: a local directory or object storage (`s3://bucket/prefix`), one API.

Every writer of shards, cards, the manifest and the dataset card goes through `Storage`, so the
same sealing, erasure and retention code runs against either. Writes are atomic on both: on a
local disk a temporary file is fsynced and renamed over the target; on S3 a single PUT is atomic
(a reader sees the old object or the new one). S3 credentials and endpoint come from the usual
AWS settings (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL` for an
S3-compatible server), read by botocore through s3fs.

Object storage is waited on for a bounded time. With s3fs's and botocore's defaults, a server
that accepts connections and never answers held a read for seven minutes (s3fs tries a call 5
times, botocore 5 times each, 15 s apiece) and a write for ever (nothing times out the wait for
the answer to a PUT's `Expect: 100-continue`); a sealing worker held that long does not stop on
SIGTERM. Here a request waits `READ_TIMEOUT` seconds for an answer, is tried `S3_TRIES` x
`BOTO_ATTEMPTS` times at most, and no operation lasts more than `DEADLINE` seconds, whatever it
waits on. A failed write leaves its batch to the next seal run (workers/batches.py): nothing is
lost. `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE`, when set, still choose botocore's retries.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import fsspec
from fsspec.asyn import AsyncFileSystem

from .private import make_private_dir, open_private

CONNECT_TIMEOUT = 5.0  # seconds to open a connection to object storage
READ_TIMEOUT = 10.0  # seconds to wait for an answer (shards and cards are small objects)
BOTO_ATTEMPTS = 2  # botocore's attempts of a request, the first one included
S3_TRIES = 2  # s3fs's own tries of botocore's call
DEADLINE = 60.0  # seconds one operation on object storage may take in all


def s3_options() -> dict:
    """Return the s3fs options that bound how long one request to object storage can take."""
    config = {"connect_timeout": CONNECT_TIMEOUT, "read_timeout": READ_TIMEOUT}
    if not (os.environ.get("AWS_MAX_ATTEMPTS") or os.environ.get("AWS_RETRY_MODE")):
        config["retries"] = {"max_attempts": BOTO_ATTEMPTS, "mode": "standard"}
    return {"config_kwargs": config}


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the whole new one."""
    make_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)  # one left by a crash keeps its old mode
    try:
        with os.fdopen(open_private(tmp), "wb") as fh:  # 0600: datasets are not for every user
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full or read-only disk leaves nothing half-written
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def append_durably(path: Path, data: bytes, at: int | None = None) -> None:
    """Append `data` to `path` (created 0600 when absent) and fsync it.

    `at`: where the file's last whole line ends; anything after it (a line a crash left half
    written) is cut first, so the new data starts on a line of its own.
    """
    make_private_dir(path.parent)
    created = not path.exists()
    fd = open_private(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        if at is not None and os.fstat(fd).st_size > at:
            os.ftruncate(fd, at)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the new file's name durable
        finally:
            os.close(dir_fd)


def _gevent_patched() -> bool:
    """Return whether gevent has patched `threading` in this process (a gevent worker)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


class Storage:
    """Files under one root, addressed by relative POSIX paths (`data/2026-01-01/b.parquet`)."""

    def __init__(self, url: str | os.PathLike):
        url = str(url)
        self.url = url.rstrip("/")
        self.remote = "://" in url and not url.startswith("file://")
        if self.remote:
            s3 = self.url.split("://", 1)[0] in ("s3", "s3a")
            self.fs, self.root = fsspec.core.url_to_fs(
                self.url, use_listings_cache=False, **(s3_options() if s3 else {})
            )
            if s3:
                self.fs.retries = S3_TRIES
            self.root = self.root.rstrip("/")
            self.bounded = isinstance(self.fs, AsyncFileSystem)
        else:
            self.fs = None
            self.root = str(Path(url.removeprefix("file://")))

    def __repr__(self) -> str:
        return f"Storage({self.url!r})"

    def _call(self, method: str, *args):
        """Call a method of the remote filesystem, cut off after `DEADLINE` seconds."""
        call = getattr(self.fs, method)
        kwargs = {"timeout": DEADLINE} if self.bounded else {}  # fsspec cancels the call after it
        if self.bounded and _gevent_patched():
            # In a gevent worker (`overt serve`, backend/production.py) fsspec's loop thread is a
            # greenlet of this OS thread, so its running loop is this thread's and fsspec refuses
            # the call ("Calling sync() from within a running loop"). A thread of gevent's pool is
            # a real OS thread: there the call waits on the loop as in any other thread, and only
            # this greenlet waits for it.
            # gevent is imported already (it patched threading); not imported here otherwise.
            hub = sys.modules["gevent"].get_hub()
            return hub.threadpool.apply(call, args, kwargs)
        return call(*args, **kwargs)

    def full(self, rel: str) -> str:
        """Return the full path (or object key) of `rel`."""
        return f"{self.root}/{rel}"

    def uri(self, rel: str) -> str:
        """Return a URL of `rel` that pyarrow, pandas and DuckDB understand."""
        return f"{self.url}/{rel}" if self.remote else self.full(rel)

    def write(self, rel: str, data: bytes) -> None:
        """Replace `rel` with `data`, atomically."""
        if self.remote:
            self._call("pipe_file", self.full(rel), data)
        else:
            atomic_write(Path(self.full(rel)), data)

    def append(self, rel: str, data: bytes, at: int | None = None) -> None:
        """Append `data` to `rel` on a local disk (`append_durably`); object storage has none:
        callers write the whole object again."""
        if self.remote:
            raise NotImplementedError("object storage has no append")
        append_durably(Path(self.full(rel)), data, at)

    def read(self, rel: str) -> bytes:
        """Return the bytes of `rel` (FileNotFoundError when absent)."""
        if self.remote:
            return self._call("cat_file", self.full(rel))
        return Path(self.full(rel)).read_bytes()

    def read_or_none(self, rel: str) -> bytes | None:
        """Return the bytes of `rel`, or None when it does not exist."""
        try:
            return self.read(rel)
        except FileNotFoundError:
            return None

    def root_problem(self) -> str | None:
        """Return why the root cannot hold datasets (it does not exist, or is a file), or None.

        In object storage a prefix exists once something is written under it: only the bucket
        is checked there.
        """
        if self.remote:
            bucket = self.root.split("/", 1)[0]
            return None if self._call("exists", bucket) else f"bucket {bucket} does not exist"
        root = Path(self.root)
        if not root.exists():
            return "no such folder"
        return None if root.is_dir() else "not a folder"

    def exists(self, rel: str) -> bool:
        """Return whether `rel` exists."""
        if self.remote:
            return self._call("exists", self.full(rel))
        return Path(self.full(rel)).exists()

    def delete(self, rel: str) -> bool:
        """Delete `rel` if it exists (and its folder once empty, on a local disk).

        Returns whether there was a file to delete.
        """
        if self.remote:
            found = self._call("exists", self.full(rel))
            if found:
                self._call("rm_file", self.full(rel))
            return found
        path = Path(self.full(rel))
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        with contextlib.suppress(OSError):  # the day's folder goes with its last file
            path.parent.rmdir()
        return True

    def move(self, src: str, dst: str) -> None:
        """Move `src` onto `dst`, replacing it: a reader of `dst` sees the old file or the new.

        On a local disk a rename (made durable like `atomic_write`'s); object storage has no
        rename, so there `src` is copied onto `dst` (one atomic server-side copy) and deleted.
        """
        if self.remote:
            self._call("copy", self.full(src), self.full(dst))
            self._call("rm_file", self.full(src))
            return
        target = Path(self.full(dst))
        make_private_dir(target.parent)
        os.replace(self.full(src), target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)

    def delete_folder(self, folder: str) -> None:
        """Delete `folder` and everything under it, if it exists."""
        if self.remote:
            if self._call("exists", self.full(folder)):
                self._call("rm", self.full(folder), True)
            return
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.full(folder))

    def glob(self, pattern: str) -> list[str]:
        """Return the relative paths matching `pattern` (e.g. `data/*/*.parquet`), sorted."""
        if self.remote:
            self.fs.invalidate_cache()
            found = self._call("glob", self.full(pattern))
            return sorted(p[len(self.root) + 1 :] for p in found)
        root = Path(self.root)
        return sorted(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())

    def files_under(self, folder: str) -> list[str]:
        """Return the relative paths of every file at any depth under `folder`, sorted."""
        if self.remote:
            self.fs.invalidate_cache()
            found = self._call("find", self.full(folder))
            return sorted(p[len(self.root) + 1 :] for p in found)
        root = Path(self.root)
        under = root / folder
        return sorted(p.relative_to(root).as_posix() for p in under.rglob("*") if p.is_file())


def open_storage(location: str | os.PathLike | Storage) -> Storage:
    """Return the storage at `location` (a directory, a `file://` or an `s3://` URL)."""
    return location if isinstance(location, Storage) else Storage(location)
