/**
 * Configuration, read in the order docs/extension.md gives: chrome.storage.managed (enterprise policy),
 * then config.json at the extension root (tests, packaged deployments), then the options page.
 * Each of the server and the token comes from the first source that sets it, so a managed server
 * always wins and each employee may still enter their own token; tuning knobs come from
 * config.json or managed storage only.
 */
import {
  BACKOFF_BASE_MS, BACKOFF_MAX_MS, FLUSH_MS, GRACE_SECONDS, KEEPALIVE_MS, OUTBOX_MAX_BYTES,
  OUTBOX_MAX_EVENTS,
} from "../shared/constants.js";
import { KEY_OPTIONS, readKey, readManaged } from "../shared/storage.js";

// setTimeout waits at most 2^31 - 1 ms and fires at once past it: a longer grace period or
// interval made its timer fire again and again (a busy service worker that never failed closed).
const TIMER_MAX_MS = 2 ** 31 - 1;

// name in config.json / managed storage: [name in the config, default, largest value taken]
const KNOBS = {
  grace_seconds: ["graceSeconds", GRACE_SECONDS, Math.floor(TIMER_MAX_MS / 1000)],
  flush_ms: ["flushMs", FLUSH_MS, TIMER_MAX_MS],
  keepalive_ms: ["keepaliveMs", KEEPALIVE_MS, TIMER_MAX_MS],
  backoff_base_ms: ["backoffBaseMs", BACKOFF_BASE_MS, TIMER_MAX_MS],
  backoff_max_ms: ["backoffMaxMs", BACKOFF_MAX_MS, TIMER_MAX_MS],
  outbox_max_events: ["outboxMaxEvents", OUTBOX_MAX_EVENTS, Number.MAX_SAFE_INTEGER],
  outbox_max_bytes: ["outboxMaxBytes", OUTBOX_MAX_BYTES, Number.MAX_SAFE_INTEGER],
};

/** A ws:// or wss:// URL, or null. */
export function validServer(value) {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value.trim());
    return url.protocol === "ws:" || url.protocol === "wss:" ? url.href : null;
  } catch {
    return null;
  }
}

/** The HTTP base of the backend: ws→http, wss→https, path dropped. */
export function httpBase(server) {
  const url = new URL(server);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  return url.origin;
}

/** `value` when it is a JSON object, else {}: a config.json of `null` or a list sets nothing. */
function asObject(value) {
  return value && typeof value === "object" && !Array.isArray(value) ? value : {};
}

async function readConfigFile() {
  try {
    const response = await fetch(chrome.runtime.getURL("config.json"), { cache: "no-store" });
    return response.ok ? asObject(await response.json()) : {};
  } catch {
    return {}; // no config.json: the normal case for an unpacked install
  }
}

/** Each knob from the first source giving a number in its range, else its default. */
export function pickKnobs(...sources) {
  const knobs = {};
  for (const [name, [key, fallback, most]] of Object.entries(KNOBS)) {
    const taken = (v) => Number.isFinite(v) && v > 0 && v <= most;
    const value = sources.map((s) => asObject(s)[name]).find(taken);
    knobs[key] = value ?? fallback;
  }
  return knobs;
}

/**
 * The server and the token, each from the first of `sources` ([name, values] in order) that sets
 * it: {server, token, source, tokenSource} (source: the server's; null where none sets it).
 */
export function chooseConfig(sources) {
  const chosen = { server: null, token: null, source: null, tokenSource: null };
  for (const [name, given] of sources) {
    const values = asObject(given);
    const server = validServer(values.server);
    const token = typeof values.token === "string" ? values.token.trim() : "";
    if (server && !chosen.server) Object.assign(chosen, { server, source: name });
    if (token && !chosen.token) Object.assign(chosen, { token, tokenSource: name });
  }
  return chosen;
}

/** Load the effective configuration: {server, token, source, tokenSource, ...knobs}. */
export async function loadConfig() {
  const managed = await readManaged();
  const file = await readConfigFile();
  const options = (await readKey("local", KEY_OPTIONS)) || {};
  const chosen = chooseConfig([["managed", managed], ["config.json", file], ["options", options]]);
  return { ...chosen, ...pickKnobs(managed, file) };
}
