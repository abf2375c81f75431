"""The keepalive keeps the service worker and its socket alive past Chromium's 30 s idle stop.

Playwright's DevTools attachment keeps extension workers alive by itself, so this test launches
plain Chromium as a subprocess with no CDP client attached (../shared/E2E-CHROMIUM.md).
"""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.e2e.e2e_harness import CHROMIUM_ARGS, prepare_extension, wait_for
from tests.e2e.events_helpers import sent_frames

IDLE_STOP_SECONDS = 30  # Chromium stops an idle MV3 service worker after about this long


@pytest.mark.slow
def test_socket_stays_open_past_the_idle_timeout(
    live_server, enrolled, chromium_executable, tmp_path
):
    """One hello, pings every 15 s, and the socket still open after 40 s of nothing to do."""
    token = enrolled()
    ext_dir = prepare_extension(
        tmp_path / "extension", live_server.ws_url, token, keepalive_ms=15000
    )
    args = [
        chromium_executable,
        "--headless=new",
        *CHROMIUM_ARGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--disable-extensions-except={ext_dir}",
        f"--load-extension={ext_dir}",
        "about:blank",
    ]
    browser = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: sent_frames(live_server, "hello"), 20, message="hello")
        connected_at = time.monotonic()
        time.sleep(IDLE_STOP_SECONDS + 10)
        assert len(sent_frames(live_server, "hello")) == 1, "the socket was dropped and reopened"
        assert len(sent_frames(live_server, "ping")) >= 2
        registry = live_server.app.extensions["overt.services"].registry
        assert len(registry.snapshot()) == 1, "the socket is gone: the worker was stopped"
        assert time.monotonic() - connected_at > IDLE_STOP_SECONDS
    finally:
        browser.terminate()
        browser.wait(timeout=20)
