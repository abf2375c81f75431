/**
 * Answer the service worker's "what was typed here just now?" (hashes only, never words).
 *
 * Another document may show what is typed here before this document's hashes reach the worker
 * (the two are separate messages), even a word not finished yet: the page around an editor frame
 * that posts every key, or an opener window showing a draft typed in its pop-up compose window
 * (or any tab of the app, through a BroadcastChannel). So a document where words are typed tells
 * the worker so ("typing-frame"; a top document is frame 0 of its tab), and the worker asks it,
 * before it masks an event of another document (extension/background/typed-store.js,
 * learnTyping), for the hashes learnt and the words being typed in the last moments, as a top
 * document learns the words still in its own fields before it describes anything
 * (content/typed-fields.js, flushTyped). Used by content/frame-typing.js (frames) and
 * content/capture.js (the top document of a tab).
 */
import { pendingHashes, typed } from "./typed-fields.js";

/** An answer holds what was learnt this long before the worker asked. */
const RECENT_MS = 500;
// Kept longer than RECENT_MS: a document whose own script keeps it busy answers late, and the
// window is counted back from when the worker asked, not from when this document answers.
const KEEP_MS = 10_000;
const MAX_RECENT = 256;
/** Told again at most this often while typing (the worker keeps a top document for 12 s). */
const REGISTER_MS = 2000;
let recent = []; // [{ hash, at }]
let watching = false;
let registeredAt = 0;

/** Remember `hashes` as learnt now. */
export function noteRecent(hashes) {
  const now = Date.now();
  recent = recent.filter((entry) => now - entry.at <= KEEP_MS).slice(-MAX_RECENT);
  for (const hash of hashes) recent.push({ hash, at: now });
}

/**
 * Tell the worker this document learns typed words, so that it asks before masking; again now
 * and then while typing, in case the worker dropped it (an ask that failed while this document
 * was between pages). The worker keeps the list in session storage across its restarts.
 */
function register(force = false) {
  if (!watching || !chrome.runtime || !chrome.runtime.id) return;
  const now = Date.now();
  if (!force && now - registeredAt < REGISTER_MS) return;
  registeredAt = now;
  chrome.runtime.sendMessage({ type: "typing-frame" }).catch(() => {});
}

function onTyping() {
  if (!watching) return;
  noteRecent(pendingHashes());
  register();
}

/** Answer the worker's "typing-now" at once (an onMessage listener: other messages are left). */
export function answerTypingNow(message, sender, sendResponse) {
  if (!message || message.type !== "typing-now" || sender.id !== chrome.runtime.id) return;
  noteRecent(pendingHashes());
  const asked = Number.isFinite(message.at) ? Math.min(message.at, Date.now()) : Date.now();
  const hashes = [...new Set(recent.filter((entry) => entry.at >= asked - RECENT_MS).map((entry) => entry.hash))];
  sendResponse({ ok: watching && typed.ready, watching, salt: typed.salt, hashes: watching ? hashes : [] });
}

/**
 * Whether this document learns typed words (a work app's, or one a work app's depends on).
 * `announce`: tell the worker at once (a frame, whose typing the page around may show at any
 * time); a top document tells it when it is typed in.
 */
export function setAnswering(on, announce = false) {
  watching = Boolean(on);
  if (!watching) recent = [];
  if (announce) register(true);
}

/** Listen for typing; call after content/typed-fields.js `watchTyping` (its listeners note the
 * word being typed first). */
export function watchTypingNow() {
  for (const type of ["input", "compositionend", "keydown"]) document.addEventListener(type, onTyping, true);
}
