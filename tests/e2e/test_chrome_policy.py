"""`overt policy chrome`: the printed managed configuration makes the extension connect by itself.

Chromium reads policy files from /etc/chromium/policies/managed at start-up, which needs root.
So that other browsers started meanwhile (other tests) are not configured by it, the test's
copy of the extension gets a key of its own, hence an extension id no other test uses.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from backend.cli import main
from tests.e2e.conftest import _cannot_run
from tests.e2e.e2e_harness import ExtensionBrowser, prepare_extension, wait_for

POLICY_DIR = Path("/etc/chromium/policies/managed")


def fresh_key() -> tuple[str, str]:
    """Return (manifest "key", extension id) for a new RSA key."""
    private = subprocess.run(["openssl", "genrsa", "2048"], check=True, capture_output=True).stdout
    der = subprocess.run(
        ["openssl", "rsa", "-pubout", "-outform", "DER"],
        input=private,
        check=True,
        capture_output=True,
    ).stdout
    digest = hashlib.sha256(der).hexdigest()[:32]
    return base64.b64encode(der).decode(), "".join(chr(ord("a") + int(c, 16)) for c in digest)


class PolicyBrowser(ExtensionBrowser):
    """The harness's browser, for a copy of the extension with an id of its own."""

    def __init__(self, ext_id: str, *args):
        self.ext_id = ext_id
        super().__init__(*args)

    def worker(self):
        prefix = f"chrome-extension://{self.ext_id}/"
        workers = [w for w in self.context.service_workers if w.url.startswith(prefix)]
        if workers:
            return workers[-1]
        return self.context.wait_for_event(
            "serviceworker", predicate=lambda w: w.url.startswith(prefix), timeout=15000
        )


@pytest.fixture
def policy_dir():
    """Chromium's managed policy directory, writable (root) or the test cannot run."""
    try:
        POLICY_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        _cannot_run(f"cannot write {POLICY_DIR} (needs root): {err}")
    if not os.access(POLICY_DIR, os.W_OK):
        _cannot_run(f"cannot write {POLICY_DIR} (needs root)")
    return POLICY_DIR


def test_printed_policy_connects_the_extension_without_options(
    live_server, enrolled, playwright_instance, chromium_executable, tmp_path, policy_dir, admin
):
    """Only the policy names server and token: no config.json, no options page."""
    token = enrolled("erin", team="field")
    key, ext_id = fresh_key()
    ext_dir = prepare_extension(tmp_path / "extension", server=None, token=None)
    manifest = json.loads((ext_dir / "manifest.json").read_text())
    (ext_dir / "manifest.json").write_text(json.dumps({**manifest, "key": key}))
    assert "server" not in json.loads((ext_dir / "config.json").read_text())

    args = ["policy", "chrome", "--server", live_server.ws_url, "--grace-seconds", "120"]
    result = CliRunner().invoke(main, [*args, "--token", token, "--extension-id", ext_id])
    assert result.exit_code == 0, result.output
    policy = json.loads(result.output)
    assert policy["ExtensionSettings"][ext_id]["installation_mode"] == "force_installed"
    managed = policy["3rdparty"]["extensions"][ext_id]
    assert managed == {"server": live_server.ws_url, "grace_seconds": 120, "token": token}

    # Force-installing would make Chromium fetch the extension from its update URL (no
    # internet here), so the test loads it unpacked and gives Chromium the managed part.
    policy_file = policy_dir / f"overt-test-{ext_id}.json"
    policy_file.write_text(json.dumps({"3rdparty": policy["3rdparty"]}))
    try:
        browser = PolicyBrowser(
            ext_id, playwright_instance, chromium_executable, ext_dir, tmp_path / "profile"
        )
        try:
            # Exactly one socket in the end: when the managed configuration arrives just after a
            # first connection, the extension reconnects with it, and for a moment both count.
            # On a loaded machine Chromium has delivered the managed configuration 15 s late.
            seen: list = []  # the last devices listed, for the message if this times out

            def connected_once() -> bool:
                seen[:] = [admin.call("GET", "/admin/api/live")["devices"]]
                return [d["employee"] for d in seen[0].get("field", [])] == ["erin"]

            try:
                wait_for(connected_once, 60)
            except AssertionError:
                managed_now = browser.evaluate("chrome.storage.managed.get(null)")
                raise AssertionError(
                    f"the policy-configured extension did not connect once: live devices "
                    f"{seen}, managed storage has {sorted(managed_now)}"
                ) from None
            stored = browser.evaluate("chrome.storage.managed.get(null)")
            assert stored == managed
        finally:
            browser.close()
    finally:
        policy_file.unlink()
