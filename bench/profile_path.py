"""Profile the per-event path of `/ws` without the transport: what one events frame costs.

    .venv/bin/python bench/profile_path.py [--frames 2000] [--frame-size 50] [--top 25]

On a private redis-server, for `--frames` 50-event frames (the benchmark's events), runs what
`backend.ingest.Session.handle` and `on_events` run: the frame's JSON parse and depth check, the
surrogate check of its text, the envelope schema, `Intake.accept` (validation, duplicate and
origin checks, entry encoding, the Lua call), the ack's JSON and the metrics, under cProfile;
prints µs per event and the functions that cost the most.

`--redis`: CPU of one Redis command (an LPUSH through `backend.core.db.connect`'s pool) in a
gevent-patched process, as a gunicorn gevent worker runs it, with redis-py's pool check as is
and with `backend/redis_poll.py` installed, alternating; an events frame costs one command.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path

from _common import CATEGORIES, WORK_ORIGIN, Lab, make_event

from backend import metrics
from backend.core import keys
from backend.core.employees import enroll
from backend.core.fastpath import compile_schema
from backend.core.frames import may_hold_lone_surrogate, parse_json
from backend.core.intake import Intake
from backend.schemas import EventsFrameSchema


def redis_command_cost(url: str, rounds: int = 4, n: int = 5000) -> None:
    """In this (gevent-patched) process: print µs of CPU per LPUSH without and with redis_poll."""
    from redis._parsers import hiredis

    from backend import redis_poll
    from backend.core.db import connect

    r = connect(url)
    as_is = hiredis._socket_can_read
    redis_poll.install()
    patched = hiredis._socket_can_read
    figures: dict[str, list[float]] = {"as is": [], "redis_poll": []}
    for _ in range(rounds):
        for name, check in (("as is", as_is), ("redis_poll", patched)):
            hiredis._socket_can_read = check
            cpu0 = time.process_time()
            for _ in range(n):
                r.lpush("bench:profile:redis", "x")
            figures[name].append((time.process_time() - cpu0) / n * 1e6)
    r.delete("bench:profile:redis")
    for name, values in figures.items():
        print(
            f"gevent worker, one Redis command, {name:10}: {min(values):6.1f} µs CPU (best of "
            f"{rounds}; all: {', '.join(f'{v:.0f}' for v in values)})"
        )


# Parts of the path, by the functions that do them (file name fragment, function name); a part's
# cumulative time includes what it calls. Functions of the older code are listed too, so the same
# table reads before and after a change.
PARTS = [
    ("frame: JSON parse (depth check included)", "frames.py", "parse_json"),
    ("  of which the depth check", "frames.py", "_depth_exceeds"),
    ("frame: surrogate search of its text", "frames.py", "may_hold_lone_surrogate"),
    ("surrogate walk (find_bad_string)", "frames.py", "find_bad_string"),
    ("validate_event (all of it)", "events.py", "validate_event"),
    ("  the compiled checks", "fastpath", "check"),
    ("  of which the episode check", "events.py", "_episode_whole"),
    ("  of which UUID parsing", "uuid.py", "__init__"),
    ("  of which UUID parsing", "fastpath.py", "_uuid_of"),
    ("  _to_wire", "events.py", "_to_wire"),
    ("entry encoding", "records.py", "encode"),
    ("origin check", "intake.py", "matches"),
    ("the Lua call (redis-py, waiting on Redis)", "redis/commands/core.py", "__call__"),
    ("metrics", "metrics.py", "frame_received"),
    ("metrics", "metrics.py", "frame_acked"),
    ("Intake.accept (all of it)", "intake.py", "accept"),
]


def print_parts(stats: pstats.Stats, per_event_us: float) -> None:
    """Print µs per event of each part: its share of the profile times the unprofiled cost."""
    entries = stats.stats  # (file, line, name) -> (calls, primitive calls, own, cumulative, ...)
    total = max(ct for *_, ct, _ in entries.values())
    parts: dict[str, float] = {}
    for label, fragment, name in PARTS:
        cum = sum(
            ct
            for (file, _, func), (_, _, _, ct, _) in entries.items()
            if fragment in file and func == name
        )
        parts[label] = parts.get(label, 0.0) + cum
    print(f"{'part':44} {'µs/event':>8} {'share':>6}")
    for label, cum in parts.items():
        if cum:
            share = cum / total
            print(f"{label:44} {share * per_event_us:8.1f} {share:6.1%}")
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--frame-size", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--redis", action="store_true", help="CPU per Redis command under gevent")
    parser.add_argument("--redis-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.redis_child:
        redis_command_cost(args.redis_child)
        return 0
    with Lab() as lab:
        if args.redis:
            # gevent must patch before redis or socket are imported: a fresh interpreter.
            code = (
                "from gevent import monkey; monkey.patch_all(); import sys; "
                f"sys.argv = {[__file__, '--redis-child', lab.redis.url]!r}; "
                f"sys.path[:0] = {[str(Path(__file__).parent)]!r}; "
                "import profile_path; sys.exit(profile_path.main(sys.argv[1:]))"
            )
            return subprocess.run([sys.executable, "-c", code], env=lab.env).returncode
        r = lab.redis_client()
        _, ident = enroll(r, "prof", "bench")
        r.hset(
            keys.key(keys.KEY_CONSENT, employee=ident.employee),
            mapping=dict.fromkeys(CATEGORIES, 1),
        )
        intake = Intake(r, lambda: None)
        schema = EventsFrameSchema()
        fast_envelope = compile_schema(schema)  # as backend/ingest.py does
        now = int(time.time() * 1000)
        n = args.frame_size
        texts = [
            json.dumps(
                {
                    "type": "events",
                    "seq": f,
                    "events": [make_event(f * n + i, now) for i in range(n)],
                }
            )
            for f in range(args.frames)
        ]
        origins = (WORK_ORIGIN,)

        def run() -> None:
            for text in texts:
                started = time.perf_counter()
                raw = parse_json(text)
                strings_checked = not may_hold_lone_surrogate(text)
                metrics.frame_received(raw["type"])
                frame = fast_envelope(raw) or schema.load(raw)
                ack = intake.accept(
                    ident, frame["seq"], frame["events"], origins, strings_checked=strings_checked
                )
                json.dumps(ack)
                metrics.frame_acked(ack, started)
                assert ack["accepted"] == n, ack

        t0 = time.process_time()
        run()
        plain = time.process_time() - t0
        r.delete(keys.KEY_INCOMING)
        prof = cProfile.Profile()
        prof.enable()
        run()
        prof.disable()
        events = args.frames * n
        print(
            f"{events:,} events in {args.frames:,} frames: {plain / events * 1e6:.1f} µs CPU per "
            f"event without the profiler ({events / plain:,.0f} events per CPU-second)\n"
        )
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        print_parts(stats, plain / events * 1e6)
        stats.sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
        r.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
