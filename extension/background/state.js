/**
 * The service worker's state. Everything that must survive a worker restart is persisted; the
 * in-memory copy is only a cache, rebuilt by `ready` before any message is handled.
 */
import { STATUS } from "../shared/constants.js";
import { computeGate } from "../shared/gate.js";
import {
  KEY_GATE, KEY_LAST_CONTACT, KEY_PAUSES, KEY_STATE, readKey, writeKeys,
} from "../shared/storage.js";
import { loadConfig } from "./config.js";
import { registerPageWorld } from "./page-world.js";
import { remember, showAll } from "./tab-status.js";

/** Persisted fields (chrome.storage.local). `connected` is live only. */
const PERSISTED = ["pauses", "snooze", "consent", "policy", "lastContact", "employee", "team", "authError", "authErrorToken", "authErrorAt", "signals"];
const CONTACT_WRITE_MS = 10_000;

export const state = {
  configured: false,
  authError: false,
  authErrorToken: null,
  authErrorAt: 0,
  pauses: {},
  snooze: null,
  consent: null,
  policy: null,
  lastContact: null,
  employee: null,
  team: null,
  signals: { gpc: false, dnt: false },
  connected: false,
};
export let config = { server: null, token: null, source: null, graceSeconds: 300 };

let lastGateJson = "";
let lastContactWritten = 0;
let graceTimer = null;

async function restore() {
  const stored = (await readKey("local", KEY_STATE)) || {};
  for (const key of PERSISTED) if (stored[key] !== undefined) state[key] = stored[key];
  // The pause is written to session storage first, so trust it even if the local write was lost.
  const sessionPauses = (await readKey("session", KEY_PAUSES)) || {};
  state.pauses = { ...(state.pauses || {}), ...sessionPauses };
  const sessionContact = await readKey("session", KEY_LAST_CONTACT);
  if (Number.isFinite(sessionContact) && !(state.lastContact > sessionContact)) state.lastContact = sessionContact;
  await reloadConfig();
}

/** Resolves once state is restored; every listener awaits it before doing anything. */
export const ready = restore();

/** Re-read configuration; a new token clears a previous "bad token" verdict. */
export async function reloadConfig() {
  config = await loadConfig();
  state.configured = Boolean(config.server && config.token);
  if (state.authError && state.authErrorToken !== config.token) state.authError = false;
  return config;
}

/** Persist the durable fields to chrome.storage.local. */
export async function saveState() {
  const out = {};
  for (const key of PERSISTED) out[key] = state[key];
  await writeKeys("local", { [KEY_STATE]: out });
}

/** Record contact with the backend (any frame received); written at most every 10 s. */
export function recordContact(now = Date.now(), force = false) {
  state.lastContact = now;
  if (force || now - lastContactWritten >= CONTACT_WRITE_MS) {
    lastContactWritten = now;
    writeKeys("session", { [KEY_LAST_CONTACT]: now }).catch(() => {});
  }
}

/** The gate as of now, from the in-memory state. */
export function currentGate(now = Date.now()) {
  return computeGate(state, now, config.graceSeconds);
}

/** Publish the gate to every tab (via storage.session) and the badge; re-arm the grace timer. */
export async function publishGate() {
  const gate = currentGate();
  armGraceTimer();
  const json = JSON.stringify(gate);
  if (json !== lastGateJson) {
    lastGateJson = json;
    await writeKeys("session", { [KEY_GATE]: gate }); // first: every tab stops at once on a pause
    await remember(gate);
  }
  await showAll(gate, state.connected);
  registerPageWorld(gate.work_origins); // not waited for: nothing above may wait on it
  return gate;
}

/** While offline and capturing, re-check when the grace period runs out (fail closed). */
function armGraceTimer() {
  clearTimeout(graceTimer);
  graceTimer = null;
  if (state.connected || currentGate().status !== STATUS.CAPTURING) return;
  const remaining = state.lastContact + config.graceSeconds * 1000 - Date.now();
  graceTimer = setTimeout(() => publishGate(), Math.max(0, remaining) + 50);
}
