"""Property-based: 10,000+ generated hostile frames against a real server over real sockets.

Every frame gets exactly one `ack` or typed `error` (a `pong` frame gets nothing, as the protocol
says), never a 500, a close or a hang; /healthz answers afterwards. Strategies: tests/strategies.py.
"""

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import WSClient, http
from tests.strategies import frames

pytestmark = [
    pytest.mark.slow,
    # Hypothesis warns when a failing example's repr is huge (a deep-nesting frame); as an error
    # that warning would hide the assertion that failed.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning"),
]

BATCH = 25
EXAMPLES = 410  # 410 x 25 = 10,250 frames per run
CLIENTS = 4
MARKER = 10**12  # marker seqs; generated seqs stay far below
REPLY_TIMEOUT = 60.0  # a hang detector, not a latency goal: CI may be busy
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzz_token(admin):
    """An employee who consented to every category (so valid events are really stored)."""
    from backend.core.vocabulary import CATEGORIES

    admin.set_policy()
    token = admin.enroll("fuzz")
    admin.set_consent(token, dict.fromkeys(CATEGORIES, True))
    return token


def silent(frame: str) -> bool:
    """Return whether the protocol answers nothing to `frame` (only a valid `pong`)."""
    try:
        parsed = json.loads(frame)
    except (ValueError, RecursionError):
        return False
    if not isinstance(parsed, dict) or parsed.get("type") != "pong":
        return False
    # A pong holding a string that is not valid Unicode is a bad frame: it gets `bad_string`
    # (events are checked one by one, so a frame's "events" value is left to the events check).
    return all(_valid_text(k) and (k == "events" or _valid_text(v)) for k, v in parsed.items())


def _valid_text(value) -> bool:
    """Return whether every string in `value` (keys included) encodes as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_valid_text(k) and _valid_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_valid_text(v) for v in value)
    return True


def exchange(client: WSClient, batch: list[str], base: int) -> list[list[dict]]:
    """Send each frame, then a marker frame; return the replies that came before each marker."""
    for i, frame in enumerate(batch):
        client.ws.send(frame)
        client.ws.send(json.dumps({"type": "events", "seq": base + i, "events": []}))
    replies: list[list[dict]] = []
    for i in range(len(batch)):
        got = []
        while True:
            data = client.ws.receive(timeout=REPLY_TIMEOUT)
            assert data is not None, f"no answer to frame {batch[i][:200]!r}"
            msg = json.loads(data)
            if msg.get("type") == "ack" and msg.get("seq") == base + i:
                break
            got.append(msg)
        replies.append(got)
    return replies


def check(frame: str, got: list[dict]) -> None:
    assert len(got) == (0 if silent(frame) else 1), (frame[:300], got)
    for msg in got:
        assert msg["type"] in ("ack", "error", "pong"), (frame[:300], msg)
        if msg["type"] == "error":
            assert isinstance(msg["code"], str) and isinstance(msg["message"], str)
            assert msg["code"] != "internal_error", (frame[:300], msg)


def test_ten_thousand_hostile_frames(live_server, fuzz_token, caplog):
    """Every generated frame is answered with an ack or a typed error; the server stays healthy."""
    caplog.set_level(logging.WARNING)
    clients = [WSClient(live_server.ws_url) for _ in range(CLIENTS)]
    for c in clients:
        c.hello(fuzz_token)
    sent = []

    @FUZZ
    @given(batch=st.lists(frames(fuzz_token), min_size=BATCH, max_size=BATCH))
    def run(batch):
        n = len(sent)
        client = clients[n % CLIENTS]
        for frame, got in zip(batch, exchange(client, batch, MARKER + n * BATCH), strict=True):
            check(frame, got)
        sent.append(len(batch))

    run()
    assert sum(sent) >= 10_000
    assert http("GET", live_server.http_url + "/healthz")[0] == 200
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    for c in clients:
        c.send({"type": "ping"})
        assert c.recv_type("pong", timeout=REPLY_TIMEOUT)
        c.close()


def test_hostile_frames_before_hello(live_server, fuzz_token):
    """Before hello every frame is answered: a typed error (close 1008 if not hello) or welcome."""
    seen = []

    @settings(FUZZ, max_examples=300)
    @given(frame=frames(fuzz_token))
    def run(frame):
        c = WSClient(live_server.ws_url)
        try:
            c.ws.send(frame)
            data = c.ws.receive(timeout=REPLY_TIMEOUT)
            assert data is not None, f"no answer to {frame[:200]!r}"
            msg = json.loads(data)
            assert msg["type"] in ("error", "welcome"), (frame[:300], msg)
            if msg["type"] == "error":
                assert msg["code"] != "internal_error", (frame[:300], msg)
            seen.append(msg.get("code", "welcome"))
        finally:
            c.close()

    run()
    assert len(seen) >= 300 and "hello_required" in seen
    assert http("GET", live_server.http_url + "/healthz")[0] == 200
