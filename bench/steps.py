"""The steps export's peak memory and time: every record at once against a few sessions at a time.

    .venv/bin/python bench/steps.py [--records 200000] [--elements 24] [--keep]

Builds a dataset of `--records` records in shards of 1,000 as the workers seal them (each shard
a window of arrival time, ordered by contributor, session, tab and step): 40 contributors, each
browsing in sessions of 1 to 3 tabs, a page view then an observation (`--elements` elements on
average, 4 to twice that) then actions on the page, a new observation before an action now and
then, one stretch in eight inside a task. Then, each in a subprocess of its own, one after the
other:

- `all`: what `overt datasets export --format steps` did before it was bounded: every record of
  every shard read as dicts (`read_shard`), `build_episodes` over them, then the lines written;
- `bounded`: `backend.core.steps.export_steps` as it is.

Printed: wall and CPU seconds, peak resident memory (`VmHWM`) and that peak less the
process's memory after its imports, and whether both wrote the same bytes. Figures, never
assertions: the machine may be shared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backend.core.datasets import encode_shard  # noqa: E402

CONTRIBUTORS = 40
SHARD = 1000
ORIGIN = "https://crm.example.com"


def page_elements(rng: random.Random, mean: int, page: int) -> list[dict]:
    count = rng.randint(4, max(4, 2 * mean))
    return [
        {
            "bid": f"b{j}",
            "role": rng.choice(["button", "link", "textbox", "combobox", "checkbox"]),
            "tag": rng.choice(["button", "a", "input", "select"]),
            "label": f"Field {j} of page {page}",
            "state": {"checked": j % 5 == 0, "selected": False, "expanded": False},
            "box": [8 * (j % 40), 8 * (j // 40) * 5, 96, 32],
        }
        for j in range(1, count + 1)
    ]


class Contributor:
    """Makes one contributor's records, in the order they were made."""

    def __init__(self, rng: random.Random, who: int, mean: int, t0: int):
        self.rng, self.who, self.mean = rng, who, mean
        self.contributor = f"p_{who:024x}"
        self.out: list[dict] = []
        self.ts = t0 + rng.randrange(60_000)
        self.session = self.tab = self.task = None
        self.page, self.visit = 0, ""
        self.steps: dict[str, int] = {}

    def add(self, kind: str, **extra) -> None:
        self.ts += self.rng.randint(200, 4000)
        record = {
            "id": f"{self.contributor}-{len(self.out)}",
            "type": kind,
            "category": "x",
            "ts": self.ts,
            "url": f"{ORIGIN}/page/{self.page}",
            "title": f"Page {self.page}",
            "contributor": self.contributor,
            "policy_version": "0123456789ab",
            "session": self.session,
            **extra,
        }
        if self.task:
            record["task"] = self.task
        if kind not in ("task_start", "task_end"):
            record.update(tab=self.tab, page=self.visit, step=self.steps[self.tab])
            self.steps[self.tab] += 1
        self.out.append(record)

    def records(self, n: int) -> list[dict]:
        rng, sessions = self.rng, 0
        while len(self.out) < n:
            sessions += 1
            self.session = f"s_{self.who:04d}{sessions:06d}"
            tabs = [f"t_{self.who:04d}{sessions:04d}{t}" for t in range(rng.randint(1, 3))]
            self.steps = dict.fromkeys(tabs, 0)
            for _ in range(rng.randint(5, 40)):  # stretches of work in one tab
                self.tab = rng.choice(tabs)
                self.task = f"k_{self.who:04d}{len(self.out):08d}" if rng.random() < 1 / 8 else None
                if self.task:
                    self.add("task_start", goal=f"Update account {rng.randrange(1000)}")
                for _ in range(rng.randint(1, 4)):
                    self.page_visit()
                if self.task:
                    self.add("task_end", outcome=rng.choice(["done", "abandoned"]))
                self.task = None
                self.ts += rng.randint(1000, 60_000)
            self.ts += rng.randint(3_600_000, 20 * 3_600_000)  # the next browser start
        return self.out[:n]

    def page_visit(self) -> None:
        """A page view, its observation, then actions (now and then a new observation first)."""
        rng = self.rng
        self.page, self.visit = rng.randrange(500), f"g_{self.who}_{len(self.out)}"
        self.add("page_view", referrer=f"{ORIGIN}/")
        self.add("observation", elements=page_elements(rng, self.mean, self.page))
        for _ in range(rng.randint(2, 12)):
            if rng.random() < 0.25:
                self.add("observation", elements=page_elements(rng, self.mean, self.page))
            target = {"selector": "#x", "tag": "button", "bid": f"b{rng.randint(1, 4)}"}
            kind = rng.choice(["click", "click", "change", "key", "input_activity"])
            if kind == "click":
                self.add("click", target=target)
            elif kind == "change":
                self.add("change", target=target, value="Customer")
            elif kind == "key":
                self.add("key", key="Enter", mods=[])
            else:
                self.add("input_activity", target=target, count=rng.randint(1, 30))
            if rng.random() < 0.2:
                self.add("scroll", depth=50, y=rng.randrange(0, 4000, 100))


def build_dataset(root: Path, records: int, mean: int) -> int:
    """Write the shards of `records` records under `root/data`; return the shard count."""
    rng = random.Random(7)
    t0 = 1_790_000_000_000
    every = []
    for who in range(CONTRIBUTORS):
        every += Contributor(rng, who, mean, t0).records(records // CONTRIBUTORS)
    every.sort(key=lambda r: r["ts"])  # arrival order: sealed in windows of time
    shards = 0
    for i in range(0, len(every), SHARD):
        batch = every[i : i + SHARD]
        batch.sort(
            key=lambda r: (r["contributor"], r["session"], r.get("tab", ""), r.get("step", -1))
        )
        path = root / "data" / f"2026-01-{1 + shards // 100:02d}" / f"b{shards:06d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_shard(batch))
        shards += 1
    return shards


def run_all(datasets: Path, out: Path) -> tuple[int, int]:
    """The export before it was bounded: every record as a dict, then every episode."""
    from backend.core.dataset_storage import open_storage
    from backend.core.datasets import SHARD_GLOB, read_shard
    from backend.core.steps import STEPS, build_episodes, episode_line

    storage = open_storage(datasets)
    records: list[dict] = []
    for shard in storage.glob(SHARD_GLOB):
        records.extend(read_shard(shard, storage))
    episodes = build_episodes(records)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / STEPS, "wb") as fh:
        fh.writelines(episode_line(e) for e in episodes)
    return len(episodes), sum(len(e["steps"]) for e in episodes)


def run_bounded(datasets: Path, out: Path, weight: int | None = None) -> tuple[int, int]:
    from backend.core.steps import export_steps

    _, episodes, steps = export_steps(datasets, out, weight)
    return episodes, steps


def child(mode: str, datasets: Path, out: Path) -> None:
    """Run one export in this process; print its figures as JSON."""
    import backend.core.steps  # noqa: F401  (imports counted in the baseline)

    base = memory_kb("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "all":
        episodes, steps = run_all(datasets, out)
    else:  # "bounded", or "bounded:WEIGHT" for another GROUP_WEIGHT
        episodes, steps = run_bounded(datasets, out, int(mode.partition(":")[2] or 0) or None)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = memory_kb("VmHWM")
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_kb": peak, "base_kb": base,
                      "episodes": episodes, "steps": steps}))  # fmt: skip


def memory_kb(name: str) -> int:
    """Return this process's resident memory (VmRSS) or its peak (VmHWM), in KiB.

    Not `ru_maxrss`: Linux keeps in it the peak of the process before `exec`, the parent's
    memory (which here holds the generated records) when it was forked.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: an upper bound


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--elements", type=int, default=24, help="mean elements per observation")
    parser.add_argument(
        "--modes", default="all,bounded", help="all, bounded, bounded:WEIGHT (group weight)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DATASETS", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    tmp = Path(tempfile.mkdtemp(prefix="overt-bench-steps-"))
    try:
        started = time.perf_counter()
        shards = build_dataset(tmp / "datasets", args.records, args.elements)
        size = sum(p.stat().st_size for p in (tmp / "datasets").rglob("*.parquet"))
        print(
            f"dataset: {args.records:,} records in {shards} shards, {size / 1e6:.1f} MB of "
            f"Parquet, {args.elements} elements per observation on average "
            f"(built in {time.perf_counter() - started:.0f} s)"
        )
        results = {}
        for mode in args.modes.split(","):
            out = tmp / f"out-{mode.replace(':', '-')}"
            done = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(tmp / "datasets"), str(out)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                print(f"{mode}: exit {done.returncode}\n{done.stderr[-2000:]}")
                continue
            results[mode] = json.loads(done.stdout.splitlines()[-1])
            results[mode]["sha256"] = sha256(out / "steps.jsonl")
            results[mode]["bytes"] = (out / "steps.jsonl").stat().st_size
            if not args.keep:
                shutil.rmtree(out)  # hundreds of MB each
        print("| export | wall s | CPU s | peak RSS MB | peak less imports MB | episodes | steps |")
        print("|---|---|---|---|---|---|---|")
        for mode, r in results.items():
            print(
                f"| {mode} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['peak_kb'] / 1024:.0f} | "
                f"{(r['peak_kb'] - r['base_kb']) / 1024:.0f} | {r['episodes']:,} | {r['steps']:,} |"
            )
        sizes = {r["bytes"] for r in results.values()}
        print(f"steps.jsonl: {', '.join(f'{s / 1e6:.1f} MB' for s in sizes)}")
        if len(results) > 1:
            same = len({r["sha256"] for r in results.values()}) == 1
            print(f"same bytes: {'yes' if same else 'NO'}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
