/**
 * The service worker's copy of the session's typed-word hashes (extension/shared/typed-words.js).
 * Kept in chrome.storage.session, which the browser clears when it quits, so every tab of the
 * session (and a restarted worker) masks the same words. Holds a salt and hashes, never text.
 */
import { KEY_TYPED, readKey, writeKeys } from "../shared/storage.js";
import { newSalt, TypedWords } from "../shared/typed-words.js";

const WRITE_DELAY_MS = 30;

export const typed = new TypedWords();
let writeTimer = null;
let writing = Promise.resolve();

/** Restore the salt and hashes, or start the session's salt; call before handling messages. */
export async function restoreTyped() {
  const stored = await readKey("session", KEY_TYPED);
  if (stored && Number.isInteger(stored.salt)) {
    typed.merge(stored.salt, stored.hashes);
    return;
  }
  typed.merge(newSalt(), []);
  await save();
}

function save() {
  writing = writing.then(() =>
    writeKeys("session", { [KEY_TYPED]: { salt: typed.salt, hashes: [...typed.hashes] } }),
  ).catch((err) => console.warn("overt: typed hashes not saved: %s", err && err.message));
  return writing;
}

/** Merge hashes a content script learnt; other tabs see them through storage.session. */
export function addTyped(salt, hashes) {
  if (salt !== typed.salt || !Array.isArray(hashes)) return { ok: false, error: "salt" };
  typed.merge(salt, hashes.filter((h) => typeof h === "string" && h.length <= 16));
  clearTimeout(writeTimer);
  writeTimer = setTimeout(save, WRITE_DELAY_MS);
  return { ok: true };
}

/**
 * Per tab, the frames that learn typed words (content/frame-typing.js), in memory only. The top
 * document learns the words still in its own fields before it describes anything
 * (content/typed-fields.js, flushTyped); a frame's fields it cannot read, and a frame's own
 * message with its hashes may arrive after the event the page built from them. So before an
 * event of the tab is masked, its frames are asked for the hashes of their last moments.
 */
const typingFrames = new Map();
const ASK_TIMEOUT_MS = 1000;

/** A frame of the tab learns typed words: ask it before masking the tab's events. */
export function addTypingFrame(tabId, frameId) {
  if (!Number.isInteger(tabId) || !Number.isInteger(frameId) || frameId === 0) return { ok: false };
  if (!typingFrames.has(tabId)) typingFrames.set(tabId, new Set());
  typingFrames.get(tabId).add(frameId);
  return { ok: true };
}

/** Whether a frame of the tab learns typed words. */
export const hasTypingFrames = (tabId) => Boolean(typingFrames.get(tabId)?.size);

/** The tab was closed: forget its frames. */
export const forgetTypingFrames = (tabId) => typingFrames.delete(tabId);

async function askFrame(tabId, frameId) {
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve("timeout"), ASK_TIMEOUT_MS)));
  const reply = await Promise.race([
    chrome.tabs.sendMessage(tabId, { type: "typing-now", at: Date.now() }, { frameId }).catch(() => null),
    timeout,
  ]);
  clearTimeout(timer);
  if (reply === "timeout") return;
  if (!reply || !reply.watching) {
    typingFrames.get(tabId)?.delete(frameId); // the frame is gone, or no longer a work app's
    return;
  }
  if (reply.ok) addTyped(reply.salt, reply.hashes);
}

/** Learn what the tab's frames typed in their last moments (call before masking its event). */
export async function learnFrames(tabId) {
  const frames = typingFrames.get(tabId);
  if (!frames || !frames.size) return;
  await Promise.all([...frames].map((frameId) => askFrame(tabId, frameId)));
}

/** What a content script needs to start: the salt and the hashes so far. */
export const sharedTyped = () => ({ salt: typed.salt, hashes: [...typed.hashes] });

/** Mask typed words in `text` (the worker's own check of every event). */
export const maskTyped = (text) => typed.mask(text);
