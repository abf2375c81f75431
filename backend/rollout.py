"""Roll-out to a fleet: the Chrome / Edge enterprise policy that installs and configures Overt.

`chrome_policy` returns one JSON object with two parts:
- `ExtensionSettings`: force-install the extension from an update URL (the Chrome Web Store's
  by default, or a self-hosted update manifest);
- `3rdparty.extensions.<id>`: the extension's managed configuration, read by the extension as
  `chrome.storage.managed` (keys from extension/managed-schema.json).
docs/deploy-extension.md says where each OS reads it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse, urlsplit

from .core.origins import port_problem

WEB_STORE_UPDATE_URL = "https://clients2.google.com/service/update2/crx"
MANAGED_SCHEMA = Path(__file__).resolve().parent.parent / "extension" / "managed-schema.json"


class RolloutError(ValueError):
    """The roll-out settings are not usable."""


def managed_keys() -> set[str]:
    """Return the keys the extension accepts from managed storage."""
    return set(json.loads(MANAGED_SCHEMA.read_text())["properties"])


def _port_text(netloc: str) -> str:
    """Return the port as written in `netloc` (`host:port`, `[v6]:port`), or '' when none."""
    after_host = netloc.rpartition("@")[2].rpartition("]")[2]
    return after_host.rpartition(":")[2] if ":" in after_host else ""


def server_problem(server: str) -> str | None:
    """Return why `server` is not a ws:// or wss:// URL the extension can connect to, or None."""
    try:
        url = urlsplit(server)
    except ValueError:  # an unclosed IPv6 bracket, say
        url = None
    if url is None or url.scheme not in ("ws", "wss") or not url.netloc:
        return f"--server must be a ws:// or wss:// URL, got {server!r}"
    # The extension reads the URL with `new URL()`, which refuses a port out of range: Chrome
    # would then hold a policy the extension ignores (extension/background/config.js).
    port = _port_text(url.netloc)
    problem = port and port_problem(port)
    if problem:
        return f"--server {server!r}: {problem}"
    if not url.hostname:
        return f"--server {server!r} names no host"
    return None


# The longest grace period the extension keeps (extension/background/config.js): a browser's
# setTimeout waits at most 2^31 - 1 ms, and fires at once past it.
MAX_GRACE_SECONDS = (2**31 - 1) // 1000


def managed_config(server: str, grace_seconds: int | None, token: str | None) -> dict:
    """Return the managed configuration for the extension (validated like the extension does)."""
    problem = server_problem(server)
    if problem:
        raise RolloutError(problem)
    config: dict = {"server": server}
    if grace_seconds is not None:
        if grace_seconds <= 0:
            raise RolloutError("--grace-seconds must be positive")
        if grace_seconds > MAX_GRACE_SECONDS:
            raise RolloutError(
                f"--grace-seconds must be at most {MAX_GRACE_SECONDS:,} (about 24 days: the "
                f"longest a browser timer waits; the extension ignores a longer one)"
            )
        config["grace_seconds"] = grace_seconds
    if token:
        config["token"] = token
    unknown = set(config) - managed_keys()
    if unknown:  # the schema and this module must agree, or Chrome drops the policy
        raise RolloutError(f"managed-schema.json lacks {sorted(unknown)}")
    return config


# Chrome's extension ids: 32 letters a-p (a hash of the signing key, one letter per hex digit).
EXTENSION_ID = re.compile(r"[a-p]{32}")


def check_install_source(extension_id: str, update_url: str) -> None:
    """Raise RolloutError unless the id is a Chrome extension id and the update URL http(s)."""
    if not EXTENSION_ID.fullmatch(extension_id):
        raise RolloutError(
            f"--extension-id must be a Chrome extension id (32 letters a-p), got {extension_id!r}"
        )
    url = urlparse(update_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise RolloutError(f"--update-url must be an http:// or https:// URL, got {update_url!r}")


def chrome_policy(
    extension_id: str,
    server: str,
    grace_seconds: int | None = None,
    token: str | None = None,
    update_url: str = WEB_STORE_UPDATE_URL,
) -> dict:
    """Return the enterprise policy that force-installs Overt and presets its configuration."""
    check_install_source(extension_id, update_url)
    return {
        "ExtensionSettings": {
            extension_id: {
                "installation_mode": "force_installed",
                "update_url": update_url,
                "toolbar_pin": "force_pinned",
            }
        },
        "3rdparty": {
            "extensions": {extension_id: managed_config(server, grace_seconds, token)},
        },
    }
