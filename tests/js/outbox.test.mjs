// The outbox: bounds, overflow accounting, frames, acks, resend after reconnect, batching rule.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as outbox from "../../extension/shared/outbox.js";

const ev = (n, pad = "") => ({ id: `id-${n}`, type: "click", ts: n, url: `http://h/${pad}` });

test("events are framed in order, at most 100 per frame", () => {
  const box = outbox.emptyOutbox();
  outbox.enqueue(box, Array.from({ length: 150 }, (_, i) => ev(i)));
  const first = outbox.nextFrame(box);
  assert.equal(first.type, "events");
  assert.equal(first.seq, 1);
  assert.equal(first.events.length, 100);
  assert.equal(first.events[0].id, "id-0");
  const second = outbox.nextFrame(box, 1000);
  assert.equal(second.seq, 2);
  assert.equal(second.events.length, 50);
  assert.equal(outbox.nextFrame(box), null);
  assert.deepEqual(outbox.inflightSeqs(box), [1, 2]);
});

test("an ack removes exactly its frame", () => {
  const box = outbox.emptyOutbox();
  outbox.enqueue(box, [ev(1), ev(2), ev(3)]);
  const frame = outbox.nextFrame(box, 2);
  outbox.nextFrame(box, 2);
  assert.deepEqual(outbox.acknowledge(box, frame.seq).map((e) => e.id), ["id-1", "id-2"]);
  assert.equal(box.entries.length, 1);
  assert.equal(box.bytes, outbox.eventBytes(ev(3)));
  assert.deepEqual(outbox.acknowledge(box, 99), []);
});

test("unacknowledged frames are sent again after a reconnect", () => {
  const box = outbox.emptyOutbox();
  outbox.enqueue(box, [ev(1), ev(2)]);
  outbox.nextFrame(box);
  outbox.requeueInflight(box);
  const again = outbox.nextFrame(box);
  assert.equal(again.seq, 2);
  assert.deepEqual(again.events.map((e) => e.id), ["id-1", "id-2"]);
});

test("a frame the server could not store is sent again, under a new seq", () => {
  const box = outbox.emptyOutbox();
  outbox.enqueue(box, [ev(1), ev(2), ev(3)]);
  const first = outbox.nextFrame(box, 2);
  outbox.nextFrame(box, 2);
  outbox.requeueFrame(box, first.seq);
  const again = outbox.nextFrame(box);
  assert.deepEqual(again.events.map((e) => e.id), ["id-1", "id-2"]);
  assert.deepEqual(outbox.inflightSeqs(box).sort(), [2, 3]);
});

test("overflow by count drops the oldest and counts them", () => {
  const box = outbox.emptyOutbox();
  const dropped = outbox.enqueue(box, Array.from({ length: 12 }, (_, i) => ev(i)), { maxEvents: 10, maxBytes: 1e9 });
  assert.equal(dropped, 2);
  assert.equal(box.entries[0].event.id, "id-2");
  assert.equal(outbox.takeDropped(box), 2);
  assert.equal(outbox.takeDropped(box), 0);
});

test("overflow by bytes drops the oldest", () => {
  const box = outbox.emptyOutbox();
  const size = outbox.eventBytes(ev(0, "x".repeat(100)));
  outbox.enqueue(box, Array.from({ length: 5 }, (_, i) => ev(i, "x".repeat(100))), { maxEvents: 100, maxBytes: size * 3 });
  assert.equal(box.entries.length, 3);
  assert.ok(box.bytes <= size * 3);
  assert.equal(box.dropped, 2);
});

test("discarding keeps the dropped counter; categories can be discarded alone", () => {
  const box = outbox.emptyOutbox();
  box.dropped = 4;
  outbox.enqueue(box, [ev(1), { ...ev(2), type: "scroll" }]);
  assert.equal(outbox.discardCategories(box, ["scroll"]), 1);
  assert.equal(box.entries.length, 1);
  assert.equal(outbox.discardAll(box), 1);
  assert.equal(box.bytes, 0);
  assert.equal(box.dropped, 4);
});

test("restore repairs whatever storage held", () => {
  assert.deepEqual(outbox.restoreOutbox(undefined), outbox.emptyOutbox());
  const box = outbox.restoreOutbox({ entries: [{ event: ev(1), bytes: 10, seq: 3 }, null, { bytes: 1 }], nextSeq: 7 });
  assert.equal(box.entries.length, 1);
  assert.equal(box.bytes, 10);
  assert.equal(box.nextSeq, 7);
});

test("flush at 50 events or once the oldest has waited 1 s", () => {
  assert.equal(outbox.shouldFlush(0, 0, 5000), false);
  assert.equal(outbox.shouldFlush(50, 1000, 1001), true);
  assert.equal(outbox.shouldFlush(3, 1000, 1999), false);
  assert.equal(outbox.shouldFlush(3, 1000, 2000), true);
  assert.equal(outbox.shouldFlush(3, 1000, 1100, { flushMs: 100 }), true);
});
