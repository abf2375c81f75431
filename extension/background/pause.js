/**
 * Pause, in this order (docs/extension.md): stop capture at once (memory first, then chrome.storage.session,
 * which every tab listens to), discard the unsent outbox, then acknowledge. A restart or reconnect
 * never resumes by itself: only a `resume` frame, or a `welcome` saying no pause is in force.
 */
import { KEY_PAUSES, writeKeys } from "../shared/storage.js";
import { countDiscarded } from "./counts.js";
import * as store from "./outbox-store.js";
import { publishGate, saveState, state } from "./state.js";

function pauseRecord(frame) {
  return { pause_id: String(frame.pause_id), scope: frame.scope ?? null, reason: String(frame.reason || ""), since: frame.since ?? null };
}

async function persistPauses() {
  await writeKeys("session", { [KEY_PAUSES]: state.pauses }); // session first: the order
  await publishGate();
  await saveState();
}

/** Apply an admin pause and send `pause_applied` through `send`. */
export async function applyPause(frame, send) {
  const pause = pauseRecord(frame);
  state.pauses = { ...state.pauses, [pause.pause_id]: pause }; // events arriving from now on are dropped
  await persistPauses();
  const discarded = store.discardAll();
  await store.persist();
  if (discarded) countDiscarded(discarded);
  send({ type: "pause_applied", pause_id: pause.pause_id });
}

/** Lift one pause (a `resume` frame). */
export async function applyResume(pauseId) {
  if (!Object.hasOwn(state.pauses, String(pauseId))) return;
  const { [String(pauseId)]: _lifted, ...rest } = state.pauses;
  state.pauses = rest;
  await persistPauses();
}

/** A `welcome` is authoritative: its pause (or none) replaces what we held. */
export async function applyWelcomePause(pause, send) {
  if (pause && pause.pause_id) {
    state.pauses = {};
    await applyPause(pause, send);
  } else if (Object.keys(state.pauses).length) {
    state.pauses = {};
    await persistPauses();
  }
}

/** Pause myself for `minutes` (null: until I resume). */
export async function snooze(minutes) {
  const until = Number.isFinite(minutes) && minutes > 0 ? Date.now() + minutes * 60_000 : null;
  state.snooze = { until, since: Date.now() };
  await saveState();
  await publishGate();
  if (until !== null) chrome.alarms.create("overt-snooze-end", { when: until + 100 });
}

/** End my own pause. */
export async function unsnooze() {
  state.snooze = null;
  chrome.alarms.clear("overt-snooze-end").catch(() => {});
  await saveState();
  await publishGate();
}
