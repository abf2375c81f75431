"""Accept an `events` frame: validate each event, queue the accepted ones, build the ack.

Flask-free so the benchmark and the tests can drive it directly.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import redis

from . import keys
from .clock import now_ms
from .employees import Identity
from .events import EventRejected, validate_event
from .origins import normal_origin, origin_of
from .records import queued_encoder
from .vocabulary import CATEGORY_OF

log = logging.getLogger(__name__)

# One round trip per frame, atomic with revocation, pause and consent changes: refuse everything
# from a revoked token, refuse everything while the employee's scope is paused, refuse events of
# categories not granted, push the rest with one multi-value LPUSH, and say whether a drain job
# needs enqueuing. When every category of the frame is granted (the usual case) the entries are
# pushed straight from ARGV: no per-event work in Lua.
# ARGV: the three pause fields covering the employee (keys.pause_fields), the token's hash ('' skips
# the revocation check), the number K of the frame's distinct categories, those K categories, one
# byte per entry naming its category (64 + its 1-based position among the K), then the entries.
ACCEPT_LUA = """
if ARGV[4] ~= '' and redis.call('HEXISTS', KEYS[5], ARGV[4]) == 0 then return {'revoked'} end
local paused = redis.call('HMGET', KEYS[1], ARGV[1], ARGV[2], ARGV[3])
for i = 1, 3 do
  if paused[i] then return {'paused', paused[i]} end
end
local ncat = tonumber(ARGV[5])
local granted = redis.call('HMGET', KEYS[2], unpack(ARGV, 6, 5 + ncat))
local which, first = ARGV[6 + ncat], 7 + ncat
local all = true
for c = 1, ncat do
  if not granted[c] then all = false end
end
local refused, pushed = {'ok', 0}, 0
if all then
  pushed = #ARGV - first + 1
  if pushed > 0 then redis.call('LPUSH', KEYS[3], unpack(ARGV, first)) end
else
  local accepted = {}
  for i = first, #ARGV do
    if granted[string.byte(which, i - first + 1) - 64] then
      accepted[#accepted + 1] = ARGV[i]
    else
      refused[#refused + 1] = i - first
    end
  end
  pushed = #accepted
  if pushed > 0 then redis.call('LPUSH', KEYS[3], unpack(accepted)) end
end
if pushed > 0 and redis.call('SET', KEYS[4], '1', 'NX', 'EX', 30) then refused[2] = 1 end
return refused
"""
CATEGORY_BYTE = 64  # an entry's category byte: 64 + the category's 1-based position


def origin_matcher(allowed_origins) -> Callable[[str], bool]:
    """Return a check that a URL's origin is one of `allowed_origins` (as `origin_of` decides,
    a default port being no port on either side).

    A URL that starts with an allowed origin followed by "/", "?", "#" or nothing has that origin
    (for origins that `origin_of` gives back unchanged); anything else goes through `urlsplit`.
    """
    allowed = frozenset(map(normal_origin, allowed_origins))
    plain = tuple(o for o in allowed if origin_of(o) == o)

    def matches(url: str) -> bool:
        for origin in plain:
            if url.startswith(origin) and url[len(origin) : len(origin) + 1] in ("", "/", "?", "#"):
                return True
        return origin_of(url) in allowed

    return matches


# One matcher per policy's origins, not one per frame (a policy has few distinct versions).
_matcher = functools.lru_cache(maxsize=16)(origin_matcher)


class RevokedError(Exception):
    """The device's token was revoked: its frames are refused from then on."""


class Intake:
    """Queues validated events for one Redis; one instance per process."""

    def __init__(self, r: redis.Redis, enqueue_drain):
        self.r = r
        self.script = r.register_script(ACCEPT_LUA)
        self.enqueue_drain = enqueue_drain

    def accept(
        self,
        ident: Identity,
        seq: int,
        events: list,
        allowed_origins,
        token_hash: str = "",
        policy_version: str | None = None,
        strings_checked: bool = False,
    ) -> dict:
        """Validate and queue `events`; return the `ack` frame (sent only after Redis has them).

        With `token_hash`, raise RevokedError (nothing queued) once that token is revoked. Each
        queued entry keeps the policy version it was accepted under. `strings_checked`: the
        frame's text holds no lone surrogate (`frames.may_hold_lone_surrogate`).
        """
        received = now_ms()
        rejected: list[dict] = []
        positions: list[int] = []
        categories: dict[str, int] = {}  # the frame's categories, each with its byte
        which = bytearray()
        entries: list[bytes] = []
        seen: set[str] = set()
        allowed = _matcher(tuple(allowed_origins))
        encode = queued_encoder(ident.employee, ident.team, ident.device, received, policy_version)
        for index, raw in enumerate(events):
            try:
                event = validate_event(raw, received, strings_checked)
                if event["id"] in seen:
                    raise EventRejected("duplicate", {"id": ["repeated within the frame"]})
                if not allowed(event["url"]):
                    raise EventRejected("origin_not_allowed", {"url": ["not a work app origin"]})
            except EventRejected as err:
                rejected.append({"index": index, "code": err.code, "errors": err.errors})
                continue
            seen.add(event["id"])
            category = CATEGORY_OF[event["type"]]
            byte = categories.get(category)
            if byte is None:
                byte = categories[category] = CATEGORY_BYTE + len(categories) + 1
            which.append(byte)
            entries.append(encode(category, event))
            positions.append(index)
        accepted = 0
        if positions:
            keys_ = [
                keys.KEY_PAUSES_ACTIVE,
                keys.key(keys.KEY_CONSENT, employee=ident.employee),
                keys.KEY_INCOMING,
                keys.KEY_DRAIN_PENDING,
                keys.KEY_TOKENS,
            ]
            pause_fields = keys.pause_fields(ident.employee, ident.team)
            argv = [*pause_fields, token_hash, len(categories), *categories, bytes(which)]
            result = self.script(keys=keys_, args=argv + entries)
            status = result[0].decode()
            if status == "revoked":
                raise RevokedError(ident.device)
            if status == "paused":
                pause_id = result[1].decode()
                for index in positions:
                    rejected.append(
                        {"index": index, "code": "paused", "errors": {"pause_id": [pause_id]}}
                    )
            else:
                refused = {positions[int(i)] for i in result[2:]}
                for index in sorted(refused):
                    rejected.append(
                        {"index": index, "code": "no_consent", "errors": {"type": ["not granted"]}}
                    )
                accepted = len(positions) - len(refused)
                if result[1] == 1:
                    self.enqueue_drain()
        rejected.sort(key=lambda item: item["index"])
        if rejected:
            log.info(
                "frame seq=%s device=%s: %d accepted, %d rejected (%s)",
                seq,
                ident.device,
                accepted,
                len(rejected),
                ",".join(sorted({x["code"] for x in rejected})),
            )
        return {"type": "ack", "seq": seq, "accepted": accepted, "rejected": rejected}
