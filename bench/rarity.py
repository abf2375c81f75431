"""The rarity gate's cost: Redis memory for 1,000,000 distinct words, and worker throughput.

1. Memory: INFO `used_memory` before and after counting `--words` distinct words, each produced by
   `--contributors` people (2 by default: the most a word can hold at k=3 without becoming
   common), in batches the size of a staging take's words, one Lua call each.
2. Throughput (after one unmeasured run that warms the counter, as in a running deployment):
   the same queued events (`--events`, from `--employees` people, labels, titles and
   URL paths drawn from a UI vocabulary plus one-off words) staged and sealed by the real worker
   code, with the gate and without it (its two calls replaced by no-ops), alternating take by
   take and batch by batch, for `--rounds` rounds; prints events/s of each and the ratio
   (target: staging with the gate ≤ 20% slower).

Starts its own redis-server (bench/_common.py's Lab) and stops it at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Lab

from backend.core import keys, rarity
from backend.core.consent import set_consent
from backend.core.employees import enroll
from backend.core.policy import get_policy, put_policy
from backend.core.vocabulary import CATEGORIES
from workers import batches, stage

SECRET = "bench-secret"
MiB = 1024 * 1024
ORIGIN = "https://app.example.com"
VOCABULARY = [
    "save",
    "cancel",
    "open",
    "close",
    "edit",
    "delete",
    "archive",
    "export",
    "import",
    "search",
    "filter",
    "sort",
    "new",
    "add",
    "remove",
    "tickets",
    "reports",
    "settings",
    "profile",
    "inbox",
    "contacts",
    "leads",
    "deals",
    "tasks",
    "calendar",
    "dashboard",
    "home",
    "help",
    "next",
    "previous",
    "back",
    "submit",
    "apply",
    "reset",
    "view",
    "details",
    "history",
    "comments",
    "assign",
    "status",
    "priority",
    "owner",
    "due",
    "date",
    "team",
    "project",
    "board",
    "list",
    "grid",
    "table",
    "name",
    "email",
    "phone",
    "company",
    "notes",
    "acme",
    "crm",
    "portal",
    "admin",
    "users",
    "roles",
    "billing",
    "invoices",
    "orders",
    "products",
    "customers",
    "support",
]


def measure_memory(r, n_words: int, contributors: int, chunk: int, k: int = 3) -> dict:
    """Count `n_words` distinct words for `contributors` people each; return the memory used."""
    r.flushdb()
    key = rarity.hash_key(SECRET)
    fps = [rarity.fingerprint(key, f"p_bench{i}") for i in range(contributors)]
    before = r.info("memory")["used_memory"]
    started = time.perf_counter()
    for start in range(0, n_words, chunk):
        words = [rarity.word_hash(key, f"w{i}") for i in range(start, min(start + chunk, n_words))]
        rarity.count_pairs(r, [(w, fp) for w in words for fp in fps], k)
    seconds = time.perf_counter() - started
    used = r.info("memory")["used_memory"] - before
    buckets = [k for k in r.scan_iter(keys.PREFIX + "rare:????", count=10_000)]
    sample = random.Random(1).sample(buckets, min(200, len(buckets)))
    encodings = {r.object("encoding", b).decode() for b in sample}
    sizes = [r.hlen(b) for b in sample]
    return {
        "words": n_words,
        "contributors_per_word": contributors,
        "used_bytes": used,
        "bytes_per_word": used / n_words,
        "buckets": len(buckets),
        "fields_per_bucket_sample_max": max(sizes),
        "encodings": sorted(encodings),
        "count_seconds": seconds,
        "word_contributor_pairs_per_s": n_words * contributors / seconds,
    }


def make_events(n: int, employees: int, content: float, seed: int) -> list[tuple[str, dict]]:
    """Return (employee, event) pairs from an internal app's screens, buttons and routes.

    150 button labels, 40 page titles and 60 routes made of UI words; a share `content` of events
    also shows a one-off word (a record's name) in its label or title, and as many open a record
    by its id (`/tickets/48213`): the words the gate exists to mask.
    """
    rnd = random.Random(seed)
    now = int(time.time() * 1000)

    def phrase(lo: int, hi: int) -> str:
        return " ".join(rnd.choice(VOCABULARY) for _ in range(rnd.randint(lo, hi))).capitalize()

    labels = [phrase(1, 3) for _ in range(150)]
    titles = [f"{phrase(1, 3)} \N{EN DASH} Acme CRM" for _ in range(40)]
    routes = ["/".join(phrase(1, 1).lower() for _ in range(rnd.randint(1, 2))) for _ in range(60)]
    out = []
    for i in range(n):
        path, title, label = rnd.choice(routes), rnd.choice(titles), rnd.choice(labels)
        if rnd.random() < content:
            path += f"/{rnd.randint(1, 99_999)}"
            if rnd.random() < 0.5:
                title = f"Jo{rnd.getrandbits(32):x} \N{EN DASH} {title}"
            else:
                label = f"{label} Jo{rnd.getrandbits(32):x}"
        event = {
            "id": str(uuid.uuid4()),
            "type": rnd.choice(("click", "click", "click", "page_view")),
            "ts": now,
            "url": f"{ORIGIN}/{path}",
            "title": title,
        }
        if event["type"] == "click":
            event["target"] = {"selector": f"#b{i % 50}", "tag": "button", "label": label}
        else:
            event["referrer"] = f"{ORIGIN}/{rnd.choice(routes)}"
        out.append((f"emp{rnd.randrange(employees)}", event))
    return out


def is_counter(key: bytes) -> bool:
    """Return whether `key` belongs to the rarity gate's counter."""
    return key.startswith((b"overt:rare:", b"overt:rarity:"))


def prepare(r, events: list[tuple[str, dict]], employees: int) -> None:
    """Empty Redis but the word counter, set the policy, enroll and consent everyone, queue
    `events` as backends do."""
    doomed = [k for k in r.scan_iter(keys.PREFIX + "*", count=1000) if not is_counter(k)]
    for i in range(0, len(doomed), 1000):
        r.delete(*doomed[i : i + 1000])
    policy, _ = put_policy(
        r,
        {
            "categories": list(CATEGORIES),
            "purpose": "bench",
            "retention_days": 30,
            "allowed_origins": [ORIGIN],
        },
    )
    policy = get_policy(r)
    for i in range(employees):
        enroll(r, f"emp{i}", "bench")
        set_consent(r, f"emp{i}", {"clicks": True, "navigation": True}, policy, "dev_bench")
    time.sleep(0.002)  # every event is after the consent given just now
    received = int(time.time() * 1000)
    category = {"click": "clicks", "page_view": "navigation"}
    entries = [
        json.dumps(
            {
                "e": e,
                "t": "bench",
                "d": "dev_bench",
                "c": category[ev["type"]],
                "r": received,
                "ev": {**ev, "ts": received},
            }
        )
        for e, ev in events
    ]
    for i in range(0, len(entries), 1000):
        r.lpush(keys.KEY_INCOMING, *entries[i : i + 1000])


class GateOff:
    """Within this block, staging and sealing run without the rarity gate's two calls."""

    def __enter__(self):
        self.count, self.mask = rarity.count_records, batches.mask_rare_words
        rarity.count_records = lambda *a, **kw: 0

        def no_mask(r, batch_id, meta, records, secret):
            meta["rarity"] = {"k": 0, "common": []}
            return records, 0

        batches.mask_rare_words = no_mask
        return self

    def __exit__(self, *exc):
        rarity.count_records, batches.mask_rare_words = self.count, self.mask


def cpu_now(r) -> float:
    """Return CPU seconds used so far by this process (the worker) and by redis-server."""
    info = r.info("cpu")
    return time.process_time() + info["used_cpu_user"] + info["used_cpu_sys"]


def timed(r, fn):
    """Return fn()'s result, and the wall and CPU seconds it took."""
    wall, cpu = time.perf_counter(), cpu_now(r)
    result = fn()
    return result, time.perf_counter() - wall, cpu_now(r) - cpu


def gate_mode(mode: str):
    """Return a context in which the worker code runs with the gate or without it."""
    return GateOff() if mode == "no_gate" else contextlib.nullcontext()


def run_interleaved(r, datasets: Path, totals: dict) -> None:
    """Stage, then seal, what is queued, alternating gate and no gate per take and per batch.

    Alternating at this grain puts both modes under the same load from the rest of the machine.
    """
    modes = itertools.cycle(("gate", "no_gate"))
    while True:
        mode = next(modes)
        with gate_mode(mode):
            n, wall, cpu = timed(r, lambda: stage.stage_once(r, SECRET))
        if not n:
            break
        add(totals[mode]["stage"], n, wall, cpu)
    # What the ungated takes staged is counted now, unmeasured, as the gate would have.
    staged = [json.loads(x)["rec"] for x in r.lrange(keys.KEY_STAGING, 0, -1)]
    rarity.count_records(r, SECRET, staged, 3)
    while r.llen(keys.KEY_STAGING):
        mode = next(modes)
        with gate_mode(mode):
            batch_id = batches.take_batch(r, 1000)
            n = r.llen(keys.key(keys.KEY_SEALING, batch=batch_id))
            _, wall, cpu = timed(r, lambda b=batch_id: batches.write_batch(r, datasets, b, SECRET))
        add(totals[mode]["seal"], n, wall, cpu)


def add(total: dict, events: int, wall: float, cpu: float) -> None:
    """Add one take's or batch's figures to a running total."""
    total["events"] += events
    total["wall"] += wall
    total["cpu"] += cpu


def measure_throughput(r, n: int, employees: int, rounds: int, content: float) -> dict:
    """Stage and seal `rounds` x `n` events, half of each with the gate; return events/s."""
    totals = {
        mode: {phase: {"events": 0, "wall": 0.0, "cpu": 0.0} for phase in ("stage", "seal")}
        for mode in ("gate", "no_gate")
    }
    # A deployment counts words all the time: the measured runs start from a counter that has
    # seen one earlier run (its UI words are common; each round's one-off words are new).
    r.flushdb()
    prepare(r, make_events(n, employees, content, seed=rounds), employees)
    with tempfile.TemporaryDirectory(prefix="overt-bench-rarity-") as tmp:
        batches.seal_due(r, Path(tmp), 1000, 60, force=True, secret=SECRET)
    masked = 0
    for round_ in range(rounds):
        prepare(r, make_events(n, employees, content, seed=round_), employees)
        with tempfile.TemporaryDirectory(prefix="overt-bench-rarity-") as tmp:
            run_interleaved(r, Path(tmp), totals)
            masked += sum(_masked_counts(Path(tmp)))
    out = {
        "events": n * rounds,
        "employees": employees,
        "rounds": rounds,
        "content_share": content,
        "rare_words_masked": masked,
    }
    for clock in ("wall", "cpu"):
        for mode, phases in totals.items():
            for phase, t in phases.items():
                out[f"{mode}_{phase}_{clock}_events_per_s"] = t["events"] / t[clock]
            seconds = sum(t[clock] / t["events"] for t in phases.values())
            out[f"{mode}_total_{clock}_events_per_s"] = 1 / seconds
        for phase in ("stage", "seal", "total"):
            name = f"{phase}_{clock}_events_per_s"
            out[f"{phase}_{clock}_slowdown"] = 1 - out[f"gate_{name}"] / out[f"no_gate_{name}"]
    return out


def _masked_counts(datasets: Path):
    for card in datasets.glob("*/*.card.json"):
        yield json.loads(card.read_text())["rare_words_masked"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--contributors", type=int, default=2)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--employees", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--content", type=float, default=0.3, help="share of events showing a one-off word"
    )
    parser.add_argument("--quick", action="store_true", help="100,000 words, 5,000 events, 1 round")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.quick:
        args.words, args.events, args.rounds = 100_000, 5_000, 1
    with Lab() as lab:
        r = lab.redis_client()
        memory = measure_memory(r, args.words, args.contributors, chunk=5_000)
        print(
            f"memory: {memory['words']:,} words x {memory['contributors_per_word']} contributors "
            f"= {memory['used_bytes'] / MiB:.1f} MiB ({memory['bytes_per_word']:.1f} B/word; "
            f"target <= 64 MiB), {memory['buckets']:,} buckets {memory['encodings']}, "
            f"largest sampled {memory['fields_per_bucket_sample_max']} fields; counted at "
            f"{memory['word_contributor_pairs_per_s']:,.0f} pairs/s"
        )
        speed = measure_throughput(r, args.events, args.employees, args.rounds, args.content)
        for clock, unit in (("cpu", "events per CPU-second"), ("wall", "events/s")):
            for phase in ("stage", "seal", "total"):
                name = f"{phase}_{clock}_events_per_s"
                print(
                    f"{phase:>5} ({clock}): gate {speed[f'gate_{name}']:,.0f}, "
                    f"no gate {speed[f'no_gate_{name}']:,.0f} {unit}; "
                    f"gate slower by {speed[f'{phase}_{clock}_slowdown']:.1%}"
                )
        print(
            f"{speed['events']:,} events from {speed['employees']} employees in "
            f"{speed['rounds']} round(s), takes and batches alternating gate / no gate; "
            f"{speed['content_share']:.0%} show a one-off word; "
            f"{speed['rare_words_masked']:,} words masked as [rare]; "
            f"target: staging <= 20% slower. CPU = this process + redis-server (least disturbed "
            f"by other work on the machine); load average {os.getloadavg()[0]:.1f}"
        )
        if args.json:
            args.json.write_text(json.dumps({"memory": memory, "throughput": speed}, indent=2))


if __name__ == "__main__":
    main()
