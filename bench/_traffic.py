"""Events as a web app's users produce them: every event type, repeated screens, a few one-offs.

`app_event(i, employee, now)` is deterministic in `i` (ids aside). An internal app of 40 routes,
30 page titles and 120 button labels made of UI words; one event in five opens a record by its
id (`/orders/48213`) and one label or title in twenty carries a one-off name: what real traffic
repeats and what the rarity gate exists to mask. Observations (one event in eight, as the
extension sends one before most clicks) list 60 elements of the screen's controls.
"""

from __future__ import annotations

import random
import uuid

from _common import WORK_ORIGIN

WORDS = str.split(
    "save cancel edit delete new order orders invoice invoices customer customers account "
    "accounts report reports settings search filter export import archive assign approve reject "
    "submit close open view details history notes attachments status priority owner team due "
    "date amount total billing shipping address contact contacts product products stock "
    "warehouse return refund ticket tickets queue dashboard overview summary calendar schedule"
)

_rnd = random.Random(7)


def _phrase(lo: int, hi: int) -> str:
    return " ".join(_rnd.choice(WORDS) for _ in range(_rnd.randint(lo, hi))).capitalize()


LABELS = [_phrase(1, 3) for _ in range(120)]
TITLES = [f"{_phrase(1, 3)} \N{EN DASH} Example App" for _ in range(30)]
ROUTES = ["/" + "/".join(_rnd.choice(WORDS) for _ in range(_rnd.randint(1, 2))) for _ in range(40)]
ROLES = ("button", "link", "textbox", "checkbox", "tab", "menuitem", None)
TAGS = {"button": "button", "link": "a", "textbox": "input", "checkbox": "input", None: "div"}
KEYS = ("Enter", "Escape", "Tab", "ArrowDown")

# Per 40 events: what an extension's outbox holds in a working session.
MIX = (
    ["click"] * 9
    + ["observation"] * 5
    + ["input_activity"] * 6
    + ["scroll"] * 5
    + ["page_view"] * 3
    + ["route_change"] * 3
    + ["change"] * 3
    + ["key"] * 2
    + ["submit", "visibility", "tab_focus"]
    + ["task_start"]
)


def _screen(i: int) -> tuple[str, str, list[str]]:
    """Return the url, title and labels of the screen event `i` happens on."""
    rnd = random.Random(i // 20)  # a screen lasts 20 events
    route = rnd.choice(ROUTES)
    if rnd.random() < 0.2:
        route += f"/{rnd.randint(1, 99_999)}"
    title = rnd.choice(TITLES)
    if rnd.random() < 0.05:
        title = f"Jo{rnd.getrandbits(32):x} \N{EN DASH} {title}"
    labels = rnd.sample(LABELS, 60)
    if rnd.random() < 0.05:
        labels[0] = f"{labels[0]} Jo{rnd.getrandbits(32):x}"
    return WORK_ORIGIN + route, title, labels


def _target(i: int, labels: list[str]) -> dict:
    role = ROLES[i % len(ROLES)]
    target = {"selector": f"main > div:nth-child({i % 9}) > {TAGS.get(role, 'span')}"}
    target["tag"] = TAGS.get(role, "span")
    if role:
        target["role"] = role
    target["label"] = labels[i % 7]
    return target


def _elements(labels: list[str]) -> list[dict]:
    out = []
    for n, label in enumerate(labels):
        role = ROLES[n % len(ROLES)]
        element = {"bid": f"b{n}", "tag": TAGS.get(role, "span"), "label": label}
        if role:
            element["role"] = role
        if role == "checkbox":
            element["state"] = {"checked": n % 2 == 0}
        element["box"] = [8 * (n % 12), 24 * (n // 12), 120, 24]
        out.append(element)
    return out


def app_event(i: int, now: int, event_id: str | None = None) -> dict:
    """Return event `i` of a working session (a valid event of the type the mix says)."""
    kind = MIX[i % len(MIX)]
    url, title, labels = _screen(i)
    event = {
        "id": event_id or str(uuid.uuid4()),
        "type": kind,
        "ts": now - i % 1000,
        "url": url,
        "title": title,
        "session": "s_appsession",
    }
    if kind not in ("task_start", "task_end"):
        event.update(tab=f"t_apptab{i % 4:03d}", page=f"p_apppage{i // 20:04d}", step=i)
    if kind in ("click", "submit", "input_activity", "change"):
        event["target"] = _target(i, labels)
    if kind == "observation":
        event["elements"] = _elements(labels)
    elif kind == "page_view":
        event["referrer"] = WORK_ORIGIN + ROUTES[i % len(ROUTES)]
    elif kind == "route_change":
        event["from"] = WORK_ORIGIN + ROUTES[(i + 1) % len(ROUTES)]
    elif kind == "scroll":
        event.update(depth=i % 101, y=8 * (i % 400))
    elif kind == "input_activity":
        event["count"] = 1 + i % 20
    elif kind == "submit":
        event["fields"] = 3 + i % 5
    elif kind == "change":  # a select's option: the server refuses a change on other targets
        select = f"main > div:nth-child({i % 9}) > select"
        event["target"].update(selector=select, tag="select", role="combobox")
        event["value"] = labels[i % 5]
    elif kind == "key":
        event["key"] = KEYS[i % len(KEYS)]
    elif kind == "visibility":
        event["state"] = ("visible", "hidden")[i % 2]
    elif kind == "task_start":
        event.update(task=f"k_apptask{i:05d}", goal="File this week's refunds")
    return event
