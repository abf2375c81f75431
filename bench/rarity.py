"""The rarity gate's cost: Redis memory for 1,000,000 distinct words, and worker throughput.

1. Memory: INFO `used_memory` before and after counting `--words` distinct words, each produced by
   `--contributors` people (2 by default: the most a word can hold at k=3 without becoming
   common), in batches the size of a staging take's words, one Lua call each.
2. Throughput: the same queued events (`--events`, from `--employees` people, labels, titles and
   URL paths drawn from a UI vocabulary plus one-off words) staged and sealed by the real worker
   code, with the gate and without it (its two calls replaced by no-ops), alternating for
   `--rounds` rounds; prints events/s of each and the ratio (target: gated ≤ 20% slower).

Starts its own redis-server (bench/_common.py's Lab) and stops it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
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


def prepare(r, events: list[tuple[str, dict]], employees: int) -> None:
    """Empty Redis, set the policy, enroll and consent everyone, queue `events` as backends do."""
    r.flushdb()
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


def run_pipeline(r, datasets: Path, n: int) -> dict:
    """Stage and seal everything queued; return the wall and CPU seconds of each phase."""
    wall, cpu = [time.perf_counter()], [cpu_now(r)]
    while stage.stage_once(r, SECRET):
        pass
    wall.append(time.perf_counter())
    cpu.append(cpu_now(r))
    sealed = batches.seal_due(r, datasets, 1000, 60, force=True, secret=SECRET)
    wall.append(time.perf_counter())
    cpu.append(cpu_now(r))
    assert r.llen(keys.KEY_STAGING) == 0 and len(sealed) == -(-n // 1000), r.hgetall(keys.KEY_DROPS)
    return {
        "stage_wall": wall[1] - wall[0],
        "seal_wall": wall[2] - wall[1],
        "stage_cpu": cpu[1] - cpu[0],
        "seal_cpu": cpu[2] - cpu[1],
    }


def measure_throughput(r, n: int, employees: int, rounds: int, content: float) -> dict:
    """Alternate ungated and gated runs over the same events; return the medians of each."""
    results: dict[str, list[dict]] = {"gate": [], "no_gate": []}
    masked = []
    for round_ in range(rounds):
        events = make_events(n, employees, content, seed=round_)  # new one-off words each round
        for mode in ("no_gate", "gate"):
            prepare(r, events, employees)
            with tempfile.TemporaryDirectory(prefix="overt-bench-rarity-") as tmp:
                if mode == "gate":
                    results[mode].append(run_pipeline(r, Path(tmp), n))
                    masked.append(sum(_masked_counts(Path(tmp))))
                else:
                    with GateOff():
                        results[mode].append(run_pipeline(r, Path(tmp), n))
    out = {
        "events": n,
        "employees": employees,
        "rounds": rounds,
        "content_share": content,
        "rare_words_masked": masked[0],
    }
    for mode, runs in results.items():
        for clock in ("wall", "cpu"):
            for phase in ("stage", "seal"):
                median = statistics.median(x[f"{phase}_{clock}"] for x in runs)
                out[f"{mode}_{phase}_{clock}_events_per_s"] = n / median
            total = statistics.median(x[f"stage_{clock}"] + x[f"seal_{clock}"] for x in runs)
            out[f"{mode}_total_{clock}_events_per_s"] = n / total
    for clock in ("wall", "cpu"):
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
            f"{speed['events']:,} events from {speed['employees']} employees, median of "
            f"{speed['rounds']} round(s), {speed['content_share']:.0%} showing a one-off word; "
            f"{speed['rare_words_masked']:,} words masked as [rare] (first round); "
            f"target: staging <= 20% slower. CPU = this process + redis-server (least disturbed "
            f"by other work on the machine); load average {os.getloadavg()[0]:.1f}"
        )
        if args.json:
            args.json.write_text(json.dumps({"memory": memory, "throughput": speed}, indent=2))


if __name__ == "__main__":
    main()
