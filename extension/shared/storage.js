/**
 * One module owns browser storage: every key name is here. Only functions touch chrome.*, so the
 * module imports cleanly in Node.
 *
 * local   (survives restarts): state, outbox, counts, options.
 * session (cleared when the browser quits; readable by content scripts): pause, gate, lastContact,
 *         typed (a salt and salted hashes of words typed in this session, never the words),
 *         episodes (session id, each tab's id and step), the open task.
 */
export const KEY_STATE = "overt.state";
export const KEY_OUTBOX = "overt.outbox";
export const KEY_COUNTS = "overt.counts";
export const KEY_OPTIONS = "overt.options";
export const KEY_PAUSES = "overt.pauses";
export const KEY_GATE = "overt.gate";
export const KEY_LAST_CONTACT = "overt.lastContact";
export const KEY_EPISODES = "overt.episodes";
export const KEY_TASK = "overt.task";
export const KEY_TYPED = "overt.typed";
/** Per tab, the documents that learn typed words (extension/background/typed-store.js). */
export const KEY_TYPING_FRAMES = "overt.typingFrames";
/** Per tab, when a document of it was last typed in (extension/background/typed-store.js). */
export const KEY_TYPING_TABS = "overt.typingTabs";
/** The last status shown, so the popup and badge have something true to show at start-up. */
export const KEY_LAST_STATUS = "overt.lastStatus";

/** Read one key from an area ("local", "session", "managed"); undefined when absent or failing. */
export async function readKey(area, key) {
  try {
    const got = await chrome.storage[area].get(key);
    return got[key];
  } catch (err) {
    console.warn("overt: storage.%s read failed: %s", area, err && err.message);
    return undefined;
  }
}

/** Write several keys to one area. */
export async function writeKeys(area, values) {
  await chrome.storage[area].set(values);
}

/** Read the whole managed area (enterprise policy); {} when none or unsupported. */
export async function readManaged() {
  try {
    return (await chrome.storage.managed.get(null)) || {};
  } catch {
    return {};
  }
}
