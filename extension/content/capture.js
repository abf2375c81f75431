/**
 * Capture in the page. Listens, describes elements without their content, redacts, and hands each
 * event to the service worker, which checks the gate again. Never reads an input's value, a key
 * or a character; skips everything inside [data-overt-ignore].
 */
import { INPUT_WINDOW_MS, SCROLL_THROTTLE_MS } from "../shared/constants.js";
import { randomToken } from "../shared/episode.js";
import { categoryOf, sanitizeEvent } from "../shared/events.js";
import { gateAllows } from "../shared/gate.js";
import { commandKey } from "../shared/keys.js";
import { choiceKey, CONTENT_LABEL, dataRegionOf, looksLikeVocabulary, MAX_NAME_CHARS } from "../shared/label-policy.js";
import { describeSubmit, describeTarget, isIgnored } from "../shared/selector.js";
import { KEY_GATE, KEY_PAUSES, KEY_TYPED } from "../shared/storage.js";
import { titleWithoutRecords } from "../shared/title-policy.js";
import * as structure from "./page-structure.js";
import { watchRoutes } from "./routes.js";
import { adoptTyped, flushTyped, setTypingWatch, typed, watchTyping } from "./typed-fields.js";
import { answerTypingNow, noteRecent, setAnswering, watchTypingNow } from "./typing-now.js";

// Any role but presentation/none: those say an element has no meaning of its own (a grid library's
// wrapper around a header's text), so a click there belongs to what holds it.
const CLICKABLE =
  "a,button,input,select,textarea,label,summary,option,[role]:not([role=presentation]):not([role=none]),[onclick],[data-testid],[tabindex]";
const CELLS = "td, th, [role=cell], [role=gridcell], [role=rowheader], [role=columnheader]";
const NOT_FIELDS = new Set(["hidden", "submit", "button", "reset", "image"]);

let gate = null;
let paused = false;
let stopped = false;
let pageViewSent = false;
let page = randomToken("p_"); // this page visit; a new one per SPA route
const timings = []; // per observation sent from this page: [ms to build it, ms in all]
let leaving = false; // set on pagehide: a navigation in this tab is not the tab being hidden
// In the back-forward cache (pagehide with `persisted`), then being restored from it: nothing is
// captured until the gate, pauses and typed words are read again (onRestored).
let cached = false;
let resync = null; // while restoring: which storage changes arrived meanwhile (newer than a read)
let maskSelectors = [];
const scroll = { max: 0, sent: 0, timer: null };
let visit = null; // a page view or route change waiting for its page to settle (describeLater)
const typing = new Map(); // element -> {count, timer}
// Opened by a work app's tab (a pop-up compose window, a link opened in a new tab; the worker
// knows the opener): what is typed here may be shown back there, so it is learnt here too.
let openedByWorkApp = false;

// Nothing is emitted before the session's salt is known: typed words could not be masked.
const allowed = (type) =>
  !stopped && !cached && !paused && typed.ready && gateAllows(gate, location.origin, categoryOf(type));
// Its encodedRuns: a URL's path is unencoded before it is redacted (extension/shared/redact.js).
const mask = Object.assign((text) => typed.mask(text), { encodedRuns: (text) => typed.maskEncodedRuns(text) });
/**
 * Names the label policy held as [content] as choices on this page (a colleague in a picker's
 * popup or options, shown by its trigger, chosen in a select), as salted hashes of their words
 * (extension/shared/label-policy.js, choiceKey), never the names: a chip or a button elsewhere
 * holding one is [content] too. Kept for this document only; the oldest are forgotten first.
 */
const chosenNames = new Set();
const MAX_CHOSEN_NAMES = 2000;
const CHOICE = "\u0003"; // hashed apart from typed words
const choices = {
  add(key) {
    if (!typed.ready || !key) return;
    chosenNames.add(typed.hashOf(CHOICE + key));
    for (const old of chosenNames) {
      if (chosenNames.size <= MAX_CHOSEN_NAMES) break;
      chosenNames.delete(old);
    }
  },
  has: (key) => typed.ready && chosenNames.has(typed.hashOf(CHOICE + key)),
  get size() {
    return chosenNames.size;
  },
};
const labelOptions = () => ({ maskSelectors, mask, choices });

/** Build, redact and send one event if the gate allows its category here. */
function emit(type, fields = {}) {
  if (visit) describeVisit(); // a page view or route change still settling happened first
  if (!allowed(type)) return;
  flushTyped(); // words still in a field are learnt before anything is described
  const event = sanitizeEvent({ type, ts: Date.now(), url: location.href, title: pageTitle(), page, ...fields }, "", mask);
  if (!event) return;
  delete event.id; // the worker assigns ids (crypto.randomUUID needs a secure context)
  send({ type: "capture", event });
}

// The page's level-one headings: a record's page names the record there (shared/title-policy.js).
const MAIN_HEADINGS = "h1, [role=heading][aria-level='1']";
const MAX_HEADINGS = 5;

/** The texts of the page's main headings, whole and without the controls inside them. */
function mainHeadings() {
  const texts = [];
  for (const heading of [...document.querySelectorAll(MAIN_HEADINGS)].slice(0, MAX_HEADINGS)) {
    texts.push(heading.textContent || "");
    // Its own text apart from a control inside it (<h1>Hortensia Blackwood <button>Edit</button>).
    const own = [...heading.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE);
    if (own.length < heading.childNodes.length) texts.push(own.map((node) => node.textContent).join(" "));
  }
  return texts;
}

/** The title as sent: the page's, without the record its main heading names (title-policy.js). */
function pageTitle() {
  const title = document.title;
  return title ? titleWithoutRecords(title, mainHeadings()) : title;
}

function send(message) {
  if (!chrome.runtime || !chrome.runtime.id) return stop(); // extension reloaded: this script is orphaned
  return chrome.runtime.sendMessage(message).catch(() => {});
}

function stop() {
  stopped = true;
  dropPending();
  dropVisit();
}

/** Forget anything not yet sent (pause, consent withdrawn): nothing is emitted after it. */
function dropPending() {
  clearTimeout(scroll.timer);
  scroll.timer = null;
  for (const entry of typing.values()) clearTimeout(entry.timer);
  typing.clear();
}

/** The policy's mask_selectors that parse here (a broken one must not break capture). */
function validSelectors(list) {
  return (Array.isArray(list) ? list : []).filter((selector) => {
    try {
      document.createDocumentFragment().querySelector(selector);
      return true;
    } catch {
      console.warn("overt: ignoring a mask selector that does not parse");
      return false;
    }
  });
}

function applyGate(next) {
  gate = next || null;
  maskSelectors = validSelectors(gate && gate.mask_selectors);
  applyTypingWatch();
  if (!allowed("scroll")) clearTimeout(scroll.timer);
  if (!allowed("input_activity")) dropPending();
  if (visit && !allowed(visit.type)) dropVisit();
  if (!pageViewSent && allowed("page_view")) {
    pageViewSent = true;
    describeLater("page_view", { referrer: document.referrer });
  }
}

/** Learn typed words (as hashes) on a work app, and in a page a work app's tab opened. */
function applyTypingWatch() {
  const watch = openedByWorkApp || Boolean(gate && (gate.work_origins || []).includes(location.origin));
  setTypingWatch(watch);
  // Other tabs' events wait for this page's last typed words once it is typed in (typing-now.js).
  setAnswering(watch);
}

/** Send an observation of the page as it is now (page_structure consent permitting). */
function emitObservation() {
  if (visit) return describeVisit(); // which observes the page it settled on
  if (!allowed("observation")) return;
  const began = performance.now();
  const { elements, ms } = structure.observe(labelOptions());
  emit("observation", { elements }); // cleaned again (extension/shared/events.js) and handed over
  if (timings.length < 1000) timings.push([ms, performance.now() - began]);
}

/** Before an action: a fresh observation when the page changed since the last one. */
function observeBeforeAction() {
  if (structure.isStale()) emitObservation();
}

/** TARGET of an action, with the element's bid in the last observation when it is in it. */
function actionTarget(el) {
  const target = describeTarget(el, labelOptions());
  if (allowed("observation")) {
    const bid = structure.bidIn(el);
    if (bid) target.bid = bid;
  }
  return target;
}

function onClick(ev) {
  if (!ev.isTrusted || !(ev.target instanceof Element) || !allowed("click")) return;
  let el = structure.interactiveAncestor(ev.target) || ev.target.closest(CLICKABLE) || ev.target;
  // A clickable row or list: the cell clicked says more (its column), and is still no content.
  const cell = ev.target.closest(CELLS);
  if (cell && el !== cell && el.contains(cell)) el = cell;
  if (isIgnored(el)) return;
  flushTyped();
  observeBeforeAction();
  emit("click", { target: actionTarget(el) });
}

/**
 * A chosen option's name under the label policy: its short text, or `[content]` when the select
 * sits in a data region (a table, a mask_selectors match), the text is too long to be a name, or
 * it does not have the shape of UI vocabulary (an "Assign to" list of colleagues: "Jane Doe"; the
 * same check as a column header's name, extension/shared/label-policy.js looksLikeVocabulary).
 * sanitizeEvent then masks typed words and redacts it like any label.
 */
function optionName(select, option) {
  const text = String(option.label || option.text || "").replace(/\s+/g, " ").trim();
  if (dataRegionOf(select, maskSelectors) || !text || text.length > MAX_NAME_CHARS) return CONTENT_LABEL;
  if (looksLikeVocabulary(text)) return text;
  choices.add(choiceKey(text)); // a chip elsewhere may show the colleague chosen
  return CONTENT_LABEL;
}

/** A choice in a select, checkbox, radio or switch; a text field's change is never sent. */
function onChange(ev) {
  const el = ev.target;
  if (!ev.isTrusted || !allowed("change") || !(el instanceof Element) || isIgnored(el)) return;
  let choice = null;
  if (el instanceof HTMLSelectElement) {
    const option = el.selectedOptions[0];
    if (option) choice = { value: optionName(el, option) };
  } else if (el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio")) {
    choice = { checked: el.checked };
  }
  if (!choice) return;
  flushTyped();
  observeBeforeAction();
  emit("change", { target: actionTarget(el), ...choice });
}

/** Enter, Escape, Tab, arrows and Ctrl/Cmd shortcuts; a character without a modifier never. */
function onKeyDown(ev) {
  if (!ev.isTrusted || !allowed("key")) return;
  const key = commandKey(ev);
  if (!key) return;
  const el = document.activeElement;
  const fields = { ...key };
  if (el instanceof Element && el !== document.body && !isIgnored(el)) {
    flushTyped();
    observeBeforeAction();
    fields.target = actionTarget(el);
  }
  emit("key", fields);
}

function onSubmit(ev) {
  const form = ev.target;
  if (!ev.isTrusted || !(form instanceof HTMLFormElement) || isIgnored(form)) return;
  const fields = Array.from(form.elements).filter((el) =>
    ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName) && !NOT_FIELDS.has(String(el.type).toLowerCase()));
  flushTyped();
  observeBeforeAction();
  emit("submit", { target: describeSubmit(form, ev.submitter, labelOptions()), fields: fields.length });
}

function scrollDepth() {
  const height = document.documentElement.scrollHeight;
  if (height <= window.innerHeight) return 100;
  return Math.max(0, Math.min(100, Math.round(((window.scrollY + window.innerHeight) / height) * 100)));
}

function flushScroll() {
  clearTimeout(scroll.timer);
  scroll.timer = null;
  if (scroll.max > scroll.sent) {
    scroll.sent = scroll.max;
    emit("scroll", { depth: scroll.max, y: Math.max(0, Math.round(window.scrollY)) });
  }
}

function onScroll() {
  structure.markStale(); // the viewport shows other elements now
  if (!allowed("scroll")) return;
  scroll.max = Math.max(scroll.max, scrollDepth());
  if (scroll.max > scroll.sent && !scroll.timer) scroll.timer = setTimeout(flushScroll, SCROLL_THROTTLE_MS);
}

function isTypingTarget(el) {
  if (!(el instanceof Element) || isIgnored(el)) return false;
  if (el instanceof HTMLInputElement) return !["password", "hidden"].includes(el.type); // no password lengths
  return el instanceof HTMLTextAreaElement || el.isContentEditable === true;
}

function flushTyping(el) {
  const entry = typing.get(el);
  if (!entry) return;
  typing.delete(el);
  clearTimeout(entry.timer);
  emit("input_activity", { target: actionTarget(el), count: entry.count });
}

/** Count input events per field per window; `ev.data`, keys and values are never touched. */
function onInput(ev) {
  const el = ev.composedPath ? ev.composedPath()[0] : ev.target;
  if (!ev.isTrusted || !allowed("input_activity") || !isTypingTarget(el)) return;
  if (!typing.has(el)) observeBeforeAction();
  const entry = typing.get(el) || { count: 0, timer: setTimeout(() => flushTyping(el), INPUT_WINDOW_MS) };
  entry.count += 1;
  typing.set(el, entry);
}

// A single-page app changes its address first and draws the new route after (a frame later, or
// once its data arrives, a spinner turning meanwhile), often setting the title before the
// heading that names the record (shared/title-policy.js); a page loaded by such an app does the
// same after its content script starts. A page view or route change is described once the page
// has been quiet for VISIT_QUIET_MS (no node or text changed), at most VISIT_MAX_MS after it
// happened, or at once when anything else is to be sent: its title and observation are then those
// of the page it led to. It keeps the time and address of the moment it happened.
const VISIT_QUIET_MS = 250;
const VISIT_MAX_MS = 2000;

/** Describe a page view or route change (`type`, `fields`) once the page has settled. */
function describeLater(type, fields) {
  const settle = () => {
    clearTimeout(visit.quiet);
    visit.quiet = setTimeout(describeVisit, VISIT_QUIET_MS);
  };
  const at = { url: location.href, ts: Date.now() };
  visit = { type, fields: { ...fields, ...at }, cap: setTimeout(describeVisit, VISIT_MAX_MS) };
  visit.observer = new MutationObserver(settle);
  visit.observer.observe(document, { childList: true, characterData: true, subtree: true });
  settle();
}

/** Send the page view or route change waiting to settle, and the observation of its page. */
function describeVisit() {
  if (!visit) return;
  const { type, fields } = visit;
  forgetVisit();
  emit(type, fields);
  emitObservation();
}

/** Forget a page view or route change not described yet (paused, its category withdrawn). */
function dropVisit() {
  if (!visit) return;
  if (visit.type === "page_view") pageViewSent = false; // sent once capture may start again
  forgetVisit();
}

function forgetVisit() {
  clearTimeout(visit.quiet);
  clearTimeout(visit.cap);
  visit.observer.disconnect();
  visit = null;
}

function onRouteChange(from) {
  if (visit) describeVisit(); // the one before, as the page is now
  flushScroll();
  scroll.max = 0;
  scroll.sent = 0;
  page = randomToken("p_");
  structure.newVisit();
  if (allowed("route_change")) describeLater("route_change", { from });
}

function flushPending() {
  if (visit) describeVisit();
  flushScroll();
  for (const el of [...typing.keys()]) flushTyping(el);
}

function onStorageChange(changes, area) {
  if (area !== "session") return;
  if (resync) {
    resync.pauses ||= Boolean(changes[KEY_PAUSES]);
    resync.gate ||= Boolean(changes[KEY_GATE]);
  }
  if (changes[KEY_PAUSES]) {
    paused = Object.keys(changes[KEY_PAUSES].newValue || {}).length > 0;
    if (paused) {
      dropPending();
      dropVisit();
    }
  }
  if (changes[KEY_TYPED]) adoptTyped(changes[KEY_TYPED].newValue);
  if (changes[KEY_GATE]) applyGate(changes[KEY_GATE].newValue);
}

/** Share newly learnt hashes (never words) with the worker, which keeps them for every tab. */
function shareTyped(hashes) {
  noteRecent(hashes);
  send({ type: "typed", salt: typed.salt, hashes });
}

function onVisibilityChange() {
  const state = document.visibilityState;
  if (state === "hidden") flushPending();
  else leaving = false;
  // A navigation in this tab hides the old page: that is not the employee leaving the tab.
  if (state === "visible" || (state === "hidden" && !leaving)) emit("visibility", { state });
}

function onWorkerMessage(message, sender, sendResponse) {
  if (message && message.type === "tab-focus") emit("tab_focus");
  // Main-thread ms of each observation sent from here (bench/observations.py asks through the
  // worker): to build it, and in all (built, cleaned by sanitizeEvent, handed to the worker).
  if (message && message.type === "observation-timings") {
    sendResponse({ ms: timings.map((t) => t[0]), total: timings.map((t) => t[1]) });
  }
}

/** Say hello to the worker (privacy signals); its reply holds the gate and the typed words. */
function hello() {
  const signals = { dnt: navigator.doNotTrack === "1", gpc: navigator.globalPrivacyControl === true };
  return send({ type: "content-hello", signals });
}

/**
 * Back or Forward to this page brought it back from the back-forward cache: the browser kept it
 * frozen instead of loading it again, so no new content script starts, yet it is a new visit of
 * the page, as a load would be: a new page visit with its page view (the tab's sequence reads
 * "home, other page, home"). Storage changes made while the page was frozen (a pause, a
 * withdrawn category, words typed in the tab's other page) may never have reached it, so the
 * gate, the pauses and the typed words are read again before anything is captured.
 */
async function onRestored() {
  if (visit) forgetVisit(); // nothing settles in a frozen page; none should be left, all the same
  dropPending();
  scroll.max = 0;
  scroll.sent = 0;
  page = randomToken("p_");
  structure.newVisit();
  pageViewSent = false;
  leaving = false;
  resync = { pauses: false, gate: false };
  const [reply, stored] = await Promise.all([
    hello(),
    chrome.storage.session.get(KEY_PAUSES).catch(() => ({})),
  ]);
  const { pauses, gate: gateChanged } = resync;
  resync = null;
  cached = false;
  // A change that arrived while these were read is newer than what was read: it stays.
  if (!pauses) paused = Object.keys((stored && stored[KEY_PAUSES]) || {}).length > 0;
  if (reply && reply.ok) {
    openedByWorkApp = reply.opened_by_work_app === true;
    adoptTyped(reply.typed);
  }
  applyGate(reply && reply.ok && !gateChanged ? reply.gate : gate); // sends the page view
}

/** Start capturing: subscribe to the gate first, then ask the worker for its current value. */
export async function start() {
  chrome.storage.onChanged.addListener(onStorageChange);
  chrome.runtime.onMessage.addListener(onWorkerMessage);
  chrome.runtime.onMessage.addListener(answerTypingNow);
  document.addEventListener("click", onClick, true);
  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("input", onInput, true);
  document.addEventListener("change", onChange, true);
  document.addEventListener("keydown", onKeyDown, true);
  structure.watch();
  watchTyping(shareTyped);
  watchTypingNow();
  window.addEventListener("scroll", onScroll, { passive: true });
  document.addEventListener("visibilitychange", onVisibilityChange);
  window.addEventListener("pagehide", (ev) => {
    leaving = true; // fired before the unloading page turns hidden (HTML: "unload a document")
    flushPending();
    if (ev.persisted && ev.isTrusted) cached = true; // kept in the back-forward cache: it may come back
  });
  window.addEventListener("pageshow", (ev) => {
    if (ev.persisted && ev.isTrusted) onRestored();
  });
  watchRoutes(onRouteChange);
  const reply = await hello();
  if (reply && reply.ok) {
    openedByWorkApp = reply.opened_by_work_app === true;
    adoptTyped(reply.typed);
    if (gate === null) applyGate(reply.gate);
    else applyTypingWatch();
  }
}
