/**
 * Answer the service worker's "what was typed here just now?" (hashes only, never words).
 *
 * Another document may show what is typed here before this document's hashes reach the worker
 * (the two are separate messages), even a word not finished yet: the page around an editor frame
 * that posts every key, or an opener window showing a draft typed in its pop-up compose window
 * (or any tab of the app, through a BroadcastChannel). So a document that learns typed words
 * tells the worker so ("typing-frame"; a top document is frame 0 of its tab), and again, with
 * `typing`, while it is typed in; the worker asks it, before it masks an event of another
 * document (a frame: of its tab; any document: of other tabs, while its tab is typed in;
 * extension/background/typed-store.js, learnTyping), for the hashes learnt and the words being
 * typed in the last moments, as a top document learns the words still in its own fields before
 * it describes anything (content/typed-fields.js, flushTyped). Used by content/frame-typing.js
 * (frames) and content/capture.js (the top document of a tab).
 */
import { EDIT_CONTEXT_EVENT, learnDrawn, pendingHashes, typed } from "./typed-fields.js";

/**
 * An answer holds what was learnt this long before the worker asked. A frame that posts each key
 * to the page around and then stays busy (600 ms in tests/e2e/test_cross_origin_frames.py) is
 * asked only after the page has shown the post, and on a loaded machine that took more than half
 * a second: the states of a word typed before it then left unmasked. Two seconds masks a few more
 * unfinished states, never anything not typed.
 */
const RECENT_MS = 2000;
// Kept longer than RECENT_MS: a document whose own script keeps it busy answers late, and the
// window is counted back from when the worker asked, not from when this document answers.
const KEEP_MS = 10_000;
const MAX_RECENT = 256;
/** Said again at most this often while typing (the worker keeps a tab typed in for 12 s). */
const REGISTER_MS = 2000;
let recent = []; // [{ hash, at }]
let watching = false;
let typingSaidAt = 0;

/** Remember `hashes` as learnt now. */
export function noteRecent(hashes) {
  const now = Date.now();
  recent = recent.filter((entry) => now - entry.at <= KEEP_MS).slice(-MAX_RECENT);
  for (const hash of hashes) recent.push({ hash, at: now });
}

/**
 * Tell the worker this document learns typed words (`typing`: and is being typed in), so that
 * it asks before masking; while typing, again every REGISTER_MS, in case the worker dropped it
 * (an ask that failed while this document was between pages) and to keep its tab typed in. The
 * worker keeps the list in session storage across its restarts.
 */
function register(typing) {
  if (!watching || !chrome.runtime || !chrome.runtime.id) return;
  if (typing) {
    const now = Date.now();
    if (now - typingSaidAt < REGISTER_MS) return;
    typingSaidAt = now;
  }
  chrome.runtime.sendMessage({ type: "typing-frame", typing }).catch(() => {});
}

function onTyping() {
  if (!watching) return;
  noteRecent(pendingHashes());
  register(true);
}

/** Answer the worker's "typing-now" at once (an onMessage listener: other messages are left). */
export function answerTypingNow(message, sender, sendResponse) {
  if (!message || message.type !== "typing-now" || sender.id !== chrome.runtime.id) return;
  learnDrawn(); // what is learnt is noted as recent (its hashes are shared: noteRecent)
  noteRecent(pendingHashes());
  const asked = Number.isFinite(message.at) ? Math.min(message.at, Date.now()) : Date.now();
  const hashes = [...new Set(recent.filter((entry) => entry.at >= asked - RECENT_MS).map((entry) => entry.hash))];
  sendResponse({ ok: watching && typed.ready, watching, salt: typed.salt, hashes: watching ? hashes : [] });
}

/**
 * Whether this document learns typed words (a work app's, or one a work app's depends on or
 * opened).
 * `announce`: tell the worker at once (a frame, whose typing the page around may show at any
 * time); a top document tells it when it is typed in.
 */
export function setAnswering(on, announce = false) {
  watching = Boolean(on);
  if (!watching) recent = [];
  if (announce) register(false);
}

/** Listen for typing; call after content/typed-fields.js `watchTyping` (its listeners note the
 * word being typed first). */
export function watchTypingNow() {
  for (const type of ["input", "compositionend", "keydown", EDIT_CONTEXT_EVENT]) document.addEventListener(type, onTyping, true);
}
