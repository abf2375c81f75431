/**
 * In a frame (not the top document of a tab): only learn the words typed there, as salted hashes
 * (extension/content/typed-fields.js). A rich-text editor in a frame, same-origin (TinyMCE's and
 * CKEditor 4's classic modes) or not (an embedded third-party editor), takes what is typed, and the
 * page around it shows it back: the words must be masked there too. Nothing is captured or sent
 * from a frame but those hashes.
 */
import { KEY_GATE, KEY_TYPED, readKey } from "../shared/storage.js";
import { adoptTyped, setTypingWatch, typed, watchTyping } from "./typed-fields.js";
import { answerTypingNow, noteRecent, setAnswering, watchTypingNow } from "./typing-now.js";

/**
 * The origins this frame belongs to: its own (an about:blank or srcdoc frame inherits its
 * parent's; location.origin would say "null") and every ancestor's.
 */
function frameOrigins() {
  const ancestors = location.ancestorOrigins ? Array.from(location.ancestorOrigins) : [];
  return [globalThis.origin, ...ancestors];
}

// The frame's tab was opened by a work app's tab (a pop-up compose window on another site, its
// editor in a frame): the opener may show what is typed here (the worker knows the opener).
let openedByWorkApp = false;
let askedOpener = false;
let watching = false;
let gateNow = null;

/**
 * Watch typing while the frame, or a page it is in, is a work app (from the gate), or its tab
 * was opened by one.
 */
function applyGate(gate) {
  gateNow = gate;
  const work = (gate && gate.work_origins) || [];
  watching = openedByWorkApp || frameOrigins().some((origin) => work.includes(origin));
  setTypingWatch(watching);
  // The worker asks this frame before masking any event of its tab (content/typing-now.js).
  setAnswering(watching, true);
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

/**
 * On the first key in a frame not watched for its origins, ask the worker whether a work app's
 * tab opened this frame's tab; a frame is not asked sooner, or every frame of every site (ads,
 * widgets) would wake the worker as it loads. Watching from then on hashes what the fields
 * already hold, the key just typed included (content/typed-fields.js, scanFields).
 */
async function askOpener() {
  if (watching || askedOpener || !chrome.runtime || !chrome.runtime.id) return;
  askedOpener = true;
  const reply = await chrome.runtime.sendMessage({ type: "typing-hello" }).catch(() => null);
  if (reply && reply.opened_by_work_app === true) {
    openedByWorkApp = true;
    applyGate(gateNow);
  }
}

/** Start learning: subscribe first, then read the session's salt, hashes and gate. */
export async function start() {
  chrome.storage.onChanged.addListener(onStorageChange);
  watchTyping(shareTyped);
  watchTypingNow();
  chrome.runtime.onMessage.addListener(answerTypingNow);
  for (const type of ["keydown", "input"]) document.addEventListener(type, askOpener, true);
  adoptTyped(await readKey("session", KEY_TYPED));
  applyGate(await readKey("session", KEY_GATE));
}
