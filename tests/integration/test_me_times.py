"""/me counts days in the viewer's time zone, which the page sends with `?tz=`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import make_event
from tests.integration.me_helpers import send


def test_days_are_counted_in_the_viewers_time_zone(admin, live_server):
    """An event at 20:00 UTC falls on the next day in Tokyo; an unknown zone means UTC."""
    admin.set_policy()
    token = admin.enroll("alice")
    admin.set_consent(token, {"clicks": True})
    yesterday = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0)
    yesterday -= timedelta(days=1)
    event = make_event("click", ts=int(yesterday.timestamp() * 1000))
    assert send(live_server, token, [event])["accepted"] == 1

    tokyo = admin.call("GET", "/me/api/overview?tz=Asia/Tokyo", token=token)
    assert tokyo["timezone"] == "Asia/Tokyo"
    assert list(tokyo["counts"]["by_day"]) == [(yesterday + timedelta(days=1)).strftime("%Y-%m-%d")]
    for tz in ("", "Not/AZone", "../../etc/passwd"):
        utc = admin.call("GET", f"/me/api/overview?tz={tz}", token=token)
        assert utc["timezone"] == "UTC"
        assert list(utc["counts"]["by_day"]) == [yesterday.strftime("%Y-%m-%d")]
