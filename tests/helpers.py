"""Small real clients for tests: HTTP over urllib, WebSocket over simple_websocket."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import simple_websocket


def http(method: str, url: str, token: str | None = None, body=None, raw: bytes | None = None):
    """Send a request; return (status, parsed JSON body or text)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            status, text = res.status, res.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


EPISODE = {"session": "s_testsession", "tab": "t_testtab001", "page": "p_testpage01", "step": 0}
SESSION_ONLY = {"session": "s_testsession"}


def make_event(kind: str = "click", url: str = "https://app.example.com/page", **extra) -> dict:
    """Return a valid event of `kind` at the current time."""
    event = {"id": str(uuid.uuid4()), "type": kind, "ts": int(time.time() * 1000), "url": url}
    defaults = {
        "click": {"target": {"selector": "#save", "tag": "button", "label": "Save"}},
        "submit": {"target": {"selector": "form#f", "tag": "form"}, "fields": 3},
        "scroll": {"depth": 40},
        "visibility": {"state": "hidden"},
        "input_activity": {"target": {"selector": "#q", "tag": "input"}, "count": 4},
        "page_view": {"referrer": "https://app.example.com/"},
        "route_change": {"from": "https://app.example.com/a"},
        "change": {
            "target": {"selector": "#kind", "tag": "select", "bid": "b2"},
            "value": "Customer",
        },
        "key": {"key": "Enter", "mods": []},
        "observation": {
            "elements": [
                {
                    "bid": "b1",
                    "role": "button",
                    "tag": "button",
                    "label": "Save",
                    "box": [8, 8, 64, 32],
                }
            ]
        },
        "task_start": {"task": "task0001abcd", "goal": "Create a quote"},
        "task_end": {"task": "task0001abcd", "outcome": "done"},
    }
    event.update(defaults.get(kind, {}))
    # Episode fields: the popup's task events need only the session (a tab is optional).
    event.update(SESSION_ONLY if kind.startswith("task_") else EPISODE)
    event.update(extra)
    return event


class _Client(simple_websocket.Client):
    """simple_websocket's client, without losing frames that come with the handshake's reply.

    Its handshake reads the server's reply and hands the bytes to wsproto, which keeps what
    follows the reply (frames the server sent at once, such as an error and a close). Its
    reading thread looks at those only after its next read, and when that read finds the socket
    closed, never: the frames were lost and the close code read 1005.
    """

    def handshake(self):
        super().handshake()
        self._handle_events()  # before the reading thread starts: no race with it
        # A close frame among them is kept (close_reason); the reading thread then finds the
        # socket closed. The base class refuses to start when not connected.
        self.connected = True


class WSClient:
    """A WebSocket client that keeps frames it did not ask for (pushes) for later checks."""

    def __init__(self, ws_url: str, origin: str | None = None):
        headers = {"Origin": origin} if origin else None
        self.ws = _Client.connect(ws_url, headers=headers)
        self.pending: list[dict] = []

    def send(self, frame) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def recv(self, timeout: float = 5.0) -> dict:
        """Return the next frame (raise TimeoutError when none arrives)."""
        if self.pending:
            return self.pending.pop(0)
        data = self.ws.receive(timeout=timeout)
        if data is None:
            raise TimeoutError("no frame")
        return json.loads(data)

    def recv_type(self, kind: str, timeout: float = 5.0) -> dict:
        """Return the next frame of `kind`, keeping other frames for later."""
        deadline = time.monotonic() + timeout
        for i, frame in enumerate(self.pending):
            if frame.get("type") == kind:
                return self.pending.pop(i)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} frame")
            data = self.ws.receive(timeout=left)
            if data is None:
                raise TimeoutError(f"no {kind} frame")
            frame = json.loads(data)
            if frame.get("type") == kind:
                return frame
            self.pending.append(frame)

    def hello(self, token: str, **extra) -> dict:
        """Authenticate; return the welcome frame."""
        self.send({"type": "hello", "token": token, "client": {"version": "test"}, **extra})
        return self.recv_type("welcome")

    def send_events(self, seq: int, events: list[dict]) -> dict:
        """Send an events frame; return its ack."""
        self.send({"type": "events", "seq": seq, "events": events})
        return self.recv_type("ack")

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already closed by the server
            self.ws.close()


def registered_connections(app, count: int, timeout: float = 5.0) -> list:
    """Wait until `app`'s socket registry holds `count` connections; return them."""
    registry = app.extensions["overt.services"].registry
    deadline = time.monotonic() + timeout
    while len(conns := registry.snapshot()) < count:
        assert time.monotonic() < deadline, "the sockets never registered"
        time.sleep(0.02)
    return conns


def commands_during(r, work) -> list[list[str]]:
    """Return the Redis commands (as strings) clients sent while `work()` ran, seen through
    MONITOR (those a Lua script runs inside its one call are left out)."""
    seen: list[list[str]] = []
    ready = threading.Event()

    def watch():
        with r.monitor() as m:
            ready.set()
            for cmd in m.listen():
                args = cmd["command"].split()
                if args[:2] == ["ECHO", "monitor-done"]:
                    return
                if cmd.get("client_type") != "lua":
                    seen.append(args)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    ready.wait(5)
    r.ping()  # MONITOR is on before the work starts: the watcher got its first reply
    work()
    r.echo("monitor-done")
    watcher.join(10)
    assert not watcher.is_alive()
    return seen


def assert_license_header(readme: str) -> None:
    """A card's license `other` comes with its id and a link to the card's own terms section, as
    Hugging Face's card parser reads them (backend/core/dataset_readme.py)."""
    from huggingface_hub import DatasetCard

    data = DatasetCard(readme).data
    assert data.license == "other", data
    assert data.license_name == "overt-internal-terms", data
    page, anchor = data.license_link.split("#")
    assert page == "README.md" and anchor == "terms-of-use", data
    assert "\n## Terms of use\n" in readme.split("\n---\n", 1)[1]
