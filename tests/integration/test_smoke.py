"""The shortest path through the pipeline: enrolled client → /ws → worker → sealed shard."""

from tests.helpers import WSClient, make_event


def test_consented_events_are_sealed_under_a_pseudonym(employee, live_server, run_workers):
    """Events of a granted category end in a shard, with the employee replaced."""
    token = employee("alice", "sales", ("clicks",))
    client = WSClient(live_server.ws_url)
    welcome = client.hello(token)
    assert welcome["employee"] == "alice" and welcome["pause"] is None
    ack = client.send_events(1, [make_event("click"), make_event("scroll")])
    assert ack["accepted"] == 1
    assert [r["code"] for r in ack["rejected"]] == ["no_consent"]
    records = run_workers()
    assert len(records) == 1
    assert records[0]["type"] == "click" and "alice" not in str(records[0])
    client.close()
