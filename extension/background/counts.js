/** Today's counts by category (shown in the popup) and rejection codes from acks. */
import { categoryOf } from "../shared/events.js";
import { KEY_COUNTS, readKey, writeKeys } from "../shared/storage.js";

/** Local calendar day, YYYY-MM-DD. */
export function today(now = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

let counts = null;
let chain = Promise.resolve();

async function load() {
  const stored = counts || (await readKey("local", KEY_COUNTS));
  const day = today();
  counts = stored && stored.day === day ? stored : { day, captured: {}, sent: {}, rejected: {}, discarded: 0 };
  return counts;
}

/** Apply `change(counts)` and persist; updates are serialised so none is lost. */
function update(change) {
  chain = chain.then(async () => {
    change(await load());
    await writeKeys("local", { [KEY_COUNTS]: counts });
  }).catch((err) => console.warn("overt: counts not saved: %s", err && err.message));
  return chain;
}

const bump = (table, key, n = 1) => { table[key] = (table[key] || 0) + n; };

/** Count events captured into the outbox. */
export const countCaptured = (events) => update((c) => events.forEach((e) => bump(c.captured, categoryOf(e.type))));
/** Count events the server accepted. */
export const countSent = (events) => update((c) => events.forEach((e) => bump(c.sent, categoryOf(e.type))));
/** Count rejections by code (rejected events are not retried). */
export const countRejected = (rejected) => update((c) => rejected.forEach((r) => bump(c.rejected, String(r.code || "unknown"))));
/** Count events discarded unsent (pause, consent withdrawn, a frame or tab being typed in that stayed silent). */
export const countDiscarded = (n) => update((c) => { c.discarded += n; });

/** Today's counts. */
export async function readCounts() {
  await chain;
  return { ...(await load()) };
}
