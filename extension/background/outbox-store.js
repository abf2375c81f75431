/**
 * The outbox kept in chrome.storage.local (docs/extension.md: unacknowledged frames survive a restart).
 * Mutations happen on the in-memory copy, which is atomic in a single-threaded worker; writes are
 * coalesced, and `persist()` resolves once a write that includes every earlier change has finished.
 */
import * as outbox from "../shared/outbox.js";
import { KEY_OUTBOX, readKey, writeKeys } from "../shared/storage.js";
import { config } from "./state.js";

export let box = outbox.emptyOutbox();
/** When the oldest unsent event was enqueued (ms), for the 1 s flush rule; not persisted. */
export let firstUnsentAt = null;

let writing = null;
let dirty = false;

/** Load the outbox from storage; events left unsent by a previous worker are due at once. */
export async function restoreOutboxStore() {
  box = outbox.restoreOutbox(await readKey("local", KEY_OUTBOX));
  outbox.requeueInflight(box); // the socket that sent them is gone
  firstUnsentAt = box.entries.length ? 0 : null;
}

async function writeLoop() {
  while (dirty) {
    dirty = false;
    await writeKeys("local", { [KEY_OUTBOX]: box });
  }
  writing = null;
}

/** Persist the current outbox; resolves after a write that includes every change made so far. */
export function persist() {
  dirty = true;
  if (!writing) {
    writing = writeLoop();
    return writing;
  }
  // A write is running: it started before our change, so wait for the loop to finish.
  return writing;
}

/** Add events; returns the number dropped by overflow. */
export function add(events) {
  const limits = { maxEvents: config.outboxMaxEvents, maxBytes: config.outboxMaxBytes };
  const dropped = outbox.enqueue(box, events, limits);
  if (dropped) console.warn("overt: outbox full, dropped %d oldest event(s)", dropped);
  if (firstUnsentAt === null) firstUnsentAt = Date.now();
  return dropped;
}

/** Mark that nothing is unsent any more (called after building frames). */
export function markFlushed() {
  firstUnsentAt = outbox.unsentCount(box) ? Date.now() : null;
}

/** Forget every queued event (pause). */
export function discardAll() {
  firstUnsentAt = null;
  return outbox.discardAll(box);
}
