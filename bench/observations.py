"""Observations: their size on three page types, their main-thread cost, and their ingest cost.

1. In real Chromium with the extension, on three pages built here (a table view, a long form, a
   dashboard of about 480 controls, more than the 200 an observation keeps): scroll, then click,
   40 times per page; each click is preceded by an observation (the scroll made the last one
   stale). Sizes are read from the events the server queued; the ms are the content script's own
   performance.now() around each observation, the page's first (cold) one included: to build it,
   and in all (built, cleaned by extension/shared/events.js and handed to the service worker).
2. Through `/ws` on one werkzeug process (bench/ingest.py's load generator): events/s with
   50-event frames where 1 event in 5 is an observation (those of step 1's table page, in turn),
   against the same run without; each with and without permessage-deflate (bench/_deflate.py, as
   Chromium sends).

Usage: .venv/bin/python bench/observations.py [--quick] [--rounds N] [--seconds S] [--keep]
       [--pages-only] [--clicks N] [--extension DIR] [--dump FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import _deflate
import ingest
from _common import ROOT, Lab, call, enroll_consenting, make_event, percentiles, set_policy

sys.path.insert(0, str(ROOT))
from backend.core import keys
from backend.core.vocabulary import CATEGORIES
from tests.e2e.e2e_harness import (
    ExtensionBrowser,
    find_chromium,
    prepare_extension,
)

# Clicked after each scroll; it changes the page, so the next click is preceded by an observation
# even where the scroll did not move anything.
PROBE = (
    '<button id="probe" type="button" style="position:fixed;top:4px;right:4px;z-index:9" '
    'onclick="document.body.dataset.n = Date.now()">Refresh</button>'
)


def table_page() -> str:
    rows = "".join(
        f'<tr><td><input type="checkbox" aria-label="Select row {i}"></td>'
        f'<td><a href="#c{i}">Customer {i % 37} Ltd</a></td><td>City {i % 11}</td>'
        f'<td><button type="button">Edit</button> <button type="button">Archive</button></td></tr>'
        for i in range(300)
    )
    return (
        f"<!doctype html><title>Customers</title>{PROBE}<h1>Customers</h1>"
        '<input type="search" aria-label="Search customers"> <button type="button">Filter</button>'
        f"<table><thead><tr><th></th><th>Name</th><th>City</th><th></th></tr></thead>{rows}</table>"
    )


def form_page() -> str:
    fields = []
    for i in range(160):
        kind = i % 5
        if kind == 0:
            fields.append(f'<label for="f{i}">Field {i}</label><input id="f{i}">')
        elif kind == 1:
            fields.append(
                f'<label for="f{i}">Choice {i}</label><select id="f{i}">'
                "<option>One</option><option>Two</option></select>"
            )
        elif kind == 2:
            fields.append(f'<label><input type="checkbox" id="f{i}"> Option {i}</label>')
        elif kind == 3:
            fields.append(
                f'<fieldset><legend>Pick {i}</legend><label><input type="radio" name="r{i}"> Yes'
                f'</label><label><input type="radio" name="r{i}"> No</label></fieldset>'
            )
        else:
            fields.append(f'<label for="f{i}">Notes {i}</label><textarea id="f{i}"></textarea>')
    body = "".join(f"<div>{f}</div>" for f in fields)
    return (
        f"<!doctype html><title>Long form</title>{PROBE}<h1>Claim</h1>"
        f'<form onsubmit="return false">{body}<button>Submit claim</button></form>'
    )


def dashboard_page() -> str:
    cards = "".join(
        f'<button type="button" style="width:60px;height:24px;font-size:9px" '
        f'aria-expanded="false">Card {i}</button>'
        for i in range(480)
    )
    tabs = "".join(f'<div role="tab" aria-selected="{i == 0}">Tab {i}</div>' for i in range(6))
    return (
        f"<!doctype html><title>Dashboard</title>{PROBE}"
        f'<div role="tablist" style="display:flex;gap:4px">{tabs}</div>'
        f'<div style="display:flex;flex-wrap:wrap;gap:2px;width:1260px">{cards}</div>'
    )


PAGES = {"table": table_page, "form": form_page, "dashboard": dashboard_page}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files without a log line per request."""

    def log_message(self, *args) -> None:
        pass


class Pages:
    """Serve the generated pages on 127.0.0.1 from a temp dir."""

    def __init__(self, folder: Path):
        for name, build in PAGES.items():
            (folder / f"{name}.html").write_text(build())
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def queued_observations(r, url: str) -> list[dict]:
    """The observations of `url` the server queued (no worker runs: they stay queued)."""
    out = []
    for raw in r.lrange(keys.KEY_INCOMING, 0, -1):
        ev = json.loads(raw)["ev"]
        if ev["type"] == "observation" and ev["url"] == url:
            out.append(ev)
    return out


def wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("condition not met")


def measure_pages(lab: Lab, port: int, rounds: int, source: Path | None = None) -> dict:
    """Observation sizes and main-thread ms per page type, from the real extension."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("Chromium not found (/usr/lib/chromium/chromium)")
    r = lab.redis_client()
    pages = Pages(Path(tempfile.mkdtemp(dir=lab.dir)))
    body = {
        "categories": list(CATEGORIES),
        "allowed_origins": [pages.origin],
        "purpose": "bench",
        "retention_days": 30,
        "min_contributors": 1,
    }
    call(port, "PUT", "/admin/api/policy", body)
    token = enroll_consenting(port, "observer")
    results = {}
    with sync_playwright() as pw:
        server = f"ws://127.0.0.1:{port}/ws"
        ext = prepare_extension(lab.dir / "extension", server, token)
        if source:  # another version of the extension (before/after), with this run's config.json
            shutil.copytree(source, ext, dirs_exist_ok=True)
        browser = ExtensionBrowser(pw, chromium, ext, lab.dir / "profile")
        wait_until(lambda: browser.gate().get("active"))
        try:
            for name in PAGES:
                url = f"{pages.origin}/{name}.html"
                page = browser.context.new_page()
                page.set_viewport_size({"width": 1280, "height": 720})
                page.goto(url)
                wait_until(lambda url=url: queued_observations(r, url))
                for i in range(rounds):
                    page.mouse.wheel(0, 240 if i % 10 else -2400)
                    page.wait_for_timeout(30)  # let the scroll event mark the page stale
                    page.click("#probe")
                wait_until(lambda url=url: len(queued_observations(r, url)) >= rounds // 2)
                observed = queued_observations(r, url)
                reply = browser.evaluate(
                    """async (url) => {
                      const [tab] = await chrome.tabs.query({ url });
                      const ask = { type: "observation-timings" };
                      return await chrome.tabs.sendMessage(tab.id, ask);
                    }""",
                    url,
                )
                timings = reply["ms"]
                totals = reply.get("total")  # absent from extensions older than this script
                sizes = [len(json.dumps(o["elements"], separators=(",", ":"))) for o in observed]
                results[name] = {
                    "observations": len(observed),
                    "elements_max": max(len(o["elements"]) for o in observed),
                    "elements_p50": statistics.median(len(o["elements"]) for o in observed),
                    "bytes": percentiles(sizes),
                    "ms": percentiles(timings),
                    "ms_first": timings[0],
                    "ms_all": timings,
                    "total": percentiles(totals) if totals else None,
                    "total_first": totals[0] if totals else None,
                    "total_all": totals,
                    "observations_elements": [o["elements"] for o in observed],
                }
                page.close()
        finally:
            browser.close()
            pages.close()
            r.close()
    return results


def observation_frames(observed: list[list[dict]], every: int):
    """A frame_pool for bench/ingest.py where 1 event in `every` is an observation: the
    observations the extension made (`observed`, each a list of elements), in turn."""

    def pool(frame_size: int, frames: int) -> list[str]:
        now = int(time.time() * 1000)
        out = []
        for f in range(frames):
            events = []
            for i in range(frame_size):
                event = make_event(f * frame_size + i, now)
                if every and i % every == every - 1:
                    for extra in ("target", "depth", "count", "referrer"):
                        event.pop(extra, None)
                    elements = observed[(f * frame_size + i) // every % len(observed)]
                    event.update(type="observation", elements=elements)
                events.append(event)
            out.append(json.dumps(events))
        return out

    return pool


CASES = (  # (name, observation every N events or 0, client)
    ("without", 0, _deflate.CountingClient),
    ("with", 5, _deflate.CountingClient),
    ("without+deflate", 0, _deflate.DeflateClient),
    ("with+deflate", 5, _deflate.DeflateClient),
)


def measure_ingest(lab: Lab, observed: list[list[dict]], args) -> dict:
    """events/s and wire bytes per event through /ws: with and without observations, with and
    without permessage-deflate; the cases alternate within each round."""
    proc, port = lab.start_server("threads")
    r = lab.redis_client()
    set_policy(port)
    tokens = [enroll_consenting(port, f"ingest-{i}") for i in range(args.clients)]
    pids = {"server": proc.pid, "redis": lab.redis.process.pid, "redis_url": lab.redis.url}
    figures: dict[str, dict[str, list[float]]] = {
        c[0]: {"eps": [], "wire": [], "per_cpu": []} for c in CASES
    }
    plain_client = ingest.LoadClient
    try:
        for _ in range(args.rounds):
            for case, every, client in CASES:
                ingest.frame_pool = observation_frames(observed, every)
                ingest.LoadClient = client
                client.wire = wire = _deflate.WireBytes()
                r.unlink(keys.KEY_INCOMING)
                res = asyncio.run(ingest.drive(port, tokens, 50, args, pids))
                if res["rejected"] or res["errors"]:
                    raise RuntimeError(f"{case}: {res['rejected']} {res['errors']}")
                per_event = wire.sent / max(1, res["events_per_s"] * args.seconds)
                figures[case]["eps"].append(res["events_per_s"])
                figures[case]["wire"].append(per_event)
                cpu = res["cpu"]
                figures[case]["per_cpu"].append(res["events_per_s"] / max(cpu["server"], 1e-9))
                print(
                    f"  {case:16s} {res['events_per_s']:>9,.0f} events/s "
                    f"{per_event:>7,.0f} B/event on the wire; cores: server {cpu['server']:.2f} "
                    f"redis {cpu['redis']:.2f} client {cpu['client']:.2f}",
                    flush=True,
                )
    finally:
        ingest.LoadClient = plain_client
        lab.stop(proc)
        r.close()
    return {case: {k: statistics.median(v) for k, v in f.items()} for case, f in figures.items()}


def wire_sizes(observed: list[list[dict]]) -> dict:
    """Bytes of one observation event and of a 50-event frame with 10, plain and deflated."""
    pool = observation_frames(observed, 5)(50, 1)[0]
    event = json.dumps(next(e for e in json.loads(pool) if e["type"] == "observation"))
    frame = f'{{"type":"events","seq":1,"events":{pool}}}'
    return {
        "observation": (len(event.encode()), len(_deflate.deflate(event.encode()))),
        "frame": (len(frame.encode()), len(_deflate.deflate(frame.encode()))),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=None, help="ingest rounds per case")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per ingest run")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--extension", type=Path, help="measure this copy of extension/ (e.g. an older commit's)"
    )
    parser.add_argument("--pages-only", action="store_true", help="skip the ingest part")
    parser.add_argument(
        "--clicks", type=int, default=None, help="observed clicks per page (default 40; 20 quick)"
    )
    parser.add_argument(
        "--dump", type=Path, help="write each page's observations (lists of elements) to this file"
    )
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.seconds = args.seconds or (3.0 if args.quick else 6.0)
    args.warmup, args.window, args.clients = 1.0, 2, 8
    clicks = args.clicks or (20 if args.quick else 40)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with Lab(keep=args.keep) as lab:
        proc, port = lab.start_server("threads")
        try:
            pages = measure_pages(lab, port, clicks, args.extension)
        finally:
            lab.stop(proc)
        if args.dump:
            dumped = {n: f["observations_elements"] for n, f in pages.items()}
            args.dump.write_text(json.dumps(dumped, ensure_ascii=False))
        print("\nobservation size and main-thread cost, real Chromium, 1280x720 viewport:")
        print("(build: the observation built; all: built, cleaned and handed to the worker)")
        heads = ("obs", "elems", "B p50", "B p99", "ms p50", "ms p99", "1st ms")
        heads += ("all p50", "all p99", "all 1st")
        print(f"{'page':10s} " + " ".join(f"{h:>7s}" for h in heads))
        for name, f in pages.items():
            total = f["total"] or {"p50": float("nan"), "p99": float("nan")}
            first = f["total_first"] or float("nan")
            print(
                f"{name:10s} {f['observations']:>7d} {f['elements_max']:>7d} "
                f"{f['bytes']['p50']:>7,.0f} {f['bytes']['p99']:>7,.0f} "
                f"{f['ms']['p50']:>7.2f} {f['ms']['p99']:>7.2f} {f['ms_first']:>7.2f} "
                f"{total['p50']:>7.2f} {total['p99']:>7.2f} {first:>7.2f}"
            )
        if args.pages_only:
            print("build ms per observation:", {n: f["ms_all"] for n, f in pages.items()})
            print("all ms per observation:", {n: f["total_all"] for n, f in pages.items()})
            print(f"load average after: {os.getloadavg()[0]:.2f}")
            return 0
        observed = pages["table"]["observations_elements"]
        sizes = wire_sizes(observed)
        for what, (plain, packed) in sizes.items():
            print(f"{what:12s} {plain:>7,} bytes, deflated {packed:>6,} ({plain / packed:.1f}x)")
        print(f"\ningest, 50-event frames, 1 in 5 an observation of {sizes['observation'][0]:,} B:")
        res = measure_ingest(lab, observed, args)
    print("medians:")
    for case, f in res.items():
        print(
            f"  {case:16s} {f['eps']:>9,.0f} events/s {f['wire']:>7,.0f} B/event on the wire "
            f"{f['per_cpu']:>8,.0f} events per server CPU-second"
        )
    for suffix in ("", "+deflate"):
        ratio = res["with" + suffix]["eps"] / res["without" + suffix]["eps"]
        per_cpu = res["with" + suffix]["per_cpu"] / res["without" + suffix]["per_cpu"]
        name = suffix or " (no deflate)"
        print(f"ratio with/without observations{name}: {ratio:.2f} ({per_cpu:.2f} per CPU)")
    for case in ("without", "with"):
        ratio = res[case + "+deflate"]["eps"] / res[case]["eps"]
        per_cpu = res[case + "+deflate"]["per_cpu"] / res[case]["per_cpu"]
        print(f"ratio deflate/plain, {case} observations: {ratio:.2f} ({per_cpu:.2f} per CPU)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
