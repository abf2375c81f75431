/**
 * In a frame (not the top document of a tab): only learn the words typed there, as salted hashes
 * (extension/content/typed-fields.js). A rich-text editor in a frame, same-origin (TinyMCE's and
 * CKEditor 4's classic modes) or not (an embedded third-party editor), takes what is typed, and the
 * page around it shows it back: the words must be masked there too. Nothing is captured or sent
 * from a frame but those hashes.
 */
import { KEY_GATE, KEY_TYPED, readKey } from "../shared/storage.js";
import { adoptTyped, pendingHashes, setTypingWatch, typed, watchTyping } from "./typed-fields.js";

/**
 * The origins this frame belongs to: its own (an about:blank or srcdoc frame inherits its
 * parent's; location.origin would say "null") and every ancestor's.
 */
function frameOrigins() {
  const ancestors = location.ancestorOrigins ? Array.from(location.ancestorOrigins) : [];
  return [globalThis.origin, ...ancestors];
}

/**
 * The page around may show what is typed here before this frame's hashes reach the worker (the
 * two are separate messages), even a word not finished yet (an editor posting every key to its
 * parent, which puts it in its hash route). So the worker asks this frame, before it masks an
 * event of the tab (extension/background/typed-store.js, learnFrames), for the hashes learnt and
 * the words being typed in the last moments, as the top document learns the words still in its
 * fields before it describes anything (content/typed-fields.js, flushTyped). Hashes only.
 */
const RECENT_MS = 500;
// Kept longer than RECENT_MS: a frame whose own script keeps it busy answers late, and the
// window is counted back from when the worker asked, not from when this frame answers.
const KEEP_MS = 10_000;
const MAX_RECENT = 256;
const REGISTER_MS = 2000;
let recent = []; // [{ hash, at }]
let watching = false;
let registeredAt = 0;

function noteRecent(hashes) {
  const now = Date.now();
  recent = recent.filter((entry) => now - entry.at <= KEEP_MS).slice(-MAX_RECENT);
  for (const hash of hashes) recent.push({ hash, at: now });
}

/**
 * Tell the worker this frame learns typed words, so that it asks before masking; again now and
 * then while typing, in case the worker dropped it (an ask that failed while this frame was
 * between documents). The worker keeps the list in session storage across its restarts.
 */
function register(force = false) {
  if (!watching || !chrome.runtime || !chrome.runtime.id) return;
  const now = Date.now();
  if (!force && now - registeredAt < REGISTER_MS) return;
  registeredAt = now;
  chrome.runtime.sendMessage({ type: "typing-frame" }).catch(() => {});
}

function onTyping() {
  noteRecent(pendingHashes());
  register();
}

function onWorkerMessage(message, sender, sendResponse) {
  if (!message || message.type !== "typing-now" || sender.id !== chrome.runtime.id) return false;
  noteRecent(pendingHashes());
  const asked = Number.isFinite(message.at) ? Math.min(message.at, Date.now()) : Date.now();
  const hashes = [...new Set(recent.filter((entry) => entry.at >= asked - RECENT_MS).map((entry) => entry.hash))];
  sendResponse({ ok: watching && typed.ready, watching, salt: typed.salt, hashes: watching ? hashes : [] });
  return false;
}

/** Watch typing while the frame, or a page it is in, is a work app (from the gate). */
function applyGate(gate) {
  const work = (gate && gate.work_origins) || [];
  watching = frameOrigins().some((origin) => work.includes(origin));
  setTypingWatch(watching);
  if (!watching) recent = [];
  register(true);
}

function onStorageChange(changes, area) {
  if (area !== "session") return;
  if (changes[KEY_TYPED]) adoptTyped(changes[KEY_TYPED].newValue);
  if (changes[KEY_GATE]) applyGate(changes[KEY_GATE].newValue);
}

/** Share newly learnt hashes (never words) with the worker, which keeps them for every tab. */
function shareTyped(hashes) {
  if (!chrome.runtime || !chrome.runtime.id) return; // extension reloaded: this script is orphaned
  noteRecent(hashes);
  chrome.runtime.sendMessage({ type: "typed", salt: typed.salt, hashes }).catch(() => {});
}

/** Start learning: subscribe first, then read the session's salt, hashes and gate. */
export async function start() {
  chrome.storage.onChanged.addListener(onStorageChange);
  watchTyping(shareTyped);
  // After typed-fields.js's own listeners (added first), which note the word being typed.
  for (const type of ["input", "compositionend", "keydown"]) document.addEventListener(type, onTyping, true);
  chrome.runtime.onMessage.addListener(onWorkerMessage);
  adoptTyped(await readKey("session", KEY_TYPED));
  applyGate(await readKey("session", KEY_GATE));
}
