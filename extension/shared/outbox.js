/**
 * The outbox as plain data and pure functions: bounded by event count and bytes, overflow drops
 * the oldest events and counts them (reported to the server in `hello`, never silent).
 * background/outbox-store.js persists this object in chrome.storage.local.
 *
 * State: {entries: [{event, bytes, seq}], bytes, nextSeq, dropped}. `seq` is null until the event
 * is put in a frame; it is removed only when that frame's ack arrives.
 */
import {
  CATEGORY_OF_TYPE, FLUSH_AT_EVENTS, MAX_EVENTS_PER_FRAME, OUTBOX_MAX_BYTES, OUTBOX_MAX_EVENTS,
} from "./constants.js";

export const DEFAULT_LIMITS = Object.freeze({ maxEvents: OUTBOX_MAX_EVENTS, maxBytes: OUTBOX_MAX_BYTES });

/** A fresh, empty outbox. */
export function emptyOutbox() {
  return { entries: [], bytes: 0, nextSeq: 1, dropped: 0 };
}

/** Rebuild a valid outbox from whatever storage held (missing, old shape, corrupt). */
export function restoreOutbox(stored) {
  const box = emptyOutbox();
  if (!stored || !Array.isArray(stored.entries)) return box;
  box.entries = stored.entries.filter((e) => e && e.event && Number.isInteger(e.bytes));
  box.bytes = box.entries.reduce((sum, e) => sum + e.bytes, 0);
  box.nextSeq = Number.isInteger(stored.nextSeq) && stored.nextSeq > 0 ? stored.nextSeq : 1;
  box.dropped = Number.isInteger(stored.dropped) ? stored.dropped : 0;
  return box;
}

/** Bytes an event costs on the wire (UTF-8 length of its JSON). */
export function eventBytes(event) {
  return new TextEncoder().encode(JSON.stringify(event)).length;
}

/** Append events, then drop the oldest until the bounds hold; returns how many were dropped. */
export function enqueue(box, events, limits = DEFAULT_LIMITS) {
  for (const event of events) {
    const bytes = eventBytes(event);
    box.entries.push({ event, bytes, seq: null });
    box.bytes += bytes;
  }
  let dropped = 0;
  while (box.entries.length && (box.entries.length > limits.maxEvents || box.bytes > limits.maxBytes)) {
    box.bytes -= box.entries.shift().bytes;
    dropped++;
  }
  box.dropped += dropped;
  return dropped;
}

/** Events not yet put in a frame. */
export function unsentCount(box) {
  return box.entries.reduce((n, e) => n + (e.seq === null ? 1 : 0), 0);
}

/** Sequence numbers of frames sent and not yet acknowledged. */
export function inflightSeqs(box) {
  return [...new Set(box.entries.filter((e) => e.seq !== null).map((e) => e.seq))];
}

/**
 * Whether to flush now: at `flushAt` unsent events, or once the oldest unsent event has waited
 * `flushMs`. `firstUnsentAt` is when the oldest unsent event was enqueued (ms), or null.
 */
export function shouldFlush(unsent, firstUnsentAt, now, { flushAt = FLUSH_AT_EVENTS, flushMs = 1000 } = {}) {
  if (unsent <= 0) return false;
  if (unsent >= flushAt) return true;
  return firstUnsentAt !== null && now - firstUnsentAt >= flushMs;
}

/** Bytes of events per frame: the backend closes a socket whose message passes 1 MiB. */
export const MAX_FRAME_BYTES = 900_000;

/** Put up to `max` unsent events into a new frame; null when there is nothing to send. */
export function nextFrame(box, max = MAX_EVENTS_PER_FRAME, maxBytes = MAX_FRAME_BYTES) {
  const picked = [];
  let bytes = 0;
  for (const e of box.entries) {
    if (e.seq !== null) continue;
    // Observations are up to 32 KiB: keep a frame under the server's 1 MiB message limit.
    if (picked.length >= Math.min(max, MAX_EVENTS_PER_FRAME) || (picked.length && bytes + e.bytes > maxBytes)) break;
    picked.push(e);
    bytes += e.bytes;
  }
  if (!picked.length) return null;
  const seq = box.nextSeq++;
  for (const entry of picked) entry.seq = seq;
  return { type: "events", seq, events: picked.map((e) => e.event) };
}

/** Remove the events of frame `seq`; returns them (empty when the seq is unknown). */
export function acknowledge(box, seq) {
  const acked = box.entries.filter((e) => e.seq === seq);
  if (!acked.length) return [];
  box.entries = box.entries.filter((e) => e.seq !== seq);
  box.bytes -= acked.reduce((sum, e) => sum + e.bytes, 0);
  return acked.map((e) => e.event);
}

/** After a reconnect every unacknowledged frame is sent again (the server dedupes by event id). */
export function requeueInflight(box) {
  for (const entry of box.entries) entry.seq = null;
}

/** Mark one frame's events unsent again (the server could not store them). */
export function requeueFrame(box, seq) {
  for (const entry of box.entries) if (entry.seq === seq) entry.seq = null;
}

/** Discard everything (pause, consent withdrawal); the dropped counter is kept. */
export function discardAll(box) {
  const discarded = box.entries.length;
  box.entries = [];
  box.bytes = 0;
  return discarded;
}

/** Discard the events of the given categories (consent withdrawn); returns how many. */
export function discardCategories(box, categories) {
  const before = box.entries.length;
  box.entries = box.entries.filter((e) => !categories.includes(CATEGORY_OF_TYPE[e.event.type]));
  box.bytes = box.entries.reduce((sum, e) => sum + e.bytes, 0);
  return before - box.entries.length;
}

/** Read and reset the overflow counter once the server has been told. */
export function takeDropped(box) {
  const dropped = box.dropped;
  box.dropped = 0;
  return dropped;
}
