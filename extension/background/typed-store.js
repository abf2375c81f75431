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

/** What a content script needs to start: the salt and the hashes so far. */
export const sharedTyped = () => ({ salt: typed.salt, hashes: [...typed.hashes] });

/** Mask typed words in `text` (the worker's own check of every event). */
export const maskTyped = (text) => typed.mask(text);
