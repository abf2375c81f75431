"""`/ws`: the WebSocket endpoint extensions talk to (protocol in docs/protocol.md)."""

from __future__ import annotations

import json
import logging
import time

import redis
import simple_websocket.ws
from flask import Blueprint, current_app, request
from flask_sock import Sock
from marshmallow import ValidationError
from simple_websocket import ConnectionClosed
from wsproto.extensions import PerMessageDeflate

from . import metrics, redis_poll
from .connections import Connection
from .core import keys, pauses
from .core.clock import now_ms
from .core.consent import get_consent
from .core.employees import authenticate, token_hash
from .core.fastpath import compile_schema
from .core.frames import BadInputError, find_bad_string, may_hold_lone_surrogate, parse_json
from .core.intake import RevokedError
from .core.policy import get_policy
from .core.vocabulary import MAX_SEQ
from .schemas import EventsFrameSchema, HelloSchema, PauseAppliedSchema
from .ws_reader import end_connection

log = logging.getLogger(__name__)

bp = Blueprint("ingest", __name__)
sock = Sock()


def _lean_deflate() -> PerMessageDeflate:
    """permessage-deflate without context takeover: zlib state lives only while a message does.

    simple-websocket accepts every socket with `PerMessageDeflate()`, whose compressor (about
    256 KiB of zlib state) and decompressor stay allocated for the life of a socket once Chromium
    has negotiated compression: most of an idle socket's memory (measured by bench/idle.py).
    Without context takeover each message is compressed on its own, and that state is freed.
    """
    return PerMessageDeflate(client_no_context_takeover=True, server_no_context_takeover=True)


simple_websocket.ws.PerMessageDeflate = _lean_deflate
# One Redis command per events frame: its pool check stays out of gevent's hub (redis_poll.py).
redis_poll.install()

HELLO_TIMEOUT = 10.0
# Clients ping every 20 s; three missed pings mean the client is gone.
IDLE_TIMEOUT = 60.0
CLOSE_POLICY = 1008
# The reader sends its last frame within milliseconds of seeing the end; this only bounds a wait
# for one still blocked reading (a socket closed from another thread, backend/revocation.py).
READER_GRACE = 1.0

# A `pause_applied` that was not recorded, by why (backend/core/pauses.py): its error frame.
ACK_REFUSED = {
    pauses.ACK_UNKNOWN: ("unknown_pause", "no such pause"),
    pauses.ACK_NOT_COVERED: ("not_covered", "this pause does not cover this device"),
    pauses.ACK_ENDED: ("pause_ended", "this pause has ended"),
}

_hello = HelloSchema()
_events = EventsFrameSchema()
_events_fast = compile_schema(_events)  # the same schema, compiled (backend/core/fastpath.py)
_applied = PauseAppliedSchema()


class CloseError(Exception):
    """End the session: send an error frame (with `extra` fields), then close with `close_code`."""

    def __init__(self, code: str, message: str, close_code: int = CLOSE_POLICY, **extra):
        super().__init__(message)
        self.code, self.message, self.close_code, self.extra = code, message, close_code, extra


def error_frame(code: str, message: str, **extra) -> dict:
    """Return an `error` frame."""
    return {"type": "error", "code": code, "message": message, **extra}


def timeout_message(authenticated: bool) -> str:
    """Return what the `timeout` error says: which wait ran out, and after how long."""
    if authenticated:
        return f"no frame for {IDLE_TIMEOUT:g} s"
    return f"no hello within {HELLO_TIMEOUT:g} s"


def frame_type_problem(frame: dict) -> str:
    """Return why `frame`'s type names no frame the server handles (for `unknown_frame`)."""
    if "type" not in frame:
        return 'the frame has no "type"'
    kind = frame["type"]
    if not isinstance(kind, str):
        return f'"type" must be a string, got {json.dumps(kind)[:40]}'
    return f"unknown frame type {kind[:40]!r}"


def echoed_seq(frame: dict) -> int | None:
    """Return the frame's `seq` when it is an integer (never a bool, which Python counts as one)
    that a JavaScript client reads back exactly (at most MAX_SEQ either way)."""
    seq = frame.get("seq")
    return seq if type(seq) is int and -MAX_SEQ <= seq <= MAX_SEQ else None


def describe_errors(messages: dict | list, path: str = "") -> str:
    """Return marshmallow's error messages as one readable line: `field.sub: message; ...`."""
    if isinstance(messages, dict):
        parts = [describe_errors(v, f"{path}.{k}" if path else str(k)) for k, v in messages.items()]
        return "; ".join(parts)
    texts = " ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
    return f"{path}: {texts}" if path else texts


def welcome_frame(r: redis.Redis, ident) -> tuple[dict, dict | None]:
    """Return the welcome frame for `ident` and the active pause it carries."""
    active = pauses.active_for(r, ident.employee, ident.team)
    frame = {
        "type": "welcome",
        "employee": ident.employee,
        "team": ident.team,
        "pause": pauses.pause_frame(active) if active else None,
        "consent": {"categories": get_consent(r, ident.employee)},
        "policy": get_policy(r),
    }
    return frame, active


class Session:
    """One socket's conversation: hello first, then events, pings and pause acks."""

    def __init__(self, ws, services):
        self.ws = ws
        self.services = services
        self.r = services.redis
        self.conn: Connection | None = None
        self.token_hash = ""

    def send(self, frame: dict) -> None:
        if self.conn:
            self.conn.send(frame)
        else:
            self.ws.send(json.dumps(frame))

    def run(self) -> None:
        try:
            while True:
                timeout = IDLE_TIMEOUT if self.conn else HELLO_TIMEOUT
                data = self.ws.receive(timeout=timeout)
                if data is None:
                    message = timeout_message(authenticated=self.conn is not None)
                    raise CloseError("timeout", message, 1000 if self.conn else 1008)
                self.handle_safely(data)
        except CloseError as err:
            log.info("closing %s: %s", self.conn.id if self.conn else "unauthenticated", err.code)
            self.send(error_frame(err.code, err.message, **err.extra))
            self.ws.close(reason=err.close_code, message=err.code)
        except redis.RedisError as err:
            log.warning("closing a socket: Redis %s", type(err).__name__)
            self.send(error_frame("unavailable", "the data store is unavailable; reconnect later"))
            self.ws.close(reason=1011, message="unavailable")
        finally:
            if self.conn:
                self.services.registry.remove(self.conn)

    def handle_safely(self, data) -> None:
        """Handle one frame; a bug on one frame answers an error frame, never ends the socket."""
        try:
            self.handle(data)
        except (CloseError, redis.RedisError, ConnectionClosed):
            raise
        except Exception as err:
            # One line per frame, no payload: the frame is hostile or a bug is; the socket lives.
            log.error(
                "frame on %s failed: %s",
                self.conn.id if self.conn else "unauthenticated",
                type(err).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            self.send(error_frame("internal_error", "the frame could not be handled"))

    def handle(self, data) -> None:
        """Parse one frame and dispatch it on its type."""
        if not isinstance(data, str):
            return self.send(error_frame("bad_frame", "frames are JSON text, not binary"))
        try:
            frame = parse_json(data)
        except BadInputError as err:
            return self.send(error_frame(err.code, err.message))
        if not isinstance(frame, dict):
            return self.send(error_frame("bad_frame", "a frame is a JSON object"))
        # Text without a surrogate escape cannot hold a lone surrogate: nothing to look for.
        # Otherwise events are checked one by one at intake, so one bad event rejects only itself.
        strings_checked = not may_hold_lone_surrogate(data)
        bad = None if strings_checked else find_bad_string(frame, skip=frozenset({"events"}))
        if bad:
            return self.send(error_frame("bad_string", f"a string at {bad} is not valid Unicode"))
        kind = frame.get("type")
        if not isinstance(kind, str):
            kind = None
        metrics.frame_received(kind)
        if self.conn is None and kind != "hello":
            raise CloseError("hello_required", "send hello with a device token first")
        if kind == "events":
            return self.on_events(frame, strings_checked)
        handler = {
            "hello": self.on_hello,
            "events": self.on_events,
            "pause_applied": self.on_pause_applied,
            "ping": lambda f: self.send({"type": "pong"}),
            "pong": lambda f: None,
        }.get(kind)
        if handler is None:
            return self.send(error_frame("unknown_frame", frame_type_problem(frame)))
        return handler(frame)

    def on_hello(self, frame: dict) -> None:
        if self.conn is not None:
            return self.send(error_frame("already_authenticated", "hello was already accepted"))
        try:
            hello = _hello.load(frame)
        except ValidationError as err:
            message = f"hello is not valid: {describe_errors(err.messages)}"
            raise CloseError("bad_hello", message, errors=err.messages) from None
        ident = authenticate(self.r, hello["token"])
        if ident is None:
            raise CloseError("bad_token", "the device token is unknown or revoked")
        self.token_hash = token_hash(hello["token"])
        pipe = self.r.pipeline()
        pipe.hset(keys.KEY_SIGNALS, ident.device, json.dumps(hello["signals"]))
        if hello["dropped"]:
            pipe.hincrby(keys.KEY_CLIENT_DROPS, ident.device, hello["dropped"])
            log.warning(
                "device %s dropped %d event(s) from a full outbox", ident.device, hello["dropped"]
            )
        pipe.execute()
        conn = Connection(self.ws, ident)
        # Register before reading the state for welcome, so a pause published in between is not
        # missed; hold the send lock so such a pause frame can only follow the welcome.
        with conn.lock:
            self.services.registry.add(conn)
            try:
                welcome, active = welcome_frame(self.r, ident)
                conn.told_pause = active["pause_id"] if active else None
                self.ws.send(json.dumps(welcome))
            except BaseException:
                # No welcome (the client closed right after its hello, Redis failed): the
                # socket was never connected, so it must not stay registered as a device.
                self.services.registry.remove(conn)
                raise
        self.conn = conn
        log.info("device %s connected as %s", ident.device, conn.id)

    def on_events(self, frame: dict, strings_checked: bool = False) -> None:
        started = time.perf_counter()
        try:
            envelope = _events_fast(frame)
            if envelope is None:
                envelope = _events.load(frame)
        except ValidationError as err:
            seq = echoed_seq(frame)
            code = (
                "too_many_events"
                if "events" in err.messages and isinstance(frame.get("events"), list)
                else "bad_frame"
            )
            metrics.frame_refused(code, frame.get("events"))
            return self.send(
                error_frame(code, "the events frame is not valid", seq=seq, errors=err.messages)
            )
        policy = self.services.current_policy()
        try:
            ack = self.services.intake.accept(
                self.conn.ident,
                envelope["seq"],
                envelope["events"],
                policy["allowed_origins"],
                token_hash=self.token_hash,
                policy_version=policy.get("version"),
                strings_checked=strings_checked,
            )
        except RevokedError:
            raise CloseError("revoked", "this device's token was revoked") from None
        except redis.RedisError as err:
            log.warning("frame seq=%s not queued: Redis %s", envelope["seq"], type(err).__name__)
            return self.send(
                error_frame("unavailable", "not stored; send again later", seq=envelope["seq"])
            )
        self.send(ack)
        if ack["accepted"] and policy.get("version"):
            self.services.arrivals.note(policy["version"], now_ms())
        metrics.frame_acked(ack, started)

    def on_pause_applied(self, frame: dict) -> None:
        try:
            applied = _applied.load(frame)
        except ValidationError as err:
            return self.send(
                error_frame("bad_frame", "pause_applied is not valid", errors=err.messages)
            )
        ident = self.conn.ident
        # Recorded in one batch with the other sockets' answers (backend/acks.py); a recorded
        # ack gets no answer.
        outcome, record = self.services.acks.record(
            applied["pause_id"], ident.device, ident.employee, ident.team
        )
        if outcome != pauses.ACK_RECORDED:
            return self.send(error_frame(*ACK_REFUSED[outcome]))
        metrics.pause_acked(record)


@sock.route("/ws", bp=bp)
def ws_endpoint(ws):
    """Serve one extension connection."""
    services = current_app.extensions["overt.services"]
    allowed = current_app.config["OVERT_SETTINGS"].allowed_origins
    origin = (request.headers.get("Origin") or "").rstrip("/")
    try:
        if allowed and origin not in allowed:
            ws.send(json.dumps(error_frame("origin_not_allowed", "this origin may not connect")))
            ws.close(reason=CLOSE_POLICY, message="origin_not_allowed")
        else:
            Session(ws, services).run()
    except ConnectionClosed:
        # The reader saw the end (the client's close, a refused message, a hang-up) and may still
        # be sending its last frame, a close: cutting the connection now could lose it.
        ws.thread.join(READER_GRACE)
    # Every close frame is sent: end the TCP connection now, not when the client hangs up
    # (backend/ws_reader.py).
    end_connection(ws)
