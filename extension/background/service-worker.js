/**
 * Service worker entry. Every listener is registered synchronously at the top level (MV3 wakes the
 * worker for an event only if its listener exists on the first turn), and every handler awaits
 * `ready` so that state is restored from storage before anything is decided.
 */
import { categoryOf, sanitizeEvent } from "../shared/events.js";
import { effectiveCategories, gateAllows, placeStatus, siteOrigin } from "../shared/gate.js";
import { originOf } from "../shared/redact.js";
import { KEY_OPTIONS } from "../shared/storage.js";
import { countCaptured, countDiscarded, readCounts } from "./counts.js";
import { closeTask, currentSession, currentTask, forgetTab, openTask, restoreEpisodes, stamp } from "./episodes.js";
import { mySessionUrl, putConsent } from "./me-api.js";
import * as store from "./outbox-store.js";
import { snooze, unsnooze } from "./pause.js";
import { showRemembered, showTab } from "./tab-status.js";
import {
  addTyped,
  addTypingFrame,
  forgetTypingFrames,
  learnTyping,
  maskTyped,
  mustAskTyping,
  restoreTyped,
  sharedTyped,
} from "./typed-store.js";
import { applyConsent, ensureConnected, flush, isConnected, reconnect } from "./socket.js";
import { config, currentGate, publishGate, ready, reloadConfig, saveState, state } from "./state.js";

const TICK_ALARM = "overt-tick";
/** Right after start-up, a state not yet confirmed by the server is shown as "checking". */
const CHECKING_MS = 5000;
const workerStartedAt = Date.now();
const SNOOZE_ALARM = "overt-snooze-end";

// The badge is never empty at start-up: the last known state, marked as checking, at once.
showRemembered();

const started = ready.then(async () => {
  await restoreTyped();
  await store.restoreOutboxStore();
  await restoreEpisodes();
  await publishGate();
  ensureConnected();
});

// Content scripts read the gate from session storage so that a pause stops every tab at once.
chrome.storage.session.setAccessLevel({ accessLevel: "TRUSTED_AND_UNTRUSTED_CONTEXTS" }).catch(() => {});
// Re-creating an alarm restarts its period: only create it when missing, or a worker restarted
// more often than every 30 s would never see it fire.
chrome.alarms.get(TICK_ALARM).then((alarm) => alarm || chrome.alarms.create(TICK_ALARM, { periodInMinutes: 0.5 }));

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  started
    .then(() => handleMessage(message, sender))
    .then(sendResponse, (err) => sendResponse({ ok: false, error: String((err && err.message) || err), code: err && err.code }));
  return true; // the response is sent asynchronously
});

chrome.alarms.onAlarm.addListener(async (alarm) => {
  await started;
  if (alarm.name === SNOOZE_ALARM && state.snooze && state.snooze.until !== null && state.snooze.until <= Date.now()) {
    await unsnooze();
  }
  await publishGate(); // also fails closed once the grace period has run out
  ensureConnected();
});

chrome.storage.onChanged.addListener(async (changes, area) => {
  if (area === "managed" || (area === "local" && changes[KEY_OPTIONS])) {
    await started;
    await reloadConfig();
    await saveState();
    await publishGate();
    reconnect();
  }
});

chrome.tabs.onActivated.addListener(({ tabId }) => notifyTabFocus(tabId));

chrome.tabs.onRemoved.addListener((tabId) => started.then(() => {
  greeted.delete(tabId);
  forgetTab(tabId);
  forgetTypingFrames(tabId);
}));

// A tab's badge follows its address: a work app or not.
chrome.tabs.onUpdated.addListener(async (tabId, change, tab) => {
  if (!change.url && change.status !== "loading") return;
  await started;
  showTab(tab, currentGate(), isConnected());
});

chrome.windows.onFocusChanged.addListener(async (windowId) => {
  if (windowId === chrome.windows.WINDOW_ID_NONE) return;
  const [tab] = await chrome.tabs.query({ active: true, windowId }).catch(() => []);
  if (tab) notifyTabFocus(tab.id);
});

/** Ask the tab's content script to record a tab_focus (it knows its URL, title and the gate). */
function notifyTabFocus(tabId) {
  chrome.tabs.sendMessage(tabId, { type: "tab-focus" }).catch(() => {}); // no content script there
}

/** The popup and options pages (also when opened in a tab), never a content script. */
const fromExtensionPage = (sender) =>
  sender.id === chrome.runtime.id && typeof sender.url === "string" && sender.url.startsWith(chrome.runtime.getURL(""));

async function handleMessage(message, sender) {
  const type = message && message.type;
  if (sender.tab && !fromExtensionPage(sender)) {
    if (type === "capture") return onCapture(message.event, sender);
    if (type === "content-hello") return onContentHello(message, sender);
    if (type === "typed") return addTyped(message.salt, message.hashes);
    if (type === "typing-frame") return addTypingFrame(sender.tab.id, sender.frameId, message.typing);
    if (type === "typing-hello") return { ok: true, opened_by_work_app: await openedByWorkApp(sender.tab) };
  } else if (fromExtensionPage(sender)) {
    switch (type) {
      case "status": return statusReport(message.url);
      case "set-consent": return setConsent(message.categories, message.confirm === true, message.url);
      case "snooze": await snooze(message.minutes ?? null); return statusReport(message.url);
      case "unsnooze": await unsnooze(); return statusReport(message.url);
      case "open-my-data": return openMyData();
      case "reconnect": await reloadConfig(); reconnect(); return statusReport();
      case "task-start": return startTask(message.goal, message.url);
      case "task-end": return endTask(message.outcome, message.url);
      default: break;
    }
  }
  console.warn("overt: unknown message type %s", type);
  return { ok: false, error: "unknown message" };
}

/** A content script starting up: record privacy signals, return the gate. */
async function onContentHello(message, sender) {
  const dnt = Boolean(message.signals && message.signals.dnt);
  const gpc = Boolean(message.signals && message.signals.gpc);
  if (dnt !== state.signals.dnt || gpc !== state.signals.gpc) {
    state.signals = { dnt, gpc };
    await saveState();
  }
  ensureConnected();
  const opened = await openedByWorkApp(sender.tab);
  greeted.add(sender.tab.id);
  return { ok: true, gate: currentGate(), origin: originOf(sender.url), typed: sharedTyped(), opened_by_work_app: opened };
}

/** Tabs whose top document's content script has said hello since this worker started. */
const greeted = new Set();

/**
 * Whether a work app's tab opened this one (a pop-up compose window, a link opened in a new tab):
 * a page elsewhere, too, learns the words typed in it (content/capture.js), which its opener may
 * show back.
 */
async function openedByWorkApp(tab) {
  if (!Number.isInteger(tab.openerTabId)) return false;
  const opener = await chrome.tabs.get(tab.openerTabId).catch(() => null);
  return Boolean(opener && !opener.incognito && currentGate().work_origins.includes(originOf(opener.url || "")));
}

/** Per tab, the last event still waiting for typed words (keeps the tab's order). */
const tabTurns = new Map();

/** Gate, redact and enqueue one event from a content script (never trust the content side). */
async function onCapture(raw, sender) {
  const origin = originOf(sender.url);
  if (sender.tab.incognito || !raw || originOf(raw.url) !== origin) return { ok: false, error: "origin" };
  const allowed = () => gateAllows(currentGate(), origin, categoryOf(raw.type));
  if (!allowed()) return { ok: false, error: "gate" };
  const tabId = sender.tab.id;
  const before = tabTurns.get(tabId);
  if (!before && !mustAskTyping(tabId)) return enqueueCaptured(raw, tabId);
  // A frame of the tab, or another tab just typed in, learns typed words: ask first
  // (extension/background/typed-store.js), one event at a time so that steps still follow the
  // order of arrival.
  let release;
  const turn = new Promise((resolve) => (release = resolve));
  tabTurns.set(tabId, turn);
  try {
    await before;
    if (!(await learnTyping(tabId))) {
      countDiscarded(1); // a document that learns typed words did not answer: not sent unvouched for
      return { ok: false, error: "typing_silent" };
    }
    // A pause or a withdrawal may have come while the frames answered: it wins.
    if (!allowed()) return { ok: false, error: "gate" };
    return enqueueCaptured(raw, tabId);
  } finally {
    release();
    if (tabTurns.get(tabId) === turn) tabTurns.delete(tabId);
  }
}

async function enqueueCaptured(raw, tabId) {
  const event = sanitizeEvent(raw, crypto.randomUUID(), maskTyped);
  if (!event || !event.page) return { ok: false, error: "invalid" };
  const stamped = stamp(event, tabId); // synchronous: steps follow the order of arrival
  await enqueue(event);
  await stamped;
  return { ok: true };
}

async function enqueue(event) {
  store.add([event]);
  countCaptured([event]);
  await store.persist();
  ensureConnected();
  flush();
}

/** The URL a task event carries: the active work-app tab's, else the first work app's. */
async function taskUrl(gate) {
  const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true }).catch(() => []);
  if (tab && tab.url && !tab.incognito && gate.origins.includes(originOf(tab.url))) return tab.url;
  return gate.origins.length ? `${gate.origins[0]}/` : null;
}

/** The popup's "Start a task": a task_start with the goal; later events carry the task id. */
async function startTask(goal, pageUrl) {
  const gate = currentGate();
  const url = await taskUrl(gate);
  if (currentTask()) return { ok: false, error: "A task is already open: finish it first." };
  if (!url || !gateAllows(gate, originOf(url), "tasks")) {
    return { ok: false, error: "Tasks are not captured: turn on Tasks in your choices (and resume)." };
  }
  const opened = await openTask(String(goal || "").trim());
  const event = sanitizeEvent({ type: "task_start", ts: Date.now(), url, task: opened.task, goal: opened.goal }, crypto.randomUUID(), maskTyped);
  if (!event) {
    await closeTask();
    return { ok: false, error: "Write a short goal first." };
  }
  event.session = currentSession();
  await enqueue(event);
  return statusReport(pageUrl);
}

/** "Done" or "Abandoned": a task_end, and events stop carrying the task id. */
async function endTask(outcome, pageUrl) {
  const closed = await closeTask();
  if (!closed) return statusReport(pageUrl);
  const gate = currentGate();
  const url = await taskUrl(gate);
  if (url && gateAllows(gate, originOf(url), "tasks")) {
    const event = sanitizeEvent({ type: "task_end", ts: Date.now(), url, task: closed.task, outcome }, crypto.randomUUID());
    if (event) {
      event.session = currentSession();
      await enqueue(event);
    }
  }
  return statusReport(pageUrl);
}

/** The state for the popup; `url` is the current tab's (null: no site), for what capture does there. */
async function statusReport(url = null) {
  const gate = currentGate();
  const policy = state.policy || {};
  return {
    ok: true,
    status: gate.status,
    place: placeStatus(gate, siteOrigin(url)),
    site: siteOrigin(url) !== null,
    checking: !isConnected() && state.configured && !state.authError && Date.now() - workerStartedAt < CHECKING_MS,
    origin: siteOrigin(url) || "",
    on: effectiveCategories(state.consent, state.policy),
    connected: isConnected(),
    pauses: Object.values(state.pauses),
    snooze: state.snooze,
    employee: state.employee,
    team: state.team,
    consent: (state.consent && state.consent.categories) || {},
    policy: { categories: policy.categories || [], purpose: policy.purpose || "", retention_days: policy.retention_days ?? null, allowed_origins: policy.allowed_origins || [] },
    counts: await readCounts(),
    outbox: store.box.entries.length,
    task: currentTask(),
    server: config.server,
    source: config.source,
    token_source: config.tokenSource,
  };
}

async function setConsent(categories, confirm, url) {
  const result = await putConsent(categories, confirm);
  await applyConsent({ categories: result.categories || {} });
  return statusReport(url);
}

async function openMyData() {
  const url = await mySessionUrl();
  await chrome.tabs.create({ url });
  return { ok: true };
}

// Read-only hooks for debugging from the worker console (and the e2e tests).
globalThis.overt = { state, config: () => config, outbox: () => store.box, counts: readCounts, started, greeted: (tabId) => greeted.has(tabId) };
