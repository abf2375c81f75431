"""Profile the per-event path of `/ws` without the transport: what one events frame costs.

    .venv/bin/python bench/profile_path.py [--frames 2000] [--frame-size 50] [--top 25]

On a private redis-server, for `--frames` 50-event frames (the benchmark's events), runs what
`backend.ingest.Session.on_events` runs: the frame's JSON parse, the envelope schema,
`Intake.accept` (validation, duplicate and origin checks, entry encoding, the Lua call) and the
ack's JSON, under cProfile; prints µs per event and the functions that cost the most.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time

from _common import CATEGORIES, WORK_ORIGIN, Lab, make_event

from backend.core import keys
from backend.core.employees import enroll
from backend.core.fastpath import compile_schema
from backend.core.intake import Intake
from backend.schemas import EventsFrameSchema


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--frame-size", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    with Lab() as lab:
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
                raw = json.loads(text)
                frame = fast_envelope(raw) or schema.load(raw)
                ack = intake.accept(ident, frame["seq"], frame["events"], origins)
                json.dumps(ack)
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
        stats.sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
        r.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
