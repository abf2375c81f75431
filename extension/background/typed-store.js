/**
 * The service worker's copy of the session's typed-word hashes (extension/shared/typed-words.js).
 * Kept in chrome.storage.session, which the browser clears when it quits, so every tab of the
 * session (and a restarted worker) masks the same words. Holds a salt and hashes, never text.
 */
import { KEY_TYPED, KEY_TYPING_FRAMES, KEY_TYPING_TABS, readKey, writeKeys } from "../shared/storage.js";
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
  for (const [tabId, at] of Object.entries((await readKey("session", KEY_TYPING_TABS)) || {})) {
    if (Number.isFinite(at)) typedAt.set(Number(tabId), at);
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
 * The documents that learn typed words (content/typing-now.js), kept in session storage too: a
 * restarted worker must go on asking them (a document says so again only every few seconds, and
 * a page may show its words meanwhile).
 *
 * Another document may show what is typed in one before that one's message with its hashes
 * arrives, even a word not finished yet: the page around an editor frame that posts every key,
 * an opener window showing the draft typed in its pop-up compose window (in the pop-up's top
 * document or in an editor frame of it), a tab of the app told through a BroadcastChannel. A top
 * document learns the words still in its own fields before it describes anything
 * (content/typed-fields.js, flushTyped), but not another document's. So before an event is
 * masked, these are asked for the hashes of their last moments: the frames of the event's tab,
 * and every such document of each other tab typed in within TAB_TYPING_MS.
 */
const typingFrames = new Map(); // tabId -> Set of frameIds (0: the top document)
const typedAt = new Map(); // tabId -> when a document of the tab last said it is typed in
// A document keeps its hashes 10 s and says it is typed in every 2 s while it is.
const TAB_TYPING_MS = 12_000;
// A document answers with the hashes of the moments before it was asked (content/typing-now.js
// keeps them for 10 s), so a busy document's late answer is still the right one: wait for it, up
// to ASK_LIMIT_MS (an editor busy with every key, keys queued before the question, answers
// seconds late). Past that it is silent: the events it was asked for are dropped, never sent
// unvouched for, until it answers again.
const ASK_LIMIT_MS = 5000;
const silentFrames = new Map(); // tabId -> Set of frameIds asked and not answered in time

/**
 * A document of the tab learns typed words: ask it before masking events (a frame: its tab's;
 * any document, once `typing`: other tabs' too, for TAB_TYPING_MS).
 */
export function addTypingFrame(tabId, frameId, typing = false) {
  if (!Number.isInteger(tabId) || !Number.isInteger(frameId) || frameId < 0) return { ok: false };
  if (!typingFrames.has(tabId)) typingFrames.set(tabId, new Set());
  typingFrames.get(tabId).add(frameId);
  if (typing === true) typedAt.set(tabId, Date.now());
  saveFrames();
  return { ok: true };
}

function saveFrames() {
  const frames = Object.fromEntries([...typingFrames].map(([tabId, ids]) => [tabId, [...ids]]));
  writeKeys("session", { [KEY_TYPING_FRAMES]: frames, [KEY_TYPING_TABS]: Object.fromEntries(typedAt) }).catch(
    (err) => console.warn("overt: typing frames not saved: %s", err && err.message),
  );
}

/** The [tabId, frameId] of the documents to ask before masking an event of the tab. */
function typingSources(tabId) {
  const sources = [];
  for (const frameId of typingFrames.get(tabId) || []) {
    if (frameId !== 0) sources.push([tabId, frameId]); // the event's own document flushed its fields
  }
  const now = Date.now();
  for (const [other, at] of typedAt) {
    if (now - at > TAB_TYPING_MS) {
      typedAt.delete(other); // no longer typed in: its words were shared long ago
      silentFrames.get(other)?.delete(0); // a top document is asked for other tabs only
    } else if (other !== tabId) {
      for (const frameId of typingFrames.get(other) || []) sources.push([other, frameId]);
    }
  }
  return sources;
}

/** Whether a document must be asked for typed words before an event of the tab is masked. */
export const mustAskTyping = (tabId) => typingSources(tabId).length > 0;

/** The tab was closed: forget its frames. */
export function forgetTypingFrames(tabId) {
  silentFrames.delete(tabId);
  const had = typingFrames.delete(tabId);
  if (typedAt.delete(tabId) || had) saveFrames();
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
    // The document is gone, or no longer a work app's: not asked again until it says so.
    if (typingFrames.get(tabId)?.delete(frameId)) saveFrames();
    return;
  }
  if (reply.ok) addTyped(reply.salt, reply.hashes);
}

/** Ask one document; true once it answered (or is gone), false if it is silent. */
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
 * Learn what was typed in the last moments wherever the tab's event may show it (call before
 * masking it). False when a document stayed silent: the event may show what it typed, and must
 * not be sent.
 */
export async function learnTyping(tabId) {
  const sources = typingSources(tabId);
  if (!sources.length) return true;
  const answers = await Promise.all(sources.map(([tab, frameId]) => askFrame(tab, frameId)));
  return answers.every(Boolean);
}

/** What a content script needs to start: the salt and the hashes so far. */
export const sharedTyped = () => ({ salt: typed.salt, hashes: [...typed.hashes] });

/**
 * Mask typed words in `text` (the worker's own check of every event); its encodedRuns unencodes
 * a URL's path before it is redacted (extension/shared/redact.js).
 */
export const maskTyped = Object.assign((text) => typed.mask(text), { encodedRuns: (text) => typed.maskEncodedRuns(text) });
