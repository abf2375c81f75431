/**
 * What the badge says for each tab: capturing only on a work app with a category on, else why
 * not (extension/shared/gate.js placeStatus). At start-up, the last known state is shown at once,
 * marked as checking, until the worker has restored its state.
 */
import { placeStatus } from "../shared/gate.js";
import { originOf } from "../shared/redact.js";
import { KEY_LAST_STATUS, readKey, writeKeys } from "../shared/storage.js";
import { showStatus } from "./badge.js";

let published = false;

/** Show the remembered state, marked as checking, unless a fresh one was shown meanwhile. */
export async function showRemembered() {
  const last = await readKey("local", KEY_LAST_STATUS);
  if (!published && last && last.status) {
    showStatus(placeStatus(last, ""), { checking: true });
  }
}

/** Remember the gate for the next start-up (only status, categories and origins). */
export async function remember(gate) {
  const { status, categories, origins } = gate;
  await writeKeys("local", { [KEY_LAST_STATUS]: { status, categories, origins, at: Date.now() } });
}

/** Set the badge of one tab from its URL. */
export function showTab(tab, gate, connected) {
  if (!tab || !Number.isInteger(tab.id)) return;
  showStatus(placeStatus(gate, originOf(tab.url || "")), { connected, tabId: tab.id });
}

/** Set the default badge and every open tab's. */
export async function showAll(gate, connected) {
  published = true;
  showStatus(placeStatus(gate, ""), { connected });
  const tabs = await chrome.tabs.query({}).catch(() => []);
  for (const tab of tabs) showTab(tab, gate, connected);
}
