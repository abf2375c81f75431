/**
 * The service worker's copy of the session's typed-word hashes (extension/shared/typed-words.js).
 * Kept in chrome.storage.session, which the browser clears when it quits, so every tab of the
 * session (and a restarted worker) masks the same words. Holds a salt and hashes, never text.
 */
import { KEY_TYPED, KEY_TYPING_FRAMES, readKey, writeKeys } from "../shared/storage.js";
import { newSalt, TypedWords } from "../shared/typed-words.js";

const WRITE_DELAY_MS = 30;

export const typed = new TypedWords();
let writeTimer = null;
let writing = Promise.resolve();

/** Restore the salt and hashes, or start the session's salt; call before handling messages. */
export async function restoreTyped() {
  const frames = await readKey("session", KEY_TYPING_FRAMES);
  for (const [tabId, frameIds] of Object.entries(frames || {})) {
    if (Array.isArray(frameIds)) typingFrames.set(Number(tabId), new Set(frameIds.filter(Number.isInteger)));
  }
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
 * Per tab, the frames that learn typed words (content/frame-typing.js), kept in session storage
 * too: a restarted worker must go on asking them (a frame registers again only every few
 * seconds, and the page may show its words meanwhile). The top
 * document learns the words still in its own fields before it describes anything
 * (content/typed-fields.js, flushTyped); a frame's fields it cannot read, and a frame's own
 * message with its hashes may arrive after the event the page built from them. So before an
 * event of the tab is masked, its frames are asked for the hashes of their last moments.
 */
const typingFrames = new Map();
// A frame answers with the hashes of the moments before it was asked (content/frame-typing.js
// keeps them for 10 s), so a busy frame's late answer is still the right one: wait for it, up to
// ASK_LIMIT_MS (an editor busy with every key, keys queued before the question, answers seconds
// late). Past that the frame is silent: the tab's events are dropped, never sent unvouched for,
// until it answers again.
const ASK_LIMIT_MS = 5000;
const silentFrames = new Map(); // tabId -> Set of frameIds asked and not answered in time

/** A frame of the tab learns typed words: ask it before masking the tab's events. */
export function addTypingFrame(tabId, frameId) {
  if (!Number.isInteger(tabId) || !Number.isInteger(frameId) || frameId === 0) return { ok: false };
  if (!typingFrames.has(tabId)) typingFrames.set(tabId, new Set());
  const frames = typingFrames.get(tabId);
  if (!frames.has(frameId)) {
    frames.add(frameId);
    saveFrames();
  }
  return { ok: true };
}

function saveFrames() {
  const stored = Object.fromEntries([...typingFrames].map(([tabId, frames]) => [tabId, [...frames]]));
  writeKeys("session", { [KEY_TYPING_FRAMES]: stored }).catch((err) =>
    console.warn("overt: typing frames not saved: %s", err && err.message),
  );
}

/** Whether a frame of the tab learns typed words. */
export const hasTypingFrames = (tabId) => Boolean(typingFrames.get(tabId)?.size);

/** The tab was closed: forget its frames. */
export function forgetTypingFrames(tabId) {
  silentFrames.delete(tabId);
  if (typingFrames.delete(tabId)) saveFrames();
}

function setSilent(tabId, frameId, silent) {
  if (!silent) {
    silentFrames.get(tabId)?.delete(frameId); // never a new entry: the tab may be closed by now
    return;
  }
  if (!silentFrames.has(tabId)) silentFrames.set(tabId, new Set());
  silentFrames.get(tabId).add(frameId);
}

function takeReply(tabId, frameId, reply) {
  setSilent(tabId, frameId, false);
  if (!reply || !reply.watching) {
    if (typingFrames.get(tabId)?.delete(frameId)) saveFrames(); // the frame is gone, or no longer a work app's
    return;
  }
  if (reply.ok) addTyped(reply.salt, reply.hashes);
}

/** Ask one frame; true once it answered (or is gone), false if it is silent. */
async function askFrame(tabId, frameId) {
  const answered = chrome.tabs
    .sendMessage(tabId, { type: "typing-now", at: Date.now() }, { frameId })
    .catch(() => null)
    .then((reply) => {
      takeReply(tabId, frameId, reply);
      return true;
    });
  // Already silent: asked again (its answer ends the silence), but not waited for.
  if (silentFrames.get(tabId)?.has(frameId)) return false;
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ASK_LIMIT_MS)));
  const result = await Promise.race([answered, late]);
  clearTimeout(timer);
  if (!result) setSilent(tabId, frameId, true);
  return result;
}

/**
 * Learn what the tab's frames typed in their last moments (call before masking its event).
 * False when a frame stayed silent: the event may show what it typed, and must not be sent.
 */
export async function learnFrames(tabId) {
  const frames = typingFrames.get(tabId);
  if (!frames || !frames.size) return true;
  const answers = await Promise.all([...frames].map((frameId) => askFrame(tabId, frameId)));
  return answers.every(Boolean);
}

/** What a content script needs to start: the salt and the hashes so far. */
export const sharedTyped = () => ({ salt: typed.salt, hashes: [...typed.hashes] });

/** Mask typed words in `text` (the worker's own check of every event). */
export const maskTyped = (text) => typed.mask(text);
