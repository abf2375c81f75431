"""Real headless Chromium with the real extension, per ../shared/E2E-CHROMIUM.md.

Kept apart from conftest.py so that a script can drive the same browser by hand.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
import time
import typing
from pathlib import Path
from urllib.parse import unquote

# Flags that make Debian's Chromium quiet and headless here (../shared/E2E-CHROMIUM.md): without
# the background-networking ones it keeps trying to reach the closed internet.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


ROOT = Path(__file__).resolve().parents[2]
EXTENSION_SRC = ROOT / "extension"
PAGES = Path(__file__).resolve().parent / "pages"
# Fixed by the manifest's "key" (docs/extension.md); extension/shared/constants.js has the same.
EXTENSION_ID = "jlgofjddloiiehobneeomgligepmkobc"
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser")

# Short timings so the tests wait on conditions for seconds, not minutes.
TEST_KNOBS = {
    "flush_ms": 200,
    "backoff_base_ms": 200,
    "backoff_max_ms": 1000,
    "keepalive_ms": 15000,
}


def find_chromium() -> str | None:
    """Return a Chromium binary that honours --load-extension (never branded Chrome 137+)."""
    for candidate in CHROMIUM_CANDIDATES:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
    """Poll `predicate` until it returns something truthy; return it or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)


class _PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Static test pages; any /app/... path serves the SPA page (as a real SPA server would)."""

    mounts: typing.ClassVar[dict[str, Path]] = {}
    requests: typing.ClassVar[list[tuple[str, str | None]]] = []

    def send_head(self):
        # What the browser asked for, and why (Sec-Purpose: "prefetch;prerender" for a prerender).
        self.requests.append((self.path, self.headers.get("Sec-Purpose")))
        return super().send_head()

    def translate_path(self, path):
        clean = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, directory in self.mounts.items():
            if clean.startswith(prefix + "/"):
                root = directory.resolve()
                target = (root / unquote(clean[len(prefix) + 1 :])).resolve()
                return str(target if target == root or root in target.parents else root / "-")
        if clean == "/app" or clean.startswith("/app/"):
            return str(PAGES / "app.html")
        if clean == "/secrets" or clean.startswith("/secrets/"):
            return str(PAGES / "secrets.html")
        return super().translate_path(path)

    def log_message(self, *args):
        pass


class PagesServer:
    """Serve tests/e2e/pages on 127.0.0.1, port 0, in a thread."""

    def __init__(self):
        self.mounts: dict[str, Path] = {}
        self.requests: list[tuple[str, str | None]] = []  # (path, Sec-Purpose) of each request
        handler_class = type(
            "PagesHandler", (_PagesHandler,), {"mounts": self.mounts, "requests": self.requests}
        )
        handler = functools.partial(handler_class, directory=str(PAGES))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def mount(self, prefix: str, directory: Path) -> None:
        """Serve `directory` under the URL path `prefix` (like "/todomvc")."""
        self.mounts[prefix.rstrip("/")] = Path(directory)

    def url(self, path: str) -> str:
        """Return the absolute URL of `path` on this server."""
        return self.origin + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def prepare_extension(target: Path, server: str | None, token: str | None, **knobs) -> Path:
    """Copy the unpacked extension to `target` and write its config.json."""
    shutil.copytree(EXTENSION_SRC, target)
    config = {**TEST_KNOBS, **knobs}
    if server:
        config["server"] = server
    if token:
        config["token"] = token
    (target / "config.json").write_text(json.dumps(config))
    return target


class ExtensionBrowser:
    """A persistent Chromium context with the extension loaded, and helpers to drive it."""

    def __init__(
        self, playwright, executable: str, ext_dir: Path, profile_dir: Path, bfcache: bool = False
    ):
        self.playwright = playwright
        self.executable = executable
        self.ext_dir = ext_dir
        self.profile_dir = profile_dir
        # Playwright turns the back-forward cache off; Chromium has it on, so a test of pages
        # restored from it asks for it back.
        self.ignore_default_args = ["--disable-back-forward-cache"] if bfcache else None
        self.context = None
        self.launch()

    def launch(self) -> None:
        """Start Chromium on this profile and wait for the extension's service worker."""
        self.context = self.playwright.chromium.launch_persistent_context(
            str(self.profile_dir),
            executable_path=self.executable,
            headless=True,
            ignore_default_args=self.ignore_default_args,
            args=[
                *CHROMIUM_ARGS,
                f"--disable-extensions-except={self.ext_dir}",
                f"--load-extension={self.ext_dir}",
            ],
        )
        self.worker()

    def restart(self) -> None:
        """Quit the browser and start it again on the same profile (session storage is lost)."""
        self.context.close()
        self.launch()

    def worker(self):
        """Return the extension's service worker (the newest one: the list keeps stopped ones)."""
        prefix = f"chrome-extension://{EXTENSION_ID}/"
        workers = [w for w in self.context.service_workers if w.url.startswith(prefix)]
        if workers:
            return workers[-1]
        return self.context.wait_for_event(
            "serviceworker", predicate=lambda w: w.url.startswith(prefix), timeout=15000
        )

    def evaluate(self, expression: str, arg=None):
        """Evaluate in the service worker (wakes nothing: the worker must be running)."""
        return self.worker().evaluate(expression, arg)

    def gate(self) -> dict:
        """The capture gate the worker published to chrome.storage.session."""
        return self.evaluate(
            "chrome.storage.session.get('overt.gate').then(g => g['overt.gate'] || {})"
        )

    def wait_until_capturing(self, origin: str, categories=(), timeout: float = 15.0) -> dict:
        """Wait until the gate allows capture on `origin` for every category in `categories`."""

        def ready():
            gate = self.gate()
            ok = gate.get("active") and origin in gate.get("origins", [])
            return gate if ok and set(categories) <= set(gate.get("categories", [])) else None

        return wait_for(ready, timeout, 0.1, f"capture to start on {origin} for {categories}")

    def wait_for_status(self, status: str, timeout: float = 15.0) -> dict:
        """Wait until the published gate has `status` (capturing, paused_admin, ...)."""
        return wait_for(
            lambda: (g := self.gate()).get("status") == status and g, timeout, 0.1, status
        )

    def outbox_size(self) -> int:
        """Events in the outbox (unsent or unacknowledged)."""
        return self.evaluate("globalThis.overt.outbox().entries.length")

    def open(self, url: str):
        """Open `url` in a new tab; return once the content script listens there (it starts after
        the load event: document_idle, then a dynamic import), so a click at once is seen."""
        page = self.context.new_page()
        page.goto(url)
        if page.url.startswith(("http://", "https://")):
            self.wait_for_content_script(page)
        return page

    def wait_for_content_script(self, page, timeout: float = 15.0) -> None:
        """Wait until the content script of `page`'s top document has said hello to the worker:
        its listeners are on by then, and the gate it was handed applies a moment later."""
        greeted = """(url) => chrome.tabs.query({}).then((tabs) =>
            tabs.some((tab) => tab.url === url && globalThis.overt.greeted(tab.id)))"""
        wait_for(
            lambda: self.evaluate(greeted, page.url), timeout, 0.05, f"content script on {page.url}"
        )

    def stop_service_workers(self, page) -> None:
        """Stop every service worker through CDP, as Chromium does after 30 s idle."""
        cdp = page.context.new_cdp_session(page)
        cdp.send("ServiceWorker.enable")
        cdp.send("ServiceWorker.stopAllWorkers")
        cdp.detach()

    def close(self) -> None:
        self.context.close()


def type_into(page, selector: str, text: str, enter: bool = False) -> None:
    """Click `selector` on `page`, type `text` there as a person would, then Enter if asked."""
    page.click(selector)
    page.keyboard.type(text)
    if enter:
        page.keyboard.press("Enter")
