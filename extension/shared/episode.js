/**
 * Episode ids and the per-tab step counter, as plain data. The service worker keeps the state in
 * chrome.storage.session (it survives a worker restart, and a browser restart starts a new session).
 * State: {session, tabs: {chromeTabId: {tab, step}}}.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random token `prefix` + 12 characters: the backend accepts 8-32 of [A-Za-z0-9_-]. */
export function randomToken(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return prefix + Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("");
}

export function newEpisodes() {
  return { session: randomToken("s_"), tabs: {} };
}

/** Return {session, tab, step} for the next event of Chrome's tab `tabId`, advancing its counter. */
export function nextStep(episodes, tabId) {
  const key = String(tabId);
  const entry = episodes.tabs[key] || (episodes.tabs[key] = { tab: randomToken("t_"), step: 0 });
  return { session: episodes.session, tab: entry.tab, step: entry.step++ };
}

/** Forget a closed tab. */
export function closeTab(episodes, tabId) {
  delete episodes.tabs[String(tabId)];
}
