"""Data at rest is private: the data dir is 0700 and what Overt writes in it 0600.

The data dir holds raw queued events (the embedded Redis's append-only file, before workers redact
and pseudonymise them), the admin token, the pseudonym secret and the sealed datasets.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> Path:
    """Create `path` and any missing parents with mode 0700 (existing ones are left as they are)."""
    path = Path(path)
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it first
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask; be exact
    return Path(missing[0]) if missing else path


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """Open `path` for writing, created with mode 0600; return the file descriptor."""
    return os.open(path, flags, FILE_MODE)


def exposed(data_dir: Path, limit: int = 10_000) -> list[Path]:
    """Return the data dir and entries in it that every user of the machine may read or enter.

    Group bits are allowed (a dataset reader's group, docs/operations.md), and nothing is exposed
    below a folder other users cannot enter. Checks up to `limit` entries.
    """
    data_dir = Path(data_dir).resolve()
    if not data_dir.exists() or not reachable_by_others(data_dir):
        return []
    found = []
    seen = 0
    for root, dirs, files in os.walk(data_dir):
        for name in [None, *files] if root == str(data_dir) else files:
            path = Path(root) / name if name else Path(root)
            seen += 1
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if stat.S_ISSOCK(mode):
                continue  # the Redis socket's own permission (700) is what guards it
            if mode & stat.S_IRWXO:
                found.append(path)
        for name in dirs:
            path = Path(root) / name
            seen += 1
            try:
                if path.lstat().st_mode & stat.S_IRWXO:
                    found.append(path)
            except OSError:
                continue
        if seen >= limit:
            break
    return found


def reachable_by_others(path: Path) -> bool:
    """Return whether every folder above `path` lets other users pass through (o+x)."""
    for folder in Path(path).resolve().parents:
        try:
            if not folder.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True
