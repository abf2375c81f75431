/**
 * The WebSocket to the backend: hello/welcome, batched `events` frames, acks, pause/resume,
 * consent and policy pushes, keepalive, reconnect with backoff. The live socket is a global on
 * purpose: it dies with the worker, and the outbox in storage is what survives.
 */
import { backoffDelay } from "../shared/backoff.js";
import { MAX_EVENTS_PER_FRAME, MAX_INFLIGHT_FRAMES } from "../shared/constants.js";
import { effectiveCategories } from "../shared/gate.js";
import * as outbox from "../shared/outbox.js";
import { countDiscarded, countRejected, countSent } from "./counts.js";
import * as store from "./outbox-store.js";
import { applyPause, applyResume, applyWelcomePause } from "./pause.js";
import { config, publishGate, recordContact, saveState, state } from "./state.js";

let socket = null;
let welcomed = false;
let attempt = 0;
let reconnectTimer = null;
let keepaliveTimer = null;
let flushTimer = null;
/** Frames are handled one at a time, in order: each may await storage writes. */
let frameChain = Promise.resolve();

/** Error codes that mean "this configuration is refused": wait for a new one, don't hot-loop. */
const REFUSED_CODES = new Set(["bad_token", "bad_hello", "hello_required", "origin_not_allowed"]);
/** A refused configuration is still retried this rarely (an admin may fix the server side). */
const REFUSED_RETRY_MS = 10 * 60_000;

/** Send a frame if the socket is open; returns whether it was sent. */
export function send(frame) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

function privacySignals() {
  const nav = self.navigator || {};
  return { gpc: nav.globalPrivacyControl === true, dnt: nav.doNotTrack === "1" || state.signals?.dnt === true };
}

/** Open the socket unless it is open, opening, waiting to retry, unconfigured or refused. */
export function ensureConnected() {
  if (socket || reconnectTimer || !state.configured) return;
  if (state.authError && Date.now() - (state.authErrorAt || 0) < REFUSED_RETRY_MS) return;
  let ws;
  try {
    ws = new WebSocket(config.server);
  } catch (err) {
    console.warn("overt: bad server URL: %s", err && err.message);
    return;
  }
  socket = ws;
  welcomed = false;
  ws.onopen = () => onOpen(ws);
  ws.onmessage = (ev) => onMessage(ws, ev);
  ws.onclose = (ev) => onClose(ws, ev);
  ws.onerror = () => {}; // onclose follows and decides what to do
}

/** Close and reconnect now (configuration changed). */
export function reconnect() {
  state.authError = false; // an explicit new configuration deserves a fresh try
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  attempt = 0;
  if (socket) socket.close(1000, "reconfigured");
  socket = null;
  state.connected = false;
  ensureConnected();
}

function onOpen(ws) {
  if (ws !== socket) return;
  send({
    type: "hello",
    token: config.token,
    client: { version: chrome.runtime.getManifest().version, user_agent: self.navigator.userAgent },
    signals: privacySignals(),
    dropped: store.box.dropped,
  });
  clearInterval(keepaliveTimer);
  keepaliveTimer = setInterval(() => keepalive(ws), config.keepaliveMs);
}

/** Ping; a socket that has not answered for two rounds is half-open: drop it and reconnect. */
function keepalive(ws) {
  if (ws !== socket) return;
  if (welcomed && Date.now() - state.lastContact > 2 * config.keepaliveMs + 5000) {
    console.warn("overt: no answer from the server; reconnecting");
    onClose(ws, { code: 1006, silent: true });
    ws.close();
    return;
  }
  send({ type: "ping" });
}

async function onClose(ws, ev) {
  if (ws !== socket) return;
  // The grace period starts at the last contact. A socket that closes counts as contact up to
  // now; a silent link does not: its last contact is its last frame, two keepalive rounds ago.
  if (welcomed) recordContact(ev.silent ? state.lastContact : Date.now(), true);
  socket = null;
  welcomed = false;
  state.connected = false;
  clearInterval(keepaliveTimer);
  if (ev.code === 1008 || state.authError) {
    await markRefused(); // show it and wait for a new configuration instead of hot-looping
  } else {
    const delay = backoffDelay(attempt++, { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs });
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      ensureConnected();
    }, delay);
  }
  await publishGate();
}

async function markRefused() {
  state.authError = true;
  state.authErrorToken = config.token;
  state.authErrorAt = Date.now();
  await saveState();
}

async function onMessage(ws, ev) {
  if (ws !== socket) return;
  recordContact();
  let frame;
  try {
    frame = JSON.parse(ev.data);
  } catch {
    console.warn("overt: ignoring a frame that is not JSON");
    return;
  }
  if (frame && frame.type === "pause" && frame.pause_id) {
    // Stop at once, before queued frames are handled: events arriving from now on are dropped.
    state.pauses = { ...state.pauses, [String(frame.pause_id)]: { pause_id: String(frame.pause_id) } };
  }
  frameChain = frameChain.then(() => handleFrame(frame)).catch((err) => {
    console.warn("overt: frame %s not handled: %s", frame && frame.type, err && err.message);
  });
  await frameChain;
}

async function handleFrame(frame) {
  switch (frame && frame.type) {
    case "welcome": return onWelcome(frame);
    case "ack": return onAck(frame);
    case "pause": return applyPause(frame, send);
    case "resume": return applyResume(frame.pause_id);
    case "consent": return applyConsent({ categories: frame.categories });
    case "policy": return applyPolicy(frame);
    case "ping": return send({ type: "pong" });
    case "pong": return undefined;
    case "error": return onError(frame);
    default:
      console.warn("overt: unknown frame type %s", frame && frame.type);
      return undefined;
  }
}

async function onError(frame) {
  console.warn("overt: server error %s", frame.code);
  if (REFUSED_CODES.has(frame.code)) {
    await markRefused();
    if (socket) socket.close(1000, "refused");
    await publishGate();
  } else if (frame.code === "unavailable" && Number.isInteger(frame.seq)) {
    // Not stored: send that frame again after a pause rather than wait for a reconnect.
    outbox.requeueFrame(store.box, frame.seq);
    setTimeout(flush, backoffDelay(2, { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs }));
  } else if (Number.isInteger(frame.seq)) {
    // The whole frame was refused (malformed): resending would fail again, so count and drop it.
    const dropped = outbox.acknowledge(store.box, frame.seq);
    countRejected(dropped.map(() => ({ code: frame.code })));
    await store.persist();
  }
}

async function onWelcome(frame) {
  attempt = 0;
  welcomed = true;
  state.connected = true;
  state.employee = frame.employee ?? null;
  state.team = frame.team ?? null;
  state.authError = false;
  outbox.takeDropped(store.box); // reported in hello
  state.policy = frame.policy || null;
  await applyConsent(frame.consent || { categories: {} });
  await applyWelcomePause(frame.pause, send);
  await saveState();
  await publishGate();
  outbox.requeueInflight(store.box);
  await store.persist();
  flush();
}

async function onAck(frame) {
  const acked = outbox.acknowledge(store.box, frame.seq);
  await store.persist();
  const rejected = Array.isArray(frame.rejected) ? frame.rejected : [];
  const bad = new Set(rejected.map((r) => r.index));
  countSent(acked.filter((_, i) => !bad.has(i)));
  if (rejected.length) countRejected(rejected);
  flush();
}

/** New consent: categories switched off lose their queued events at once. */
export async function applyConsent(consent) {
  const before = effectiveCategories(state.consent, state.policy);
  state.consent = { categories: { ...(consent.categories || {}) } };
  const after = effectiveCategories(state.consent, state.policy);
  const withdrawn = before.filter((c) => !after.includes(c));
  if (withdrawn.length) {
    const discarded = outbox.discardCategories(store.box, withdrawn);
    await store.persist();
    if (discarded) countDiscarded(discarded);
  }
  await saveState();
  await publishGate();
}

async function applyPolicy(frame) {
  const { type: _type, ...policy } = frame;
  state.policy = policy;
  await applyConsent(state.consent || { categories: {} });
}

/** Send due frames (50 events or 1 s), keeping at most a few frames in flight. */
export function flush() {
  clearTimeout(flushTimer);
  flushTimer = null;
  if (!welcomed || !socket || socket.readyState !== WebSocket.OPEN) return;
  const unsent = outbox.unsentCount(store.box);
  if (!unsent) return;
  const due = outbox.shouldFlush(unsent, store.firstUnsentAt, Date.now(), { flushMs: config.flushMs });
  if (!due) {
    const wait = config.flushMs - (Date.now() - store.firstUnsentAt);
    flushTimer = setTimeout(flush, Math.max(10, wait));
    return;
  }
  let frames = 0;
  while (outbox.inflightSeqs(store.box).length < MAX_INFLIGHT_FRAMES) {
    const frame = outbox.nextFrame(store.box, MAX_EVENTS_PER_FRAME);
    if (!frame) break;
    send(frame);
    frames++;
  }
  store.markFlushed();
  if (frames) store.persist();
  if (outbox.unsentCount(store.box) && outbox.inflightSeqs(store.box).length < MAX_INFLIGHT_FRAMES) flush();
}

/** Whether the socket is open and welcomed. */
export const isConnected = () => welcomed && socket !== null;
